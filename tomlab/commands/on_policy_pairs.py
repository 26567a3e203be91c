"""On-policy preference pairs: sample answers from a model, judge them against the gold, pair right with wrong.

Writes --out as a dataset folder for every stage's --dataset: train.jsonl (the minimal pairs of --data plus the
on-policy pairs), eval.jsonl (the minimal eval pairs), on_policy.jsonl, on_policy_summary.json (written last).

    python scripts/make_on_policy_pairs.py --model runs/finetune/sft/merged --out runs/finetune/preference_data
    python scripts/make_on_policy_pairs.py --model embedded --n_prompts 50 --samples 4 --out /tmp/pairs

Also ``tom-on-policy-pairs`` (installed) or ``python -m tomlab.commands.on_policy_pairs``: the same flags.
"""

from __future__ import annotations

import argparse
import dataclasses

from ..data.loader import DEFAULT_DATASET
from ..data.on_policy import ON_POLICY_SAMPLING, build_on_policy_dataset
from ..errors import cli_main


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the model that answers (a merged SFT folder, or 'embedded')")
    ap.add_argument("--data", default=str(DEFAULT_DATASET), help="minimal pairs with the generator's gold "
                    "(default: data/context_qa_pairs)")
    ap.add_argument("--out", required=True, help="the dataset folder to write")
    ap.add_argument("--n_prompts", type=int, default=300, help="training prompts to answer (default 300)")
    ap.add_argument("--samples", type=int, default=4, help="answers per prompt (default 4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=ON_POLICY_SAMPLING.temperature)
    ap.add_argument("--batch_size", type=int, default=256, help="answers decoded together (default 256)")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--device")
    args = ap.parse_args(argv)
    sampling = dataclasses.replace(ON_POLICY_SAMPLING, temperature=args.temperature)
    summary = build_on_policy_dataset(args.model, args.out, args.data, n_prompts=args.n_prompts, samples=args.samples,
                                      seed=args.seed, sampling=sampling, batch_size=args.batch_size, dtype=args.dtype,
                                      device=args.device)
    s, n = summary["stats"], summary["sizes"]
    note = " (already there: nothing sampled)" if summary["skipped"] else ""
    print(f"{s['pairs']} on-policy pairs from {s['prompts']} prompts (yield {s['yield']:.2f}); "
          f"{s['judged']}/{s['answers']} answers judged, {s['correct']} correct; {s['new_tokens']} tokens in "
          f"{s['seconds']} s{note}\nwrote {args.out}: {n['train']} train pairs ({n['train_on_policy']} on-policy), "
          f"{n['eval']} eval pairs")


if __name__ == "__main__":
    raise SystemExit(main())
