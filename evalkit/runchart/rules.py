"""The Anhøj runs rules: a long run on one side of the centre, or too few crossings.

Part of :mod:`evalkit.runchart` (see there for how evalkit follows R's qicharts2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

MIN_USEFUL_POINTS: Final = 10
"""Fewer useful points than this give no runs signal and no limits ("too few points")."""

Side = Literal["above", "below"]


@dataclass(frozen=True)
class RunsAnalysis:
    """The result of the Anhøj runs analysis of one series.

    Attributes
    ----------
    centre
        The centre line the points were compared with (the median unless given);
        ``None`` when the series has no values.
    n_obs
        Points with a value (nulls and NaN left out).
    n_useful
        Points not exactly on the centre: the n of the rules.
    longest_run
        Length of the longest run of useful points on one side of the centre.
    longest_run_max
        The longest run expected by chance, ``round(log2(n) + 3)``; ``None`` with too few
        points.
    longest_run_side
        Which side of the centre the (latest) longest run lies on.
    n_crossings
        Times the series crosses the centre: runs − 1.
    n_crossings_min
        The fewest crossings expected by chance: the 5th percentile of
        Binomial(n − 1, 0.5); ``None`` with too few points.
    runs_signal
        True when the longest run is longer than expected or there are fewer crossings
        than expected; always False with too few points.
    """

    centre: float | None
    n_obs: int
    n_useful: int
    longest_run: int
    longest_run_max: int | None
    longest_run_side: Side | None
    n_crossings: int
    n_crossings_min: int | None
    runs_signal: bool

    @property
    def too_few_points(self) -> bool:
        """True when there are fewer useful points than :data:`MIN_USEFUL_POINTS`."""
        return self.n_useful < MIN_USEFUL_POINTS

    @property
    def long_run_signal(self) -> bool:
        """True when the longest run alone signals."""
        return self.longest_run_max is not None and self.longest_run > self.longest_run_max

    @property
    def crossings_signal(self) -> bool:
        """True when too few crossings alone signal."""
        return self.n_crossings_min is not None and self.n_crossings < self.n_crossings_min


@cache
def _binomial_half_quantile_05(trials: int) -> int:
    """Smallest k with P(X <= k) >= 0.05 for X ~ Binomial(trials, 0.5), in exact integers.

    P(X <= k) = sum_{i <= k} C(trials, i) / 2**trials, so the condition is
    20 * sum_{i <= k} C(trials, i) >= 2**trials. Exact arithmetic avoids the rounding
    fuzz that R's qbinom and scipy's binom.ppf need.
    """
    total = 1 << trials
    cumulative = 0
    for k in range(trials + 1):
        cumulative += math.comb(trials, k)
        if 20 * cumulative >= total:
            return k
    return trials  # pragma: no cover - the loop always returns by k = trials


def runs_limits(n_useful: int) -> tuple[int, int] | None:
    """The Anhøj limits for ``n_useful`` useful points, or None with too few points.

    Parameters
    ----------
    n_useful
        Number of useful points (points not on the centre line).

    Returns
    -------
    tuple of int or None
        ``(longest_run_max, n_crossings_min)``: the longest run expected by chance,
        ``round(log2(n) + 3)``, and the fewest crossings expected, the 5th percentile of
        Binomial(n − 1, 0.5) (R's ``qbinom(0.05, n - 1, 0.5)``). ``None`` when
        ``n_useful`` is below :data:`MIN_USEFUL_POINTS`.

    Notes
    -----
    R's and Python's ``round`` both round halves to even, but the rule never meets a
    half: ``log2(n)`` of a whole number is a whole number or irrational.

    Examples
    --------
    >>> runs_limits(24)
    (8, 8)
    >>> runs_limits(9) is None
    True
    """
    if n_useful < MIN_USEFUL_POINTS:
        return None
    return round(math.log2(n_useful) + 3), _binomial_half_quantile_05(n_useful - 1)


def float_array(values: Iterable[float | None] | pl.Series) -> npt.NDArray[np.float64]:
    """The values as floats, None (and NaN) as NaN."""
    if isinstance(values, pl.Series):
        return values.cast(pl.Float64).fill_nan(None).to_numpy().astype(np.float64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def anhoej(values: Iterable[float | None] | pl.Series, centre: float | None = None) -> RunsAnalysis:
    """Apply the Anhøj runs rules to one series.

    Nulls (and NaN) are skipped, not treated as zero. Points exactly on the centre are
    dropped; n is the number of remaining (useful) points; a run is a sequence of
    useful points on one side of the centre; crossings = runs − 1. The series signals
    when its longest run is longer than ``round(log2(n) + 3)`` or it crosses the centre
    fewer times than the 5th percentile of Binomial(n − 1, 0.5). With fewer than
    :data:`MIN_USEFUL_POINTS` useful points there is no signal and the limits are None.

    Parameters
    ----------
    values
        The series in time order.
    centre
        The centre line; the median of the values when not given.

    Returns
    -------
    RunsAnalysis

    Examples
    --------
    >>> r = anhoej([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    >>> r.centre, r.n_useful, r.longest_run, r.n_crossings
    (6.5, 12, 6, 1)
    >>> r.longest_run_max, r.n_crossings_min, r.runs_signal
    (7, 3, True)
    >>> anhoej([1, 3, 2, None, 5]).too_few_points
    True
    """
    y = float_array(values)
    y = y[~np.isnan(y)]
    n_obs = int(y.size)
    if centre is None:
        centre = float(np.median(y)) if n_obs else None
    if centre is None:
        signs = np.empty(0, dtype=np.float64)
    else:
        signs = np.sign(y - centre)
        signs = signs[signs != 0]
    n_useful = int(signs.size)
    if n_useful == 0:
        return RunsAnalysis(centre, n_obs, 0, 0, None, None, 0, None, False)
    starts = np.concatenate(([0], np.flatnonzero(signs[1:] != signs[:-1]) + 1))
    lengths = np.diff(np.concatenate((starts, [n_useful])))
    longest = int(lengths.max())
    latest_longest = int(np.flatnonzero(lengths == longest)[-1])
    side: Side = "above" if signs[starts[latest_longest]] > 0 else "below"
    n_crossings = int(lengths.size) - 1
    limits = runs_limits(n_useful)
    if limits is None:
        return RunsAnalysis(centre, n_obs, n_useful, longest, None, side, n_crossings, None, False)
    longest_max, crossings_min = limits
    signal = longest > longest_max or n_crossings < crossings_min
    return RunsAnalysis(
        centre, n_obs, n_useful, longest, longest_max, side, n_crossings, crossings_min, signal
    )
