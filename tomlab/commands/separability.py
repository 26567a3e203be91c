"""How separable are chosen and rejected answers for a classifier that never sees the context?

Trains a linear context-free reward model (bag of words + length; length only; first word only) on a dataset's
train split and prints its pairwise accuracy on the eval split (0.5 = chance). Goal for the default data: at most
0.65 with bag of words + length.

    python scripts/check_separability.py                          # data/context_qa_pairs
    python scripts/check_separability.py --fresh 500              # also on fresh stories of the training templates
    python scripts/check_separability.py --data runs/finetune/preference_data   # e.g. with on-policy pairs

Also ``tom-separability`` (installed) or ``python -m tomlab.commands.separability``: the same flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..data.generator import DEFAULT_SEED, fresh_pairs, read_jsonl
from ..data.loader import DEFAULT_DATASET
from ..data.separability import format_report, report
from ..errors import ToMLabError, cli_main


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATASET), help="folder with train.jsonl and eval.jsonl")
    ap.add_argument("--fresh", type=int, default=0,
                    help="also test on this many freshly generated pairs of the training templates (default 0)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the dataset's seed (fresh pairs use seed + 1)")
    args = ap.parse_args(argv)
    folder = Path(args.data)
    train, evals = read_jsonl(folder / "train.jsonl"), read_jsonl(folder / "eval.jsonl")
    if not train or not evals:
        raise ToMLabError(f"--data {folder}: train.jsonl and eval.jsonl must both hold pairs")
    print(format_report(report(train, evals, fresh_pairs(args.seed, args.fresh) if args.fresh > 0 else None)))


if __name__ == "__main__":
    raise SystemExit(main())
