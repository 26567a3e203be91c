#!/usr/bin/env python
"""Grade every answer of ToM answer files: verdict, label (correct / incorrect / inconclusive), behaviour.

  python ToM_Experiment/grade_answers.py PATH...            # files or folders (searched recursively)
  python ToM_Experiment/grade_answers.py PATH... --json     # one machine-readable object on stdout
  python ToM_Experiment/grade_answers.py PATH... --export-labels labels.csv   # for human grading
  python ToM_Experiment/grade_answers.py --import-labels labels.csv [PATH...]  # human labels override

Inputs are only read; graded records go to --out (one <name>.graded.json per input file).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tomlab.analysis.report import accuracy_table_markdown, aggregate, chance_markdown
from tomlab.errors import ToMLabError, cli_main
from tomlab.grading import grade_files, graded_file_json
from tomlab.grading.labels import DEFAULT_LABEL_STORE, import_labels, load_label_store, write_labels_csv
from tomlab.io import atomic_write_json
from tomlab.paths import REPO_ROOT
from tomlab.scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS

DEFAULT_OUT = REPO_ROOT / "results" / "grading" / "graded"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, help="answer files or folders")
    ap.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS,
                    help="scenario file for questions/gold answers a file does not carry (default: %(default)s)")
    ap.add_argument("--cot-examples", type=Path, default=DEFAULT_COT_EXAMPLES,
                    help="the chain-of-thought examples, to recognise example repetition (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="folder for the graded records (default: %(default)s)")
    ap.add_argument("--no-write", action="store_true", help="do not write graded records")
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABEL_STORE,
                    help="label store; its labels override automatic ones (default: %(default)s)")
    ap.add_argument("--export-labels", type=Path, metavar="CSV", help="write one row per answer for human grading")
    ap.add_argument("--import-labels", type=Path, metavar="CSV",
                    help="merge the human labels of a filled-in CSV into the label store (before grading)")
    ap.add_argument("--force", action="store_true", help="let --export-labels replace an existing CSV")
    ap.add_argument("--json", action="store_true", help="print one JSON object (per file: model, prompting type, "
                    "accuracy, per_scenario_correct, label and behaviour counts)")
    return ap.parse_args(argv)


@cli_main
def main(argv=None):
    args = parse_args(argv)
    if not args.paths and not args.import_labels:
        raise ToMLabError("give answer files or folders to grade (or --import-labels CSV)")
    log = sys.stderr if args.json else sys.stdout
    if args.import_labels:
        n_rows, n_store = import_labels(args.import_labels, args.labels)
        print(f"imported {n_rows} human labels from {args.import_labels} into {args.labels} ({n_store} in the store)",
              file=log)
        if not args.paths:
            return 0
    t0 = time.perf_counter()
    graded = grade_files(args.paths, args.scenarios, args.cot_examples, args.labels)
    seconds = time.perf_counter() - t0
    n_answers = sum(g.n for g in graded)

    inputs = {Path(g.path).resolve() for g in graded}
    written = []
    if not args.no_write:
        names: dict = {}
        for g in graded:
            stem = Path(g.path).stem
            if stem in names:  # same file name in two folders: keep both
                stem = f"{Path(g.path).parent.name}_{stem}"
            names[stem] = g
            target = args.out / f"{stem}.graded.json"
            if target.resolve() in inputs:
                raise ToMLabError(f"{target}: refusing to overwrite an input file; choose another --out")
            atomic_write_json(target, graded_file_json(g))
            written.append(target)
    if args.export_labels:
        target = args.export_labels
        if target.resolve() in inputs:
            raise ToMLabError(f"{target}: refusing to overwrite an input file")
        if target.exists() and not args.force:
            raise ToMLabError(f"{target} exists (it may hold human labels not imported yet); import it with "
                              "--import-labels, or pass --force to replace it")
        write_labels_csv(target, graded, load_label_store(args.labels))
        print(f"exported {n_answers} answers to {target}: fill in human_label (correct / incorrect / inconclusive) "
              f"and optionally human_behaviour, then run --import-labels {target}", file=log)

    if args.json:
        print(json.dumps({"files": [g.summary() for g in graded], "answers": n_answers,
                          "seconds": round(seconds, 3), "graded_records": [str(p) for p in written]}, indent=2))
    else:
        for g in graded:
            flag = "" if g.complete else "  [INCOMPLETE run]"
            stored = f", {g.n_labelled} labels from {', '.join(g.label_sources())}" if g.n_labelled else ""
            print(f"{g.path}: {g.model} {g.prompting}: {g.n_correct}/{g.n} correct = {g.accuracy:.3f}{stored}{flag}")
        print()
        cells = aggregate(graded)
        print(accuracy_table_markdown(cells))
        print(chance_markdown(cells))
        if written:
            print(f"graded records: {args.out}/ ({len(written)} files)")
    print(f"graded {n_answers} answers in {len(graded)} files in {seconds:.2f} s", file=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
