"""An audit that parses, decodes and allows (issue 14, item 3).

The decoders against Python's own encoders and the CSS specification's examples; each
rule of the allowlist (``foreign-markup``, ``foreign-script``) and each new reading of
the older rules (ids however written, numbers in words, any table, documents inside
documents) with a planted problem; evalkit's own code recognised from its files when the
audit runs; and (slow) the evasion corpus of ``tests/evasion.py`` planted into copies of
the sample site's pages — every plant caught, the untouched site clean.
"""

from __future__ import annotations

import base64
import html
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
import pytest

from evalkit.audit import audit_pages
from evalkit.audit.allowed import has_scheme, own_code, sha256
from evalkit.audit.css import css_urls
from evalkit.audit.decode import (
    INVISIBLE,
    css_unescape,
    decoded,
    encoded_spans,
    fold,
    html_unescape,
    js_unescape,
    payloads,
    url_unquote,
    views,
)
from evalkit.audit.numbers import cell_numbers, hidden_numbers, hidden_row_numbers
from evalkit.cli import main
from tests import evasion
from tests.test_audit import (
    ALLOWLIST,
    OSLO,
    WAVE,
    audit_one,
    cell,
    clean_parts,
    exported,
    only,
    page,
    rules,
    table,
    tiny_data,  # noqa: F401 — a fixture
)

RID = "R000007"
"""A respondent id of ``tiny_data``."""


# --- decoding, against independent encoders ---------------------------------------------


@pytest.mark.parametrize("text", [RID, "Ledere: 3", "Øst & «nettverk» 😀", "a\"b'c<d>"])
def test_each_decoder_undoes_its_encoding(text: str) -> None:
    assert html_unescape("".join(f"&#{ord(c)};" for c in text)) == text
    assert html_unescape("".join(f"&#x{ord(c):X};" for c in text)) == text
    assert html_unescape(html.escape(text)) == text
    assert js_unescape(json.dumps(text, ensure_ascii=True)[1:-1].replace('\\"', '"')) == text  # \uXXXX, surrogates
    assert js_unescape("".join(f"\\u{{{ord(c):x}}}" for c in text)) == text
    assert url_unquote(quote(text, safe="")) == text
    assert css_unescape("".join(f"\\{ord(c):x} " for c in text)) == text


def test_css_escapes_as_the_css_syntax_specification_reads_them() -> None:
    # CSS Syntax 3, 4.3.7: up to six hex digits, one white space after them eaten;
    # an escaped newline is nothing; any other character stands for itself
    assert css_unescape("\\26 B") == "&B"
    assert css_unescape("\\000026B") == "&B"
    assert css_unescape("a\\\nb") == "ab"
    assert css_unescape('\\"x\\"') == '"x"'
    assert css_unescape("\\0") == "\ufffd"


def test_invisible_characters_and_compatibility_forms_are_folded() -> None:
    for char in ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u200e", "\u202e", "\u2066", "\U000e0020"):
        assert ord(char) in INVISIBLE
        assert fold(f"R000{char}007") == RID
    assert fold("Ｒ０００００７") == RID  # fullwidth: NFKC
    assert fold("Øst – «nettverk»") == "Øst – «nettverk»"  # ordinary letters stay


def test_layers_of_encoding_are_undone_and_named() -> None:
    layered = html.escape(quote("\u200b".join(RID), safe=""))  # zero-width spaces, URL-encoded, then escaped
    text, how = decoded(layered.replace("%", "&#37;"))
    assert text == RID
    assert set(how) == {"as character references", "URL-encoded", "with invisible or compatibility characters"}


