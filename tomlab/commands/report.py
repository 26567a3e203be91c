"""Write the report: REPORT.md with the accuracy table, per-scenario tables, tests, yes/no bias and
behaviour breakdown, plus PNG figures.

  python ToM_Experiment/make_report.py PATH... --out report/
  python ToM_Experiment/make_report.py ../shared/reference/original_answers --out report/ \
      --human ../shared/reference/human_correct_counts.csv

Answers are graded automatically; the labels of the label store (--labels) override automatic ones, and the
report names the store.

Also ``tom-report`` (installed) or ``python -m tomlab.commands.report``: the same flags.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from ..analysis.report import read_human_counts, write_report
from ..errors import cli_main
from ..grading import grade_files
from ..grading.labels import DEFAULT_LABEL_STORE
from ..scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", type=Path, help="answer files or folders")
    ap.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: %(default)s)")
    ap.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS)
    ap.add_argument("--cot-examples", type=Path, default=DEFAULT_COT_EXAMPLES)
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABEL_STORE,
                    help="label store whose labels override the grader (default: %(default)s)")
    ap.add_argument("--human", type=Path,
                    help="optional human per-scenario counts CSV, shown beside the automatic ones")
    return ap.parse_args(argv)


@cli_main
def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    graded = grade_files(args.paths, args.scenarios, args.cot_examples, args.labels)
    t1 = time.perf_counter()
    human = read_human_counts(args.human) if args.human else None
    command = "python ToM_Experiment/make_report.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    path = write_report(graded, args.out, command=command, human_counts=human)
    t2 = time.perf_counter()
    n = sum(g.n for g in graded)
    print(f"graded {n} answers in {len(graded)} files in {t1 - t0:.2f} s; report written in {t2 - t1:.2f} s: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
