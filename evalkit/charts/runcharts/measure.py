"""The run chart, p-chart or i-chart of one measure, one panel per team."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import polars as pl

from evalkit.charts.runcharts.common import (
    DATASET,
    MEASURE_COLUMNS,
    MONTH_LABEL,
    PALETTE,
    DescribedChart,
    month_axis,
    month_label_expr,
    single_measure,
)
from evalkit.charts.runcharts.common import runchart_text as _t
from evalkit.charts.runcharts.describe import describe_measure
from evalkit.charts.spec import json_rows
from evalkit.charts.templates import template
from evalkit.i18n import Language, check_language


def measure_chart(
    charts: pl.DataFrame,
    *,
    measure_id: str | None = None,
    language: Language = "nb",
    columns: int = 4,
    panel_width: int = 220,
    panel_height: int = 140,
) -> DescribedChart:
    """Run chart, p-chart or i-chart of one measure, one panel per team.

    Each panel shows the data line and points, the centre line per part (dashed
    vermillion when the runs rules signal), the control limits (p- and i-charts), the
    target (dotted green) and the teams' notes; points outside the limits are orange
    and larger. A part starts at each marked change (the measures' ``change_introduced``)
    and has its own centre line. A legend under the panels (a Vega-Lite legend, drawn in
    static SVG too) names each of these; the limits and the target only where the chart
    has them.

    Parameters
    ----------
    charts
        Rows of :func:`evalkit.runchart.prepare_charts`.
    measure_id
        The measure to draw; may be left out when the frame holds one measure.
    language
        ``nb``, ``nn`` or ``en``, for titles and the description.
    columns
        Panels per row.
    panel_width, panel_height
        Size of each panel in pixels.

    Returns
    -------
    DescribedChart
        The faceted chart and :func:`describe_measure`'s text (also set as the chart's
        ``description``, which screen readers announce).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_charts
    >>> months = pl.date_range(date(2015, 1, 1), date(2015, 12, 1), "1mo", eager=True)
    >>> measures = pl.DataFrame({
    ...     "team_id": ["T1"] * 12, "measure_id": ["wait"] * 12, "period": months,
    ...     "numerator": [None] * 12, "denominator": [None] * 12,
    ...     "value": [30.0, 38, 27, 36, 29, 75, 31, 26, 37, 28, 35, 30],
    ...     "note": [None] * 5 + ["Ny rutine"] + [None] * 6})
    >>> catalogue = pl.DataFrame({"measure_id": ["wait"], "label_nb": ["Ventetid"],
    ...     "label_nn": ["Ventetid"], "label_en": ["Waiting time"],
    ...     "chart": ["i"], "better": ["down"], "target": [None], "unit": ["days"]})
    >>> teams = pl.DataFrame({"team_id": ["T1"], "name": ["Team Øst"],
    ...     "network_id": ["N1"], "municipality_id": ["0301"]})
    >>> chart, text = measure_chart(prepare_charts(measures, catalogue, teams), language="en")
    >>> type(chart).__name__
    'FacetChart'
    >>> print(text.splitlines()[1])
    Team Øst: No sign of change beyond random variation. 1 point lies outside the limits of usual variation (June 2015). The average is 35.2; the latest point (December 2015) is 30.
    """
    language = check_language(language)
    description = describe_measure(charts, measure_id=measure_id, language=language)
    measure_id, rows = single_measure(charts, measure_id)
    first = rows.row(0, named=True)
    unit = str(first["unit"])
    label = str(first[f"label_{language}"] or measure_id)
    data = rows.select(*MEASURE_COLUMNS)
    is_share = unit == "percent"
    unit_title = _t("score_unit", language) if unit == "score" else _t(unit, language)
    chart = _measure_layout(
        is_share, unit_title, language, columns, panel_width, panel_height, *_legend_needs(rows)
    )
    chart = chart.properties(title=label, description=description)
    chart.data = data
    return DescribedChart(chart, description)


def _legend(language: Language, has_limits: bool, has_target: bool) -> alt.Chart:
    """A layer without marks whose colour and shape scales give the chart its legend:
    what the line, the centre line (plain and at a sign of change), the limits, the
    target and the highlighted points are. A Vega-Lite legend, drawn in static SVG too."""
    solid, dashed, dotted = [1, 0], [6, 4], [2, 2]
    entries = [
        ("data", "circle", PALETTE["data"], solid),
        ("centre", "stroke", PALETTE["centre"], solid),
        ("signal", "stroke", PALETTE["runs_signal"], dashed),
    ]
    if has_limits:
        entries += [
            ("limits", "stroke", PALETTE["limits"], solid),
            ("outside", "circle", PALETTE["sigma_signal"], solid),
        ]
    if has_target:
        entries.append(("target", "stroke", PALETTE["target"], dotted))
    names = [_t(f"legend_{key}", language) for key, *_ in entries]
    title = _t("legend_title", language)
    legend: alt.Chart = (
        alt.Chart()
        .transform_filter("false")
        .mark_point(filled=False, strokeWidth=2)
        .encode(
            color=alt.Color(
                "legend:N",
                title=title,
                scale=alt.Scale(domain=names, range=[colour for _, _, colour, _ in entries]),
                legend=alt.Legend(
                    # one column: as narrow as a panel, so the panel that carries it is not shrunk
                    orient="bottom", direction="vertical", columns=1, symbolStrokeWidth=2, labelLimit=200
                ),
            ),
            shape=alt.Shape(
                "legend:N", title=title, scale=alt.Scale(domain=names, range=[shape for _, shape, _, _ in entries])
            ),
            strokeDash=alt.StrokeDash(
                "legend:N", title=title, scale=alt.Scale(domain=names, range=[dash for *_, dash in entries])
            ),
        )
    )
    return legend


def _measure_layout(
    is_share: bool,
    unit_title: str,
    language: Language,
    columns: int,
    panel_width: int,
    panel_height: int,
    has_limits: bool = True,
    has_target: bool = True,
) -> alt.FacetChart:
    """The measure chart without its data (a named dataset), title or description."""
    y_axis = alt.Axis(format=".0%") if is_share else alt.Axis()
    x = alt.X("period:T", title=_t("month", language), axis=month_axis(language))

    def y_of(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title=unit_title, axis=y_axis)

    base = alt.Chart()
    limits = [
        base.mark_line(color=PALETTE["limits"], strokeWidth=1).encode(
            x=x, y=y_of(field), detail="part:N"
        )
        for field in ("lcl", "ucl")
    ]
    centre = base.mark_line(strokeWidth=1.5).encode(
        x=x,
        y=y_of("centre"),
        detail="part:N",
        color=alt.condition(
            "datum.runs_signal", alt.value(PALETTE["runs_signal"]), alt.value(PALETTE["centre"])
        ),
        strokeDash=alt.condition("datum.runs_signal", alt.value([6, 4]), alt.value([1, 0])),
    )
    target = base.mark_line(color=PALETTE["target"], strokeDash=[2, 2], strokeWidth=1.5).encode(
        x=x, y=y_of("target")
    )
    line = base.mark_line(color=PALETTE["data"], strokeWidth=1.5).encode(
        x=x, y=y_of("y"), detail="part:N"
    )
    tooltip: list[Any] = [
        alt.Tooltip(f"{MONTH_LABEL}:N", title=_t("month", language)),
        alt.Tooltip("y:Q", title=unit_title, format=".1%" if is_share else ",.1f"),
        alt.Tooltip("note:N", title=_t("note", language)),
    ]
    points = base.transform_calculate(
        **{MONTH_LABEL: month_label_expr("datum.period", language)}
    ).mark_circle(opacity=1).encode(
        x=x,
        y=y_of("y"),
        color=alt.condition(
            "datum.sigma_signal", alt.value(PALETTE["sigma_signal"]), alt.value(PALETTE["data"])
        ),
        size=alt.condition("datum.sigma_signal", alt.value(90), alt.value(30)),
        tooltip=tooltip,
    )
    notes = (
        base.transform_filter("isValid(datum.note) && datum.note !== ''")
        .mark_text(align="left", dx=4, dy=-10, fontSize=9, color="#333333", limit=panel_width // 2)
        .encode(x=x, y=y_of("y"), text="note:N")
    )
    layers = alt.layer(
        *limits, centre, target, line, points, notes, _legend(language, has_limits, has_target)
    ).properties(
        width=panel_width, height=panel_height
    )
    chart: alt.FacetChart = (
        layers.facet(
            data=alt.Data(name=DATASET),
            facet=alt.Facet("team_name:N", title=None, header=alt.Header(labelFontWeight="bold")),
            columns=columns,
        )
        .resolve_scale(y="shared" if is_share else "independent")
    )
    return chart


def _legend_needs(rows: pl.DataFrame) -> tuple[bool, bool]:
    """Whether the legend needs the limits (p- and i-charts) and the target."""
    return bool(rows["chart"][0] != "run"), bool(rows["target"].is_not_null().any())


@template
def _measure_template(
    is_share: bool,
    unit_title: str,
    language: Language,
    columns: int,
    panel_width: int,
    panel_height: int,
    has_limits: bool,
    has_target: bool,
) -> str:
    spec = _measure_layout(
        is_share, unit_title, language, columns, panel_width, panel_height, has_limits, has_target
    ).to_dict(validate=False)
    return json.dumps(spec)


def measure_chart_spec(
    charts: pl.DataFrame,
    *,
    measure_id: str | None = None,
    language: Language = "nb",
    columns: int = 4,
    panel_width: int = 220,
    panel_height: int = 140,
) -> tuple[dict[str, Any], str]:
    """The Vega-Lite spec of :func:`measure_chart` and its description, built fast.

    The chart's structure depends only on its settings, so it is built by Altair once
    per settings and reused; each call adds its own rows, title and description. The
    batch draws thousands of these.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_charts
    >>> months = pl.date_range(date(2015, 1, 1), date(2015, 12, 1), "1mo", eager=True)
    >>> measures = pl.DataFrame({"team_id": ["T1"] * 12, "measure_id": ["wait"] * 12,
    ...     "period": months, "numerator": [None] * 12, "denominator": [None] * 12,
    ...     "value": [30.0, 32, 29, 31, 30, 28, 33, 30, 31, 29, 30, 32], "note": [None] * 12})
    >>> catalogue = pl.DataFrame({"measure_id": ["wait"], "label_nb": ["Ventetid"],
    ...     "label_nn": ["Ventetid"], "label_en": ["Waiting time"], "chart": ["i"],
    ...     "better": ["down"], "target": [None], "unit": ["days"]})
    >>> teams = pl.DataFrame({"team_id": ["T1"], "name": ["A"], "network_id": ["N1"],
    ...     "municipality_id": ["0301"]})
    >>> charts = prepare_charts(measures, catalogue, teams)
    >>> spec, text = measure_chart_spec(charts, language="en")
    >>> spec["title"], len(spec["datasets"]["rows"]), spec["datasets"]["rows"][0]["period"]
    ('Waiting time', 12, '2015-01-01')
    >>> from evalkit.charts.spec import to_spec
    >>> slow = to_spec(measure_chart(charts, language="en").chart)
    >>> {k: v for k, v in slow.items() if k != "datasets"} == {k: v for k, v in spec.items() if k != "datasets"}
    True
    """
    language = check_language(language)
    description = describe_measure(charts, measure_id=measure_id, language=language)
    measure_id, rows = single_measure(charts, measure_id)
    first = rows.row(0, named=True)
    unit = str(first["unit"])
    unit_title = _t("score_unit", language) if unit == "score" else _t(unit, language)
    spec: dict[str, Any] = json.loads(
        _measure_template(
            unit == "percent", unit_title, language, columns, panel_width, panel_height, *_legend_needs(rows)
        )
    )
    spec["title"] = str(first[f"label_{language}"] or measure_id)
    spec["description"] = description
    spec["datasets"] = {DATASET: json_rows(rows.select(*MEASURE_COLUMNS))}
    return spec, description