def test_payloads_of_data_urls_and_atob() -> None:
    b64 = base64.b64encode(RID.encode()).decode()
    urlsafe = base64.urlsafe_b64encode("ÆØÅ?>".encode()).decode().rstrip("=")
    found = [(text, where) for text, where, _pos in payloads(
        f'<a href="data:text/plain;base64,{b64}">x</a> <img src="DATA:,{quote("Ledere: 3")}"> '
        f"atob('{urlsafe}')")]
    assert found == [(RID, "in a data: URL"), ("Ledere: 3", "in a data: URL"), ("ÆØÅ?>", "in base64 (atob)")]
    # a payload inside a payload: an HTML page in a data: URL that holds a base64 data: URL
    inner = f"data:text/html;base64,{base64.b64encode(f'<a href=data:;base64,{b64}>x</a>'.encode()).decode()}"
    assert RID in [v.text for v in views(inner)]


def test_every_encoding_of_an_id_lies_in_an_encoded_span() -> None:
    filler = "<p>Svar fra teamet 12 </p>" * 40
    for encoded in (f"&#{ord('R')};000007", "\\u0052000007", "\\52 000007", "%52000007", "R000\u200b007",
                    "R000<span>007</span>", "Ｒ000007"):
        doc = filler + encoded + filler
        at = doc.index(encoded)
        spans = encoded_spans(doc, radius=16 * len(RID))
        assert any(lo <= at and at + len(encoded) <= hi for lo, hi in spans), encoded
    assert encoded_spans(filler, radius=112) == []  # nothing encoded: nothing to read again


def test_css_urls_are_read_with_a_css_tokenizer() -> None:
    css = ('@\\69mport "//x.example/a.css"; @import url(b.css);'
           "p{background:\\75 rl(https://x.example/c.png);b:image-set('d.png' 1x)}"
           '@font-face{src:url("h\\74tps://x.example/f.woff")}')
    assert css_urls(css) == ["//x.example/a.css", "b.css", "https://x.example/c.png", "d.png",
                             "https://x.example/f.woff"]
    assert css_urls("content: 'https://x.example/not-loaded'; color: red") == []  # a string, not a URL
    assert css_urls("background: URL( e.png )", declarations=True) == ["e.png"]


def test_numbers_in_digits_and_words() -> None:
    assert hidden_numbers("for få svar") == [] and hidden_numbers("under 10 svar", (5, 10)) == []
    assert hidden_numbers("under 10 svar", (5,)) == ["10"]
    assert hidden_numbers("TRE") == ["tre"] and hidden_numbers("åtte ledere") == ["åtte"]
    assert hidden_numbers("one") == ["one"] and hidden_numbers("to") == ["to"]  # everything counts when hidden
    assert cell_numbers("på en god måte") == [] and cell_numbers("en") == ["en"]  # an article, unless alone
    assert cell_numbers("Fagstaben") == [] and cell_numbers("Teamet selv") == []
    assert hidden_row_numbers({"category": "Ledere", "label": "skjult av personvernhensyn", "order": 3, "x": 0,
                               "n": None, "estimate": None, "suppressed": True, "reason": "protect"},
                              (5, 10), {"n", "estimate", "suppressed"}) == []


# --- the allowlist: foreign-markup -------------------------------------------------------------


@pytest.mark.parametrize(("snippet", "words"), [
    ("<iframe></iframe>", "<iframe> is not an element"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><use href="#a"/></svg>', "<use> is not an element"),
    ("<p onclick=\"x()\">x</p>", "attribute onclick="),
    ('<p style="color:red">x</p>', "attribute style="),
    ('<span title="3">x</span>', "attribute title="),
    ('<td data-count="3">x</td>', "attribute data-count="),
    ('<a href="data:,x">x</a>', "names a scheme or a host"),
    ('<a href="java\tscript:alert(1)">x</a>', "names a scheme or a host"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(//x.example/p#a)"/></svg>', "points outside the page"),
    ('<meta name="referrer" content="no-referrer">', "without one of evalkit's names"),
    ("<!-- Ledere: 3 -->", "a comment 'Ledere: 3'"),
    ("<?xml-stylesheet href='x'?>", "a declaration or processing instruction"),
    ('<div class="ek-chart" role="group" aria-label="Ledere: tre"></div>', "is not a text the page shows"),
])
def test_markup_outside_the_allowlist(tmp_path: Path, snippet: str, words: str) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(), snippet))
    found = only(report, "foreign-markup", besides=frozenset({"network-resource"}))
    assert any(words in f.message for f in found), report.text()


def _in_chart(svg: str) -> str:
    """A static drawing where evalkit puts one: in a chart's figure."""
    marks = f'data-unit="team:T0301-1" data-wave="{WAVE}" data-figure="measures.x" data-source="measures"'
    return f'<figure class="ek-figure" id="ek-chart-9-figure" {marks}><div class="ek-static" aria-hidden="true">{svg}</div></figure>'


def test_an_svg_outside_a_chart(tmp_path: Path) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(), '<svg xmlns="http://www.w3.org/2000/svg"><title>3</title></svg>'))
    (finding,) = only(report, "foreign-markup")
    assert finding.message == "a drawing outside a chart (evalkit draws only in a figure.ek-figure)"


