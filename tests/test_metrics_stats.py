"""Interval formulas against independent references (statsmodels, scipy, hand calculations)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from evalkit.metrics import wilson_interval
from evalkit.metrics._stats import (
    benjamini_hochberg,
    feldt_arrays,
    newcombe_arrays,
    t_interval_arrays,
    two_proportion_p,
    welch_arrays,
)


@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (8, 10), (0, 25), (25, 25), (13, 47), (499, 1000)])
def test_wilson_matches_statsmodels(x: int, n: int) -> None:
    low, high = wilson_interval(x, n)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)


def test_wilson_other_level_matches_statsmodels() -> None:
    low, high = wilson_interval(3, 20, level=0.90)
    ref = proportion_confint(3, 20, alpha=0.10, method="wilson")
    assert (low, high) == pytest.approx(ref, abs=1e-12)


def test_wilson_hand_calculation() -> None:
    # p = 0.8, n = 10, z = 1.959964: centre = (p + z²/2n)/(1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n)
    z = 1.959963984540054
    p, n = 0.8, 10
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    assert wilson_interval(8, 10) == pytest.approx((centre - half, centre + half), abs=1e-12)


@pytest.mark.parametrize(("x", "n"), [(0, 0), (1, 0), (-1, 5), (6, 5)])
def test_wilson_rejects_bad_input(x: int, n: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        wilson_interval(x, n)


@given(n=st.integers(min_value=1, max_value=10_000), data=st.data())
def test_wilson_contains_estimate_and_lies_in_unit_interval(n: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson_interval(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(5, 10, 12, 20), (0, 8, 7, 9), (30, 30, 10, 40), (56, 70, 48, 80)])
def test_newcombe_matches_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    d, low, high = newcombe_arrays(*(np.array([v], float) for v in (x1, n1, x2, n2)))
    ref_low, ref_high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert d[0] == pytest.approx(x1 / n1 - x2 / n2)
    assert low[0] == pytest.approx(ref_low, abs=1e-10)
    assert high[0] == pytest.approx(ref_high, abs=1e-10)


def test_newcombe_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (56/70 vs 48/80):
    # method 10 gives 0.0524 to 0.3339.
    _, low, high = newcombe_arrays(np.array([56.0]), np.array([70.0]), np.array([48.0]), np.array([80.0]))
    assert round(float(low[0]), 4) == 0.0524
    assert round(float(high[0]), 4) == 0.3339


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(60, 12, 17)
    b = rng.normal(70, 20, 31)
    d, low, high, p = welch_arrays(
        np.array([a.mean()]), np.array([a.var(ddof=1)]), np.array([17.0]),
        np.array([b.mean()]), np.array([b.var(ddof=1)]), np.array([31.0]),
    )
    ref = stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert d[0] == pytest.approx(a.mean() - b.mean())
    assert p[0] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (low[0], high[0]) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_welch_undefined_is_nan_not_error() -> None:
    d, low, high, p = welch_arrays(*(np.array([v], float) for v in (50, 0, 1, 60, 0, 1)))
    assert np.isnan([d[0], low[0], high[0], p[0]]).all()


def test_t_interval_matches_scipy() -> None:
    low, high = t_interval_arrays(np.array([75.0]), np.array([25.0]), np.array([3.0]))
    ref = stats.t.interval(0.95, 2, loc=75.0, scale=25.0 / math.sqrt(3))
    assert (low[0], high[0]) == pytest.approx(ref)


def test_two_proportion_p_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    p = two_proportion_p(np.array([15.0]), np.array([40.0]), np.array([30.0]), np.array([50.0]))
    _, ref = proportions_ztest([15, 30], [40, 50])
    assert p[0] == pytest.approx(ref)


def test_feldt_hand_calculation() -> None:
    # Feldt (1965): 1 - (1 - alpha)·F(0.975; n-1, (n-1)(k-1)) .. 1 - (1 - alpha)·F(0.025; …)
    alpha, n, k = 0.80, 50, 6
    f_hi = stats.f.ppf(0.975, 49, 49 * 5)
    f_lo = stats.f.ppf(0.025, 49, 49 * 5)
    low, high = feldt_arrays(np.array([alpha]), np.array([float(n)]), np.array([float(k)]))
    assert low[0] == pytest.approx(1 - 0.2 * f_hi)
    assert high[0] == pytest.approx(1 - 0.2 * f_lo)
    assert low[0] < alpha < high[0]


def test_benjamini_hochberg_matches_statsmodels() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan, 0.001])
    ours = benjamini_hochberg(p)
    ref = multipletests(p[~np.isnan(p)], method="fdr_bh")[1]
    assert np.isnan(ours[4])
    assert ours[~np.isnan(p)] == pytest.approx(ref)


def _step_up(p: np.ndarray) -> np.ndarray:
    """The step-up evalkit used before it called scipy: the independent reference."""
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    vals = p[ok]
    order = np.argsort(vals, kind="stable")
    adjusted = np.minimum.accumulate((vals[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[ok] = result
    return out


@pytest.mark.parametrize("seed", range(20))
def test_benjamini_hochberg_is_the_old_step_up_and_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 300))
    # Uniform p-values, some tiny, some ties, some missing.
    p = np.where(rng.random(size) < 0.3, rng.random(size) ** 6, rng.random(size))
    p[rng.random(size) < 0.1] = p[0]
    p[rng.random(size) < 0.1] = np.nan
    ours = benjamini_hochberg(p)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(p))
    np.testing.assert_allclose(ours, _step_up(p), rtol=1e-12, atol=0, equal_nan=True)
    finite = ~np.isnan(p)
    if finite.any():
        np.testing.assert_allclose(ours[finite], multipletests(p[finite], method="fdr_bh")[1], rtol=1e-12)


def test_benjamini_hochberg_of_nothing() -> None:
    assert benjamini_hochberg(np.array([])).shape == (0,)
    assert np.isnan(benjamini_hochberg(np.array([np.nan, np.nan]))).all()
