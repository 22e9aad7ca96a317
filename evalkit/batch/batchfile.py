"""The ``kind: batch`` file as pydantic models: its shape, before anything is looked up.

:func:`read_batch_file` reads the YAML (:mod:`evalkit.yamlio`: ``0301`` stays text) into
a :class:`BatchFile` — which keys exist, which sections, what each ``units:`` entry is —
and turns pydantic's errors into lines naming the field. What the values mean (the
notebooks' parameters, the data's units and waves) is the plan's work
(:mod:`evalkit.batch.plan`). The format is described in :mod:`evalkit.batch.config`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from evalkit.batch.model import SECTIONS, UnitLevel
from evalkit.errors import InputError
from evalkit.yamlio import load_file

_EXCEL: Final = (".xlsx", ".xlsm", ".xls", ".ods")


def parameters_mapping(value: Any) -> Any:
    """A ``parameters:`` entry: a mapping of name: value (empty when left blank)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of name: value")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitsFile(_Model):
    """``{file: kommuner.xlsx, column: kommunenr}``: the units are one column of a CSV or
    Excel file (relative to the batch file), optionally of one ``sheet``."""

    file: str
    column: str
    sheet: str | int | None = None

    def path(self, base: Path) -> Path:
        return (base / self.file).resolve()

    def values(self, base: Path) -> list[Any]:
        """The column's non-empty cells (as stored: text from a CSV file, numbers from Excel).

        Raises :class:`InputError` (without the batch file's field: the caller names it).
        """
        import polars as pl

        path = self.path(base)
        if not path.is_file():
            raise InputError(f"units file {path} not found")
        try:
            if path.suffix.lower() in _EXCEL:
                frame = pl.read_excel(path, sheet_name=str(self.sheet)) if self.sheet else pl.read_excel(path)
            else:
                frame = _read_text_table(path)
        except Exception as exc:  # polars, fastexcel and the text decoder raise several kinds
            raise InputError(f"cannot read units file {path} ({exc})") from None
        if self.column not in frame.columns:
            raise InputError(
                f"units file {path.name} has no column {self.column!r} (columns: {', '.join(frame.columns)})"
            )
        return [v for v in frame[self.column].to_list() if v is not None and str(v).strip() != ""]


def _read_text_table(path: Path) -> Any:
    """A CSV or TSV file as text columns (``"0301"`` stays ``"0301"``; a lost zero is
    restored later): the encoding and the separator are found as for survey exports."""
    import polars as pl

    from evalkit.textfile import decode, sniff_separator

    text, _ = decode(path.read_bytes(), str(path))
    return pl.read_csv(text.encode("utf-8"), separator=sniff_separator(text, str(path)), infer_schema=False)


