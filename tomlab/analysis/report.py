"""Tables, tests and figures of the report, from graded answer files.

``accuracy_table_markdown(grade_files(paths))`` is the short model x prompting table the experiment runner
prints at the end of a run; ``write_report(...)`` writes ``REPORT.md`` and the PNG figures.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..grading import GRADER_VERSION, GradedFile
from ..io import atomic_write_bytes, atomic_write_text
from ..schema import BEHAVIOURS, PROMPTINGS
from ..stats import holm, paired_ttest, significance_stars, unpaired_ttest, wilson_interval

# Published accuracy of the original report (correct / 320), REFERENCE.md.
PUBLISHED_ACCURACY = {
    "GPT4All-J v1.3": {"Base": 0.51, "SbS": 0.31, "CoT": 0.46, "SbS+CoT": 0.45},
    "GPT4All-J PPO": {"Base": 0.62, "SbS": 0.35, "CoT": 0.53, "SbS+CoT": 0.49},
    "GPT4All-J DPO": {"Base": 0.27, "SbS": 0.35, "CoT": 0.49, "SbS+CoT": 0.60},
    "LLaMa2": {"Base": 0.34, "SbS": 0.43, "CoT": 0.56, "SbS+CoT": 0.58},
    "LLaMa2 Chat": {"Base": 0.28, "SbS": 0.57, "CoT": 0.67, "SbS+CoT": 0.78},
}
BEHAVIOUR_COLOURS = {
    "clear answer": "#2e7d32",
    "wrong conclusion": "#c62828",
    "multiple answers / hedging": "#f9a825",
    "question evasion": "#6a1b9a",
    "example repetition": "#1565c0",
    "task deviation / rambling": "#8d6e63",
}
PROMPTING_COLOURS = {"Base": "#546e7a", "SbS": "#ef6c00", "CoT": "#1e88e5", "SbS+CoT": "#43a047"}
#: Characters per line of a model name under its bars (longer names wrap instead of overlapping).
TICK_LABEL_WIDTH = 22


def model_key(name: str) -> str:
    """Normalize a model display name for matching ("GPT4All-J_v1.3" == "GPT4All-J v1.3")."""
    return re.sub(r"[\s_\-]+", " ", name).strip().lower()


def published_for(model: str) -> dict | None:
    key = model_key(model)
    for name, row in PUBLISHED_ACCURACY.items():
        if model_key(name) == key:
            return row
    return None


# ----------------------------------------------------------------------------------- aggregation


@dataclass
class Cell:
    """All graded files of one model x prompting type (several files of the same condition are pooled)."""

    model: str
    prompting: str
    files: list = field(default_factory=list)

    @property
    def answers(self) -> list:
        return [a for f in self.files for a in f.answers]

    @property
    def n(self) -> int:
        return sum(f.n for f in self.files)

    @property
    def correct(self) -> int:
        return sum(f.n_correct for f in self.files)

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else math.nan

    @property
    def ci(self) -> tuple:
        return wilson_interval(self.correct, self.n)

    @property
    def complete(self) -> bool:
        return all(f.complete for f in self.files)

    def per_scenario_counts(self) -> dict[int, tuple[int, int]]:
        """{scenario id: (correct answers, answers)}, the files' counts added up."""
        out: dict = {}
        for f in self.files:
            for s, (c, n) in f.per_scenario_counts().items():
                c0, n0 = out.get(s, (0, 0))
                out[s] = (c0 + c, n0 + n)
        return dict(sorted(out.items()))

    def scenario_ids(self) -> list:
        return list(self.per_scenario_counts())

    def per_scenario(self) -> dict:
        return {s: c for s, (c, _) in self.per_scenario_counts().items()}

    def per_scenario_n(self) -> dict:
        return {s: n for s, (_, n) in self.per_scenario_counts().items()}

    def gold(self) -> dict:
        return {a.scenario: a.gold for a in self.answers}

    def behaviours(self) -> dict:
        return {b: sum(f.behaviour_counts()[b] for f in self.files) for b in BEHAVIOURS}

    def verdicts(self) -> dict:
        """{"yes", "no", "none": answers}: how many answers commit to each conclusion (none: no conclusion)."""
        return {v: sum(f.verdict_counts()[v] for f in self.files) for v in ("yes", "no", "none")}

    @property
    def committed(self) -> int:
        """Answers that commit to a conclusion at all (yes or no, right or wrong)."""
        v = self.verdicts()
        return v["yes"] + v["no"]

    def yes_rate(self) -> float:
        return self.verdicts()["yes"] / self.committed if self.committed else math.nan


