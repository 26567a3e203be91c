"""The rehearsal's rows (architecture x kind x precision) in priority order, and why a row is skipped (CUDA or
bitsandbytes missing, no model, or not enough of the budget left)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .settings import MIN_ROW_S, QUANTIZED, Environment, RehearsalSettings


@dataclass
class Row:
    arch: str
    kind: str  # "build" | "experiment" | a stage name
    precision: str
    status: str = "pending"  # ok | FAILED | cut | skipped
    note: str = ""
    wall_s: float | None = None
    peak_gpu_gib: float | None = None
    figures: dict = field(default_factory=dict)

    @property
    def result(self) -> str:
        """The table's result cell: the status, with the reason of a skipped row."""
        return f"skipped: {self.note}" if self.status == "skipped" else self.status

    @property
    def name(self) -> str:
        return f"{self.arch}/{self.kind}/{self.precision}"


def plan(s: RehearsalSettings) -> list[Row]:
    """The rows in priority order: builds, the unquantized experiment, the first finetuning precision's stages and
    the quantized experiments, then the remaining finetuning precisions (each kind for every architecture in turn)."""
    rows = [Row(a, "build", "full") for a in s.archs]
    first_ft = s.finetune_precisions[:1]
    order = [("experiment", p) for p in s.precisions if p == "full"]
    order += [(stage, p) for p in first_ft for stage in s.stages]
    order += [("experiment", p) for p in s.precisions if p != "full"]
    order += [(stage, p) for p in s.finetune_precisions[1:] for stage in s.stages]
    for kind, precision in order:
        rows += [Row(a, kind, precision) for a in s.archs]
    return rows


def skip_reason(row: Row, env: Environment, rows: list[Row], left: float, s: RehearsalSettings) -> str | None:
    """Why ``row`` is not started (None: it runs), with ``left`` seconds of the budget left."""
    if row.precision in QUANTIZED and not env.cuda:
        return "CUDA only"
    if row.precision in QUANTIZED and not env.bitsandbytes:
        return "bitsandbytes missing"
    if row.kind != "build":
        build = next(r for r in rows if r.arch == row.arch and r.kind == "build")
        if build.status != "ok":
            return "no model (its build did not succeed)"
    minimum = 0.0 if s.tiny else MIN_ROW_S
    same = [r.wall_s for r in rows if r.kind == row.kind and r.precision == row.precision and r.status == "ok"
            and r.wall_s is not None]
    need = max([minimum, *same])
    if left < need:
        return f"would overrun the budget (needs ~{need:.0f} s, {max(left, 0):.0f} s left)"
    return None
