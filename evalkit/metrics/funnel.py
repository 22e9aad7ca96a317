"""Funnel plots (Spiegelhalter 2005): every unit against the national value, fairly for its size.

For each wave, dimension and unit level (municipality, network) every unit's value is set
against its n, around the national centre, with 95 % and 99.8 % control limits. A unit is
named ``over`` or ``under`` only outside its 99.8 % limits (above the upper or below the
lower, strictly); otherwise it is ``within``.

Two measures per dimension (``measure``):

``mean``
    The unit's mean index (0–100). Centre: the mean of every respondent-level index score
    of the wave (the ``all`` row of the indices frame: the mean of all respondents, not
    of unit means). Limits: centre ± z·s/√n, where s is the standard deviation of the
    respondent-level index scores nationally (n − 1 denominator) and z = 1.959964 (95 %)
    or 3.090232 (99.8 %). Not clipped to 0–100 (they stay the textbook formula).
``share_favourable``
    The share of the unit's respondents whose index is favourable (the dimension's "share
    favourable", the headline share of each pillar). Centre: the pooled national
    proportion (all favourable respondents over all respondents with an index). Limits:
    **exact binomial**: the lower limit is r_P/n with r_P the P-quantile of
    Binomial(n, centre) for P = 0.025 (95 %) or 0.001 (99.8 %), the upper the same for
    P = 0.975 or 0.999. So a unit is outside its limits exactly when the one-sided exact
    binomial test against the national share rejects at that tail (a share over r/n needs
    P(X ≥ x) ≤ 0.001; under, P(X ≤ x) < 0.001). Chosen over Wilson or normal limits
    because national shares of favourable answers sit near 0.7–0.9 and units are small
    (10–50): there the binomial is skewed, normal limits overshoot 1 and put the wrong
    probability in each tail. Not Spiegelhalter's interpolated limits (2005, appendix
    A.1.1): they smooth the drawn curve but can flag a unit the exact test does not
    (12 of 12 against a national 70 % lies above the interpolated 99.8 % limit, 0.994,
    though P(X = 12) = 0.014). The limits are steps in n; draw them as such.

What is drawn comes only from the suppressed indices frame: a unit whose row is
suppressed (its n or value hidden, for any reason) is left out, and so is a unit whose
figure rests on fewer than ``min_unit_n`` respondents; no privacy rule is recomputed
here, and nothing is shown that the indices frame does not show. A wave or dimension
whose national row is suppressed, or has no standard deviation, gets no funnel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from evalkit.metrics._stats import Z95
from evalkit.metrics.rollup import relevel
from evalkit.metrics.schema import conform, empty_frame

FloatArray = npt.NDArray[np.float64]

MEASURES: Final = ("mean", "share_favourable")
LEVELS: Final = ("municipality", "network")
Z998: Final = 3.090232306167813
"""Two-sided 99.8 %: the 99.9th percentile of the standard normal distribution."""
TAILS: Final = {"95": (0.025, 0.975), "998": (0.001, 0.999)}
"""Tail probabilities of the lower and upper limits."""
VERDICTS: Final = ("over", "under", "within")


def mean_limits(centre: float, sd: float, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """``centre ± z·sd/√n`` for each n.

    Examples
    --------
    >>> low, high = mean_limits(70.0, 20.0, np.array([16.0]), Z95)
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (60.2002, 79.7998)
    """
    half = z * sd / np.sqrt(np.asarray(n, dtype=float))
    return centre - half, centre + half


def binomial_limit(centre: float, n: FloatArray, tail: float) -> FloatArray:
    """The exact binomial limit r/n, r the ``tail``-quantile of Binomial(n, ``centre``)
    (the smallest r with P(X ≤ r) ≥ ``tail``).

    Examples
    --------
    >>> [float(v) for v in binomial_limit(0.5, np.array([10.0, 100.0]), 0.975)]
    [0.8, 0.6]
    """
    from scipy import stats

    n = np.asarray(n, dtype=float)
    return np.asarray(stats.binom.ppf(tail, n, centre) / n, dtype=float)


def limits(measure: str, centre: float, sd: float | None, n: FloatArray) -> dict[str, FloatArray]:
    """lower95, upper95, lower998 and upper998 at each n (for drawing the funnel's curves too).

    Examples
    --------
    >>> out = limits("mean", 50.0, 10.0, np.array([25.0]))
    >>> {k: round(float(v[0]), 3) for k, v in out.items()}
    {'lower95': 46.08, 'upper95': 53.92, 'lower998': 43.82, 'upper998': 56.18}
    """
    n = np.asarray(n, dtype=float)
    if measure == "mean":
        if sd is None or not np.isfinite(sd):
            raise ValueError("a funnel of means needs the national standard deviation")
        lo95, hi95 = mean_limits(centre, sd, n, Z95)
        lo998, hi998 = mean_limits(centre, sd, n, Z998)
    elif measure == "share_favourable":
        lo95, hi95 = (binomial_limit(centre, n, p) for p in TAILS["95"])
        lo998, hi998 = (binomial_limit(centre, n, p) for p in TAILS["998"])
    else:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    return {"lower95": lo95, "upper95": hi95, "lower998": lo998, "upper998": hi998}


def funnels(
    indices: pl.DataFrame,
    *,
    min_unit_n: int,
    levels: Sequence[str] = LEVELS,
    role_group: str = "all",
) -> pl.DataFrame:
    """One row per unit, wave, dimension and measure: its point in the funnel.

    Parameters
    ----------
    indices
        The *suppressed* indices frame (``Prepared.indices``; columns as documented in
        :mod:`evalkit.metrics.schema`). Rows without ``suppressed`` count as visible.
    min_unit_n
        A unit whose figure rests on fewer respondents is not drawn.
    levels
        Unit levels to compare.
    role_group
        Whose answers (default: everyone).

    Returns
    -------
    polars.DataFrame
        Columns of ``funnels`` in :mod:`evalkit.metrics.schema`: unit_level, unit_id,
        wave, role_group, dimension, measure, n, value, centre, sd, lower95, upper95,
        lower998, upper998, verdict.

    Examples
    --------
    >>> idx = pl.DataFrame({"unit_level": ["all", "municipality", "municipality"],
    ...     "unit_id": ["all", "a", "b"], "wave": "w", "role_group": "all", "dimension": "impact",
    ...     "n": [400, 25, 100], "mean": [60.0, 75.0, 62.0], "sd": [20.0, 18.0, 21.0],
    ...     "n_favourable": [200, 15, 52], "share_favourable": [0.5, 0.6, 0.52], "suppressed": False})
    >>> out = funnels(idx, min_unit_n=10).filter(measure="mean")
    >>> out.select("unit_id", "n", "value", "upper998", "verdict").rows()
    [('a', 25, 75.0, 72.36092922467125, 'over'), ('b', 100, 62.0, 66.18046461233563, 'within')]
    """
    visible = indices.filter(~pl.col("suppressed").fill_null(False)) if "suppressed" in indices.columns else indices
    visible = visible.filter((pl.col("role_group") == role_group) & pl.col("n").is_not_null() & (pl.col("n") > 0))
    national = visible.filter(pl.col("unit_level") == "all").select(
        "wave", "dimension", _n_all=pl.col("n"), _mean_all=pl.col("mean"), _sd_all=pl.col("sd"),
        _fav_all=pl.col("n_favourable"))
    units = visible.filter(
        pl.col("unit_level").is_in(pl.Series(list(levels), dtype=pl.String).implode())
        & (pl.col("n") >= min_unit_n)
    ).join(national, on=["wave", "dimension"], how="inner")
    frames = []
    for measure in MEASURES:
        if measure == "mean":
            part = units.filter(pl.col("mean").is_not_null() & pl.col("_sd_all").is_not_null()).with_columns(
                value=pl.col("mean"), centre=pl.col("_mean_all"), sd=pl.col("_sd_all"))
        else:
            part = units.filter(pl.col("n_favourable").is_not_null() & pl.col("_fav_all").is_not_null()).with_columns(
                value=pl.col("n_favourable") / pl.col("n"), centre=pl.col("_fav_all") / pl.col("_n_all"),
                sd=pl.lit(None, pl.Float64))
        for _, group in part.group_by("wave", "dimension", maintain_order=True):
            sd = group["sd"][0]
            bounds = limits(measure, float(group["centre"][0]), None if sd is None else float(sd),
                            group["n"].to_numpy().astype(float))
            frames.append(group.with_columns(measure=pl.lit(measure),
                                             **{k: pl.Series(v) for k, v in bounds.items()}))
    if not frames:
        return empty_frame("funnels")
    out = pl.concat(frames).with_columns(
        verdict=pl.when(pl.col("value") > pl.col("upper998")).then(pl.lit("over"))
        .when(pl.col("value") < pl.col("lower998")).then(pl.lit("under"))
        .otherwise(pl.lit("within"))
    )
    return conform(relevel(out.sort("measure", maintain_order=True)), "funnels")
