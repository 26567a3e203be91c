"""The whole finetuning study in one command (``make finetune`` / ``make finetune SMOKE=1 OUT=<dir>``).

    SFT -> merge -> [on-policy pairs] -> reward model -> merge -> PPO -> merge;  DPO (same SFT model) -> merge;
    ToM experiment (context format, 4 prompting types) on the base, SFT, PPO and DPO models; training curves.

    python scripts/finetune_chain.py --out runs/finetune                 # preset small: the embedded model, CPU
    python scripts/finetune_chain.py --out /tmp/ft_smoke --smoke         # preset smoke: a handful of steps
    python scripts/finetune_chain.py --out runs/gptj --preset gpt4all-j  # the original recipe (GPUs)

Running the same command again skips every stage whose merged model is complete. See tomlab/finetune/chain.py and
docs/finetuning.md.

Also ``tom-finetune-chain`` (installed) or ``python -m tomlab.commands.finetune_chain``: the same flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ToMLabError, cli_main
from ..finetune.chain import (
    FULL_REPS,
    SMOKE_EVAL_ARGS,
    SMOKE_ON_POLICY_ARGS,
    SMOKE_REPS,
    ChainSettings,
    run_chain,
)

ORIGINAL_MODEL = {"gpt4all-j": ("nomic-ai/gpt4all-j", "v1.3-groovy")}


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/finetune", help="run folder (default runs/finetune)")
    ap.add_argument("--smoke", action="store_true",
                    help="preset smoke, 1 ToM repetition of at most 48 tokens: the chain in minutes")
    ap.add_argument("--preset", default="small", help="stage recipes configs/recipes/<preset>/ (small | gpt4all-j)")
    ap.add_argument("--model_name", default=None,
                    help="base model (default: embedded; nomic-ai/gpt4all-j with --preset gpt4all-j)")
    ap.add_argument("--revision", default=None, help="hub revision of the base model")
    ap.add_argument("--dataset", help="preference data for every stage (default: the offline data in data/)")
    ap.add_argument("--reps", type=int, help=f"ToM repetitions per scenario (default {FULL_REPS}; smoke {SMOKE_REPS})")
    ap.add_argument("--on_policy_pairs", action=argparse.BooleanOptionalAction, default=True,
                    help="make on-policy pairs from the SFT model for the reward model and DPO (default: yes)")
    ap.add_argument("--skip_eval", action="store_true", help="stop after the last merge (no ToM experiment)")
    ap.add_argument("--stage_arg", dest="stage_args", action="append", default=[], metavar="ARG",
                    help="extra argument for every training stage (repeatable, e.g. --stage_arg=--max_steps=2)")
    ap.add_argument("--eval_arg", dest="eval_args", action="append", default=[], metavar="ARG",
                    help="extra argument for the ToM experiment (repeatable, e.g. --eval_arg=--tokens=64)")
    ap.add_argument("--on_policy_arg", dest="on_policy_args", action="append", default=[], metavar="ARG",
                    help="extra argument for the on-policy pairs script (repeatable)")
    args = ap.parse_args(argv)
    preset = "smoke" if args.smoke else args.preset
    model, revision = ORIGINAL_MODEL.get(preset, ("embedded", None))
    if args.reps is not None and args.reps < 1:
        raise ToMLabError("--reps must be at least 1")
    run_chain(ChainSettings(
        out=Path(args.out), preset=preset, model=args.model_name or model,
        revision=args.revision or (revision if args.model_name is None else None), dataset=args.dataset,
        reps=args.reps or (SMOKE_REPS if args.smoke else FULL_REPS), on_policy=args.on_policy_pairs,
        stage_args=args.stage_args,
        eval_args=(SMOKE_EVAL_ARGS if args.smoke else []) + args.eval_args,
        on_policy_args=(SMOKE_ON_POLICY_ARGS if args.smoke else []) + args.on_policy_args, skip_eval=args.skip_eval))


if __name__ == "__main__":
    raise SystemExit(main())
