"""The markdown tables of accuracy per model x test (with chance levels) and of answer length, and the 16 scenarios'
yes- and no-scenarios apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...formatting import fmt, markdown_table
from ..report import aggregate, yes_no_bias
from .results import chance_of, group_of, tests_of


def accuracy_markdown(models: dict, group: str) -> str:
    tests = [t for t in tests_of(models) if group_of(t) == group]
    if not tests:
        return "_No model has answers for these tests._\n"
    rows = []
    for model, results in models.items():
        cells = []
        for test in tests:
            r = results.get(test)
            if r is None:
                cells.append("- (no answers)")
                continue
            lo, hi = r.ci
            cells.append(f"{r.accuracy:.3f} [{lo:.2f}, {hi:.2f}] ({r.correct}/{r.n})"
                         + ("" if r.complete else " incomplete"))
        rows.append([model, *cells])
    rows.append(["*chance*", *("; ".join(f"{k} {v:.2f}" for k, v in chance_of(models, t).items()) for t in tests)])
    return markdown_table(["model", *tests], "l" + "r" * len(tests), rows)


def yes_no_rows(models: dict) -> list[dict]:
    """The 16 scenarios' accuracy on the yes- and on the no-scenarios, per model and prompting type."""
    graded = [r.graded for tests in models.values() for r in tests.values() if r.graded is not None]
    return yes_no_bias(aggregate(graded)) if graded else []


def length_markdown(models: dict, comparisons: Sequence[tuple[str, str]]) -> str:
    tests = tests_of(models)
    rows = [[model, *(fmt(results[t].mean_tokens, 1) if t in results else "-" for t in tests)]
            for model, results in models.items()]
    for model, reference in comparisons:
        deltas = [models[model][t].mean_tokens - models[reference][t].mean_tokens if t in models[model] else None
                  for t in tests]
        rows.append([f"*{model} - {reference}*",
                     *("-" if d is None else "n/a" if math.isnan(d) else f"{d:+.1f}" for d in deltas)])
    return markdown_table(["model", *tests], "l" + "r" * len(tests), rows)
