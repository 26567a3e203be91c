"""Does the 16-scenario experiment rank models as established ToM benchmarks do?

Input: for each test (the 16 scenarios, each benchmark form) a models x items matrix of per-item scores (the share
of an item's answers that were correct). Output, for each benchmark against the 16 scenarios:

* Pearson and Spearman correlations across models, with 95% percentile bootstrap intervals that resample both the
  models and, independently per test, the items (both are samples: the next model, the next item could differ);
* each test's split-half reliability across models (random halves of its items, the correlation averaged over
  many splits, Spearman-Brown corrected), and the correlation corrected for both unreliabilities (Spearman's
  disattenuation);
* the number of models, and the smallest Pearson r that a two-sided test at 5% could tell from zero with that many;
* for a handful of models, what they can show instead: whether every test orders each pair of models the same way
  (the accuracy difference per test, with a 95% bootstrap interval over that test's items).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats as sps

from ..formatting import fmt, markdown_table
from ..scores import SCENARIOS

#: Resamples per bootstrap interval and random splits per split-half reliability: enough for stable 95% bounds.
N_BOOT = 2000
N_SPLITS = 500
#: Fewer models than this give no correlation (two points always lie on a line).
MIN_MODELS = 3
#: Up to this many models the report also lists every pair's differences (beyond it the table grows too long and
#: the correlation itself says more).
MAX_PAIR_MODELS = 6
ALPHA = 0.05
ANCHOR = SCENARIOS  # the test the others are held against


@dataclass
class TestScores:
    """One test: per model (rows) and item (columns), the share of that item's answers that were correct."""

    name: str
    models: list
    items: list
    scores: np.ndarray
    answers: np.ndarray  # models: how many answers each row rests on (for Wilson intervals)

    def accuracy(self) -> np.ndarray:
        return self.scores.mean(axis=1)


def correlate(x, y, method: str) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < MIN_MODELS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    res = sps.pearsonr(x, y) if method == "pearson" else sps.spearmanr(x, y)
    return float(res.statistic)


def critical_r(n_models: int, alpha: float = ALPHA) -> float:
    """The smallest |Pearson r| significant at ``alpha`` (two-sided) with ``n_models`` models."""
    if n_models < MIN_MODELS:
        return math.nan
    t = sps.t.ppf(1 - alpha / 2, n_models - 2)
    return float(t / math.sqrt(n_models - 2 + t * t))


