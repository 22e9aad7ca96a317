"""evalkit's cache on this machine, and the chart library kept there.

Kept apart from :mod:`evalkit.render` (which imports nbconvert) so that the batch
supervisor can name the cache without importing the page exporter.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Final

from evalkit.atomic import write_atomic

BUNDLE_FORMAT: Final = 1
"""Bumped when :func:`evalkit.render.chart_bundle` changes what it does to vl-convert's bundle."""


def cache_home() -> Path:
    """evalkit's cache folder on this machine: ``$XDG_CACHE_HOME/evalkit`` (default
    ``~/.cache/evalkit``). Only derived, non-personal things live there."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evalkit"


def bundle_cache_file() -> Path:
    """Where this machine keeps the chart library, per version of vl-convert."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        vl_version = version("vl-convert-python")
    except PackageNotFoundError:  # pragma: no cover - a dependency of evalkit
        vl_version = "unknown"
    return cache_home() / f"chart-bundle-{vl_version}-{BUNDLE_FORMAT}.js"


def read_cached_bundle(path: Path) -> str | None:
    """The bundle cached in ``path`` if it is there and whole (its SHA-256 beside it).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "bundle.js"
    ...     write_cached_bundle(path, "var vega = 1;")
    ...     first = read_cached_bundle(path)
    ...     _ = path.write_text("var vega = 2;")  # changed behind the cache's back
    ...     first, read_cached_bundle(path)
    ('var vega = 1;', None)
    """
    try:
        data = path.read_bytes()
        expected = path.with_name(path.name + ".sha256").read_text(encoding="ascii").strip()
    except OSError:
        return None
    return data.decode("utf-8") if hashlib.sha256(data).hexdigest() == expected else None


def write_cached_bundle(path: Path, bundle: str) -> None:
    """Cache ``bundle`` in ``path`` (best effort: a folder that cannot be written is skipped)."""
    data = bundle.encode("utf-8")
    with contextlib.suppress(OSError):
        write_atomic(path, data)
        write_atomic(path.with_name(path.name + ".sha256"), hashlib.sha256(data).hexdigest())
