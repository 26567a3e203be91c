"""Statistics shared by the scorers (``tasks``, ``grading``) and the reports (``analysis``); imports nothing of the
project. Wilson intervals, paired / unpaired t-tests with effect sizes (scipy), detectable effects.

The tests follow the original report: a paired t-test over the 16 per-scenario correct counts, Base vs
each other prompting type, and the yes/no bias as an unpaired t-test between the counts of the
yes-scenarios and those of the no-scenarios.  Effect sizes: Cohen's d_z for paired data (mean difference
over the standard deviation of the differences), Cohen's d with the pooled standard deviation for
unpaired data.  Where a test is undefined (fewer than two values, zero variance) the numbers are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n (scipy's ``binomtest(...).proportion_ci``)."""
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= k <= n:
        raise ValueError(f"k={k} not in [0, n={n}]")
    ci = sps.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


@dataclass(frozen=True)
class TTest:
    t: float
    p: float
    df: float
    mean_a: float
    mean_b: float
    diff: float  # mean_b - mean_a (paired: mean of b - a)
    effect: float  # Cohen's d_z (paired) or d (unpaired), sign of diff
    n_a: int
    n_b: int

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def _nan(x) -> float:
    x = float(x)
    return x if math.isfinite(x) else math.nan


def paired_ttest(a: Sequence[float], b: Sequence[float]) -> TTest:
    """Paired t-test of b against a (e.g. per-scenario counts: Base = a, SbS = b)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length ({a.size} vs {b.size})")
    d = b - a
    n = int(d.size)
    if n < 2 or np.all(d == d[0]):
        t = p = math.nan
    else:
        res = sps.ttest_rel(b, a)
        t, p = _nan(res.statistic), _nan(res.pvalue)
    sd = float(np.std(d, ddof=1)) if n > 1 else math.nan
    dz = float(d.mean() / sd) if n > 1 and sd > 0 else math.nan
    return TTest(t, p, float(n - 1), float(a.mean()) if n else math.nan, float(b.mean()) if n else math.nan,
                 float(d.mean()) if n else math.nan, dz, n, n)


def unpaired_ttest(a: Sequence[float], b: Sequence[float]) -> TTest:
    """Student's two-sample t-test of b against a (equal variances, as in the original report)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    na, nb = int(a.size), int(b.size)
    if na < 2 or nb < 2:
        t = p = d = sp = math.nan
    else:
        va, vb = a.var(ddof=1), b.var(ddof=1)
        sp = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        if sp == 0:
            t = p = d = math.nan
        else:
            res = sps.ttest_ind(b, a, equal_var=True)
            t, p = _nan(res.statistic), _nan(res.pvalue)
            d = float((b.mean() - a.mean()) / sp)
    return TTest(t, p, float(na + nb - 2), float(a.mean()) if na else math.nan,
                 float(b.mean()) if nb else math.nan,
                 float(b.mean() - a.mean()) if na and nb else math.nan, d, na, nb)


#: The power at which a null result states the smallest effect it could have detected (the usual planning value).
DETECTION_POWER = 0.8


def paired_power(effect: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of a two-sided paired t-test over ``n`` pairs to detect a mean difference ``effect`` when the pair
    differences have standard deviation ``sd`` (noncentral t, scipy)."""
    df = n - 1
    crit = sps.t.ppf(1 - alpha / 2, df)
    nc = effect / (sd / math.sqrt(n))
    power = float(sps.nct.sf(crit, df, nc) + sps.nct.cdf(-crit, df, nc))
    return power if math.isfinite(power) else 1.0  # scipy's nct overflows only where the power is 1


def detectable_difference(sd: float, n: int, alpha: float = 0.05, power: float = DETECTION_POWER) -> float:
    """The smallest mean difference a two-sided paired t-test over ``n`` pairs detects with probability ``power``
    at level ``alpha``, for pair differences of standard deviation ``sd``: "no detectable effect" then reads "no
    effect larger than this". Pass ``alpha`` / m for the strictest step of a Holm family of m tests. NaN where
    undefined (fewer than two pairs, or no spread of the differences to scale by)."""
    if n < 2 or not sd > 0 or not math.isfinite(sd):
        return math.nan
    from scipy.optimize import brentq

    se = sd / math.sqrt(n)
    return float(brentq(lambda e: paired_power(e, sd, n, alpha) - power, 1e-9 * se, 100 * se))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and is not counted)."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    m = len(idx)
    out = [math.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: pvalues[i])):
        adj = min(1.0, (m - rank) * pvalues[i])
        running = max(running, adj)
        out[i] = running
    return out


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return math.nan
    return float(sps.pearsonr(x, y).statistic)


def significance_stars(p: float) -> str:
    if p is None or math.isnan(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two raters' labels of the same items: agreement beyond chance, (p_o - p_e) / (1 - p_e).

    NaN when undefined (no items, or both raters always give one and the same label).
    """
    if len(a) != len(b):
        raise ValueError(f"the raters labelled different numbers of items ({len(a)} vs {len(b)})")
    n = len(a)
    if n == 0:
        return math.nan
    po = sum(x == y for x, y in zip(a, b)) / n
    pe = sum((list(a).count(c) / n) * (list(b).count(c) / n) for c in set(a) | set(b))
    return math.nan if pe == 1 else (po - pe) / (1 - pe)
