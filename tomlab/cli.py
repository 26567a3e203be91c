"""The command line of the ToM experiment, shared by tom_eval.py and the per-family presets.

The flags are the fields of :class:`tomlab.experiment.config.ExperimentConfig` (one definition, HfArgumentParser).
"""

from __future__ import annotations

from .errors import cli_main
from .experiment.config import parse_config
from .experiment.runner import format_summary, run_experiment


def graded_table(paths: list[str]) -> str:
    """The graded model x prompting accuracy table of the files just written."""
    from .analysis.report import accuracy_table_markdown, aggregate, chance_markdown
    from .grading import grade_files

    cells = aggregate(grade_files(paths))
    return accuracy_table_markdown(cells) + "\n" + chance_markdown(cells) + "\n"


def main(argv=None, description="Run the theory-of-mind experiment", defaults=None, model_required=False):
    """``defaults``: a preset's values for any flag, by field name (e.g. ``{"model": "meta-llama/Llama-2-7b-hf"}``)."""

    @cli_main
    def _main():
        cfg = parse_config(argv, description, defaults, model_required)
        summary = run_experiment(cfg)
        print(format_summary(summary))
        if cfg.grade:
            print("\ngraded accuracy (automatic grader):\n" + graded_table([f["path"] for f in summary["files"]]))
        return 0

    return _main()
