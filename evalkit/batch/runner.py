"""A batch from start to end: check, prepare, render, audit, publish.

1. The batch file is checked as a whole (:mod:`evalkit.batch.config`); nothing runs
   when anything is wrong.
2. The prepared store is built in the work folder, unless it is up to date
   (:mod:`evalkit.batch.prepared`).
3. Each unit's input hash decides whether it is rendered: not when its page is in the
   published folder with the same hash (or staged from an interrupted run); always
   with ``force``.
4. The units are rendered, one process each (:mod:`evalkit.batch.pool`, or Dask:
   :mod:`evalkit.batch.dask_executor`), into the work folder's staging area.
5. All staged pages and the index are audited together (:mod:`evalkit.audit`);
   a failing page is kept aside in ``WORK/rejected`` with the audit's report.
6. Passing pages are published — copied to a temporary name inside ``--out`` and
   renamed — then ``index.html`` and, last, ``manifest.json``.

``--out`` only ever receives complete dashboards, ``index.html`` and ``manifest.json``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from evalkit import __version__
from evalkit.atomic import write_atomic
from evalkit.batch.config import load_batch_file_cached
from evalkit.batch.index import INDEX_FILE, IndexEntry, build_index, index_key_of
from evalkit.batch.manifest import (
    MANIFEST_FILE,
    Manifest,
    UnitEntry,
    read_manifest,
    relative_notebook,
)
from evalkit.batch.model import BatchPlan, Section, Unit
from evalkit.batch.prepared import (
    STORE_DIR,
    StoreState,
    ensure_store,
    file_hash,
    manifest_parameters,
    reference_hash,
    store_is_current,
    store_settings,
    template_hash,
    unit_input_hash,
)
from evalkit.batch.worker import STORE_READY_ENV, Engine, UnitOutcome, UnitTask
from evalkit.errors import ExitCode, InputError, JobFailed

Executor = Literal["local", "dask"]

DEFAULT_TIMEOUT: Final = 600.0
DEFAULT_RETRIES: Final = 2
WARMUP_MIN_UNITS: Final = 8

Echo = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_work_folder(out: Path) -> Path:
    """A cache folder outside ``out``, one per published folder."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return base / "evalkit" / "batch" / f"{out.resolve().name or 'out'}-{tag}"


@dataclass
class WorkFolders:
    root: Path

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def executed(self) -> Path:
        return self.root / "executed"

    @property
    def rejected(self) -> Path:
        return self.root / "rejected"

    @property
    def tasks(self) -> Path:
        return self.root / "tasks"

    @property
    def bundle_cache(self) -> Path:
        """The chart library's cache: the machine's (kept across work folders)."""
        from evalkit.cachedir import bundle_cache_file

        return bundle_cache_file()

    def make(self) -> None:
        for folder in (self.staging, self.results, self.executed, self.rejected, self.tasks):
            folder.mkdir(parents=True, exist_ok=True)

    def clean_temporary(self) -> None:
        """Temporary files left by a process that was killed mid-write."""
        for folder in (self.staging, self.results, self.executed):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


@dataclass
class Planned:
    section: Section
    unit: Unit
    input_hash: str
    inputs: dict[str, str]
    action: Literal["render", "unchanged", "staged"]
    previous: UnitEntry | None


@dataclass
class BatchResult:
    """What a batch did (the summary is printed from it)."""

    units: int
    rendered: int
    unchanged: int
    reused_staged: int
    failed: list[tuple[str, str]]
    rejected: list[tuple[str, str]]
    store_built: bool
    store_seconds: float
    seconds: float
    published: int
    out: Path
    work: Path
    notes: list[str] = field(default_factory=list)
    index_updated: bool = False
    withdrawn: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return int(ExitCode.FAILED if self.failed or self.rejected else ExitCode.OK)


@contextlib.contextmanager
def _locked(work: Path) -> Iterator[None]:
    """One batch at a time per work folder."""
    work.mkdir(parents=True, exist_ok=True)
    lock_path = work / ".lock"
    handle = lock_path.open("a+")
    try:
        try:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        except OSError:
            raise InputError(f"another batch is running with the work folder {work}") from None
        yield
    finally:
        handle.close()


