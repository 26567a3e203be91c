"""The whole ToM training study in one resumable command (``make tom-study`` / ``make tom-study SMOKE=1``):

    ToM-SFT -> merge; ToM-DPO -> merge; GRPO -> merge   (each from the base model, data/tom_training)
    the evaluation battery (16 scenarios, held-out ToMi open + yes/no, Strange Stories; raw prompts) on the base model
    and on each route model [and on Gemma 3 270M]; the study's report <out>/report/REPORT.md

    python scripts/tom_study.py --out runs/tom_study                 # the embedded model: about 71 minutes alone
    python scripts/tom_study.py --out /tmp/tom_study_smoke --smoke   # recipes tom-smoke, a 2-item battery
    python scripts/tom_study.py --out runs/tom_study --with_gemma    # also Gemma 3 270M's battery, when installed

It prints an estimate before it starts, a line per step, and the wall and CPU time of every step at the end
(<out>/chain.json, <out>/summary.md). Running the same command again skips every finished step. To stay within 75
minutes the battery asks the first 96 of the 320 held-out ToMi items (--tomi_limit, 0 = all). See
tomlab/finetune/study.py and docs/finetuning.md.

Also ``tom-study`` (installed) or ``python -m tomlab.commands.study``: the same flags.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..errors import ToMLabError, cli_main
from ..finetune.chain import TOM_DATA, TOM_ROUTES
from ..finetune.study import PREFERENCE_ANSWERS, STUDY_TOMI_LIMIT, StudySettings, run_study
from ..models import EMBEDDED, resolve_model


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/tom_study", help="run folder (default runs/tom_study)")
    ap.add_argument("--smoke", action="store_true", help="recipes tom-smoke and a 2-item battery: every step runs")
    ap.add_argument("--routes", default=",".join(TOM_ROUTES),
                    help=f"comma-separated routes (default all: {','.join(TOM_ROUTES)})")
    ap.add_argument("--model_name", default=EMBEDDED, help="the base model of every route (default: embedded)")
    ap.add_argument("--dataset", default=str(TOM_DATA),
                    help="ToM items, train.jsonl + validation.jsonl (default: data/tom_training)")
    ap.add_argument("--with_gemma", action="store_true",
                    help="also the battery of Gemma 3 270M (raw prompts; skipped with a line when not installed)")
    ap.add_argument("--tomi_limit", type=int, default=STUDY_TOMI_LIMIT,
                    help=f"held-out ToMi items the battery asks, of 320 (default {STUDY_TOMI_LIMIT}; 0: all)")
    ap.add_argument("--preference_answers", default=None,
                    help=f"answer folder of the preference study, extra models in the report (default "
                         f"{PREFERENCE_ANSWERS.relative_to(PREFERENCE_ANSWERS.parents[1])}; --smoke and 'none': left "
                         "out, the smoke battery asks other scenarios)")
    ap.add_argument("--stage_arg", dest="stage_args", action="append", default=[], metavar="ARG",
                    help="extra argument for every route (repeatable, e.g. --stage_arg=--max_steps=2)")
    args = ap.parse_args(argv)
    routes = tuple(dict.fromkeys(r.strip() for r in args.routes.split(",") if r.strip()))
    if args.tomi_limit < 0:
        raise ToMLabError(f"--tomi_limit {args.tomi_limit}: must be 0 (all) or more")
    settings = StudySettings(
        out=Path(args.out).resolve(), smoke=args.smoke, routes=routes, model=args.model_name,
        dataset=str(Path(args.dataset).resolve()), with_gemma=args.with_gemma, tomi_limit=args.tomi_limit or None,
        preference_answers=(None if args.preference_answers == "none" or (args.smoke and not args.preference_answers)
                            else Path(args.preference_answers or PREFERENCE_ANSWERS)),
        stage_args=args.stage_args)
    settings.check()
    if args.model_name != EMBEDDED:
        resolve_model(args.model_name)  # a local folder that is no model: one line now, not a failed study later
    command = "python scripts/tom_study.py " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None
                                                                                  else argv))
    run_study(settings, command=command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
