"""The report's markdown tables: accuracy (the table a run prints at its end), per scenario, the two tests, the
chance level, committed answers and answer behaviours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...formatting import fmt, fmt_p, markdown_table
from ...schema import BEHAVIOURS
from ...stats import significance_stars
from .aggregate import Cell, aggregate, cell_for, chance_level, models_of, promptings_of
from .published import model_key, published_for


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
    rows = []
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
        rows.append(row)
    return markdown_table(["Model", *proms], "l" + "r" * len(proms), rows)


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
    rows = []
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
        rows.append(row)
    tot = ["**Total**", ""]
    for c in mc:
        tot.append(f"**{c.correct}/{c.n}**")
        if human and (model_key(model), c.prompting) in human:
            tot.append(f"**{sum(human[(model_key(model), c.prompting)].values())}**")
    return markdown_table(head, "lc" + "r" * (len(head) - 2), [*rows, tot])


def tests_markdown(rows: list[dict]) -> str:
    """The paired tests of the prompting types (:func:`~.significance.prompting_tests`), one row each."""
    return markdown_table(
        ["Model", "Comparison", "mean Base", "mean other", "diff", "t", "df", "p", "p (Holm)", "d_z"], "ll" + "r" * 8,
        [[r["model"].replace("_", " "), r["comparison"], fmt(t.mean_a, 2), fmt(t.mean_b, 2), fmt(t.diff, 2),
          fmt(t.t, 2), int(t.df), fmt_p(t.p) + significance_stars(t.p), fmt_p(r["p_holm"]), fmt(t.effect, 2)]
         for r in rows for t in [r["test"]]])


def bias_markdown(rows: list[dict]) -> str:
    """The yes/no-bias tests (:func:`~.significance.yes_no_bias`), one row per model x prompting type."""
    return markdown_table(
        ["Model", "Prompting", "acc. yes-scenarios", "acc. no-scenarios", "share of 'yes' verdicts", "t", "p", "d",
         "bias"], "ll" + "r" * 6 + "l",
        [[r["model"].replace("_", " "), r["prompting"], fmt(r["acc_yes"], 2), fmt(r["acc_no"], 2),
          fmt(r["yes_rate"], 2), fmt(t.t, 2), fmt_p(t.p) + significance_stars(t.p), fmt(t.effect, 2), r["bias"]]
         for r in rows for t in [r["test"]]])


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
    rows = []
    for c in cells:
        v = c.verdicts()
        pct = f" ({100 * c.committed / c.n:.0f}%)" if c.n else ""
        rows.append([c.model.replace("_", " "), c.prompting, f"{c.committed}{pct}", v["yes"], v["no"], v["none"], c.n])
    return markdown_table(["Model", "Prompting", "committed to yes or no", "'yes'", "'no'", "no conclusion", "n"],
                          "ll" + "r" * 5, rows)


def behaviour_markdown(cells: Sequence[Cell]) -> str:
    """Answers per behaviour (:data:`tomlab.schema.BEHAVIOURS`, short names), one row per model x prompting type."""
    short = {"clear answer": "clear", "wrong conclusion": "wrong concl.",
             "multiple answers / hedging": "multiple / hedging", "question evasion": "evasion",
             "example repetition": "example rep.", "task deviation / rambling": "deviation / rambling"}
    rows = []
    for c in cells:
        b = c.behaviours()
        rows.append([c.model.replace("_", " "), c.prompting,
                     *(f"{b[k]} ({100 * b[k] / c.n:.0f}%)" if c.n else "0" for k in BEHAVIOURS), c.n])
    return markdown_table(["Model", "Prompting", *(short[b] for b in BEHAVIOURS), "n"],
                          "ll" + "r" * (len(BEHAVIOURS) + 1), rows)
