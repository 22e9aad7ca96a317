"""Run one report notebook for one unit and write its dashboard (``evalkit run``).

The notebook is executed with papermill (parameters injected after the cell tagged
``parameters``), then exported with evalkit's own template (:mod:`evalkit.render`). The
executed notebook lives in a work folder; only the HTML is written to the requested
path, via a temporary name, so that a failed run never leaves half a page.

A notebook's parameters, their types and the ``kind: run`` file are
:mod:`evalkit.params`'s; ``evalkit demo`` is :mod:`evalkit.cli`'s.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import InputError, JobFailed
from evalkit.params import (
    RunFile,
    check_parameters,
    coerce,
    load_run_file,
    notebook_parameters,
    resolve_paths,
)


@dataclass(frozen=True)
class RunResult:
    html: Path
    executed: Path
    seconds: float
    size_bytes: int


def execute_notebook(
    notebook: Path,
    parameters: dict[str, Any],
    executed: Path,
    *,
    engine_name: str | None = None,
    timeout: float | None = 600,
    kernel_name: str = "python3",
) -> Any:
    """Execute ``notebook`` with papermill into ``executed``; returns the NotebookNode."""
    import papermill as pm

    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        return pm.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            engine_name=engine_name,
            kernel_name=kernel_name,
            progress_bar=False,
            cwd=str(notebook.parent),
            execution_timeout=timeout,
        )
    except pm.PapermillExecutionError as exc:
        raise JobFailed(f"{notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None


def run_report(
    notebook: str | os.PathLike[str],
    parameters: dict[str, Any],
    html_out: str | os.PathLike[str],
    *,
    work_dir: str | os.PathLike[str] | None = None,
    engine_name: str | None = None,
    timeout: float | None = 600,
    bundle_href: str | None = None,
) -> RunResult:
    """Execute one report notebook and write its dashboard page.

    Raises :class:`InputError` for bad parameters (checked before anything runs) and
    :class:`JobFailed` when the notebook raises.
    """
    start = time.perf_counter()
    nb_path = Path(notebook).resolve()
    problems = check_parameters(nb_path, parameters)
    if problems:
        raise InputError("; ".join(problems))
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="evalkit-run-"))
    out = Path(html_out)
    executed = work / "executed" / (out.stem + ".ipynb")
    # nbformat and nbconvert cost ~2 s to import: only commands that render pay for them.
    import nbformat

    from evalkit.render import export_html, write_text_atomic

    nb = execute_notebook(nb_path, parameters, executed, engine_name=engine_name, timeout=timeout)
    page = export_html(nbformat.from_dict(nb), bundle_href=bundle_href)
    write_text_atomic(out, page)
    return RunResult(out, executed, time.perf_counter() - start, len(page.encode("utf-8")))


# --- commands ------------------------------------------------------------------------

import click  # noqa: E402 - the commands below are the module's CLI face


def _merge_parameters(notebook: Path, pairs: tuple[tuple[str, str], ...], base: dict[str, Any]) -> dict[str, Any]:
    declared = notebook_parameters(notebook)
    merged = dict(base)
    problems = []
    for name, raw in pairs:
        if name not in declared:
            problems.append(f"-p {name}: unknown parameter (the notebook takes {', '.join(declared)})")
            continue
        try:
            merged[name] = coerce(raw, declared[name])
        except InputError as exc:
            problems.append(f"-p {name}: {exc}")
    if problems:
        raise InputError("; ".join(problems))
    return resolve_paths(merged, Path.cwd()) if pairs else merged


@click.command("run")
@click.argument("notebook", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-p", "--parameter", "pairs", multiple=True, nargs=2, metavar="NAME VALUE",
              help="A parameter, typed by the notebook's parameters cell (repeatable).")
@click.option("-f", "--file", "run_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A 'kind: run' parameter file (names the notebook and its parameters).")
@click.option("--html", "html_out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the dashboard page.")
@click.option("--work", "work_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Work folder for the executed notebook (default: a temporary folder).")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds a cell may run.")
def run_command(notebook: Path | None, pairs: tuple[tuple[str, str], ...], run_file: Path | None,
                html_out: Path, work_dir: Path | None, timeout: float) -> None:
    """Run one report notebook for one unit and write its dashboard page."""
    base: dict[str, Any] = {}
    if run_file is not None:
        loaded = load_run_file(run_file)
        if notebook is not None and notebook.resolve() != loaded.notebook:
            raise InputError(f"{run_file} names notebook {loaded.notebook}, but {notebook} was given")
        notebook = loaded.notebook
        base = loaded.parameters
    if notebook is None:
        raise InputError("give a NOTEBOOK or a -f PARAMS.yml file of kind 'run'")
    parameters = _merge_parameters(notebook.resolve(), pairs, base)
    result = run_report(notebook, parameters, html_out, work_dir=work_dir, timeout=timeout)
    from evalkit.audit import audit_pages

    report = audit_pages([result.html], data_dir=parameters.get("data_dir"))
    if report.findings:
        result.html.unlink()
        click.echo(report.text(), err=True)
        raise JobFailed(f"the page failed the disclosure audit ({len(report.findings)} finding(s)); nothing was written")
    click.echo(f"wrote {result.html} ({result.size_bytes / 1e6:.2f} MB, {result.seconds:.1f} s)")


@click.command("inspect")
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
def inspect_command(notebook: Path) -> None:
    """Show a notebook's parameters, their types and defaults."""
    params = notebook_parameters(notebook)
    width = max(len(n) for n in params)
    click.echo(f"{notebook} takes:")
    for p in params.values():
        click.echo(f"  {p.name:<{width}}  {p.type_name:<15}  default {p.default}")


__all__ = ["RunFile", "RunResult", "execute_notebook", "load_run_file", "run_report"]
