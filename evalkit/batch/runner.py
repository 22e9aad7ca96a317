"""A batch from start to end: check, prepare, render, audit, publish.

1. The batch file is checked as a whole (:mod:`evalkit.batch.config`); nothing runs
   when anything is wrong.
2. The prepared store is built in the work folder, unless it is up to date
   (:mod:`evalkit.batch.prepared`).
3. Each unit's input hash decides whether it is rendered: not when its page is in the
   published folder with the same hash (or staged from an interrupted run); always
   with ``force`` (:mod:`evalkit.batch.incremental`).
4. The units are rendered, one process each (:mod:`evalkit.batch.pool`, or Dask:
   :mod:`evalkit.batch.dask_executor`), into the work folder's staging area.
5. All staged pages and the index are audited together (:mod:`evalkit.audit`);
   a failing page is kept aside in ``WORK/rejected`` with the audit's report.
6. Passing pages are published — copied to a temporary name inside ``--out`` and
   renamed — then ``index.html`` and, last, ``manifest.json``
   (:mod:`evalkit.batch.publish`; the work folder: :mod:`evalkit.batch.folders`).

``--out`` only ever receives complete dashboards, ``index.html`` and ``manifest.json``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from evalkit.batch.config import load_batch_file_cached
from evalkit.batch.folders import WorkFolders, check_folders, default_work_folder, locked
from evalkit.batch.incremental import Planned, plan_units
from evalkit.batch.manifest import read_manifest
from evalkit.batch.model import BatchPlan
from evalkit.batch.prepared import STORE_DIR, StoreState, ensure_store, store_is_current
from evalkit.batch.publish import audit_for_publishing, publish
from evalkit.batch.summary import BatchResult, summary_text
from evalkit.batch.worker import STORE_READY_ENV, Engine, UnitOutcome, UnitTask
from evalkit.errors import InputError, JobFailed

Executor = Literal["local", "dask"]


DEFAULT_TIMEOUT: Final = 600.0

DEFAULT_RETRIES: Final = 2

WARMUP_MIN_UNITS: Final = 8


Echo = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _task(p: Planned, folders: WorkFolders, store: StoreState, engine: Engine, cell_timeout: float | None) -> UnitTask:
    return UnitTask(
        key=p.unit.key,
        notebook=str(p.section.notebook),
        parameters=p.section.unit_parameters(p.unit, str(store.folder)),
        executed=str(folders.executed / f"{Path(p.unit.page).stem}.ipynb"),
        staged=str(folders.staging / p.unit.page),
        result=str(folders.result_of(p.unit)),
        input_hash=p.input_hash,
        engine=engine,
        cell_timeout=cell_timeout,
    )


def _warmup_file(folders: WorkFolders) -> Path:
    return folders.root / "warmup" / "task.json"


def _ready_file(folders: WorkFolders) -> Path:
    return folders.root / "warmup" / "store-ready"


def _early_launcher(plan: BatchPlan, folders: WorkFolders, engine: Engine, executor: Executor) -> Any:
    """Start the fork server now, while the prepared store is built, when the store is
    stale and the batch is large enough for a warm-up (a store that is up to date means
    a re-run that may render nothing: no server is started for it).

    The server imports and warms up in parallel with the store build; its last step,
    learning the chart templates from a warm-up unit, waits for the store
    (``STORE_READY_ENV``). Returns the launcher, or None (the units then get one later).
    """
    units = list(plan.units())
    if engine != "fast" or executor != "local" or len(units) < WARMUP_MIN_UNITS or store_is_current(plan, folders.root):
        return None
    from evalkit.batch.pool import Launcher

    section, unit = units[0]
    warmup = UnitTask(
        key=unit.key, notebook=str(section.notebook),
        parameters=section.unit_parameters(unit, str(folders.root / STORE_DIR)),
        executed=str(folders.executed / f"{Path(unit.page).stem}.ipynb"), staged=str(folders.staging / unit.page),
        result=str(folders.result_of(unit)), input_hash="warm-up", engine=engine,
    )
    ready = _ready_file(folders)
    ready.unlink(missing_ok=True)
    os.environ[STORE_READY_ENV] = str(ready)
    launcher = Launcher("forkserver", bundle_cache=folders.bundle_cache, warmup=warmup,
                        warmup_file=_warmup_file(folders))
    launcher.prestart()
    del os.environ[STORE_READY_ENV]  # the server has its copy; later servers of this process must not wait
    return launcher


def _store_ready(folders: WorkFolders) -> None:
    """Tell the fork server started by :func:`_early_launcher` that the store is there."""
    ready = _ready_file(folders)
    ready.parent.mkdir(parents=True, exist_ok=True)
    ready.write_text("ready\n", encoding="utf-8")


def _render(tasks: Sequence[UnitTask], *, executor: Executor, scheduler: str | None, jobs: int,
            timeout: float | None, retries: int, progress: bool | None, folders: WorkFolders,
            launcher: Any = None) -> dict[str, UnitOutcome]:
    if not tasks:
        return {}
    if executor == "dask":
        from evalkit.batch.dask_executor import run_on_dask

        return run_on_dask(tasks, scheduler=scheduler, jobs=jobs, timeout=timeout, retries=retries,
                           progress=progress, task_dir=folders.tasks)
    from evalkit.batch.pool import Launcher, progress_bar, supervise

    if launcher is None:
        # Many units: the fork server first renders one of them (outputs thrown away) to
        # learn the chart templates every unit needs, and builds them once for all.
        many = len(tasks) >= WARMUP_MIN_UNITS and tasks[0].engine == "fast"  # a kernel builds charts elsewhere
        launcher = Launcher("forkserver", bundle_cache=folders.bundle_cache,
                            warmup=tasks[0] if many else None, warmup_file=_warmup_file(folders))
    with progress_bar(len(tasks), progress) as bar:
        return supervise(tasks, jobs=jobs, timeout=timeout, retries=retries, launcher=launcher,
                         task_dir=folders.tasks, progress=bar)


@contextlib.contextmanager
def _work_folder_errors(work: Path) -> Iterator[None]:
    """A write that fails in the work folder (a full disk, a folder made read-only while
    the batch ran) ends the batch with one line naming the folder: exit 1. (Publishing
    says which pages made it before such an error: see :mod:`evalkit.batch.publish`.)"""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) or (exc.filename and work not in Path(exc.filename).parents):
            raise
        where = exc.filename or work
        raise JobFailed(f"cannot write to the work folder ({where}): {exc.strerror or exc}") from exc


def run_batch(
    plan: BatchPlan,
    *,
    out: Path,
    work: Path | None = None,
    jobs: int | None = None,
    engine: Engine = "fast",
    executor: Executor = "local",
    scheduler: str | None = None,
    force: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    progress: bool | None = None,
    echo: Echo = _stderr,
    strict_attack: bool = False,
) -> BatchResult:
    """Run a checked batch; see the module docstring. Raises :class:`InputError` for bad
    folders and :class:`JobFailed` when the output folder cannot be written."""
    start = time.perf_counter()
    out = Path(out).resolve()
    work = Path(work).resolve() if work is not None else default_work_folder(out)
    jobs = jobs or os.cpu_count() or 1
    check_folders(out, work, (plan.data_dir,))
    folders = WorkFolders(work)
    notes: list[str] = []
    with locked(work), _work_folder_errors(work):
        folders.make()
        folders.clean_temporary()
        launcher = _early_launcher(plan, folders, engine, executor)
        try:
            store = ensure_store(plan, work)
        finally:
            if launcher is not None:
                _store_ready(folders)
        previous = read_manifest(out)
        planned = plan_units(plan, store, previous, out, folders, force)
        to_render = [p for p in planned if p.action == "render"]
        tasks = [_task(p, folders, store, engine, cell_timeout=None) for p in to_render]
        outcomes = _render(tasks, executor=executor, scheduler=scheduler, jobs=jobs, timeout=timeout,
                           retries=retries, progress=progress, folders=folders, launcher=launcher)
        for p in planned:
            if p.action == "staged":
                outcomes[p.unit.key] = UnitOutcome.from_json(folders.result_of(p.unit).read_text(encoding="utf-8"))

        verdict = audit_for_publishing(plan, store, planned, outcomes, out, folders, jobs, notes,
                                       strict_attack=strict_attack)
        published, withdrawn = publish(plan, store, planned, outcomes, verdict, previous, out, folders)

    failed = [(k, o.error or "failed") for k, o in outcomes.items() if o.status == "failed"]
    result = BatchResult(
        units=len(planned), rendered=len(to_render),
        unchanged=sum(p.action == "unchanged" for p in planned),
        reused_staged=sum(p.action == "staged" for p in planned),
        failed=failed, rejected=verdict.rejected, store_built=store.built, store_seconds=store.seconds,
        store_damage=store.damaged, store_model_seconds=store.model_seconds,
        seconds=time.perf_counter() - start, published=published, out=out, work=work, notes=notes,
        index_updated=verdict.index_changed and verdict.index_ok, withdrawn=withdrawn,
        warnings=verdict.warnings,
    )
    echo(summary_text(result, engine=engine, jobs=jobs, executor=executor))
    return result


def run_batch_file(
    path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    work: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    engine: Engine = "fast",
    executor: Executor = "local",
    scheduler: str | None = None,
    force: bool = False,
    overrides: Sequence[tuple[str, str]] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    progress: bool | None = None,
    echo: Echo = _stderr,
    strict_attack: bool = False,
) -> int:
    """Check and run a ``kind: batch`` file; returns the exit code (0, or 1 when a unit failed).

    Raises :class:`InputError` (exit 2) when the file or the folders are wrong — nothing
    has run then — and :class:`JobFailed` when the output folder cannot be written.
    """
    if engine not in ("fast", "kernel"):
        raise InputError(f"engine must be fast or kernel, got {engine!r}")
    if executor not in ("local", "dask"):
        raise InputError(f"executor must be local or dask, got {executor!r}")
    if scheduler and executor != "dask":
        raise InputError("--scheduler needs --executor dask")
    out_path = Path(out).resolve()
    work_path = Path(work).resolve() if work else default_work_folder(out_path)
    if work_path == out_path or out_path in work_path.parents:
        check_folders(out_path, work_path)  # refuses before anything is written
    plan = load_batch_file_cached(path, overrides, cache=work_path / "checked-batch.json")
    result = run_batch(plan, out=out_path, work=work_path, jobs=jobs, engine=engine,
                       executor=executor, scheduler=scheduler, force=force, timeout=timeout, retries=retries,
                       progress=progress, echo=echo, strict_attack=strict_attack)
    return result.exit_code


__all__ = ["BatchResult", "default_work_folder", "run_batch", "run_batch_file", "summary_text"]
