"""The supervised pool and the fast engine, with tiny notebooks, one per behaviour
(evalkit/batch/pool.py, evalkit/batch/engine.py, evalkit/batch/worker.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from evalkit.batch.pool import Launcher, _SubprocessUnit, supervise
from evalkit.batch.worker import UnitOutcome, UnitTask, excerpt, is_startup_fault


def notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if parameters is not None:
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells.extend(nbformat.v4.new_code_cell(src) for src in sources)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def task(work: Path, key: str, nb: Path, *, engine: str = "fast", parameters: dict[str, Any] | None = None) -> UnitTask:
    return UnitTask(
        key=key, notebook=str(nb), parameters=parameters or {},
        executed=str(work / "executed" / f"{key}.ipynb"), staged=str(work / "staging" / f"{key}.html"),
        result=str(work / "results" / f"{key}.json"), input_hash=f"hash-{key}", engine=engine,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Launcher:
    return Launcher("forkserver", bundle_cache=tmp_path_factory.mktemp("bundle") / "chart-bundle.js")


def _no_temporary_files(work: Path) -> None:
    assert not [p for p in work.rglob("*.tmp")], "a killed unit left a temporary file"


@pytest.mark.slow
def test_units_cannot_affect_each_other(tmp_path: Path, launcher: Launcher) -> None:
    """A unit that changes global state, a module attribute, the working folder or an
    Altair setting leaves the next unit (in the same pool slot) untouched."""
    mutate = notebook(tmp_path / "nb" / "mutate.ipynb", """
import os, builtins, decimal
import altair as alt
import evalkit.theme as theme
os.chdir("/")
theme.THEME_NAME = "changed"
alt.theme.enable("dark")
builtins.leaked_from_a_unit = True
decimal.getcontext().prec = 3
os.environ["EVALKIT_LEAKED"] = "1"
SHARED = "leaked"
""")
    check = notebook(tmp_path / "nb" / "check.ipynb", """
