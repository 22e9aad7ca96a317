"""Altair builders for run charts, control charts and IHI progress scores.

The builders take the frames prepared by :mod:`evalkit.runchart` and return a chart
together with a plain-language description of what the rules found, in the report's
language (nb bokmål, nn nynorsk, en English). They do no I/O and register no theme:
colours are plain encodings from the Okabe–Ito palette, which stays distinguishable
with the common kinds of colour blindness; a runs signal is shown by a dashed line as
well as by colour.

Altair refuses to embed more than 5 000 rows by default: build one chart per measure
and per municipality or network, not one for the whole country.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Final, NamedTuple

import altair as alt
import polars as pl

from evalkit.charts.spec import json_rows
from evalkit.i18n import Language, check_language, fmt_month, fmt_value, text
from evalkit.i18n import fmt_month as format_month
from evalkit.i18n import fmt_value as format_value
from evalkit.runchart import (
    MIN_USEFUL_POINTS,
    PROGRESS_MODEST,
    PROGRESS_SIGNIFICANT,
    ProgressBasis,
    progress_reached,
)

__all__ = [
    "PALETTE",
    "DescribedChart",
    "Language",
    "describe_measure",
    "describe_progress",
    "format_month",
    "format_value",
    "measure_chart",
    "measure_chart_spec",
    "progress_chart",
    "progress_chart_spec",
]

DATASET: Final = "rows"
"""Name of the dataset the chart templates draw from."""

_MEASURE_COLUMNS: Final = (
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


def _t(key: str, language: Language, /, **values: object) -> str:
    """A run-chart text from :mod:`evalkit.i18n`'s strings file."""
    return text(_KEYS.get(key, f"runchart_{key}"), language, **values)


class DescribedChart(NamedTuple):
    """A chart and the plain-language text that says what it shows."""

    chart: alt.FacetChart
    description: str


def _plural(k: int, language: Language, one: str, many: str) -> str:
    return _t(one if k == 1 else many, language)


def _describe_part(rows: pl.DataFrame, language: Language) -> str:
    """Sentences for one team × measure × part (rows sorted by period)."""
    first = rows.row(0, named=True)
    reported = rows.filter(pl.col("y").is_not_null())
    if reported.height == 0:
        return _t("no_data", language)
    unit = str(first["unit"])
    centre_word = _t("median", language) if first["chart"] == "run" else _t("average", language)
    sentences: list[str] = []
    n_useful = int(first["n_useful"])
    if first["longest_run_max"] is None:
        sentences.append(
            _t(
                "too_few",
                language,
                n=n_useful,
                points=_plural(n_useful, language, "point", "points"),
                min=MIN_USEFUL_POINTS,
            )
        )
    elif not first["runs_signal"]:
        sentences.append(_t("no_signal", language))
    else:
        parts: list[str] = []
        if first["longest_run"] > first["longest_run_max"]:
            side = str(first["longest_run_side"])
            wanted = (side == "above") == (first["better"] == "up")
            parts.append(
                _t("long_run", language, k=first["longest_run"], side=_t(side, language),
                   centre=centre_word)
                + (_t("wanted", language) if wanted else _t("unwanted", language))
            )
        if first["n_crossings"] < first["n_crossings_min"]:
            c = int(first["n_crossings"])
            key = "no_crossings" if c == 0 else "crossings"
            parts.append(
                _t(
                    key,
                    language,
                    centre=centre_word,
                    c=c,
                    times=_plural(c, language, "time", "times"),
                    m=first["n_crossings_min"],
                )
            )
        sentences.append(_t("signal", language, what=_t("and", language).join(parts)))
    outside = reported.filter(pl.col("sigma_signal"))
    if outside.height:
        months = ", ".join(fmt_month(d, language) for d in outside.get_column("period"))
        sentences.append(
            _t(
                "sigma_one" if outside.height == 1 else "sigma_many",
                language,
                k=outside.height,
                points=_plural(outside.height, language, "point", "points"),
                months=months,
            )
        )
    if first["runs_signal"] and first["chart"] != "run":
        sentences.append(_t("limits_void", language))
    n_baseline = int(reported.get_column("baseline").sum())
    if n_baseline < reported.height:
        sentences.append(_t("frozen", language, k=n_baseline))
    last = reported.row(reported.height - 1, named=True)
    sentences.append(
        _t(
            "centre_is",
            language,
            Centre=centre_word[:1].upper() + centre_word[1:],
            centre_value=fmt_value(first["centre"], unit, language),
            month=fmt_month(last["period"], language),
            last=fmt_value(last["y"], unit, language),
        )
    )
    return " ".join(sentences)


