"""``evalkit batch PARAMS.yml --out DIR``: render a whole wave (see :mod:`evalkit.batch`)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from evalkit.batch.runner import DEFAULT_RETRIES, DEFAULT_TIMEOUT, run_batch_file
from evalkit.errors import JobFailed


@click.command("batch")
@click.argument("params", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Published folder: receives only the dashboards, index.html and manifest.json.")
@click.option("--work", "work", type=click.Path(file_okay=False, path_type=Path),
              help="Work folder for the prepared store, executed notebooks and staged pages "
                   "(default: a cache folder outside --out). Never inside --out.")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=None,
              help=f"Units rendered at once (default: the machine's cores, {os.cpu_count()}).")
@click.option("--engine", "engine", type=click.Choice(["fast", "kernel"]), default="fast", show_default=True,
              help="fast: warm processes, no kernel per unit; kernel: papermill's standard Jupyter kernel.")
@click.option("--executor", "executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a supervised pool on this machine; dask: a Dask distributed cluster.")
@click.option("--scheduler", "scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address (with --executor dask; default: a local cluster).")
@click.option("--force", is_flag=True, help="Render every unit, even when nothing it reads changed.")
@click.option("-p", "--parameter", "pairs", multiple=True, nargs=2, metavar="NAME VALUE",
              help="Override a shared parameter, typed by the notebooks' parameters cells (repeatable).")
@click.option("--timeout", "timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds a unit may run before it is stopped and counted as failed.")
@click.option("--retries", "retries", type=click.IntRange(min=0), default=DEFAULT_RETRIES, show_default=True,
              help="Retries of a unit whose kernel failed to start.")
@click.option("--progress/--no-progress", "progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@click.option("--strict-attack", is_flag=True,
              help="Keep aside every page in a finding of the audit's cross-page attack (a small figure that "
                   "can be worked out exactly); by default the summary only warns of them.")
def batch_command(params: Path, out: Path, work: Path | None, jobs: int | None, engine: str, executor: str,
                  scheduler: str | None, force: bool, pairs: tuple[tuple[str, str], ...], timeout: float,
                  retries: int, progress: bool | None, strict_attack: bool) -> None:
    """Render a dashboard for every unit of a batch file, plus index.html and manifest.json.

    The whole file is checked first; then the shared data work runs once into a prepared
    store, each unit is rendered in its own process, all pages are audited, and passing
    pages are published into --out. Exit 0 when every unit succeeded, 1 when any failed,
    2 for a bad batch file or folder.
    """
    code = run_batch_file(
        params, out=out, work=work, jobs=jobs, engine=engine,  # type: ignore[arg-type]
        executor=executor, scheduler=scheduler, force=force, overrides=pairs,  # type: ignore[arg-type]
        timeout=timeout, retries=retries, progress=progress, strict_attack=strict_attack,
    )
    if code:
        raise JobFailed("some units failed (see the summary above)")
