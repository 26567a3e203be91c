"""Does the 16-scenario experiment rank models as established ToM benchmarks do? One command for a models list:

    python ToM_Experiment/correlate.py                                   # report/correlation/models.txt
    python ToM_Experiment/correlate.py --models report/correlation/hub_models.txt --out report/correlation-hub

For every model (one line of runner model flags) it runs what is missing of the 16-scenario experiment (four
prompting types) and of the benchmarks (ToMi open and yes/no, Strange Stories; greedy), then writes REPORT.md,
correlation.json and scatter.png: Spearman and Pearson across models with bootstrap intervals, split-half
reliabilities, the reliability-corrected correlation, and how many models it all rests on.

Also ``tom-correlate`` (installed) or ``python -m tomlab.commands.correlate``: the same flags.
"""

from ..analysis.correlation_study import main as run


def main(argv=None) -> int:
    """Run what is missing for every model, write the report; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