def _describe_team(rows: pl.DataFrame, language: Language) -> str:
    parts = rows.partition_by("part", maintain_order=True)
    if len(parts) == 1:
        return _describe_part(parts[0], language)
    return " ".join(
        _t("from", language, month=fmt_month(part.get_column("period").min(), language))  # type: ignore[arg-type]
        + _describe_part(part, language)
        for part in parts
    )


def _single_measure(charts: pl.DataFrame, measure_id: str | None) -> tuple[str, pl.DataFrame]:
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


def describe_measure(
    charts: pl.DataFrame, *, measure_id: str | None = None, language: Language = "nb"
) -> str:
    """Say in plain words what the runs and sigma rules found for one measure.

    The first line counts the teams whose latest part shows a sign of change; then one
    line per team says what the rules found, part by part.

    Parameters
    ----------
    charts
        Rows of :func:`evalkit.runchart.prepare_charts`.
    measure_id
        The measure to describe; may be left out when the frame holds one measure.
    language
        ``nb``, ``nn`` or ``en``.

    Returns
    -------
    str

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_charts
    >>> months = pl.date_range(date(2015, 1, 1), date(2015, 12, 1), "1mo", eager=True)
    >>> measures = pl.DataFrame({
    ...     "team_id": ["T1"] * 12, "measure_id": ["plan"] * 12, "period": months,
    ...     "numerator": [2.0, 3, 2, 3, 2, 3, 6, 7, 8, 7, 8, 9], "denominator": [10.0] * 12,
    ...     "value": [None] * 12, "note": [None] * 12})
    >>> catalogue = pl.DataFrame({"measure_id": ["plan"], "label_nb": ["Individuell plan"],
    ...     "label_nn": ["Individuell plan"], "label_en": ["Individual plan"],
    ...     "chart": ["run"], "better": ["up"], "target": [0.8], "unit": ["percent"]})
    >>> teams = pl.DataFrame({"team_id": ["T1"], "name": ["Team Øst"],
    ...     "network_id": ["N1"], "municipality_id": ["0301"]})
    >>> charts = prepare_charts(measures, catalogue, teams)
    >>> print(describe_measure(charts, language="nb").replace("\\xa0", " "))
    Individuell plan: 1 av 1 team viser tegn til endring.
    Team Øst: Tegn til endring: kurven krysser medianen bare 1 gang (ventet minst 3). Medianen er 45,0 %; siste måling (desember 2015) er 90,0 %. Målet er 80,0 %.
    """
    language = check_language(language)
    measure_id, rows = _single_measure(charts, measure_id)
    first = rows.row(0, named=True)
    label = str(first[f"label_{language}"] or measure_id)
    lines: list[str] = []
    signalling = 0
    teams = rows.partition_by("team_id", maintain_order=True)
    for team_rows in teams:
        latest_part = team_rows.filter(pl.col("part") == pl.col("part").max())
        signalling += bool(latest_part.get_column("runs_signal").any())
        said = _describe_team(team_rows, language)
        if first["target"] is not None:
            said += " " + _t(
                "target_is", language, target=fmt_value(first["target"], str(first["unit"]), language)
            )
        lines.append(f"{team_rows.get_column('team_name')[0]}: {said}")
    header = _t("header", language, label=label, k=signalling, n=len(teams))
    return "\n".join([header, *lines])


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
    and larger.

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
    measure_id, rows = _single_measure(charts, measure_id)
    first = rows.row(0, named=True)
    unit = str(first["unit"])
    label = str(first[f"label_{language}"] or measure_id)
    data = rows.select(*_MEASURE_COLUMNS)
    is_share = unit == "percent"
    unit_title = _t("score_unit", language) if unit == "score" else _t(unit, language)
    chart = _measure_layout(is_share, unit_title, language, columns, panel_width, panel_height)
    chart = chart.properties(title=label, description=description)
    chart.data = data
    return DescribedChart(chart, description)


