"""The disclosure audit (evalkit/audit/): every rule catches its planted problem, with
the right file, element and rule, and clean pages pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import polars as pl
import pytest

from evalkit.audit import RULES, AuditReport, audit_cached, audit_html, audit_pages
from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.figure import Cell, Figure, Mark, Table
from evalkit.templating import TEMPLATES

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
WAVE = "2026"
OSLO = "municipality:0301"
STYLESHEET: Final = (TEMPLATES / "evalkit" / "style.css").read_text(encoding="utf-8")
"""evalkit's own stylesheet (the audit allows only evalkit's own styles)."""
NETWORK = "network:ost"


# --- building pages -------------------------------------------------------------------


def page(*parts: str, title: str = "Oslo kommune · 2026") -> str:
    """A page shaped like evalkit's template (no chart library: the tests that need it
    build it themselves)."""
    return (
        '<!DOCTYPE html>\n<html lang="nb" class="ek-nojs">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{STYLESHEET}</style>\n</head>\n<body>\n"
        '<a class="ek-skip" href="#ek-main">Gå til innholdet</a>\n'
        f'<main id="ek-main" class="ek-page">{"".join(parts)}</main>\n'
        '<script src="evalkit-charts.js"></script>\n</body>\n</html>\n'
    )


def mark(figure: str, n: int | None = None, *, suppressed: bool | str = False, source: str = "survey",
         unit: str = OSLO, wave: str = WAVE) -> Mark:
    """``suppressed``: a reason (small, unit, protect), or True for ``small``."""
    reason = suppressed if isinstance(suppressed, str) else ("small" if suppressed else None)
    return Mark(unit, wave, figure, source, None if reason else n, reason)  # type: ignore[arg-type]


def cell(text: str, figure: str, n: int | None = None, **kw: Any) -> Cell:
    return Cell(text, mark(figure, n, **kw), numeric=True)


def table(*rows: tuple[str, Cell], caption: str = "Tall") -> str:
    return Table(caption, ["Hva", "Verdi"], [[Cell(label, header=True), value] for label, value in rows]).html()


def chart_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "layer": [
            {"data": {"values": rows}, "mark": "bar",
             "encoding": {"y": {"field": "category", "type": "nominal"}, "x": {"field": "estimate", "type": "quantitative"}}},
            {"data": {"values": [{"x": 0, "n": None, "suppressed": False}]}, "mark": "rule",
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        ],
    }


def chart(rows: list[dict[str, Any]], figure: str = "equality.index_by_role", source: str = "survey",
          unit: str = OSLO) -> str:
    cells = [[Cell(str(r.get("category")), header=True),
              Cell("–" if r["suppressed"] else str(r["estimate"]),
                   Mark(unit, WAVE, f"{figure}.{r['category']}", source, r["n"], r.get("reason")), numeric=True)]  # type: ignore[arg-type]
             for r in rows]
    static = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><text>74</text></svg>'
    return Figure(
        spec=chart_spec(rows), title="Indeks etter rolle", description="Alle: 74.",
        table=Table("Indeks etter rolle", ["Rolle", "Indeks"], cells),
        mark=Mark(unit, WAVE, figure, source),  # type: ignore[arg-type]
        numbers_label="Tallene bak figuren", static_svg=static, chart_id="ek-chart-1",
    ).html()


def row(category: str, estimate: float | None, n: int | None, suppressed: bool = False) -> dict[str, Any]:
    return {"category": category, "estimate": estimate, "n": n, "suppressed": suppressed,
            **({"reason": "small"} if suppressed else {})}


def clean_parts(unit: str = OSLO, n_all: int = 20) -> list[str]:
    """Everything a dashboard shows, with correct markup and nothing to report."""
    card_value = mark("equality.index_mean", n_all, unit=unit)
    return [
        '<header><h1>Oslo kommune</h1><ul class="ek-meta"><li>Undersøkelsesrunde: 2026 (samlet inn 15.03.2026)</li></ul></header>',
        '<nav class="ek-toc"><ol><li><a href="#ek-key_figures">Nøkkeltall</a></li></ol></nav>',
        f'<ul class="ek-cards"><li class="ek-card"><p class="ek-card-label">Likeverd</p>'
        f'<p class="ek-card-value" {card_value.attrs()}>74</p><p class="ek-card-note">indeks 0–100 · n = {n_all}</p></li>'
        f'<li class="ek-card"><p class="ek-card-label">Brukersiden</p>'
        f'<p class="ek-card-value" {mark("equality.index_mean.user_side", suppressed=True, unit=unit).attrs()}>–</p>'
        f'<p class="ek-card-note">for få svar</p></li></ul>',
        f'<p class="ek-finding" {mark("equality.index_share_favourable", n_all, unit=unit).attrs()}>55 % (95 % KI 34–74 %) opplever samarbeidet som likeverdig.</p>',
        chart([row("Alle", 74.0, n_all), row("Tjenestesiden", 77.0, 15), row("Brukersiden", None, None, True)],
              unit=unit),
        # A page that lists roles lists every role with people (the others have none); so
        # that nothing can be worked out (the attack), the largest group is hidden too.
        table(("Alle", Cell(str(n_all), mark("respondents.all", n_all, unit=unit), numeric=True)),
              ("Ledere", Cell("under 5", mark("respondents.leader", suppressed=True, unit=unit), numeric=True)),
              ("Brukerrepresentanter", Cell("under 5", mark("respondents.user_rep", suppressed=True, unit=unit),
                                            numeric=True)),
              ("Erfaringskonsulenter", Cell("under 5", mark("respondents.experience_consultant", suppressed=True,
                                                            unit=unit), numeric=True)),
              ("Andre", Cell("skjult av personvernhensyn" if n_all >= 10 else "under 10",
                             mark("respondents.other", suppressed="protect" if n_all >= 10 else "unit", unit=unit),
                             numeric=True)),
              caption="Svar etter rolle"),
        table(("Team med opplæring", Cell("1 av 3 team", mark("recruitment.reps_trained.share", 3, source="teams", unit=unit), numeric=True)),
              ("Oslo 1", Cell("2", mark("recruitment.recruitment_difficulty", 1, source="teams", unit="team:T0301-1"), numeric=True)),
              ("Punkter", Cell("22", mark("measures.n_useful", None, source="measures", unit="team:T0301-1"), numeric=True)),
              caption="Rekruttering"),
        '<p>For å verne den enkelte viser vi ikke resultater for en enhet med færre enn 10 svar.</p>',
        '<footer class="ek-footer">Laget med evalkit 0.1.0.</footer>',
    ]


def audit_one(tmp_path: Path, html: str, name: str = "oslo.html", **kw: Any) -> tuple[Path, AuditReport]:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path, audit_pages([path], **kw)


def rules(report: AuditReport) -> list[str]:
    return [f.rule for f in report.findings]


def only(report: AuditReport, rule: str, *, besides: frozenset[str] = frozenset()) -> list[Any]:
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"no {rule} finding in:\n{report.text()}"
    assert set(rules(report)) - besides == {rule}, report.text()
    return found


ALLOWLIST: Final = frozenset({"foreign-markup", "foreign-script"})
"""What a planted element, attribute, comment or script is besides what it carries: outside
the audit's allowlist (tests/test_audit_evasion.py tests these rules)."""
TELLS_EC: Final = frozenset({"recoverable"})
"""A planted experience consultants' index n on the clean page also tells their hidden
count (everyone on it has an index, so each group's index n is its count): recoverable."""


