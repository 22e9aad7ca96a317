"""evalkit's papermill engine: execute a notebook's cells in this process, without a kernel.

Starting a Jupyter kernel costs ~1.5 s of CPU (plus importing evalkit again, ~3 s) while
a dashboard's own work is far less. The ``evalkit`` engine, registered with papermill
(``papermill -e evalkit`` or ``pm.execute_notebook(..., engine_name="evalkit")``), runs
the cells in an IPython shell inside the calling process and records their outputs
as a kernel would (a figure's JupyterLab copy of its Vega-Lite spec excepted: the page
never reads it): ``execute_result`` from the display hook, ``display_data``
from ``display()``, ``stream`` from print and ``error`` with the traceback, so the page
export (:mod:`evalkit.render`) sees the same notebook either way.

Because the cells run in the calling process, that process must be fresh for each
unit: the batch runs every unit in its own child forked from a warm fork server
(:mod:`evalkit.batch.pool`), so a unit that changes global state, a module attribute,
the working directory or an Altair setting cannot affect the next one.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any, ClassVar, TextIO

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from papermill.engines import Engine, papermill_engines
from traitlets import Type
from traitlets.config import Config

from evalkit.figure import FIGURE_MIME, LAB_VEGALITE_MIME

ENGINE_NAME = "evalkit"


class CellTimeout(Exception):
    """A cell ran longer than the execution timeout."""


def _output(output_type: str, **fields: Any) -> Any:
    """A notebook output, as ``nbformat.v4.new_output`` makes it, without validating
    each one on its own (papermill validates the notebook when it writes it)."""
    output = nbformat.NotebookNode(output_type=output_type)
    if output_type in ("display_data", "execute_result"):
        fields["data"] = nbformat.from_dict(fields.get("data", {}))
        fields["metadata"] = nbformat.from_dict(fields.get("metadata", {}))
    output.update(fields)
    return output


class _Outputs:
    """The outputs of the cell being executed (shared by the hooks below)."""

    current: ClassVar[list[Any]] = []

    @classmethod
    def add(cls, output: Any) -> None:
        cls.current.append(output)


class _DisplayPublisher(DisplayPublisher):
    def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None, source: Any = None,
                *, transient: Any = None, update: bool = False, **kwargs: Any) -> None:
        if FIGURE_MIME in data:
            # A figure's Vega-Lite copy is for JupyterLab; the page draws the spec inside
            # the figure's HTML. Left out, the executed notebook is half the JSON to write.
            data = {k: v for k, v in data.items() if k != LAB_VEGALITE_MIME}
        _Outputs.add(_output("display_data", data=data, metadata=metadata or {}))

    def clear_output(self, wait: bool = False) -> None:
        _Outputs.current.clear()


class _DisplayHook(DisplayHook):
    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None) -> None:
        _Outputs.add(_output("execute_result", data=format_dict, metadata=md_dict or {},
                             execution_count=self.prompt_count))

    def finish_displayhook(self) -> None:
        self._is_active = False


class _Stream:
    """A text stream that becomes ``stream`` outputs (consecutive writes merged)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        if text:
            last = _Outputs.current[-1] if _Outputs.current else None
            if last is not None and last.get("output_type") == "stream" and last.get("name") == self.name:
                last["text"] += text
            else:
                _Outputs.add(_output("stream", name=self.name, text=text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class NotebookShell(InteractiveShell):
    """An IPython shell whose outputs become notebook outputs, like a kernel's."""

    displayhook_class = Type(_DisplayHook)
    display_pub_class = Type(_DisplayPublisher)

    def _showtraceback(self, etype: type[BaseException], evalue: BaseException, stb: list[str]) -> None:
        _Outputs.add(_output("error", ename=etype.__name__, evalue=str(evalue), traceback=list(stb)))

    def enable_gui(self, gui: Any = None) -> None:
        pass


def notebook_shell() -> NotebookShell:
    """The process's shell (created once; in the batch, once per fresh child)."""
    if NotebookShell.initialized():
        shell = NotebookShell.instance()
        assert isinstance(shell, NotebookShell)
        return shell
    config = Config()
    config.HistoryManager.enabled = False  # no SQLite file, no history thread
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    config.InteractiveShell.xmode = "Context"
    shell = NotebookShell.instance(config=config)
    assert isinstance(shell, NotebookShell)
    return shell


@contextlib.contextmanager
def _captured(outputs: list[Any]) -> Iterator[None]:
    _Outputs.current = outputs
    old_out, old_err = sys.stdout, sys.stderr
    out: TextIO = _Stream("stdout")  # type: ignore[assignment]
    err: TextIO = _Stream("stderr")  # type: ignore[assignment]
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        _Outputs.current = []


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CellTimeout` inside the cell after ``seconds`` (main thread only)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CellTimeout(f"the cell ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cells(nb_man: Any, execution_timeout: float | None = None) -> None:
    """Execute the code cells of papermill's managed notebook, stopping at the first error."""
    shell = notebook_shell()
    for index, cell in enumerate(nb_man.nb.cells):
        if cell.cell_type != "code":
            continue
        failed = False
        try:
            nb_man.cell_start(cell, index)
            outputs: list[Any] = []
            cell.execution_count = shell.execution_count
            with _captured(outputs), _time_limit(execution_timeout):
                result = shell.run_cell(cell.source, store_history=True, silent=False)  # type: ignore[no-untyped-call]
            cell.outputs = outputs
            if not result.success:
                if not any(o.get("output_type") == "error" for o in outputs):
                    error = result.error_before_exec or result.error_in_exec
                    cell.outputs.append(_output("error", ename=type(error).__name__, evalue=str(error),
                                                traceback=[]))
                failed = True
                nb_man.cell_exception(cell, cell_index=index, exception=result.error_in_exec)
        finally:
            nb_man.cell_complete(cell, cell_index=index)
        if failed:
            break


class EvalkitEngine(Engine):  # type: ignore[misc]
    """papermill engine ``evalkit``: the cells run in this process (see the module docstring)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str | None,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        run_cells(nb_man, execution_timeout=execution_timeout)
        return nb_man.nb


papermill_engines.register(ENGINE_NAME, EvalkitEngine)

__all__ = ["ENGINE_NAME", "CellTimeout", "EvalkitEngine", "NotebookShell", "notebook_shell", "run_cells"]
