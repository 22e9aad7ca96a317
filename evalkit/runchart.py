"""Run charts and control charts for the teams' monthly improvement measures.

The numbers behind the "impact on results" pillar: the Anhøj runs rules
(:func:`anhoej`), chart data for run charts, p-charts and i-charts for every team and
measure in one pass (:func:`prepare_charts`), a per-part summary like R's qicharts2
``summary()`` (:func:`chart_summary`), and the IHI progress scores
(:func:`prepare_progress`, :func:`progress_reached`). The Altair builders live in
:mod:`evalkit.charts.runcharts`.

R's qicharts2 is the reference whose semantics we follow, with these deliberate
differences:

* With fewer than :data:`MIN_USEFUL_POINTS` useful points there is no runs signal and
  the limits are ``None`` (qicharts2 tests from 1 point on; Anhøj advises about 10).
* Nulls are skipped everywhere: in the runs analysis, in the centre, and in the
  i-chart's moving ranges, which are taken between consecutive *reported* points
  (qicharts2 drops a moving range next to a missing value). So inserting empty months
  never changes a result.
* A frozen baseline counts the first ``baseline`` *reported* points of a series' first
  part; parts after a break are always calculated from all their own points.
* An i-chart's lower limit is not drawn below 0 for measures that cannot be negative
  (units ``count``, ``days``, ``percent``), as qicharts2 does with ``y.neg = FALSE``.
  This changes no signal.

Monthly measures are counts of patients as teams report them, not survey answers: they
are shown as reported, without small-number suppression. No patient-level data ever
enters evalkit. For unit ``percent`` the plotted ``y`` and the catalogue's ``target``
are proportions on 0–1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "CHART_COLUMNS",
    "MIN_USEFUL_POINTS",
    "MR_SCREEN_FACTOR",
    "PROGRESS_MODEST",
    "PROGRESS_SIGNIFICANT",
    "RunsAnalysis",
    "anhoej",
    "chart_summary",
    "i_chart_sigma",
    "p_chart_limits",
    "prepare_charts",
    "prepare_progress",
    "progress_reached",
    "runs_limits",
]

MIN_USEFUL_POINTS: Final = 10
"""Fewer useful points than this give no runs signal and no limits ("too few points")."""

MR_SCREEN_FACTOR: Final = 3.267
"""Moving ranges above this times the average moving range are left out (Nelson 1982)."""

D2: Final = 1.128
"""Bias-correction constant d2 for moving ranges of two points: sigma = average MR / d2."""

SIGMA_LIMITS: Final = 3.0
"""Control limits lie this many standard deviations from the centre."""

PROGRESS_MODEST: Final = 3.0
"""IHI progress score for "modest improvement"."""

PROGRESS_SIGNIFICANT: Final = 4.0
"""IHI progress score for "significant improvement"."""

NON_NEGATIVE_UNITS: Final = ("count", "days", "percent")

BreakKey = str | tuple[str, str]
"""A team id (a break for all the team's measures) or ``(team_id, measure_id)``."""

Side = Literal["above", "below"]
ProgressBasis = Literal["latest", "highest"]

_GROUP: Final = ("team_id", "measure_id", "part")

CHART_COLUMNS: Final = (
    "team_id",
    "team_name",
    "municipality_id",
    "network_id",
    "measure_id",
    "label_nb",
    "label_nn",
    "label_en",
    "chart",
    "better",
    "unit",
    "period",
    "numerator",
    "denominator",
    "y",
    "note",
    "part",
    "baseline",
    "centre",
    "lcl",
    "ucl",
    "target",
    "sigma_signal",
    "runs_signal",
    "longest_run",
    "longest_run_max",
    "longest_run_side",
    "n_crossings",
    "n_crossings_min",
    "n_useful",
    "n_obs",
)
"""Columns of :func:`prepare_charts`' result, in order."""


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


def _as_float_array(values: Iterable[float | None] | pl.Series) -> npt.NDArray[np.float64]:
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
    y = _as_float_array(values)
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
    y = _as_float_array(values)
    y = y[~np.isnan(y)]
    if y.size < 2:
        return None
    ranges = np.abs(np.diff(y))
    kept = ranges[ranges < MR_SCREEN_FACTOR * ranges.mean()]
    if kept.size == 0:
        return None
    return float(kept.mean()) / D2


def _require(frame: pl.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} lacks column(s) {', '.join(missing)}")


def _team_facts(teams: pl.DataFrame) -> pl.DataFrame:
    """One row per team (``teams`` has one per team and wave; static facts agree)."""
    _require(teams, ("team_id", "name", "municipality_id", "network_id"), "teams")
    return teams.select(
        "team_id", pl.col("name").alias("team_name"), "municipality_id", "network_id"
    ).unique("team_id", keep="first", maintain_order=True)


def _break_frame(breaks: Mapping[BreakKey, Sequence[date]]) -> pl.DataFrame:
    team_ids: list[str] = []
    measure_ids: list[str | None] = []
    starts: list[date] = []
    for key, dates in breaks.items():
        team_id, measure_id = (key, None) if isinstance(key, str) else key
        for start in dates:
            team_ids.append(team_id)
            measure_ids.append(measure_id)
            starts.append(start)
    return pl.DataFrame(
        {"team_id": team_ids, "_break_measure": measure_ids, "_break_start": starts},
        schema={"team_id": pl.String, "_break_measure": pl.String, "_break_start": pl.Date},
    )


def _with_parts(
    frame: pl.DataFrame, breaks: Mapping[BreakKey, Sequence[date]] | None
) -> pl.DataFrame:
    if not breaks:
        return frame.with_columns(part=pl.lit(1, dtype=pl.Int32))
    indexed = frame.with_row_index("_row")
    passed = (
        indexed.select("_row", "team_id", "measure_id", "period")
        .join(_break_frame(breaks), on="team_id", how="inner")
        .filter(
            (
                pl.col("_break_measure").is_null()
                | (pl.col("_break_measure") == pl.col("measure_id"))
            )
            & (pl.col("period") >= pl.col("_break_start"))
        )
        .unique(["_row", "_break_start"])
        .group_by("_row")
        .agg(pl.len().alias("_breaks_passed"))
    )
    return (
        indexed.join(passed, on="_row", how="left")
        .with_columns(
            # Renumber 1, 2, ... so that a break before the first month or inside a gap
            # does not leave a part without points.
            part=pl.col("_breaks_passed")
            .fill_null(0)
            .rank("dense")
            .over("team_id", "measure_id")
            .cast(pl.Int32)
        )
        .sort("_row")
        .drop("_row", "_breaks_passed")
    )


def _runs_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Anhøj results per team × measure × part, computed for all series at once."""
    group = list(_GROUP)
    signs = (
        frame.filter(pl.col("y").is_not_null() & pl.col("centre").is_not_null())
        .select(*group, _sign=(pl.col("y") - pl.col("centre")).sign())
        .filter(pl.col("_sign") != 0)
        .with_columns(_previous=pl.col("_sign").shift(1).over(group))
        .with_columns(
            _run=(pl.col("_sign") != pl.col("_previous"))
            .fill_null(True)
            .cast(pl.Int32)
            .cum_sum()
            .over(group)
        )
    )
    runs = signs.group_by(*group, "_run", maintain_order=True).agg(
        _length=pl.len(), _side=pl.col("_sign").first()
    )
    per_series = runs.group_by(*group, maintain_order=True).agg(
        n_useful=pl.col("_length").sum().cast(pl.Int64),
        longest_run=pl.col("_length").max().cast(pl.Int64),
        n_crossings=(pl.len() - 1).cast(pl.Int64),
        _side=pl.col("_side").filter(pl.col("_length") == pl.col("_length").max()).last(),
    )
    sizes = sorted(set(per_series.get_column("n_useful").to_list()))
    limits = [runs_limits(n) for n in sizes]
    limit_frame = pl.DataFrame(
        {
            "n_useful": sizes,
            "longest_run_max": [None if lim is None else lim[0] for lim in limits],
            "n_crossings_min": [None if lim is None else lim[1] for lim in limits],
        },
        schema={"n_useful": pl.Int64, "longest_run_max": pl.Int64, "n_crossings_min": pl.Int64},
    )
    return (
        per_series.join(limit_frame, on="n_useful", how="left")
        .with_columns(
            longest_run_side=pl.when(pl.col("_side") > 0)
            .then(pl.lit("above"))
            .otherwise(pl.lit("below")),
            runs_signal=(
                (pl.col("longest_run") > pl.col("longest_run_max"))
                | (pl.col("n_crossings") < pl.col("n_crossings_min"))
            ).fill_null(False),
        )
        .drop("_side")
    )


def _i_chart_sigmas(frame: pl.DataFrame) -> pl.DataFrame:
    """Screened moving-range sigma per i-chart series part (from its baseline points)."""
    group = list(_GROUP)
    return (
        frame.filter((pl.col("chart") == "i") & pl.col("baseline"))
        .select(*group, _range=(pl.col("y") - pl.col("y").shift(1).over(group)).abs())
        .group_by(*group)
        .agg(
            _sigma=pl.col("_range")
            .filter(pl.col("_range") < MR_SCREEN_FACTOR * pl.col("_range").mean())
            .mean()
            / D2
        )
    )


def prepare_charts(
    measures: pl.DataFrame,
    catalogue: pl.DataFrame,
    teams: pl.DataFrame,
    *,
    baseline: int | None = None,
    breaks: Mapping[BreakKey, Sequence[date]] | None = None,
) -> pl.DataFrame:
    """Chart data for every team and measure in one pass: one row per team × measure × month.

    The chart kind (run, p, i), direction, target and unit come from the catalogue.

    * ``y`` is numerator / denominator where both are given and the denominator is
      positive, otherwise ``value``; p-charts need numerator and denominator.
    * The centre is the median (run chart), the pooled proportion (p-chart) or the mean
      (i-chart) of the part's baseline points. P-chart limits are 3-sigma per point,
      clipped to [0, 1]; i-chart limits are centre ± 3 × sigma from screened moving
      ranges (:func:`i_chart_sigma`). Run charts have no limits.
    * The Anhøj rules (:func:`anhoej`) are applied to every point of each part, against
      that part's centre; ``runs_signal`` and the runs columns repeat on every row of
      the part. ``sigma_signal`` marks points outside the limits.

    Parameters
    ----------
    measures
        The canonical ``measures`` table.
    catalogue
        The canonical ``measure_catalogue`` table.
    teams
        The canonical ``teams`` table (one row per team and wave; deduplicated here).
    baseline
        Freeze the centre and limits of each series' first part at its first
        ``baseline`` reported points. Later parts use all their points.
    breaks
        Where a new part starts and centre and limits are recalculated: a mapping from a
        team id (all its measures) or ``(team_id, measure_id)`` to the first months of
        new parts. A new part starts at the first month on or after each date.

    Returns
    -------
    polars.DataFrame
        Columns :data:`CHART_COLUMNS`, sorted by team, measure and period.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> measures = pl.DataFrame({
    ...     "team_id": ["T1"] * 12, "measure_id": ["plan"] * 12,
    ...     "period": pl.date_range(date(2015, 1, 1), date(2015, 12, 1), "1mo", eager=True),
    ...     "numerator": [3.0, 4, 4, 5, 5, 6, 8, 8, 9, 9, 10, 10],
    ...     "denominator": [10.0] * 12, "value": [None] * 12, "note": [None] * 12,
    ... })
    >>> catalogue = pl.DataFrame({
    ...     "measure_id": ["plan"], "label_nb": ["Individuell plan"],
    ...     "label_nn": ["Individuell plan"], "label_en": ["Individual plan"],
    ...     "chart": ["run"], "better": ["up"], "target": [0.8], "unit": ["percent"],
    ... })
    >>> teams = pl.DataFrame({"team_id": ["T1", "T1"], "wave": ["2015", "2016"],
    ...     "name": ["Team Øst"] * 2, "network_id": ["N1"] * 2,
    ...     "municipality_id": ["0301"] * 2})
    >>> charts = prepare_charts(measures, catalogue, teams)
    >>> charts.height, round(charts["centre"][0], 3), charts["longest_run"][0]
    (12, 0.7, 6)
    >>> charts["runs_signal"][0], charts["n_crossings"][0], charts["n_crossings_min"][0]
    (True, 1, 3)
    """
    _require(
        measures,
        ("team_id", "measure_id", "period", "numerator", "denominator", "value", "note"),
        "measures",
    )
    _require(
        catalogue,
        ("measure_id", "label_nb", "label_nn", "label_en", "chart", "better", "target", "unit"),
        "measure_catalogue",
    )
    if baseline is not None and baseline < 1:
        raise ValueError(f"baseline must be at least 1 point, got {baseline}")
    unknown = (
        measures.select(pl.col("measure_id").unique())
        .join(catalogue.select("measure_id"), on="measure_id", how="anti")
        .get_column("measure_id")
        .sort()
        .to_list()
    )
    if unknown:
        raise ValueError(f"measure(s) not in the measure catalogue: {', '.join(unknown)}")
    group = list(_GROUP)
    proportion_ok = (
        pl.col("numerator").is_not_null()
        & pl.col("denominator").is_not_null()
        & (pl.col("denominator") > 0)
    )
    frame = (
        measures.select(
            "team_id",
            "measure_id",
            "period",
            pl.col("numerator").cast(pl.Float64),
            pl.col("denominator").cast(pl.Float64),
            pl.col("value").cast(pl.Float64),
            pl.col("note").cast(pl.String),
        )
        .join(
            catalogue.select(
                "measure_id",
                "label_nb",
                "label_nn",
                "label_en",
                "chart",
                "better",
                pl.col("target").cast(pl.Float64),
                "unit",
            ),
            on="measure_id",
            how="left",
        )
        .join(_team_facts(teams), on="team_id", how="left")
        .with_columns(
            y=pl.when(proportion_ok)
            .then(pl.col("numerator") / pl.col("denominator"))
            .otherwise(pl.col("value"))
            .fill_nan(None)
        )
        .sort("team_id", "measure_id", "period")
    )
    frame = _with_parts(frame, breaks)
    reported = pl.col("y").is_not_null()
    if baseline is None:
        in_baseline = reported
    else:
        in_baseline = reported & (
            (pl.col("part") > 1) | (reported.cast(pl.Int32).cum_sum().over(group) <= baseline)
        )
    frame = frame.with_columns(baseline=in_baseline)
    in_p_baseline = pl.col("baseline") & proportion_ok
    frame = frame.with_columns(
        centre=pl.when(pl.col("chart") == "run")
        .then(pl.col("y").filter(pl.col("baseline")).median().over(group))
        .when(pl.col("chart") == "p")
        .then(
            pl.col("numerator").filter(in_p_baseline).sum().over(group)
            / pl.col("denominator").filter(in_p_baseline).sum().over(group)
        )
        .otherwise(pl.col("y").filter(pl.col("baseline")).mean().over(group))
        .fill_nan(None)
    )
    frame = frame.join(_i_chart_sigmas(frame), on=group, how="left")
    p_sd = (pl.col("centre") * (1 - pl.col("centre")) / pl.col("denominator")).sqrt()
    i_lcl = pl.col("centre") - SIGMA_LIMITS * pl.col("_sigma")
    frame = (
        frame.with_columns(
            lcl=pl.when((pl.col("chart") == "p") & proportion_ok)
            .then((pl.col("centre") - SIGMA_LIMITS * p_sd).clip(0.0, 1.0))
            .when(pl.col("chart") == "i")
            .then(
                pl.when(pl.col("unit").is_in(list(NON_NEGATIVE_UNITS)))
                .then(pl.max_horizontal(i_lcl, pl.lit(0.0)))
                .otherwise(i_lcl)
            )
            .otherwise(None),
            ucl=pl.when((pl.col("chart") == "p") & proportion_ok)
            .then((pl.col("centre") + SIGMA_LIMITS * p_sd).clip(0.0, 1.0))
            .when(pl.col("chart") == "i")
            .then(pl.col("centre") + SIGMA_LIMITS * pl.col("_sigma"))
            .otherwise(None),
        )
        .with_columns(
            pl.col("lcl", "ucl").fill_nan(None),
        )
        .with_columns(
            sigma_signal=((pl.col("y") > pl.col("ucl")) | (pl.col("y") < pl.col("lcl"))).fill_null(
                False
            ),
        )
    )
    frame = frame.join(_runs_columns(frame), on=group, how="left").with_columns(
        pl.col("n_useful", "longest_run", "n_crossings").fill_null(0),
        pl.col("runs_signal").fill_null(False),
        n_obs=pl.col("y").is_not_null().sum().over(group).cast(pl.Int64),
    )
    return frame.select(CHART_COLUMNS).sort("team_id", "measure_id", "period")


def chart_summary(charts: pl.DataFrame) -> pl.DataFrame:
    """One row per team × measure × part, like qicharts2's ``summary()``.

    Parameters
    ----------
    charts
        The result of :func:`prepare_charts`.

    Returns
    -------
    polars.DataFrame
        team_id, team_name, municipality_id, network_id, measure_id, chart, part, first
        and last period, n_obs, n_useful, longest_run, longest_run_max, n_crossings,
        n_crossings_min, runs_signal, average lower limit ``avg_lcl``, ``centre``,
        average upper limit ``avg_ucl`` and ``sigma_signal`` (points outside the limits).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> charts = pl.DataFrame({
    ...     "team_id": ["T1"] * 3, "team_name": ["Øst"] * 3, "municipality_id": ["0301"] * 3,
    ...     "network_id": ["N1"] * 3, "measure_id": ["m"] * 3, "chart": ["i"] * 3,
    ...     "part": [1, 1, 1],
    ...     "period": [date(2015, 1, 1), date(2015, 2, 1), date(2015, 3, 1)],
    ...     "n_obs": [3] * 3, "n_useful": [2] * 3, "longest_run": [1] * 3,
    ...     "longest_run_max": [None] * 3, "n_crossings": [1] * 3, "n_crossings_min": [None] * 3,
    ...     "runs_signal": [False] * 3, "lcl": [0.0, 1.0, 2.0], "centre": [5.0] * 3,
    ...     "ucl": [9.0] * 3, "sigma_signal": [False, True, False],
    ... })
    >>> chart_summary(charts).select("avg_lcl", "centre", "sigma_signal").row(0)
    (1.0, 5.0, 1)
    """
    return (
        charts.group_by("team_id", "measure_id", "part", maintain_order=True)
        .agg(
            pl.col("team_name", "municipality_id", "network_id", "chart").first(),
            first_period=pl.col("period").min(),
            last_period=pl.col("period").max(),
            n_obs=pl.col("n_obs").first(),
            n_useful=pl.col("n_useful").first(),
            longest_run=pl.col("longest_run").first(),
            longest_run_max=pl.col("longest_run_max").first(),
            n_crossings=pl.col("n_crossings").first(),
            n_crossings_min=pl.col("n_crossings_min").first(),
            runs_signal=pl.col("runs_signal").any(),
            avg_lcl=pl.col("lcl").mean(),
            centre=pl.col("centre").mean(),
            avg_ucl=pl.col("ucl").mean(),
            sigma_signal=pl.col("sigma_signal").sum().cast(pl.Int64),
        )
        .select(
            "team_id",
            "team_name",
            "municipality_id",
            "network_id",
            "measure_id",
            "chart",
            "part",
            "first_period",
            "last_period",
            "n_obs",
            "n_useful",
            "longest_run",
            "longest_run_max",
            "n_crossings",
            "n_crossings_min",
            "runs_signal",
            "avg_lcl",
            "centre",
            "avg_ucl",
            "sigma_signal",
        )
        .sort("team_id", "measure_id", "part")
    )


def prepare_progress(progress: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """IHI progress scores per team and month with the network's median.

    Parameters
    ----------
    progress
        The canonical ``progress`` table (team_id, period, score, assessor).
    teams
        The canonical ``teams`` table (one row per team and wave; deduplicated here).

    Returns
    -------
    polars.DataFrame
        team_id, team_name, municipality_id, network_id, period, assessor, score,
        ``network_median`` (median score of the network's teams that month by the same
        assessor) and ``network_teams`` (how many teams that median is of), sorted by
        network, team, assessor and period.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> progress = pl.DataFrame({
    ...     "team_id": ["T1", "T2", "T3"], "period": [date(2015, 6, 1)] * 3,
    ...     "score": [2.0, 3.0, 4.5], "assessor": ["faculty"] * 3,
    ... })
    >>> teams = pl.DataFrame({"team_id": ["T1", "T2", "T3"], "name": ["A", "B", "C"],
    ...     "network_id": ["N1"] * 3, "municipality_id": ["0301", "0301", "1103"]})
    >>> prepare_progress(progress, teams)["network_median"].to_list()
    [3.0, 3.0, 3.0]
    """
    _require(progress, ("team_id", "period", "score", "assessor"), "progress")
    cell = ("network_id", "period", "assessor")
    return (
        progress.select("team_id", "period", pl.col("score").cast(pl.Float64), "assessor")
        .join(_team_facts(teams), on="team_id", how="left")
        .with_columns(
            network_median=pl.col("score").median().over(cell),
            network_teams=pl.col("score").count().over(cell).cast(pl.Int64),
        )
        .select(
            "team_id",
            "team_name",
            "municipality_id",
            "network_id",
            "period",
            "assessor",
            "score",
            "network_median",
            "network_teams",
        )
        .sort("network_id", "team_id", "assessor", "period")
    )


def progress_reached(progress: pl.DataFrame, *, basis: ProgressBasis = "latest") -> pl.DataFrame:
    """How many teams reached modest (≥ 3) and significant (≥ 4) improvement.

    Parameters
    ----------
    progress
        The result of :func:`prepare_progress`.
    basis
        ``"latest"``: each team's most recent score; ``"highest"``: its highest score.

    Returns
    -------
    polars.DataFrame
        One row per network and assessor: ``n_teams`` (teams scored), ``n_modest``
        (score ≥ 3), ``n_significant`` (score ≥ 4), their shares of ``n_teams``, and
        ``median_score`` of the teams' scores.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> progress = pl.DataFrame({
    ...     "team_id": ["T1", "T1", "T2", "T3"], "network_id": ["N1"] * 4,
    ...     "period": [date(2015, 1, 1), date(2015, 6, 1), date(2015, 6, 1), date(2015, 6, 1)],
    ...     "assessor": ["faculty"] * 4, "score": [4.0, 3.0, 2.0, 4.5],
    ... })
    >>> progress_reached(progress).select("n_teams", "n_modest", "n_significant").row(0)
    (3, 2, 1)
    >>> progress_reached(progress, basis="highest")["n_significant"][0]
    2
    """
    if basis not in ("latest", "highest"):
        raise ValueError(f"basis must be 'latest' or 'highest', got {basis!r}")
    per_team = progress.filter(pl.col("score").is_not_null()).group_by(
        "network_id", "assessor", "team_id"
    )
    if basis == "latest":
        scores = per_team.agg(score=pl.col("score").sort_by("period").last())
    else:
        scores = per_team.agg(score=pl.col("score").max())
    return (
        scores.group_by("network_id", "assessor")
        .agg(
            n_teams=pl.len().cast(pl.Int64),
            n_modest=(pl.col("score") >= PROGRESS_MODEST).sum().cast(pl.Int64),
            n_significant=(pl.col("score") >= PROGRESS_SIGNIFICANT).sum().cast(pl.Int64),
            median_score=pl.col("score").median(),
        )
        .with_columns(
            share_modest=pl.col("n_modest") / pl.col("n_teams"),
            share_significant=pl.col("n_significant") / pl.col("n_teams"),
        )
        .select(
            "network_id",
            "assessor",
            "n_teams",
            "n_modest",
            "share_modest",
            "n_significant",
            "share_significant",
            "median_score",
        )
        .sort("network_id", "assessor")
    )
