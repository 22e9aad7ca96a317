"""What the run-chart builders share: the palette, the dataset name, the text lookup."""

from __future__ import annotations

from typing import Final, NamedTuple

import altair as alt
import polars as pl

from evalkit.i18n import Language, text

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