def _prompting_order(p: str) -> int:
    return PROMPTINGS.index(p) if p in PROMPTINGS else len(PROMPTINGS)


def aggregate(graded: Iterable[GradedFile]) -> list[Cell]:
    cells: dict = {}
    order: list = []
    for g in graded:
        key = (g.model, g.prompting)
        if key not in cells:
            cells[key] = Cell(g.model, g.prompting)
            if g.model not in order:
                order.append(g.model)
        cells[key].files.append(g)
    known = [model_key(m) for m in PUBLISHED_ACCURACY]

    def model_rank(m):  # the original report's order for its models, then the input order
        k = model_key(m)
        return (known.index(k), 0) if k in known else (len(known), order.index(m))

    return sorted(cells.values(), key=lambda c: (model_rank(c.model), _prompting_order(c.prompting)))


def models_of(cells: Sequence[Cell]) -> list:
    out = []
    for c in cells:
        if c.model not in out:
            out.append(c.model)
    return out


def promptings_of(cells: Sequence[Cell]) -> list:
    return sorted({c.prompting for c in cells}, key=_prompting_order)


def cell_for(cells, model, prompting) -> Cell | None:
    """The cell of one model x prompting type, or None."""
    return next((c for c in cells if c.model == model and c.prompting == prompting), None)


def fmt(x, nd=2) -> str:
    """A number with ``nd`` decimals; "n/a" for None or NaN."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def fmt_p(p) -> str:
    """A p-value with 3 decimals, "<0.001" below that; "n/a" for None or NaN."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# ------------------------------------------------------------------------------------------ tables


def accuracy_table_markdown(results, ci: bool = True, published: bool = False) -> str:
    """The graded model x prompting accuracy table (markdown).

    ``results``: the list returned by :func:`tomlab.grading.grade_files` (or cells from :func:`aggregate`).
    ``published``: add the original report's published accuracy under each value when the model is known
    (a ``<br>`` inside the cell: meant for rendered markdown, not for a terminal).
    """
    cells = results if results and isinstance(results[0], Cell) else aggregate(results)
    if not cells:
        return "(no graded answers)\n"
    proms = promptings_of(cells)
    head = ["Model"] + list(proms)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join([":--"] + ["--:"] * (len(head) - 1)) + "|"]
    for m in models_of(cells):
        row = [m.replace("_", " ")]
        pub = published_for(m) if published else None
        for p in proms:
            c = cell_for(cells, m, p)
            if c is None:
                row.append("")
            else:
                lo, hi = c.ci
                txt = f"{c.accuracy:.3f}"
                if ci:
                    txt += f" [{lo:.2f}, {hi:.2f}]"
                txt += f" ({c.correct}/{c.n})"
                if not c.complete:
                    txt += " incomplete"
                row.append(txt)
            if published:
                row[-1] += f"<br>published {pub[p]:.2f}" if pub and p in pub else ""
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def per_scenario_table_markdown(cells: Sequence[Cell], model: str, human: dict | None = None) -> str:
    """Correct answers per scenario (rows) and prompting type (columns) for one model, like the original."""
    mc = [c for c in cells if c.model == model]
    proms = [c.prompting for c in mc]
    sids = sorted({s for c in mc for s in c.scenario_ids()})
    gold, question = {}, {}
    for c in mc:
        for a in c.answers:
            gold.setdefault(a.scenario, a.gold)
            question.setdefault(a.scenario, a.question)
    head = ["Scenario", "Gold"]
    for p in proms:
        head.append(p)
        if human and (model_key(model), p) in human:
            head.append(f"{p} (human)")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join([":--", ":-:"] + ["--:"] * (len(head) - 2)) + "|"]
    for s in sids:
        q = question[s]
        q = q if len(q) <= 100 else q[:97] + "..."
        row = [f"{s}. {q}", gold[s]]
        for c in mc:
            ps, pn = c.per_scenario(), c.per_scenario_n()
            row.append(f"{ps.get(s, 0)}/{pn.get(s, 0)}" if s in pn else "")
            if human and (model_key(model), c.prompting) in human:
                hv = human[(model_key(model), c.prompting)].get(s)
                row.append("" if hv is None else str(hv))
        lines.append("| " + " | ".join(row) + " |")
    tot = ["**Total**", ""]
    for c in mc:
        tot.append(f"**{c.correct}/{c.n}**")
        if human and (model_key(model), c.prompting) in human:
            tot.append(f"**{sum(human[(model_key(model), c.prompting)].values())}**")
    lines.append("| " + " | ".join(tot) + " |")
    return "\n".join(lines) + "\n"


