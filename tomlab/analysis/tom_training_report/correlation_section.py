"""The correlation of the 16 scenarios with each benchmark across every model that has answers
(:mod:`tomlab.analysis.correlation`), with and without the ToMi-trained route models, and its caveats in words.
"""

from __future__ import annotations

import statistics

import numpy as np

from ..correlation import ANCHOR, MIN_MODELS, TestScores, analyse, correlation_table, critical_r
from .results import BENCHMARK_TESTS, SCENARIO_TESTS, route_of


def correlation_tests(models: dict) -> dict[str, TestScores]:
    """The 16 scenarios (the four prompting types pooled, models with all four) and each benchmark test, as the
    correlation study's per-item score matrices."""
    tests = {}
    anchor = [m for m in models if all(t in models[m] for t in SCENARIO_TESTS)]
    if anchor:
        # the scenarios every anchor model was asked in every prompting type (a smoke battery asks fewer)
        items = sorted(set.intersection(*(set(models[m][t].shares) for m in anchor for t in SCENARIO_TESTS)), key=int)
        rows = [[statistics.fmean(models[m][t].shares[i] for t in SCENARIO_TESTS) for i in items] for m in anchor]
        tests[ANCHOR] = TestScores(ANCHOR, anchor, items, np.array(rows, float),
                                   np.array([sum(models[m][t].n for t in SCENARIO_TESTS) for m in anchor]))
    for test in BENCHMARK_TESTS:
        holders = [m for m in models if test in models[m]]
        if not holders:
            continue
        items = [i for i in models[holders[0]][test].shares if all(i in models[m][test].shares for m in holders)]
        tests[test] = TestScores(test, holders, items,
                                 np.array([[models[m][test].shares[i] for i in items] for m in holders], float),
                                 np.array([models[m][test].n for m in holders]))
    return tests


def correlation_section(models: dict, seed: int, n_boot: int, n_splits: int) -> tuple[str, dict]:
    tests = correlation_tests(models)
    if ANCHOR not in tests or len(tests) < 2:
        return ("_No correlation: it needs models with all four 16-scenario prompting types and a benchmark._\n",
                {})
    result = analyse(tests, seed, n_boot, n_splits)
    trained = [m for m in tests[ANCHOR].models if route_of(m)]
    md = [f"Across the {len(tests[ANCHOR].models)} models with all four 16-scenario prompting types ({ANCHOR}: the "
          "four types pooled; a benchmark test: the models that have it):", "", correlation_table(result), ""]
    untrained = {}
    if trained:
        kept = {name: _without(t, trained) for name, t in tests.items()}
        untrained = analyse(kept, seed, n_boot, n_splits)
        md += [f"Without the {len(trained)} ToMi-trained route models ({', '.join(trained)}):", "",
               correlation_table(untrained), ""]
    n = max((r["n_models"] for r in result["rows"]), default=0)
    md += [correlation_words(n, bool(trained)), ""]
    return "\n".join(md), {"all": result, "without_tomi_trained": untrained}


def _without(t: TestScores, models: list) -> TestScores:
    keep = [i for i, m in enumerate(t.models) if m not in models]
    return TestScores(t.name, [t.models[i] for i in keep], t.items, t.scores[keep], t.answers[keep])


def correlation_words(n: int, trained: bool) -> str:
    if n < MIN_MODELS:
        text = (f"No correlation can be estimated from {n} model(s) that have both tests: two points always lie on a "
                f"line, and a split-half reliability across models needs {MIN_MODELS} or more.")
    else:
        text = (f"With {n} models only a Pearson r beyond {critical_r(n):.2f} could be told from zero at p < 0.05.")
    text += (" Models from one or two families (a base model, its finetunes, perhaps one other pretrained model) "
             "span a narrow range of ability and share most of their weights, so they are not independent draws. "
             "They can show whether the tests order these particular models alike; "
             "they cannot show whether the 16 scenarios measure what the benchmarks measure in models at large (that "
             "needs 20+ models of several families and sizes, `report/correlation/hub_models.txt`).")
    if trained:
        text += (" The ToMi-trained route models were trained on ToMi-style stories: their ToMi accuracy is inflated "
                 "by training on the task's own format and rules, not by a general ability, so with them a "
                 "correlation with ToMi is one of training exposure; the table without them is the fairer one.")
    return text
