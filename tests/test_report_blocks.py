"""The report's building blocks: Jinja macros (escaping, figure markup) and formatters."""

from __future__ import annotations

from evalkit.figure import Cell, Mark, Table
from evalkit.report import blocks
from evalkit.report.format import Formats, whole_or
from evalkit.templating import environment, loader
from tests.pages import parse


def test_text_is_escaped_in_elements_and_attributes() -> None:
    html = blocks.page_header('<b>"k"</b>', "T & U", ["<i>"], "intro", 'a "toc"', [("x", "<y>")])
    assert "<b>" not in html and "<i>" not in html and "<y>" not in html
    assert 'aria-label="a &#34;toc&#34;"' in html


def test_table_cells_carry_the_figure_markup_and_emphasis() -> None:
    mark = Mark("municipality:0301", "2026", "equality.benchmark.index_mean", "survey", n=12)
    html = Table("cap", ["a", "b"], [[Cell("row", header=True), Cell("above", mark, emphasis="ek-above")]]).html()
    assert html == (
        '<table class="ek-table"><caption>cap</caption><thead><tr><th scope="col">a</th><th scope="col">b</th>'
        '</tr></thead><tbody><tr><th scope="row">row</th><td data-unit="municipality:0301" data-wave="2026" '
        'data-figure="equality.benchmark.index_mean" data-source="survey" data-n="12">'
        '<span class="ek-above">above</span></td></tr></tbody></table>'
    )
    tags = parse(html).tags
    assert any(t == "td" and a.get("data-n") == "12" for t, a in tags)


def test_cards_and_findings_carry_their_mark() -> None:
    mark = Mark("network:ost", "2026", "equality.index_mean", "survey", reason="protect")
    html = blocks.cards([blocks.Card("label", "–", "note", mark)]) + blocks.finding("x", mark)
    assert html.count('data-suppressed="protect"') == 2 and "data-n" not in html


def test_the_export_and_the_macros_share_one_loader() -> None:
    from evalkit.render import _exporter

    assert environment().loader is loader()
    assert loader() in _exporter().extra_loaders


def test_decimals_are_decided_on_numbers_not_text() -> None:
    assert whole_or(2, 1.0, 0.0) == 0 and whole_or(2, 1.0, 0.5) == 2
    for lang in ("nb", "nn", "en"):
        assert Formats(lang).span(0.0, 1.0, percent=False, decimals=2, trim=True) == "0–1"
    assert Formats("nb").span(0.25, 1.0, percent=False, decimals=2, trim=True) == "0,25–1,00"