# --- a small canonical data folder ----------------------------------------------------------


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """Respondents of wave 2026: network ost = 0301 (12), 3201 (15) and 3203 (3)."""
    rows = []
    number = 0
    for municipality, count in (("0301", 12), ("3201", 15), ("3203", 3)):
        for _ in range(count):
            number += 1
            rows.append({"respondent_id": f"R{number:06d}", "wave": WAVE, "network_id": "ost",
                         "municipality_id": municipality, "team_id": f"T{municipality}-1", "role": "provider"})
    folder = tmp_path / "data"
    folder.mkdir()
    pl.DataFrame(rows).write_parquet(folder / "respondents.parquet")
    return folder


# --- clean pages ------------------------------------------------------------------------


def test_clean_page_passes(tmp_path: Path) -> None:
    path, report = audit_one(tmp_path, page(*clean_parts()))
    assert report.ok and report.warnings == [], report.text() + report.warning_text()
    assert report.files == (path,)
    assert report.failing_files() == set()
    assert report.text() == "audit: 1 page(s), no findings"


def test_clean_page_passes_with_its_data(tmp_path: Path, tiny_data: Path) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(n_all=12)), data_dir=tiny_data)
    assert report.ok, report.text()


def test_every_rule_is_documented() -> None:
    import evalkit.audit

    doc = evalkit.audit.__doc__ or ""
    assert all(f"``{rule}``" in doc for rule in RULES)


# --- small-cell -------------------------------------------------------------------------


def test_small_cell_in_a_table_cell(tmp_path: Path) -> None:
    html = page(*clean_parts(), table(("Erfaringskonsulenter", cell("61", "equality.index_mean.experience_consultant", 3))))
    path, report = audit_one(tmp_path, html)
    (finding,) = only(report, "small-cell", besides=TELLS_EC)
    assert finding.file == path
    assert finding.element.endswith('td.ek-num[data-figure="equality.index_mean.experience_consultant"]')
    assert "n=3 < min_cell_n=5" in finding.message


def test_small_cell_in_chart_rows(tmp_path: Path) -> None:
    """The table hides the figure; the chart's embedded data does not."""
    html = page(chart([row("Alle", 70.0, 12), row("Brukersiden", None, None, True)]).replace(
        '{"category":"Brukersiden","estimate":null,"n":null,"suppressed":true,"reason":"small"}',
        '{"category":"Brukersiden","estimate":52.0,"n":4,"suppressed":false}'))
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "small-cell")
    assert finding.element == 'figure#ek-chart-1-figure[data-figure="equality.index_by_role"] > script.ek-spec'
    assert finding.message.endswith("row 2 n=4")


