"""Write a file so that no reader ever sees it half-written."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to a temporary name beside ``path`` and rename it into place.

    The temporary name is ``.NAME.PID.tmp`` (what the batch's clean-up recognises); it is
    removed when the write fails (a full disk, say), and the error is raised.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = write_atomic(Path(tmp) / "sub" / "page.html", "<p>ok</p>")
    ...     target.read_text(encoding="utf-8"), sorted(p.name for p in target.parent.iterdir())
    ('<p>ok</p>', ['page.html'])
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        tmp.replace(target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return target
