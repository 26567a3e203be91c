"""Which question kinds of the preference data can a model already read? Prints, per kind, how often the model's
own likelihood prefers the chosen answer on a seeded sample of TRAIN pairs, and the kinds at or above the threshold
(what ``question_kinds`` of the small reward/PPO/DPO recipes lists for the SFT model).

    python scripts/readable_kinds.py --model runs/finetune/models/SmolLM2-135M-Instruct-SFT     # 600 pairs, ~3 min

Also ``tom-readable-kinds`` (installed) or ``python -m tomlab.commands.readable_kinds``: the same flags.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..data.generator import read_jsonl
from ..data.loader import DEFAULT_DATASET
from ..data.readable import READABLE_THRESHOLD, kind_preference, readable_kinds, sample_pairs
from ..errors import ToMLabError, cli_main
from ..models import load_model, load_tokenizer, resolve_model


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a merged model folder, 'embedded' or a hub id")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATASET, help="folder with train.jsonl (default: %(default)s)")
    ap.add_argument("--pairs", type=int, default=600, help="train pairs to sample (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (default: %(default)s)")
    ap.add_argument("--threshold", type=float, default=READABLE_THRESHOLD,
                    help="share of pairs read for a kind to count (default: %(default)s)")
    ap.add_argument("--dtype", default="auto", help="model dtype (default: %(default)s)")
    args = ap.parse_args(argv)
    rows = read_jsonl(args.data / "train.jsonl") if (args.data / "train.jsonl").is_file() else []
    if not rows or any("kind" not in r for r in rows):
        raise ToMLabError(f"--data {args.data}: needs a train.jsonl whose pairs all have a 'kind' column")
    if args.pairs < 1 or not 0 < args.threshold <= 1:
        raise ToMLabError("--pairs must be at least 1 and --threshold in (0, 1]")
    path = resolve_model(args.model)
    model, tokenizer = load_model(path, dtype=args.dtype).eval(), load_tokenizer(path)
    rates = kind_preference(model, tokenizer, sample_pairs(rows, args.pairs, args.seed))
    for kind, (k, n) in rates.items():
        print(f"{kind:<18} {k / n:.2f}  ({k}/{n})")
    total = sum(k for k, _ in rates.values()), sum(n for _, n in rates.values())
    print(f"{'all':<18} {total[0] / total[1]:.2f}  ({total[0]}/{total[1]})")
    print(f"readable (>= {args.threshold:.2f}): {json.dumps(readable_kinds(rates, args.threshold))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
