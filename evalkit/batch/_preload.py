"""Warm-up of the batch's fork server (imported there once, before any unit is forked).

The fork server imports everything a unit needs and fills the caches that do not
involve polars: the instrument, the reader-facing strings, Altair's schema validators,
the page exporter's templates, an IPython shell and the Vega bundle. Each unit's
process is then forked from this warm state: no imports, no kernel, isolated from
every other unit because it is a fresh process that exits when its page is staged.

Chart templates: evalkit's chart builders cache the Altair part of each chart per
settings (titles, labels, language), which are the same for every unit of a batch. When
the supervisor names a warm-up unit (``EVALKIT_BATCH_WARMUP_TASK``, for batches of
many units), a forked helper renders it inside
:func:`evalkit.charts.templates.recording`, which records every template call; the
server then builds those templates itself with :func:`evalkit.charts.templates.warm_up`
(plain Python and Altair, no polars), so every unit's process inherits them instead of
building them again (about half a unit's work).

What the server must never do: start polars' thread pool (a fork after that can
deadlock; it starts on the first parallel polars operation, so the warm-up builds
charts from plain rows) or call vl-convert (its runtime threads do not survive a
fork). The Vega bundle is therefore made by a forked helper, once, and cached in a
file (``EVALKIT_BATCH_BUNDLE_CACHE``); the server reads it.

Importing this module must never raise: multiprocessing's fork server would die. It
warms up only where ``EVALKIT_BATCH_FORK_SERVER=1`` (set by the pool for its server).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.batch.worker import BUNDLE_CACHE_ENV, FORK_SERVER_ENV, STORE_READY_ENV, WARMUP_TASK_ENV

if TYPE_CHECKING:
    from evalkit.charts.templates import TemplateCall

WARMUP_SECONDS = 120.0

UNSAFE = False
"""True when the warm-up started polars' thread pool here after all: every unit then
runs in a fresh interpreter instead (see :func:`evalkit.batch.worker.child_main`)."""


def polars_pool_started() -> bool:
    """True when polars' worker threads exist in this process (Linux; else False)."""
    try:
        names = [(task / "comm").read_text().strip() for task in Path("/proc/self/task").iterdir()]
    except OSError:
        return False
    return any(n.startswith("polars-") and n[len("polars-"):].isdigit() for n in names)


