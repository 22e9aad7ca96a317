"""JupyterLab as the evaluator's desk (issue 18, item 5): a real JupyterLab, started on a
free local port in an ``evalkit init --example`` folder whose README steps have been
followed up to the validated data, opens the folder's municipality notebook in headless
Chromium; Run → Run All Cells runs it on its defaults, with the folder's data, without an
error, and the dashboard's summary ("Hovedfunn") is on the screen.

The server runs with its own Jupyter folders (config, data, runtime, settings,
workspaces: nothing of this machine's Jupyter set-up takes part) and one kernelspec,
installed for the test with ``python -m ipykernel install``: the kernel is the Python
that runs the tests, with this repository's evalkit on its path. The browser reaches
nothing but the server. The server and the kernel are stopped in a ``finally``: the
kernel through the server's API, then the server with ``/api/shutdown``, and the test
checks that both processes are gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from evalkit.canonical import CanonicalData
from evalkit.cli import main
from evalkit.i18n import text
from tests.test_init import _commands

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/municipality_report.ipynb"
SERVER_START = 180  # seconds
RUN_ALL = 600  # seconds

# --------------------------------------------------------------------- the evaluation folder


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ``init --example`` folder after the README's steps up to the validated data
    (every command of its ```sh blocks before ``evalkit batch``, as written)."""
    folder = tmp_path_factory.mktemp("desk") / "evaluering"
    assert main(["init", str(folder), "--example"]) == 0
    ran = []
    with contextlib.chdir(folder):
        for line in _commands((folder / "README.md").read_text(encoding="utf-8")):
            words = shlex.split(line)
            if words[:2] == ["evalkit", "batch"]:
                break
            assert words[0] == "evalkit", line
            assert main(words[1:]) == 0, line
            ran.append(words[1])
    assert ran == ["reference", "validate"]
    assert (folder / "data" / "respondents.parquet").is_file()
    return folder


# --------------------------------------------------------------------- the server


@dataclass(frozen=True)
class Lab:
    url: str  # http://127.0.0.1:PORT/
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(tmp: Path) -> dict[str, str]:
    """This process's environment without its Jupyter set-up, with folders of the test's
    own, this repository's evalkit on the path, and a kernelspec of this Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "PYTHONPATH"))}
    env.update({
        "PYTHONPATH": str(REPO),
        "POLARS_MAX_THREADS": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_PATH": str(tmp / "kernel" / "share" / "jupyter"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-workspaces"),
    })
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(tmp / "kernel"),
                    "--name", "python3", "--display-name", "Python 3 (evalkit)"],
                   env=env, check=True, capture_output=True, timeout=120)
    # Lab's own settings: no news and no update check (nor the toast asking about them).
    settings = tmp / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    return env


def _wait_until_up(lab: Lab) -> None:
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {lab.process.returncode}:\n{lab.tail()}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            lab.api("GET", "api/status")
            return
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START} s:\n{lab.tail()}")


def _stop(lab: Lab) -> list[psutil.Process]:
    """Shut the kernels down through the API, then the server; returns the processes
    that were still running under the server (to be checked gone)."""
    children = []
    with contextlib.suppress(psutil.NoSuchProcess):
        children = psutil.Process(lab.process.pid).children(recursive=True)
    if lab.process.poll() is None:
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            for kernel in lab.api("GET", "api/kernels"):
                lab.api("DELETE", f"api/kernels/{kernel['id']}")
            lab.api("POST", "api/shutdown")
        try:
            lab.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            lab.process.terminate()
            try:
                lab.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                lab.process.kill()
                lab.process.wait(timeout=15)
    _, alive = psutil.wait_procs(children, timeout=30)
    for process in alive:  # started by this test's server: ours to end
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    return alive


@contextlib.contextmanager
def _jupyterlab(folder: Path, tmp: Path) -> Iterator[Lab]:
    env = _environment(tmp)
    port, token = _free_port(), secrets.token_hex(24)
    log = tmp / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the test reads the notebook's model
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),  # containers run tests as root
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    lab = Lab(f"http://127.0.0.1:{port}/", token, process, log)
    alive: list[psutil.Process] = []
    try:
        _wait_until_up(lab)
        yield lab
    finally:
        alive = _stop(lab)
    assert lab.process.returncode is not None
    assert not alive, f"processes left running after the server stopped: {alive}"


# --------------------------------------------------------------------- the notebook's state

_NOTEBOOK_OPEN = """(path) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.sessionContext) return false;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""
_RUN_ALL_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter((c) => c.model.type === 'code');
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const all = cells.length > 0 && cells.every((c) => c.model.executionCount !== null);
  // An error stops Run All: the cells after it are never run.
  const failed = cells.some((c) => c.model.outputs.toJSON().some((o) => o.output_type === 'error'));
  return (all || failed) && !!kernel && kernel.status === 'idle';
}"""
_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session.kernel;
  return {
    kernel: kernel.name,
    cells: w.content.widgets.filter((c) => c.model.type === 'code').map((c) => ({
      source: c.model.sharedModel.getSource(),
      count: c.model.executionCount,
      outputs: c.model.outputs.toJSON(),
    })),
  };
}"""