import os, builtins, decimal
from pathlib import Path
import altair as alt
import evalkit.theme as theme
problems = []
if Path.cwd() != Path(NOTEBOOK_DIR): problems.append(f"cwd {Path.cwd()}")
if theme.THEME_NAME != "evalkit": problems.append("module attribute")
if alt.theme.active != "evalkit": problems.append(f"altair theme {alt.theme.active}")
if hasattr(builtins, "leaked_from_a_unit"): problems.append("builtins")
if decimal.getcontext().prec != 28: problems.append("decimal context")
if "EVALKIT_LEAKED" in os.environ: problems.append("environment")
if "SHARED" in globals(): problems.append("namespace")
assert not problems, problems
""", parameters="NOTEBOOK_DIR = ''")
    work = tmp_path / "work"
    tasks = [task(work, "a", mutate), task(work, "b", check, parameters={"NOTEBOOK_DIR": str(check.parent)}),
             task(work, "c", mutate), task(work, "d", check, parameters={"NOTEBOOK_DIR": str(check.parent)})]
    results = supervise(tasks, jobs=1, timeout=120, launcher=launcher)
    assert {k: o.status for k, o in results.items()} == {"a": "ok", "b": "ok", "c": "ok", "d": "ok"}, results


@pytest.mark.slow
def test_a_failing_or_killed_unit_fails_alone(tmp_path: Path, launcher: Launcher) -> None:
    ok = notebook(tmp_path / "ok.ipynb", "x = 1 + 1", "x")
    raising = notebook(tmp_path / "raise.ipynb", "raise ValueError('municipality 9999 is unknown')")
    killed = notebook(tmp_path / "kill.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    work = tmp_path / "work"
    tasks = [task(work, "ok1", ok), task(work, "raise", raising), task(work, "kill", killed), task(work, "ok2", ok)]
    results = supervise(tasks, jobs=2, timeout=120, launcher=launcher)
    assert results["ok1"].status == results["ok2"].status == "ok"
    assert results["raise"].status == "failed"
    assert results["raise"].error is not None and "ValueError: municipality 9999 is unknown" in results["raise"].error
    assert not results["raise"].retryable
    assert results["kill"].status == "failed"
    assert results["kill"].error is not None and "SIGKILL" in results["kill"].error
    assert (work / "staging" / "ok1.html").is_file() and not (work / "staging" / "raise.html").exists()
    assert not (work / "staging" / "kill.html").exists()
    _no_temporary_files(work)


@pytest.mark.slow
def test_a_unit_over_its_time_is_stopped(tmp_path: Path, launcher: Launcher) -> None:
    slow = notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(120)")
    ok = notebook(tmp_path / "ok.ipynb", "1")
    work = tmp_path / "work"
    started = time.perf_counter()
    results = supervise([task(work, "slow", slow), task(work, "ok", ok)], jobs=2, timeout=8, launcher=launcher)
    assert time.perf_counter() - started < 60
    assert results["slow"].status == "failed" and "timed out after 8 s" in (results["slow"].error or "")
    assert results["ok"].status == "ok"
    assert not (work / "staging" / "slow.html").exists()
    _no_temporary_files(work)


@pytest.mark.slow
def test_interrupt_stops_everything_and_leaves_no_partial_file(tmp_path: Path, launcher: Launcher) -> None:
    quick = notebook(tmp_path / "quick.ipynb", "1")
    slow = notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(120)")
    work = tmp_path / "work"
    tasks = [task(work, "quick", quick), task(work, "slow", slow), task(work, "later", quick)]

    def interrupt(outcome: UnitOutcome) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        supervise(tasks, jobs=2, timeout=120, launcher=launcher, on_outcome=interrupt)
    assert (work / "staging" / "quick.html").is_file()  # complete pages are kept for a resume
    assert not (work / "staging" / "slow.html").exists()
    assert not (work / "staging" / "later.html").exists()
    _no_temporary_files(work)


class _FlakyLauncher(Launcher):
    """Fails a unit's first start with a kernel start-up fault, like a ZMQ port race."""

    def __init__(self) -> None:
        super().__init__("subprocess")
        self.starts: list[str] = []

    def start(self, task: UnitTask, task_file: Path) -> _SubprocessUnit:
        self.starts.append(task.key)
        attempt = self.starts.count(task.key)
        outcome = UnitOutcome(task.key, "ok" if attempt > 1 else "failed", 0.1, task.input_hash,
                              error=None if attempt > 1 else "ZMQError: Address already in use",
                              retryable=attempt == 1)
        script = f"from pathlib import Path; Path({task.result!r}).write_text({outcome.to_json()!r})"
        Path(task.result).parent.mkdir(parents=True, exist_ok=True)
        return _SubprocessUnit(subprocess.Popen([sys.executable, "-c", script]))


def test_kernel_start_up_faults_are_retried(tmp_path: Path) -> None:
    flaky = _FlakyLauncher()
    tasks = [task(tmp_path, "a", tmp_path / "x.ipynb"), task(tmp_path, "b", tmp_path / "x.ipynb")]
    results = supervise(tasks, jobs=2, timeout=60, retries=2, launcher=flaky)
    assert {k: (o.status, o.attempts) for k, o in results.items()} == {"a": ("ok", 2), "b": ("ok", 2)}
    flaky_no_retry = _FlakyLauncher()
    results = supervise(tasks, jobs=2, timeout=60, retries=0, launcher=flaky_no_retry)
    assert results["a"].status == "failed" and "Address already in use" in (results["a"].error or "")


def test_start_up_faults_are_told_from_notebook_errors() -> None:
    assert is_startup_fault(RuntimeError("Kernel died before replying to kernel_info"))
    assert is_startup_fault(TimeoutError("Kernel didn't respond in 60 seconds"))
    assert not is_startup_fault(KeyError("0301"))
    assert excerpt("x" * 1000).endswith("…") and len(excerpt("x" * 1000)) == 400


def _outputs(path: Path) -> list[list[dict[str, Any]]]:
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        shown = []
        for o in cell.outputs:
            o = json.loads(json.dumps(o))
            o.pop("execution_count", None)
            if "data" in o:
                o["data"].pop("text/plain", None)  # holds memory addresses
            if o.get("output_type") == "error":
                o["traceback"] = []
            shown.append(o)
        out.append(shown)
    return out


