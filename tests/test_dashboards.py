"""Execute every shipped `kind: run` file with its notebook in each language (real
kernels, papermill), check the HTML's structure, then look at it in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from evalkit.render import chart_bundle
from tests.pages import NETWORK_ATTR, REPO, RUN_FILES, parse, render

LANGUAGES = ["nb", "nn", "en"]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--no-sandbox"]


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("pages")
    rendered = {}
    for run_file in RUN_FILES:
        for language in LANGUAGES:
            rendered[(run_file.stem, language)] = render(run_file, out, language=language)
    return rendered


def test_shipped_run_files_cover_a_network_and_a_leading_zero_municipality() -> None:
    texts = [p.read_text(encoding="utf-8") for p in RUN_FILES]
    assert any("network_report.ipynb" in t for t in texts)
    assert any('municipality_id: "0301"' in t for t in texts)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("run_file", [p.stem for p in RUN_FILES])
def test_page_structure(pages: dict[tuple[str, str], Path], run_file: str, language: str) -> None:
    html = pages[(run_file, language)].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert f'lang="{language}"' in html.split(">", 2)[1]
    elements = parse(html)
    # Sections, in order.
    ids = [a.get("id") for t, a in elements.tags if t == "h2"]
    assert ids == ["ek-summary", "ek-key_figures", "ek-recruitment", "ek-equality", "ek-impact", "ek-promoters",
                   "ek-relatives", "ek-change", "ek-benchmark", "ek-method", "ek-data_quality"]
    # Nothing from the network: no src/href to a host, no CSS url(), no require.js or MathJax.
    outside_bundle = html.replace(chart_bundle(), "")
    assert not NETWORK_ATTR.search(outside_bundle)
    assert "url(" not in outside_bundle.split("<body", 1)[0].split("<script", 1)[0]
    assert "require.js" not in outside_bundle and "MathJax" not in outside_bundle
    for tag, attrs in elements.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("#"), (tag, name, value)
    # The chart library once, and a chart spec per figure.
    assert html.count(chart_bundle()) == 1
    figures = [a for t, a in elements.tags if t == "figure"]
    specs = re.findall(r'class="ek-spec"', html)
    assert len(figures) == len(specs) >= 8
    # No code cells, prompts or evaluator notes.
    assert "jp-InputArea" not in html and "In&nbsp;[" not in html and "report = " not in html
    assert "Note for evaluators" not in html
    # Vega-Embed's action menu (which can send data to an online editor) is off.
    assert "actions: false" in html
    size_mb = len(html.encode("utf-8")) / 1e6
    assert size_mb < 2.0, f"{run_file}: {size_mb:.2f} MB"


def _launch(p):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (make test installs it)")
        pytest.skip("no /usr/bin/chromium")
    return p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _open(browser, path: Path, *, javascript: bool = True):  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    page_url = path.resolve().as_uri()

    def handle(route):  # type: ignore[no-untyped-def]
        url = route.request.url
        if url == page_url:
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    context.route("**/*", handle)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page_url)
    return context, page, requests, errors, dialogs


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("run_file", [p.stem for p in RUN_FILES])
def test_charts_render_offline_without_errors(browser, pages, run_file: str) -> None:  # type: ignore[no-untyped-def]
    context, page, requests, errors, dialogs = _open(browser, pages[(run_file, "nb")])
    page.wait_for_function(
        "document.querySelectorAll('figure.ek-figure').length === document.querySelectorAll('figure.ek-drawn').length",
        timeout=20_000,
    )
    figures = page.query_selector_all("figure.ek-figure")
    assert figures
    for figure in figures:
        # a single chart drawn by Vega-Embed (SVG), small multiples as their static panels
        assert figure.query_selector(".ek-chart svg, .ek-panels svg") is not None
        assert figure.query_selector("canvas") is None
    assert requests == []
    assert errors == []
    assert dialogs == []
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("run_file", [p.stem for p in RUN_FILES])
def test_tables_are_there_without_javascript(browser, pages, run_file: str) -> None:  # type: ignore[no-untyped-def]
    context, page, requests, _, _ = _open(browser, pages[(run_file, "nb")], javascript=False)
    tables = page.query_selector_all("figure.ek-figure table.ek-table")
    figures = page.query_selector_all("figure.ek-figure")
    assert len(tables) == len(figures) > 0
    assert all(d.get_attribute("open") is not None for d in page.query_selector_all("details.ek-numbers"))
    assert tables[0].is_visible()
    assert requests == []
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("run_file", [p.stem for p in RUN_FILES])
def test_no_wcag_violations(browser, pages, run_file: str, language: str) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make test` (it runs npm ci)")
    context, page, _, _, _ = _open(browser, pages[(run_file, language)])
    page.wait_for_function(
        "document.querySelectorAll('figure.ek-figure').length === document.querySelectorAll('figure.ek-drawn').length",
        timeout=20_000,
    )
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in result["violations"]
    ]
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)
    context.close()


@pytest.mark.slow
def test_pages_are_reproducible_apart_from_the_date(pages: dict[tuple[str, str], Path], tmp_path: Path) -> None:
    run_file = next(p for p in RUN_FILES if "municipality" in p.stem)
    again = render(run_file, tmp_path, language="nb")
    first = pages[(run_file.stem, "nb")].read_text(encoding="utf-8")
    second = again.read_text(encoding="utf-8")
    if second != first:  # show where, not two megabytes of diff
        at = next(i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b)
        pytest.fail(f"pages differ at {at}: {first[at - 80:at + 80]!r} vs {second[at - 80:at + 80]!r}")
    shutil.rmtree(tmp_path / "work", ignore_errors=True)