def _measure_layout(
    is_share: bool, unit_title: str, language: Language, columns: int, panel_width: int, panel_height: int
) -> alt.FacetChart:
    """The measure chart without its data (a named dataset), title or description."""
    y_axis = alt.Axis(format=".0%") if is_share else alt.Axis()
    x = alt.X("period:T", title=_t("month", language), axis=alt.Axis(format="%Y-%m", labelAngle=-45))

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
        alt.Tooltip("period:T", title=_t("month", language), format="%Y-%m"),
        alt.Tooltip("y:Q", title=unit_title, format=".1%" if is_share else ",.1f"),
        alt.Tooltip("note:N", title=_t("note", language)),
    ]
    points = base.mark_circle(opacity=1).encode(
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
        .mark_text(align="left", dx=4, dy=-10, fontSize=9, color="#333333")
        .encode(x=x, y=y_of("y"), text="note:N")
    )
    layers = alt.layer(*limits, centre, target, line, points, notes).properties(
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


@cache
def _measure_template(
    is_share: bool, unit_title: str, language: Language, columns: int, panel_width: int, panel_height: int
) -> str:
    spec = _measure_layout(is_share, unit_title, language, columns, panel_width, panel_height).to_dict(validate=False)
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
    measure_id, rows = _single_measure(charts, measure_id)
    first = rows.row(0, named=True)
    unit = str(first["unit"])
    unit_title = _t("score_unit", language) if unit == "score" else _t(unit, language)
    spec: dict[str, Any] = json.loads(
        _measure_template(unit == "percent", unit_title, language, columns, panel_width, panel_height)
    )
    spec["title"] = str(first[f"label_{language}"] or measure_id)
    spec["description"] = description
    spec["datasets"] = {DATASET: json_rows(rows.select(*_MEASURE_COLUMNS))}
    return spec, description


def describe_progress(
    progress: pl.DataFrame, *, language: Language = "nb", basis: ProgressBasis = "latest"
) -> str:
    """Say how many teams reached modest (≥ 3) and significant (≥ 4) improvement.

    Parameters
    ----------
    progress
        The result of :func:`evalkit.runchart.prepare_progress`.
    language
        ``nb``, ``nn`` or ``en``.
    basis
        ``"latest"`` or ``"highest"`` score per team, as in
        :func:`evalkit.runchart.progress_reached`.

    Returns
    -------
    str

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_progress
    >>> progress = pl.DataFrame({"team_id": ["T1", "T2", "T3"],
    ...     "period": [date(2015, 6, 1)] * 3, "score": [2.0, 3.0, 4.5],
    ...     "assessor": ["faculty"] * 3})
    >>> teams = pl.DataFrame({"team_id": ["T1", "T2", "T3"], "name": ["A", "B", "C"],
    ...     "network_id": ["N1"] * 3, "municipality_id": ["0301"] * 3})
    >>> print(describe_progress(prepare_progress(progress, teams), language="en"))
    Progress score from 0.5 to 5: 3 means modest improvement, 4 significant improvement and 5 outstanding, sustainable results.
    By the faculty's latest assessment, 2 of 3 teams have reached at least 3 (modest improvement), and 1 have reached at least 4 (significant improvement).
    """
    language = check_language(language)
    reached = progress_reached(progress, basis=basis)
    if reached.height == 0:
        return _t("no_progress", language)
    several = reached.get_column("network_id").n_unique() > 1
    lines = [_t("progress_intro", language)]
    for row in reached.sort("network_id", "assessor").iter_rows(named=True):
        prefix = _t("network", language, network=row["network_id"]) if several else ""
        whose = _t("faculty_whose" if row["assessor"] == "faculty" else "self_whose", language)
        sentence = _t(
            f"progress_{basis}",
            language,
            whose=whose, a=row["n_modest"], n=row["n_teams"], b=row["n_significant"]
        )
        lines.append(prefix + sentence)
    return "\n".join(lines)


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
    x = alt.X("period:T", title=_t("month", language), axis=alt.Axis(format="%Y-%m", labelAngle=-45))
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
        .mark_circle(size=30, opacity=1)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("period:T", title=_t("month", language), format="%Y-%m"),
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


@cache
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
