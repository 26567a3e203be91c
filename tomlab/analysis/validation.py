"""Fidelity of the automatic grader against human per-scenario correct counts (and, with a label set, answer by
answer: ``agreement.py``), written as validation.json / .md / .png.

Figures per model x prompting cell: automatic and human accuracy, their difference, Pearson r of the 16
per-scenario counts.  Per group of cells (held-out models, development models, all): mean absolute accuracy
difference, the pooled Pearson r of all per-scenario counts ("per-scenario r"; the goal: <= 0.03 and >= 0.95 on
models the grader was not developed on) and the worst cell. Per scenario (``scenario_agreement``): the grader's and
the humans' count in every cell, their differences, the mean |difference| per cell and the worst cell, so that a
rule that helps some scenarios and hurts another shows up even where the per-file figures stay level.  Only
automatic labels are compared -- label-store overrides are ignored here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..formatting import generated_by, markdown_table
from ..grading import GRADER_VERSION, GradedFile
from ..io import atomic_write_json, atomic_write_text
from ..schema import PROMPTINGS
from ..stats import pearson
from .agreement import agreement_markdown
from .report import model_key, pyplot, save_png

GOAL_MAE = 0.03
GOAL_R = 0.95


@dataclass
class CellFidelity:
    model: str
    prompting: str
    n: int
    auto: dict  # scenario -> automatic correct count
    human: dict  # scenario -> human correct count
    group: str  # "held-out" / "development"

    @property
    def auto_acc(self) -> float:
        return sum(self.auto.values()) / self.n

    @property
    def human_acc(self) -> float:
        return sum(self.human.values()) / self.n

    @property
    def diff(self) -> float:
        return self.auto_acc - self.human_acc

    @property
    def r(self) -> float:
        s = sorted(self.human)
        return pearson([self.auto.get(k, 0) for k in s], [self.human[k] for k in s])

    def as_dict(self) -> dict:
        r = self.r
        return {"model": self.model, "prompting": self.prompting, "group": self.group, "n": self.n,
                "auto_accuracy": round(self.auto_acc, 4), "human_accuracy": round(self.human_acc, 4),
                "difference": round(self.diff, 4), "pearson_r": None if math.isnan(r) else round(r, 4),
                "auto_per_scenario": {str(k): v for k, v in sorted(self.auto.items())},
                "human_per_scenario": {str(k): v for k, v in sorted(self.human.items())}}


def compare(graded: Sequence[GradedFile], human: dict, holdout: Sequence[str] = ()) -> list[CellFidelity]:
    """Cells present both in the graded files and in the human counts ({(model key, prompting): {sid: n}})."""
    hold = {model_key(m) for m in holdout}
    out = []
    for g in graded:
        key = (model_key(g.model), g.prompting)
        if key not in human:
            continue
        out.append(CellFidelity(g.model, g.prompting, g.n, g.per_scenario_correct(auto=True), human[key],
                                "held-out" if key[0] in hold else "development"))
    order = {p: i for i, p in enumerate(PROMPTINGS)}
    return sorted(out, key=lambda c: (c.group == "held-out", c.model, order.get(c.prompting, 9)))


def group_summary(cells: Sequence[CellFidelity]) -> dict:
    if not cells:
        return {"cells": 0}
    auto = [c.auto.get(s, 0) for c in cells for s in sorted(c.human)]
    hum = [c.human[s] for c in cells for s in sorted(c.human)]
    rs = [c.r for c in cells if not math.isnan(c.r)]
    mae = sum(abs(c.diff) for c in cells) / len(cells)
    r = pearson(auto, hum)
    return {"cells": len(cells), "models": sorted({c.model for c in cells}),
            "mean_abs_accuracy_difference": round(mae, 4),
            "max_abs_accuracy_difference": round(max(abs(c.diff) for c in cells), 4),
            "mean_signed_accuracy_difference": round(sum(c.diff for c in cells) / len(cells), 4),
            "pooled_pearson_r": None if math.isnan(r) else round(r, 4),
            "mean_cell_pearson_r": round(sum(rs) / len(rs), 4) if rs else None,
            "mean_abs_scenario_difference": round(sum(abs(a - h) for a, h in zip(auto, hum)) / len(auto), 3),
            "worst_scenario_cell": _worst(cells),
            "meets_goal": bool(mae <= GOAL_MAE and not math.isnan(r) and r >= GOAL_R)}


def _worst(cells: Sequence[CellFidelity]) -> dict:
    """The scenario x cell whose count is furthest from the humans' (the first such in cell order)."""
    c, s = max(((c, s) for c in cells for s in sorted(c.human)), key=lambda cs: abs(cs[0].auto.get(cs[1], 0)
                                                                                   - cs[0].human[cs[1]]))
    return {"model": c.model, "prompting": c.prompting, "scenario": s, "auto": c.auto.get(s, 0), "human": c.human[s],
            "difference": c.auto.get(s, 0) - c.human[s]}


