"""Read and write a canonical data folder (one Parquet file per table, fixed names).

See :mod:`evalkit.schema` for the tables. Loading validates every table and the
references between them; writing validates first, then writes each file to a
temporary name and renames it, so that an interrupted write never leaves half a table.

:func:`read_reference` is the one reader of the small reference tables (networks,
municipalities, waves, the measure catalogue, and the teams for the names of units):
the report, the importers and the batch read them through it, and
:func:`wave_problems` is the one check of a wave and a comparison wave.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Final

import polars as pl

from evalkit.schema import (
    OPTIONAL_TABLES,
    TABLE_NAMES,
    TABLES,
    SchemaError,
    check_plausible,
    check_references,
    validate_table,
)

REFERENCE_TABLES: Final = ("networks", "municipalities", "waves", "measure_catalogue")
"""The reference tables: kept by hand, checked against by an import and copied into its output."""

REFERENCE_READ: Final = ("networks", "municipalities", "teams", "waves", "measure_catalogue")
"""What :func:`read_reference` reads: the reference tables and the team register."""


class MissingTableError(FileNotFoundError):
    """A canonical data folder lacks a required table (``table``, expected at ``path``)."""

    def __init__(self, path: Path, table: str) -> None:
        super().__init__(f"{path}: missing table {table!r} in canonical data folder")
        self.path = path
        self.table = table


def wave_order(waves: pl.DataFrame) -> list[str]:
    """Wave labels of a ``waves`` table, baseline first."""
    return [str(w) for w in waves.sort("order").get_column("wave")]


def wave_problems(order: Sequence[str], wave: str, compare_wave: str | None = None) -> list[tuple[str, str]]:
    """What is wrong with a wave and a comparison wave, as (parameter, problem) pairs.

    The one wave check: callers put the parameter's name in front in their own way.

    Examples
    --------
    >>> wave_problems(["2025", "2026"], "2026", "2025")
    []
    >>> wave_problems(["2025", "2026"], "2027")
    [('wave', "'2027' is not in the data (waves: 2025, 2026)")]
    >>> wave_problems(["2025", "2026"], "2025", "2026")
    [('compare_wave', "'2026' is not earlier than wave '2025'")]
    """
    listed = f"(waves: {', '.join(order)})"
    if wave not in order:
        return [("wave", f"{wave!r} is not in the data {listed}")]
    if compare_wave is None:
        return []
    if compare_wave not in order:
        return [("compare_wave", f"{compare_wave!r} is not in the data {listed}")]
    if list(order).index(compare_wave) >= list(order).index(wave):
        return [("compare_wave", f"{compare_wave!r} is not earlier than wave {wave!r}")]
    return []


@dataclass(frozen=True)
class Reference:
    """The reference tables of a canonical data folder, with the lookups that use them.

    Read with :func:`read_reference` (or taken from loaded data with
    :meth:`CanonicalData.reference`). ``teams`` is the teams table when it was read (it
    names the units and their hosts), else an empty one.
    """

    networks: pl.DataFrame
    municipalities: pl.DataFrame
    waves: pl.DataFrame
    measure_catalogue: pl.DataFrame
    teams: pl.DataFrame = field(default_factory=lambda: TABLES["teams"].empty())

    def frames(self) -> dict[str, pl.DataFrame]:
        """The four reference tables (as an import copies them into its output)."""
        return {name: getattr(self, name) for name in REFERENCE_TABLES}

    @cached_property
    def network_names(self) -> dict[str, str]:
        """network_id -> name."""
        return {str(k): str(v) for k, v in self.networks.select("network_id", "name").iter_rows()}

    @cached_property
    def municipality_names(self) -> dict[str, str]:
        """municipality_id -> its latest name (the row valid from the latest year)."""
        rows = self.municipalities.sort("valid_from").select("municipality_id", "name").iter_rows()
        return {str(k): str(v) for k, v in rows}

    def network_name(self, network_id: str) -> str:
        return self.network_names.get(network_id, network_id)

    def municipality_name(self, municipality_id: str) -> str:
        return self.municipality_names.get(municipality_id, municipality_id)

    def wave_order(self) -> list[str]:
        """Wave labels, baseline first."""
        return wave_order(self.waves)

    def latest_wave(self) -> str:
        return self.wave_order()[-1]

    def wave_date(self, wave: str) -> dt.date | None:
        """The day a wave was collected (None for an unknown wave)."""
        row = self.waves.filter(pl.col("wave") == wave)
        return row["collected"][0] if row.height else None

    def wave_problems(self, wave: str, compare_wave: str | None = None) -> list[tuple[str, str]]:
        """:func:`wave_problems` against this folder's waves."""
        return wave_problems(self.wave_order(), wave, compare_wave)


def missing_tables(folder: str | os.PathLike[str], names: Sequence[str] = REFERENCE_TABLES) -> list[str]:
    """The tables of ``names`` that ``folder`` has no file for."""
    root = Path(folder)
    return [name for name in names if not (root / TABLES[name].file_name).is_file()]


def _read_table(path: Path, name: str, validate: bool) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a damaged file
        raise SchemaError(f"{path}: not a readable Parquet file ({exc})", file=str(path)) from exc
    return validate_table(frame, name, file=str(path)) if validate else frame


