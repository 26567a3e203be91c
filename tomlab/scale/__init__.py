"""Scale rehearsal: the original study's 6-7B model shapes with random weights through the project's own paths.

What it runs, row by row, in priority order (``tom-scale-rehearsal``, ``scripts/scale_rehearsal.py``):

1. **build**: a GPT-J-6B-shaped and a Llama-2-7B-shaped causal LM from their published configurations
   (:data:`ARCHITECTURES`), random weights, saved once as safetensors with the embedded SmolLM2 tokenizer under
   ``<work_dir>/models/`` (a folder is keyed by its configuration and reused by later runs). The modules are
   constructed directly on the target device (``torch.device`` context: no CPU copy, the random init runs on the
   GPU), so a 7B model takes seconds, not minutes. Where the tokenizer's vocabulary exceeds the published one
   (Llama-2: 32,000 < 49,152) the model's vocabulary is raised to cover it, and the deviation is printed and recorded.
2. **experiment**: the 16 scenarios x 4 prompting types x ``--reps`` answers of ``--tokens`` tokens through
   :func:`tomlab.eval.runner.evaluate` (the code path of ``tom_eval.py --all_conditions``), which loads
   the saved model with :func:`tomlab.models.load_model` in bf16, 8-bit or 4-bit (bitsandbytes): answers/s, tokens/s,
   the load time, peak GPU memory. Random weights answer to the last token, so every answer is ``--tokens`` long.
3. **finetune**: a few steps of every stage (SFT, reward model, PPO, DPO) through the stages' own entry point
   :func:`tomlab.finetune.stage.main` with the ``smoke`` recipe and an 8/4-bit LoRA: seconds per training step (the
   median gap between consecutive logged steps in the stage's TensorBoard events), peak GPU memory. The reward model
   and PPO's reward model start from the same random folder (a causal-LM checkpoint read as a reward model): there is
   nothing to merge in between, so merging is not rehearsed.

Budget: every started row runs under a hard time limit, ``min(--row_budget_s, what is left of --budget_s)`` (SIGALRM;
a row cut there keeps what it measured and says so). A row whose kind and precision already took longer on the other
architecture than what is left, or that would get less than :data:`MIN_ROW_S`, is skipped with a note, as are the
bitsandbytes rows without CUDA ("skipped: CUDA only") or without bitsandbytes. ``--tiny`` runs the same code on tiny
configurations of the two architectures in float32 (what the tests run on a CPU).

Outputs: ``<out>/table.md`` (one markdown table) and ``<out>/rehearsal.json`` (settings, environment, every row's raw
figures), both written atomically after every row, so a run cut short still says what held. Answer files, adapters
and event files go to ``<work_dir>/scratch/`` (cleared at the start of each run), never to ``--out``.

The table is about memory, time and whether every path works at the real size: random weights say nothing about ToM.

The pieces: :mod:`.settings` (architectures, precisions, flags, the machine), :mod:`.build` (the random-weight models),
:mod:`.rows` (what a row runs, its time limit and memory), :mod:`.plan` (the rows' order and skip rules), :mod:`.table`
(table.md and rehearsal.json); this module runs them (:func:`run_rehearsal`).
"""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from ..errors import ToMLabError
from .build import build_model, model_config, rehearsal_tokenizer
from .plan import Row, plan, skip_reason
from .rows import RowTimeout, experiment_row, finetune_row, peak_memory, release_memory, time_limit
from .settings import (
    ARCHITECTURES,
    QUANTIZED,
    SCRATCH_MARK,
    STAGES,
    Environment,
    RehearsalSettings,
    detect_environment,
    parse_settings,
    precision_label,
)
from .table import format_table, write_report

__all__ = ["ARCHITECTURES", "QUANTIZED", "STAGES", "Environment", "RehearsalSettings", "Row", "RowTimeout",
           "detect_environment", "exit_status", "model_config", "parse_settings", "plan", "run_rehearsal",
           "skip_reason", "time_limit"]