def test_min_cell_n_applies_to_survey_figures_only(tmp_path: Path) -> None:
    """Team practice (n counts teams) and improvement measures are not people's answers."""
    html = page(
        table(("Kanal", cell("33 %", "recruitment.channel.other.share", 3, source="teams")),
              ("Punkter", cell("2", "measures.n_useful", 2, source="measures", unit="team:T0301-1"))),
        chart([row("Annen vei", 0.33, 3), row("Via tjenestene", 0.66, 2)], figure="recruitment.channels", source="teams"),
    )
    _, report = audit_one(tmp_path, html)
    assert report.ok, report.text()


def test_threshold_comes_from_the_arguments(tmp_path: Path) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts()), min_cell_n=16)
    small = {f.element.rsplit("[", 1)[-1] for f in report.findings if f.rule == "small-cell"}
    assert small == {'data-figure="equality.index_by_role.Tjenestesiden"]',
                     'data-figure="equality.index_by_role"] > script.ek-spec'}
    # "under 5" names a threshold the page was not audited with: it counts as a number
    assert {f.rule for f in report.findings} == {"small-cell", "suppressed-with-n"}


# --- small-unit -------------------------------------------------------------------------


def test_small_unit_by_its_respondent_count(tmp_path: Path) -> None:
    html = page(*clean_parts(n_all=7))
    path, report = audit_one(tmp_path, html)
    (finding,) = only(report, "small-unit")
    assert finding.file == path
    assert finding.element == ('main#ek-main > ul.ek-cards > li.ek-card > p.ek-card-value:nth-of-type(2)'
                               '[data-figure="equality.index_mean"]')
    assert "municipality:0301 has 7 respondent(s) in wave 2026 (< min_unit_n=10)" in finding.message
    assert "and 5 more" in finding.message  # the finding, the chart's 2 rows and its 2 table cells


def test_small_unit_by_a_suppressed_count(tmp_path: Path) -> None:
    counts = table(("Alle", cell("–", "respondents.all", suppressed=True)), caption="Svar etter rolle")
    shown = table(("Vet ikke", cell("7 %", "data_quality.share_dont_know", 8)))
    _, report = audit_one(tmp_path, page(counts, shown))
    (finding,) = only(report, "small-unit")
    assert "respondent count for wave 2026 is suppressed" in finding.message


def test_a_complementary_suppressed_count_is_not_a_small_unit(tmp_path: Path) -> None:
    """A unit whose count is blanked to protect another, but whose figures show n >= 10."""
    counts = table(("Alle", cell("–", "respondents.all", suppressed=True)), caption="Svar etter rolle")
    shown = table(("Likeverd", cell("74", "equality.index_mean", 120)))
    _, report = audit_one(tmp_path, page(counts, shown))
    assert report.ok, report.text()


def test_small_unit_by_the_data(tmp_path: Path, tiny_data: Path) -> None:
    """Municipality 3203 has 3 respondents in the data; its page must show no survey result."""
    html = page(table(("Likeverd", cell("61", "equality.index_mean", 5, unit="municipality:3203"))))
    _, report = audit_one(tmp_path, html, name="m3203.html", data_dir=tiny_data)
    (finding,) = only(report, "small-unit")
    assert "municipality:3203 has 3 respondent(s) in wave 2026 in the data" in finding.message


# --- unmarked-figure --------------------------------------------------------------------


