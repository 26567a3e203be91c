"""The report's PNG figures (accuracy, scenario heatmap, behaviours, yes/no bias) and the matplotlib setup other
reports share (:func:`pyplot`, :func:`save_png`: byte-stable PNGs, written atomically).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

from ...io import atomic_write_bytes
from ...schema import BEHAVIOURS, PROMPTINGS
from ...stats import significance_stars
from .aggregate import Cell, cell_for, chance_level, models_of, promptings_of
from .published import published_for

BEHAVIOUR_COLOURS = {
    "clear answer": "#2e7d32",
    "wrong conclusion": "#c62828",
    "multiple answers / hedging": "#f9a825",
    "question evasion": "#6a1b9a",
    "example repetition": "#1565c0",
    "task deviation / rambling": "#8d6e63",
}
PROMPTING_COLOURS = dict(zip(PROMPTINGS, ("#546e7a", "#ef6c00", "#1e88e5", "#43a047"), strict=True))
#: Characters per line of a model name under its bars (longer names wrap instead of overlapping).
TICK_LABEL_WIDTH = 22


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
                         "savefig.dpi": 150, "figure.dpi": 100})
    return plt


def save_png(fig, path: Path) -> None:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    atomic_write_bytes(path, buf.getvalue())
    import matplotlib.pyplot as plt

    plt.close(fig)


def figure_accuracy(cells: Sequence[Cell], path: Path) -> None:
    plt = pyplot()
    models = models_of(cells)
    proms = promptings_of(cells)
    width = 0.8 / max(1, len(proms))
    fig, ax = plt.subplots(figsize=(max(6.5, 1.9 * len(models) + 2), 4.2))
    shown_pub = False
    for j, p in enumerate(proms):
        xs, ys, lo, hi = [], [], [], []
        for i, m in enumerate(models):
            c = cell_for(cells, m, p)
            if c is None or not c.n:
                continue
            a, (low, high) = c.accuracy, c.ci
            xs.append(i + (j - (len(proms) - 1) / 2) * width)
            ys.append(a)
            lo.append(a - low)
            hi.append(high - a)
            pub = published_for(m)
            if pub and p in pub:
                ax.plot([xs[-1]], [pub[p]], marker="D", ms=5, color="black", ls="none",
                        label="published (original report)" if not shown_pub else None, zorder=4)
                shown_pub = True
        ax.bar(xs, ys, width * 0.92, color=PROMPTING_COLOURS.get(p, None), label=p, zorder=2)
        ax.errorbar(xs, ys, yerr=[lo, hi], fmt="none", ecolor="#212121", elinewidth=1, capsize=3, zorder=3)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([textwrap.fill(m.replace("_", " "), TICK_LABEL_WIDTH) for m in models])
    chance = chance_level(cells)
    if chance["yes"] == chance["no"]:
        ax.axhline(chance["yes"], color="#757575", lw=1, ls="--", zorder=1)
        ax.text(len(models) - 0.5, chance["yes"] + 0.01, "chance (always the same word)", ha="right", va="bottom",
                fontsize=8, color="#616161")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (correct / answers)")
    ax.set_title("Accuracy per model and prompting type (95% Wilson intervals)")
    ax.grid(axis="y", color="#e0e0e0", zorder=0)
    ax.legend(ncol=min(5, len(proms) + 1), loc="upper center", bbox_to_anchor=(0.5, -0.17), frameon=False)
    save_png(fig, path)


def figure_heatmap(cells: Sequence[Cell], path: Path) -> None:
    plt = pyplot()
    import numpy as np

    sids = sorted({s for c in cells for s in c.scenario_ids()})
    gold = {}
    for c in cells:
        gold.update(c.gold())
    mat = np.full((len(sids), len(cells)), np.nan)
    counts = [[""] * len(cells) for _ in sids]
    for j, c in enumerate(cells):
        ps, pn = c.per_scenario(), c.per_scenario_n()
        for i, s in enumerate(sids):
            if s in pn and pn[s]:
                mat[i, j] = ps[s] / pn[s]
                counts[i][j] = str(ps[s])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 + 0.62 * len(cells)), 1.4 + 0.36 * len(sids)))
    im = ax.imshow(mat, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for i in range(len(sids)):
        for j in range(len(cells)):
            if counts[i][j]:
                v = mat[i, j]
                ax.text(j, i, counts[i][j], ha="center", va="center", fontsize=8,
                        color="white" if (v < 0.2 or v > 0.85) else "black")
    ax.set_yticks(range(len(sids)))
    ax.set_yticklabels([f"s{s} ({gold[s]})" for s in sids], fontsize=8)
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([c.prompting for c in cells], rotation=45, ha="right", fontsize=8)
    for sp in ax.spines.values():
        sp.set_visible(False)
    # model names above their block of columns, white separators between models
    start = 0
    for j in range(1, len(cells) + 1):
        if j == len(cells) or cells[j].model != cells[start].model:
            ax.text((start + j - 1) / 2, -0.7, cells[start].model.replace("_", " "), ha="center", va="bottom",
                    fontsize=9, fontweight="bold")
            if j < len(cells):
                ax.axvline(j - 0.5, color="white", lw=3)
            start = j
    cb = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cb.set_label("share correct")
    ax.set_title("Correct answers per scenario and condition\n(scenario id, gold answer in brackets)", pad=24,
                 fontsize=10)
    save_png(fig, path)


def figure_behaviours(cells: Sequence[Cell], path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 0.9 + 0.38 * len(cells)))
    labels = [f"{c.model.replace('_', ' ')} · {c.prompting}" for c in cells]
    left = [0.0] * len(cells)
    ys = list(range(len(cells)))[::-1]
    for b in BEHAVIOURS:
        vals = [c.behaviours()[b] / c.n if c.n else 0 for c in cells]
        ax.barh(ys, vals, left=left, color=BEHAVIOUR_COLOURS[b], label=b, height=0.75, edgecolor="white", lw=0.5)
        for y, x0, v in zip(ys, left, vals):
            if v >= 0.07:
                ax.text(x0 + v / 2, y, f"{100 * v:.0f}", ha="center", va="center", fontsize=7, color="white")
        left = [x0 + v for x0, v in zip(left, vals)]
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of answers (%)")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}"))
    ax.set_title("Answer behaviour per model and prompting type")
    fig.tight_layout()
    fig.legend(*ax.get_legend_handles_labels(), ncol=3, loc="upper center", bbox_to_anchor=(0.55, 0.0), frameon=False,
               fontsize=8)
    save_png(fig, path)


def figure_bias(rows: list[dict], path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.5, 0.62 * len(rows) + 2), 4.0))
    xs = range(len(rows))
    w = 0.38
    ay = [r["acc_yes"] for r in rows]
    an = [r["acc_no"] for r in rows]
    ax.bar([x - w / 2 for x in xs], ay, w, color="#1e88e5", label="yes-scenarios (gold 'yes')")
    ax.bar([x + w / 2 for x in xs], an, w, color="#e53935", label="no-scenarios (gold 'no')")
    for x, r in zip(xs, rows):
        stars = significance_stars(r["test"].p)
        if stars:
            top = max(r["acc_yes"], r["acc_no"], 0 if math.isnan(r["yes_rate"]) else r["yes_rate"])
            ax.text(x, top + 0.025, stars, ha="center", fontsize=10)
    ax.plot(list(xs), [r["yes_rate"] for r in rows], "k_", ms=14, mew=2, ls="none",
            label="share of 'yes' verdicts")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([f"{r['model'].replace('_', ' ')}\n{r['prompting']}" for r in rows], rotation=60, ha="right",
                       fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy")
    ax.set_title("Yes/no bias: accuracy on yes- vs no-scenarios\n(unpaired t-test over scenarios: "
                 "* p<0.05, ** p<0.01, *** p<0.001)", fontsize=10)
    ax.grid(axis="y", color="#e0e0e0", zorder=0)
    ax.set_axisbelow(True)
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.32), frameon=False, fontsize=8)
    save_png(fig, path)
