"""Chart data for every team and measure in one pass, and the per-part summary.

Part of :mod:`evalkit.runchart` (see there for how evalkit follows R's qicharts2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

import polars as pl

from evalkit.runchart.inputs import require_columns, team_facts
from evalkit.runchart.limits import D2, MR_SCREEN_FACTOR, NON_NEGATIVE_UNITS, SIGMA_LIMITS
from evalkit.runchart.parts import BreakKey, marked_breaks, with_parts
from evalkit.runchart.rules import runs_limits

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
        new parts. A new part starts at the first month on or after each date. Months
        marked in the measures' optional ``change_introduced`` column start new parts
        too (for that team and measure).

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
    require_columns(
        measures,
        ("team_id", "measure_id", "period", "numerator", "denominator", "value", "note"),
        "measures",
    )
    require_columns(
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
        .join(team_facts(teams), on="team_id", how="left")
        .with_columns(
            y=pl.when(proportion_ok)
            .then(pl.col("numerator") / pl.col("denominator"))
            .otherwise(pl.col("value"))
            .fill_nan(None)
        )
        .sort("team_id", "measure_id", "period")
    )
    all_breaks = marked_breaks(measures)
    for key, dates in (breaks or {}).items():
        all_breaks[key] = [*all_breaks.get(key, []), *dates]
    frame = with_parts(frame, all_breaks)
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