def bootstrap_interval(a: TestScores, b: TestScores, method: str, rng: np.random.Generator,
                       n_boot: int = N_BOOT) -> tuple[float, float, float]:
    """95% percentile interval of the correlation of the two tests' model scores, resampling models and items.
    Returns (low, high, share of resamples where the correlation is undefined: all models tied)."""
    n = len(a.models)
    if n < MIN_MODELS:
        return math.nan, math.nan, math.nan
    values = []
    for _ in range(n_boot):
        rows = rng.integers(0, n, n)
        x = a.scores[rows][:, rng.integers(0, a.scores.shape[1], a.scores.shape[1])].mean(axis=1)
        y = b.scores[rows][:, rng.integers(0, b.scores.shape[1], b.scores.shape[1])].mean(axis=1)
        values.append(correlate(x, y, method))
    values = np.asarray(values)
    ok = values[~np.isnan(values)]
    if ok.size == 0:
        return math.nan, math.nan, 1.0
    low, high = np.percentile(ok, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
    return float(low), float(high), float(1 - ok.size / values.size)


def split_half(t: TestScores, rng: np.random.Generator, n_splits: int = N_SPLITS) -> float:
    """Split-half reliability across models: the Pearson r between the model scores on two random halves of the
    items, averaged over ``n_splits`` splits, then Spearman-Brown corrected to the full length (2r / (1 + r))."""
    n_items = t.scores.shape[1]
    if len(t.models) < MIN_MODELS or n_items < 2:
        return math.nan
    half = n_items // 2
    values = []
    for _ in range(n_splits):
        order = rng.permutation(n_items)
        r = correlate(t.scores[:, order[:half]].mean(1), t.scores[:, order[half:2 * half]].mean(1), "pearson")
        if not math.isnan(r):
            values.append(r)
    if not values:
        return math.nan
    r = float(np.mean(values))
    return 2 * r / (1 + r) if r > -1 else -1.0


def disattenuated(r: float, reliability_a: float, reliability_b: float) -> float:
    """Spearman's correction for attenuation; undefined where a reliability is not positive."""
    if any(math.isnan(v) for v in (r, reliability_a, reliability_b)) or min(reliability_a, reliability_b) <= 0:
        return math.nan
    return r / math.sqrt(reliability_a * reliability_b)


def analyse(tests: dict, seed: int = 0, n_boot: int = N_BOOT, n_splits: int = N_SPLITS) -> dict:
    """Every benchmark test against the 16 scenarios (``tests[ANCHOR]``), on the models both share."""
    rng = np.random.default_rng(seed)
    anchor = tests[ANCHOR]
    rows = []
    for name, t in tests.items():
        if name == ANCHOR:
            continue
        shared = [m for m in anchor.models if m in t.models]
        a, b = _subset(anchor, shared), _subset(t, shared)
        row = {"test": name, "n_models": len(shared), "critical_r": critical_r(len(shared)),
               "reliability_anchor": split_half(a, rng, n_splits), "reliability_test": split_half(b, rng, n_splits)}
        for method in ("pearson", "spearman"):
            r = correlate(a.accuracy(), b.accuracy(), method)
            low, high, undefined = bootstrap_interval(a, b, method, rng, n_boot)
            row[method] = {"r": r, "low": low, "high": high, "undefined_share": undefined}
        row["pearson"]["p"] = (float(sps.pearsonr(a.accuracy(), b.accuracy()).pvalue)
                               if not math.isnan(row["pearson"]["r"]) else math.nan)
        row["corrected"] = disattenuated(row["pearson"]["r"], row["reliability_anchor"], row["reliability_test"])
        rows.append(row)
    return {"rows": rows, "pairs": pairwise(tests, rng, n_boot), "n_boot": n_boot, "n_splits": n_splits, "seed": seed}


def pairwise(tests: dict, rng: np.random.Generator, n_boot: int = N_BOOT) -> list[dict]:
    """For each pair of models every test holds: per test, accuracy(second) - accuracy(first) with a 95% percentile
    interval from resampling that test's items, and whether all tests order the pair the same way."""
    models = [m for m in tests[ANCHOR].models if all(m in t.models for t in tests.values())]
    if len(models) > MAX_PAIR_MODELS:
        return []
    rows = []
    for i, first in enumerate(models):
        for second in models[i + 1:]:
            row = {"first": first, "second": second, "tests": {}}
            for name, t in tests.items():
                diff = t.scores[t.models.index(second)] - t.scores[t.models.index(first)]
                boot = diff[rng.integers(0, diff.size, (n_boot, diff.size))].mean(axis=1)
                low, high = np.percentile(boot, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
                row["tests"][name] = {"diff": float(diff.mean()), "low": float(low), "high": float(high)}
            signs = {np.sign(v["diff"]) for v in row["tests"].values()}
            row["same_order"] = len(signs) == 1 and 0 not in signs
            rows.append(row)
    return rows


def pairwise_table(pairs: list[dict]) -> str:
    if not pairs:
        return ""
    names = list(pairs[0]["tests"])
    rows = [[f"{p['second']} - {p['first']}",
             *(f"{v['diff']:+.3f} [{v['low']:+.2f}, {v['high']:+.2f}]" for v in p["tests"].values()),
             "yes" if p["same_order"] else "no"] for p in pairs]
    return markdown_table(["second - first", *names, "same order on every test"], "l" * (len(names) + 2), rows,
                          padded=True).removesuffix("\n")


def _subset(t: TestScores, models: list) -> TestScores:
    idx = [t.models.index(m) for m in models]
    return TestScores(t.name, list(models), t.items, t.scores[idx], t.answers[idx])


def models_table(tests: dict) -> str:
    from ..stats import wilson_interval

    names = list(tests)
    models = list(dict.fromkeys(m for t in tests.values() for m in t.models))
    rows = []
    for m in models:
        cells = []
        for n in names:
            t = tests[n]
            if m not in t.models:
                cells.append("-")
                continue
            i = t.models.index(m)
            acc, answers = float(t.accuracy()[i]), int(t.answers[i])
            low, high = wilson_interval(round(acc * answers), answers)
            cells.append(f"{acc:.3f} [{low:.2f}, {high:.2f}]")
        rows.append([m, *cells])
    return markdown_table(["model", *(f"{n} ({tests[n].scores.shape[1]} items)" for n in names)],
                          "l" * (len(names) + 1), rows, padded=True).removesuffix("\n")


def correlation_table(result: dict) -> str:
    rows = []
    for row in result["rows"]:
        p, s = row["pearson"], row["spearman"]
        rows.append([row["test"], row["n_models"], f"{fmt(p['r'], 2)} [{fmt(p['low'], 2)}, {fmt(p['high'], 2)}]",
                     fmt(p["p"], 3), f"{fmt(s['r'], 2)} [{fmt(s['low'], 2)}, {fmt(s['high'], 2)}]",
                     f"{fmt(row['reliability_anchor'], 2)} / {fmt(row['reliability_test'], 2)}",
                     fmt(row["corrected"], 2), fmt(row["critical_r"], 2)])
    return markdown_table(["benchmark test", "models", "Pearson r [95% CI]", "p", "Spearman rho [95% CI]",
                           f"split-half reliability ({ANCHOR} / test)", "corrected r", "r needed for p < 0.05"],
                          "lrlrllrr", rows, padded=True).removesuffix("\n")


def verdict(result: dict) -> str:
    """What the numbers can and cannot say, in words."""
    n = max((row["n_models"] for row in result["rows"]), default=0)
    if n < MIN_MODELS:
        return (f"**No correlation can be estimated from {n} model(s).** Two points always lie on a line, so a "
                "Pearson r of +1 or -1 between two models says nothing; the split-half reliabilities need at least "
                f"{MIN_MODELS} models as well. All that {n} models can show is whether the tests order them the same "
                "way (the pairwise table above) - agreement on one pair is weak evidence, since any two tests of "
                "answering questions about stories will mostly agree on which of two models follows instructions "
                "better. The answer to the question needs the recipe below.")
    return (f"With {n} models, only a Pearson r beyond {critical_r(n):.2f} in size could be told from zero at "
            "p < 0.05 (two-sided), and the bootstrap intervals show how wide the uncertainty is. A handful of "
            "closely related models (one base model and its finetunes) also spans a narrow range of ability, which "
            "bounds any correlation from above. Read these numbers as a demonstration of the method, not as an "
            "answer; about 20 or more models of different sizes and families are needed for an interval narrow "
            "enough to matter (with 20 models, r must exceed "
            f"{critical_r(20):.2f} to be told from zero).")


def scatter(tests: dict, path: Path) -> None:
    """One panel per benchmark test: each model's benchmark accuracy against its 16-scenario accuracy."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_write_bytes

    anchor = tests[ANCHOR]
    others = [n for n in tests if n != ANCHOR]
    fig, axes = plt.subplots(1, max(1, len(others)), figsize=(4.2 * max(1, len(others)), 4), squeeze=False)
    for ax, name in zip(axes[0], others):
        t = tests[name]
        shared = [m for m in anchor.models if m in t.models]
        x = [anchor.accuracy()[anchor.models.index(m)] for m in shared]
        y = [t.accuracy()[t.models.index(m)] for m in shared]
        ax.scatter(x, y, color="tab:blue", zorder=3)
        for m, xi, yi in zip(shared, x, y):
            ax.annotate(m, (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.plot([0, 1], [0, 1], color="0.85", lw=1, zorder=1)
        ax.set_xlabel(f"{ANCHOR}: accuracy")
        ax.set_ylabel(f"{name}: accuracy")
        ax.set_title(name, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
