"""The audit's verdict cache: a re-run over unchanged pages returns the verdict at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.atomic import write_atomic
from evalkit.audit.allowed import own_code
from evalkit.audit.engine import audit_pages, may_inline_bundle
from evalkit.audit.findings import AuditReport
from evalkit.audit.settings import known_bundle, resolve
from evalkit.audit.spec import DEFAULT_ATTACK_SECONDS

__all__ = ["audit_cached", "code_hash", "file_hashes", "own_digests"]


def code_hash() -> str:
    """SHA-256 of the audit's code (every module of this package)."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode("utf-8") + b"\0" + module.read_bytes())
    return digest.hexdigest()


def own_digests() -> list[str]:
    """What the audit recognises as evalkit's own scripts and styles (their hashes):
    a verdict holds only while they are the same."""
    own = own_code()
    return sorted({*own.scripts, *own.data, *own.styles, *own.titled_styles})


def file_hashes(paths: Sequence[Path], cache_dir: Path) -> list[str]:
    """SHA-256 of each page, remembered by (size, mtime, inode, ctime) so that an unchanged
    page is not read again."""
    memo_path = cache_dir / "page-hashes.json"
    try:
        memo: dict[str, list[Any]] = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    out: list[str] = []
    changed = False
    for path in paths:
        name = str(Path(path).resolve())
        try:
            st = Path(path).stat()
        except OSError:
            out.append("missing")
            continue
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        entry = memo.get(name)
        if entry is not None and entry[:4] == stamp:
            out.append(str(entry[4]))
            continue
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        memo[name] = [*stamp, digest]
        out.append(digest)
        changed = True
    if changed:
        write_atomic(memo_path, json.dumps(memo))
    return out


def audit_cached(
    paths: Sequence[Path],
    cache_dir: str | Path,
    *,
    data_dir: str | Path | None = None,
    min_unit_n: int | None = None,
    min_cell_n: int | None = None,
    manifest: Path | None = None,
    workers: int | None = None,
    attack_seconds: float = DEFAULT_ATTACK_SECONDS,
    strict_attack: bool = False,
) -> AuditReport:
    """:func:`audit_pages`, remembered: the verdict is kept in ``cache_dir`` under a key of
    the pages (paths and content hashes), the thresholds, the data folder's
    :func:`~evalkit.canonical.folder_hash`, the chart library's hash and the audit's
    code (:func:`code_hash`), so that a re-run with nothing changed returns at once (``from_cache`` is True).
    """
    from evalkit.canonical import folder_hash

    unit_n, cell_n, data = resolve(data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n, manifest=manifest)
    cache = Path(cache_dir)
    files = [Path(p) for p in paths]
    key_parts = {
        "audit": code_hash(),
        "own": own_digests(),
        "bundle": known_bundle() if may_inline_bundle(files) else None,
        "min_unit_n": unit_n,
        "min_cell_n": cell_n,
        "attack_seconds": attack_seconds,
        "strict_attack": bool(strict_attack),
        "data": None if data is None else [str(data.resolve()), folder_hash(data)],
        "pages": [[str(p), h] for p, h in zip(files, file_hashes(files, cache), strict=True)],
    }
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode("utf-8")).hexdigest()
    verdict = cache / f"audit-{key[:32]}.json"
    if verdict.exists():
        try:
            return AuditReport.from_json(verdict.read_text(encoding="utf-8"), from_cache=True)
        except (OSError, ValueError, KeyError):
            pass
    report = audit_pages(files, data_dir=data, min_unit_n=unit_n, min_cell_n=cell_n, workers=workers,
                         attack_seconds=attack_seconds, strict_attack=strict_attack)
    write_atomic(verdict, report.to_json())
    return report