def test_what_evalkit_writes_is_allowed(tmp_path: Path) -> None:
    """Relative links, fragments, a label that repeats a heading, local url(#…) in a
    drawing, the meta names evalkit writes, a download link."""
    html_ = page(*clean_parts(), '<nav class="ek-toc" aria-label="Innhold"><strong>Innhold</strong></nav>',
                 '<a href="municipality-0301.pdf" download>PDF</a> <a href="#ek-main">Til toppen</a>',
                 _in_chart('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><defs><clipPath id="c"><rect/>'
                           '</clipPath></defs><g clip-path="url(#c)"><path d="M0,0"/></g></svg>'),
                 '<details><summary>Mer</summary><pre>tekst</pre></details>')
    html_ = html_.replace('<meta charset="utf-8">', '<meta charset="utf-8"><meta name="generator" content="evalkit">')
    _, report = audit_one(tmp_path, html_)
    assert report.ok, report.text()


def test_a_file_that_is_not_an_html_page(tmp_path: Path) -> None:
    _, report = audit_one(tmp_path, "respondent_id;rolle\nR000007;leder\n", name="svar.html")
    (finding,) = only(report, "foreign-markup")
    assert finding.element == "(page)" and "does not begin with <!DOCTYPE html>" in finding.message


def test_a_static_drawing_is_read_element_by_element_when_it_is_not_plain(tmp_path: Path) -> None:
    drawing = _in_chart('<svg xmlns="http://www.w3.org/2000/svg"><g transform="translate(1,2)">'
                        '<rect width="1" height="2"/><set attributeName="href" to="https://x.example/"/></g></svg>')
    _, report = audit_one(tmp_path, page(*clean_parts(), drawing))
    (finding,) = only(report, "foreign-markup")
    assert finding.message == "<set> is not an element evalkit's pages hold"


# --- the allowlist: foreign-script ----------------------------------------------------------


def _exported_chart_page() -> str:
    """A page as evalkit's exporter writes it, with a chart: the nojs switch, the locale,
    the chart library beside the page, boot.js, the stylesheet and the running head."""
    from evalkit.figure import Cell, Figure, Mark, Table
    from tests.test_audit import chart_spec, row

    rows = [row("Alle", 74.0, 20), row("Brukersiden", None, None, True)]
    cells = [[Cell(r["category"], header=True),
              Cell("–" if r["suppressed"] else str(r["estimate"]),
                   Mark(OSLO, WAVE, f"equality.index_by_role.{r['category']}", "survey", r["n"], r.get("reason")),
                   numeric=True)] for r in rows]
    figure = Figure(spec=chart_spec(rows), title="Indeks etter rolle", description="Alle: 74.",
                    table=Table("Indeks etter rolle", ["Rolle", "Indeks"], cells),
                    mark=Mark(OSLO, WAVE, "equality.index_by_role", "survey"), numbers_label="Tallene bak figuren",
                    static_svg='<svg xmlns="http://www.w3.org/2000/svg"><text>74</text></svg>', chart_id="ek-chart-1")
    return exported([*clean_parts()[:-2], figure])


