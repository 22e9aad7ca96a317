"""Hostile and odd input end to end: names show as text, nothing executes, parameters
are never evaluated as code."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from evalkit.errors import JobFailed
from evalkit.run import run_report
from tests.test_dashboards import CHROMIUM, _open

# Oslo's three teams get the hostile names (they appear on Oslo's page).
HOSTILE = {
    "T0301-1": "<script>alert(1)</script>",
    "T0301-2": '"><img src=x onerror=alert(2)> \u202ehøyre-til-venstre\u202c e\u0301 a\u0308',
    "T0301-3": "{{datum.x}} ${alert(3)} \" + alert(4) + \" '); alert(5); // **fet** [lenke](javascript:alert(6)) | "
    + "Æ" * 300,
}
NETWORK_NAME = "<svg onload=alert(7)>Øst & «nettverk»"


@pytest.fixture(scope="module")
def hostile_data(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(sample_dir, data)
    teams = pl.read_parquet(data / "teams.parquet").with_columns(
        pl.col("team_id").replace_strict(HOSTILE, default=pl.col("name")).alias("name")
    )
    teams.write_parquet(data / "teams.parquet")
    networks = pl.read_parquet(data / "networks.parquet").with_columns(
        pl.when(pl.col("network_id") == "ost").then(pl.lit(NETWORK_NAME)).otherwise(pl.col("name")).alias("name")
    )
    networks.write_parquet(data / "networks.parquet")
    return data


@pytest.mark.slow
@pytest.mark.browser
def test_hostile_names_show_as_text_and_nothing_runs(hostile_data: Path, repo: Path, tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    page_path = tmp_path / "oslo.html"
    run_report(repo / "notebooks" / "municipality_report.ipynb",
               {"municipality_id": "0301", "data_dir": str(hostile_data)}, page_path, work_dir=tmp_path / "work")
    html = page_path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html and "<svg onload" not in html
    context, page, requests, errors, dialogs = _open(browser, page_path)
    page.wait_for_function(
        "document.querySelectorAll('figure.ek-figure').length === document.querySelectorAll('figure.ek-drawn').length",
        timeout=20_000,
    )
    page.wait_for_timeout(300)
    assert dialogs == []
    assert errors == []
    assert requests == []
    text = page.inner_text("body")
    assert "<script>alert(1)</script>" in text  # shown, as text
    assert NETWORK_NAME in text
    assert "e\u0301 a\u0308" in text
    # Only the page's own two inline scripts and the chart library ran: no injected element exists.
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("Array.from(document.scripts).filter(s => !s.type || s.type === 'text/javascript').length") == 3
    context.close()


def test_parameters_are_never_evaluated_as_code(repo: Path, tmp_path: Path, sample_dir: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f'ost"); import os; os.system("touch {marker}"); ("'
    with pytest.raises(JobFailed, match="is not in the data"):
        run_report(repo / "notebooks" / "network_report.ipynb",
                   {"network_id": payload, "data_dir": str(sample_dir)}, tmp_path / "x.html", work_dir=tmp_path / "w")
    assert not marker.exists()
    assert not (tmp_path / "x.html").exists()


def test_browser_is_there_in_ci() -> None:
    if os.environ.get("CI"):
        assert CHROMIUM.exists()