def prompting_tests(cells: Sequence[Cell]) -> list[dict]:
    """Paired t-test over per-scenario counts, Base vs each other prompting type, per model (Holm within model)."""
    rows = []
    for m in models_of(cells):
        base = cell_for(cells, m, "Base")
        if base is None:
            continue
        group = []
        for p in PROMPTINGS[1:]:
            other = cell_for(cells, m, p)
            if other is None:
                continue
            sids = sorted(set(base.scenario_ids()) & set(other.scenario_ids()))
            if len(sids) < 2:
                continue
            a = [base.per_scenario()[s] for s in sids]
            b = [other.per_scenario()[s] for s in sids]
            group.append({"model": m, "comparison": f"Base vs {p}", "prompting": p, "n_scenarios": len(sids),
                          "test": paired_ttest(a, b)})
        for r, ph in zip(group, holm([r["test"].p for r in group])):
            r["p_holm"] = ph
        rows.extend(group)
    return rows


def yes_no_bias(cells: Sequence[Cell]) -> list[dict]:
    """Unpaired t-test between the per-scenario counts of the yes- and the no-scenarios, per condition."""
    rows = []
    for c in cells:
        gold = c.gold()
        ps = c.per_scenario()
        pn = c.per_scenario_n()
        yes = [ps[s] for s in ps if gold[s] == "yes"]
        no = [ps[s] for s in ps if gold[s] == "no"]
        n_yes = sum(pn[s] for s in pn if gold[s] == "yes")
        n_no = sum(pn[s] for s in pn if gold[s] == "no")
        t = unpaired_ttest(no, yes)  # positive: better on yes-scenarios
        acc_yes = sum(yes) / n_yes if n_yes else math.nan
        acc_no = sum(no) / n_no if n_no else math.nan
        if math.isnan(t.p) or t.p >= 0.05:
            bias = "none (n.s.)"
        else:
            bias = "yes-bias" if t.diff > 0 else "no-bias"
        rows.append({"model": c.model, "prompting": c.prompting, "acc_yes": acc_yes, "acc_no": acc_no,
                     "yes_rate": c.yes_rate(), "test": t, "bias": bias})
    return rows


