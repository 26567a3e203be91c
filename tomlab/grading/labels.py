"""Label stores: labels read by people (or by the project's independent readers) that override the grader.

A label store is a JSON file ``{"description", "provenance", "labels": [...]}`` kept apart from the answer files
and the graded records, so regrading never loses a label. A label is attached to (file name, scenario id,
repetition, answer id) -- the answer id is a hash of the raw output, so a label never silently lands on a
different answer when a file is regenerated. The store's description and provenance travel with its labels: every
answer a store overrides names the store (``GradedAnswer.label_source``), so the original study's human labels
(``human_labels.json``, the default) and the project's own label sets (``project_labels_*.json``) are never
confused.

The CSV round trip: export one row per answer for human graders, import the filled-in rows back into a store.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..io import atomic_write_json, atomic_write_text
from ..paths import REPO_ROOT
from ..schema import BEHAVIOURS, LABELS

DEFAULT_LABEL_STORE = REPO_ROOT / "results" / "grading" / "human_labels.json"
HUMAN_STORE_DESCRIPTION = "human labels; they override the automatic grader in every table"
#: The halves of a project label set: rules may be tuned on "tune" answers only; "test" answers measure.
SPLITS = ("tune", "test")

CSV_COLUMNS = [
    "file", "model", "prompting", "scenario", "repetition", "answer_id", "question", "gold", "answer",
    "auto_verdict", "auto_label", "auto_behaviour", "human_label", "human_behaviour", "human_note",
]

# Accepted spellings of behaviours in a human column (case-insensitive).
_BEHAVIOUR_ALIASES = {b.lower(): b for b in BEHAVIOURS}
_BEHAVIOUR_ALIASES.update({
    "clear": "clear answer", "wrong": "wrong conclusion", "multiple answers": "multiple answers / hedging",
    "hedging": "multiple answers / hedging", "evasion": "question evasion", "rambling": "task deviation / rambling",
    "task deviation": "task deviation / rambling", "example": "example repetition",
})


def label_key(file: str, scenario: int, repetition: int, aid: str) -> str:
    """The key a label is attached to: (answer file name, scenario id, repetition, answer id)."""
    return f"{file}|{scenario}|{repetition}|{aid}"


@dataclass
class LabelStore:
    """The labels of one store, {label_key: record}, with where they come from."""

    labels: dict = field(default_factory=dict)
    description: str = HUMAN_STORE_DESCRIPTION
    provenance: dict | None = None  # who read the answers, how, from which files
    source: str = ""  # the store's path, as reports name it

    def get(self, file: str, scenario: int, repetition: int, aid: str) -> dict | None:
        return self.labels.get(label_key(file, scenario, repetition, aid))


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _check_record(path: Path, i: int, rec) -> dict:
    where = f"{path}: label #{i + 1}"
    if not isinstance(rec, dict):
        raise ToMLabError(f"{where} is not an object")
    missing = [k for k in ("file", "scenario", "repetition", "answer_id", "label") if k not in rec]
    if missing:
        raise ToMLabError(f"{where} has no {', '.join(missing)}")
    if isinstance(rec["scenario"], bool) or not isinstance(rec["scenario"], int) \
            or isinstance(rec["repetition"], bool) or not isinstance(rec["repetition"], int):
        raise ToMLabError(f"{where}: scenario/repetition are not integers")
    if rec["label"] not in LABELS:
        raise ToMLabError(f"{where}: label {rec['label']!r} is not one of {', '.join(LABELS)}")
    if rec.get("behaviour") and rec["behaviour"] not in BEHAVIOURS:
        raise ToMLabError(f"{where}: behaviour {rec['behaviour']!r} is not one of {'; '.join(BEHAVIOURS)}")
    if "split" in rec and rec["split"] not in SPLITS:
        raise ToMLabError(f"{where}: split {rec['split']!r} is not one of {', '.join(SPLITS)}")
    return rec


def load_label_store(path=DEFAULT_LABEL_STORE) -> LabelStore:
    """The labels of a store with its description and provenance; an absent store is empty."""
    path = Path(path)
    if not path.exists():
        return LabelStore(source=_display_path(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ToMLabError(f"{path}: label store is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
        raise ToMLabError(f"{path}: not a label store (expected an object with a 'labels' list)")
    labels = {}
    for i, rec in enumerate(data["labels"]):
        rec = _check_record(path, i, rec)
        labels[label_key(rec["file"], rec["scenario"], rec["repetition"], rec["answer_id"])] = rec
    provenance = data.get("provenance") if isinstance(data.get("provenance"), dict) else None
    return LabelStore(labels, str(data.get("description") or HUMAN_STORE_DESCRIPTION), provenance,
                      _display_path(path))


def save_label_store(store: LabelStore, path=DEFAULT_LABEL_STORE) -> None:
    recs = sorted(store.labels.values(), key=lambda r: (r["file"], int(r["scenario"]), int(r["repetition"])))
    data = {"description": store.description}
    if store.provenance:
        data["provenance"] = store.provenance
    atomic_write_json(path, {**data, "labels": recs})


def apply_labels(graded_files, store: LabelStore) -> int:
    """Let the store's labels override automatic ones in place; returns how many answers were overridden."""
    n = 0
    for g in graded_files:
        for a in g.answers:
            rec = store.get(g.name, a.scenario, a.repetition, a.answer_id)
            if rec is None:
                continue
            a.label = rec["label"]
            if rec.get("behaviour"):
                a.behaviour = rec["behaviour"]
            elif a.label != a.auto_label:
                # A label without a behaviour: keep the behaviour consistent with the new label.
                a.behaviour = {"correct": "clear answer", "incorrect": "wrong conclusion"}.get(
                    a.label, a.auto_behaviour if a.auto_label == "inconclusive" else "task deviation / rambling")
            if a.label == "correct":
                a.verdict = a.gold
            elif a.label == "incorrect":
                a.verdict = "no" if a.gold == "yes" else "yes"
            a.label_source = store.source
            n += 1
    return n