def test_table_cell_with_a_number_and_no_markup(tmp_path: Path) -> None:
    html = page(*clean_parts(), '<table class="ek-table"><tbody><tr><th scope="row">Alle</th><td>20</td>'
                                '<td>ingen tall her</td></tr></tbody></table>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "unmarked-figure")
    assert finding.element == "main#ek-main > table.ek-table:nth-of-type(3) > tbody > tr > td"
    assert "'20'" in finding.message


@pytest.mark.parametrize(("attrs", "problem"), [
    ('class="ek-num"', "no data-unit; no data-wave; no data-figure; no data-source"),
    (f'class="ek-card-value" data-wave="{WAVE}" data-figure="x" data-source="survey" data-n="20"', "no data-unit"),
    (f'class="ek-num" data-unit="municipality:301" data-wave="{WAVE}" data-figure="x" data-source="survey" data-n="20"',
     "data-unit 'municipality:301' is not <level>:<id>"),
    (f'class="ek-num" data-unit="{OSLO}" data-wave="{WAVE}" data-figure="x" data-source="people" data-n="20"',
     "data-source 'people' is not survey, teams or measures"),
    (f'class="ek-finding" data-unit="{OSLO}" data-wave="{WAVE}" data-figure="x" data-source="survey"',
     "neither data-n nor data-suppressed"),
    (f'class="ek-num" data-unit="{OSLO}" data-wave="{WAVE}" data-figure="x" data-source="teams" data-n="tre"',
     "data-n='tre' is not a whole number"),
])
def test_incomplete_figure_markup(tmp_path: Path, attrs: str, problem: str) -> None:
    html = page(*clean_parts(), f'<p class="ek-note">Merk:</p><p {attrs}>42</p>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "unmarked-figure")
    assert problem in finding.message
    assert finding.element.startswith("main#ek-main > p")


def test_html_quirks_are_read_as_a_browser_reads_them(tmp_path: Path) -> None:
    """Upper case, bare attribute values, left-out end tags and character references."""
    html = page(
        '<TABLE CLASS="ek-table"><TR><TH>Alle<TD CLASS=ek-num>12<TR><TH>Ledere'
        f'<TD class=ek-num data-unit={OSLO} data-wave={WAVE} data-figure=respondents.leader '
        "data-source=survey data-suppressed=true>&#51;</TABLE>"
        "<p>Avsnitt<p>uten slutt<IMG SRC='//x.example/p.gif'>",
    )
    _, report = audit_one(tmp_path, html)
    assert {(f.rule, f.element) for f in report.findings} == {
        ("unmarked-figure", "main#ek-main > table.ek-table > tr > td.ek-num"),
        ("suppressed-with-n", 'main#ek-main > table.ek-table > tr:nth-of-type(2) > td.ek-num[data-figure="respondents.leader"]'),
        ("suppressed-reason", 'main#ek-main > table.ek-table > tr:nth-of-type(2) > td.ek-num[data-figure="respondents.leader"]'),
        ("network-resource", "main#ek-main > p:nth-of-type(2) > img"),
        ("foreign-markup", "main#ek-main > p:nth-of-type(2) > img"),  # no img on evalkit's pages
    }, report.text()


def test_chart_rows_without_markup(tmp_path: Path) -> None:
    spec = json.dumps(chart_spec([{"category": "Alle", "estimate": 74.0},
                                  {"category": "Ledere", "estimate": 70.0, "n": None, "suppressed": False}]))
    html = page(f'<figure class="ek-figure" id="ek-chart-1-figure" {mark("equality.index_by_role").attrs()}>'
                f'<script type="application/json" class="ek-spec" data-target="ek-chart-1">{spec}</script></figure>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "unmarked-figure")
    assert finding.element.endswith("> script.ek-spec")
    assert finding.message.endswith("row 1 has no n/suppressed, row 2 shows estimate=70.0 without n")


def test_chart_spec_outside_a_marked_figure(tmp_path: Path) -> None:
    spec = json.dumps(chart_spec([row("Alle", 74.0, 20)]))
    html = page(f'<div><script type="application/json" class="ek-spec">{spec}</script></div>',
                f'<script>var spec = {spec}; vegaEmbed("#vis", spec);</script>')
    _, report = audit_one(tmp_path, html)
    found = only(report, "unmarked-figure", besides=ALLOWLIST)
    assert [f.message for f in found] == ["chart spec outside a marked figure.ek-figure",
                                          "a script holds a chart spec outside evalkit's figure markup"]
    assert found[0].element == "main#ek-main > div > script.ek-spec"


# --- suppressed-with-n ------------------------------------------------------------------


def test_suppressed_cell_that_carries_an_n(tmp_path: Path) -> None:
    attrs = mark("equality.index_mean.user_side", suppressed=True).attrs() + ' data-n="3"'
    html = page(*clean_parts(), f'<table class="ek-table"><tr><th>Brukersiden</th><td class="ek-num" {attrs}>–</td></tr></table>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "suppressed-with-n")
    assert finding.element.endswith('td.ek-num[data-figure="equality.index_mean.user_side"]')
    assert "data-n='3'" in finding.message


def test_suppressed_cell_that_shows_a_number(tmp_path: Path) -> None:
    html = page(*clean_parts(), table(("Ledere", cell("3", "respondents.leader", suppressed=True))))
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "suppressed-with-n")
    assert "shows 3" in finding.message


def test_suppressed_key_figure_whose_note_shows_n(tmp_path: Path) -> None:
    html = page(f'<ul class="ek-cards"><li class="ek-card"><p class="ek-card-value" '
                f'{mark("impact.index_mean", suppressed=True).attrs()}>–</p><p class="ek-card-note">n = 4</p></li></ul>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "suppressed-with-n")
    assert finding.element == "main#ek-main > ul.ek-cards > li.ek-card .ek-card-note"


def test_suppressed_chart_rows_with_n_or_estimate(tmp_path: Path) -> None:
    spec = json.dumps(chart_spec([row("Alle", 74.0, 20), row("Brukersiden", None, 3, True),
                                  row("Erfaringskonsulenter", 48.5, None, True)]))
    html = page(f'<figure class="ek-figure" id="ek-chart-1-figure" {mark("equality.index_by_role").attrs()}>'
                f'<script type="application/json" class="ek-spec">{spec}</script></figure>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "suppressed-with-n")
    assert finding.message.endswith("row 2 n=3, row 3 estimate=48.5")


# --- respondent-id ----------------------------------------------------------------------


@pytest.mark.parametrize(("snippet", "element"), [
    ("<p>Svar fra R000007 er tatt med.</p>", "main#ek-main > p"),
    ('<p title="R000007">Merk</p>', "main#ek-main > p"),
    ("<!-- R000007 -->", "main#ek-main"),
    ('<figure class="ek-figure" id="ek-chart-9-figure" data-unit="municipality:0301" data-wave="2026" '
     'data-figure="x" data-source="measures"><script type="application/json" class="ek-spec">'
     '{"data": {"values": [{"who": "R000007"}]}}</script></figure>',
     "figure#ek-chart-9-figure > script"),
])
def test_respondent_id_from_the_data(tmp_path: Path, tiny_data: Path, snippet: str, element: str) -> None:
    html = page(*clean_parts(n_all=12), snippet)
    path, report = audit_one(tmp_path, html, data_dir=tiny_data)
    (finding,) = only(report, "respondent-id", besides=ALLOWLIST)
    assert finding.file == path
    assert finding.element.startswith(element)
    assert "'R000007'" in finding.message


def test_respondent_ids_match_whole_tokens_only(tmp_path: Path, tiny_data: Path) -> None:
    html = page(*clean_parts(n_all=12), "<p>2R000007 R0000071 R00000 R000007R</p>")
    _, report = audit_one(tmp_path, html, data_dir=tiny_data)
    assert report.ok, report.text()


# --- network-resource -------------------------------------------------------------------


@pytest.mark.parametrize(("snippet", "element", "words"), [
    ('<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>', "main#ek-main > script", "src="),
    ('<link rel="stylesheet" href="//fonts.example.net/a.css">', "main#ek-main > link", "loads from"),
    ('<a href="https://www.ks.no/">KS</a>', "main#ek-main > a", "links to"),
    ('<img srcset="logo.png 1x, https://x.example/logo2.png 2x" alt="">', "main#ek-main > img", "srcset"),
    ('<div style="background: url(\'https://x.example/bg.png\')">x</div>', "main#ek-main > div @style", "CSS loads"),
    ("<style>@import 'https://x.example/theme.css';</style>", "main#ek-main > style", "CSS loads"),
    ("<script>fetch('data.json').then(r => r.json());</script>", "main#ek-main > script", "fetch"),
    ('<script>var u = "https:\\/\\/x.example\\/track";</script>', "main#ek-main > script", "https://x.example/track"),
    ('<button onclick="new XMLHttpRequest()">Send</button>', "main#ek-main > button @onclick", "XMLHttpRequest"),
    ('<figure class="ek-figure" id="ek-chart-5-figure" data-unit="team:T1" data-wave="2026" data-figure="m" '
     'data-source="measures"><script type="application/json" class="ek-spec">'
     '{"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"url": "https://x.example/d.csv"}}'
     "</script></figure>", "figure#ek-chart-5-figure > script", "https://x.example/d.csv"),
])
def test_network_resource(tmp_path: Path, snippet: str, element: str, words: str) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(), snippet))
    found = only(report, "network-resource", besides=ALLOWLIST)
    assert found[0].element.startswith(element), found[0].element
    assert any(words in f.message for f in found), report.text()


@pytest.mark.parametrize(("drawing", "element"), [
    ('<svg xmlns="http://www.w3.org/2000/svg"><g><image href="https://x.example/i.png"/></g></svg>',
     "main#ek-main > div.ek-static > svg @href"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><g style="fill: url(//x.example/p.svg#a)"><rect/></g></svg>',
     "main#ek-main > div.ek-static > svg"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/x")</script><rect/></svg>',
     "main#ek-main > div.ek-static > svg > script"),
])
def test_network_resource_in_a_static_chart(tmp_path: Path, drawing: str, element: str) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(), f'<div class="ek-static">{drawing}</div>'))
    (finding,) = only(report, "network-resource", besides=ALLOWLIST)
    assert finding.element == element


def test_schema_namespaces_and_relative_files_are_not_loads(tmp_path: Path) -> None:
    """The clean page has a $schema, SVG namespaces, a relative script and an anchor."""
    html = page(*clean_parts(), '<a href="kommune-3201.html">Neste</a>')
    _, report = audit_one(tmp_path, html)
    assert report.ok, report.text()
    # an image from a data: URL and a URL in a script's comment load nothing (but evalkit
    # writes neither: they are outside the allowlist)
    html = page(*clean_parts(), '<img src="data:image/png;base64,AAAA" alt="">',
                '<script>// see https://example.org/ for the idea\nvar x = 1;</script>')
    _, report = audit_one(tmp_path, html)
    assert {f.rule for f in report.findings} == ALLOWLIST, report.text()


# --- code-cell --------------------------------------------------------------------------


def test_code_cell(tmp_path: Path) -> None:
    html = page(*clean_parts(), '<div class="jp-Cell jp-CodeCell"><div class="jp-InputArea"><pre>prepared = load()</pre>'
                                '</div><div class="jp-OutputArea-output"><pre>R000001 3</pre></div></div>')
    _, report = audit_one(tmp_path, html)
    (finding,) = only(report, "code-cell")
    assert finding.element == "main#ek-main > div.jp-Cell"


# --- recoverable ------------------------------------------------------------------------


def network_page(municipalities: dict[str, int | None], total: int) -> str:
    rows = [(f"Kommune {m}", cell("–" if n is None else str(n), "respondents.all", n, suppressed=n is None,
                                   unit=f"municipality:{m}")) for m, n in municipalities.items()]
    return page(table(("Alle", cell(str(total), "respondents.all", total, unit=NETWORK)), caption="Svar"),
                table(("Likeverd", cell("70", "equality.index_mean", total, unit=NETWORK))),
                table(*rows, caption="Kommunene"), title="Læringsnettverk Øst")


def municipality_page(municipality: str, n: int | None) -> str:
    unit = f"municipality:{municipality}"
    if n is None:
        return page(table(("Alle", cell("–", "respondents.all", suppressed=True, unit=unit))),
                    table(("Likeverd", cell("–", "equality.index_mean", suppressed=True, unit=unit))))
    return page(table(("Alle", cell(str(n), "respondents.all", n, unit=unit))),
                table(("Likeverd", cell("70", "equality.index_mean", n, unit=unit))))


def write_pages(folder: Path, pages: dict[str, str]) -> list[Path]:
    for name, html in pages.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(html, encoding="utf-8")
    return [folder / name for name in pages]


def test_recoverable_from_the_network_total(tmp_path: Path, tiny_data: Path) -> None:
    """ost: 30 respondents = 0301 (12) + 3201 (15) + 3203 (suppressed): 30 - 27 = 3."""
    paths = write_pages(tmp_path / "site", {
        "ost.html": network_page({"0301": 12, "3201": 15, "3203": None}, 30),
        "m0301.html": municipality_page("0301", 12),
        "m3201.html": municipality_page("3201", 15),
        "m3203.html": municipality_page("3203", None),
    })
    report = audit_pages(paths, data_dir=tiny_data)
    assert set(rules(report)) == {"recoverable"}, report.text()
    assert report.failing_files() == set(paths)
    messages = {f.message for f in report.findings}
    assert ("network:ost respondents.all (wave 2026) n=30 minus the 2 other municipality unit(s) shown "
            "leaves n=3 for municipality:3203, fewer than min_cell_n=5") in messages
    on_network = [f for f in report.findings if f.file.name == "ost.html"]
    assert {f.element for f in on_network} >= {'main#ek-main > table.ek-table > tbody > tr > td.ek-num[data-figure="respondents.all"]'}
    # the attack finds the same count (reported only, unless strict)
    assert any(f.message.startswith("municipality:3203 respondents.all (wave 2026), hidden as small, can be worked "
                                    "out exactly from the published figures: 3 ") for f in report.warnings)
    strict = audit_pages(paths, data_dir=tiny_data, strict_attack=True)
    assert set(strict.findings) == set(report.findings) | set(report.warnings) and not strict.warnings


def test_recoverable_without_data_when_the_rest_is_small(tmp_path: Path) -> None:
    paths = write_pages(tmp_path / "site", {
        "ost.html": network_page({"0301": 12, "3201": 15, "3203": None}, 30),
        "m3203.html": municipality_page("3203", None),
    })
    report = audit_pages(paths)
    assert set(rules(report)) == {"recoverable"}, report.text()
    assert report.failing_files() == set(paths)


def test_recoverable_when_suppressed_here_and_shown_there(tmp_path: Path) -> None:
    paths = write_pages(tmp_path / "site", {
        "m3203.html": municipality_page("3203", None),
        "other.html": page(table(("3203", cell("61", "equality.index_mean", 6, unit="municipality:3203")))),
    })
    report = audit_pages(paths)
    found = [f for f in report.findings if f.rule == "recoverable"]
    assert {f.file.name for f in found} == {"m3203.html", "other.html"}
    assert "suppressed on one page but shown with n=6 on another" in found[0].message
    # and 3203's own page hides its respondent count, so the other page breaks small-unit too
    assert {(f.rule, f.file.name) for f in report.findings} - {(f.rule, f.file.name) for f in found} == {
        ("small-unit", "other.html"), ("inconsistent", "m3203.html"), ("inconsistent", "other.html")}


def test_not_recoverable_when_two_units_are_hidden(tmp_path: Path, tiny_data: Path) -> None:
    paths = write_pages(tmp_path / "site", {
        "ost.html": network_page({"0301": 12, "3201": None, "3203": None}, 30),
        "m0301.html": municipality_page("0301", 12),
    })
    report = audit_pages(paths, data_dir=tiny_data)
    assert report.ok, report.text()


# --- unreadable -------------------------------------------------------------------------


def test_unreadable_page_and_spec(tmp_path: Path) -> None:
    bad_bytes = tmp_path / "latin1.html"
    bad_bytes.write_bytes(page(*clean_parts(), "<p>Pårørende</p>").encode("cp1252"))
    broken = page(f'<figure class="ek-figure" id="ek-chart-1-figure" {mark("equality.index_by_role").attrs()}>'
                  '<script type="application/json" class="ek-spec">{"data": </script></figure>')
    broken_path = tmp_path / "broken.html"
    broken_path.write_text(broken, encoding="utf-8")
    report = audit_pages([bad_bytes, broken_path, tmp_path / "missing.html"])
    assert {(f.file.name, f.rule) for f in report.findings} == {
        ("latin1.html", "unreadable"), ("broken.html", "unreadable"), ("missing.html", "unreadable")}


# --- pages made by evalkit's exporter ----------------------------------------------------


def exported(parts: list[Any]) -> str:
    import nbformat

    from evalkit.figure import Block, PageMeta
    from evalkit.render import export_html

    outputs = []
    for part in [PageMeta("nb", "Oslo kommune"), *parts]:
        shown = Block(part) if isinstance(part, str) else part
        data = {k: v for k, v in shown._repr_mimebundle_().items() if not k.startswith("application/vnd.vegalite")}
        outputs.append(nbformat.v4.new_output("display_data", data=data))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("report.key_figures()", outputs=outputs)])
    return export_html(nb, bundle_href="evalkit-charts.js")