def test_evalkits_own_scripts_and_styles_pass(tmp_path: Path) -> None:
    html_ = _exported_chart_page()
    assert html_.count("<script") >= 4 and html_.count("<style") == 2  # boot, nojs, locale, a spec; css, running head
    _, report = audit_one(tmp_path, html_)
    assert report.ok, report.text()


@pytest.mark.parametrize(("change", "words"), [
    (lambda h: h.replace('"use strict";', '"use strict"; window.x = 1;'), "a script that is not evalkit's own"),
    (lambda h: h.replace('<script type="application/json" id="ek-locale">{', '<script type="application/json" id="ek-locale">{"x": 1, '),
     "a JSON script that evalkit does not write"),
    (lambda h: h.replace('src="evalkit-charts.js"', 'src="vega.js"'), "a page may load only the chart library"),
    (lambda h: h.replace("</head>", '<script type="text/template">x</script></head>'), "a script of type 'text/template'"),
    (lambda h: h.replace("--ek-ink:#1d2733", "--ek-ink:#1d2734"), "a style that is not evalkit's own"),
    (lambda h: h.replace("content:\"Oslo kommune\"", "content:\"Oslo kommune 3\""), "a style that is not evalkit's own"),
])
def test_changed_or_other_code_is_foreign(tmp_path: Path, change: Any, words: str) -> None:
    original = _exported_chart_page()
    changed = change(original)
    assert changed != original
    _, report = audit_one(tmp_path, changed)
    found = only(report, "foreign-script", besides=frozenset({"network-resource"}))
    assert any(words in f.message for f in found), report.text()


def test_the_chart_library_may_be_loaded_from_beside_the_page(tmp_path: Path) -> None:
    for src in ("evalkit-charts.js", "../evalkit-charts.js", "assets/evalkit-charts.js"):
        _, report = audit_one(tmp_path, page(*clean_parts()).replace('src="evalkit-charts.js"', f'src="{src}"'))
        assert report.ok, report.text()
    _, report = audit_one(tmp_path, page(*clean_parts()).replace('src="evalkit-charts.js"',
                                                                  'src="//x.example/evalkit-charts.js"'))
    assert {"foreign-script", "foreign-markup", "network-resource"} == set(rules(report))


def test_own_code_is_computed_from_evalkits_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed template (an upgrade) changes what is evalkit's own, with no list to edit."""
    import evalkit.templating
    from evalkit.templating import TEMPLATES

    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    boot = (folder / "evalkit" / "boot.js").read_text(encoding="utf-8")
    assert sha256(boot) in own_code().scripts
    (folder / "evalkit" / "boot.js").write_text(boot + "\n// upgraded\n", encoding="utf-8")
    monkeypatch.setattr(evalkit.templating, "TEMPLATES", folder)
    own_code.cache_clear()
    try:
        assert sha256(boot + "\n// upgraded\n") in own_code().scripts
        assert sha256(boot) not in own_code().scripts
    finally:
        monkeypatch.undo()
        own_code.cache_clear()
    assert sha256(boot) in own_code().scripts


def test_has_scheme_reads_urls_as_a_browser_does() -> None:
    assert not any(has_scheme(u) for u in ("a.html", "#x", "../b/c.pdf", "?q=1", "1:2.html"))
    assert all(has_scheme(u) for u in ("https://x", " //x", "\\\\x", "HTTP://X", "data:,", "java\nscript:x", "x:y"))


# --- respondent ids however written -------------------------------------------------------


