"""Auditing pages: reading them (the chart library cut out by its hash), the process
pool, and the cross-page checks over the set (:func:`audit_pages`, :func:`audit_html`)."""

from __future__ import annotations

import gc
import hashlib
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Final

from evalkit.audit.findings import AuditReport, Deferred, Finding, PageResult, sort_key
from evalkit.audit.page import PageAudit
from evalkit.audit.rules import REGISTRY, UNREADABLE
from evalkit.audit.settings import (
    DataFacts,
    Settings,
    check_seconds,
    known_bundle,
    load_data,
    page_settings,
    resolve,
)
from evalkit.audit.spec import (
    BIG_SCRIPT,
    DEFAULT_ATTACK_SECONDS,
    DEFAULT_MIN_CELL_N,
    DEFAULT_MIN_UNIT_N,
    SENTINEL,
    Ref,
)
from evalkit.audit.tokenizer import paths_at

__all__ = ["audit_file", "audit_html", "audit_pages", "may_inline_bundle", "read_page"]

_WORKER_THRESHOLD: Final = 100


_BUNDLE_SEEN: dict[str, tuple[bytes, int]] = {}


def _bundle_lines(raw: bytes, start: int, end: int, sha: str) -> int | None:
    """Newlines in ``raw[start:end]`` if it is the chart library, else None. Its SHA-256
    is checked once per process; later pages are compared byte for byte with the bytes
    that had that hash."""
    seen = _BUNDLE_SEEN.get(sha)
    if seen is not None:
        return seen[1] if raw[start:end] == seen[0] else None
    content = raw[start:end]
    if hashlib.sha256(content).hexdigest() != sha:
        return None
    _BUNDLE_SEEN[sha] = (content, content.count(b"\n"))
    return _BUNDLE_SEEN[sha][1]


def read_page(path: Path, bundle: tuple[int, str] | None) -> tuple[str, int, str | None]:
    """The page's text with the inlined chart library cut out (by hash, in the raw bytes,
    before decoding); returns (text, bundles cut, problem)."""
    raw = path.read_bytes()
    cut = 0
    if bundle is not None and len(raw) > bundle[0]:
        length, sha = bundle
        pieces: list[bytes] = []
        last = pos = 0
        while True:
            i = raw.find(b"<script", pos)
            if i < 0:
                break
            j = raw.find(b">", i)
            if j < 0:
                break
            content_start = j + 1
            content_end = raw.find(b"</script", content_start)
            if content_end < 0:
                break
            if content_end - content_start != length:
                # not the library: step over the script (it may end earlier, in upper case)
                other = None
                if raw.find(b"</", content_start, content_end) >= 0:
                    other = re.search(rb"(?i)</script", raw[content_start:content_end])
                pos = content_start + other.start() + 2 if other else content_end + 2
                continue
            lines = _bundle_lines(raw, content_start, content_end, sha)
            if lines is not None:
                pieces.append(raw[last:content_start])
                pieces.append(SENTINEL.encode() + b"\n" * lines)
                last = content_end
                cut += 1
            pos = content_end + 2
        if cut:
            pieces.append(raw[last:])
            raw = b"".join(pieces)
    try:
        return raw.decode("utf-8-sig"), cut, None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8-sig", errors="replace"), cut, f"not UTF-8 ({exc.reason} at byte {exc.start})"


