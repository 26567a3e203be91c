"""The grading command's work on disk (``ToM_Experiment/grade_answers.py``, printed by :func:`tomlab.cli.grade_main`):
merge human labels into the label store, grade answer files, write one ``<name>.graded.json`` record per input and
export a CSV for human grading.

Inputs are only read: a graded record or an export that would land on an input file is refused, as is an export
over an existing CSV (it may hold human labels not imported yet) without ``force``; every such check is made before
anything is written.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..errors import ToMLabError
from ..io import atomic_write_json
from ..paths import GRADED_DIR
from ..scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS
from .files import GradedFile, grade_files, graded_file_json
from .labels import DEFAULT_LABEL_STORE, import_labels, load_label_store, write_labels_csv


@dataclass
class GradeSettings:
    """What to grade and where the records and the export go (the flags of ``grade_answers.py``)."""

    paths: list[Path] = field(default_factory=list)  # answer files or folders (searched recursively)
    scenarios: Path = DEFAULT_SCENARIOS  # questions and gold answers a file does not carry
    cot_examples: Path = DEFAULT_COT_EXAMPLES  # the chain-of-thought examples, to recognise example repetition
    out: Path = GRADED_DIR  # folder of the graded records
    write: bool = True  # write the graded records
    labels: Path = DEFAULT_LABEL_STORE  # label store whose labels override the grader's
    export_labels: Path | None = None  # CSV of one row per answer for human grading
    import_labels: Path | None = None  # filled-in CSV whose human labels are merged into the store first
    force: bool = False  # let export_labels replace an existing CSV


@dataclass
class GradingRun:
    """The graded files of one call and the records written for them."""

    graded: list[GradedFile]
    written: list[Path]  # the graded records written
    seconds: float  # time spent grading

    @property
    def n_answers(self) -> int:
        return sum(g.n for g in self.graded)

    def summary(self) -> dict:
        """The machine-readable result: per file model, prompting type, accuracy, per-scenario and label counts."""
        return {"files": [g.summary() for g in self.graded], "answers": self.n_answers,
                "seconds": round(self.seconds, 3), "graded_records": [str(p) for p in self.written]}


def record_targets(graded: list[GradedFile], out: Path) -> list[Path]:
    """``<out>/<stem>.graded.json`` per graded file; a stem seen before gets its folder's name in front."""
    names: set = set()
    targets = []
    for g in graded:
        stem = Path(g.path).stem
        if stem in names:  # same file name in two folders: keep both
            stem = f"{Path(g.path).parent.name}_{stem}"
        names.add(stem)
        targets.append(out / f"{stem}.graded.json")
    return targets


def run_grading(s: GradeSettings, log: TextIO = sys.stdout) -> GradingRun | None:
    """Import labels (if asked), grade ``s.paths``, write the records and the export; messages go to ``log``.
    None where there was only a label import to do."""
    if not s.paths and not s.import_labels:
        raise ToMLabError("give answer files or folders to grade (or --import-labels CSV)")
    if s.import_labels:
        n_rows, n_store = import_labels(s.import_labels, s.labels)
        print(f"imported {n_rows} human labels from {s.import_labels} into {s.labels} ({n_store} in the store)",
              file=log)
        if not s.paths:
            return None
    t0 = time.perf_counter()
    graded = grade_files(s.paths, s.scenarios, s.cot_examples, s.labels)
    run = GradingRun(graded, [], time.perf_counter() - t0)

    inputs = {Path(g.path).resolve() for g in graded}
    targets = record_targets(graded, s.out) if s.write else []
    for target in targets:
        if target.resolve() in inputs:
            raise ToMLabError(f"{target}: refusing to overwrite an input file; choose another --out")
    if s.export_labels:
        if s.export_labels.resolve() in inputs:
            raise ToMLabError(f"{s.export_labels}: refusing to overwrite an input file")
        if s.export_labels.exists() and not s.force:
            raise ToMLabError(f"{s.export_labels} exists (it may hold human labels not imported yet); import it with "
                              "--import-labels, or pass --force to replace it")
    for g, target in zip(graded, targets):
        atomic_write_json(target, graded_file_json(g))
        run.written.append(target)
    if s.export_labels:
        write_labels_csv(s.export_labels, graded, load_label_store(s.labels))
        print(f"exported {run.n_answers} answers to {s.export_labels}: fill in human_label (correct / incorrect / "
              f"inconclusive) and optionally human_behaviour, then run --import-labels {s.export_labels}", file=log)
    return run
