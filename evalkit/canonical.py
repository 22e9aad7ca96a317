"""Read and write a canonical data folder (one Parquet file per table, fixed names).

See :mod:`evalkit.schema` for the tables. Loading validates every table and the
references between them; writing validates first, then writes each file to a
temporary name and renames it, so that an interrupted write never leaves half a table.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl

from evalkit.schema import (
    OPTIONAL_TABLES,
    TABLE_NAMES,
    TABLES,
    SchemaError,
    check_references,
    validate_table,
)


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
        return cls(**validated)

    def wave_order(self) -> list[str]:
        """Wave labels, baseline first."""
        return self.waves.sort("order").get_column("wave").to_list()


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
            raise FileNotFoundError(f"{path}: missing table {name!r} in canonical data folder")
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises several kinds for a damaged file
            raise SchemaError(f"{path}: not a readable Parquet file ({exc})", file=str(path)) from exc
        try:
            frames[name] = validate_table(frame, name, file=str(path))
        except SchemaError:
            raise
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
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in data.tables():
        if name in OPTIONAL_TABLES and frame.height == 0:
            continue
        path = root / TABLES[name].file_name
        tmp = path.with_suffix(".parquet.tmp")
        frame.write_parquet(tmp, compression="zstd", statistics=False)
        tmp.replace(path)
        written.append(path)
    return written


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
