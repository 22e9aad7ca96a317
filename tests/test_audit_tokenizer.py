"""The audit's tokenizer (evalkit/audit/tokenizer.py) reads pages as the standard
library's html.parser does: the same start tags with the same (decoded) attributes, and
the same text, on hand-made quirks and on every page of the sample batch."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from evalkit.audit.tokenizer import RCDATA, elements_of, paths_at, tokens
from evalkit.cli import main

HIDDEN = frozenset({"script", "style"})
"""Elements whose text is not shown (html.parser reports it as data all the same)."""

StartTag = tuple[str, dict[str, str]]


class Reference(HTMLParser):
    """Start tags with their attributes (the first of a repeated name, a bare name as "")
    and the text outside scripts and styles, as html.parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[StartTag] = []
        self.text: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        seen: dict[str, str] = {}
        for name, value in attrs:
            seen.setdefault(name, "" if value is None else value)
        self.starts.append((tag, seen))
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def reference(doc: str) -> tuple[list[StartTag], str]:
    parser = Reference()
    parser.feed(doc)
    parser.close()
    return parser.starts, "".join(parser.text)


def ours(doc: str) -> tuple[list[StartTag], str]:
    starts: list[StartTag] = []
    text: list[str] = []
    for token in tokens(doc):
        if token.kind == "start":
            starts.append((token.name, dict(token.attrs or {})))
        elif token.kind == "text":
            text.append(token.text)
        elif token.kind == "raw" and token.name not in HIDDEN:
            text.append(token.text if token.name not in RCDATA else reference(token.text)[1])
    return starts, "".join(text)


def assert_same_reading(doc: str, name: str = "page") -> None:
    want_starts, want_text = reference(doc)
    got_starts, got_text = ours(doc)
    for i, (want, got) in enumerate(zip(want_starts, got_starts, strict=False)):
        assert got == want, f"{name}: start tag {i}: {got} != {want}"
    assert len(got_starts) == len(want_starts), f"{name}: {len(got_starts)} start tags, html.parser {len(want_starts)}"
    assert got_text == want_text, f"{name}: the text differs"
    # the walker's list of elements holds the same start tags, in the same order
    assert [tag for _pos, _depth, tag in elements_of(doc)] == [tag for tag, _attrs in want_starts]


QUIRKS = (
    '<!DOCTYPE html>\n<HTML LANG=nb><head><meta charset="utf-8"><title>A &amp; B</title>'
    "<style>p > a { color: red }</style></head><BODY>"
    '<TABLE CLASS="ek-table"><TR><TH>Alle<TD CLASS=ek-num data-n=12>12<TR><TH>Ledere'
    "<TD class='ek-num' data-suppressed=true data-x=\"a &quot;b&quot; &#51; &lt;c&gt;\">&#51;</TABLE>"
    "<p>Avsnitt<p>uten slutt &amp; &#x2212;1 &nbsp;<IMG SRC='//x.example/p.gif' alt=\"\" hidden>"
    "<!-- a comment with <b>markup</b> --><br/><input disabled value=ja>"
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect x=1 y="2"/><text>74 %</text></svg>'
    '<script>if (a < b && c > d) { x = "</p>"; }</script>'
    '<script type="application/json" class="ek-spec">{"a": "<b>&amp;</b>"}</script>'
    '<a href="#top" class="a b" class="c">Til toppen</a>\n</BODY></HTML>\n'
)


def test_hand_made_quirks_are_read_as_html_parser_reads_them() -> None:
    assert_same_reading(QUIRKS, "quirks")


def test_tokens_give_raw_text_and_positions() -> None:
    doc = '<p class="x">a &amp; b</p><script>var s = "</p>";</script>'
    found = [(t.kind, t.pos, t.name, t.text) for t in tokens(doc)]
    assert found == [
        ("start", 0, "p", ""), ("text", 13, "", "a & b"), ("end", 22, "p", ""),
        ("start", 26, "script", ""), ("raw", 34, "script", 'var s = "</p>";'), ("end", 49, "script", ""),
    ]


def test_paths_name_elements_from_the_nearest_id() -> None:
    doc = '<main id="m"><table class="x ek-table"><tr><td>1<td class="ek-num">2</table></main>'
    second_cell = doc.index('<td class="ek-num"')
    assert paths_at(doc, {second_cell, 5}) == {
        second_cell: "main#m > table.ek-table > tr > td.ek-num:nth-of-type(2)", 5: "(page)"}


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> list[Path]:
    """Every page of the sample batch (params/sample_batch.yml), built once."""
    out = tmp_path_factory.mktemp("site")
    work = tmp_path_factory.mktemp("work")
    code = main(["batch", str(repo / "params" / "sample_batch.yml"), "--out", str(out), "--work", str(work)])
    assert code == 0
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 20
    return pages


@pytest.mark.slow
def test_every_sample_page_is_read_as_html_parser_reads_it(sample_site: list[Path]) -> None:
    for page in sample_site:
        assert_same_reading(page.read_text(encoding="utf-8"), page.name)