@pytest.mark.slow
def test_fast_engine_records_outputs_as_a_kernel_does(tmp_path: Path, launcher: Launcher) -> None:
    nb = notebook(tmp_path / "outputs.ipynb",
                  "print('to stdout')\nimport sys\nprint('to stderr', file=sys.stderr)",
                  "from evalkit.figure import Block, PageMeta\nPageMeta('nb', 'A page')",
                  "from IPython.display import display\ndisplay(Block('<p>one</p>'))\nBlock('<p>two</p>')",
                  "value = 41 + 1\nvalue",
                  "x = 1;",
                  "raise KeyError('0301')",
                  "'never run'",
                  parameters="n = 1")
    work = tmp_path / "work"
    results = supervise([task(work, "fast", nb, engine="fast", parameters={"n": 2}),
                         task(work, "kernel", nb, engine="kernel", parameters={"n": 2})],
                        jobs=2, timeout=300, launcher=launcher)
    assert results["fast"].status == results["kernel"].status == "failed"
    assert results["fast"].error == results["kernel"].error == "cell 8: KeyError: '0301'"  # 8: papermill's injected cell
    fast, kernel = _outputs(work / "executed" / "fast.ipynb"), _outputs(work / "executed" / "kernel.ipynb")
    assert fast == kernel


@pytest.mark.slow
def test_the_papermill_engine_is_registered(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "p.ipynb", "y = n * 2\ny", parameters="n = 1")
    code = (
        "import papermill as pm, evalkit.batch.engine\n"
        f"nb = pm.execute_notebook({str(nb)!r}, None, parameters={{'n': 21}}, engine_name='evalkit', progress_bar=False)\n"
        "print(nb.cells[-1].outputs[0]['data']['text/plain'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip().endswith("42")


def test_fork_server_warm_up_leaves_polars_pool_unstarted_and_the_bundle_intact(tmp_path: Path) -> None:
    """The fork server may not start polars' thread pool (a fork after it can deadlock),
    and the chart library it hands the exporter is vl-convert's, byte for byte."""
    code = (
        "import os, sys\n"
        "os.environ['EVALKIT_BATCH_FORK_SERVER'] = '1'\n"
        f"os.environ['EVALKIT_BATCH_BUNDLE_CACHE'] = {str(tmp_path / 'bundle.js')!r}\n"
        "import evalkit.batch._preload as warm\n"
        "assert not warm.polars_pool_started(), 'polars pool started'\n"
        "from evalkit import render\n"
        "text = render.chart_bundle()\n"
        "assert getattr(render.chart_bundle, 'cache_info', None) is None, 'bundle not installed'\n"
        "import importlib; importlib.reload(render)\n"
        "assert render.chart_bundle() == text, 'bundle differs'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "ok", done.stderr
    assert "warm-up step" not in done.stderr, done.stderr


@pytest.mark.slow
def test_fork_server_learns_the_chart_templates_from_one_unit(tmp_path: Path) -> None:
    """With a warm-up unit, the server builds the chart templates every unit needs
    (without starting polars' thread pool), so that forked units inherit them."""
    from evalkit.batch.config import load_batch_file
    from evalkit.batch.prepared import ensure_store

    plan = load_batch_file(Path(__file__).resolve().parents[1] / "params" / "sample_batch.yml")
    store = ensure_store(plan, tmp_path / "work")
    section, unit = next((s, u) for s, u in plan.units() if u.unit_id == "0301")
    warm = task(tmp_path, "warm", section.notebook, parameters=section.unit_parameters(unit, str(store.folder)))
    (tmp_path / "warmup").mkdir()
    (tmp_path / "warmup" / "task.json").write_text(warm.to_json(), encoding="utf-8")
    code = (
        "import os\n"
        "os.environ['EVALKIT_BATCH_FORK_SERVER'] = '1'\n"
        f"os.environ['EVALKIT_BATCH_BUNDLE_CACHE'] = {str(tmp_path / 'bundle.js')!r}\n"
        f"os.environ['EVALKIT_BATCH_WARMUP_TASK'] = {str(tmp_path / 'warmup' / 'task.json')!r}\n"
        "import evalkit.batch._preload as warm\n"
        "from evalkit.charts import survey\n"
        "assert not warm.UNSAFE and not warm.polars_pool_started()\n"
        "print(survey._likert_template.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 3, done.stdout  # the warm-up charts plus the unit's
    assert not (tmp_path / "staging").exists()  # the warm-up unit's outputs are thrown away
