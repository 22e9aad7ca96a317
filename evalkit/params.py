"""Notebook parameters: the one place that knows them, their types and their values.

Two sides of the same parameters live here:

* **The report's own models** (pydantic). A report notebook's ``parameters`` cell holds
  plain defaults that run the sample data; the first thing the notebook does is hand them
  to :func:`network_parameters` or :func:`municipality_parameters`, which check types and
  values and raise :class:`ParameterError` naming every bad parameter at once.
  :func:`shared_parameters` checks the values every unit of a batch shares (no unit id).
* **A notebook's parameters cell, seen from outside** (``evalkit run``, ``evalkit
  inspect``, the batch check): :func:`notebook_parameters` reads the declared names,
  types and defaults (papermill's inspect), :func:`coerce` types a command-line value,
  :func:`check_parameters` checks given values against the declaration, and
  :func:`load_run_file` reads a ``kind: run`` parameter file. :data:`PATH_PARAMETERS`
  (the model's path fields) are resolved to absolute paths by :func:`resolve_paths`.

Municipality numbers are 4-digit strings with meaningful leading zeros. papermill's
``-p municipality_id 0301`` passes the integer 301: an int is given its zero back
(``"0301"``) and then checked against the data's municipalities, so a number that became
another number is refused rather than silently reported on.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from evalkit.errors import InputError
from evalkit.yamlio import load_file

ReportKind = Literal["network", "municipality"]


class ParameterError(InputError, ValueError):
    """One or more notebook parameters are wrong; the message lists each of them."""


class ReportParameters(BaseModel):
    """Parameters shared by every report notebook."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    wave: str | None = Field(None, description="wave to report (default: the latest)")
    compare_wave: str | None = Field(None, description="an earlier wave to compare with")
    data_dir: Path = Field(Path("../data/sample"), description="a canonical data folder")
    prepared_dir: Path | None = Field(None, description="the batch's prepared store")
    instrument: Path | None = Field(None, description="an instrument file (default: evalkit's)")
    language: Literal["nb", "nn", "en"] = "nb"
    min_unit_n: int = Field(10, ge=1, le=1000, description="respondents a unit needs for its own results")
    min_cell_n: int = Field(5, ge=1, le=1000, description="people a figure needs to be shown")
    static_charts: bool = Field(False, description="also embed a static SVG of every chart")

    @field_validator("wave", "compare_wave", mode="before")
    @classmethod
    def _wave_text(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError("must be a wave label such as '2026'")
        return str(value)

    @field_validator("prepared_dir", "instrument", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _thresholds(self) -> ReportParameters:
        if self.min_cell_n > self.min_unit_n:
            raise ValueError(
                f"min_cell_n ({self.min_cell_n}) may not be larger than min_unit_n ({self.min_unit_n})"
            )
        if self.compare_wave is not None and self.compare_wave == self.wave:
            raise ValueError("compare_wave must be an earlier wave than wave, not the same one")
        return self


class NetworkParameters(ReportParameters):
    kind: Literal["network"] = "network"
    network_id: str = Field(description="the network; empty: the data's first network (by id)")


class MunicipalityParameters(ReportParameters):
    kind: Literal["municipality"] = "municipality"
    municipality_id: str = Field(
        description="the municipality; empty: the data's first municipality with a team (by number)"
    )

    @field_validator("municipality_id", mode="before")
    @classmethod
    def _four_digits(cls, value: Any) -> str:
        if value == "":
            return ""  # an evaluation folder's notebook: the report picks the first unit
        # polars is imported only when a report's parameters are checked, not for `--help`.
        from evalkit.schema import normalise_municipality_id

        return normalise_municipality_id(value)


def _explain(exc: ValidationError, title: str) -> ParameterError:
    problems = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]) or "(parameters)"
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown parameter"
        given = error.get("input")
        shown = "" if error["type"] in ("missing", "extra_forbidden") or isinstance(given, dict) else f" (got {given!r})"
        problems.append(f"{name}: {msg}{shown}")
    return ParameterError(f"{title}: " + "; ".join(problems))


def _checked(model: type[ReportParameters], kind: ReportKind, values: dict[str, Any]) -> Any:
    try:
        return model(**values)
    except ValidationError as exc:
        raise _explain(exc, f"bad parameters for the {kind} report") from None


