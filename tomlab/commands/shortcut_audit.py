"""Shortcut audit: heuristic baselines (last/first-mentioned container, the object's real location, always yes/no)
and a story-blind classifier, per question kind and belief, on the ToMi-style eval items and the ToM training data.

    python scripts/shortcut_audit.py                       # results/tom_training/shortcuts/shortcuts.{md,json}
    python scripts/shortcut_audit.py --train other/train.jsonl --validation other/validation.jsonl --out /tmp/sc

Also ``tom-shortcut-audit`` (installed) or ``python -m tomlab.commands.shortcut_audit``: the same flags.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from ..analysis import shortcuts
from ..data.tom_training import DEFAULT_OUT
from ..errors import cli_main
from ..paths import REPO_ROOT
from ..tasks.tomi import DEFAULT_ITEMS


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=str(DEFAULT_OUT / "train.jsonl"), help="training rows (default: committed)")
    ap.add_argument("--validation", default=str(DEFAULT_OUT / "validation.jsonl"),
                    help="validation rows (default: committed)")
    ap.add_argument("--items", default=str(DEFAULT_ITEMS), help="eval items (default data/tomi/tomi_items.jsonl)")
    ap.add_argument("--out", default=str(REPO_ROOT / "results" / "tom_training" / "shortcuts"), help="output folder")
    args = ap.parse_args(argv)
    result = shortcuts.run(args.train, args.validation, args.items)
    command = shlex.join(["python", "scripts/shortcut_audit.py", *(sys.argv[1:] if argv is None else argv)])
    shortcuts.write_report(args.out, result, command)
    print(shortcuts.markdown(result).split("\n\n")[0])
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    raise SystemExit(main())
