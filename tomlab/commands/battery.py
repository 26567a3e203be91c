"""The ToM evaluation battery of one model, into one answers folder, resumably: the 16 scenarios (four prompting
types, 20 sampled answers each), the held-out ToMi-style set (open and yes/no pair, greedy) and Strange Stories
(greedy). Running the same command again generates nothing; an interrupted battery resumes.

    python scripts/tom_battery.py --model embedded --out runs/battery                       # the base model
    python scripts/tom_battery.py --model runs/tom_training/models/SmolLM2-135M-Instruct-ToM-SFT --out runs/battery
    python scripts/tom_battery.py --model embedded --out /tmp/smoke --limit 2 --reps 1 --tokens 8   # smoke

Files: <out>/scenarios/<label>/... and <out>/benchmarks/{tomi,strange_stories}/<label>/...; the report reads them
(ToM_Experiment/make_tom_training_report.py).

Also ``tom-battery`` (installed) or ``python -m tomlab.commands.battery``: the same flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..analysis.battery import BatterySettings, format_battery, generated, run_battery
from ..errors import cli_main
from ..models import DTYPES


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="hub id, local folder, .gguf file, or 'embedded'")
    ap.add_argument("--out", type=Path, required=True, help="the answers folder")
    ap.add_argument("--label", default=None, help="the model's name in file names and reports (default: the "
                                                  "runners' name: the model's, with [chat] / [context])")
    ap.add_argument("--chat", action="store_true", help="wrap prompts in the chat template (default: raw prompts)")
    ap.add_argument("--prompt_format", default="scenario", choices=("scenario", "context"),
                    help="'context': the preference study's format (default: %(default)s)")
    ap.add_argument("--reps", type=int, default=20, help="answers per scenario and prompting type (default 20)")
    ap.add_argument("--tokens", type=int, default=128, help="max new tokens per answer (default 128)")
    ap.add_argument("--limit", type=int, default=None, help="smoke: the first N scenarios, ToMi items, stories")
    ap.add_argument("--tomi_limit", type=int, default=None,
                    help="only the first N ToMi items (default: as --limit; any first N keep every kind x belief cell)")
    ap.add_argument("--overwrite", action="store_true", help="ask every test anew (a retrained model, same label)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", default="auto", choices=DTYPES)
    ap.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    ap.add_argument("--batch_size", type=int, default=320, help="max answers decoded together")
    ap.add_argument("--no_progress", dest="progress", action="store_false", help="no progress bars")
    args = ap.parse_args(argv)
    summary = run_battery(BatterySettings(
        model=args.model, out=args.out, label=args.label, chat=args.chat, prompt_format=args.prompt_format,
        reps=args.reps, max_new_tokens=args.tokens, limit=args.limit, tomi_limit=args.tomi_limit,
        overwrite=args.overwrite, seed=args.seed, dtype=args.dtype,
        device=args.device, batch_size=args.batch_size, progress=args.progress))
    print(format_battery(summary))
    print(f"\n{summary['label']}: {generated(summary)} answers generated; answers under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