class UnitsOfNetworks(_Model):
    """``{networks: [ost]}``: every municipality with a team in these networks."""

    networks: tuple[str, ...]

    @field_validator("networks", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value:
            raise ValueError("give a list of network ids")
        return [str(n) for n in value]


def _units_shape(value: Any) -> str | None:
    if value == "all":
        return "all"
    if isinstance(value, (list, tuple)):
        return "ids"
    if isinstance(value, dict) and "file" in value:
        return "file"
    if (isinstance(value, dict) and set(value) == {"networks"}) or isinstance(value, UnitsOfNetworks):
        return "networks"
    return "file" if isinstance(value, UnitsFile) else None


_UNIT_TAGS: Final = frozenset({"all", "ids", "file", "networks"})
_ALL = Annotated[Literal["all"], Tag("all")]
_IDS = Annotated[tuple[Any, ...], Tag("ids")]
_FILE = Annotated[UnitsFile, Tag("file")]
_OF_NETWORKS = Annotated[UnitsOfNetworks, Tag("networks")]
_SELECTION = "all, a list of ids, {file: ..., column: ...}"

NetworkUnits = Annotated[
    _ALL | _IDS | _FILE,
    Discriminator(_units_shape, custom_error_type="units", custom_error_message=f"units must be {_SELECTION}"),
]
MunicipalityUnits = Annotated[
    _ALL | _IDS | _FILE | _OF_NETWORKS,
    Discriminator(_units_shape, custom_error_type="units",
                  custom_error_message=f"units must be {_SELECTION} or {{networks: [...]}}"),
]
UnitsSpec = Literal["all"] | tuple[Any, ...] | UnitsFile | UnitsOfNetworks
"""Which units of a section: all of the data's, a list of ids, a column of a file, or
(municipalities) those of some networks. Ids are checked against the data by the plan."""


class _Section(_Model):
    notebook: str
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("notebook", mode="before")
    @classmethod
    def _notebook(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("'notebook' must name a notebook file")
        return value

    _mapping = field_validator("parameters", mode="before")(classmethod(lambda cls, value: parameters_mapping(value)))

    @field_validator("units", mode="before", check_fields=False)
    @classmethod
    def _none_is_all(cls, value: Any) -> Any:
        return "all" if value is None else value


class NetworkSection(_Section):
    """``networks:``: the network report's notebook, its units and own parameters."""

    units: NetworkUnits = "all"


class MunicipalitySection(_Section):
    """``municipalities:``: the municipality report's notebook, its units and own parameters."""

    units: MunicipalityUnits = "all"


class BatchFile(_Model):
    """A whole ``kind: batch`` file (paths in it are relative to the file)."""

    kind: Literal["batch"]
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Shared by every notebook of the batch."""
    networks: NetworkSection | None = None
    municipalities: MunicipalitySection | None = None

    @field_validator("description", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return str(value or "")

    _mapping = field_validator("parameters", mode="before")(classmethod(lambda cls, value: parameters_mapping(value)))

    @field_validator("networks", "municipalities", mode="before")
    @classmethod
    def _section(cls, value: Any) -> Any:
        if not isinstance(value, (dict, _Section)):
            raise ValueError("expected a mapping with notebook and units")
        return value

    @model_validator(mode="after")
    def _some_units(self) -> BatchFile:
        if self.networks is None and self.municipalities is None:
            raise ValueError("name at least one kind of unit: a 'networks' or a 'municipalities' section")
        return self

    def sections(self) -> Iterator[tuple[str, UnitLevel, NetworkSection | MunicipalitySection]]:
        """``(name, level, section)`` of the sections present, networks first."""
        for name, level in SECTIONS.items():
            section = getattr(self, name)
            if section is not None:
                yield name, level, section


def _allowed_at(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the model at ``loc`` (a place in the file, unit tags kept) takes."""
    model: type[BaseModel] = BatchFile
    if len(loc) >= 1:
        model = NetworkSection
    if len(loc) >= 3 and loc[1] == "units":
        model = UnitsFile if loc[2] == "file" else UnitsOfNetworks
    return sorted(model.model_fields)


def _place(loc: tuple[str | int, ...]) -> str:
    """A place in the file as the user writes it: ``municipalities.units`` (no union tags)."""
    parts = [str(p) for i, p in enumerate(loc) if not (i and loc[i - 1] == "units" and p in _UNIT_TAGS)]
    return ".".join(parts)


def explain(exc: ValidationError) -> list[str]:
    """One line per problem of a batch file, each naming its field."""
    problems: list[str] = []
    unknown: dict[tuple[str | int, ...], list[str]] = {}
    # The file's own keys first, then the sections' (pydantic lists unknown keys last).
    for error in sorted(exc.errors(), key=lambda e: len(e["loc"]) > 1):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            if loc[:-1] not in unknown:
                unknown[loc[:-1]] = []
                problems.append("")  # its place: filled in below, once every key is known
            unknown[loc[:-1]].append(str(loc[-1]))
            continue
        where = _place(loc)
        if kind == "missing":
            where, msg = _place(loc[:-1]), f"{str(loc[-1])!r} is missing"
        else:
            msg = error["msg"].removeprefix("Value error, ")
            if kind == "units":
                msg += f"; got {error['input']!r}"
        problems.append(f"{where}: {msg}" if where else msg)
    for parent, keys in unknown.items():
        where = _place(parent)
        line = f"unknown key(s) {', '.join(sorted(keys))} (allowed: {', '.join(_allowed_at(parent))})"
        problems[problems.index("")] = f"{where}: {line}" if where else line
    return problems


def _without(raw: dict[str, Any], errors: list[Any]) -> dict[str, Any]:
    """``raw`` without the parts in error: a whole top-level key, a key of a section, or a
    section whose notebook is wrong (a section is nothing without its notebook)."""
    kept = {k: dict(v) if k in SECTIONS and isinstance(v, dict) else v for k, v in raw.items()}
    for error in errors:
        loc = error["loc"]
        if not loc or loc[0] not in kept:
            continue
        if loc[0] in SECTIONS and len(loc) >= 2 and loc[1] != "notebook" and isinstance(kept[loc[0]], dict):
            kept[loc[0]].pop(loc[1], None)
        else:
            kept.pop(loc[0])
    return kept


def read_batch_file(path: Path) -> tuple[BatchFile | None, list[str]]:
    """The batch file's model and its problems (an empty list when its shape is right).

    With problems, the model holds the parts that are right on their own, so that the
    plan can still check them and every problem of the file is listed at once; it is
    None when nothing can be checked. A file that is not YAML, not a mapping or not of
    ``kind: batch`` raises :class:`InputError` at once.
    """
    raw = load_file(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping with kind: batch, parameters and the units' sections")
    if raw.get("kind") != "batch":
        raise InputError(f"{path}: kind is {raw.get('kind')!r}; `evalkit batch` needs a file with 'kind: batch'")
    try:
        return BatchFile.model_validate(raw), []
    except ValidationError as exc:
        problems = explain(exc)
        errors = exc.errors()
    try:
        return BatchFile.model_validate(_without(raw, errors)), problems
    except ValidationError:
        return None, problems


__all__ = [
    "BatchFile", "MunicipalitySection", "NetworkSection", "UnitsFile", "UnitsOfNetworks", "UnitsSpec",
    "explain", "read_batch_file",
]
