"""Charts that survive e-mail, phones and print (issue 16): every chart is in the page as
static SVG, drawn with JavaScript off; no horizontal scrolling and every chart on screen at
390 px; no chart clipped at 1280 px; the numbers behind each figure visible in print.

The pages are the shipped sample run files (Oslo, a municipality with three teams, and
Øst, a network with sixteen), opened in Debian's headless Chromium with the network
refused."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from evalkit.render import facet_panels, slim_svg
from tests.pages import REPO, render

RUNS = {"oslo": REPO / "params" / "sample_municipality_0301.yml", "ost": REPO / "params" / "sample_network_ost.yml"}
MAX_BYTES = 2_000_000


@pytest.fixture(scope="module")
def static_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("static")
    return {name: render(path, out) for name, path in RUNS.items()}


def _open(browser, path: Path, width: int, javascript: bool):  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": 900})
    page_url = path.resolve().as_uri()
    refused: list[str] = []

    def handle(route):  # type: ignore[no-untyped-def]
        if route.request.url == page_url:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", handle)
    page = context.new_page()
    page.goto(page_url)
    if javascript:
        page.wait_for_function(
            "document.querySelectorAll('figure.ek-figure').length === "
            "document.querySelectorAll('figure.ek-drawn').length", timeout=30_000)
    return context, page, refused


# The box of every chart's drawing (the interactive one where it replaced the static one).
_CHART_BOXES = """() => Array.from(document.querySelectorAll('figure.ek-figure')).map(f => {
  const svgs = Array.from(f.querySelectorAll('.ek-chart svg, .ek-static svg'))
    .filter(s => s.getBoundingClientRect().width > 0);
  return {id: f.id, svgs: svgs.map(s => {
    const r = s.getBoundingClientRect(), box = s.parentElement.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height,
            boxLeft: box.left, boxRight: box.right,
            marks: s.querySelectorAll('path, line, circle, rect').length};
  })};
})"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_chart_is_drawn_without_javascript(browser, static_pages, name: str) -> None:  # type: ignore[no-untyped-def]
    context, page, refused = _open(browser, static_pages[name], 1280, javascript=False)
    figures = page.evaluate(_CHART_BOXES)
    assert len(figures) >= 8
    for figure in figures:
        assert figure["svgs"], f"{figure['id']}: nothing drawn"
        for svg in figure["svgs"]:
            assert svg["height"] > 40 and svg["marks"] > 5, figure
    # Every figure keeps its text description and its table.
    assert page.locator("figure.ek-figure .ek-desc").count() == len(figures)
    assert page.locator("figure.ek-figure table.ek-table").count() == len(figures)
    assert refused == []
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("javascript", [False, True], ids=["nojs", "js"])
@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_phone_scrolls_no_page_sideways_and_sees_every_chart(browser, static_pages, name: str,  # type: ignore[no-untyped-def]
                                                               javascript: bool) -> None:
    context, page, _ = _open(browser, static_pages[name], 390, javascript)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for figure in page.evaluate(_CHART_BOXES):
        assert figure["svgs"], figure["id"]
        for svg in figure["svgs"]:
            assert svg["left"] >= -0.5 and svg["right"] <= 390.5, (figure["id"], svg)
            # Small enough to read: a panel of small multiples is not shrunk to a stamp.
            assert svg["width"] >= 150, (figure["id"], svg)
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_phone_reads_the_respondents_by_role_without_swiping(browser, static_pages, name: str) -> None:  # type: ignore[no-untyped-def]
    """The first table a reader meets (respondents by role: "Pårørenderepresentanter" beside
    "skjult av personvernhensyn") and every other two-column table fit a 390 px screen:
    nothing in them is cut off until the reader scrolls the table sideways."""
    context, page, _ = _open(browser, static_pages[name], 390, javascript=False)
    tables = page.evaluate("""() => Array.from(document.querySelectorAll('table.ek-table'))
        .filter(t => t.querySelectorAll('thead th').length === 2)
        .map(t => ({caption: t.caption ? t.caption.innerText : '', scroll: t.scrollWidth, client: t.clientWidth}))""")
    assert any("rolle" in t["caption"].lower() for t in tables), tables
    for table in tables:
        assert table["scroll"] <= table["client"] + 1, table
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("javascript", [False, True], ids=["nojs", "js"])
@pytest.mark.parametrize("name", sorted(RUNS))
def test_no_chart_is_clipped_on_a_desktop(browser, static_pages, name: str, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, static_pages[name], 1280, javascript)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    panels = 0
    for figure in page.evaluate(_CHART_BOXES):
        for svg in figure["svgs"]:
            assert svg["left"] >= svg["boxLeft"] - 0.5 and svg["right"] <= svg["boxRight"] + 0.5, (figure["id"], svg)
        panels += len(figure["svgs"])
    # Every team's panel is there: the network's sixteen teams are not cut to a few.
    if name == "ost":
        assert page.locator(".ek-panels").count() > 0
        for grid in page.query_selector_all(".ek-panels"):
            assert all(p.is_visible() for p in grid.query_selector_all(".ek-panel"))
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RUNS))
def test_print_shows_the_numbers_behind_every_figure(browser, static_pages, name: str) -> None:  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, static_pages[name], 1280, javascript=True)
    # With scripts the tables were folded away under the charts; print opens them.
    assert page.locator("details.ek-numbers[open]").count() == 0
    page.emulate_media(media="print")
    tables = page.query_selector_all("figure.ek-figure table.ek-table")
    assert tables and all(t.is_visible() and t.bounding_box()["height"] > 20 for t in tables)  # type: ignore[index]
    # The drawings print too (static SVG, not a canvas), none wider than the page.
    for figure in page.evaluate(_CHART_BOXES):
        assert figure["svgs"], figure["id"]
    css = static_pages[name].read_text(encoding="utf-8")
    assert "@page{size:A4" in css and "counter(page)" in css
    title = page.title()
    head = re.search(r'@top-left\{content:"([^"]*)"', css)
    assert head is not None
    unescaped = re.sub(r"\\([0-9a-f]+) ", lambda m: chr(int(m.group(1), 16)), head.group(1))
    assert unescaped == title and "2026" in title  # the unit and the wave on every printed page
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    context.close()