def read_reference(
    folder: str | os.PathLike[str], *, teams: bool = True, validate: bool = True
) -> Reference:
    """Read the reference tables of a canonical data folder (never respondent-level data).

    Parameters
    ----------
    folder
        A canonical data folder.
    teams
        Read the teams table too (the units' names and hosts); an import's reference
        folder needs only the four reference tables.
    validate
        Check each table against its schema (as :func:`load` does).

    Raises
    ------
    FileNotFoundError
        The folder does not exist; :class:`MissingTableError` (a FileNotFoundError) for
        the first table it lacks.
    SchemaError
        A file is not readable Parquet, or (``validate``) a table breaks its schema.

    Examples
    --------
    >>> from pathlib import Path
    >>> import evalkit
    >>> ref = read_reference(Path(evalkit.__file__).parents[1] / "data" / "sample")
    >>> ref.wave_order(), ref.municipality_name("0301")
    (['2024', '2025', '2026'], 'Oslo')
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"canonical data folder {str(root)!r} does not exist")
    frames: dict[str, pl.DataFrame] = {}
    for name in REFERENCE_READ:
        if name == "teams" and not teams:
            continue
        path = root / TABLES[name].file_name
        if not path.is_file():
            raise MissingTableError(path, name)
        frames[name] = _read_table(path, name, validate)
    return Reference(**frames)


@dataclass(frozen=True)
class CanonicalData:
    """All tables of a canonical data folder, validated."""

    respondents: pl.DataFrame
    answers: pl.DataFrame
    teams: pl.DataFrame
    measures: pl.DataFrame
    progress: pl.DataFrame
    networks: pl.DataFrame
    municipalities: pl.DataFrame
    waves: pl.DataFrame
    measure_catalogue: pl.DataFrame
    rejections: pl.DataFrame

    def tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pl.DataFrame]) -> CanonicalData:
        """Validate ``frames`` (table name → frame) and build the data set."""
        unknown = sorted(set(frames) - set(TABLE_NAMES))
        if unknown:
            raise SchemaError(f"unknown table(s): {', '.join(unknown)}")
        validated: dict[str, pl.DataFrame] = {}
        for name in TABLE_NAMES:
            if name in frames:
                validated[name] = validate_table(frames[name], name)
            elif name in OPTIONAL_TABLES:
                validated[name] = TABLES[name].empty()
            else:
                raise SchemaError(f"missing table {name!r} ({TABLES[name].file_name})")
        check_references(validated)
        check_plausible(validated)
        return cls(**validated)

    def wave_order(self) -> list[str]:
        """Wave labels, baseline first."""
        return wave_order(self.waves)

    def reference(self) -> Reference:
        """The reference tables (and the teams) of these data, without reading a file."""
        return Reference(self.networks, self.municipalities, self.waves, self.measure_catalogue, self.teams)


def load(folder: str | os.PathLike[str]) -> CanonicalData:
    """Load and validate a canonical data folder.

    Raises
    ------
    FileNotFoundError
        The folder or a required file does not exist.
    SchemaError
        A table breaks its schema; the message names the file, row, column and value.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"canonical data folder {str(root)!r} does not exist")
    frames: dict[str, pl.DataFrame] = {}
    for name in TABLE_NAMES:
        path = root / TABLES[name].file_name
        if not path.exists():
            if name in OPTIONAL_TABLES:
                continue
            raise MissingTableError(path, name)
        frames[name] = _read_table(path, name, validate=True)
    try:
        return CanonicalData.from_frames(frames)
    except SchemaError as exc:
        # Reference errors name the bare file; give the full path.
        if exc.file and not Path(exc.file).is_absolute() and (root / exc.file).exists():
            msg = str(exc).replace(exc.file, str(root / exc.file), 1)
            raise SchemaError(msg, file=str(root / exc.file), row=exc.row, column=exc.column,
                              value=exc.value, expected=exc.expected) from None
        raise


def write(data: CanonicalData, folder: str | os.PathLike[str]) -> list[Path]:
    """Write every table of ``data`` to ``folder`` atomically; returns the paths written.

    Files are written deterministically (no timestamps), so that the same data give the
    same bytes within one environment.
    """
    return _write_files({name: frame for name, frame in data.tables()
                         if not (name in OPTIONAL_TABLES and frame.height == 0)}, Path(folder))


def _write_files(frames: Mapping[str, pl.DataFrame], root: Path) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        path = root / TABLES[name].file_name
        tmp = path.with_suffix(".parquet.tmp")
        frame.write_parquet(tmp, compression="zstd", statistics=False)
        tmp.replace(path)
        written.append(path)
    return written


def write_tables(frames: Mapping[str, pl.DataFrame], folder: str | os.PathLike[str]) -> list[Path]:
    """Write some tables of a canonical folder (the reference tables, say), as :func:`write` does.

    Every frame is validated against its table's schema before the first file is written
    (raises :class:`SchemaError`, writing nothing); other tables in ``folder`` are left alone.
    """
    unknown = sorted(set(frames) - set(TABLE_NAMES))
    if unknown:
        raise SchemaError(f"unknown table(s): {', '.join(unknown)}")
    checked = {name: validate_table(frame, name) for name, frame in frames.items()}
    return _write_files(checked, Path(folder))


def folder_hash(folder: str | os.PathLike[str]) -> str:
    """SHA-256 over the canonical files of a folder (names and bytes), for caches."""
    digest = hashlib.sha256()
    root = Path(folder)
    for name in TABLE_NAMES:
        path = root / TABLES[name].file_name
        if path.exists():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
