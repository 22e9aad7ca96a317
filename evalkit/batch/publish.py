"""Audit and publish a batch's pages: only audited pages ever reach ``--out``.

All staged pages, the published pages they sit beside and the index are audited
together (:func:`evalkit.audit.audit_cached`, each page and across pages); a failing page
is kept aside in ``WORK/rejected`` with the audit's report, and the index is rebuilt
until it lists exactly the pages that passed (:func:`audit_for_publishing`). Passing
pages are then copied to a temporary name inside ``--out`` and renamed, then
``index.html`` and, last, ``manifest.json`` (:func:`publish`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalkit import __version__
from evalkit.atomic import write_atomic
from evalkit.audit import audit_cached
from evalkit.batch.folders import WorkFolders
from evalkit.batch.incremental import Planned
from evalkit.batch.index import INDEX_FILE, IndexEntry, build_index, index_key_of
from evalkit.batch.manifest import MANIFEST_FILE, Manifest, UnitEntry, relative_notebook
from evalkit.batch.model import BatchPlan, Unit
from evalkit.batch.prepared import (
    StoreState,
    file_hash,
    manifest_parameters,
    store_settings,
    template_hash,
)
from evalkit.batch.worker import UnitOutcome
from evalkit.errors import JobFailed

AuditFindings = dict[Path, str]
"""Audited file → the audit's report for it (only failing files)."""


WARNINGS_FILE = "audit-warnings.txt"
"""In the work folder: every warning of the last audit (the attack's findings, reported only)."""


def audit_set(paths: Sequence[Path], plan: BatchPlan, folders: WorkFolders, jobs: int, *,
              strict_attack: bool = False, warned: list[str] | None = None) -> AuditFindings:
    """Audit a batch's whole set of pages (each page and across pages), with the audit's cache.

    Returns the failing files with the lines of the report that concern them. The audit
    decides what only warns (the cross-page attack's findings unless ``strict_attack``:
    :func:`evalkit.audit.audit_pages`); ``warned`` receives its one-line summary, and the
    warnings themselves go to ``WORK/audit-warnings.txt``.
    """
    (folders.root / WARNINGS_FILE).unlink(missing_ok=True)
    if not paths:
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
        strict_attack=strict_attack,
    )

    def unlinked(text: str) -> str:
        for link, path in linked.items():
            text = text.replace(str(link), str(path))
        return text

    summary = report.attack_summary()
    if summary is not None:
        warnings_file = folders.root / WARNINGS_FILE
        write_atomic(warnings_file, unlinked(report.warning_text()) + "\n")
        if warned is not None:
            warned.append(f"{summary}; every warning in {warnings_file}")
    failing = {Path(f).name for f in report.failing_files()}
    if not failing:
        return {}
    text = unlinked(report.text())
    lines = text.splitlines()
    out: AuditFindings = {}
    for path in paths:
        if path.name in failing:
            own = [line for line in lines if str(path) in line]
            out[path] = "\n".join(own) if own else text
    return out


@dataclass
class Verdict:
    """The audit's verdict on the set a batch would publish."""

    ok_units: set[str]
    """Units whose page was rendered (or staged earlier) without failing."""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """``(unit key or "index", why)`` of what the audit keeps out of --out."""
    rejected_keys: set[str] = field(default_factory=set)
    index_changed: bool = False
    index_ok: bool = True
    warnings: list[str] = field(default_factory=list)
    """What the audit of the set as published only reports (see :func:`audit_set`)."""

    def publishes(self, key: str) -> bool:
        return key in self.ok_units and key not in self.rejected_keys


