"""Statistics against scipy and textbook numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tomlab.stats import cohen_kappa, holm, paired_ttest, pearson, unpaired_ttest, wilson_interval


def _wilson_formula(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize("k,n,expected", [
    (0, 10, (0.0, 0.2775)),  # textbook values
    (5, 10, (0.2366, 0.7634)),
    (10, 10, (0.7225, 1.0)),
])
def test_wilson_known_values(k, n, expected):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(expected[0], abs=1e-4) and hi == pytest.approx(expected[1], abs=1e-4)


@pytest.mark.parametrize("k,n", [(164, 320), (1, 320), (319, 320), (7, 20)])
def test_wilson_matches_formula(k, n):
    assert wilson_interval(k, n) == pytest.approx(_wilson_formula(k, n), abs=1e-9)


def test_wilson_edge_cases():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_paired_ttest_hand_computed_and_scipy():
    a, b = [1, 2, 3, 4], [2, 4, 5, 9]  # differences 1, 2, 2, 5: mean 2.5, sd sqrt(3)
    t = paired_ttest(a, b)
    assert t.t == pytest.approx(2.5 / (math.sqrt(3) / 2))
    assert t.df == 3 and t.diff == pytest.approx(2.5)
    assert t.effect == pytest.approx(2.5 / math.sqrt(3))
    ref = sps.ttest_rel(b, a)
    assert t.p == pytest.approx(ref.pvalue)


def test_paired_ttest_on_human_counts():
    # GPT4All-J v1.3, Base vs SbS, human counts of the original report
    base = [1, 20, 19, 0, 16, 8, 0, 0, 15, 18, 20, 19, 20, 0, 8, 0]
    sbs = [0, 5, 15, 2, 8, 6, 2, 0, 5, 9, 19, 6, 2, 5, 13, 3]
    t = paired_ttest(base, sbs)
    ref = sps.ttest_rel(sbs, base)
    assert (t.t, t.p) == pytest.approx((ref.statistic, ref.pvalue))
    assert t.mean_a == pytest.approx(np.mean(base)) and t.mean_b == pytest.approx(np.mean(sbs))


def test_paired_ttest_degenerate():
    t = paired_ttest([1, 2, 3], [2, 3, 4])  # constant difference: undefined
    assert math.isnan(t.t) and math.isnan(t.p) and math.isnan(t.effect)
    assert t.as_dict()["t"] is None
    with pytest.raises(ValueError):
        paired_ttest([1, 2], [1, 2, 3])


def test_unpaired_ttest_and_cohens_d():
    no = [1, 0, 0, 20, 8, 0, 0, 0]
    yes = [20, 19, 16, 15, 18, 20, 19, 20]
    t = unpaired_ttest(no, yes)
    ref = sps.ttest_ind(yes, no, equal_var=True)
    assert (t.t, t.p, t.df) == pytest.approx((ref.statistic, ref.pvalue, 14))
    sp = math.sqrt((7 * np.var(no, ddof=1) + 7 * np.var(yes, ddof=1)) / 14)
    assert t.effect == pytest.approx((np.mean(yes) - np.mean(no)) / sp)
    assert t.diff > 0


def test_unpaired_degenerate():
    t = unpaired_ttest([3, 3], [3, 3])
    assert math.isnan(t.t) and math.isnan(t.effect)
    assert math.isnan(unpaired_ttest([1], [2, 3]).p)


def test_holm():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm([0.5, math.nan, 0.01])
    assert out[0] == pytest.approx(0.5) and math.isnan(out[1]) and out[2] == pytest.approx(0.02)


def test_pearson():
    x, y = [1, 2, 3, 4, 5], [2, 4, 5, 4, 5]
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))


def test_cohen_kappa():
    assert cohen_kappa([0, 1, 1, 0], [0, 1, 0, 0]) == pytest.approx(0.5)  # p_o 0.75, p_e 0.5
    assert cohen_kappa(list("aabbc"), list("aabbc")) == 1.0
    # Fleiss' textbook table (20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no): p_o 0.7, p_e 0.5, kappa 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert math.isnan(cohen_kappa([], [])) and math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 2])


def test_detectable_difference_has_the_stated_power():
    from tomlab.stats import DETECTION_POWER, detectable_difference, paired_power

    mde = detectable_difference(0.1, 16)
    assert paired_power(mde, 0.1, 16) == pytest.approx(DETECTION_POWER, abs=1e-6)
    # large n: the normal approximation (z_0.975 + z_0.8) * sd / sqrt(n)
    assert detectable_difference(0.1, 10_000) == pytest.approx(2.8016 * 0.1 / 100, rel=0.01)
    assert detectable_difference(0.1, 16, alpha=0.05 / 12) > mde  # Holm's strictest step needs a larger effect
    assert detectable_difference(0.2, 16) == pytest.approx(2 * mde)  # scales with the spread
    assert math.isnan(detectable_difference(0.0, 16)) and math.isnan(detectable_difference(0.1, 1))
