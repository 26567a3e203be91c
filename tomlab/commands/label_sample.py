"""Draw the project's label set for small-model answers: stratified, seeded, split into a tuning and a test half.

    python scripts/sample_label_set.py results/answers_bf16/SmolLM2-135M-Instruct \
        results/answers_bf16/SmolLM2-135M-Instruct-chat --per_scenario 3 --seed 0 \
        --out results/grading/project_label_sample.json

Every answer file contributes ``per_scenario`` answers of each of its 16 scenarios (repetitions drawn with the seed);
within each file the drawn answers are shuffled and cut into two equal halves, ``tune`` and ``test``, before any
grading rule is changed. The worklist holds what a careful reader needs (context, question, gold answer, prompting
type, the answer) and never the grader's verdict, so labels made from it are independent of the grader.

Also ``tom-label-sample`` (installed) or ``python -m tomlab.commands.label_sample``: the same flags.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from ..errors import ToMLabError, cli_main
from ..grading import answer_id, collect_answer_files
from ..io import atomic_write_json
from ..models import repo_relative

SPLITS = ("tune", "test")


def sample(paths: list[Path], per_scenario: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        drawn = []
        for scen in data["scenarios"]:
            answers = scen["answers"]
            if len(answers) < per_scenario:
                raise ToMLabError(f"{path}: scenario {scen['scenario id']} has {len(answers)} answers, "
                                  f"fewer than --per_scenario {per_scenario}")
            for a in rng.sample(answers, per_scenario):
                drawn.append({"file": path.name, "path": repo_relative(path), "prompting": data["prompting"],
                              "chat": data.get("chat", False), "scenario": scen["scenario id"],
                              "repetition": a["repetition"], "answer_id": answer_id(a["output"]),
                              "context": scen["context"], "question": scen["question"],
                              "gold": scen["gold answer"], "answer": a["output"]})
        rng.shuffle(drawn)
        half = len(drawn) // 2
        for i, row in enumerate(drawn):
            row["split"] = SPLITS[0] if i < half else SPLITS[1]
        rows.extend(drawn)
    return rows


@cli_main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="answer files or folders")
    ap.add_argument("--per_scenario", type=int, default=3, help="answers drawn per file and scenario")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True, help="worklist JSON (refuses to overwrite)")
    args = ap.parse_args(argv)
    if args.out.exists():
        raise ToMLabError(f"--out {args.out}: exists; the split must be drawn once, before any rule changes")
    paths = collect_answer_files(args.paths)
    rows = sample(paths, args.per_scenario, args.seed)
    atomic_write_json(args.out, {"description": "project label set worklist: drawn answers, no grader verdicts",
                                 "command": "python scripts/sample_label_set.py " + " ".join(sys.argv[1:]),
                                 "per_scenario": args.per_scenario, "seed": args.seed, "rows": rows})
    print(f"{len(rows)} answers from {len(paths)} files -> {args.out} "
          f"({sum(r['split'] == 'tune' for r in rows)} tune, {sum(r['split'] == 'test' for r in rows)} test)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
