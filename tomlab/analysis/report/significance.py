"""The report's two significance tests over per-scenario correct counts: does the prompting type matter (paired,
Base vs each other type, Holm within a model), and is a condition biased towards yes or no (unpaired, yes- vs
no-scenarios).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...schema import BASE_PROMPTING, PROMPTINGS
from ...stats import holm, paired_ttest, unpaired_ttest
from .aggregate import Cell, cell_for, models_of


def prompting_tests(cells: Sequence[Cell]) -> list[dict]:
    """Paired t-test over per-scenario counts, Base vs each other prompting type, per model (Holm within model)."""
    rows = []
    for m in models_of(cells):
        base = cell_for(cells, m, BASE_PROMPTING)
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