@pytest.mark.parametrize(("snippet", "element", "how"), [
    ("<p>" + "".join(f"&#{ord(c)};" for c in RID) + "</p>", "main#ek-main > p", "as character references"),
    (f'<p class="x">{RID[:3]}\u200b{RID[3:]}</p>', "main#ek-main > p.x", "with invisible or compatibility characters"),
    (f'<a href="#{"".join(f"%25{ord(c):02X}" for c in RID)}">x</a>', "main#ek-main > a", "URL-encoded"),
    (f"<p>{RID[:4]}<wbr>{RID[4:]}</p>", "main#ek-main > p", "split by markup"),
    (f"<p>{RID.lower()}</p>", "main#ek-main > p", "in other letters' case"),
    (f'<a href="data:text/plain;base64,{base64.b64encode(RID.encode()).decode()}">x</a>', "main#ek-main > a",
     "in a data: URL"),
])
def test_respondent_id_however_written(tmp_path: Path, tiny_data: Path, snippet: str, element: str,  # noqa: F811
                                       how: str) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(n_all=12), snippet), data_dir=tiny_data)
    (finding,) = only(report, "respondent-id", besides=ALLOWLIST)
    assert finding.element.split(":nth")[0] == element, report.text()
    assert finding.message == f"respondent id {RID!r} from the data, written {how}"


def test_an_id_in_a_chart_spec_written_with_json_escapes(tmp_path: Path, tiny_data: Path) -> None:  # noqa: F811
    from tests.test_audit import chart, row

    shown = chart([row("Alle", 74.0, 12), row("Brukersiden", None, None, True)]).replace(
        '"reason":"small"', '"reason":"small","who":"' + "".join(f"\\u{ord(c):04x}" for c in RID) + '"')
    _, report = audit_one(tmp_path, page(*clean_parts(n_all=12)[:-2], shown), data_dir=tiny_data)
    found = [f for f in report.findings if f.rule == "respondent-id"]
    assert [f.message for f in found] == [f"respondent id {RID!r} from the data, written with JavaScript or JSON escapes"]
    assert found[0].element.endswith("> script.ek-spec")


def test_ids_next_to_escapes_are_still_whole_tokens(tmp_path: Path, tiny_data: Path) -> None:  # noqa: F811
    html_ = page(*clean_parts(n_all=12), "<p>2R000007 &#82;0000071 R00000&#55;R</p>")
    _, report = audit_one(tmp_path, html_, data_dir=tiny_data)
    assert report.ok, report.text()


# --- small numbers in words, any table ------------------------------------------------------


@pytest.mark.parametrize("text", ["tre", "åtte", "three", "for få svar (t\u200bre)", "<b>Fire</b>", "&#116;re"])
def test_a_hidden_figure_that_shows_a_number_in_words(tmp_path: Path, text: str) -> None:
    hidden = table(("Ledere", cell("for få svar", "equality.index_mean.leader", suppressed=True)))
    _, report = audit_one(tmp_path, page(*clean_parts(), hidden.replace(">for få svar<", f">{text}<")))
    (finding,) = only(report, "suppressed-with-n")
    assert finding.message.startswith("suppressed figure shows "), report.text()


def test_the_label_of_a_hidden_figure_that_tells_a_number(tmp_path: Path) -> None:
    """A table row's header and a key figure's label say what the figure hides."""
    hidden = table(("Ledere (tre)", cell("under 5", "respondents.leader", suppressed=True)), caption="Svar")
    _, report = audit_one(tmp_path, page(*clean_parts(), hidden))
    (finding,) = only(report, "suppressed-with-n")
    assert finding.message == "the row of a suppressed figure says tre ('Ledere (tre)')"
    card = page(*clean_parts()).replace('<p class="ek-card-label">Brukersiden</p>',
                                        '<p class="ek-card-label">Brukersiden: åtte</p>')
    _, report = audit_one(tmp_path, card, name="card.html")
    (finding,) = only(report, "suppressed-with-n")
    assert finding.message == "the label of a suppressed key figure says åtte"
    assert finding.element.endswith(".ek-card-label")


