"""Long names wrap on the page, never widening it (issue 14, item 8).

Norwegian compounds make long unbroken words. A team of Oslo gets a 63-letter name in a
copy of the sample; its page, opened in Debian's headless Chromium at 390 px (a phone)
with JavaScript on and off, must not scroll sideways, and every element that shows the
name must lie inside the screen (wrapped), with the full name in the page's text."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.pages import REPO, render
from tests.test_static_charts import _open

LONG = "Forbedringsteametforrusogpsykiskhelsetjenesterpålegevaktenioslo"  # one 63-letter word


@pytest.fixture(scope="module")
def long_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("long")
    data = root / "data"
    shutil.copytree(REPO / "data" / "sample", data)
    teams = pl.read_parquet(data / "teams.parquet")
    teams.with_columns(name=pl.when(pl.col("team_id") == "T0301-2").then(pl.lit(LONG)).otherwise("name")).write_parquet(
        data / "teams.parquet")
    return render(REPO / "params" / "sample_municipality_0301.yml", root, data_dir=str(data))


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False])
def test_a_long_name_wraps_at_390_px(browser, long_page: Path, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    assert len(LONG) == 63 and " " not in LONG
    context, page, refused = _open(browser, long_page, 390, javascript)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        boxes = page.evaluate("""(name) => {
          const out = [];
          const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walk.nextNode()) {
            const node = walk.currentNode;
            if (!node.textContent.includes(name)) continue;
            const el = node.parentElement;
            if (el.closest('svg, .ek-static, .ek-chart, script, [hidden]')) continue;
            const r = el.getBoundingClientRect();
            if (r.width === 0) continue;
            out.push({tag: el.tagName, left: r.left, right: r.right, scroll: el.scrollWidth, client: el.clientWidth});
          }
          return out;
        }""", LONG)
        assert boxes, "the long name is not shown as text anywhere"
        for box in boxes:
            assert box["left"] >= -0.5 and box["right"] <= 390.5, box
            assert box["scroll"] <= box["client"] + 1, box
        assert not refused
    finally:
        context.close()
