"""IHI progress scores over time, one panel per team, faculty and self side by side."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import polars as pl

from evalkit.charts.runcharts.common import (
    DATASET,
    MONTH_LABEL,
    PALETTE,
    DescribedChart,
    month_axis,
    month_label_expr,
)
from evalkit.charts.runcharts.common import runchart_text as _t
from evalkit.charts.runcharts.describe import describe_progress
from evalkit.charts.spec import json_rows
from evalkit.charts.templates import template
from evalkit.i18n import Language, check_language
from evalkit.runchart import PROGRESS_MODEST, PROGRESS_SIGNIFICANT, ProgressBasis


def progress_chart(
    progress: pl.DataFrame,
    *,
    language: Language = "nb",
    basis: ProgressBasis = "latest",
    columns: int = 4,
    panel_width: int = 200,
    panel_height: int = 120,
) -> DescribedChart:
    """IHI progress scores over time, one panel per team, faculty and self side by side.

    In each panel the faculty's and the team's own scores are solid lines (blue and
    orange), the network's median for each is a dashed line in the same colour, and
    thin green rules mark 3 (modest) and 4 (significant improvement).

    Parameters
    ----------
    progress
        The result of :func:`evalkit.runchart.prepare_progress`.
    language
        ``nb``, ``nn`` or ``en``.
    basis
        Passed to :func:`describe_progress`.
    columns
        Panels per row.
    panel_width, panel_height
        Size of each panel in pixels.

    Returns
    -------
    DescribedChart

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_progress
    >>> progress = pl.DataFrame({"team_id": ["T1", "T1", "T2", "T2"],
    ...     "period": [date(2015, 6, 1)] * 4, "score": [2.0, 2.5, 3.0, 4.0],
    ...     "assessor": ["faculty", "self"] * 2})
    >>> teams = pl.DataFrame({"team_id": ["T1", "T2"], "name": ["A", "B"],
    ...     "network_id": ["N1"] * 2, "municipality_id": ["0301"] * 2})
    >>> chart, text = progress_chart(prepare_progress(progress, teams))
    >>> type(chart).__name__, text.count("\\n")
    ('FacetChart', 2)
    """
    language = check_language(language)
    description = describe_progress(progress, language=language, basis=basis)
    data = _progress_rows(progress, language)
    chart = _progress_layout(language, columns, panel_width, panel_height).properties(
        title=_t("score", language), description=description
    )
    chart.data = data
    return DescribedChart(chart, description)


def _progress_rows(progress: pl.DataFrame, language: Language) -> pl.DataFrame:
    assessors = [_t("faculty", language), _t("self", language)]
    series = [_t("team_score", language), _t("network_median", language)]
    data = (
        progress.with_columns(team_name=pl.coalesce("team_name", "team_id"))
        .select(
            "team_id",
            "team_name",
            "period",
            pl.col("assessor").replace_strict(
                {"faculty": assessors[0], "self": assessors[1]}, return_dtype=pl.String
            ),
            pl.col("score").alias(series[0]),
            pl.col("network_median").alias(series[1]),
        )
        .unpivot(
            index=["team_id", "team_name", "period", "assessor"],
            on=series,
            variable_name="series",
            value_name="score",
        )
        .sort("team_name", "assessor", "series", "period")
    )
    return data


def _progress_layout(language: Language, columns: int, panel_width: int, panel_height: int) -> alt.FacetChart:
    """The progress chart without its data (a named dataset), title or description."""
    assessors = [_t("faculty", language), _t("self", language)]
    series = [_t("team_score", language), _t("network_median", language)]
    x = alt.X("period:T", title=_t("month", language), axis=month_axis(language))
    y = alt.Y(
        "score:Q",
        title=_t("score", language),
        scale=alt.Scale(domain=[0.5, 5]),
        axis=alt.Axis(values=[1, 2, 3, 4, 5], labelOverlap=False),
    )
    colour = alt.Color(
        "assessor:N",
        title=_t("assessor", language),
        scale=alt.Scale(domain=assessors, range=[PALETTE["faculty"], PALETTE["self"]]),
    )
    dash = alt.StrokeDash(
        "series:N",
        title=_t("series", language),
        scale=alt.Scale(domain=series, range=[[1, 0], [5, 3]]),
    )
    base = alt.Chart()
    lines = base.mark_line(point=False, strokeWidth=1.5).encode(
        x=x, y=y, color=colour, strokeDash=dash, detail="series:N"
    )
    points = (
        base.transform_filter(alt.datum.series == series[0])
        .transform_calculate(**{MONTH_LABEL: month_label_expr("datum.period", language)})
        .mark_circle(size=30, opacity=1)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip(f"{MONTH_LABEL}:N", title=_t("month", language)),
                alt.Tooltip("assessor:N", title=_t("assessor", language)),
                alt.Tooltip("score:Q", title=_t("score", language)),
            ],
        )
    )
    rules = [
        base.transform_aggregate(rows="count()")
        .mark_rule(color=PALETTE["target"], strokeWidth=0.8, opacity=0.6)
        .encode(y=alt.datum(level))
        for level in (PROGRESS_MODEST, PROGRESS_SIGNIFICANT)
    ]
    layers = alt.layer(lines, points, *rules).properties(width=panel_width, height=panel_height)
    chart = layers.facet(
        data=alt.Data(name=DATASET),
        facet=alt.Facet("team_name:N", title=None, header=alt.Header(labelFontWeight="bold")),
        columns=columns,
    )
    return chart


@template
def _progress_template(language: Language, columns: int, panel_width: int, panel_height: int) -> str:
    return json.dumps(_progress_layout(language, columns, panel_width, panel_height).to_dict(validate=False))


def progress_chart_spec(
    progress: pl.DataFrame,
    *,
    language: Language = "nb",
    basis: ProgressBasis = "latest",
    columns: int = 4,
    panel_width: int = 200,
    panel_height: int = 120,
) -> tuple[dict[str, Any], str]:
    """The Vega-Lite spec of :func:`progress_chart` and its description, built fast
    (the structure is built once per settings; see :func:`measure_chart_spec`).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_progress
    >>> progress = pl.DataFrame({"team_id": ["T1", "T1"], "period": [date(2015, 6, 1)] * 2,
    ...     "score": [2.0, 2.5], "assessor": ["faculty", "self"]})
    >>> teams = pl.DataFrame({"team_id": ["T1"], "name": ["A"], "network_id": ["N1"],
    ...     "municipality_id": ["0301"]})
    >>> prepared = prepare_progress(progress, teams)
    >>> spec, _ = progress_chart_spec(prepared, language="en")
    >>> from evalkit.charts.spec import to_spec
    >>> slow = to_spec(progress_chart(prepared, language="en").chart)
    >>> {k: v for k, v in slow.items() if k != "datasets"} == {k: v for k, v in spec.items() if k != "datasets"}
    True
    """
    language = check_language(language)
    description = describe_progress(progress, language=language, basis=basis)
    spec: dict[str, Any] = json.loads(_progress_template(language, columns, panel_width, panel_height))
    spec["title"] = _t("score", language)
    spec["description"] = description
    spec["datasets"] = {DATASET: json_rows(_progress_rows(progress, language))}
    return spec, description
