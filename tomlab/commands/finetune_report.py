"""Write the finetuning study's report: ToM accuracy of base / SFT / PPO / DPO with Holm-corrected paired tests,
each training stage's held-out measurements and curves, the preference data's separability and the chain's time.

  python ToM_Experiment/make_finetune_report.py --answers runs/finetune/answers --run runs/finetune \\
      --out report/finetune

Roles come from the model names: a name ending in -SFT, -PPO or -DPO is that stage's model, the other one the base.

Also ``tom-finetune-report`` (installed) or ``python -m tomlab.commands.finetune_report``: the same flags.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..analysis.finetune_report import write_finetune_report
from ..errors import cli_main
from ..grading import grade_files
from ..grading.labels import DEFAULT_LABEL_STORE


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--answers", type=Path, nargs="+", required=True,
                    help="the ToM answer files of the four models, or folders holding them")
    ap.add_argument("--run", type=Path, required=True, help="the chain's run folder (with chain.json)")
    ap.add_argument("--data", type=Path,
                    help="preference data folder (train.jsonl, eval.jsonl); default: the run's data/ if it exists, "
                         "else data/context_qa_pairs")
    ap.add_argument("--out", type=Path, default=Path("report/finetune"), help="output folder (default: %(default)s)")
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABEL_STORE,
                    help="label store whose labels override the grader (default: %(default)s)")
    return ap.parse_args(argv)


@cli_main
def main(argv=None):
    args = parse_args(argv)
    graded = grade_files(args.answers, labels_path=args.labels)
    command = ("python ToM_Experiment/make_finetune_report.py "
               + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)))
    path = write_finetune_report(graded, args.run, args.out, data_dir=args.data, command=command)
    print(f"report written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