def run_rehearsal(s: RehearsalSettings) -> dict:
    """Run every row of :func:`plan` within the budget; write and return the report (settings, environment, rows)."""
    s.validate()
    tokenizer = rehearsal_tokenizer(s.tokenizer)  # bad --tokenizer: one error line before any work
    env = detect_environment()
    for line in env.lines():
        print(line, flush=True)
    models_dir, scratch = s.work_dir / "models", s.work_dir / "scratch"
    _fresh_scratch(scratch)
    s.out.mkdir(parents=True, exist_ok=True)
    rows = plan(s)
    report = {"settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(s).items()},
              "environment": env.description, "notes": env.lines(), "rows": []}
    start = time.perf_counter()
    folders: dict[str, str] = {}
    for i, row in enumerate(rows, 1):
        left = s.budget_s - (time.perf_counter() - start)
        reason = skip_reason(row, env, rows, left, s)
        label = ARCHITECTURES[row.arch].label + ("-tiny" if s.tiny else "")
        print(f"\n== [{i}/{len(rows)}] {label} {row.kind} {precision_label(row.precision, s)}", flush=True)
        if reason:
            row.status, row.note = "skipped", reason
        else:
            _run_row(row, label, min(s.row_budget_s, left), s, env, tokenizer, models_dir, scratch, folders)
        print(f"   {row.result}{f' in {row.wall_s:.1f} s' if row.wall_s is not None else ''}"
              f"{f' ({row.note})' if row.note and row.status != 'skipped' else ''}", flush=True)
        report["rows"] = [asdict(r) | {"name": r.name} for r in rows]
        report["elapsed_s"] = round(time.perf_counter() - start, 1)
        write_report(s.out, report, rows, s)
    print("\n" + format_table(rows, s), flush=True)
    return report


def exit_status(report: dict) -> int:
    """The script's exit status: 1 if a row failed (a cut or skipped row is not a failure), else 0."""
    return 1 if any(r["status"] == "FAILED" for r in report["rows"]) else 0


def _run_row(row: Row, label: str, limit: float, s: RehearsalSettings, env: Environment, tokenizer,
             models_dir: Path, scratch: Path, folders: dict) -> None:
    """Run one row under its time limit; fill in status, note, wall time, peak memory and figures."""
    held = release_memory(env)
    t0 = time.perf_counter()
    try:
        with time_limit(limit):
            if row.kind == "build":
                row.figures = build_model(row.arch, tokenizer, s, env, models_dir)
                folders[row.arch] = row.figures["path"]
                row.note = "; ".join(["reused" if row.figures["reused"] else "built and saved",
                                      *row.figures["deviations"]])
            elif row.kind == "experiment":
                row.figures = experiment_row(folders[row.arch], label, row.precision, s, env, scratch)
            else:
                row.figures = finetune_row(row.kind, folders[row.arch], label, row.precision, s, scratch)
        row.status = "ok"
    except RowTimeout as exc:
        row.status, row.figures = "cut", exc.figures
        row.note = f"cut at the row's limit of {limit:.0f} s" + (f": {exc}" if str(exc) else "")
    except (Exception, SystemExit) as exc:  # a row's failure is its result; the next row still runs
        row.status = "FAILED"
        row.note = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:300]
        row.figures = {"traceback": traceback.format_exc()[-4000:]}
    row.wall_s = round(time.perf_counter() - t0, 2)
    peak = peak_memory(env)
    row.peak_gpu_gib = round(peak, 2) if peak is not None else None
    if held is not None and held > 0.5:
        row.figures["gpu_gib_held_before"] = round(held, 2)


def _fresh_scratch(scratch: Path) -> None:
    """Clear the scratch folder of an earlier run (only one this module made: it holds :data:`SCRATCH_MARK`)."""
    if scratch.exists():
        if not (scratch / SCRATCH_MARK).is_file():
            raise ToMLabError(f"{scratch} exists and is not a rehearsal scratch folder: choose another --work_dir")
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    (scratch / SCRATCH_MARK).write_text("answers, adapters and event files of the last scale rehearsal\n")
