"""Units on a Dask distributed cluster (``--executor dask [--scheduler ADDRESS]``).

Dask's worker processes are daemonic and may not start multiprocessing pools, so each
task starts its unit in a fresh interpreter with :mod:`subprocess` (``python -m
evalkit.batch.worker TASK.json``): the same isolation as the local pool, and the same
timeout (the unit's process group is killed) and retries of kernel start-up faults.
The task file, the prepared store and the staged page live in the work folder, which
must be on storage that every worker sees (for a cluster: a shared file system).
Without ``scheduler``, a local cluster with ``jobs`` single-threaded workers is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.batch.worker import UnitOutcome, UnitTask
from evalkit.errors import InputError


def run_unit_in_subprocess(task_json: str, task_file: str, timeout: float | None, retries: int) -> str:
    """Dask task: render one unit in a fresh interpreter; returns the outcome as JSON."""
    task = UnitTask.from_json(task_json)
    path = Path(task_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(task_json, encoding="utf-8")
    attempt = 1
    while True:
        Path(task.result).unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-m", "evalkit.batch.worker", str(path)],
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for tmp in Path(task.staged).parent.glob(f".{Path(task.staged).name}.*.tmp"):
                tmp.unlink(missing_ok=True)
            Path(task.staged).unlink(missing_ok=True)
            return UnitOutcome(task.key, "failed", float(timeout or 0), task.input_hash,
                               error=f"timed out after {timeout:g} s (the unit's process was stopped)",
                               attempts=attempt).to_json()
        try:
            outcome = UnitOutcome.from_json(Path(task.result).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            reason = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
            outcome = UnitOutcome(task.key, "failed", 0.0, task.input_hash,
                                  error=f"the unit's process {reason} before finishing")
        outcome.attempts = attempt
        if outcome.status == "failed" and outcome.retryable and attempt <= retries:
            attempt += 1
            continue
        return outcome.to_json()


def run_on_dask(
    tasks: Sequence[UnitTask],
    *,
    scheduler: str | None,
    jobs: int,
    timeout: float | None,
    retries: int,
    progress: bool | None,
    task_dir: Path,
) -> dict[str, UnitOutcome]:
    """Render ``tasks`` on a Dask cluster; a lost task fails its unit only."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--executor dask needs Dask: pip install 'evalkit[dask]'") from None
    from evalkit.batch.pool import TqdmProgress

    cluster: Any = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")  # type: ignore[no-untyped-call,unused-ignore]
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    else:
        # Ctrl-C is the batch's: the cluster's processes start with SIGINT ignored (they
        # inherit it; the batch closes them) — a Ctrl-C in the second or two the cluster
        # takes to start is lost, the next one counts. Dask's own warnings (tasks
        # cancelled, workers stopped) are not the reader's business: a unit that fails says so.
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call,unused-ignore]
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)  # type: ignore[no-untyped-call,unused-ignore]
        finally:
            signal.signal(signal.SIGINT, handler)
    bar = TqdmProgress(len(tasks), enabled=progress)
    results: dict[str, UnitOutcome] = {}
    try:
        futures: dict[Any, UnitTask] = {}
        submitted = []
        for task in tasks:
            task_file = task_dir / f"{Path(task.result).stem}.task.json"
            future = client.submit(run_unit_in_subprocess, task.to_json(), str(task_file), timeout, retries,
                                   pure=False, key=f"evalkit-unit-{task.key}-{os.urandom(4).hex()}")
            futures[future.key] = task
            submitted.append(future)
        for future in as_completed(submitted):  # type: ignore[no-untyped-call,unused-ignore]
            task = futures[future.key]
            try:
                outcome = UnitOutcome.from_json(future.result())
            except Exception as exc:  # the worker died, or the task could not run
                outcome = UnitOutcome(task.key, "failed", 0.0, task.input_hash,
                                      error=f"the Dask task failed: {type(exc).__name__}: {exc}")
            results[task.key] = outcome
            bar.update(outcome)
    finally:
        bar.close()
        client.close()  # type: ignore[no-untyped-call,unused-ignore]
        if cluster is not None:
            cluster.close()
    return results


__all__ = ["run_on_dask", "run_unit_in_subprocess"]
