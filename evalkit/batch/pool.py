"""The supervised pool: every unit in a process of its own, N at a time.

A supervisor (this process) keeps up to ``jobs`` unit processes running. Each unit
gets a fresh process — forked from a warm fork server (:mod:`evalkit.batch._preload`,
~10 ms a unit instead of seconds of imports), or a plain ``python -m
evalkit.batch.worker`` subprocess — that runs :func:`evalkit.batch.worker.run_task` and
exits. So:

* a unit cannot change what another unit sees (global state, module attributes, the
  working directory, Altair settings: each process starts from the same state);
* a process that dies (a crash, SIGKILL, the OOM killer) fails only its own unit: the
  supervisor sees the exit status, records the failure and goes on (unlike
  ``concurrent.futures``' process pool, which breaks entirely when one worker dies);
* a unit that runs longer than ``timeout`` is killed with its children (a kernel too);
* kernel start-up faults are retried up to ``retries`` times;
* Ctrl-C kills the running units and leaves no partial file: pages are staged under a
  temporary name and renamed only when complete; finished units are kept for a resume.

Progress (units done/failed, time left) goes to stderr through tqdm.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from evalkit.batch.worker import (
    BUNDLE_CACHE_ENV,
    CANNOT_WRITE,
    FORK_SERVER_ENV,
    WARMUP_TASK_ENV,
    UnitOutcome,
    UnitTask,
    child_main,
)

Launch = Literal["forkserver", "subprocess"]
PRELOAD_MODULE = "evalkit.batch._preload"
POLL_SECONDS = 0.2


class Running(Protocol):
    """A started unit process."""

    @property
    def pid(self) -> int | None: ...

    def exitcode(self) -> int | None: ...

    def sentinel(self) -> int | None: ...


class _ForkedUnit:
    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self.process = process

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def exitcode(self) -> int | None:
        return self.process.exitcode

    def sentinel(self) -> int | None:
        return self.process.sentinel


class _SubprocessUnit:
    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen

    @property
    def pid(self) -> int | None:
        return self.popen.pid

    def exitcode(self) -> int | None:
        return self.popen.poll()

    def sentinel(self) -> int | None:
        return None


def worker_command(task_file: Path) -> list[str]:
    """The command that renders one unit in a fresh interpreter."""
    return [sys.executable, "-m", "evalkit.batch.worker", str(task_file)]


class Launcher:
    """Starts unit processes: forked from a warm fork server, or as subprocesses."""

    def __init__(self, how: Launch = "forkserver", *, bundle_cache: Path | None = None,
                 warmup: UnitTask | None = None, warmup_file: Path | None = None) -> None:
        if how == "forkserver" and "forkserver" not in multiprocessing.get_all_start_methods():
            how = "subprocess"
        self.how: Launch = how
        # Read by the fork server when it starts (once per supervisor process).
        os.environ[FORK_SERVER_ENV] = "1"
        if bundle_cache is not None:
            os.environ.setdefault(BUNDLE_CACHE_ENV, str(bundle_cache))
        if warmup is not None and warmup_file is not None:
            warmup_file.parent.mkdir(parents=True, exist_ok=True)
            warmup_file.write_text(warmup.to_json(), encoding="utf-8")
            os.environ[WARMUP_TASK_ENV] = str(warmup_file)
        self._context = multiprocessing.get_context("forkserver") if how == "forkserver" else None
        if self._context is not None:
            self._context.set_forkserver_preload(["__main__", PRELOAD_MODULE])

    def prestart(self) -> None:
        """Start the fork server now (it warms up in the background); no-op otherwise."""
        if self._context is not None:
            from multiprocessing import forkserver

            forkserver.ensure_running()

    def start(self, task: UnitTask, task_file: Path) -> Running:
        if self._context is not None:
            process = self._context.Process(target=child_main, args=(task.to_json(),),
                                            name=f"evalkit-unit-{task.key}", daemon=False)
            process.start()
            return _ForkedUnit(process)
        task_file.parent.mkdir(parents=True, exist_ok=True)
        task_file.write_text(task.to_json(), encoding="utf-8")
        popen = subprocess.Popen(worker_command(task_file), stdin=subprocess.DEVNULL, start_new_session=True)
        return _SubprocessUnit(popen)


def kill_tree(pid: int | None) -> None:
    """SIGKILL a unit process and everything it started (a kernel runs in its own session)."""
    if pid is None:
        return
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]

        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except Exception:  # psutil missing, or the process is gone already
        family = []
    if not family:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        return
    for proc in family:
        with contextlib.suppress(Exception):
            proc.kill()


@dataclass
class _Slot:
    task: UnitTask
    running: Running
    started: float
    attempt: int


def _describe_exit(code: int) -> str:
    if code >= CANNOT_WRITE:
        return f"the unit's process could not write to the work folder: {os.strerror(code - CANNOT_WRITE)}"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the unit's process was killed ({name})"
    return f"the unit's process exited with code {code} before finishing"


def _read_outcome(task: UnitTask, started_wall: float) -> UnitOutcome | None:
    path = Path(task.result)
    try:
        if path.stat().st_mtime < started_wall - 1:
            return None  # left over from an earlier run
        outcome = UnitOutcome.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return None
    return outcome if outcome.key == task.key and outcome.input_hash == task.input_hash else None


class Progress(Protocol):
    def update(self, outcome: UnitOutcome) -> None: ...

    def close(self) -> None: ...


class TqdmProgress:
    """A tqdm bar on stderr: units done, failed, and the time left."""

    def __init__(self, total: int, *, enabled: bool | None = None, desc: str = "rendering") -> None:
        from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

        self.failed = 0
        self.ok = 0
        disable = not enabled if enabled is not None else not sys.stderr.isatty()
        self.bar = tqdm(total=total, desc=desc, unit="page", file=sys.stderr, disable=disable,
                        dynamic_ncols=True, leave=True, mininterval=0.5)

    def update(self, outcome: UnitOutcome) -> None:
        if outcome.status == "ok":
            self.ok += 1
        else:
            self.failed += 1
        self.bar.set_postfix_str(f"ok {self.ok}, failed {self.failed}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def supervise(
    tasks: Sequence[UnitTask],
    *,
    jobs: int,
    timeout: float | None,
    retries: int = 2,
    launcher: Launcher | None = None,
    task_dir: Path | None = None,
    progress: Progress | None = None,
    on_outcome: Callable[[UnitOutcome], None] | None = None,
) -> dict[str, UnitOutcome]:
    """Render ``tasks`` with up to ``jobs`` unit processes; returns key → outcome.

    Never raises for a unit's failure; re-raises KeyboardInterrupt after killing the
    running units (their staged pages are never half-written).
    """
    launcher = launcher or Launcher()
    queue: deque[tuple[UnitTask, int]] = deque((t, 1) for t in tasks)
    running: dict[str, _Slot] = {}
    results: dict[str, UnitOutcome] = {}
    jobs = max(1, jobs)

    def finish(outcome: UnitOutcome) -> None:
        results[outcome.key] = outcome
        if progress is not None:
            progress.update(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    try:
        while queue or running:
            while queue and len(running) < jobs:
                task, attempt = queue.popleft()
                Path(task.result).unlink(missing_ok=True)
                task_file = (task_dir or Path(task.result).parent) / f"{Path(task.result).stem}.task.json"
                started_wall = time.time()
                try:
                    proc = launcher.start(task, task_file)
                except OSError as exc:  # cannot fork: out of memory or processes
                    finish(UnitOutcome(task.key, "failed", 0.0, task.input_hash,
                                       error=f"could not start the unit's process: {exc}", attempts=attempt))
                    continue
                running[task.key] = _Slot(task, proc, started_wall, attempt)
            sentinels = [s for slot in running.values() if (s := slot.running.sentinel()) is not None]
            if sentinels and len(sentinels) == len(running):
                multiprocessing.connection.wait(sentinels, timeout=POLL_SECONDS)
            else:
                time.sleep(POLL_SECONDS / 4)
            now = time.time()
            for key, slot in list(running.items()):
                code = slot.running.exitcode()
                if code is None:
                    if timeout is not None and now - slot.started > timeout:
                        kill_tree(slot.running.pid)
                        _wait_gone(slot.running)
                        del running[key]
                        _clean_partial(slot.task)
                        finish(UnitOutcome(key, "failed", now - slot.started, slot.task.input_hash,
                                           error=f"timed out after {timeout:g} s (the unit's process was stopped)",
                                           attempts=slot.attempt))
                    continue
                del running[key]
                outcome = _read_outcome(slot.task, slot.started)
                if outcome is None:
                    _clean_partial(slot.task)
                    outcome = UnitOutcome(key, "failed", now - slot.started, slot.task.input_hash,
                                          error=_describe_exit(code))
                outcome.attempts = slot.attempt
                if outcome.status == "failed" and outcome.retryable and slot.attempt <= retries:
                    queue.appendleft((slot.task, slot.attempt + 1))
                    continue
                finish(outcome)
    except BaseException:
        for slot in running.values():
            kill_tree(slot.running.pid)
        for slot in running.values():
            _wait_gone(slot.running)
            _clean_partial(slot.task)
        raise
    return results


def _wait_gone(running: Running, seconds: float = 5.0) -> None:
    deadline = time.time() + seconds
    while running.exitcode() is None and time.time() < deadline:
        time.sleep(0.02)


def _clean_partial(task: UnitTask) -> None:
    """Remove what a killed unit may have left: temporary files, and a stale staged page."""
    for target in (Path(task.staged), Path(task.executed), Path(task.result)):
        for tmp in target.parent.glob(f".{target.name}.*.tmp"):
            tmp.unlink(missing_ok=True)
    if not Path(task.result).exists():
        Path(task.staged).unlink(missing_ok=True)


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool | None) -> Iterator[TqdmProgress]:
    bar = TqdmProgress(total, enabled=enabled)
    try:
        yield bar
    finally:
        bar.close()


__all__ = ["Launcher", "TqdmProgress", "kill_tree", "progress_bar", "supervise", "worker_command"]
