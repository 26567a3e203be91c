"""``accuracy.png``: accuracy per test and model with 95% Wilson intervals and each test's chance bar."""

from __future__ import annotations

from pathlib import Path

from ..report import pyplot, save_png
from .results import IN_DISTRIBUTION, TRANSFER, chance_bar, chance_of, group_of, tests_of


def figure_accuracy(models: dict, path: Path) -> None:
    """Accuracy per test and model with 95% Wilson intervals; in-distribution and transfer tests in two panels."""
    plt = pyplot()
    groups = [(g, [t for t in tests_of(models) if group_of(t) == g]) for g in (IN_DISTRIBUTION, TRANSFER)]
    groups = [(g, ts) for g, ts in groups if ts]
    names = list(models)
    fig, axes = plt.subplots(1, len(groups), figsize=(sum(1.2 * len(ts) + 1.5 for _, ts in groups) + 1, 4.2),
                             squeeze=False, gridspec_kw={"width_ratios": [len(ts) for _, ts in groups]})
    width = 0.8 / max(1, len(names))
    colours = plt.get_cmap("tab10")
    for ax, (group, tests) in zip(axes[0], groups):
        for j, model in enumerate(names):
            xs, ys, lo, hi = [], [], [], []
            for i, t in enumerate(tests):
                r = models[model].get(t)
                if r is None or not r.n:
                    continue
                low, high = r.ci
                xs.append(i + (j - (len(names) - 1) / 2) * width)
                ys.append(r.accuracy)
                lo.append(r.accuracy - low)
                hi.append(high - r.accuracy)
            ax.bar(xs, ys, width * 0.92, color=colours(j % 10), label=model, zorder=2)
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt="none", ecolor="#212121", elinewidth=1, capsize=2, zorder=3)
        for i, t in enumerate(tests):
            bar = chance_bar(chance_of(models, t))
            ax.plot([i - 0.45, i + 0.45], [bar, bar], color="#616161", ls="--", lw=1, zorder=4,
                    label="chance (best guesser)" if i == 0 else None)
        ax.set_xticks(range(len(tests)))
        ax.set_xticklabels([t.replace("16 scenarios ", "16 sc.\n") for t in tests], fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(group, fontsize=10)
        ax.grid(axis="y", color="#e0e0e0", zorder=0)
    axes[0][0].set_ylabel("accuracy (95% Wilson interval)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=min(4, len(labels)), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               frameon=False, fontsize=8)
    fig.tight_layout()
    save_png(fig, path)
