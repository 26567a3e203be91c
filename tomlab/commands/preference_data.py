"""Generate an offline preference dataset (seeded; the same arguments rewrite the same bytes).

    python scripts/make_preference_data.py                      # the default: data/context_qa_pairs/
    python scripts/make_preference_data.py --out /tmp/x --train 500 --eval 50 --seed 7
    python scripts/make_preference_data.py --kind belief --out data/belief_qa_pairs   # the belief ablation

``context_qa`` (default): minimal pairs of in-context answers, no mental-state questions, eval split of held-out
families and templates (tomlab/data/generator.py). ``belief``: the ablation, belief questions
with style-contrast rejected answers (tomlab/data/belief/).

Also ``tom-preference-data`` (installed) or ``python -m tomlab.commands.preference_data``: the same flags.
"""

from __future__ import annotations

import argparse

from ..data import belief, generator
from ..data.loader import DEFAULT_DATASET
from ..errors import cli_main

KINDS = {"context_qa": (generator.write_dataset, generator.DEFAULT_TRAIN, generator.DEFAULT_EVAL, DEFAULT_DATASET),
         "belief": (belief.write_dataset, belief.BELIEF_TRAIN, belief.BELIEF_EVAL, None)}


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=sorted(KINDS), default="context_qa", help="which dataset (default context_qa)")
    ap.add_argument("--out", help="output folder (default: data/context_qa_pairs; required with --kind belief)")
    ap.add_argument("--train", type=int, help="training pairs (default 2000; belief 3000)")
    ap.add_argument("--eval", type=int, help="held-out pairs (default 300)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)
    write, n_train, n_eval, default_out = KINDS[args.kind]
    if args.out is None and default_out is None:
        ap.error(f"--kind {args.kind} needs --out (the default folder holds the default dataset)")
    out = args.out or default_out
    info = write(out, args.train or n_train, args.eval or n_eval, args.seed)
    if args.kind == "context_qa":
        print(f"wrote {info['train']} train and {info['eval']} eval pairs to {out}\n\n{info['separability']}")
    else:
        print(f"wrote the belief ablation set to {out} (train kinds: {info})")


if __name__ == "__main__":
    raise SystemExit(main())
