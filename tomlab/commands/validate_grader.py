"""Fidelity of the automatic grader: against the original study's human per-scenario correct counts, and answer by
answer against a label set (the project's labels of small-model answers, split into tune and test halves).

  python ToM_Experiment/validate_grader.py ../shared/reference/original_answers \
      --human ../shared/reference/human_correct_counts.csv --holdout LLaMa2 --out results/grading
  python ToM_Experiment/validate_grader.py ../shared/reference/original_answers results/answers \
      --human ../shared/reference/human_correct_counts.csv --holdout LLaMa2 \
      --labels results/grading/project_labels_smollm2.json --out results/grading

With --human: per model x prompting cell, the automatic and human accuracy, their difference and the Pearson r of
the 16 per-scenario counts; then mean |accuracy difference|, worst cell and pooled ("per-scenario") Pearson r for
the held-out models (never used to develop the rules), the development models and all cells; and per scenario the
grader's and the humans' count in every cell with the difference, the mean |difference| and the worst cell.
With --labels: per split of the label set,
three-label and correct-vs-not agreement, Cohen's kappa of both, and per-file accuracy (grader minus labels).
Only the grader's own labels are compared: no label store overrides them here. Writes validation.json/.md (and
validation.png with --human) into --out.

Also ``tom-validate-grader`` (installed) or ``python -m tomlab.commands.validate_grader``: the same flags.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from ..analysis.agreement import label_agreement
from ..analysis.report import read_human_counts
from ..analysis.validation import compare, validation_markdown, validation_summary, write_validation
from ..errors import ToMLabError, cli_main
from ..grading import Grader, collect_answer_files, cot_items, grade_answer_file, scenario_items
from ..grading.labels import load_label_store
from ..paths import REPO_ROOT
from ..scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS

REF = REPO_ROOT.parent / "shared" / "reference"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, default=[REF / "original_answers"],
                    help="answer files or folders (default: %(default)s)")
    ap.add_argument("--human", type=Path, help="CSV: model, prompting, s1..s16 human correct counts")
    ap.add_argument("--holdout", nargs="*", default=["LLaMa2"],
                    help="models the grader was not developed on (default: %(default)s)")
    ap.add_argument("--labels", type=Path, help="a label store to compare the grader with, answer by answer "
                    "(e.g. results/grading/project_labels_smollm2.json)")
    ap.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS)
    ap.add_argument("--cot-examples", type=Path, default=DEFAULT_COT_EXAMPLES)
    ap.add_argument("--out", type=Path, help="write validation.json, validation.md (and validation.png) here")
    return ap.parse_args(argv)


@cli_main
def main(argv=None):
    args = parse_args(argv)
    if not args.human and not args.labels:
        raise ToMLabError("nothing to compare with: give --human COUNTS.csv and/or --labels LABELS.json")
    human = read_human_counts(args.human) if args.human else None
    store = load_label_store(args.labels) if args.labels else None
    if store is not None and not store.labels:
        raise ToMLabError(f"{args.labels}: no labels (no such file, or an empty store)")
    files = collect_answer_files(args.paths)
    items, grader = scenario_items(args.scenarios), Grader(cot_items(args.cot_examples))
    t0 = time.perf_counter()
    graded = [grade_answer_file(p, items, grader) for p in files]
    seconds = time.perf_counter() - t0
    cells = compare(graded, human, args.holdout) if human else []
    if human and not cells:
        raise ToMLabError(f"none of the graded files matches a model/prompting row of {args.human}")
    labels = label_agreement(graded, store) if store else None
    if labels and not labels["matched"]:
        raise ToMLabError(f"none of the {len(store.labels)} labels of {args.labels} matches an answer of the "
                          "graded files (give the answer files it was made from)")
    n = sum(g.n for g in graded)
    summary = validation_summary(cells, seconds, [str(p) for p in args.paths], n, labels)
    command = "python ToM_Experiment/validate_grader.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    print(validation_markdown(summary, command))
    print(f"graded {n} answers in {len(graded)} files in {seconds:.2f} s ({1000 * seconds / max(1, n):.2f} ms/answer)")
    if args.out:
        for p in write_validation(summary, cells, args.out, command):
            print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
