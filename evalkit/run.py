"""Run one report notebook for one unit and write its dashboard (``evalkit run``).

The notebook is executed with papermill (parameters injected after the cell tagged
``parameters``), then exported with evalkit's own template (:mod:`evalkit.render`). The
executed notebook lives in a work folder; only the HTML is written to the requested
path, via a temporary name, so that a failed run never leaves half a page.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import InputError, JobFailed
from evalkit.yamlio import load_file

PATH_PARAMETERS = frozenset({"data_dir", "prepared_dir", "instrument"})
"""Parameters that name files or folders: resolved to absolute paths before a run, since
the notebook runs in its own folder."""

_NONE_WORDS = frozenset({"", "none", "null", "~"})


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of a notebook's ``parameters`` cell (from papermill's inspect)."""

    name: str
    type_name: str
    default: str

    @property
    def optional(self) -> bool:
        return self.type_name.startswith("Optional[") or self.default == "None"

    @property
    def base_type(self) -> str:
        name = self.type_name
        if name.startswith("Optional[") and name.endswith("]"):
            name = name[len("Optional[") : -1]
        return name


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, with their types and defaults.

    Raises :class:`InputError` when the notebook is missing or has no ``parameters`` cell.
    """
    from papermill.inspection import inspect_notebook

    path = Path(notebook)
    if not path.is_file():
        raise InputError(f"{path}: notebook not found")
    try:
        found = inspect_notebook(str(path))
    except Exception as exc:  # papermill raises several kinds for unreadable notebooks
        raise InputError(f"{path}: cannot read the notebook's parameters ({exc})") from None
    if not found:
        raise InputError(f"{path}: the notebook has no cell tagged 'parameters'")
    return {
        name: NotebookParameter(name, str(info["inferred_type_name"]), str(info["default"]))
        for name, info in found.items()
    }


def coerce(raw: str, parameter: NotebookParameter) -> Any:
    """Turn a command-line value into the parameter's declared type.

    A municipality number stays text (``"0301"``); ``none`` gives None for an optional
    parameter; a value that does not fit the type is an :class:`InputError`.

    Examples
    --------
    >>> coerce("0301", NotebookParameter("municipality_id", "str", '"0301"'))
    '0301'
    >>> coerce("12", NotebookParameter("min_cell_n", "int", "5"))
    12
    >>> coerce("none", NotebookParameter("compare_wave", "Optional[str]", '"2025"')) is None
    True
    """
    text = raw.strip()
    if parameter.optional and text.lower() in _NONE_WORDS:
        return None
    kind = parameter.base_type
    if kind == "int":
        try:
            return int(text, 10)
        except ValueError:
            raise InputError(f"parameter {parameter.name}: {raw!r} is not a whole number") from None
    if kind == "float":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise InputError(f"parameter {parameter.name}: {raw!r} is not a number") from None
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "ja"):
            return True
        if lowered in ("false", "no", "0", "nei"):
            return False
        raise InputError(f"parameter {parameter.name}: {raw!r} is not true or false")
    return raw


def check_parameters(
    notebook: str | os.PathLike[str], parameters: dict[str, Any], *, source: str = "parameters"
) -> list[str]:
    """Problems with ``parameters`` against the notebook's parameters cell (empty if none)."""
    declared = notebook_parameters(notebook)
    problems = []
    for name in parameters:
        if name not in declared:
            problems.append(
                f"{source}: unknown parameter {name!r} for {Path(notebook).name} "
                f"(it takes {', '.join(declared)})"
            )
    for name, value in parameters.items():
        parameter = declared.get(name)
        if parameter is None or value is None:
            continue
        kind = parameter.base_type
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, (int, float)) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "str": isinstance(value, str),
        }.get(kind, True)
        if not ok:
            problems.append(f"{source}: parameter {name!r} should be {kind}, got {value!r}")
    return problems


@dataclass(frozen=True)
class RunFile:
    """A ``kind: run`` parameter file: a notebook and its parameters."""

    path: Path
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)


def load_run_file(path: str | os.PathLike[str]) -> RunFile:
    """Read and check a ``kind: run`` file; paths in it are relative to the file."""
    p = Path(path)
    raw = load_file(p)
    if not isinstance(raw, dict):
        raise InputError(f"{p}: expected a mapping with kind, notebook and parameters")
    kind = raw.get("kind")
    if kind != "run":
        raise InputError(f"{p}: kind is {kind!r}; this command needs a file with 'kind: run'")
    unknown = sorted(set(raw) - {"kind", "notebook", "parameters", "description"})
    if unknown:
        raise InputError(f"{p}: unknown key(s) {', '.join(unknown)} (allowed: kind, notebook, parameters, description)")
    if not isinstance(raw.get("notebook"), str):
        raise InputError(f"{p}: 'notebook' must name a notebook file")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InputError(f"{p}: 'parameters' must be a mapping of name: value")
    notebook = (p.parent / raw["notebook"]).resolve()
    resolved = resolve_paths(parameters, p.parent)
    return RunFile(p, notebook, resolved)


def resolve_paths(parameters: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make path parameters absolute (relative to ``base``)."""
    out = dict(parameters)
    for name in PATH_PARAMETERS & set(out):
        value = out[name]
        if isinstance(value, str) and value:
            out[name] = str((base / value).resolve())
    return out


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

from evalkit.errors import ExitCode  # noqa: E402


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


@click.command("demo")
@click.option("--out", "out", default=Path("build/demo"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the dashboards.")
def demo_command(out: Path) -> None:
    """Render the sample dashboards (what `make demo` runs)."""
    repo = Path(__file__).resolve().parents[1]
    params = repo / "params"
    batch_file = params / "sample_batch.yml"
    if batch_file.exists():
        from evalkit.batch import run_batch_file

        code = run_batch_file(batch_file, out=out)
        if code != ExitCode.OK:
            raise JobFailed("the demo batch had failures (see above)")
        click.echo(f"open {(out / 'index.html').resolve()}")
        return
    written = []
    for run_file in sorted(params.glob("sample_*.yml")):
        loaded = load_run_file(run_file)
        target = out / f"{run_file.stem}.html"
        run_report(loaded.notebook, loaded.parameters, target)
        written.append(target)
    for path in written:
        click.echo(f"open {path.resolve()}")
