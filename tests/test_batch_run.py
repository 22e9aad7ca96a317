"""Whole batches on the sample data (evalkit/batch/runner.py, publish.py): published folder, manifest,
index, incremental re-runs, engines and executors, failures. Notebook-executing: slow.

Most tests stand in for the disclosure audit (it has its own tests) so that they test the
batch's mechanics whatever the pages' findings; ``test_audit_findings_keep_a_page_aside``
uses a stand-in that fails one page, ``test_the_real_audit_decides`` the real one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import psutil
import pytest

import evalkit.batch.publish as publish
from evalkit.batch import run_batch_file
from evalkit.batch.config import BatchPlan
from evalkit.batch.folders import WorkFolders
from evalkit.errors import JobFailed

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


def batch_file(folder: Path, *, municipalities: str = '["0301", 1108]', networks: str | None = "[ost]",
               notebooks: Path = REPO / "notebooks", extra: str = "") -> Path:
    text = (
        "kind: batch\n"
        "description: Test batch <i>&</i>\n"
        f"parameters:\n  data_dir: {SAMPLE}\n  wave: \"2026\"\n  compare_wave: \"2025\"\n{extra}"
        f"municipalities:\n  notebook: {notebooks / 'municipality_report.ipynb'}\n  units: {municipalities}\n"
    )
    if networks:
        text += f"networks:\n  notebook: {notebooks / 'network_report.ipynb'}\n  units: {networks}\n"
    path = folder / "batch.yml"
    path.write_text(text, encoding="utf-8")
    return path


AuditStub = Callable[[list[Path], BatchPlan, WorkFolders, int], dict[Path, str]]


@pytest.fixture
def no_audit_findings(monkeypatch: pytest.MonkeyPatch) -> list[list[Path]]:
    """Stand in for the audit: every page passes; records what was audited."""
    audited: list[list[Path]] = []

    def audit(paths: list[Path], plan: BatchPlan, folders: WorkFolders, jobs: int, **_: Any) -> dict[Path, str]:
        audited.append(list(paths))
        return {}

    monkeypatch.setattr(publish, "audit_set", audit)
    return audited


class Run:
    def __init__(self, code: int, messages: list[str]) -> None:
        self.code = code
        self.text = "\n".join(messages)


def run(batch: Path, out: Path, work: Path, **options: Any) -> Run:
    messages: list[str] = []
    code = run_batch_file(batch, out=out, work=work, jobs=2, echo=messages.append, progress=False, **options)
    return Run(code, messages)


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


@pytest.fixture(scope="module")
def respondent_ids() -> list[str]:
    return pl.read_parquet(SAMPLE / "respondents.parquet")["respondent_id"].cast(pl.String).to_list()


def normalised(html: str) -> str:
    """A page without the day it was made on."""
    return re.sub(r"\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}", "DATE", html)


def test_a_small_batch_and_its_re_runs(tmp_path: Path, no_audit_findings: list[list[Path]],
                                       respondent_ids: list[str]) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    batch = batch_file(tmp_path)
    first = run(batch, out, work)
    assert first.code == 0, first.text
    pages = {"network-ost.html", "municipality-0301.html", "municipality-1108.html"}
    assert {p.name for p in out.iterdir()} == pages | {"index.html", "manifest.json"}
    assert "3 rendered" in first.text and "prepared store: rebuilt" in first.text
    # Respondent-level things live in the work folder only.
    assert (work / "prepared" / "settings.json").is_file()
    assert len(list((work / "executed").glob("*.ipynb"))) == 3
    assert not list(out.rglob("*.ipynb")) and not list(out.rglob("*.parquet"))

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["min_unit_n"] == 10 and manifest["settings"]["min_cell_n"] == 5
    assert manifest["settings"]["wave"] == "2026" and manifest["settings"]["compare_wave"] == "2025"
    oslo = next(u for u in manifest["units"] if u["unit"] == "municipality:0301")
    assert oslo["parameters"]["municipality_id"] == "0301"
    assert "prepared_dir" not in oslo["parameters"]
    assert oslo["status"] == "ok" and oslo["error"] is None and oslo["page"] == "municipality-0301.html"
    assert oslo["notebook"].endswith("notebooks/municipality_report.ipynb")
    for key in ("input_hash", "notebook_hash", "template_hash", "evalkit_version", "duration_s"):
        assert oslo[key], key
    published = (out / "manifest.json").read_text(encoding="utf-8") + (out / "index.html").read_text(encoding="utf-8")
    assert not [r for r in respondent_ids if r in published]

    # Nothing changed: nothing prepared, nothing rendered, nothing rewritten, and it says so.
    before = mtimes(out)
    second = run(batch, out, work)
    assert second.code == 0
    assert "nothing changed" in second.text and "nothing rendered" in second.text
    assert mtimes(out) == before

    # A page that went missing is rendered again, and only that one.
    (out / "municipality-1108.html").unlink()
    third = run(batch, out, work)
    assert "1 rendered, 2 unchanged" in third.text and "prepared store: up to date" in third.text
    assert (out / "municipality-1108.html").is_file()

    # A new unit renders alone; --force renders everything.
    batch_file(tmp_path, municipalities='["0301", 1108, 3201]')
    fourth = run(batch, out, work)
    assert "1 rendered, 3 unchanged" in fourth.text
    forced = run(batch, out, work, force=True)
    assert "4 rendered, 0 unchanged" in forced.text
    # The audit saw the whole set every time a page changed, and the index with it.
    assert all(any(p.name == "index.html" for p in paths) for paths in no_audit_findings)
    assert {p.name for p in no_audit_findings[-1]} == pages | {"municipality-3201.html", "index.html"}

    # A unit taken out of the batch: its page goes from the folder (and the index and
    # manifest); a file the batch never wrote stays.
    (out / "notes-from-the-evaluator.html").write_text("<p>mine</p>", encoding="utf-8")
    batch_file(tmp_path, municipalities='["0301", 3201]')
    fifth = run(batch, out, work)
    assert fifth.code == 0, fifth.text
    assert "removed" in fifth.text and "municipality-1108.html" in fifth.text
    assert not (out / "municipality-1108.html").exists()
    assert (out / "notes-from-the-evaluator.html").is_file()
    assert "municipality-1108" not in (out / "index.html").read_text(encoding="utf-8")
    units = [u["unit"] for u in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["units"]]
    assert "municipality:1108" not in units


def test_index_page_is_offline_marked_and_escaped(tmp_path: Path, no_audit_findings: list[list[Path]]) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    assert run(batch_file(tmp_path), out, work).code == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="nb">' in html
    assert "Test batch &lt;i&gt;&amp;&lt;/i&gt;" in html and "<i>&</i>" not in html
    assert ".ek-index-network" in html  # evalkit's stylesheet, inlined
    assert "<script" not in html and "http:" not in html and "https:" not in html and "//" not in html.split("<style>")[0]
    for href in re.findall(r'href="([^"#][^"]*)"', html):
        assert (out / href).is_file(), href
    cells = re.findall(r'<td class="ek-num"([^>]*)>([^<]*)</td>', html)
    assert len(cells) == 3 * 3  # respondents and two indices for the network and 2 municipalities
    for attrs, value in cells:
        for name in ("data-unit", "data-wave", "data-figure", "data-source"):
            assert name in attrs
        assert ("data-n=" in attrs) != ("data-suppressed=" in attrs)
        if "data-suppressed" in attrs:
            reason = re.search(r'data-suppressed="(\w+)"', attrs).group(1)  # type: ignore[union-attr]
            assert value == {"small": "under 5", "unit": "under 10", "protect": "skjult av personvernhensyn"}[reason] \
                or (value == "under 10 svar" and reason == "unit")
        else:
            n = int(re.search(r'data-n="(\d+)"', attrs).group(1))  # type: ignore[union-attr]
            assert n >= 5
    assert "Oslo" in html and "Læringsnettverk Øst" in html


def test_engines_and_executors_give_equivalent_dashboards(tmp_path: Path, no_audit_findings: list[list[Path]]) -> None:
    batch = batch_file(tmp_path, municipalities='["0301"]', networks="[ost]")
    sites = {}
    for name, options in {
        "fast": {},
        "kernel": {"engine": "kernel"},
        "dask": {"executor": "dask"},
    }.items():
        out = tmp_path / name
        result = run(batch, out, tmp_path / f"work-{name}", **options)
        assert result.code == 0, (name, result.text)
        sites[name] = {p.name: normalised(p.read_text(encoding="utf-8")) for p in out.glob("*.html")}
    assert sites["fast"].keys() == {"network-ost.html", "municipality-0301.html", "index.html"}
    assert sites["kernel"] == sites["fast"]
    assert sites["dask"] == sites["fast"]


def _failing_notebooks(tmp_path: Path, flag: Path) -> Path:
    """Copies of the report notebooks whose municipality 3201 fails while ``flag`` exists."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("municipality_report.ipynb", "network_report.ipynb"):
        nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
        if name.startswith("municipality"):
            nb.cells.insert(2, nbformat.v4.new_code_cell(
                f"import pathlib\nif municipality_id == '3201' and pathlib.Path({str(flag)!r}).exists():\n"
                "    raise RuntimeError('the data for 3201 are broken')"))
        nbformat.write(nb, folder / name)
    return folder