def _bundle_from_helper() -> str | None:
    """Make the Vega bundle in a forked helper (vl-convert's threads stay there)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # helper
        code = 0
        try:
            os.close(read_end)
            from evalkit.render import chart_bundle

            data = chart_bundle().encode("utf-8")
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    return data.decode("utf-8")


def _install_bundle() -> None:
    from evalkit import cachedir, render

    location = os.environ.get(BUNDLE_CACHE_ENV)
    if not location:
        return
    cache = Path(location)
    text = cachedir.read_cached_bundle(cache)
    if text is None:
        text = _bundle_from_helper()
        if text:
            cachedir.write_cached_bundle(cache, text)
    if text:
        # evalkit.render.chart_bundle is a cached call into vl-convert; hand the page
        # exporter the same text without starting vl-convert here.
        render.chart_bundle = lambda: text  # type: ignore[assignment]


def _charts() -> None:
    """Altair's classes and schema machinery, through evalkit's builders, from plain rows."""
    from evalkit.charts import survey

    rows = [{"item": "a", "order": 0, "level": i, "share": 0.2, "n": 10, "suppressed": False} for i in range(5)]
    survey.likert_bars(rows, level_labels=list("abcde"), neutral_index=2, title="t", n_label="n",
                       language="nb", hidden_texts={})
    estimates = [{"category": "a", "order": 0, "estimate": 50.0, "ci_low": 40.0, "ci_high": 60.0, "n": 10,
                  "suppressed": False}]
    survey.estimates_with_intervals(estimates, category_title="c", value_title="v", domain=(0, 100),
                                    percent=False, title="t")
    survey.differences(estimates, value_title="v", percent=False, title="t", limit=40)


def _exporter() -> None:
    import nbformat

    from evalkit import render

    if getattr(render.chart_bundle, "cache_info", None) is None:  # our bundle: safe to export
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell("1"))
        render.export_html(nb)


def _imports() -> None:
    import altair  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    import polars  # noqa: F401

    import evalkit.batch.engine
    import evalkit.batch.worker
    import evalkit.report
    import evalkit.store  # noqa: F401


def _texts() -> None:
    from evalkit.i18n import text
    from evalkit.instrument import load_instrument

    load_instrument()
    text("intro", "nb")


def _shell() -> None:
    from evalkit.batch.engine import notebook_shell

    notebook_shell()


def _record_template_calls(task_file: Path) -> list[TemplateCall]:
    """Render the warm-up unit in a forked helper; return its chart templates' calls."""
    from dataclasses import replace

    from evalkit.batch.worker import UnitTask, run_task
    from evalkit.charts import templates

    task = UnitTask.from_json(task_file.read_text(encoding="utf-8"))
    scratch = task_file.parent
    task = replace(task, executed=str(scratch / "warmup.ipynb"), staged=str(scratch / "warmup.html"),
                   result=str(scratch / "warmup.json"))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # helper: polars may start here, it never forks again
        code = 0
        try:
            os.close(read_end)
            with templates.recording() as calls:
                run_task(task)
            keep = []
            for call in calls:
                try:
                    pickle.dumps(call)
                    keep.append(call)
                except Exception:
                    continue
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(keep, pipe)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    data = b""
    deadline = time.monotonic() + WARMUP_SECONDS
    with os.fdopen(read_end, "rb") as source:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([source], [], [], 1.0)
            if ready:
                chunk = os.read(source.fileno(), 1 << 20)
                if not chunk:
                    break
                data += chunk
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    if not data:
        return []
    calls_back: list[TemplateCall] = pickle.loads(data)
    return calls_back


def _svg_server() -> None:
    from evalkit.batch import svgserver

    svgserver.start()


def _wait_for_store() -> bool:
    """A server started while the store is built waits for it (False: it never came,
    or the batch that started this server is gone)."""
    location = os.environ.get(STORE_READY_ENV)
    if not location:
        return True
    parent = os.getppid()
    deadline = time.monotonic() + WARMUP_SECONDS
    while time.monotonic() < deadline and os.getppid() == parent:
        if Path(location).is_file():
            return True
        time.sleep(0.05)
    return False


def _templates() -> None:
    global UNSAFE
    location = os.environ.get(WARMUP_TASK_ENV)
    if not location or not Path(location).is_file() or not _wait_for_store():
        return
    from evalkit.charts import templates

    templates.warm_up(_record_template_calls(Path(location)))
    UNSAFE = polars_pool_started()


def _warm() -> None:
    # Each step on its own: a step that fails (say, a builder whose signature changed)
    # leaves the server a little colder, never broken.
    for step in (_svg_server, _imports, _texts, _charts, _install_bundle, _exporter, _shell, _templates):
        try:
            step()
        except Exception as exc:
            print(f"evalkit batch: fork server warm-up step {step.__name__} failed: {type(exc).__name__}: {exc}",
                  file=sys.stderr)


if os.environ.get(FORK_SERVER_ENV) == "1":
    # Ctrl-C belongs to the batch's own process, which kills the units it started and says
    # "interrupted" once. The fork server ignores SIGINT only after its warm-up, so ignore
    # it from here: the warm-up and every unit forked from this server (they inherit it)
    # then never print a traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm()  # only in the fork server (not when a test run imports every module for doctests)
if polars_pool_started():  # pragma: no cover - a bug in the warm-up above
    UNSAFE = True
    print("evalkit batch: warning: polars' thread pool started in the fork server; "
          "units run in fresh interpreters instead", file=sys.stderr)