def _svg_texts(svg: str) -> list[str]:
    return [htmllib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_drawings_show_no_count_of_a_suppressed_group(static_pages, name: str) -> None:
    """Each figure's drawing says "n = …" only for the rows its spec shows (a suppressed
    row carries no n, so no count in the drawing can be one of a suppressed group)."""
    page = static_pages[name].read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) <= MAX_BYTES, f"{name}: {len(page.encode('utf-8'))} bytes"
    figures = re.findall(r'<figure class="ek-figure".*?</figure>', page, re.S)
    assert figures
    counted = 0
    for figure in figures:
        spec_text = re.search(r'class="ek-spec"[^>]*>(.*?)</script>', figure, re.S)
        assert spec_text is not None
        spec: dict[str, Any] = json.loads(spec_text.group(1))
        rows = [r for rows in spec.get("datasets", {}).values() for r in rows]
        rows += spec.get("data", {}).get("values", [])
        visible_n = {r["n"] for r in rows if isinstance(r, dict) and not r.get("suppressed") and r.get("n") is not None}
        for svg in re.findall(r"<svg.*?</svg>", figure, re.S):
            for label in _svg_texts(svg):
                for n in re.findall(r"n\s*=\s*(\d+)", label):
                    counted += 1
                    assert int(n) in visible_n, (label, sorted(visible_n))
    assert counted > 0 or name == "ost"


