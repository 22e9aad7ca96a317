"""The work folder of a batch, and the checks on it and on the published folder.

The work folder holds everything that must never be published — the prepared store,
executed notebooks, staged and rejected pages — in a cache folder outside ``--out`` by
default; one batch at a time uses it (:func:`locked`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evalkit.batch.model import Unit
from evalkit.errors import InputError


def default_work_folder(out: Path) -> Path:
    """A cache folder outside ``out``, one per published folder."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return base / "evalkit" / "batch" / f"{out.resolve().name or 'out'}-{tag}"


@dataclass
class WorkFolders:
    """The work folder's parts: staging, results, executed notebooks, rejected pages, tasks."""

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

    def result_of(self, unit: Unit) -> Path:
        """Where a unit's worker writes its outcome (JSON)."""
        return self.results / f"{unit.page}.json"

    def make(self) -> None:
        for folder in (self.staging, self.results, self.executed, self.rejected, self.tasks):
            folder.mkdir(parents=True, exist_ok=True)

    def clean_temporary(self) -> None:
        """Temporary files left by a process that was killed mid-write."""
        for folder in (self.staging, self.results, self.executed):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(work: Path) -> Iterator[None]:
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


def check_folders(out: Path, work: Path, data_dirs: tuple[Path, ...] = ()) -> None:
    """Refuse a published folder that equals, contains or lies inside the work folder or
    a data folder, and an output or work folder that cannot be written — before anything
    is written to ``out``."""
    if work == out or out in work.parents:
        raise InputError(
            f"the work folder {work} is inside the published folder {out}: executed notebooks and the "
            "prepared store must never be published; choose --work outside --out"
        )
    if work in out.parents:
        raise InputError(
            f"the published folder {out} is inside the work folder {work}: choose --out outside --work"
        )
    for data in (d.resolve() for d in data_dirs):
        if data == out or out in data.parents or data in out.parents:
            where = ("is the data folder" if data == out else
                     "contains the data folder" if out in data.parents else "is inside the data folder")
            raise InputError(
                f"--out {out} {where} {data}: respondent-level data must never sit beside published "
                "pages; choose --out outside the data folder"
            )
    for folder, what in ((work, "the work folder"), (out, "the output folder")):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".evalkit-write-test.{os.getpid()}.tmp"
            probe.write_bytes(b"x")
            probe.unlink()
        except OSError as exc:
            raise InputError(f"cannot write to {what} {folder}: {exc.strerror or exc}") from None


__all__ = ["WorkFolders", "check_folders", "default_work_folder", "locked"]
