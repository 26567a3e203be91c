"""Grade every answer of ToM answer files: verdict, label (correct / incorrect / inconclusive), behaviour.

  python ToM_Experiment/grade_answers.py PATH...            # files or folders (searched recursively)
  python ToM_Experiment/grade_answers.py PATH... --json     # one machine-readable object on stdout
  python ToM_Experiment/grade_answers.py PATH... --export-labels labels.csv   # for human grading
  python ToM_Experiment/grade_answers.py --import-labels labels.csv [PATH...]  # human labels override

Inputs are only read; graded records go to --out (one <name>.graded.json per input file).

Also ``tom-grade`` (installed) or ``python -m tomlab.commands.grade``: the same flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..cli import grade_main
from ..errors import cli_main
from ..grading.command import GradeSettings
from ..grading.labels import DEFAULT_LABEL_STORE
from ..paths import GRADED_DIR
from ..scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, help="answer files or folders")
    ap.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS,
                    help="scenario file for questions/gold answers a file does not carry (default: %(default)s)")
    ap.add_argument("--cot-examples", type=Path, default=DEFAULT_COT_EXAMPLES,
                    help="the chain-of-thought examples, to recognise example repetition (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=GRADED_DIR,
                    help="folder for the graded records (default: %(default)s)")
    ap.add_argument("--no-write", action="store_true", help="do not write graded records")
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABEL_STORE,
                    help="label store; its labels override automatic ones (default: %(default)s)")
    ap.add_argument("--export-labels", type=Path, metavar="CSV", help="write one row per answer for human grading")
    ap.add_argument("--import-labels", type=Path, metavar="CSV",
                    help="merge the human labels of a filled-in CSV into the label store (before grading)")
    ap.add_argument("--force", action="store_true", help="let --export-labels replace an existing CSV")
    ap.add_argument("--json", action="store_true", help="print one JSON object (per file: model, prompting type, "
                    "accuracy, per_scenario_correct, label and behaviour counts)")
    return ap.parse_args(argv)


@cli_main
def main(argv=None):
    args = parse_args(argv)
    settings = GradeSettings(paths=args.paths, scenarios=args.scenarios, cot_examples=args.cot_examples, out=args.out,
                             write=not args.no_write, labels=args.labels, export_labels=args.export_labels,
                             import_labels=args.import_labels, force=args.force)
    return grade_main(settings, as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main())