def tests_markdown(rows: list[dict]) -> str:
    lines = ["| Model | Comparison | mean Base | mean other | diff | t | df | p | p (Holm) | d_z |",
             "|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        t = r["test"]
        lines.append(f"| {r['model'].replace('_', ' ')} | {r['comparison']} | {fmt(t.mean_a)} | {fmt(t.mean_b)} | "
                     f"{fmt(t.diff, 2)} | {fmt(t.t)} | {int(t.df)} | {fmt_p(t.p)}{significance_stars(t.p)} | "
                     f"{fmt_p(r['p_holm'])} | {fmt(t.effect)} |")
    return "\n".join(lines) + "\n"


def bias_markdown(rows: list[dict]) -> str:
    lines = ["| Model | Prompting | acc. yes-scenarios | acc. no-scenarios | share of 'yes' verdicts | t | p | d "
             "| bias |",
             "|:--|:--|--:|--:|--:|--:|--:|--:|:--|"]
    for r in rows:
        t = r["test"]
        lines.append(f"| {r['model'].replace('_', ' ')} | {r['prompting']} | {fmt(r['acc_yes'])} | "
                     f"{fmt(r['acc_no'])} | {fmt(r['yes_rate'])} | {fmt(t.t)} | "
                     f"{fmt_p(t.p)}{significance_stars(t.p)} | {fmt(t.effect)} | {r['bias']} |")
    return "\n".join(lines) + "\n"


def chance_level(cells: Sequence[Cell]) -> dict:
    """What a model that always gives the same word scores: {"yes": accuracy, "no": accuracy, "yes_scenarios": n,
    "no_scenarios": n} over the scenarios asked (8 yes + 8 no in the study: 0.50 either way)."""
    gold: dict = {}
    for c in cells:
        gold.update(c.gold())
    n_yes = sum(1 for g in gold.values() if g == "yes")
    share = n_yes / len(gold) if gold else math.nan
    return {"yes": share, "no": 1 - share, "yes_scenarios": n_yes, "no_scenarios": len(gold) - n_yes}


def chance_markdown(cells: Sequence[Cell]) -> str:
    ch = chance_level(cells)
    if math.isnan(ch["yes"]):
        return ""
    level = "" if ch["yes"] != ch["no"] else f"Chance level {ch['yes']:.2f}: "
    return (f"{level}a model that always answers 'yes' scores {ch['yes']:.2f} and one that always answers 'no' "
            f"{ch['no']:.2f} on these {ch['yes_scenarios']} yes- and {ch['no_scenarios']} no-scenarios (with equal "
            "repetitions per scenario).")


def committed_markdown(cells: Sequence[Cell]) -> str:
    """Per model and prompting type: how many answers commit to any conclusion at all (yes or no, right or wrong)."""
    lines = ["| Model | Prompting | committed to yes or no | 'yes' | 'no' | no conclusion | n |",
             "|:--|:--|--:|--:|--:|--:|--:|"]
    for c in cells:
        v = c.verdicts()
        pct = f" ({100 * c.committed / c.n:.0f}%)" if c.n else ""
        lines.append(f"| {c.model.replace('_', ' ')} | {c.prompting} | {c.committed}{pct} | {v['yes']} | {v['no']} | "
                     f"{v['none']} | {c.n} |")
    return "\n".join(lines) + "\n"


def behaviour_markdown(cells: Sequence[Cell]) -> str:
    short = {"clear answer": "clear", "wrong conclusion": "wrong concl.",
             "multiple answers / hedging": "multiple / hedging", "question evasion": "evasion",
             "example repetition": "example rep.", "task deviation / rambling": "deviation / rambling"}
    lines = ["| Model | Prompting | " + " | ".join(short[b] for b in BEHAVIOURS) + " | n |",
             "|:--|:--|" + "--:|" * (len(BEHAVIOURS) + 1)]
    for c in cells:
        b = c.behaviours()
        lines.append(f"| {c.model.replace('_', ' ')} | {c.prompting} | "
                     + " | ".join(f"{b[k]} ({100 * b[k] / c.n:.0f}%)" if c.n else "0" for k in BEHAVIOURS)
                     + f" | {c.n} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------- figures


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


# ------------------------------------------------------------------------------------------ report


def read_human_counts(path) -> dict:
    """{(model key, prompting): {scenario id: count}} from a CSV with columns model, prompting, s1..sN."""
    import csv

    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    out = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = [c for c in (reader.fieldnames or []) if re.fullmatch(r"s\d+", c)]
        if not {"model", "prompting"} <= set(reader.fieldnames or []) or not cols:
            raise ToMLabError(f"{path}: expected columns model, prompting, s1, s2, ...")
        for line, row in enumerate(reader, start=2):
            try:
                out[(model_key(row["model"]), row["prompting"].strip())] = {int(c[1:]): int(row[c]) for c in cols}
            except (TypeError, ValueError):
                raise ToMLabError(f"{path}: line {line} has a non-integer count") from None
    return out


def write_report(graded: Sequence[GradedFile], out_dir, command: str = "", human_counts: dict | None = None) -> Path:
    """Write ``REPORT.md`` and its PNG figures into ``out_dir``; returns the report's path."""
    out = Path(out_dir)
    cells = aggregate(graded)
    if not cells:
        raise ToMLabError("no graded answers to report on")
    figs = {"accuracy": "accuracy.png", "heatmap": "scenario_heatmap.png", "behaviours": "behaviours.png",
            "bias": "yes_no_bias.png"}
    tests = prompting_tests(cells)
    bias = yes_no_bias(cells)
    figure_accuracy(cells, out / figs["accuracy"])
    figure_heatmap(cells, out / figs["heatmap"])
    figure_behaviours(cells, out / figs["behaviours"])
    figure_bias(bias, out / figs["bias"])

    n_answers = sum(c.n for c in cells)
    n_labelled = sum(f.n_labelled for c in cells for f in c.files)
    sources = sorted({s for c in cells for f in c.files for s in f.label_sources()})
    any_pub = any(published_for(m) for m in models_of(cells))
    md = ["# ToM experiment report", ""]
    if command:
        md += ["Generated by:", "", "```", command, "```", ""]
    md += [f"Grader: automatic (`tomlab.grading`, version {GRADER_VERSION}); "
           f"{n_answers} answers in {sum(len(c.files) for c in cells)} files"
           + (f"; {n_labelled} answers carry a label from {', '.join(f'`{x}`' for x in sources)} that overrides "
              "the automatic one." if n_labelled else "."),
           "Accuracy counts only correct answers; inconclusive answers (no verdict) count as not correct, as in "
           "the original report. See `docs/grading.md` for the grading rules and their validation against the "
           "human labels.", ""]
    incomplete = [f for c in cells for f in c.files if not f.complete]
    if incomplete:
        md += ["**Incomplete runs** (graded, but not every answer was generated):", ""]
        md += [f"- `{f.path}`: {f.model} {f.prompting}, {f.n} answers" for f in incomplete]
        md += [""]
    md += ["## 1. Accuracy", "",
           "Correct answers / all answers per model and prompting type, with 95% Wilson intervals"
           + (" and, where the model was in the original report, its published (hand-graded) accuracy." if any_pub
              else "."), "",
           accuracy_table_markdown(cells, ci=True, published=any_pub), "",
           chance_markdown(cells), "",
           f"![Accuracy per model and prompting type]({figs['accuracy']})", "",
           "Answers that commit to a conclusion at all (a 'yes' or a 'no' verdict, right or wrong; the rest are "
           "inconclusive: hedging, evasion, example repetition, rambling):", "",
           committed_markdown(cells), ""]
    md += ["## 2. Correct answers per scenario", "",
           "Correct answers out of the answers per scenario (20 per scenario in the original protocol)"
           + ("; the human graders' counts beside where available." if human_counts else "."), ""]
    for m in models_of(cells):
        md += [f"### {m.replace('_', ' ')}", "", per_scenario_table_markdown(cells, m, human_counts), ""]
    md += [f"![Correct answers per scenario and condition]({figs['heatmap']})", ""]
    md += ["## 3. Does the prompting type matter?", "",
           "Paired t-test over the per-scenario correct counts, Base vs each other prompting type "
           "(two-sided; p (Holm): Holm-Bonferroni over the three comparisons of a model; "
           "d_z: mean difference / SD of the differences; * p<0.05, ** p<0.01, *** p<0.001).", "",
           tests_markdown(tests) if tests else "_No model has a Base run and another prompting type._", ""]
    md += ["## 4. Yes/no bias", "",
           "Unpaired (Student) t-test between the per-scenario correct counts of the yes-scenarios and those of "
           "the no-scenarios; t > 0 means more correct answers on yes-scenarios, i.e. a tendency to answer "
           "'yes' (yes-bias). d: Cohen's d with the pooled SD. The share of 'yes' verdicts is taken over the "
           "answers that commit to yes or no.", "",
           bias_markdown(bias), "", f"![Yes/no bias]({figs['bias']})", ""]
    md += ["## 5. Answer behaviour", "",
           "Each answer's behaviour (grading rules in `docs/grading.md`): a clear correct answer, a wrong "
           "conclusion, multiple answers / hedging, question evasion (\"cannot be determined\"), example "
           "repetition (answering a chain-of-thought example instead of the question) or task deviation / "
           "rambling (no answer to the question at all).", "",
           behaviour_markdown(cells), "", f"![Answer behaviour]({figs['behaviours']})", ""]
    md += ["## Inputs", ""]
    md += [f"- `{f.path}`: {f.model}, {f.prompting}, {f.n} answers" + ("" if f.complete else " (incomplete)")
           for c in cells for f in c.files]
    md += [""]
    path = out / "REPORT.md"
    atomic_write_text(path, "\n".join(md))
    return path