def test_exported_page_passes_and_a_planted_small_cell_is_caught(tmp_path: Path) -> None:
    clean = exported([*clean_parts()])
    assert "report.key_figures()" not in clean  # the exporter drops code cells
    _, report = audit_one(tmp_path, clean)
    assert report.ok, report.text()
    planted = exported([*clean_parts(), table(("Erfaringskonsulenter", cell("52", "equality.index_mean.experience_consultant", 2)))])
    _, report = audit_one(tmp_path, planted, name="planted.html")
    (finding,) = only(report, "small-cell", besides=TELLS_EC)
    assert finding.element.endswith('td.ek-num[data-figure="equality.index_mean.experience_consultant"]')


@pytest.mark.slow
def test_inlined_chart_library_is_recognised_by_its_hash(tmp_path: Path) -> None:
    from evalkit.render import chart_bundle

    bundle = chart_bundle()
    with_bundle = page(*clean_parts()).replace('<script src="evalkit-charts.js"></script>', f"<script>{bundle}</script>")
    _, report = audit_one(tmp_path, with_bundle)
    assert report.ok, report.text()
    tampered = with_bundle.replace(bundle, "x" + bundle[1:])  # same length, other hash
    _, report = audit_one(tmp_path, tampered, name="tampered.html")
    assert "network-resource" in rules(report)
    # the library's bytes where they are no script (text of a textarea): the page is read whole
    inert = page(*clean_parts(), f"<textarea><script>{bundle}</script></textarea>")
    _, report = audit_one(tmp_path, inert, name="inert.html")
    # only the textarea is reported (evalkit writes none): its text is no script
    assert [(f.rule, f.element) for f in report.findings] == [("foreign-markup", "main#ek-main > textarea")], report.text()