def audit_for_publishing(plan: BatchPlan, store: StoreState, planned: Sequence[Planned],
                         outcomes: dict[str, UnitOutcome], out: Path, folders: WorkFolders, jobs: int,
                         notes: list[str], *, strict_attack: bool = False) -> Verdict:
    """Audit the whole set as it would be published (new pages from staging, the others
    from --out, and the index) and keep failing pages aside in the work folder. The
    audit's warnings on the set that is published are the verdict's ``warnings``."""
    verdict = Verdict({k for k, o in outcomes.items() if o.status == "ok"})
    staged_index = folders.staging / INDEX_FILE
    published_index = out / INDEX_FILE
    for _round in range(3):
        passing = verdict.ok_units - verdict.rejected_keys
        rows = _index_plan(planned, out, passing)
        key = _index_key(plan, store, rows)
        verdict.index_changed = index_key_of(published_index) != key
        if verdict.index_changed:
            staged_index.write_text(_index_html(plan, rows, store, key), encoding="utf-8")
        to_audit = [folders.staging / p.unit.page for p in planned if p.unit.key in passing]
        to_audit += [out / p.unit.page for p in planned
                     if p.action == "unchanged" and (out / p.unit.page).is_file()]
        to_audit.append(staged_index if verdict.index_changed else published_index)
        verdict.warnings = []
        failing = audit_set(to_audit, plan, folders, jobs, strict_attack=strict_attack, warned=verdict.warnings)
        newly = [p for p in planned if p.unit.key in passing and folders.staging / p.unit.page in failing]
        for p in newly:
            _reject(folders, p.unit.page, failing[folders.staging / p.unit.page])
            verdict.rejected.append((p.unit.key, "failed the disclosure audit"))
            verdict.rejected_keys.add(p.unit.key)
        if not newly:
            break  # the index lists exactly the pages that passed
    for p in planned:
        if (out / p.unit.page) in failing and p.unit.key not in verdict.rejected_keys:
            notes.append(f"the published page {p.unit.page} is involved in an audit finding: "
                         + failing[out / p.unit.page].replace("\n", " | ")[:300])
            verdict.rejected.append((p.unit.key, "its published page is involved in an audit finding"))
            verdict.rejected_keys.add(p.unit.key)
    verdict.index_ok = staged_index not in failing and published_index not in failing
    if verdict.index_changed and not verdict.index_ok:
        _reject(folders, INDEX_FILE, failing[staged_index])
        verdict.rejected.append(("index", "failed the disclosure audit"))
    return verdict


def publish(plan: BatchPlan, store: StoreState, planned: Sequence[Planned], outcomes: dict[str, UnitOutcome],
            verdict: Verdict, previous: Manifest | None, out: Path, folders: WorkFolders) -> tuple[int, list[str]]:
    """Publish what passed: pages, then the index, then the manifest (the batch's memory).

    Returns the number of pages published and the pages withdrawn; raises
    :class:`JobFailed` when --out cannot be written (what was there stays intact).
    """
    staged_index = folders.staging / INDEX_FILE
    published = 0
    try:
        remove_stale_temporaries(out)
        for p in planned:
            if verdict.publishes(p.unit.key):
                copy_into(folders.staging / p.unit.page, out / p.unit.page)
                published += 1
        if verdict.index_changed and verdict.index_ok:
            copy_into(staged_index, out / INDEX_FILE)
        # Pages this folder published for units that are no longer in the batch go,
        # before the manifest forgets them (an interrupted run removes them next time).
        withdrawn = _withdrawn_pages(previous, planned, out)
        for page in withdrawn:
            (out / page).unlink(missing_ok=True)
        entries = _entries(planned, outcomes, verdict.rejected_keys, out, plan)
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
        if p.action == "unchanged" or verdict.publishes(p.unit.key):
            (folders.staging / p.unit.page).unlink(missing_ok=True)
            folders.result_of(p.unit).unlink(missing_ok=True)
    staged_index.unlink(missing_ok=True)
    return published, withdrawn


_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove the temporary files (``.NAME.PID.tmp``, see :func:`copy_into`) that a batch
    killed while publishing left in ``out`` — those of processes that no longer run.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = Path(tmp)
    ...     _ = (folder / ".municipality-3405.html.999999999.tmp").write_text("half")
    ...     _ = (folder / f".index.html.{os.getpid()}.tmp").write_text("mine, still writing")
    ...     _ = (folder / "notes.tmp").write_text("not ours")
    ...     removed = [p.name for p in remove_stale_temporaries(folder)]
    ...     removed, sorted(p.name.replace(str(os.getpid()), "PID") for p in folder.iterdir())
    (['.municipality-3405.html.999999999.tmp'], ['.index.html.PID.tmp', 'notes.tmp'])
    """
    removed = []
    for path in sorted(out.glob(".*.tmp")):
        match = _TEMPORARY.match(path.name)
        if match is None or not path.is_file() or _running(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # it runs, as another user
    except (ProcessLookupError, OverflowError):
        return False  # gone, or no process number at all
    return True


def copy_into(src: Path, target: Path) -> None:
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
        # The index's words live in the text store: a changed sentence re-renders it.
        "text": file_hash(Path(__file__).parents[1] / "locale" / "strings.yml"),
    }, sort_keys=True, default=str).encode()).hexdigest()


def _index_html(plan: BatchPlan, rows: Sequence[tuple[Unit, str | None, bool]], store: StoreState, key: str) -> str:
    """The index as it will be published: a link for every page that is (or will be) in --out."""
    from evalkit.i18n import check_language, text

    lang = check_language(str(plan.settings.get("language") or "nb"))
    entries = [IndexEntry(unit, page, text("index_failed_kept", lang) if outdated else None) for unit, page, outdated in rows]
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


__all__ = ["WARNINGS_FILE", "AuditFindings", "Verdict", "audit_for_publishing", "audit_set", "copy_into", "publish"]
