"""The three ToM routes from the same base model, as one resumable chain (recipes configs/recipes/tom/):

    ToM-SFT -> merge;  ToM-DPO (minimal pairs, reference = the base) -> merge;  GRPO (verifiable reward) -> merge

    python scripts/tom_training_chain.py --out runs/tom_training             # the embedded model, data/tom_training
    python scripts/tom_training_chain.py --out /tmp/tom_smoke --smoke        # preset tom-smoke: a handful of steps
    python scripts/tom_training_chain.py --out runs/tom_training --routes grpo   # one route (added to the same run)

Each route measures held-out ToM prompts before and after (gold accuracy open and yes/no, answer length: its
metrics.json under <out>/train/tom-<route>/); the merged models go to <out>/models/. Running the same command again
skips every route whose merged model is complete. See tomlab/finetune/chain.py and docs/finetuning.md.

Also ``tom-training-chain`` (installed) or ``python -m tomlab.commands.training_chain``: the same flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ToMLabError, cli_main
from ..finetune.chain import TOM_DATA, TOM_ROUTES, ChainSettings, run_chain
from ..models import EMBEDDED, resolve_model


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/tom_training", help="run folder (default runs/tom_training)")
    ap.add_argument("--smoke", action="store_true", help="preset tom-smoke: every route in a handful of steps")
    ap.add_argument("--preset", default=None, help="stage recipes configs/recipes/<preset>/ (default tom)")
    ap.add_argument("--routes", default=",".join(TOM_ROUTES),
                    help=f"comma-separated routes to run (default all: {','.join(TOM_ROUTES)})")
    ap.add_argument("--model_name", default=EMBEDDED, help="the base model of every route (default: embedded)")
    ap.add_argument("--revision", default=None, help="hub revision of the base model")
    ap.add_argument("--dataset", default=str(TOM_DATA),
                    help="ToM items, train.jsonl + validation.jsonl (default: data/tom_training)")
    ap.add_argument("--stage_arg", dest="stage_args", action="append", default=[], metavar="ARG",
                    help="extra argument for every route (repeatable, e.g. --stage_arg=--max_steps=2)")
    args = ap.parse_args(argv)
    routes = tuple(dict.fromkeys(r.strip() for r in args.routes.split(",") if r.strip()))
    unknown = [r for r in routes if r not in TOM_ROUTES]
    if unknown or not routes:
        raise ToMLabError(f"--routes {args.routes}: no such route {', '.join(unknown) or '(none given)'} "
                          f"(routes: {', '.join(TOM_ROUTES)})")
    if args.smoke and args.preset:
        raise ToMLabError("--smoke and --preset exclude each other (--smoke is the preset tom-smoke)")
    if not Path(args.dataset).is_dir():
        raise ToMLabError(f"--dataset {args.dataset}: no such folder (the ToM items: train.jsonl + validation.jsonl)")
    if args.model_name != EMBEDDED:
        resolve_model(args.model_name)  # a local folder that is no model: one line now, not a failed chain later
    run_chain(ChainSettings(out=Path(args.out), preset="tom-smoke" if args.smoke else args.preset or "tom",
                            model=args.model_name, revision=args.revision, dataset=args.dataset, reps=0,
                            on_policy=False, stage_args=args.stage_args, skip_eval=True, routes=routes))


if __name__ == "__main__":
    raise SystemExit(main())
