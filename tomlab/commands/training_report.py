"""Write the ToM training study's report from the evaluation battery's answers of several models (base, the three
ToM routes, any others) and, optionally, the ToM chain's run folder (the routes' metrics.json and curves):

  python ToM_Experiment/make_tom_training_report.py --answers runs/battery results/answers \\
      --base SmolLM2-135M-Instruct --chain runs/tom_training --out report/tom_training

In-distribution (ToMi-style) and transfer (16 scenarios, Strange Stories) tests in separate tables; paired tests
against the reference, Holm-corrected as one family, with the smallest detectable effect of each; the yes/no split;
ToMi per kind beside the shortcut heuristics; answer length; the routes' before/after; the correlation across models.

Also ``tom-training-report`` (installed) or ``python -m tomlab.commands.training_report``: the same flags.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..analysis.tom_training_report import write_tom_training_report
from ..errors import ToMLabError, cli_main
from ..grading.labels import DEFAULT_LABEL_STORE


def comparison(text: str) -> tuple[str, str]:
    model, sep, reference = text.partition("=")
    if not sep or not model.strip() or not reference.strip():
        raise ToMLabError(f"--compare {text}: expected MODEL=REFERENCE")
    return model.strip(), reference.strip()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--answers", type=Path, nargs="+", required=True,
                    help="folders holding the models' answer files (searched recursively; each file names its model)")
    ap.add_argument("--base", required=True, help="the reference model's name (as its answer files name it)")
    ap.add_argument("--compare", action="append", default=None, metavar="MODEL=REFERENCE",
                    help="a comparison (repeatable); default: every ...-ToM-SFT/DPO/GRPO model against --base, or "
                         "without such models every other model")
    ap.add_argument("--chain", type=Path, default=None, help="the ToM chain's run folder (train/tom-*/metrics.json)")
    ap.add_argument("--choices", default=None, help="how settings were chosen (default: a fixed paragraph: on the "
                                                    "validation split only)")
    ap.add_argument("--out", type=Path, default=Path("report/tom_training"), help="output folder (%(default)s)")
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABEL_STORE,
                    help="label store whose labels override the grader (default: %(default)s)")
    ap.add_argument("--n_boot", type=int, default=2000, help="bootstrap resamples of the correlation")
    ap.add_argument("--n_splits", type=int, default=500, help="random splits per split-half reliability")
    return ap.parse_args(argv)


@cli_main
def main(argv=None):
    args = parse_args(argv)
    comparisons = None if args.compare is None else [comparison(c) for c in args.compare]
    command = ("python ToM_Experiment/make_tom_training_report.py "
               + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)))
    path = write_tom_training_report(args.answers, args.out, args.base, chain_dir=args.chain,
                                     comparisons=comparisons, choices=args.choices, labels_path=args.labels,
                                     command=command, n_boot=args.n_boot, n_splits=args.n_splits)
    print(f"report written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