def shared_parameters(kind: ReportKind, **values: Any) -> ReportParameters:
    """Check the parameters a report's units share — all but the unit's id.

    A batch checks its shared values once, before it knows (or needs) any unit.

    Examples
    --------
    >>> shared_parameters("network", min_cell_n=5, min_unit_n=3)
    Traceback (most recent call last):
    ...
    evalkit.params.ParameterError: bad parameters for the network report: (parameters): min_cell_n (5) may not be larger than min_unit_n (3)
    """
    result: ReportParameters = _checked(ReportParameters, kind, values)
    return result


def network_parameters(**values: Any) -> NetworkParameters:
    """Check a network report's parameters.

    Examples
    --------
    >>> network_parameters(network_id="ost", min_cell_n="x").min_cell_n
    Traceback (most recent call last):
    ...
    evalkit.params.ParameterError: bad parameters for the network report: min_cell_n: Input should be a valid integer, unable to parse string as an integer (got 'x')
    """
    result: NetworkParameters = _checked(NetworkParameters, "network", values)
    return result


def municipality_parameters(**values: Any) -> MunicipalityParameters:
    """Check a municipality report's parameters.

    Examples
    --------
    >>> municipality_parameters(municipality_id=301).municipality_id
    '0301'
    """
    result: MunicipalityParameters = _checked(MunicipalityParameters, "municipality", values)
    return result


# --- a notebook's parameters cell, seen from outside -----------------------------------

def _is_path_field(annotation: Any) -> bool:
    return annotation is Path or Path in get_args(annotation)


PATH_PARAMETERS: Final = frozenset(
    name for name, info in ReportParameters.model_fields.items() if _is_path_field(info.annotation)
)
"""Parameters that name files or folders (the report model's path fields): resolved to
absolute paths before a run, since the notebook runs in its own folder.

>>> sorted(PATH_PARAMETERS)
['data_dir', 'instrument', 'prepared_dir']
"""


def resolve_paths(parameters: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make path parameters absolute (relative to ``base``); other values are kept."""
    out = dict(parameters)
    for name in PATH_PARAMETERS & set(out):
        value = out[name]
        if isinstance(value, str) and value:
            out[name] = str((base / value).resolve())
    return out


_NONE_WORDS: Final = frozenset({"", "none", "null", "~"})

_TYPES: Final[dict[str, TypeAdapter[Any]]] = {
    name: TypeAdapter(kind, config=ConfigDict(strict=True))
    for name, kind in (("int", int), ("float", float), ("bool", bool), ("str", str))
}
"""The declared types evalkit checks values against (strictly: ``5`` is not text, ``True``
is not a number); a parameter of any other type is taken as it is given."""


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

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has the declared type (None is left to the notebook).

        >>> NotebookParameter("min_cell_n", "int", "5").accepts(True)
        False
        >>> NotebookParameter("ratio", "float", "0.5").accepts(1)
        True
        """
        adapter = _TYPES.get(self.base_type)
        if value is None or adapter is None:
            return True
        try:
            adapter.validate_python(value)
        except ValidationError:
            return False
        return True

    def literal_default(self) -> tuple[bool, Any]:
        """(True, value) when the parameters cell gives a literal default, else (False, None).

        Examples
        --------
        >>> NotebookParameter("wave", "str", '"2026"').literal_default()
        (True, '2026')
        >>> NotebookParameter("data_dir", "str", "Path.home()").literal_default()
        (False, None)
        """
        try:
            return True, ast.literal_eval(self.default)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return False, None


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
    return check_declared(declared, parameters, notebook=Path(notebook).name, source=source)


def check_declared(
    declared: dict[str, NotebookParameter], parameters: dict[str, Any], *, notebook: str, source: str
) -> list[str]:
    """:func:`check_parameters` against an already inspected parameters cell."""
    problems = [
        f"{source}: unknown parameter {name!r} for {notebook} (it takes {', '.join(declared)})"
        for name in parameters
        if name not in declared
    ]
    for name, value in parameters.items():
        parameter = declared.get(name)
        if parameter is not None and not parameter.accepts(value):
            problems.append(f"{source}: parameter {name!r} should be {parameter.base_type}, got {value!r}")
    return problems


# --- the ``kind: run`` parameter file ---------------------------------------------------

_RUN_KEYS: Final = ("kind", "notebook", "parameters", "description")


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
    unknown = sorted(set(raw) - set(_RUN_KEYS))
    if unknown:
        raise InputError(f"{p}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(_RUN_KEYS)})")
    if not isinstance(raw.get("notebook"), str):
        raise InputError(f"{p}: 'notebook' must name a notebook file")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InputError(f"{p}: 'parameters' must be a mapping of name: value")
    notebook = (p.parent / raw["notebook"]).resolve()
    return RunFile(p, notebook, resolve_paths(parameters, p.parent))