def test_small_multiples_become_panels_on_one_scale() -> None:
    rows = [{"team": t, "x": x, "y": y, "n": 1, "suppressed": False}
            for t, pts in {"B": [(1, 10.0), (2, 30.0)], "A": [(1, 5.0), (2, 20.0)]}.items() for x, y in pts]
    spec = {"data": {"name": "rows"}, "datasets": {"rows": rows},
            "facet": {"field": "team", "type": "nominal"}, "columns": 4,
            "spec": {"width": 200, "height": 100, "layer": [
                {"mark": "line", "encoding": {"x": {"field": "x", "type": "quantitative"},
                                              "y": {"field": "y", "type": "quantitative"},
                                              "color": {"field": "team", "type": "nominal"}}},
                {"mark": {"type": "text"}, "encoding": {"x": {"field": "x", "type": "quantitative"}}}]}}
    panels = facet_panels(spec)
    assert panels is not None
    assert [p["title"]["text"] for p in panels] == ["A", "B"]  # the facet's ascending order
    assert [len(p["data"]["values"]) for p in panels] == [2, 2]
    # One y scale for all (5 is A's least, 30 B's most), as the facet shared it.
    assert all(p["layer"][0]["encoding"]["y"]["scale"]["domain"] == [5.0, 30.0] for p in panels)
    assert all(p["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1, 2] for p in panels)
    # The legend once, notes shortened.
    assert "legend" not in panels[0]["layer"][0]["encoding"]["color"]
    assert panels[1]["layer"][0]["encoding"]["color"]["legend"] is None
    assert panels[0]["layer"][1]["mark"]["limit"] > 0
    independent = {**spec, "resolve": {"scale": {"y": "independent"}}}
    assert "scale" not in (facet_panels(independent) or [{}])[0]["layer"][0]["encoding"]["y"]
    assert facet_panels({"mark": "bar"}) is None


def test_slim_svg_draws_the_same_picture() -> None:
    import vl_convert

    spec = {"data": {"values": [{"a": "x", "b": 1.23456}, {"a": "y", "b": 2}]},
            "mark": {"type": "point", "filled": True}, "encoding": {"x": {"field": "a", "type": "nominal"},
                                                                    "y": {"field": "b", "type": "quantitative"}}}
    svg = vl_convert.vegalite_to_svg(spec)
    slim = slim_svg(svg)
    assert len(slim) < len(svg)
    assert _svg_texts(slim) == _svg_texts(svg)
    png_a = vl_convert.svg_to_png(svg)
    png_b = vl_convert.svg_to_png(slim)
    assert len(png_a) > 100 and png_b[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_audit_reads_the_drawing_and_flags_a_count_of_no_visible_row(tmp_path: Path) -> None:
    from evalkit.figure import Cell, Figure, Mark, Table
    from tests.test_audit import audit_one, chart_spec, clean_parts, page, row, rules

    rows = [row("Alle", 74.0, 20), row("Tjenestesiden", 77.0, 15), row("Brukersiden", None, None, True)]
    cells = [[Cell(str(r["category"]), header=True),
              Cell("–" if r["suppressed"] else str(r["estimate"]),
                   Mark("municipality:0301", "2026", f"equality.index_by_role.{r['category']}", "survey",
                        r["n"], r.get("reason")), numeric=True)] for r in rows]

    def figure(drawn_n: int) -> str:
        svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g><text>n = 20</text><text>n = 15</text>'
               f"<text>n = {drawn_n}</text></g></svg>")
        return Figure(spec=chart_spec(rows), title="Indeks etter rolle", description="Alle: 74.",
                      table=Table("Indeks etter rolle", ["Rolle", "Indeks"], cells),
                      mark=Mark("municipality:0301", "2026", "equality.index_by_role", "survey"),
                      numbers_label="Tallene bak figuren", static_svg=svg, chart_id="ek-chart-7").html()

    _, clean = audit_one(tmp_path, page(*clean_parts(), figure(15)), name="clean.html")
    assert "suppressed-with-n" not in rules(clean)
    # 4: the count of the suppressed user side, drawn although its row is suppressed.
    _, leak = audit_one(tmp_path, page(*clean_parts(), figure(4)), name="leak.html")
    assert "suppressed-with-n" in rules(leak)
    finding = next(f for f in leak.findings if f.rule == "suppressed-with-n")
    assert "n = 4" in finding.message and "ek-chart-7" in finding.element