def test_a_hidden_chart_row_that_tells_a_number(tmp_path: Path) -> None:
    from tests.test_audit import chart, row

    shown = chart([row("Alle", 74.0, 20), row("Brukersiden", None, None, True)]).replace(
        '"reason":"small"', '"reason":"small","label":"tre","people":3')
    _, report = audit_one(tmp_path, page(shown))
    (finding,) = only(report, "suppressed-with-n")
    assert finding.message == "suppressed chart rows still carry figures: row 2 label=tre"


@pytest.mark.parametrize("table_html", [
    "<table><tr><td>Ledere</td><td>3</td></tr></table>",
    "<table><tr><th>Ledere</th><td>tre</td></tr></table>",
    '<table class="ek-table"><tr><th>Ledere</th><td>en</td></tr></table>',
])
def test_any_table_cell_with_a_number_and_no_markup(tmp_path: Path, table_html: str) -> None:
    _, report = audit_one(tmp_path, page(*clean_parts(), table_html))
    (finding,) = only(report, "unmarked-figure")
    assert "without figure markup" in finding.message


# --- documents inside documents ------------------------------------------------------------


def test_a_srcdoc_is_audited_as_a_page(tmp_path: Path, tiny_data: Path) -> None:  # noqa: F811
    inner = html.escape(f'<p>{RID}</p><style>p{{background:url("\\68 ttps://x.example/a.png")}}</style><!-- 3 -->')
    _, report = audit_one(tmp_path, page(*clean_parts(n_all=12), f'<iframe srcdoc="{inner}"></iframe>'),
                          data_dir=tiny_data)
    nested = {f.rule for f in report.findings if f.element.endswith("iframe @srcdoc")}
    assert {"respondent-id", "network-resource", "foreign-script", "foreign-markup"} <= nested, report.text()
    assert any(f.message.startswith("in its srcdoc: ") for f in report.findings)


# --- the corpus (slow: the sample site) -------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, repo: Path, sample_dir: Path) -> tuple[Path, evasion.Site]:
    """The sample site, built once by the batch (its own audit passes), and what plants are made of."""
    out = tmp_path_factory.mktemp("site")
    work = tmp_path_factory.mktemp("work")
    assert main(["batch", str(repo / "params" / "sample_batch.yml"), "--out", str(out), "--work", str(work)]) == 0
    rid = str(pl.read_parquet(sample_dir / "respondents.parquet")["respondent_id"][0])
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    return out, evasion.Site(pages, rid, sample_dir)


@pytest.mark.slow
def test_the_untouched_sample_site_passes(site: tuple[Path, evasion.Site], sample_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out, _site = site
    assert main(["audit", str(out), "--data", str(sample_dir)]) == 0
    assert "no findings" in capsys.readouterr().out
    report = audit_pages(sorted(out.glob("*.html")), data_dir=sample_dir)
    assert report.ok and len(report.files) == 28, report.text()


@pytest.mark.slow
@pytest.mark.parametrize("plant", evasion.CORPUS, ids=[f"{p.family[:12]}: {p.name}" for p in evasion.CORPUS])
def test_every_plant_is_caught(site: tuple[Path, evasion.Site], tmp_path: Path, plant: evasion.Plant) -> None:
    _out, made = site
    folder = evasion.write(tmp_path / "published", plant.make(made))
    found = evasion.audit_folder(folder, made.data_dir)
    assert {rule for rule, _message in found} & plant.rules, f"{plant.name}: {found}"


@pytest.mark.slow
def test_the_corpus_by_family(site: tuple[Path, evasion.Site], tmp_path: Path) -> None:
    """At least 50 plants over every family the issue lists, each caught (the figures of
    benchmarks/RESULTS.md)."""
    _out, made = site
    caught: Counter[str] = Counter()
    for i, plant in enumerate(evasion.CORPUS):
        found = evasion.audit_folder(evasion.write(tmp_path / str(i), plant.make(made)), made.data_dir)
        caught[plant.family] += bool({rule for rule, _message in found} & plant.rules)
    planted = Counter(p.family for p in evasion.CORPUS)
    assert sum(planted.values()) >= 50 and len(planted) == 7
    assert caught == planted
