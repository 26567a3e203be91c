"""Which models are compared, and the paired tests of a model against its reference.

Every compared model against its reference (default: every route model, else every other model, against the base)
on every test the model has: a paired t-test over the 16 scenarios' accuracies per prompting type, and over the 0/1
item scores (the share of an item's answers that were right) of ToMi and Strange Stories; all of them Holm-corrected
as one family, each with the smallest mean difference it could have detected at 80% power at ALPHA and at ALPHA / m.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence

from ...errors import ToMLabError
from ...formatting import fmt, fmt_p, markdown_table
from ...stats import detectable_difference, holm, paired_ttest
from .results import ROUTES, TEST_ORDER, chance_bar, group_of, route_of

ALPHA = 0.05


def order_models(models: dict, base: str) -> dict:
    """The base first, then the route models (SFT, DPO, GRPO), then the others as found."""
    rank = {r: i for i, r in enumerate(ROUTES, 1)}
    key = lambda m: 0 if m == base else rank.get(route_of(m), len(rank) + 1)  # noqa: E731
    return {m: models[m] for m in sorted(models, key=key)}


def default_comparisons(models: dict, base: str) -> list[tuple[str, str]]:
    """Every route model against the base; without route models, every other model against it."""
    routes = [m for m in models if m != base and route_of(m)]
    return [(m, base) for m in (routes or [m for m in models if m != base])]


def check_comparisons(models: dict, base: str, comparisons: Sequence[tuple[str, str]]) -> None:
    names = ", ".join(models)
    if base not in models:
        raise ToMLabError(f"--base {base}: no answers of that model (models found: {names})")
    for model, reference in comparisons:
        for m in (model, reference):
            if m not in models:
                raise ToMLabError(f"--compare {model}={reference}: no answers of {m} (models found: {names})")
        missing = [t for t in models[model] if t not in models[reference]]
        if missing:
            raise ToMLabError(f"{reference} has no answers for {', '.join(missing)}, which {model} has: the "
                              "comparison needs both")
    for m in models:
        if route_of(m):
            missing = [t for t in TEST_ORDER if t not in models[m]]
            if missing:
                raise ToMLabError(f"route model {m} has no answers for {', '.join(missing)} (run the battery)")


def compare(models: dict, comparisons: Sequence[tuple[str, str]]) -> list[dict]:
    """Paired tests of model against reference on every test the model has; Holm over all as one family of the m
    tests with a defined p. Each row holds the smallest mean difference its test could have detected at 80% power,
    at ALPHA (``detectable``) and at ALPHA / m (``detectable_holm``, the strictest step of Holm's procedure)."""
    rows = []
    for model, reference in comparisons:
        for test, result in models[model].items():
            ref = models[reference][test]
            shared = [i for i in ref.shares if i in result.shares]
            if not shared:
                raise ToMLabError(f"{model} and {reference} share no {test} item (other item sets)")
            a = [ref.shares[i] for i in shared]
            b = [result.shares[i] for i in shared]
            diffs = [y - x for x, y in zip(a, b)]
            sd = statistics.stdev(diffs) if len(diffs) > 1 else math.nan
            result_t = paired_ttest(a, b)
            if sd == 0 and diffs[0] != 0:  # every pair differs by the same amount: t is infinite, p its limit 0
                result_t = dataclasses.replace(result_t, t=math.copysign(math.inf, diffs[0]), p=0.0)
            rows.append({"model": model, "reference": reference, "test": test, "group": group_of(test),
                         "n": len(shared), "test_result": result_t, "sd": sd,
                         "accuracy": result.accuracy, "reference_accuracy": ref.accuracy,
                         "low": result.ci[0], "chance_bar": chance_bar(result.chance)})
    family = sum(not math.isnan(r["test_result"].p) for r in rows)
    for row, p_holm in zip(rows, holm([r["test_result"].p for r in rows])):
        row["p_holm"] = p_holm
        row["significant"] = not math.isnan(p_holm) and p_holm < ALPHA
        row["detectable"] = detectable_difference(row["sd"], row["n"], ALPHA)
        row["detectable_holm"] = detectable_difference(row["sd"], row["n"], ALPHA / family) if family else math.nan
        row["family"] = family
    return rows


def _no_spread(row: dict) -> str:
    diff = row["test_result"].diff
    return ("sd of differences 0: identical on every item, no test" if diff == 0 else
            f"sd of differences 0: every item differs by {diff:+.3f}, t infinite, p 0")


def comparisons_markdown(rows: list[dict], group: str) -> str:
    rows = [r for r in rows if r["group"] == group]
    if not rows:
        return "_No comparison on these tests._\n"
    table = []
    for r in rows:
        t = r["test_result"]
        note = f" ({_no_spread(r)})" if r["sd"] == 0 else ""
        table.append([f"{r['model']} vs {r['reference']}", r["test"], r["n"], fmt(t.mean_a, 3), fmt(t.mean_b, 3),
                      fmt(t.diff, 3) + note, fmt(r["sd"], 3), fmt(t.t, 2), fmt_p(t.p), fmt_p(r["p_holm"]),
                      "yes" if r["significant"] else "no", fmt(r["detectable"], 3), fmt(r["detectable_holm"], 3)])
    return markdown_table(["model vs reference", "test", "pairs", "reference", "model", "diff", "sd of diffs", "t", "p",
                           "p_holm", "significant", "detectable", "detectable (Holm)"], "ll" + "r" * 8 + "lrr", table)
