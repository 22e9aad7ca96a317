"""Tests for evalkit.charts.runcharts: Altair builders and their plain-language text."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import altair as alt
import polars as pl
import pytest

from evalkit.charts.runcharts import (
    PALETTE,
    describe_measure,
    describe_progress,
    format_month,
    format_value,
    measure_chart,
    progress_chart,
)
from evalkit.runchart import prepare_charts, prepare_progress

NBSP = "\u00a0"


def months(n: int) -> list[date]:
    return [date(2015 + i // 12, i % 12 + 1, 1) for i in range(n)]


CATALOGUE = pl.DataFrame(
    {
        "measure_id": ["share", "wait"],
        "label_nb": ["Andel med plan", "Ventetid"],
        "label_nn": ["Del med plan", "Ventetid"],
        "label_en": ["Share with a plan", "Waiting time"],
        "chart": ["run", "i"],
        "better": ["up", "down"],
        "target": [0.8, None],
        "unit": ["percent", "days"],
    },
    schema_overrides={"target": pl.Float64},
)
TEAMS = pl.DataFrame(
    {
        "team_id": ["T1", "T2", "T3"],
        "name": ["Team Øst", "Team Vest", "Team Nord"],
        "network_id": ["N1", "N1", "N1"],
        "municipality_id": ["0301", "0301", "1103"],
    }
)


def frame(
    team_id: str, measure_id: str, numerators: list[float], denominator: float = 40.0
) -> pl.DataFrame:
    n = len(numerators)
    return pl.DataFrame(
        {
            "team_id": [team_id] * n,
            "measure_id": [measure_id] * n,
            "period": months(n),
            "numerator": numerators,
            "denominator": [denominator] * n,
            "value": [None] * n,
            "note": ["Ny rutine" if i == 15 else None for i in range(n)],
        },
        schema_overrides={"value": pl.Float64, "note": pl.String},
    )


# T1: the nine-in-a-row series of tests/test_runchart.py (15 at 25 %, 15 at 72.5 %):
# 9 points in a row above the median (48.75 %), crossings 13 >= 10 -> long-run signal.
NINE = [29.0 if s == "+" else 10.0 for s in list("--+" * 5) + ["-"] + ["+"] * 9 + ["-"] * 4 + ["+"]]
# T2: zig-zag around the median, no signal. T3: only 8 points: too few.
ZIGZAG = [10.0, 20.0] * 6
SHORT = [10.0, 12.0, 11.0, 13.0, 15.0, 9.0, 14.0, 16.0]  # median 12.5, none on it


@pytest.fixture
def charts() -> pl.DataFrame:
    measures = pl.concat(
        [frame("T1", "share", NINE), frame("T2", "share", ZIGZAG), frame("T3", "share", SHORT)]
    )
    return prepare_charts(measures, CATALOGUE, TEAMS)


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


def test_format_value_uses_decimal_comma_in_norwegian() -> None:
    assert plain(format_value(0.725, "percent", "nb")) == "72,5 %"
    assert plain(format_value(0.725, "percent", "nn")) == "72,5 %"
    assert format_value(0.725, "percent", "en") == "72.5%"
    assert plain(format_value(1234.5, "days", "nb")) == "1 234,5"
    assert format_value(1234.5, "days", "en") == "1,234.5"
    assert format_value(None, "count", "en") == "–"
    assert format_month(date(2016, 2, 1), "nn") == "februar 2016"
    with pytest.raises(ValueError, match="language"):
        format_value(1.0, "count", "de")  # type: ignore[arg-type]


def test_description_in_bokmal(charts: pl.DataFrame) -> None:
    text = plain(describe_measure(charts, language="nb"))
    lines = text.splitlines()
    assert lines[0] == "1 av 3 team viser tegn til endring: forbedring i 1, forverring i 0."
    east = next(line for line in lines if line.startswith("Team Øst"))
    # 15 points at 10/40 and 29/40 mixed, then mostly 29/40: better is up.
    assert "Tegn til endring – en forbedring: fra april 2016 steg andelen fra 25,0 % til 72,5 %" in east
    assert "Grunnlag: 9 punkter på rad over medianen." in east
    assert "ønsket" not in text
    assert "Medianen er 48,8 %; siste måling (juni 2017) er 72,5 %." in east
    assert "Målet er 80,0 %." in east
    west = next(line for line in lines if line.startswith("Team Vest"))
    assert "Ingen tegn til endring utover tilfeldig variasjon" in west
    north = next(line for line in lines if line.startswith("Team Nord"))
    assert "For få målinger" in north
    assert "8 punkter, det trengs minst 10" in north


def test_description_in_nynorsk_and_english(charts: pl.DataFrame) -> None:
    nn = plain(describe_measure(charts, language="nn"))
    assert "1 av 3 team viser teikn til endring: forbetring i 1, forverring i 0." in nn
    assert "Teikn til endring – ei forbetring: frå april 2016 steig delen frå 25,0 % til 72,5 %" in nn
    assert "Ingen teikn til endring utover tilfeldig variasjon." in nn
    assert "For få målingar" in nn
    en = describe_measure(charts, language="en")
    assert "1 of 3 teams show signs of change: improvement in 1, deterioration in 0." in en
    assert "Sign of change – an improvement: from April 2016, the share rose from 25.0% to 72.5%" in en
    assert "Basis: 9 points in a row above the median." in en
    assert "desired" not in en
    assert "The median is 48.8%; the latest point (June 2017) is 72.5%." in en
    assert "Too few points" in en


def test_crossings_and_sigma_text() -> None:
    values = [10.0, 12, 11, 13, 12, 40, 12, 11, 13, 12]
    measures = pl.DataFrame(
        {
            "team_id": ["T1"] * 10,
            "measure_id": ["wait"] * 10,
            "period": months(10),
            "numerator": [None] * 10,
            "denominator": [None] * 10,
            "value": values,
            "note": [None] * 10,
        },
        schema_overrides={"numerator": pl.Float64, "denominator": pl.Float64, "note": pl.String},
    )
    charts = prepare_charts(measures, CATALOGUE, TEAMS)
    # 10 (January) and 40 (June) lie outside the limits; see tests/test_runchart.py.
    nb = plain(describe_measure(charts, language="nb"))
    assert "2 punkter ligger utenfor grensene for vanlig variasjon (januar 2015, juni 2015)." in nb
    assert "Gjennomsnittet er 14,6" in nb
    en = describe_measure(charts, language="en")
    assert "2 points lie outside the limits of usual variation (January 2015, June 2015)." in en

    few = [1.0] * 5 + [9.0] * 5  # crossings 1 < 2: a crossings signal
    charts = prepare_charts(measures.with_columns(value=pl.Series(few)), CATALOGUE, TEAMS)
    nb = plain(describe_measure(charts, language="nb"))
    assert "kurven krysser gjennomsnittet bare 1 gang (ventet minst 2)" in nb
    # waiting days (better down) rose from 1 to 9 from June 2015: a deterioration
    assert "Tegn til endring – en forverring: fra juni 2015 steg antall dager fra 1 til 9" in nb
    assert "Grensene for vanlig variasjon gjelder ikke når nivået har endret seg." in nb


def layers_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["spec"]["layer"])


def test_measure_chart_spec(charts: pl.DataFrame) -> None:
    chart, text = measure_chart(charts, language="nb", columns=2)
    assert isinstance(chart, alt.FacetChart)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["facet"]["field"] == "team_name"
    assert spec["columns"] == 2
    assert spec["description"] == text
    assert spec["title"] == "Andel med plan"
    encoded = json.dumps(spec)
    # dashed vermillion centre line when the runs signal fires
    assert "datum.runs_signal" in encoded
    assert PALETTE["runs_signal"] in encoded
    # sigma-signal points highlighted
    assert "datum.sigma_signal" in encoded
    assert PALETTE["sigma_signal"] in encoded
    # target and notes shown
    fields = {layer["encoding"].get("y", {}).get("field") for layer in layers_of(spec)} | {
        layer["encoding"].get("text", {}).get("field") for layer in layers_of(spec)
    }
    assert {"y", "centre", "lcl", "ucl", "target", "note"} <= fields
    assert spec["datasets"]  # data embedded, no I/O


def test_measure_chart_needs_one_measure(charts: pl.DataFrame) -> None:
    wait = charts.with_columns(measure_id=pl.lit("wait"), label_nb=pl.lit("Ventetid"))
    both = pl.concat([charts, wait])
    with pytest.raises(ValueError, match="measure_id"):
        measure_chart(both)
    chart, _ = measure_chart(both, measure_id="wait")
    assert chart.to_dict()["title"] == "Ventetid"
    with pytest.raises(ValueError, match="no chart rows"):
        measure_chart(both, measure_id="nothing")


def test_progress_chart_and_text() -> None:
    jun, dec = date(2015, 6, 1), date(2015, 12, 1)
    progress = pl.DataFrame(
        {
            "team_id": ["T1", "T1", "T2", "T2", "T1", "T1", "T2", "T2"],
            "period": [jun, dec] * 4,
            "assessor": ["faculty"] * 4 + ["self"] * 4,
            "score": [2.0, 3.0, 2.5, 4.0, 2.5, 4.5, 2.0, 2.5],
        }
    )
    prepared = prepare_progress(progress, TEAMS)
    chart, text = progress_chart(prepared, language="nb")
    assert isinstance(chart, alt.FacetChart)
    spec = chart.to_dict()
    assert spec["description"] == text
    # Latest faculty scores: 3.0 and 4.0 -> 2 teams >= 3, 1 team >= 4.
    # Latest self scores: 4.5 and 2.5 -> 1 team >= 3, 1 team >= 4.
    lines = plain(text).splitlines()
    assert lines[1] == (
        "Etter fagstabens siste vurdering har 2 av 2 team nådd minst 3 "
        "(beskjeden forbedring), og 1 har nådd minst 4 (betydelig forbedring)."
    )
    assert lines[2].startswith("Etter teamenes egen siste vurdering har 1 av 2 team")
    nn = describe_progress(prepared, language="nn")
    assert "Etter fagstaben si siste vurdering har 2 av 2 team nådd minst 3" in nn
    en = describe_progress(prepared, language="en", basis="highest")
    assert "at some point reached at least 3" in en
    empty = describe_progress(prepared.clear(), language="en")
    assert empty == "No progress scores."


@pytest.mark.parametrize(
    ("language", "january", "june"), [("nb", "jan. 2015", "juni 2015"), ("nn", "jan. 2015", "juni 2015"),
                                      ("en", "Jan 2015", "Jun 2015")]
)
def test_axis_and_tooltip_months_are_words(charts: pl.DataFrame, language: str, january: str, june: str) -> None:
    """The time axis says "jan. 2015" (nb, nn) or "Jan 2015", not "2015-01"; rendered by
    vl-convert, without any time locale. The tooltip shows the same month label."""
    import re

    import vl_convert as vlc

    from evalkit.charts.runcharts import measure_chart_spec

    spec, _ = measure_chart_spec(charts, language=language)  # type: ignore[arg-type]
    assert "%Y-%m" not in json.dumps(spec)
    tooltip = next(layer for layer in layers_of(spec) if "tooltip" in layer["encoding"])
    assert tooltip["encoding"]["tooltip"][0]["field"] == "month_label"
    labels = set(re.findall(r">([^<>]*\b2015)</text>", vlc.vegalite_to_svg(spec)))
    assert january in labels
    # The tooltip's calculated field, drawn as text to see it evaluated:
    probe = {**tooltip, "mark": {"type": "text"},
             "encoding": {"x": tooltip["encoding"]["x"], "y": tooltip["encoding"]["y"],
                          "text": {"field": "month_label", "type": "nominal"}}}
    spec["spec"]["layer"] = [probe]
    assert june in set(re.findall(r">([^<>]*\b2015)</text>", vlc.vegalite_to_svg(spec)))


def test_negative_values_in_descriptions_use_the_minus_sign() -> None:
    assert format_value(-2.5, "days", "nb") == "\u22122,5"
    assert format_value(-0.125, "percent", "en") == "\u221212.5%"


def _legend_domain(spec: dict[str, Any]) -> list[str]:
    legends = [layer for layer in layers_of(spec) if "legend" in json.dumps(layer.get("encoding", {}))]
    assert len(legends) == 1
    return list(legends[0]["encoding"]["color"]["scale"]["domain"])


def test_the_chart_has_a_legend_for_centre_limits_target_and_highlighted_points(charts: pl.DataFrame) -> None:
    from evalkit.charts.runcharts import measure_chart_spec

    run_spec, _ = measure_chart_spec(charts, language="nb")  # a run chart with a target: no limits
    assert _legend_domain(run_spec) == ["Målinger", "Midtlinje", "Midtlinje, tegn til endring (stiplet)", "Mål (prikket)"]
    i_rows = charts.with_columns(chart=pl.lit("i"), target=pl.lit(None, pl.Float64))
    i_spec, _ = measure_chart_spec(i_rows, language="en")
    assert _legend_domain(i_spec) == [
        "Measurements", "Centre line", "Centre line, sign of change (dashed)",
        "Limits of usual variation", "Point outside the limits (large)",
    ]  # fmt: skip
    # a Vega-Lite legend (drawn in static SVG too), not JS behaviour
    import vl_convert

    svg = vl_convert.vegalite_to_svg(json.dumps(i_spec))
    assert "Limits of usual variation" in svg and "Key" in svg