def test_a_failing_unit_fails_alone_and_a_re_run_renders_only_it(tmp_path: Path,
                                                                  no_audit_findings: list[list[Path]]) -> None:
    flag = tmp_path / "break-3201"
    flag.touch()
    batch = batch_file(tmp_path, municipalities='["0301", 3201]', networks=None,
                       notebooks=_failing_notebooks(tmp_path, flag))
    out, work = tmp_path / "site", tmp_path / "work"
    first = run(batch, out, work)
    assert first.code == 1
    assert "1 rendered" not in first.text and "FAILED municipality:3201" in first.text
    assert "RuntimeError: the data for 3201 are broken" in first.text
    assert (out / "municipality-0301.html").is_file() and not (out / "municipality-3201.html").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    failed = next(u for u in manifest["units"] if u["id"] == "3201")
    assert failed["status"] == "failed" and "the data for 3201 are broken" in failed["error"]
    assert failed["page"] is None
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="municipality-0301.html"' in index and 'href="municipality-3201.html"' not in index
    assert (work / "executed" / "municipality-3201.ipynb").is_file()  # kept for the evaluator to read

    flag.unlink()
    second = run(batch, out, work)
    assert second.code == 0
    assert "1 rendered, 1 unchanged, 0 failed" in second.text
    assert 'href="municipality-3201.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_audit_findings_keep_a_page_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def audit(paths: list[Path], plan: BatchPlan, folders: WorkFolders, jobs: int, **_: Any) -> dict[Path, str]:
        return {p: f"{p}:1: small-cell: a figure with n=3" for p in paths if p.name == "municipality-1108.html"}

    monkeypatch.setattr(publish, "audit_set", audit)
    out, work = tmp_path / "site", tmp_path / "work"
    result = run(batch_file(tmp_path, networks=None), out, work)
    assert result.code == 1 and "REJECTED municipality:1108" in result.text
    assert not (out / "municipality-1108.html").exists() and (out / "municipality-0301.html").is_file()
    assert (work / "rejected" / "municipality-1108.html").is_file()
    assert "small-cell" in (work / "rejected" / "municipality-1108.html.audit.txt").read_text(encoding="utf-8")
    assert 'href="municipality-1108.html"' not in (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {u["id"]: u["status"] for u in manifest["units"]} == {"0301": "ok", "1108": "rejected"}


def test_the_real_audit_decides(tmp_path: Path) -> None:
    """With evalkit's audit: a page is either published or kept aside with a report, never both."""
    out, work = tmp_path / "site", tmp_path / "work"
    result = run(batch_file(tmp_path, municipalities='["0301"]', networks=None), out, work)
    published = (out / "municipality-0301.html").is_file()
    kept = (work / "rejected" / "municipality-0301.html").is_file()
    assert published != kept
    assert result.code == (0 if published else 1)
    if kept:
        assert (work / "rejected" / "municipality-0301.html.audit.txt").read_text(encoding="utf-8").strip()


def test_a_full_output_folder_is_a_clear_error_with_earlier_outputs_intact(
    tmp_path: Path, no_audit_findings: list[list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    assert run(batch_file(tmp_path, municipalities='["0301"]', networks=None), out, work).code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    real_copy = publish.copy_into

    def full_disk(src: Path, target: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(publish, "copy_into", full_disk)
    batch = batch_file(tmp_path, municipalities='["0301", 1108]', networks=None)
    with pytest.raises(JobFailed, match="no space left on the device") as info:
        run(batch, out, work)
    assert "every earlier file" in str(info.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(out.glob(".*"))
    assert (work / "staging" / "municipality-1108.html").is_file()  # kept to publish later

    monkeypatch.setattr(publish, "copy_into", real_copy)
    resumed = run(batch, out, work)
    assert resumed.code == 0, resumed.text
    assert "0 rendered, 1 unchanged, 1 finished earlier" in resumed.text
    assert (out / "municipality-1108.html").is_file()
    assert not list((work / "staging").iterdir())


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_output_folder(tmp_path: Path, tiny_tmpfs: Path, no_audit_findings: list[list[Path]]) -> None:
    out = tiny_tmpfs / "site"
    out.mkdir()
    (out / "earlier.html").write_text("<p>an earlier page</p>", encoding="utf-8")
    with pytest.raises(JobFailed, match="no space left") as info:
        run(batch_file(tmp_path, networks=None), out, tmp_path / "work")
    assert "page(s) were published before the error" in str(info.value)
    assert (out / "earlier.html").read_text(encoding="utf-8") == "<p>an earlier page</p>"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    for page in out.glob("municipality-*.html"):  # whatever made it is complete
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_work_folder_inside_out_is_refused(tmp_path: Path) -> None:
    from evalkit.errors import InputError

    with pytest.raises(InputError, match="inside the published folder"):
        run(batch_file(tmp_path), tmp_path / "site", tmp_path / "site" / "work")


def test_interrupt_half_way_then_resume(tmp_path: Path) -> None:
    """SIGINT during a batch: exit 130, no partial HTML anywhere; a resume renders only what is missing."""
    out, work = tmp_path / "site", tmp_path / "work"
    batch = batch_file(tmp_path, municipalities='["0301", 1108, 3201, 1103]', networks=None)
    command = [sys.executable, "-m", "evalkit.cli", "batch", str(batch), "--out", str(out), "--work", str(work),
               "--jobs", "1", "--no-progress"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list((work / "results").glob("*.json")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    everything = list(out.rglob("*")) + list(work.rglob("*"))
    assert not [p for p in everything if p.name.endswith(".tmp")]
    assert not list(out.glob("*.html"))
    staged = sorted(p.name for p in (work / "staging").glob("*.html"))
    assert 1 <= len(staged) < 4
    for page in staged:
        assert (work / "staging" / page).read_text(encoding="utf-8").rstrip().endswith("</html>")

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert f"{4 - len(staged)} rendered" in resumed.stderr and f"{len(staged)} finished earlier" in resumed.stderr


def test_a_cold_batch_warms_its_fork_server_while_the_store_is_built(
        tmp_path: Path, no_audit_findings: list[list[Path]]) -> None:
    """(The subprocess runs the real audit; the stand-in covers the in-process batch.)"""
    # A fresh process, so that this batch starts its own fork server: early, before the
    # store is built (enough units for a warm-up, no store yet), its warm-up unit waiting
    # for the store.
    nine = '["0301", 1103, 1108, 1505, 1506, 1804, 3103, 3105, 3107]'
    batch = batch_file(tmp_path, municipalities=nine, networks=None)
    out, work = tmp_path / "site", tmp_path / "work"
    done = subprocess.run([str(Path(sys.executable).parent / "evalkit"), "batch", str(batch), "--out", str(out),
                           "--work", str(work), "--no-progress"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "9 rendered" in done.stderr
    assert len(list(out.glob("municipality-*.html"))) == 9
    assert (work / "warmup" / "store-ready").is_file()
    warmup = json.loads((work / "warmup" / "task.json").read_text(encoding="utf-8"))
    assert warmup["input_hash"] == "warm-up" and warmup["parameters"]["prepared_dir"] == str(work / "prepared")
    # The pages are the pages a batch without the early start makes (this process's).
    (tmp_path / "single").mkdir()
    single = batch_file(tmp_path / "single", municipalities='["0301"]', networks=None)
    alone = run(single, tmp_path / "alone", tmp_path / "alone-work")
    assert alone.code == 0, alone.text
    assert normalised((tmp_path / "alone" / "municipality-0301.html").read_text(encoding="utf-8")) == \
        normalised((out / "municipality-0301.html").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize(("executor", "moment"), [("local", "warm-up"), ("local", "first page"),
                                                  ("local", "later pages"), ("dask", "first page")])
def test_ctrl_c_in_a_terminal_ends_every_process_with_one_line(tmp_path: Path, executor: str, moment: str) -> None:
    """Ctrl-C in a terminal signals the whole foreground process group — the batch, its
    fork server, the units and the drawing processes: exit 130, and stderr says
    "interrupted" once, with no worker's traceback (issue 14, item 6)."""
    out, work = tmp_path / "site", tmp_path / "work"
    batch = batch_file(tmp_path, municipalities='["0301", 1108, 3201, 1103, 1505, 1506]', networks=None)
    command = [sys.executable, "-m", "evalkit.cli", "batch", str(batch), "--out", str(out), "--work", str(work),
               "--jobs", "2", "--no-progress", "--executor", executor]
    # A process group of its own, as a terminal's job is, with SIGINT's default action.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 300
    if moment == "warm-up":
        time.sleep(1.5)
    else:
        wanted = 1 if moment == "first page" else 3
        while time.time() < deadline and len(list((work / "results").glob("*.json"))) < wanted:
            time.sleep(0.05)
    family = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == ["evalkit: interrupted"], err
    # The fork server and the drawing processes (a session of their own) follow within a second or two.
    _gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, f"processes left behind: {[p.cmdline() for p in alive]}"


@contextlib.contextmanager
def _tmpfs(path: Path, *options: str) -> Iterator[Path]:
    """A small file system of its own at ``path`` (root only: a read-only or a full folder
    that root's permissions cannot fake)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=1m", *options)), "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail(f"cannot mount a tmpfs for the test: {done.stderr}")
        pytest.skip(f"needs root to mount a tmpfs: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "code", "says"), [
    ("ro", 2, "cannot write to the work folder {work}: Read-only file system"),
    ("full", 1, "cannot write to the work folder ({work}): No space left on device"),
])
def test_a_read_only_or_full_work_folder_is_one_line(tmp_path: Path, kind: str, code: int, says: str) -> None:
    """Issue 14, item 6: a work folder that cannot be written at all is refused before
    anything is written (exit 2); one that fills up while the batch runs ends it with one
    line naming the folder (exit 1) — no traceback from the batch or from a unit."""
    out = tmp_path / "site"
    with _tmpfs(tmp_path / "mnt", *(("ro",) if kind == "ro" else ())) as mnt:
        work = mnt / "work" if kind == "full" else mnt
        done = subprocess.run([sys.executable, "-m", "evalkit.cli", "batch", str(batch_file(tmp_path)), "--out", str(out),
                               "--work", str(work), "--jobs", "2", "--no-progress"],
                              capture_output=True, text=True, timeout=600)
    assert done.returncode == code, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["evalkit: error: " + says.format(work=work)], done.stderr
    assert not out.exists() or not list(out.iterdir())
