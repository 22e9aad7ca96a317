"""Batch runs: a dashboard for every municipality and network of a wave, plus an index.

``evalkit batch PARAMS.yml --out DIR`` (or :func:`run_batch_file`) checks the batch file
(:mod:`~evalkit.batch.config`: its pydantic model :mod:`~evalkit.batch.batchfile`, then
:mod:`~evalkit.batch.plan`), prepares every unit's data once into a store in the work
folder (:mod:`~evalkit.batch.prepared`, :mod:`~evalkit.batch.folders`), decides which
units to render (:mod:`~evalkit.batch.incremental`), renders each unit with one papermill
execution in a process of its own (:mod:`~evalkit.batch.pool`, :mod:`~evalkit.batch.engine`,
:mod:`~evalkit.batch.dask_executor`), audits the staged pages and publishes the passing
ones with ``index.html`` (:mod:`~evalkit.batch.index`) and ``manifest.json``
(:mod:`~evalkit.batch.publish`, :mod:`~evalkit.batch.manifest`), and prints a summary
(:mod:`~evalkit.batch.summary`). :mod:`~evalkit.batch.runner` runs these steps in order.
A second run renders only what changed.

The package imports its parts lazily: a unit's own process (``python -m
evalkit.batch.worker``) must not import the whole batch machinery first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalkit.batch.runner import BatchResult, run_batch, run_batch_file

__all__ = ["BatchResult", "run_batch", "run_batch_file"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from evalkit.batch import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'evalkit.batch' has no attribute {name!r}")