# --- the report, the cache and the command -------------------------------------------------


def test_report_text_json_and_failing_files(tmp_path: Path) -> None:
    html = page(*clean_parts(), table(("Erfaringskonsulenter", cell("61", "equality.index_mean.experience_consultant", 3))),
                '<script src="https://x.example/a.js"></script>')
    path, report = audit_one(tmp_path, html)
    assert not report.ok
    # small-cell, network-resource and the script's src and origin (foreign-markup, foreign-script);
    # (TELLS_EC) recoverable is the attack's, reported only
    assert len(report.text().splitlines()) == len(report.findings) == 4
    assert all(line.startswith(f"{path}:") for line in report.text().splitlines())
    assert {f.rule for f in report.warnings} == TELLS_EC
    assert len(report.warning_text().splitlines()) == len(report.warnings)
    again = AuditReport.from_json(report.to_json())
    assert again == report and again.warnings == report.warnings
    assert json.loads(report.to_json())["findings"][0]["rule"] in RULES
    assert report.failing_files() == {path}


def test_audit_html_matches_audit_pages(tmp_path: Path) -> None:
    html = page(*clean_parts(), table(("Erfaringskonsulenter", cell("61", "equality.index_mean.experience_consultant", 3))))
    path, report = audit_one(tmp_path, html)
    direct = audit_html(html, name=path)
    assert direct.findings == report.findings


