"""Whether a series changed, in the measure's own terms: better or worse, since when,
from which level to which.

Part of :mod:`evalkit.runchart`. The Anhøj rules say *that* a series changed (a run on
one side of the centre, too few crossings); which side a run lies on does not say
whether things got better. :func:`series_change` places the change in time and compares
the level before with the level after, and the measure's ``better`` ("up" or "down")
turns that into an improvement or a deterioration.

* A series with a marked change (a later part, from the measures' ``change_introduced``
  or explicit breaks) compares the centre of the part before the latest change with the
  centre of the latest part (the centre lines the chart draws). The rules are applied to
  the whole series against its median: does the series as a whole show a shift?
* A series without a marked change uses its own runs signal (the one in the chart's
  table). The change is placed at the crossing of the centre that best splits the
  series in two: the run boundary where ``|level after − level before|·√(k·(n−k)/n)``
  is largest (the usual single change-point statistic, restricted to crossings).

The level is the chart's centre statistic: the median (run chart), the pooled proportion
(p-chart) or the mean (i-chart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

import polars as pl

from evalkit.runchart.rules import MIN_USEFUL_POINTS, anhoej

Direction = Literal["improvement", "deterioration"]


@dataclass(frozen=True)
class SeriesChange:
    """What one team's series of one measure shows.

    Attributes
    ----------
    signal
        The rules find a sign of change (see the module's text for which rules).
    enough
        The series has enough useful points for the rules (``MIN_USEFUL_POINTS``).
    direction
        ``"improvement"`` or ``"deterioration"`` in the measure's own terms when
        ``before`` and ``after`` differ; ``None`` otherwise.
    since
        The first month of the later level (the marked month with a marked change).
    before, after
        The level before ``since`` and from ``since`` on.
    marked
        ``since`` is a change the team marked (a new part of the chart).
    """

    signal: bool
    enough: bool
    direction: Direction | None
    since: date | None
    before: float | None
    after: float | None
    marked: bool

    @property
    def improvement(self) -> bool:
        return self.signal and self.direction == "improvement"

    @property
    def deterioration(self) -> bool:
        return self.signal and self.direction == "deterioration"


def _level(rows: pl.DataFrame, chart: str) -> float | None:
    y = rows.get_column("y").drop_nulls()
    if y.len() == 0:
        return None
    if chart == "run":
        return float(y.median())  # type: ignore[arg-type]
    if chart == "p":
        ok = rows.filter(
            pl.col("numerator").is_not_null() & (pl.col("denominator").fill_null(0) > 0)
        )
        if ok.height:
            numerator = float(ok.get_column("numerator").sum())
            return numerator / float(ok.get_column("denominator").sum())
    return float(y.mean())  # type: ignore[arg-type]


def _direction(before: float | None, after: float | None, better: str) -> Direction | None:
    if before is None or after is None or math.isclose(before, after, rel_tol=0, abs_tol=1e-12):
        return None
    return "improvement" if (after > before) == (better == "up") else "deterioration"


def _best_split(reported: pl.DataFrame, chart: str) -> int | None:
    """Index of the first point of the later level: the crossing of the centre that best
    splits the series, or None when the series never crosses its centre."""
    y = reported.get_column("y").to_list()
    centre = reported.get_column("centre").to_list()
    signs = [0 if c is None else (v > c) - (v < c) for v, c in zip(y, centre, strict=True)]
    n = len(y)
    best: tuple[float, int] | None = None
    previous = 0
    for k, sign in enumerate(signs):
        if sign == 0:
            continue
        if previous and sign != previous:
            before, after = _level(reported[:k], chart), _level(reported[k:], chart)
            if before is not None and after is not None:
                score = abs(after - before) * math.sqrt(k * (n - k) / n)
                if best is None or score > best[0]:
                    best = (score, k)
        previous = sign
    return None if best is None else best[1]


def series_change(rows: pl.DataFrame) -> SeriesChange:
    """What one team × measure series shows (rows of :func:`prepare_charts`).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_charts
    >>> months = pl.date_range(date(2024, 1, 1), date(2025, 6, 1), "1mo", eager=True)
    >>> measures = pl.DataFrame({"team_id": ["T1"] * 18, "measure_id": ["m"] * 18,
    ...     "period": months, "numerator": None, "denominator": None,
    ...     "value": [3.0, 4, 3, 5, 4, 3, 4, 5, 3, 4, 8, 9, 8, 7, 9, 8, 9, 8], "note": None})
    >>> catalogue = pl.DataFrame({"measure_id": ["m"], "label_nb": ["M"], "label_nn": ["M"],
    ...     "label_en": ["M"], "chart": ["run"], "better": ["down"], "target": [None],
    ...     "unit": ["count"]})
    >>> teams = pl.DataFrame({"team_id": ["T1"], "name": ["A"], "network_id": ["N1"],
    ...     "municipality_id": ["0301"]})
    >>> change = series_change(prepare_charts(measures, catalogue, teams))
    >>> change.signal, change.direction, change.since, change.before, change.after
    (True, 'deterioration', datetime.date(2024, 11, 1), 4.0, 8.0)
    """
    rows = rows.sort("period")
    first = rows.row(0, named=True)
    chart, better = str(first["chart"]), str(first["better"])
    reported = rows.filter(pl.col("y").is_not_null())
    if reported.height == 0:
        return SeriesChange(False, False, None, None, None, None, False)
    last_part = int(reported.get_column("part").max())  # type: ignore[arg-type]
    if last_part > 1:
        latest = reported.filter(pl.col("part") == last_part)
        earlier = reported.filter(pl.col("part") == last_part - 1)
        before = earlier.get_column("centre")[0] if earlier.height else None
        after = latest.get_column("centre")[0]
        whole = anhoej(reported.get_column("y"))
        return SeriesChange(
            signal=whole.runs_signal,
            enough=not whole.too_few_points,
            direction=_direction(before, after, better),
            since=rows.filter(pl.col("part") == last_part).get_column("period").min(),  # type: ignore[arg-type]
            before=before,
            after=after,
            marked=True,
        )
    signal = bool(rows.get_column("runs_signal").any())
    enough = int(first["n_useful"]) >= MIN_USEFUL_POINTS
    if not signal:
        return SeriesChange(False, enough, None, None, None, None, False)
    k = _best_split(reported, chart)
    if k is None:  # every point on one side of a frozen centre: compare with the centre
        before, after, since = first["centre"], _level(reported, chart), reported["period"][0]
    else:
        before, after = _level(reported[:k], chart), _level(reported[k:], chart)
        since = reported["period"][k]
    return SeriesChange(True, enough, _direction(before, after, better), since, before, after, False)


def series_changes(charts: pl.DataFrame) -> pl.DataFrame:
    """:func:`series_change` for every team × measure of ``charts``.

    Returns
    -------
    polars.DataFrame
        team_id, measure_id, signal, enough, direction, since, before, after, marked.
    """
    records = []
    for rows in charts.partition_by("team_id", "measure_id", maintain_order=True):
        change = series_change(rows)
        records.append({
            "team_id": rows["team_id"][0], "measure_id": rows["measure_id"][0],
            "signal": change.signal, "enough": change.enough, "direction": change.direction,
            "since": change.since, "before": change.before, "after": change.after,
            "marked": change.marked,
        })  # fmt: skip
    schema = {
        "team_id": pl.String, "measure_id": pl.String, "signal": pl.Boolean,
        "enough": pl.Boolean, "direction": pl.String, "since": pl.Date,
        "before": pl.Float64, "after": pl.Float64, "marked": pl.Boolean,
    }  # fmt: skip
    return pl.DataFrame(records, schema=schema)
