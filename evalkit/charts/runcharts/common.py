"""What the run-chart builders share: the palette, the dataset name, the text lookup."""

from __future__ import annotations

import json
from typing import Final, NamedTuple

import altair as alt
import polars as pl

from evalkit.i18n import Language, month_abbreviations, text

DATASET: Final = "rows"
"""Name of the dataset the chart templates draw from."""

MEASURE_COLUMNS: Final = (
    "team_id", "team_name", "period", "part", "y", "centre", "lcl", "ucl", "target",
    "note", "sigma_signal", "runs_signal",
)  # fmt: skip

PALETTE: Final = {
    "data": "#0072B2",  # blue
    "sigma_signal": "#E69F00",  # orange
    "runs_signal": "#D55E00",  # vermillion ("red")
    "centre": "#555555",
    "limits": "#999999",
    "target": "#009E73",  # bluish green
    "faculty": "#0072B2",
    "self": "#E69F00",
}
"""Okabe–Ito colours used by the builders."""

_KEYS: Final = {"assessor": "assessor", "faculty": "assessor_faculty", "self": "runchart_assessor_self"}
"""Texts shared with the report; every other key ``k`` is ``runchart_k`` in the strings file."""


def runchart_text(key: str, language: Language, /, **values: object) -> str:
    """A run-chart text from :mod:`evalkit.i18n`'s strings file."""
    return text(_KEYS.get(key, f"runchart_{key}"), language, **values)


MONTH_LABEL: Final = "month_label"
"""Field a tooltip shows the month in, computed in the chart by :func:`month_label_expr`."""


def month_label_expr(field: str, language: Language) -> str:
    """A Vega expression naming the month of ``field`` (a date) as
    :func:`evalkit.i18n.fmt_month_short` does: "jan. 2025" (nb, nn), "Jan 2025" (en).

    The month names come from Babel in Python, so the chart needs no time locale; like
    Vega's own time formats the expression reads the date in local time, as the axis
    places its ticks.

    Examples
    --------
    >>> month_label_expr("datum.value", "nb")[:27]
    '["jan.", "feb.", "mars", "a'
    >>> print(month_label_expr("datum.value", "en")[-52:])
    "Dec"][month(datum.value)] + ' ' + year(datum.value)
    """
    names = json.dumps(list(month_abbreviations(language)), ensure_ascii=False)
    return f"{names}[month({field})] + ' ' + year({field})"


def month_axis(language: Language) -> alt.Axis:
    """The time axis of the run and progress charts: abbreviated months, slanted."""
    return alt.Axis(labelExpr=month_label_expr("datum.value", language), labelAngle=-45)


class DescribedChart(NamedTuple):
    """A chart and the plain-language text that says what it shows."""

    chart: alt.FacetChart
    description: str


def single_measure(charts: pl.DataFrame, measure_id: str | None) -> tuple[str, pl.DataFrame]:
    """The measure's id and its chart rows sorted by team and month (the only measure
    of ``charts`` when ``measure_id`` is None)."""
    if measure_id is None:
        ids = charts.get_column("measure_id").unique().to_list()
        if len(ids) != 1:
            raise ValueError(f"the frame holds {len(ids)} measures; choose one with measure_id=...")
        measure_id = str(ids[0])
    rows = charts.filter(pl.col("measure_id") == measure_id)
    if rows.height == 0:
        raise ValueError(f"no chart rows for measure {measure_id!r}")
    rows = rows.with_columns(team_name=pl.coalesce("team_name", "team_id")).sort(
        "team_name", "team_id", "period"
    )
    return measure_id, rows