def export_labels_csv(graded_files, store: LabelStore | None = None) -> str:
    """One row per answer; existing labels of the store are filled in so that a round trip loses nothing."""
    store = store or LabelStore()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for g in graded_files:
        for a in g.answers:
            rec = store.get(g.name, a.scenario, a.repetition, a.answer_id) or {}
            w.writerow({
                "file": g.name, "model": g.model, "prompting": g.prompting, "scenario": a.scenario,
                "repetition": a.repetition, "answer_id": a.answer_id, "question": a.question, "gold": a.gold,
                "answer": a.answer if a.answer else a.output.strip(),
                "auto_verdict": a.verdict if a.label_source is None else "",
                "auto_label": a.auto_label, "auto_behaviour": a.auto_behaviour,
                "human_label": rec.get("label", ""), "human_behaviour": rec.get("behaviour", ""),
                "human_note": rec.get("note", ""),
            })
    return buf.getvalue()


def write_labels_csv(path, graded_files, store: LabelStore | None = None) -> None:
    atomic_write_text(path, export_labels_csv(graded_files, store))


def read_labels_csv(path) -> list[dict]:
    """Rows of a label CSV that carry a human label, validated; one clear error naming the culprit row."""
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ToMLabError(f"{path}: not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"file", "scenario", "repetition", "answer_id", "human_label"}
    if reader.fieldnames is None or not need <= set(reader.fieldnames):
        missing = sorted(need - set(reader.fieldnames or []))
        raise ToMLabError(f"{path}: not a label CSV (missing columns: {', '.join(missing)})")
    out = []
    for line, row in enumerate(reader, start=2):
        label = (row.get("human_label") or "").strip().lower()
        behaviour = (row.get("human_behaviour") or "").strip()
        note = (row.get("human_note") or "").strip()
        if not label:
            if behaviour:
                raise ToMLabError(f"{path}: line {line} has a human_behaviour but no human_label")
            continue
        if label not in LABELS:
            raise ToMLabError(f"{path}: line {line}: human_label {row['human_label']!r} is not one of "
                              f"{', '.join(LABELS)}")
        if behaviour:
            b = _BEHAVIOUR_ALIASES.get(behaviour.lower())
            if b is None:
                raise ToMLabError(f"{path}: line {line}: human_behaviour {behaviour!r} is not one of "
                                  f"{'; '.join(BEHAVIOURS)}")
            behaviour = b
        try:
            scenario, repetition = int(row["scenario"]), int(row["repetition"])
        except (TypeError, ValueError):
            raise ToMLabError(f"{path}: line {line}: scenario/repetition are not integers") from None
        if not (row.get("file") or "").strip() or not (row.get("answer_id") or "").strip():
            raise ToMLabError(f"{path}: line {line}: empty file or answer_id")
        out.append({"file": row["file"].strip(), "scenario": scenario, "repetition": repetition,
                    "answer_id": row["answer_id"].strip(), "label": label, "behaviour": behaviour, "note": note})
    return out


def import_labels(csv_path, store_path=DEFAULT_LABEL_STORE) -> tuple[int, int]:
    """Merge the labelled rows of a CSV into the store (a later import overrides the same answer); the store's
    description and provenance are kept.

    Returns (rows imported, labels in the store).  The CSV is only read.
    """
    rows = read_labels_csv(csv_path)
    store = load_label_store(store_path)
    for r in rows:
        store.labels[label_key(r["file"], r["scenario"], r["repetition"], r["answer_id"])] = r
    save_label_store(store, store_path)
    return len(rows), len(store.labels)
