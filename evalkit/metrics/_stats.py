"""Interval formulas, vectorised over NumPy arrays, plus the scalar public helpers.

Every function returns NaN-free output: where a figure is undefined the vectorised
helpers return NaN internally and the callers turn NaN into null with a reason before
anything leaves the metrics layer.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]

Z95: Final = 1.959963984540054
"""The 97.5th percentile of the standard normal distribution."""


FIXED: Final = 10_000
"""Sums of respondent-level figures (0–100 scores) are taken in steps of 1/FIXED, as
whole numbers: exact, so the same data give the same bits whatever order the threads
add them in (float sums do not: issue 14, item 9)."""


def fixed(expr: pl.Expr, scale: int = FIXED) -> pl.Expr:
    """``expr`` in whole steps of ``1/scale`` (Int64; NaN becomes null), ready for an exact sum.

    Examples
    --------
    >>> pl.select(fixed(pl.lit(58.333333333))).item()
    583333
    """
    return (expr * scale).round().fill_nan(None).cast(pl.Int64)


def _scipy_stats() -> ModuleType:
    """scipy.stats, imported on first use: it costs ~0.5 s of CPU, which a dashboard that
    only reads a prepared store (every unit of a batch) never needs to spend."""
    from scipy import stats

    module: ModuleType = stats
    return module


def _z(level: float) -> float:
    stats = _scipy_stats()
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes
        Number of successes, 0..n.
    n
        Number of trials; must be positive.
    level
        Confidence level (default 0.95).

    Returns
    -------
    tuple of float
        ``(low, high)``, both in [0, 1], containing ``successes / n``.

    Raises
    ------
    ValueError
        When ``n`` is not positive or ``successes`` is outside 0..n.

    Examples
    --------
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    >>> wilson_interval(0, 0)
    Traceback (most recent call last):
    ...
    ValueError: n must be positive, got 0
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    low, high = wilson_arrays(np.array([successes], float), np.array([n], float), _z(level))
    return float(low[0]), float(high[0])


def wilson_arrays(successes: FloatArray, n: FloatArray, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Vectorised Wilson interval; NaN where ``n`` is 0 or missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    bad = ~(n > 0)
    low[bad] = np.nan
    high[bad] = np.nan
    # Guard against rounding putting the estimate a hair outside its interval.
    with np.errstate(invalid="ignore"):
        low = np.where(n > 0, np.minimum(low, p), np.nan)
        high = np.where(n > 0, np.maximum(high, p), np.nan)
    return low, high


def newcombe_arrays(
    x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray, z: float = Z95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Difference ``p1 - p2`` with Newcombe's hybrid score interval (method 10).

    Returns ``(difference, low, high)``; NaN where either n is 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = x1 / n1
        p2 = x2 / n2
        l1, u1 = wilson_arrays(x1, n1, z)
        l2, u2 = wilson_arrays(x2, n2, z)
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def t_interval_arrays(mean: FloatArray, sd: FloatArray, n: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Student-t interval for a mean; NaN where n < 2."""
    stats = _scipy_stats()
    with np.errstate(divide="ignore", invalid="ignore"):
        df = n - 1
        q = stats.t.ppf(0.5 + level / 2, np.where(df >= 1, df, np.nan))
        half = q * sd / np.sqrt(n)
    return mean - half, mean + half


def welch_arrays(
    m1: FloatArray, v1: FloatArray, n1: FloatArray, m2: FloatArray, v2: FloatArray, n2: FloatArray,
    level: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Welch difference ``m1 - m2``: ``(difference, low, high, p_value)``.

    NaN where a group has fewer than 2 people or both variances are 0.
    """
    stats = _scipy_stats()
    with np.errstate(divide="ignore", invalid="ignore"):
        a = v1 / n1
        b = v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
        ok = (n1 >= 2) & (n2 >= 2) & (se > 0) & np.isfinite(df)
        df = np.where(ok, df, np.nan)
        d = m1 - m2
        q = stats.t.ppf(0.5 + level / 2, df)
        tstat = d / se
        p = 2 * stats.t.sf(np.abs(tstat), df)
    d = np.where(ok, d, np.nan)
    return d, d - q * se, d + q * se, np.where(ok, p, np.nan)


def two_proportion_p(x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray) -> FloatArray:
    """Two-sided p-value of the pooled score (z) test of two proportions."""
    stats = _scipy_stats()
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
        p = 2 * stats.norm.sf(np.abs(z))
    # Both groups all favourable (or none): no evidence of a difference.
    p = np.where((n1 > 0) & (n2 > 0) & (se == 0), 1.0, p)
    return np.where((n1 > 0) & (n2 > 0), p, np.nan)


def feldt_arrays(alpha: FloatArray, n: FloatArray, k: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Feldt (1965) interval for Cronbach's alpha with ``n`` people and ``k`` items.

    ``1 - (1 - alpha) * F(1 - g/2; n-1, (n-1)(k-1))`` to
    ``1 - (1 - alpha) * F(g/2; n-1, (n-1)(k-1))``, g = 1 - level.
    """
    stats = _scipy_stats()
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (n >= 2) & (k >= 2) & np.isfinite(alpha)
        df1 = np.where(ok, n - 1, np.nan)
        df2 = np.where(ok, (n - 1) * (k - 1), np.nan)
        g = 1 - level
        low = 1 - (1 - alpha) * stats.f.ppf(1 - g / 2, df1, df2)
        high = 1 - (1 - alpha) * stats.f.ppf(g / 2, df1, df2)
    return low, high


def benjamini_hochberg(p: FloatArray) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (``scipy.stats.false_discovery_control``);
    NaN stays NaN and is not counted among the comparisons."""
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = _scipy_stats().false_discovery_control(p[ok], method="bh")
    return out


def nan_to_none(x: float) -> float | None:
    """``None`` for NaN or infinity, else the float."""
    return None if not math.isfinite(x) else float(x)