def _check_folders(out: Path, work: Path) -> None:
    if work == out or out in work.parents:
        raise InputError(
            f"the work folder {work} is inside the published folder {out}: executed notebooks and the "
            "prepared store must never be published; choose --work outside --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".evalkit-write-test.{os.getpid()}.tmp"
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write to the output folder {out}: {exc.strerror or exc}") from None


def _plan_units(plan: BatchPlan, store: StoreState, previous: Manifest | None, out: Path,
                folders: WorkFolders, force: bool) -> list[Planned]:
    reference = reference_hash(plan.data_dir)
    notebook_hashes = {s.notebook: file_hash(s.notebook) for s in plan.sections}
    base = plan.path.parent
    earlier = previous.by_unit() if previous else {}
    planned = []
    for section, unit in plan.units():
        digest = store.digests[unit.key]
        params_hash = hashlib.sha256(repr(sorted(manifest_parameters(section, unit, base).items())).encode()).hexdigest()
        inputs = {"slice": digest, "reference": reference, "parameters": params_hash}
        input_hash = unit_input_hash(section, unit, slice_digest=digest, reference=reference,
                                     notebook_hash=notebook_hashes[section.notebook], base=base)
        before = earlier.get(unit.key)
        action: Literal["render", "unchanged", "staged"] = "render"
        if not force:
            if (before is not None and before.status == "ok" and before.input_hash == input_hash
                    and before.page and (out / before.page).is_file()):
                action = "unchanged"
            elif _staged_ok(folders, unit, input_hash):
                action = "staged"
        planned.append(Planned(section, unit, input_hash, inputs, action, before))
    return planned


def _result_path(folders: WorkFolders, unit: Unit) -> Path:
    return folders.results / f"{unit.page}.json"


def _staged_ok(folders: WorkFolders, unit: Unit, input_hash: str) -> bool:
    try:
        outcome = UnitOutcome.from_json(_result_path(folders, unit).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False
    return outcome.status == "ok" and outcome.input_hash == input_hash and (folders.staging / unit.page).is_file()


def _task(p: Planned, folders: WorkFolders, store: StoreState, engine: Engine, cell_timeout: float | None) -> UnitTask:
    return UnitTask(
        key=p.unit.key,
        notebook=str(p.section.notebook),
        parameters=p.section.unit_parameters(p.unit, str(store.folder)),
        executed=str(folders.executed / f"{Path(p.unit.page).stem}.ipynb"),
        staged=str(folders.staging / p.unit.page),
        result=str(_result_path(folders, p.unit)),
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
        result=str(_result_path(folders, unit)), input_hash="warm-up", engine=engine,
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


AuditFindings = dict[Path, str]
"""Audited file → the audit's report for it (only failing files)."""


def audit_set(paths: Sequence[Path], plan: BatchPlan, folders: WorkFolders, jobs: int,
              notes: list[str]) -> AuditFindings:
    """Audit a batch's whole set of pages (each page and across pages), with the audit's cache.

    Returns the failing files with the lines of the report that concern them.
    """
    if not paths:
        return {}
    try:
        from evalkit.audit import audit_cached
    except ImportError:
        notes.append("the disclosure audit (evalkit.audit) is not installed: pages were published unaudited")
        return {}
    # The audit's cache knows pages by path and content. Audit them under stable names
    # (links in one folder) so that a page keeps its verdict when it moves from the
    # staging area to --out: a re-run with nothing changed gets the verdict at once.
    view = folders.root / "audit-view"
    view.mkdir(parents=True, exist_ok=True)
    for old in view.iterdir():
        old.unlink()
    linked: dict[Path, Path] = {}
    for path in paths:
        link = view / path.name
        link.symlink_to(path.resolve())
        linked[link] = path
    report = audit_cached(
        list(linked),
        folders.root / "audit-cache",
        data_dir=plan.data_dir,
        min_unit_n=plan.settings.get("min_unit_n"),
        min_cell_n=plan.settings.get("min_cell_n"),
        workers=jobs if len(paths) > 64 else 1,
    )
    failing = {Path(f).name for f in report.failing_files()}
    if not failing:
        return {}
    text = report.text()
    for link, path in linked.items():
        text = text.replace(str(link), str(path))
    lines = text.splitlines()
    out: AuditFindings = {}
    for path in paths:
        if path.name in failing:
            own = [line for line in lines if str(path) in line]
            out[path] = "\n".join(own) if own else text
    return out


def _copy_into(src: Path, target: Path) -> None:
    """Copy ``src`` to a temporary name beside ``target`` and rename it into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(src, tmp)
        tmp.replace(target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _publish_error(exc: OSError, out: Path, done: int, folders: WorkFolders) -> JobFailed:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    return JobFailed(
        f"could not write to the output folder {out}: {reason}. {done} page(s) were published before the "
        f"error; every earlier file in {out} is intact. The rendered pages are kept in {folders.staging}: "
        "run the batch again when there is room, and they are published without rendering again."
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


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
) -> BatchResult:
    """Run a checked batch; see the module docstring. Raises :class:`InputError` for bad
    folders and :class:`JobFailed` when the output folder cannot be written."""
    start = time.perf_counter()
    out = Path(out).resolve()
    work = Path(work).resolve() if work is not None else default_work_folder(out)
    jobs = jobs or os.cpu_count() or 1
    _check_folders(out, work)
    folders = WorkFolders(work)
    notes: list[str] = []
    with _locked(work):
        folders.make()
        folders.clean_temporary()
        launcher = _early_launcher(plan, folders, engine, executor)
        try:
            store = ensure_store(plan, work)
        finally:
            if launcher is not None:
                _store_ready(folders)
        previous = read_manifest(out)
        planned = _plan_units(plan, store, previous, out, folders, force)
        to_render = [p for p in planned if p.action == "render"]
        tasks = [_task(p, folders, store, engine, cell_timeout=None) for p in to_render]
        outcomes = _render(tasks, executor=executor, scheduler=scheduler, jobs=jobs, timeout=timeout,
                           retries=retries, progress=progress, folders=folders, launcher=launcher)
        for p in planned:
            if p.action == "staged":
                outcomes[p.unit.key] = UnitOutcome.from_json(_result_path(folders, p.unit).read_text(encoding="utf-8"))

        # Audit the whole set as it would be published (new pages from staging, the
        # others from --out, and the index), keep failing pages aside, publish the rest.
        ok_units = {k for k, o in outcomes.items() if o.status == "ok"}
        rejected: list[tuple[str, str]] = []
        rejected_keys: set[str] = set()
        staged_index = folders.staging / INDEX_FILE
        published_index = out / INDEX_FILE
        for _round in range(3):
            passing = ok_units - rejected_keys
            rows = _index_plan(planned, out, passing)
            key = _index_key(plan, store, rows)
            index_changed = index_key_of(published_index) != key
            if index_changed:
                staged_index.write_text(_index_html(plan, rows, store, key), encoding="utf-8")
            to_audit = [folders.staging / p.unit.page for p in planned if p.unit.key in passing]
            to_audit += [out / p.unit.page for p in planned
                         if p.action == "unchanged" and (out / p.unit.page).is_file()]
            to_audit.append(staged_index if index_changed else published_index)
            failing = audit_set(to_audit, plan, folders, jobs, notes)
            newly = [p for p in planned if p.unit.key in passing and folders.staging / p.unit.page in failing]
            for p in newly:
                _reject(folders, p.unit.page, failing[folders.staging / p.unit.page])
                rejected.append((p.unit.key, "failed the disclosure audit"))
                rejected_keys.add(p.unit.key)
            if not newly:
                break  # the index lists exactly the pages that passed
        for p in planned:
            if (out / p.unit.page) in failing and p.unit.key not in rejected_keys:
                notes.append(f"the published page {p.unit.page} is involved in an audit finding: "
                             + failing[out / p.unit.page].replace("\n", " | ")[:300])
                rejected.append((p.unit.key, "its published page is involved in an audit finding"))
                rejected_keys.add(p.unit.key)
        index_ok = staged_index not in failing and published_index not in failing
        if index_changed and not index_ok:
            _reject(folders, INDEX_FILE, failing[staged_index])
            rejected.append(("index", "failed the disclosure audit"))

        # Publish: pages, then the index, then the manifest (the batch's memory).
        published = 0
        try:
            for p in planned:
                if p.unit.key in ok_units and p.unit.key not in rejected_keys:
                    _copy_into(folders.staging / p.unit.page, out / p.unit.page)
                    published += 1
            if index_changed and index_ok:
                _copy_into(staged_index, published_index)
            # Pages this folder published for units that are no longer in the batch go,
            # before the manifest forgets them (an interrupted run removes them next time).
            withdrawn = _withdrawn_pages(previous, planned, out)
            for page in withdrawn:
                (out / page).unlink(missing_ok=True)
            entries = _entries(planned, outcomes, rejected_keys, out, plan)
            manifest = Manifest(
                settings=_settings(plan, store, out),
                units=entries,
                summary={
                    "units": len(planned),
                    "ok": sum(e.status == "ok" for e in entries),
                    "failed": sum(e.status == "failed" for e in entries),
                    "rejected": sum(e.status == "rejected" for e in entries),
                },
                generator={"evalkit": __version__, "batch_file": plan.path.name},
            )
            if previous is None or _comparable(previous) != _comparable(manifest):
                manifest.generator["finished_at"] = _now()
                write_atomic(out / MANIFEST_FILE, manifest.to_json())
        except OSError as exc:
            raise _publish_error(exc, out, published, folders) from None

        # Published (or up to date already): the staged copies are no longer needed.
        for p in planned:
            if p.action == "unchanged" or (p.unit.key in ok_units and p.unit.key not in rejected_keys):
                (folders.staging / p.unit.page).unlink(missing_ok=True)
                _result_path(folders, p.unit).unlink(missing_ok=True)
        staged_index.unlink(missing_ok=True)

    failed = [(k, o.error or "failed") for k, o in outcomes.items() if o.status == "failed"]
    result = BatchResult(
        units=len(planned), rendered=len(to_render),
        unchanged=sum(p.action == "unchanged" for p in planned),
        reused_staged=sum(p.action == "staged" for p in planned),
        failed=failed, rejected=rejected, store_built=store.built, store_seconds=store.seconds,
        seconds=time.perf_counter() - start, published=published, out=out, work=work, notes=notes,
        index_updated=index_changed and index_ok, withdrawn=withdrawn,
    )
    echo(summary_text(result, engine=engine, jobs=jobs, executor=executor))
    return result


def _withdrawn_pages(previous: Manifest | None, planned: Sequence[Planned], out: Path) -> list[str]:
    """Pages the previous manifest lists for units that are not in this batch.

    Only names the batch itself writes (a plain ``*.html`` file name, never the index)
    are considered: a file the manifest does not list, or one outside ``--out``, is
    never touched.
    """
    if previous is None:
        return []
    current = {p.unit.key for p in planned} | {p.unit.page for p in planned}
    gone = []
    for entry in previous.units:
        page = entry.page
        if (not page or entry.unit in current or page in current or page == INDEX_FILE
                or Path(page).name != page or not page.endswith(".html")):
            continue
        if (out / page).is_file():
            gone.append(page)
    return sorted(gone)


def _comparable(manifest: Manifest) -> str:
    """A manifest without its time stamp: is there anything new to write?"""
    generator = {k: v for k, v in manifest.generator.items() if k != "finished_at"}
    return json.dumps([manifest.settings, [asdict(u) for u in manifest.units], generator], sort_keys=True, default=str)


def _index_plan(planned: Sequence[Planned], out: Path, passing: set[str]) -> list[tuple[Unit, str | None, bool]]:
    """Per unit: its page on the index (None: no page) and whether that page is outdated."""
    rows: list[tuple[Unit, str | None, bool]] = []
    for p in planned:
        fresh = p.unit.key in passing or p.action == "unchanged"
        page = p.unit.page if fresh or (out / p.unit.page).is_file() else None
        rows.append((p.unit, page, page is not None and not fresh))
    return rows


def _index_key(plan: BatchPlan, store: StoreState, rows: Sequence[tuple[Unit, str | None, bool]]) -> str:
    """Everything the index page is made from."""
    return hashlib.sha256(json.dumps({
        "store": store.input_hash,
        "rows": [[u.key, u.name, list(u.networks), page, outdated] for u, page, outdated in rows],
        "settings": {k: plan.settings.get(k) for k in ("wave", "language", "min_unit_n", "min_cell_n")},
        "description": plan.description,
        "template": template_hash(),
        "evalkit": __version__,
        "builder": file_hash(Path(__file__).with_name("index.py")),
    }, sort_keys=True, default=str).encode()).hexdigest()


def _index_html(plan: BatchPlan, rows: Sequence[tuple[Unit, str | None, bool]], store: StoreState, key: str) -> str:
    """The index as it will be published: a link for every page that is (or will be) in --out."""
    from evalkit.batch.index import _t
    from evalkit.i18n import check_language

    lang = check_language(str(plan.settings.get("language") or "nb"))
    entries = [IndexEntry(unit, page, _t("failed_kept", lang) if outdated else None) for unit, page, outdated in rows]
    return build_index(
        entries, store=store.folder, wave=str(plan.settings["wave"]), language=lang,
        min_unit_n=int(plan.settings.get("min_unit_n", 10)), min_cell_n=int(plan.settings.get("min_cell_n", 5)),
        network_names=_network_names(plan), description=plan.description, key=key,
    )


def _network_names(plan: BatchPlan) -> dict[str, str]:
    from evalkit.batch.reference import read_reference

    return dict(read_reference(plan.data_dir).networks)


def _reject(folders: WorkFolders, name: str, report: str) -> None:
    folders.rejected.mkdir(parents=True, exist_ok=True)
    (folders.staging / name).replace(folders.rejected / name)
    (folders.rejected / f"{name}.audit.txt").write_text(report + "\n", encoding="utf-8")


def _settings(plan: BatchPlan, store: StoreState, out: Path) -> dict[str, Any]:
    built = store_settings(store.folder)
    s = plan.settings
    return {
        "wave": s.get("wave"),
        "compare_wave": s.get("compare_wave"),
        "min_unit_n": s.get("min_unit_n"),
        "min_cell_n": s.get("min_cell_n"),
        "language": s.get("language"),
        "data_dir": Path(os.path.relpath(plan.data_dir, out)).as_posix(),
        "instrument": built.get("instrument"),
        "instrument_hash": built.get("instrument_hash"),
        "published_units": "all",
        "prepared_store_hash": store.input_hash,
        "template_hash": template_hash(),
        "evalkit_version": __version__,
    }


def _entries(planned: Sequence[Planned], outcomes: dict[str, UnitOutcome], rejected: set[str], out: Path,
             plan: BatchPlan) -> list[UnitEntry]:
    entries = []
    for p in planned:
        if p.action == "unchanged" and p.previous is not None:
            entries.append(p.previous)
            continue
        outcome = outcomes.get(p.unit.key)
        existing = p.unit.page if (out / p.unit.page).is_file() else None
        status: str
        error: str | None
        if outcome is None:
            status, error, seconds, attempts = "failed", "not run (interrupted)", 0.0, 0
        elif p.unit.key in rejected:
            status, error, seconds, attempts = "rejected", "the page failed the disclosure audit (kept in the work folder)", outcome.seconds, outcome.attempts
        else:
            status, error, seconds, attempts = outcome.status, outcome.error, outcome.seconds, outcome.attempts
        entries.append(UnitEntry(
            unit=p.unit.key, level=p.unit.level, id=p.unit.unit_id, name=p.unit.name,
            networks=list(p.unit.networks), page=p.unit.page if status == "ok" else existing,
            notebook=relative_notebook(p.section.notebook, out), notebook_hash=file_hash(p.section.notebook),
            template_hash=template_hash(), evalkit_version=__version__,
            parameters=manifest_parameters(p.section, p.unit, out), input_hash=p.input_hash, inputs=p.inputs,
            status=status, duration_s=round(seconds, 3), rendered_at=_now() if status == "ok" else None,  # type: ignore[arg-type]
            error=error, attempts=attempts,
        ))
    return entries


def summary_text(result: BatchResult, *, engine: str, jobs: int, executor: str) -> str:
    """The lines printed at the end of a batch."""
    lines = []
    head = f"evalkit batch: {result.units} unit(s)"
    if (result.rendered == 0 and not result.store_built and not result.failed and not result.rejected
            and not result.reused_staged and not result.index_updated and not result.withdrawn):
        lines.append(f"{head}: nothing changed — the prepared store and all {result.unchanged} page(s) are up to date; "
                     "nothing prepared, nothing rendered")
    else:
        parts = [f"{result.rendered} rendered", f"{result.unchanged} unchanged"]
        if result.reused_staged:
            parts.append(f"{result.reused_staged} finished earlier")
        parts.append(f"{len(result.failed)} failed")
        if result.rejected:
            parts.append(f"{len(result.rejected)} rejected by the audit")
        lines.append(f"{head}: {', '.join(parts)} [engine {engine}, executor {executor}, {jobs} job(s)]")
        store = (f"rebuilt in {result.store_seconds:.1f} s" if result.store_built else "up to date")
        lines.append(f"  prepared store: {store}")
    per_page = f" ({result.seconds / result.rendered:.2f} s per rendered page)" if result.rendered else ""
    index = ", index.html updated" if result.index_updated else ""
    lines.append(f"  {result.published} page(s) published to {result.out}{index} in {result.seconds:.1f} s{per_page}")
    lines.append(f"  work folder: {result.work}")
    if result.withdrawn:
        lines.append(f"  {len(result.withdrawn)} page(s) of units no longer in the batch removed from {result.out}: "
                     + ", ".join(result.withdrawn[:10]) + (" …" if len(result.withdrawn) > 10 else ""))
    for key, error in result.failed:
        lines.append(f"  FAILED {key}: {error}")
    for key, why in result.rejected:
        lines.append(f"  REJECTED {key}: {why} (see {result.work / 'rejected'})")
    for note in result.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


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
        _check_folders(out_path, work_path)  # refuses before anything is written
    plan = load_batch_file_cached(path, overrides, cache=work_path / "checked-batch.json")
    result = run_batch(plan, out=out_path, work=work_path, jobs=jobs, engine=engine,
                       executor=executor, scheduler=scheduler, force=force, timeout=timeout, retries=retries,
                       progress=progress, echo=echo)
    return result.exit_code


__all__ = ["BatchResult", "default_work_folder", "run_batch", "run_batch_file", "summary_text"]