def scenario_agreement(cells: Sequence[CellFidelity]) -> list[dict]:
    """Per scenario: the grader's and the humans' count in every cell, the totals, the mean |difference| per cell,
    the worst cell and the Pearson r over the cells."""
    out = []
    for s in sorted({s for c in cells for s in c.human}):
        have = [c for c in cells if s in c.human]
        auto, hum = [c.auto.get(s, 0) for c in have], [c.human[s] for c in have]
        diffs = [a - h for a, h in zip(auto, hum)]
        k = max(range(len(have)), key=lambda i: abs(diffs[i]))
        r = pearson(auto, hum) if len(have) > 2 else float("nan")
        out.append({"scenario": s, "auto_total": sum(auto), "human_total": sum(hum),
                    "difference": sum(auto) - sum(hum),
                    "mean_abs_cell_difference": round(sum(abs(d) for d in diffs) / len(diffs), 3),
                    "worst_cell": {"model": have[k].model, "prompting": have[k].prompting, "difference": diffs[k]},
                    "pearson_r_over_cells": None if math.isnan(r) else round(r, 4),
                    "cells": [{"model": c.model, "prompting": c.prompting, "group": c.group, "auto": a, "human": h,
                               "difference": a - h} for c, a, h in zip(have, auto, hum)]})
    return out


def validation_summary(cells: Sequence[CellFidelity], seconds: float | None = None, sources=(),
                       answers: int | None = None, labels: dict | None = None) -> dict:
    """Everything validation.json holds; ``answers``: how many were graded (default: those of the cells);
    ``labels``: the grader against a label set (``agreement.label_agreement``)."""
    return {
        "grader_version": GRADER_VERSION,
        "goal": {"mean_abs_accuracy_difference_max": GOAL_MAE, "pooled_pearson_r_min": GOAL_R},
        "held_out": group_summary([c for c in cells if c.group == "held-out"]),
        "development": group_summary([c for c in cells if c.group == "development"]),
        "all": group_summary(cells),
        "cells": [c.as_dict() for c in cells],
        "scenarios": scenario_agreement(cells),
        "grading_seconds": None if seconds is None else round(seconds, 3),
        "answers": sum(c.n for c in cells) if answers is None else answers,
        "sources": list(sources),
        "label_set": labels,
    }


def validation_markdown(summary: dict, command: str = "") -> str:
    lines = ["# Validation of the automatic grader", "", *generated_by(command)]
    lines += [f"Grader version {summary['grader_version']}; {summary['answers']} answers graded in "
              f"{summary['grading_seconds']} s.", ""]
    if summary["all"].get("cells"):
        lines += _cells_markdown(summary)
    if summary.get("label_set"):
        lines += ["", agreement_markdown(summary["label_set"])]
    return "\n".join(lines) + "\n"


def _cells_markdown(summary: dict) -> list[str]:
    def grp(name, g):
        if not g.get("cells"):
            return [name, 0, *[None] * 6]
        w = g["worst_scenario_cell"]
        return [f"{name} ({', '.join(g['models'])})", g["cells"], f"{g['mean_abs_accuracy_difference']:.4f}",
                f"{g['max_abs_accuracy_difference']:.4f}", f"{g['pooled_pearson_r']:.4f}",
                f"{g['mean_cell_pearson_r']:.3f}", f"{g['mean_abs_scenario_difference']:.2f} (worst: s{w['scenario']} "
                f"{w['model']} {w['prompting']} {w['difference']:+d})", "yes" if g["meets_goal"] else "no"]

    rows = []
    for c in summary["cells"]:
        d = " ".join(
            (f"{c['auto_per_scenario'].get(s, 0) - h:+d}" if c['auto_per_scenario'].get(s, 0) != h else ".")
            for s, h in c["human_per_scenario"].items())
        r = "n/a" if c["pearson_r"] is None else f"{c['pearson_r']:.3f}"
        rows.append([c["model"], c["prompting"], c["group"], f"{c['auto_accuracy']:.3f}",
                     f"{c['human_accuracy']:.3f}", f"{c['difference']:+.3f}", r, f"`{d}`"])

    lines = ["## Per-scenario counts of the original study's human graders", "",
             f"Goal: mean |accuracy difference| <= {GOAL_MAE} and pooled "
             f"Pearson r of the per-scenario counts >= {GOAL_R} on models the grader was not developed on.", "",
             "Per-scenario r: the Pearson r of all per-scenario counts of the group's cells, pooled.", "",
             markdown_table(["Cells", "n", "mean abs. acc. diff", "worst cell (abs. acc. diff)",
                             "per-scenario r (pooled)", "mean per-cell r", "mean abs. count diff per scenario and cell",
                             "goal met"], "l" + "r" * 6 + "c",
                            [grp("held-out", summary["held_out"]), grp("development", summary["development"]),
                             grp("all", summary["all"])]),
             "### Per cell", "",
             markdown_table(["Model", "Prompting", "group", "auto acc.", "human acc.", "diff", "r (16 scenarios)",
                             "per-scenario auto - human"], "lll" + "r" * 4 + "l", rows).removesuffix("\n")]
    return lines + _scenarios_markdown(summary.get("scenarios", []))


