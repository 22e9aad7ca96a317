"""A spreadsheet as the cells a person sees: every row and column where it really is.

The survey readers (:mod:`._read`) take row 1 as the header. The teams' measure sheets
have title rows, blank rows and several tables on one sheet, so the measures and
progress importers read each sheet as a grid of text cells instead: row ``i`` of
:attr:`Grid.rows` is spreadsheet row ``i + 1``, and :meth:`Grid.letter` gives a
column's letter as Excel shows it, even when the sheet's first rows or columns are empty
(calamine leaves empty leading columns out; their absolute position is kept).

CSV/TSV files are decoded and split like the survey exports (any of UTF-8, UTF-16,
Windows-1252; comma, semicolon or tab), one file being one sheet named after the file.
Excel cells are read as text through fastexcel (calamine): a number as ``11`` or
``12.5``, a date cell as ``2025-01-01 00:00:00``. A cell holding only a dash ("-", "–",
"—", how many teams mark a month without data) is empty, like a blank one.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import fastexcel
import polars as pl

from evalkit.errors import InputError
from evalkit.textfile import SEPARATORS, decode

EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
Cell = str | None


def letter(index: int) -> str:
    """Excel's letters for a 0-based column index.

    Examples
    --------
    >>> letter(0), letter(25), letter(26), letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(frozen=True)
class Grid:
    """One sheet as text cells (``None`` for an empty cell), rows as the sheet numbers them."""

    source: str
    """How messages name the sheet: ``path[sheet]`` for a workbook, ``path`` for CSV."""
    name: str
    """The sheet's name (a CSV file's name without its extension)."""
    rows: tuple[tuple[Cell, ...], ...]
    columns: tuple[int, ...]
    """The absolute 0-based column index of each position in a row."""

    def letter(self, position: int) -> str:
        return letter(self.columns[position])

    @property
    def width(self) -> int:
        return len(self.columns)


_DASHES: Final = frozenset({"-", "–", "—"})


def _clean(value: object) -> Cell:
    """A cell's text, trimmed; ``None`` for an empty cell or a lone dash ("no data")."""
    if value is None:
        return None
    text = str(value).replace("\u00a0", " ").strip()
    return text if text and text not in _DASHES else None


def _grid(source: str, name: str, raw_rows: list[list[object]], columns: list[int] | None = None) -> Grid:
    width = max((len(r) for r in raw_rows), default=0)
    rows = tuple(tuple(_clean(r[i]) if i < len(r) else None for i in range(width)) for r in raw_rows)
    return Grid(source, name, rows, tuple(columns if columns is not None else range(width)))


def _sniff(text: str) -> str:
    """The separator that splits most lines into the same number (≥ 2) of fields.

    Unlike a survey export, a measures sheet may begin with a title row of one field,
    so no single line decides.
    """
    sample = "\n".join(text[:65536].splitlines()[:60])
    best: tuple[int, int, str] = (0, 0, ",")
    for sep in SEPARATORS:
        widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=sep) if any(c.strip() for c in r)]
        wide = [w for w in widths if w >= 2]
        if not wide:
            continue
        modal = max(set(wide), key=lambda w: (wide.count(w), w))
        score = (wide.count(modal), modal, sep)
        if score[:2] > best[:2]:
            best = score
    return best[2]


def _text_grid(path: Path) -> Grid:
    source = str(path)
    data = path.read_bytes()
    text, _ = decode(data, source)
    if not text.strip():
        raise InputError(f"{source}: the file is empty; expected a table of measures")
    rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(text), delimiter=_sniff(text))]
    return _grid(source, path.stem, rows)


def _parquet_grid(path: Path) -> Grid:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a damaged file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    text = frame.with_columns(pl.all().cast(pl.String))
    rows: list[list[object]] = [list(frame.columns), *(list(r) for r in text.iter_rows())]
    return _grid(str(path), path.stem, rows)


def _excel_grids(path: Path, sheets: tuple[str, ...]) -> list[Grid]:
    try:
        reader = fastexcel.read_excel(str(path))
        names = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own error types for damaged files
        raise InputError(f"{path}: not a readable Excel file ({exc})") from None
    for pattern in sheets:
        if not any(c in pattern for c in "*?[") and pattern not in names:
            raise InputError(
                f"{path}: there is no sheet {pattern!r}; the file has {', '.join(map(repr, names))} "
                "(fix 'sheets' in the mapping)"
            )
    chosen = [n for n in names if not sheets or any(fnmatch.fnmatchcase(n, p) for p in sheets)]
    grids = []
    for name in chosen:
        try:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            frame = sheet.to_polars()
            columns = [c.absolute_index for c in sheet.available_columns()]
        except Exception as exc:  # an empty sheet or a damaged one
            if "empty" in str(exc).lower() or "no data" in str(exc).lower():
                continue
            raise InputError(f"{path}[{name}]: the sheet cannot be read ({exc})") from None
        if frame.width == 0:
            continue
        rows: list[list[object]] = [list(r) for r in frame.iter_rows()]
        grids.append(_grid(f"{path}[{name}]", name, rows, columns))
    return grids


def read_grids(path: Path, sheets: tuple[str, ...] = ()) -> list[Grid]:
    """Every chosen sheet of a workbook (``sheets``: names or patterns; default all), or
    the one sheet of a CSV/TSV/Parquet file, as grids of text cells."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _excel_grids(path, sheets)
    if sheets:
        raise InputError(f"{path}: the mapping names sheets {list(sheets)}, but this is not an Excel file")
    if suffix == ".parquet":
        return [_parquet_grid(path)]
    return [_text_grid(path)]
