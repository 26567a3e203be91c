"""The grader against a label set, answer by answer: agreement, Cohen's kappa and per-file accuracy difference.

Meant for the project's own label sets (``results/grading/project_labels_*.json``): answers read independently
of the grader and split into a ``tune`` half (rules may be tuned on it) and a ``test`` half (only measured). The
grader's own labels are compared (``auto_label``): a label set is never applied to the answers it is checked
against. Figures per split and for all labelled answers:

- three-label agreement (correct / incorrect / inconclusive) and its Cohen's kappa;
- correct-vs-not agreement (what accuracy counts) and its Cohen's kappa;
- per answer file: the grader's accuracy minus the labels' accuracy on the labelled answers, and the mean of
  its absolute value (goal on the test half: kappa >= 0.9 and mean |difference| <= 0.03).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..formatting import fmt, markdown_table
from ..grading import GradedFile
from ..grading.labels import SPLITS, LabelStore
from ..schema import LABELS
from ..stats import cohen_kappa

GOAL_KAPPA = 0.9
GOAL_FILE_MAE = 0.03


@dataclass(frozen=True)
class LabelPair:
    """One labelled answer: the grader's label and the label set's."""

    file: str
    split: str  # "tune" / "test" / "" (a label set without halves)
    scenario: int
    repetition: int
    grader: str
    label: str


def pair_labels(graded: Sequence[GradedFile], store: LabelStore) -> tuple[list[LabelPair], int]:
    """(pairs of grader and label for every labelled answer found, number of labels whose answer was not found:
    its file not given, or the answer changed since it was labelled)."""
    pairs = []
    for g in graded:
        for a in g.answers:
            rec = store.get(g.name, a.scenario, a.repetition, a.answer_id)
            if rec is not None:
                pairs.append(LabelPair(g.name, rec.get("split", ""), a.scenario, a.repetition, a.auto_label,
                                       rec["label"]))
    return pairs, len(store.labels) - len(pairs)


def _round(x: float, nd: int = 4):
    return None if math.isnan(x) else round(x, nd)


def agreement(pairs: Sequence[LabelPair]) -> dict:
    """The figures of one group of labelled answers (see the module docstring)."""
    if not pairs:
        return {"answers": 0}
    grader = [p.grader for p in pairs]
    label = [p.label for p in pairs]
    g_bin = [x == "correct" for x in grader]
    l_bin = [x == "correct" for x in label]
    files = []
    for name in sorted({p.file for p in pairs}):
        ps = [p for p in pairs if p.file == name]
        g_acc = sum(p.grader == "correct" for p in ps) / len(ps)
        l_acc = sum(p.label == "correct" for p in ps) / len(ps)
        files.append({"file": name, "answers": len(ps), "grader_accuracy": round(g_acc, 4),
                      "label_accuracy": round(l_acc, 4), "difference": round(g_acc - l_acc, 4)})
    mae = sum(abs(f["difference"]) for f in files) / len(files)
    kappa2 = cohen_kappa(g_bin, l_bin)
    return {
        "answers": len(pairs),
        "agreement": round(sum(x == y for x, y in zip(grader, label)) / len(pairs), 4),
        "kappa": _round(cohen_kappa(grader, label)),
        "correct_vs_not_agreement": round(sum(x == y for x, y in zip(g_bin, l_bin)) / len(pairs), 4),
        "correct_vs_not_kappa": _round(kappa2),
        "mean_abs_file_difference": round(mae, 4),
        "mean_signed_file_difference": round(sum(f["difference"] for f in files) / len(files), 4),
        "meets_goal": bool(not math.isnan(kappa2) and kappa2 >= GOAL_KAPPA and mae <= GOAL_FILE_MAE),
        "confusion": {lab: {gr: sum(1 for p in pairs if p.label == lab and p.grader == gr) for gr in LABELS}
                      for lab in LABELS},
        "files": files,
    }


def label_agreement(graded: Sequence[GradedFile], store: LabelStore) -> dict:
    """The grader against a label store, per split and for all its labelled answers."""
    pairs, unmatched = pair_labels(graded, store)
    splits = {s: agreement([p for p in pairs if p.split == s]) for s in SPLITS if any(p.split == s for p in pairs)}
    return {"source": store.source, "description": store.description, "provenance": store.provenance,
            "labels": len(store.labels), "matched": len(pairs), "unmatched": unmatched,
            "goal": {"correct_vs_not_kappa_min": GOAL_KAPPA, "mean_abs_file_difference_max": GOAL_FILE_MAE,
                     "on": "test"},
            "splits": splits, "all": agreement(pairs)}


def _file_cells(f: dict | None) -> list:
    """One split's four cells of a file's row; blank where the file has no labelled answer in that split."""
    if f is None:
        return ["", None, None, ""]
    return [f["answers"], f"{f['grader_accuracy']:.3f}", f"{f['label_accuracy']:.3f}", f"{f['difference']:+.3f}"]


def agreement_markdown(summary: dict) -> str:
    """The label-set section of validation.md."""
    groups = [(s, summary["splits"][s]) for s in summary["splits"]] + [("all", summary["all"])]
    lines = [f"## The grader against the label set `{summary['source']}`", "", summary["description"], ""]
    for k, v in (summary["provenance"] or {}).items():
        lines.append(f"- {k}: {v}")
    lines += ["", f"{summary['matched']} of its {summary['labels']} labels matched an answer of the graded files"
              + (f" ({summary['unmatched']} not found: file not given, or answer changed)." if summary["unmatched"]
                 else "."),
              f"Goal on the test half: Cohen's kappa (correct vs not) >= {GOAL_KAPPA} and mean |per-file accuracy "
              f"difference| <= {GOAL_FILE_MAE}. The grader's own labels are compared; the label set overrides "
              "nothing here.", "",
              markdown_table(["Split", "answers", "agreement (3 labels)", "kappa", "agreement (correct vs not)",
                              "kappa", "mean abs. file diff", "mean signed", "goal met"], "l" + "r" * 7 + "c",
                             [[name, a["answers"], f"{a['agreement']:.3f}", fmt(a["kappa"]),
                               f"{a['correct_vs_not_agreement']:.3f}", fmt(a["correct_vs_not_kappa"]),
                               f"{a['mean_abs_file_difference']:.3f}", f"{a['mean_signed_file_difference']:+.3f}",
                               "yes" if a["meets_goal"] else "no"] for name, a in groups if a["answers"]]),
              "Per answer file (accuracy on the labelled answers; difference = grader - labels):", ""]
    by_file: dict = {}
    for gi, (_, a) in enumerate(groups):
        for f in a.get("files", []):
            by_file.setdefault(f["file"], [None] * len(groups))[gi] = f
    confusion = summary["all"].get("confusion", {})
    rows = [[name, *(cell for f in fs for cell in _file_cells(f))] for name, fs in sorted(by_file.items())]
    lines += [markdown_table(["File", *(c for n, _ in groups for c in (f"{n} answers", "grader", "labels", "diff"))],
                             "l" + "r" * 4 * len(groups), rows),
              "Confusion (rows: label set, columns: grader), all labelled answers:", "",
              markdown_table(["label \\ grader", *LABELS], "l" + "r" * len(LABELS),
                             [[lab, *(row[g] for g in LABELS)] for lab, row in confusion.items()])]
    return "\n".join(lines)