def test_worker_processes_give_the_same_report(tmp_path: Path, tiny_data: Path) -> None:
    paths = write_pages(tmp_path / "site", {
        "ost.html": network_page({"0301": 12, "3201": 15, "3203": None}, 30),
        "m0301.html": municipality_page("0301", 12),
        "m3201.html": municipality_page("3201", 15),
        "planted.html": (FIXTURES / "planted.html").read_text("utf-8"),
    })
    serial = audit_pages(paths, data_dir=tiny_data, workers=1)
    parallel = audit_pages(paths, data_dir=tiny_data, workers=2)
    assert parallel == serial and not serial.ok


def test_audit_cached_reuses_the_verdict(tmp_path: Path, tiny_data: Path) -> None:
    paths = write_pages(tmp_path / "site", {"a.html": page(*clean_parts(n_all=12)),
                                            "b.html": page(table(("x", cell("61", "x.y", 2))))})
    cache = tmp_path / "cache"
    first = audit_cached(paths, cache, data_dir=tiny_data)
    second = audit_cached(paths, cache, data_dir=tiny_data)
    assert not first.from_cache and second.from_cache
    assert second.findings == first.findings and not second.ok
    paths[1].write_text(page(*clean_parts(n_all=12)), encoding="utf-8")
    third = audit_cached(paths, cache, data_dir=tiny_data)
    assert not third.from_cache and third.ok
    assert not audit_cached(paths, cache, data_dir=tiny_data, min_cell_n=13).from_cache


