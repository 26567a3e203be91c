"""Generate the ToM training data (ToMi-style belief questions, open and yes/no form; seeded, same bytes each time).

    python scripts/make_tom_data.py                       # data/tom_training/{train,validation}.jsonl + README.md
    python scripts/make_tom_data.py --seed 3 --out /tmp/tom

Stories follow the eval generator's event rules in other words and sentences; the eval items
(data/tomi/tomi_items.jsonl) share nothing with them, which is checked before anything is written
(tomlab/data/tom_training.py, tomlab/data/leakage.py).

Also ``tom-training-data`` (installed) or ``python -m tomlab.commands.training_data``: the same flags.
"""

from __future__ import annotations

import argparse

from ..data import tom_training
from ..errors import cli_main


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(tom_training.DEFAULT_OUT), help="output folder (default data/tom_training)")
    ap.add_argument("--seed", type=int, default=tom_training.DEFAULT_SEED,
                    help=f"random seed (default {tom_training.DEFAULT_SEED})")
    args = ap.parse_args(argv)
    data = tom_training.write_dataset(args.out, args.seed)
    print(", ".join(f"{len(rows)} {split} rows" for split, rows in data.items()) + f" written to {args.out}")


if __name__ == "__main__":
    raise SystemExit(main())