def _painted(page: Any) -> None:
    """Wait two animation frames: the notebook paints cells scrolled into view lazily
    (``content-visibility``), and a screenshot taken at once can be blank."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_timeout(300)


def _errors(cells: list[dict[str, Any]]) -> list[str]:
    """Every error output and every stderr stream of the run, with its cell's source."""
    found = []
    for cell in cells:
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                found.append(f"{cell['source']!r}: {output['ename']}: {output['evalue']}")
            elif output["output_type"] == "stream" and output["name"] == "stderr":
                found.append(f"{cell['source']!r}: stderr: {''.join(output['text'])}")
    return found


# --------------------------------------------------------------------- the test


def test_run_all_in_jupyterlab_shows_the_dashboard_without_an_error(
    evaluation: Path, browser: Any, sample_data: CanonicalData, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with _jupyterlab(evaluation, tmp_path) as lab:
        specs = lab.api("GET", "api/kernelspecs")
        python3 = specs["kernelspecs"]["python3"]["spec"]
        assert python3["argv"][0] == sys.executable  # the kernelspec installed for the test

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        blocked: list[str] = []

        def only_the_server(route: Any) -> None:
            if route.request.url.startswith(lab.url):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_server)
        page = context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        try:
            page.goto(f"{lab.url}lab/tree/{NOTEBOOK}?token={lab.token}", timeout=SERVER_START * 1000)
            page.wait_for_function(_NOTEBOOK_OPEN, arg=NOTEBOOK, timeout=SERVER_START * 1000, polling=500)

            # The kernel is this Python, running this repository's evalkit.
            kernels = [p for p in psutil.Process(lab.process.pid).children(recursive=True)
                       if "ipykernel_launcher" in " ".join(p.cmdline())]
            assert len(kernels) == 1 and kernels[0].cmdline()[0] == sys.executable, [p.cmdline() for p in kernels]

            # Run → Run All Cells, as an evaluator does it.
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            page.wait_for_function(_RUN_ALL_DONE, timeout=RUN_ALL * 1000, polling=1000)
            state = page.evaluate(_STATE)

            assert state["kernel"] == "python3"
            assert not _errors(state["cells"]), "\n".join(_errors(state["cells"]))
            assert all(cell["count"] is not None for cell in state["cells"]), [c["source"] for c in state["cells"]]
            stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            assert stderr.count() == 0, stderr.all_inner_texts()

            # The page is about the first municipality (by number) with a team, and its
            # summary — the heading and the findings under it — is on the screen.
            first = min(sample_data.teams.get_column("municipality_id"))
            name = sample_data.reference().municipality_name(first)
            expect(page.locator(".jp-OutputArea-output h1").first).to_contain_text(name)
            heading = page.locator(".jp-OutputArea-output h2", has_text=re.compile(
                rf"^\s*{re.escape(text('section_summary', 'nb'))}"))
            expect(heading).to_have_count(1)
            heading.scroll_into_view_if_needed()
            expect(heading).to_be_in_viewport()
            findings = page.locator(".jp-OutputArea-output .ek-finding")
            assert findings.count() >= 1
            expect(findings.first).to_be_visible()
            _painted(page)
            page.screenshot(path=str(tmp_path / "lab-summary.png"))
            # The charts are drawn by JupyterLab's own Vega-Lite renderer (nothing loaded
            # from the network): the first one, with its marks on a canvas.
            charts = page.locator(".jp-OutputArea-output.jp-RenderedVegaLite")
            assert charts.count() >= 1
            charts.first.scroll_into_view_if_needed()
            expect(charts.first).to_be_in_viewport()
            expect(charts.first.locator("canvas.marks, svg.marks").first).to_be_visible()
            _painted(page)
            page.screenshot(path=str(tmp_path / "lab-chart.png"))
            assert not page_errors, page_errors
            assert not blocked, blocked
        finally:
            context.close()
        assert lab.process.poll() is None, lab.tail()  # still up: stopped by the fixture
