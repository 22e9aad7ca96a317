"""The dashboards: sections, markup, suppression, escaping, languages (in-process)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from evalkit.params import ParameterError
from evalkit.report import Report, municipality_report, network_report
from evalkit.run import execute_notebook  # noqa: F401 - keeps the import surface checked
from tests.pages import parse

SECTIONS = ["header", "key_figures", "recruitment", "equality", "impact", "promoters",
            "relatives_and_consultants", "change", "benchmark", "method", "data_quality"]


def page_html(report: Report) -> str:
    return "".join(getattr(report, s)().html() for s in SECTIONS)


@pytest.fixture(scope="module")
def oslo(sample_dir: Path) -> Report:
    return municipality_report(municipality_id="0301", wave="2026", compare_wave="2025", data_dir=str(sample_dir))


def test_every_section_has_its_heading(oslo: Report) -> None:
    html = page_html(oslo)
    for section_id in ("key_figures", "recruitment", "equality", "impact", "promoters", "relatives",
                       "change", "benchmark", "method", "data_quality"):
        assert f'id="ek-{section_id}"' in html, section_id


def test_every_figure_element_carries_markup(oslo: Report) -> None:
    html = page_html(oslo)
    elements = parse(html)
    marked = [a for _, a in elements.tags if "data-figure" in a]
    assert len(marked) > 50
    for attrs in marked:
        # the page's wave, or an earlier one for a point of the trend over all waves
        trend = ".trend." in str(attrs.get("data-figure"))
        assert attrs.get("data-unit") and attrs.get("data-wave") in ({"2024", "2025", "2026"} if trend else {"2026"})
        assert attrs.get("data-source") in {"survey", "teams", "measures"}
        if attrs.get("data-suppressed") is not None:
            assert "data-n" not in attrs  # an exact small n is itself a disclosure
    numeric_cells = [a for t, a in elements.tags if t == "td" and "ek-num" in (a.get("class") or "")]
    assert numeric_cells and all("data-figure" in a for a in numeric_cells)


def test_no_visible_survey_figure_below_min_cell_n(oslo: Report) -> None:
    for _, attrs in parse(page_html(oslo)).tags:
        if attrs.get("data-source") == "survey" and attrs.get("data-n") is not None:
            n = int(attrs["data-n"])
            assert n == 0 or n >= 5, attrs


def test_user_side_gap_falls_back_to_network(oslo: Report) -> None:
    html = oslo.equality().html()
    # Oslo has too few user representatives for its own gap: the network's is shown, with a note.
    assert "Læringsnettverk Øst" in html
    assert 'data-unit="network:ost"' in html and 'data-figure="equality.gap.user_side.index_mean"' in html


def test_small_municipality_says_too_few_and_shows_no_survey_results(sample_dir: Path) -> None:
    report = municipality_report(municipality_id="1505", data_dir=str(sample_dir))
    html = page_html(report)
    assert "For få svar til å vise resultater" in html
    survey = [a for _, a in parse(html).tags if a.get("data-source") == "survey" and a.get("data-unit") == "municipality:1505"]
    assert all(a.get("data-suppressed") == "unit" and "data-n" not in a for a in survey)
    assert "ek-spec" not in report.equality().html()


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_languages(sample_dir: Path, language: str) -> None:
    report = network_report(network_id="ost", data_dir=str(sample_dir), language=language)
    html = page_html(report)
    expected = {"nb": "Opplevd likeverd i samarbeidet", "nn": "Opplevd likeverd i samarbeidet", "en": "Perceived equality"}[language]
    assert expected in html
    if language == "nn":
        assert "Forbetringsteama" in html or "forbetringsteam" in html
    if language == "en":
        assert re.search(r"\d+\.\d", html) or "%" in html


def test_names_from_data_are_escaped(sample_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_dir, data)
    teams = pl.read_parquet(data / "teams.parquet").with_columns(
        pl.when(pl.col("team_id") == "T0301-1").then(pl.lit("<script>alert(1)</script>")).otherwise(pl.col("name")).alias("name")
    )
    teams.write_parquet(data / "teams.parquet")
    networks = pl.read_parquet(data / "networks.parquet").with_columns(
        pl.when(pl.col("network_id") == "ost").then(pl.lit('"><img src=x onerror=alert(2)>')).otherwise(pl.col("name")).alias("name")
    )
    networks.write_parquet(data / "networks.parquet")
    report = municipality_report(municipality_id="0301", data_dir=str(data))
    html = page_html(report)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    # In chart specs the name is JSON inside a <script type="application/json"> with no raw '<'.
    for spec in re.findall(r'<script type="application/json" class="ek-spec"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in spec


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"municipality_id": "193"}, "municipality_id: '0193' is not a municipality number"),
        ({"municipality_id": "9999"}, "'9999' is not a municipality number"),
        ({"wave": "2030"}, "wave: '2030' is not in the data"),
        ({"compare_wave": "2026", "wave": "2025"}, "is not earlier than wave"),
        ({"language": "de"}, "language: Input should be 'nb', 'nn' or 'en'"),
        ({"min_cell_n": 20, "min_unit_n": 10}, "min_cell_n (20) may not be larger than min_unit_n (10)"),
        ({"data_dir": "/nonexistent"}, "data_dir: folder '/nonexistent' does not exist"),
    ],
)
def test_bad_parameters_are_named(sample_dir: Path, overrides: dict[str, object], message: str) -> None:
    params = {"municipality_id": "0301", "data_dir": str(sample_dir), **overrides}
    with pytest.raises(ParameterError, match=re.escape(message)):
        municipality_report(**params)


def test_municipality_number_as_integer_gets_its_zero_back(sample_dir: Path) -> None:
    report = municipality_report(municipality_id=301, data_dir=str(sample_dir))
    assert report.unit_id == "0301" and report.unit_name == "Oslo"


def test_static_charts_embed_an_svg_with_norwegian_numbers(sample_dir: Path) -> None:
    report = municipality_report(municipality_id="0301", data_dir=str(sample_dir), compare_wave="2025", static_charts=True)
    html = report.promoters().html()  # differences around zero (the change section has no such chart)
    static = re.search(r'<div class="ek-static" aria-hidden="true">(.*?)</div>', html, re.S)
    assert static is not None and static.group(1).lstrip().startswith("<svg")
    # The axis of index-point differences is labelled with a Norwegian minus sign, e.g. "−20".
    assert "\u221220" in static.group(1)


def test_header_shows_respondents_by_role_with_small_counts_hidden(oslo: Report) -> None:
    html = oslo.header().html()
    cells = [a for t, a in parse(html).tags if t == "td" and a.get("data-figure", "").startswith("respondents.")]
    assert cells
    for attrs in cells:
        assert attrs.get("data-suppressed") in {"small", "unit", "protect"} or int(attrs["data-n"]) >= 5
    assert "under 5" in html  # e.g. relative representatives


def test_small_municipality_page_passes_the_audit(sample_dir: Path, tmp_path: Path) -> None:
    from evalkit.audit import audit_pages

    report = municipality_report(municipality_id="1505", data_dir=str(sample_dir))
    page = tmp_path / "municipality-1505.html"
    page.write_text("<!DOCTYPE html><html lang=\"nb\"><body><main id=\"ek-main\">" + page_html(report)
                    + "</main></body></html>", encoding="utf-8")
    result = audit_pages([page], data_dir=sample_dir)
    assert result.ok, result.text()
