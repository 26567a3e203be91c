"""The command lines of the evaluation runner: ``tom_eval.py`` (and the per-family presets) and ``benchmark_eval.py``;
and of the grader, ``grade_answers.py``.

The runner's flags are the fields of :class:`tomlab.eval.config.EvalConfig` (one definition, HfArgumentParser); both
scripts run :func:`tomlab.eval.runner.evaluate`, print its summary and each file's scores. ``grade_answers.py`` parses
its flags into :class:`tomlab.grading.command.GradeSettings` and calls :func:`grade_main`.
"""

from __future__ import annotations

import time

from .errors import cli_main
from .eval.config import parse_benchmark_config, task_configs
from .eval.registry import get
from .eval.runner import check_writable_location, evaluate, format_summary, validate
from .grading.command import GradeSettings


def graded_table(paths: list[str]) -> str:
    """The graded model x prompting accuracy table of the 16-scenario files just written."""
    from .analysis.report import accuracy_table_markdown, aggregate, chance_markdown
    from .grading import grade_files

    cells = aggregate(grade_files(paths))
    return accuracy_table_markdown(cells) + "\n" + chance_markdown(cells) + "\n"


def benchmark_tables(paths: list[str]) -> str:
    """Each benchmark file's accuracy overall, per question kind and belief."""
    from .tasks.scoring import breakdown_markdown, score_file

    return "\n\n".join(breakdown_markdown(score_file(p)) for p in paths)


def main(argv=None, description="Run the theory-of-mind experiment", defaults=None, model_required=False):
    """``tom_eval.py``: ``defaults``: a preset's values for any flag, by field name (e.g. ``{"model":
    "meta-llama/Llama-2-7b-hf"}``)."""

    @cli_main
    def _main():
        runs = task_configs(argv, description, defaults, model_required)
        summary = evaluate(runs)
        print(format_summary(summary))
        if runs[0][1].grade:
            scenarios = [f["path"] for f in summary["files"] if f["task"] == "tom16"]
            benchmarks = [f["path"] for f in summary["files"] if f["task"] != "tom16"]
            if scenarios:
                print("\ngraded accuracy (automatic grader):\n" + graded_table(scenarios))
            if benchmarks:
                print("\n" + benchmark_tables(benchmarks))
        return 0

    return _main()


def benchmark_main(argv=None, description: str = "Ask a language model a theory-of-mind benchmark") -> int:
    """``benchmark_eval.py --benchmark X``: one benchmark task, every form (or ``--form``)."""

    @cli_main
    def _main():
        cfg = parse_benchmark_config(argv, description)
        task = get(cfg.benchmark)
        if cfg.export_items is not None:
            validate(cfg)
            check_writable_location("--export_items", cfg.export_items)
            done = task.export(cfg, cfg.export_items)
            print(f"wrote {done['items']} {cfg.benchmark} items to {done['path']} (from {done['source']})")
            return 0
        start = time.perf_counter()
        summary = evaluate([(task, cfg)])
        print(format_summary(summary))
        print("\n" + benchmark_tables([f["path"] for f in summary["files"]]))
        print(f"\n{time.perf_counter() - start:.1f} s in all")
        if cfg.output is not None and len(summary["files"]) > 1:
            print(f"--output {cfg.output} names one file per form: "
                  + ", ".join(f["path"] for f in summary["files"]) + f" (no {cfg.output.name})")
        return 0

    return _main()


def grade_main(s: GradeSettings, as_json: bool = False) -> int:
    """``grade_answers.py``: :func:`tomlab.grading.command.run_grading`, then per file its accuracy and the model x
    prompting table (or, ``as_json``, one JSON object on stdout and the messages on stderr)."""
    import json
    import sys

    from .analysis.report import accuracy_table_markdown, aggregate, chance_markdown
    from .grading.command import run_grading

    log = sys.stderr if as_json else sys.stdout
    run = run_grading(s, log)
    if run is None:
        return 0
    if as_json:
        print(json.dumps(run.summary(), indent=2))
    else:
        for g in run.graded:
            flag = "" if g.complete else "  [INCOMPLETE run]"
            stored = f", {g.n_labelled} labels from {', '.join(g.label_sources())}" if g.n_labelled else ""
            print(f"{g.path}: {g.model} {g.prompting}: {g.n_correct}/{g.n} correct = {g.accuracy:.3f}{stored}{flag}")
        print()
        cells = aggregate(run.graded)
        print(accuracy_table_markdown(cells))
        print(chance_markdown(cells))
        if run.written:
            print(f"graded records: {s.out}/ ({len(run.written)} files)")
    print(f"graded {run.n_answers} answers in {len(run.graded)} files in {run.seconds:.2f} s", file=log)
    return 0
