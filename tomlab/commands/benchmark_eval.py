"""Ask a language model a second theory-of-mind benchmark with the experiment's engine and guarantees.

    python ToM_Experiment/benchmark_eval.py --benchmark tomi                  # embedded model, both forms, greedy
    python ToM_Experiment/benchmark_eval.py --benchmark strange_stories --chat
    python ToM_Experiment/benchmark_eval.py --benchmark tomi --limit 40 --model Qwen/Qwen2.5-0.5B-Instruct --chat
    python ToM_Experiment/benchmark_eval.py --benchmark tomi --export_items items.jsonl   # no model loaded
    python ToM_Experiment/benchmark_eval.py --benchmark tomi --generate_seed 0 --export_items data/tomi/tomi_items.jsonl

Also ``tom-benchmark-eval`` (installed) or ``python -m tomlab.commands.benchmark_eval``: the same flags.
"""

from ..cli import benchmark_main as run


def main(argv=None) -> int:
    """Parse the flags, run, print the summary; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