def _scenarios_markdown(scenarios: list[dict]) -> list[str]:
    """The per-scenario agreement table: for every scenario the grader's / the humans' count in every cell."""
    if not scenarios:
        return []
    cells = scenarios[0]["cells"]
    rows = []
    for sc in scenarios:
        by = {(c["model"], c["prompting"]): c for c in sc["cells"]}
        entries = []
        for c in cells:
            x = by.get((c["model"], c["prompting"]))
            entries.append("" if x is None else f"{x['auto']}/{x['human']}"
                           + (f" ({x['difference']:+d})" if x["difference"] else ""))
        w, r = sc["worst_cell"], sc["pearson_r_over_cells"]
        rows.append([sc["scenario"], *entries, f"{sc['auto_total']} / {sc['human_total']} ({sc['difference']:+d})",
                     f"{sc['mean_abs_cell_difference']:.2f}", f"{w['model']} {w['prompting']} {w['difference']:+d}",
                     "n/a" if r is None else f"{r:.3f}"])
    head = [f"{c['model'].replace('_', ' ')} {c['prompting']}" for c in cells]
    return ["", "### Per scenario", "",
            "Correct answers per scenario and cell, grader / humans (the difference where they differ), then the "
            "totals over the cells, the mean |difference| per cell, the worst cell and the Pearson r over the cells.",
            "", markdown_table(["Scenario", *head, "total grader / humans", "mean abs. diff", "worst cell", "r"],
                               "l" + "c" * len(cells) + "rrlr", rows).removesuffix("\n")]


def figure_validation(cells: Sequence[CellFidelity], path: Path) -> None:
    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [1, 1.35]})
    ax = axes[0]
    markers = dict(zip(PROMPTINGS, ("o", "s", "^", "D"), strict=True))
    models = sorted({c.model for c in cells})
    colours = dict(zip(models, ["#1e88e5", "#e53935", "#43a047", "#8e24aa", "#fb8c00", "#6d4c41"]))
    for c in cells:
        s = sorted(c.human)
        ax.scatter([c.human[k] for k in s], [c.auto.get(k, 0) for k in s], s=18, alpha=0.6,
                   marker=markers.get(c.prompting, "o"), color=colours[c.model])
    mx = max([max(c.human.values()) for c in cells] + [20])
    ax.plot([0, mx], [0, mx], color="#9e9e9e", lw=1, ls="--", zorder=0)
    ax.set_xlabel("human graders")
    ax.set_ylabel("automatic grader")
    ax.set_title("Correct answers per scenario\n(one point per scenario and condition)", fontsize=10)
    ax.set_aspect("equal")
    handles = [Line2D([], [], color=colours[m], marker="o", ls="none", label=m.replace("_", " ")) for m in models]
    handles += [Line2D([], [], color="#616161", marker=mk, ls="none", label=p) for p, mk in markers.items()]
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="upper left")
    ax = axes[1]
    xs = list(range(len(cells)))
    ax.bar([x - 0.2 for x in xs], [c.human_acc for c in cells], 0.4, color="#9e9e9e")
    ax.bar([x + 0.2 for x in xs], [c.auto_acc for c in cells], 0.4,
           color=["#1e88e5" if c.group == "development" else "#e53935" for c in cells])
    for x, c in zip(xs, cells):
        ax.text(x + 0.2, c.auto_acc + 0.01, f"{round(c.diff, 2) + 0.0:+.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{c.model.replace('_', ' ')} · {c.prompting}" for c in cells], rotation=55, ha="right",
                       fontsize=8)
    ax.set_ylim(0, 0.8)
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy per condition (label: automatic - human)", fontsize=10)
    ax.legend(handles=[Patch(color="#9e9e9e", label="human"), Patch(color="#1e88e5", label="automatic, development"),
                       Patch(color="#e53935", label="automatic, held-out")], fontsize=8, frameon=False, ncol=3,
              loc="upper center")
    ax.grid(axis="y", color="#e0e0e0")
    ax.set_axisbelow(True)
    fig.tight_layout()
    save_png(fig, path)


def write_validation(summary: dict, cells, out_dir, command: str = "") -> list[Path]:
    """validation.json and validation.md, and validation.png where there are human counts to plot."""
    out = Path(out_dir)
    paths = [out / "validation.json", out / "validation.md"]
    md = validation_markdown(summary, command)
    if cells:
        paths.append(out / "validation.png")
        figure_validation(cells, paths[2])
        md += "\n![validation](validation.png)\n"
    atomic_write_json(paths[0], summary)
    atomic_write_text(paths[1], md)
    return paths
