"""One unit, in one fresh process: execute its notebook with papermill and stage its page.

:func:`run_task` is what every executor runs for a unit, in a process of its own (a
child of the fork server, a subprocess on a Dask worker, or ``python -m
evalkit.batch.worker TASK.json``):

1. one papermill execution of the notebook with the unit's parameters, with the
   ``evalkit`` engine (cells run in this process) or ``kernel`` (papermill's standard
   engine, a Jupyter kernel per unit);
2. the executed notebook is written to the work folder;
3. the page is exported (:func:`evalkit.render.export_html`) and written to the
   staging folder under a temporary name, then renamed;
4. last, a small result file (status, duration, error excerpt, the unit's input hash)
   is written — its presence means the staged page is complete.

Nothing here writes to the published folder.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from evalkit.atomic import write_atomic

Engine = Literal["fast", "kernel"]
Status = Literal["ok", "failed"]

ERROR_EXCERPT_CHARS = 400
BUNDLE_CACHE_ENV = "EVALKIT_BATCH_BUNDLE_CACHE"
"""Environment variable: a file that caches the Vega bundle for the fork server."""
FORK_SERVER_ENV = "EVALKIT_BATCH_FORK_SERVER"
CANNOT_WRITE = 100
"""A unit's process that cannot write even its outcome (a full disk, a folder made
read-only) exits with ``CANNOT_WRITE + errno`` and prints nothing; the supervisor says why."""
"""Environment variable: set to 1 for the fork server, whose preload then warms up."""
WARMUP_TASK_ENV = "EVALKIT_BATCH_WARMUP_TASK"
"""Environment variable: a task file the fork server renders once to warm its caches."""
STORE_READY_ENV = "EVALKIT_BATCH_STORE_READY"
"""Environment variable: a file whose appearance tells a fork server started early that
the prepared store (which its warm-up unit reads) is built."""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class UnitTask:
    """Everything a process needs to render one unit (JSON-serialisable)."""

    key: str
    notebook: str
    parameters: dict[str, Any]
    executed: str
    staged: str
    result: str
    input_hash: str
    engine: Engine = "fast"
    cell_timeout: float | None = None
    kernel_name: str = "python3"
    start_timeout: float = 60.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> UnitTask:
        return cls(**json.loads(text))


@dataclass
class UnitOutcome:
    """How a unit went (written as the task's result file)."""

    key: str
    status: Status
    seconds: float
    input_hash: str
    error: str | None = None
    retryable: bool = False
    attempts: int = 1
    phases: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> UnitOutcome:
        return cls(**json.loads(text))


def excerpt(text: str, limit: int = ERROR_EXCERPT_CHARS) -> str:
    """A short, single-paragraph error text (no colour codes), for the manifest.

    Examples
    --------
    >>> excerpt("\\x1b[31mValueError\\x1b[0m: bad\\n\\n  value", limit=30)
    'ValueError: bad value'
    """
    plain = " ".join(_ANSI.sub("", text).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


# Kernel start-up faults worth another try: a port taken between choosing and binding it
# (ZMQ "Address already in use"), a kernel that dies or is slow before its first reply.
_STARTUP_FAULTS = (
    "address already in use",
    "kernel died before replying to kernel_info",
    "kernel didn't respond",
    "kernel didn't respond in",
    "timeout waiting for kernel_info reply",
    "timed out waiting for kernel",
    "error in kernel startup",
    "kernel was restarted",
)


def is_startup_fault(exc: BaseException) -> bool:
    """True for kernel start-up faults (retried), false for errors in the notebook.

    Examples
    --------
    >>> is_startup_fault(RuntimeError("Kernel died before replying to kernel_info"))
    True
    >>> is_startup_fault(ValueError("municipality_id: '9999' is not a municipality"))
    False
    """
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    text = f"{type(exc).__name__}: {exc}".lower()
    if type(exc).__name__ in ("ZMQError",) and "address" in text:
        return True
    return any(fault in text for fault in _STARTUP_FAULTS)


def _export(nb: Any, svg_cache: Path | None = None) -> str:
    from evalkit import render
    from evalkit.batch import svgserver

    if os.environ.get(svgserver.SVG_SERVER_ENV):
        render.drawer = svgserver.draw
    return render.export_html(nb, svg_cache=svg_cache)


def run_task(task: UnitTask) -> UnitOutcome:
    """Render one unit in this process (see the module docstring); never raises."""
    import papermill as pm

    start = time.perf_counter()
    cpu_start = time.process_time()
    phases: dict[str, float] = {}
    outcome: UnitOutcome
    try:
        engine_name: str | None = None
        if task.engine == "fast":
            from evalkit.batch.engine import ENGINE_NAME

            engine_name = ENGINE_NAME
        notebook = Path(task.notebook)
        executed = Path(task.executed)
        executed.parent.mkdir(parents=True, exist_ok=True)
        # Written once, at the end (also when a cell fails), not after every cell.
        nb = pm.execute_notebook(
            str(notebook),
            str(executed),
            request_save_on_cell_execute=False,
            parameters=task.parameters,
            engine_name=engine_name,
            kernel_name=task.kernel_name,
            progress_bar=False,
            log_output=False,
            cwd=str(notebook.parent),
            execution_timeout=task.cell_timeout,
            start_timeout=task.start_timeout,
        )
        phases["execute"] = time.perf_counter() - start
        mark = time.perf_counter()
        # Drawn charts are kept by spec hash in the work folder (results' parent), so a
        # chart drawn for one unit is read, not drawn again, by the next.
        page = _export(nb, Path(task.result).parent.parent / "svg")
        write_atomic(Path(task.staged), page)
        phases["export"] = time.perf_counter() - mark
        phases["cpu"] = time.process_time() - cpu_start
        outcome = UnitOutcome(task.key, "ok", time.perf_counter() - start, task.input_hash, phases=phases)
    except Exception as exc:
        from papermill.exceptions import PapermillExecutionError

        if isinstance(exc, PapermillExecutionError):
            message = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
        else:
            message = f"{type(exc).__name__}: {exc}"
        outcome = UnitOutcome(task.key, "failed", time.perf_counter() - start, task.input_hash,
                              error=excerpt(message), retryable=is_startup_fault(exc), phases=phases)
        Path(task.staged).unlink(missing_ok=True)
    write_atomic(Path(task.result), outcome.to_json())
    return outcome


def child_main(task_json: str) -> None:
    """Entry point of a unit's own process (fork-server child or subprocess)."""
    try:
        task = UnitTask.from_json(task_json)
    except Exception:  # a broken task file is the supervisor's bug: say so loudly
        traceback.print_exc()
        raise SystemExit(3) from None
    preload = sys.modules.get("evalkit.batch._preload")
    if preload is not None and getattr(preload, "UNSAFE", False):
        # Forked from a server whose polars pool started: polars would deadlock here.
        # Run the unit in a fresh interpreter instead (slower, never wrong).
        task_file = Path(task.result).with_suffix(".task.json")
        write_atomic(task_file, task_json)
        os.execv(sys.executable, [sys.executable, "-m", "evalkit.batch.worker", str(task_file)])
    try:
        run_task(task)
    except OSError as exc:  # not even the outcome could be written: say why by the exit code
        os._exit(CANNOT_WRITE + (exc.errno or 0) if (exc.errno or 0) < 256 - CANNOT_WRITE else CANNOT_WRITE)


def main(argv: list[str] | None = None) -> int:
    """``python -m evalkit.batch.worker TASK.json``: render the unit described in TASK.json."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m evalkit.batch.worker TASK.json", file=sys.stderr)
        return 2
    child_main(Path(args[0]).read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through subprocesses
    sys.exit(main())