def test_manifest_gives_thresholds_and_data(tmp_path: Path, tiny_data: Path) -> None:
    site = tmp_path / "site"
    paths = write_pages(site, {"oslo.html": page(*clean_parts(n_all=12), "<p>R000003</p>")})
    manifest = site / "manifest.json"
    manifest.write_text(json.dumps({"settings": {"min_unit_n": 10, "min_cell_n": 13, "data_dir": "../data"}}))
    report = audit_pages(paths, manifest=manifest)
    assert report.min_cell_n == 13 and report.data_dir == site / "../data"
    assert {"small-cell", "respondent-id"} <= set(rules(report))
    assert audit_pages(paths, manifest=manifest, min_cell_n=5, data_dir=tmp_path / "data").min_cell_n == 5
    manifest.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        audit_pages(paths, manifest=manifest)
    with pytest.raises(InputError, match="min_cell_n"):
        audit_pages(paths, min_cell_n=0)
    with pytest.raises(InputError, match="does not exist"):
        audit_pages(paths, data_dir=tmp_path / "nowhere")


def test_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean"
    write_pages(clean, {"oslo.html": page(*clean_parts()), "sub/index.html": page("<p>Sider</p>")})
    assert main(["audit", str(clean)]) == 0
    assert "no findings" in capsys.readouterr().out

    bad = tmp_path / "bad"
    write_pages(bad, {"oslo.html": page(*clean_parts()), "planted.html": (FIXTURES / "planted.html").read_text("utf-8")})
    assert main(["audit", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "planted.html" in captured.out
    # oslo.html breaks no rule of its own; planted.html's index n of its experience consultants tells one of its counts
    assert {line.split(": ")[1] for line in captured.out.splitlines() if "oslo.html" in line} <= TELLS_EC
    assert "keep aside" in captured.err
    assert main(["audit", str(bad), "--min-cell-n", "2", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False

    assert main(["audit", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["audit", str(tmp_path / "empty")]) == 2
    assert main(["audit", str(clean), "--min-cell-n", "0"]) == 2
    assert main(["audit", str(clean), "--min-cell-n", "five"]) == 2
    assert main(["audit", str(clean), "--data", str(tmp_path / "nowhere")]) == 2
    (clean / "manifest.json").write_text("[]")
    assert main(["audit", str(clean)]) == 2


def test_a_manifest_never_lowers_the_audits_thresholds(tmp_path: Path, tiny_data: Path) -> None:
    """Regression: a batch ran with min_cell_n 3 (a duplicate key) and its audit, taking
    the thresholds from the manifest, passed pages showing 3 and 4 people."""
    from evalkit.errors import JobFailed

    site = tmp_path / "site"
    paths = write_pages(site, {"oslo.html": page(*clean_parts(n_all=12))})
    manifest = site / "manifest.json"
    manifest.write_text(json.dumps({"settings": {"min_unit_n": 10, "min_cell_n": 3}}))
    with pytest.raises(JobFailed, match=r"built with min_cell_n=3, below the audit's 5.*--min-cell-n 3"):
        audit_pages(paths, manifest=manifest, data_dir=tiny_data)
    assert audit_pages(paths, manifest=manifest, data_dir=tiny_data, min_cell_n=3).min_cell_n == 3
    manifest.write_text(json.dumps({"settings": {"min_unit_n": 4, "min_cell_n": 5}}))
    with pytest.raises(JobFailed, match=r"min_unit_n=4, below the audit's 10"):
        audit_pages(paths, manifest=manifest, data_dir=tiny_data)


def test_command_uses_the_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    write_pages(site, {"oslo.html": page(*clean_parts())})
    (site / "manifest.json").write_text(json.dumps({"settings": {"min_unit_n": 25, "min_cell_n": 5}}))
    assert main(["audit", str(site)]) == 1
    assert "small-unit" in capsys.readouterr().out


def test_planted_fixture_breaks_every_page_rule(tiny_data: Path) -> None:
    report = audit_pages([FIXTURES / "planted.html"], data_dir=tiny_data)
    # recoverable, inconsistent: across pages; unreadable: an unreadable page; foreign-file: a folder.
    assert set(rules(report)) == set(RULES) - {"recoverable", "inconsistent", "unreadable", "foreign-file"}, report.text()


# --- real dashboards ------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_pages(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> list[Path]:
    """Oslo's and network Øst's dashboards, rendered from the committed sample data."""
    from evalkit.run import load_run_file, run_report

    folder = tmp_path_factory.mktemp("real")
    pages = []
    for name in ("sample_municipality_0301", "sample_network_ost"):
        loaded = load_run_file(repo / "params" / f"{name}.yml")
        out = folder / f"{name}.html"
        run_report(loaded.notebook, loaded.parameters, out, work_dir=folder / "work")
        pages.append(out)
    return pages


@pytest.mark.slow
def test_real_sample_pages_pass(real_pages: list[Path], sample_dir: Path) -> None:
    """The attack only reports (the default until the data-side protector lands): the
    sample site passes, and its warnings say what can be worked out."""
    report = audit_pages(real_pages, data_dir=sample_dir)
    assert report.ok, report.text()
    assert audit_pages(real_pages).findings == []  # the same without the data
    assert report.warnings and {f.rule for f in report.warnings} == {"recoverable"}


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="until the data-side protector of issue 13 lands: Oslo's leaders "
                   "(under 5) are its total minus its providers minus the index n of the other groups")
def test_real_sample_pages_pass_a_strict_attack(real_pages: list[Path], sample_dir: Path) -> None:
    report = audit_pages(real_pages, data_dir=sample_dir, strict_attack=True)
    assert report.ok, report.text()
