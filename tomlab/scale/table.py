"""The rehearsal's outputs: ``table.md`` (one markdown table, a row per rehearsal row) and ``rehearsal.json`` (settings,
environment, every row's raw figures), both written atomically."""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_write_json, atomic_write_text
from .plan import Row
from .settings import ARCHITECTURES, RehearsalSettings, precision_label

COLUMNS = ("model", "row", "precision", "result", "wall s", "answers/s", "tokens/s", "load s", "s/step",
           "peak GPU GiB", "note")


def _cell(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _count(n: int) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e8 else f"{n / 1e6:.2f} M"


def format_table(rows: list[Row], s: RehearsalSettings) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(":--" if c in ("model", "row", "precision", "result",
                                                                           "note") else "--:" for c in COLUMNS) + "|"]
    for r in rows:
        f = r.figures
        label = ARCHITECTURES[r.arch].label + ("-tiny" if s.tiny else "")
        note = "" if r.status == "skipped" else r.note
        if r.kind == "experiment" and r.status == "ok":
            note = f"{f['answers']} answers, {f['new_tokens']} tokens" + (f"; {note}" if note else "")
        if r.kind == "build" and r.status == "ok" and f.get("parameters"):
            note = f"{_count(f['parameters'])} parameters, {f['disk_gib']} GiB on disk; {note}"
        cells = [label, r.kind, precision_label(r.precision, s), r.result, _cell(r.wall_s),
                 _cell(f.get("answers_per_s"), 2), _cell(f.get("tokens_per_s")), _cell(f.get("load_s")),
                 _cell(f.get("step_s"), 3), _cell(r.peak_gpu_gib, 2), note.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(out: Path, report: dict, rows: list[Row], s: RehearsalSettings) -> None:
    env = report["environment"]
    head = (f"# Scale rehearsal ({'tiny configurations' if s.tiny else 'published 6-7B configurations'}, random "
            f"weights)\n\n{env['device_name']}, torch {env['torch']}, transformers {env['transformers']}, bitsandbytes "
            f"{env['bitsandbytes'] or 'missing'}; {s.reps} reps x {s.tokens} tokens per answer (16 scenarios x 4 "
            f"prompting types), {s.steps} training steps per stage; budget {s.budget_s:.0f} s, "
            f"{s.row_budget_s:.0f} s per row; {report['elapsed_s']} s so far.\n\n"
            "Random weights: these figures are about memory, time and whether every path works at this size; they "
            "say nothing about theory of mind.\n\n")
    notes = "".join(f"- {line}\n" for line in report["notes"])
    atomic_write_text(out / "table.md", head + (notes + "\n" if notes else "") + format_table(rows, s) + "\n")
    atomic_write_json(out / "rehearsal.json", report)
