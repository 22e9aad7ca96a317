"""P-chart limits and the i-chart's sigma from screened moving ranges.

Part of :mod:`evalkit.runchart` (see there for how evalkit follows R's qicharts2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import polars as pl

from evalkit.runchart.rules import float_array

MR_SCREEN_FACTOR: Final = 3.267
"""Moving ranges above this times the average moving range are left out (Nelson 1982)."""

D2: Final = 1.128
"""Bias-correction constant d2 for moving ranges of two points: sigma = average MR / d2."""

SIGMA_LIMITS: Final = 3.0
"""Control limits lie this many standard deviations from the centre."""

NON_NEGATIVE_UNITS: Final = ("count", "days", "percent")


def p_chart_limits(
    numerators: Sequence[float], denominators: Sequence[float]
) -> tuple[float, list[float], list[float]]:
    """Centre and 3-sigma limits of a p-chart (proportions with varying denominators).

    The centre is the pooled proportion, sum of numerators / sum of denominators; each
    point's limits are ``centre ± 3 * sqrt(centre * (1 - centre) / n_i)``, clipped to
    [0, 1]. :func:`prepare_charts` computes the same for every series at once.

    Parameters
    ----------
    numerators, denominators
        Counts per point; every denominator must be positive.

    Returns
    -------
    tuple
        ``(centre, lcl, ucl)`` with one lower and upper limit per point.

    Examples
    --------
    >>> centre, lcl, ucl = p_chart_limits([10, 30], [100, 100])
    >>> centre
    0.2
    >>> [round(x, 4) for x in ucl]
    [0.32, 0.32]
    """
    if len(numerators) != len(denominators) or not denominators:
        raise ValueError("numerators and denominators must be equally long and not empty")
    if min(denominators) <= 0:
        raise ValueError("every denominator must be positive")
    centre = sum(numerators) / sum(denominators)
    lcl: list[float] = []
    ucl: list[float] = []
    for n in denominators:
        sd = math.sqrt(centre * (1 - centre) / n)
        lcl.append(min(max(centre - SIGMA_LIMITS * sd, 0.0), 1.0))
        ucl.append(min(max(centre + SIGMA_LIMITS * sd, 0.0), 1.0))
    return centre, lcl, ucl


def i_chart_sigma(values: Iterable[float | None] | pl.Series) -> float | None:
    """Standard deviation of an i-chart from screened moving ranges, as qicharts2.

    Moving ranges are the absolute differences of consecutive reported values (nulls
    skipped). Ranges of :data:`MR_SCREEN_FACTOR` (3.267) times their average or more
    are left out and the average recomputed; sigma = average / 1.128.

    Parameters
    ----------
    values
        The series in time order.

    Returns
    -------
    float or None
        None with fewer than two values or when no moving range is left (for
        example when every value is the same).

    Examples
    --------
    >>> round(i_chart_sigma([10, 12, 11, 13]), 4)  # ranges 2, 1, 2: (5/3) / 1.128
    1.4775
    """
    y = float_array(values)
    y = y[~np.isnan(y)]
    if y.size < 2:
        return None
    ranges = np.abs(np.diff(y))
    kept = ranges[ranges < MR_SCREEN_FACTOR * ranges.mean()]
    if kept.size == 0:
        return None
    return float(kept.mean()) / D2
