"""The published folder holds only what a reader may see (issue 14, item 1): --out is
never a data or work folder, and the audit refuses any file that is not a page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EVALKIT = [sys.executable, "-m", "evalkit.cli"]


def _batch(tmp_path: Path, data: Path) -> Path:
    text = (REPO / "params" / "sample_batch.yml").read_text(encoding="utf-8")
    text = text.replace("../data/sample", str(data)).replace("../notebooks", str(REPO / "notebooks"))
    path = tmp_path / "batch.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(REPO / "data" / "sample", copy)
    return copy


@pytest.mark.parametrize(("out_of", "where"), [
    (lambda d: d, "is the data folder"),
    (lambda d: d.parent, "contains the data folder"),
    (lambda d: d / "site", "is inside the data folder"),
])
def test_out_in_or_around_the_data_folder_is_refused(tmp_path: Path, data: Path, out_of, where) -> None:  # type: ignore[no-untyped-def]
    batch = _batch(tmp_path, data)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    out = out_of(data)
    done = subprocess.run([*EVALKIT, "batch", str(batch), "--out", str(out),
                           "--work", str(tmp_path.parent / f"{tmp_path.name}-work")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert where in done.stderr and "respondent-level data must never sit beside published pages" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == before  # nothing written: no page, no index, no manifest, no temporary file


def test_out_inside_the_work_folder_is_refused(tmp_path: Path, data: Path) -> None:
    work = tmp_path / "work"
    done = subprocess.run([*EVALKIT, "batch", str(_batch(tmp_path, data)), "--out", str(work / "site"),
                           "--work", str(work)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "is inside the work folder" in done.stderr
    assert not (work / "site").exists()


def test_audit_refuses_data_files_beside_pages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    page = site / "page.html"
    page.write_text("<!doctype html><html lang='nb'><head><title>t</title></head><body><p>ok</p></body></html>",
                    encoding="utf-8")
    clean = subprocess.run([*EVALKIT, "audit", str(site)], capture_output=True, text=True, timeout=120, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    shutil.copy(REPO / "data" / "sample" / "respondents.parquet", site / "respondents.parquet")
    (site / "extra").mkdir()
    (site / "extra" / "answers.csv").write_text("respondent_id,value\n", encoding="utf-8")
    done = subprocess.run([*EVALKIT, "audit", str(site)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "foreign-file" in done.stdout
    assert "respondents.parquet" in done.stdout and "answers.csv" in done.stdout
    assert "page.html" not in done.stdout  # the page itself is fine


def test_rules_list_names_the_folder_rule() -> None:
    done = subprocess.run([*EVALKIT, "audit", "--rules"], capture_output=True, text=True, timeout=60, check=True)
    assert "foreign-file: a file in a published folder that is not a page" in done.stdout


@pytest.mark.slow
def test_a_rerun_removes_what_a_killed_batch_left_half_written(tmp_path: Path, data: Path) -> None:
    """Regression: SIGKILL while publishing left `.municipality-3405.html.17510.tmp` in
    --out, still there after a successful re-run."""
    batch, out, work = _batch(tmp_path, data), tmp_path / "site", tmp_path / "work"
    command = [*EVALKIT, "batch", str(batch), "--out", str(out), "--work", str(work)]
    subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    stale = out / ".municipality-0301.html.999999999.tmp"  # a pid that is not running
    stale.write_text("<html><body>half a page", encoding="utf-8")
    subprocess.run([*command, "--force"], capture_output=True, text=True, timeout=600, check=True)
    assert not stale.exists()
    assert not list(out.glob(".*.tmp"))
    assert (out / "municipality-0301.html").is_file()


@pytest.mark.slow
def test_an_evaluators_note_is_never_published(tmp_path: Path) -> None:
    """Regression: an untagged markdown cell added to a report notebook reached the page
    (a table "Ledere | 3" and a <style> with a CSS-escaped url() that Chromium requested)."""
    import json

    notebook = json.loads((REPO / "notebooks" / "municipality_report.ipynb").read_text(encoding="utf-8"))
    note = ("Merknad til meg selv: Ledere | 3\n\n| Rolle | Antall |\n|---|---|\n| Ledere | 3 |\n\n"
            '<style>body { background: url("\\68 ttps://evil.example.org/x.png") }</style>')
    notebook["cells"].insert(3, {"cell_type": "markdown", "metadata": {}, "source": note})
    notebook["cells"].insert(5, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                 "source": "from IPython.display import Markdown, HTML, display\n"
                                           "display(Markdown('**Notat: Ledere 3**'))\n"
                                           "display(HTML('<p>Rå HTML: Ledere 3</p>'))"})
    copy = REPO / "notebooks" / f".test-note-{tmp_path.name}.ipynb"  # beside the others: same relative paths
    copy.write_text(json.dumps(notebook), encoding="utf-8")
    try:
        out = tmp_path / "oslo.html"
        done = subprocess.run([*EVALKIT, "run", str(copy), "-p", "municipality_id", "0301", "--html", str(out)],
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        page = out.read_text(encoding="utf-8")
    finally:
        copy.unlink(missing_ok=True)
    for leaked in ("Merknad til meg selv", "evil.example.org", "68 ttps", "Notat: Ledere", "Rå HTML"):
        assert leaked not in page


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "remove"])
def test_a_damaged_prepared_store_is_rebuilt_and_said_so(tmp_path: Path, data: Path, damage: str) -> None:
    """A truncated store file made every unit fail with "ArrowInvalid: Parquet magic
    bytes not found" on --force, and a plain re-run called the store "up to date"."""
    import pyarrow.parquet as pq

    batch, out, work = _batch(tmp_path, data), tmp_path / "site", tmp_path / "work"
    command = [*EVALKIT, "batch", str(batch), "--out", str(out), "--work", str(work)]
    subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    target = work / "prepared" / "items.parquet"
    whole = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(whole[: len(whole) // 3])
        why = "items.parquet does not match its checksum"
    else:
        target.unlink()
        why = "items.parquet is missing"
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    said = again.stdout + again.stderr
    assert again.returncode == 0, said
    assert f"prepared store: damaged ({why}), rebuilt in" in said
    assert pq.ParquetFile(target).metadata.num_rows > 0
    forced = subprocess.run([*command, "--force"], capture_output=True, text=True, timeout=600)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "prepared store: up to date" in forced.stdout + forced.stderr