def _path_text(path: Path) -> str:
    """A page's whole text (chart library included)."""
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def _without_gc(run: Callable[[], PageResult]) -> PageResult:
    """Run a page's audit with the cyclic garbage collector paused: it makes many small
    objects and no cycles, and collections cost about a tenth of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if enabled:
            gc.enable()


def audit_file(path: Path, settings: Settings) -> PageResult:
    try:
        text, cut, problem = read_page(path, settings.bundle)
    except OSError as exc:
        result = PageResult(path)
        result.findings.append(UNREADABLE.finding(path, f"cannot read the page ({exc.strerror})"))
        return result
    audit = PageAudit(path, text, settings)
    result = _without_gc(audit.run)
    if cut and audit.bundles_seen != cut:
        # The library was cut out of the raw bytes; that is exact only if the tokenizer
        # met every cut as the content of a script element. Otherwise audit the whole page.
        full = _path_text(path)
        result = _without_gc(PageAudit(path, full, settings).run)
        result.read_whole = True
    if problem:
        result.findings.insert(0, UNREADABLE.finding(path, problem))
    return result


def _elements(file: Path, refs: Iterable[Ref], settings: Settings, text: str | None = None,
              *, whole: bool = False) -> dict[Ref, str]:
    """CSS paths of figures found by the cross-page checks (the page is read again, as its
    audit read it)."""
    wanted = list(refs)
    if text is None:
        try:
            text = (_path_text(file) if whole else read_page(file, settings.bundle)[0])
        except OSError:
            text = ""
    paths = paths_at(text, {pos for pos, _s, _l in wanted if pos >= 0})
    return {ref: (paths.get(ref[0], "(page)") if ref[0] >= 0 else "(page)") + ref[1] for ref in wanted}

def audit_html(
    text: str,
    *,
    name: str | Path = "page.html",
    data_dir: str | Path | None = None,
    min_unit_n: int = DEFAULT_MIN_UNIT_N,
    min_cell_n: int = DEFAULT_MIN_CELL_N,
) -> AuditReport:
    """Audit one page given as text (a convenience for tests and notebooks)."""
    unit_n, cell_n, data = resolve(data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n, manifest=None)
    facts = load_data(data) if data is not None else None
    settings = page_settings(unit_n, cell_n, facts, bundle=known_bundle() if len(text) > BIG_SCRIPT else None)
    result = PageAudit(Path(name), text, settings).run()
    return _combine([result], settings, facts, data, 0.0, texts={Path(name): text})

def may_inline_bundle(files: Sequence[Path]) -> bool:
    """Could a page hold the chart library? (Only then is its hash needed.)"""
    for path in files:
        try:
            if path.stat().st_size > BIG_SCRIPT:
                return True
        except OSError:
            continue
    return False


_WORKER_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings


def _worker(path: Path) -> PageResult:
    assert _WORKER_SETTINGS is not None
    return audit_file(path, _WORKER_SETTINGS)


def audit_pages(
    paths: Sequence[Path],
    *,
    data_dir: str | Path | None = None,
    min_unit_n: int | None = None,
    min_cell_n: int | None = None,
    manifest: Path | None = None,
    workers: int | None = None,
    attack_seconds: float = DEFAULT_ATTACK_SECONDS,
    strict_attack: bool = False,
) -> AuditReport:
    """Audit a set of pages, each on its own and across the set.

    Parameters
    ----------
    paths
        The pages (a batch's whole set, for the cross-page check).
    data_dir
        The canonical data folder the pages were made from: respondent ids to search for,
        unit sizes and the unit tree. Default: the manifest's data folder, if any.
    min_unit_n, min_cell_n
        Thresholds; default the manifest's ``settings``, else 10 and 5.
    manifest
        A batch's ``manifest.json``.
    workers
        Processes to use; default one per core (at most 8) when there are more than 100
        pages. Workers are started with ``spawn``: a script that calls this must guard its
        entry point with ``if __name__ == "__main__":``.
    attack_seconds
        Time limit of the cross-page attack (``recoverable``); a hidden figure it cannot
        settle in time is a finding.
    strict_attack
        Make the attack's findings findings. By default (False) they are the report's
        ``warnings``: printed, but the report is ok and a batch publishes the pages. This
        function alone decides (:func:`_combine`); the batch and the command pass it on.

    Raises
    ------
    InputError
        Bad thresholds, an unreadable manifest or a missing data folder.
    """
    began = time.perf_counter()
    unit_n, cell_n, data = resolve(data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n, manifest=manifest)
    facts = load_data(data) if data is not None else None
    files = [Path(p) for p in paths]
    settings = page_settings(unit_n, cell_n, facts, known_bundle() if may_inline_bundle(files) else None,
                             check_seconds(attack_seconds), strict_attack=bool(strict_attack))
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(files) > _WORKER_THRESHOLD else 1
    if workers > 1 and len(files) > 1:
        chunk = max(1, len(files) // (workers * 4))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker,
                                 initargs=(settings,)) as pool:
            results = list(pool.map(_worker, files, chunksize=chunk))
    else:
        results = [audit_file(p, settings) for p in files]
    return _combine(results, settings, facts, data, time.perf_counter() - began)


def _combine(results: list[PageResult], settings: Settings, facts: DataFacts | None,
             data: Path | None, seconds: float, texts: Mapping[Path, str] | None = None) -> AuditReport:
    findings = [f for r in results for f in r.findings]
    deferred = [d for rule in REGISTRY.using("across") for d in rule.across(results, settings, facts)]
    attacked = [d for rule in REGISTRY.using("attack") for d in rule.attack(results, settings, facts)]
    # The one place that decides whether the attack's findings block (strict) or are
    # only reported (the default until the data-side protector of issue 13 lands).
    reported: list[Deferred] = []
    if settings.strict_attack:
        deferred += attacked
    else:
        reported = attacked
    by_file: defaultdict[Path, set[Ref]] = defaultdict(set)
    for file, ref, _rule, _message in [*deferred, *reported]:
        by_file[file].add(ref)
    whole = {r.file for r in results if r.read_whole}
    elements = {file: _elements(file, refs, settings, (texts or {}).get(file), whole=file in whole)
                for file, refs in by_file.items()}

    def named(found: list[Deferred]) -> list[Finding]:
        return [Finding(file, elements[file][ref], rule, message, ref[2]) for file, ref, rule, message in found]

    findings = sorted(set(findings + named(deferred)), key=sort_key)
    warnings = sorted(set(named(reported)), key=sort_key)
    return AuditReport(findings, tuple(r.file for r in results), settings.min_unit_n, settings.min_cell_n,
                       data, seconds, warnings=warnings)
