"""Reading survey exports into a frame of text columns, with spreadsheet row numbers.

Every reader returns an :class:`Export`: all columns as text (so ``0301`` keeps its
zero and nothing is guessed), a ``_row`` column with the row number a user sees in a
spreadsheet (header = row 1, first data row = row 2) and, where the tool exports them,
value labels per variable (SurveyXact's ``labels``/``structure`` files or sheets).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from evalkit.errors import InputError
from evalkit.textfile import decode, sniff_separator

ROW: Final = "_row"
FILE: Final = "_file"
_LABEL_SCHEMA: Final = {"variable": pl.String, "value": pl.String, "label": pl.String}
_STRUCTURE_COLUMNS: Final = ("variablename", "choicevalue", "choicetext")
_COMPANION_WORDS: Final = ("structure", "labels")
_SHEET_STRUCTURE = re.compile(r"^(structure|struktur)", re.IGNORECASE)
_SHEET_LABELS = re.compile(r"^(labels?|etiketter)", re.IGNORECASE)


@dataclass(frozen=True)
class Export:
    """One survey export read as text, with row numbers and optional value labels."""

    frame: pl.DataFrame
    source: str
    labels: pl.DataFrame


def empty_labels() -> pl.DataFrame:
    return pl.DataFrame(schema=_LABEL_SCHEMA)


# --------------------------------------------------------------------------- text files
# decode() and sniff_separator() live in evalkit.textfile (batch files read unit lists too).


def _header(text: str, separator: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text[:65536]), delimiter=separator), [])
    return [h.strip() for h in first]


def _check_header(header: list[str], source: str) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name == "":
            continue
        if name in seen:
            raise InputError(
                f"{source}, row 1: column {name!r} appears twice (columns {seen[name] + 1} and "
                f"{i + 1}); expected each column name once"
            )
        seen[name] = i


def _finish(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """Trim text, turn blanks into nulls, drop unnamed empty columns and empty rows."""
    unnamed = [
        c for c in frame.columns
        if (c.strip() == "" or re.fullmatch(r"(_duplicated_\d+|__UNNAMED__\d+)", c))
    ]
    for c in unnamed:
        if frame.get_column(c).drop_nulls().str.strip_chars().str.len_chars().sum() == 0:
            frame = frame.drop(c)
        else:
            raise InputError(
                f"{source}, row 1: a column without a name holds data (column "
                f"{frame.columns.index(c) + 1}); expected every column to have a name"
            )
    frame = frame.rename({c: c.strip() for c in frame.columns})
    text_cols = list(frame.columns)
    if not text_cols:
        raise InputError(f"{source}: the file has no columns; expected a header row and data rows")
    frame = frame.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None) for c in text_cols
    ).with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(ROW))
    frame = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in text_cols))
    if frame.height == 0:
        raise InputError(f"{source}: the file has a header but no data rows")
    return frame.select(ROW, *text_cols)


def read_text_table(path: Path, source: str, *, has_header: bool = True) -> pl.DataFrame:
    """Read a CSV/TSV export of any supported encoding and separator as text columns."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{source}: the file is empty; expected a header row and data rows")
    text, encoding = decode(data, source)
    if not text.strip():
        raise InputError(f"{source}: the file is empty; expected a header row and data rows")
    separator = sniff_separator(text, source)
    if has_header:
        _check_header(_header(text, separator), source)
    payload = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" else text.encode("utf-8")
    try:
        frame = pl.read_csv(
            payload,
            separator=separator,
            has_header=has_header,
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{source}: not a readable CSV file ({exc})") from None
    if has_header and frame.height == 0:
        raise InputError(f"{source}: the file has a header but no data rows")
    return frame


def read_csv_export(path: Path) -> pl.DataFrame:
    source = str(path)
    return _finish(read_text_table(path, source), source)


# --------------------------------------------------------------------------- SurveyXact


def companions(path: Path) -> dict[str, Path]:
    """SurveyXact's ``structure`` and ``labels`` files next to a ``dataset`` file."""
    found: dict[str, Path] = {}
    stem = path.stem
    if "dataset" not in stem.lower():
        return found
    pattern = re.compile("dataset", re.IGNORECASE)
    for word in _COMPANION_WORDS:
        for candidate in sorted(path.parent.iterdir()):
            if candidate == path or not candidate.is_file():
                continue
            if candidate.stem.lower() == pattern.sub(word, stem).lower():
                found[word] = candidate
                break
    return found


def is_companion(path: Path) -> bool:
    """True for a SurveyXact ``structure`` or ``labels`` file next to its ``dataset`` file."""
    stem = path.stem.lower()
    for word in _COMPANION_WORDS:
        if word in stem:
            dataset = stem.replace(word, "dataset")
            if any(p.stem.lower() == dataset and p.is_file() for p in path.parent.iterdir()):
                return True
    return False


def labels_from_structure(frame: pl.DataFrame) -> pl.DataFrame:
    """variable/value/label rows from SurveyXact's ``structure`` table."""
    lower = {c.lower(): c for c in frame.columns}
    if not all(c in lower for c in _STRUCTURE_COLUMNS):
        return empty_labels()
    return (
        frame.select(
            pl.col(lower["variablename"]).alias("variable"),
            pl.col(lower["choicevalue"]).alias("value"),
            pl.col(lower["choicetext"]).alias("label"),
        )
        .drop_nulls()
        .cast(pl.String)
    )


def labels_from_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """variable/value/label rows from SurveyXact's header-less ``labels`` table."""
    cols = [c for c in frame.columns if c != ROW]
    if len(cols) < 3:
        return empty_labels()
    return (
        frame.select(
            pl.col(cols[0]).alias("variable"), pl.col(cols[1]).alias("value"), pl.col(cols[2]).alias("label")
        )
        .drop_nulls()
        .cast(pl.String)
    )


def _read_companion_labels(found: dict[str, Path]) -> pl.DataFrame:
    parts = []
    if "labels" in found:
        raw = read_text_table(found["labels"], str(found["labels"]), has_header=False)
        raw = raw.with_columns(pl.all().str.strip_chars())
        parts.append(labels_from_labels(raw))
    if "structure" in found:
        raw = read_text_table(found["structure"], str(found["structure"]))
        raw = raw.rename({c: c.strip() for c in raw.columns}).with_columns(pl.all().str.strip_chars())
        parts.append(labels_from_structure(raw))
    if not parts:
        return empty_labels()
    return pl.concat(parts).unique(["variable", "value"], keep="first", maintain_order=True)


# --------------------------------------------------------------------------- Excel


def _read_sheets(path: Path) -> dict[str, pl.DataFrame]:
    try:
        sheets = pl.read_excel(
            path,
            sheet_id=0,
            engine="calamine",
            read_options={"dtypes": "string"},
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # fastexcel raises its own error types for damaged files
        raise InputError(f"{path}: not a readable Excel file ({exc})") from None
    assert isinstance(sheets, dict)
    return sheets


def read_excel_export(path: Path, *, sheet: str | None, id_column: str | None) -> Export:
    """Read an Excel export: one sheet, or a dataset split over several sheets.

    Sheets named like ``structure``/``labels`` give value labels (SurveyXact). The data
    sheets are stacked when they have the same columns (rows split) and joined on
    ``id_column`` when they do not (columns split).
    """
    sheets = _read_sheets(path)
    labels = empty_labels()
    label_parts = []
    data_sheets: dict[str, pl.DataFrame] = {}
    for name, frame in sheets.items():
        if _SHEET_STRUCTURE.match(name):
            label_parts.append(labels_from_structure(frame.with_columns(pl.all().cast(pl.String))))
        elif _SHEET_LABELS.match(name):
            if frame.width >= 3:
                # A header-less labels sheet: its first row was read as the header.
                cols = frame.columns[:3]
                first = pl.DataFrame([pl.Series(c, [c], dtype=pl.String) for c in cols])
                both = pl.concat([first, frame.select(cols).cast(pl.String)])
                label_parts.append(labels_from_labels(both))
        elif frame.width > 0:
            data_sheets[name] = frame
    if label_parts:
        labels = pl.concat(label_parts).unique(["variable", "value"], keep="first", maintain_order=True)
    if sheet is not None:
        if sheet not in sheets:
            raise InputError(
                f"{path}: there is no sheet {sheet!r}; the file has "
                f"{', '.join(map(repr, sheets))} (fix 'sheet' in the mapping)"
            )
        data_sheets = {sheet: sheets[sheet]}
    if not data_sheets:
        raise InputError(f"{path}: the file has no sheet with data; expected a header row and data rows")
    finished = {}
    for name, frame in data_sheets.items():
        source = f"{path}[{name}]"
        if frame.width == 0 or frame.height == 0:
            if len(data_sheets) == 1:
                raise InputError(f"{source}: the sheet has a header but no data rows"
                                 if frame.width else f"{source}: the sheet is empty")
            continue
        finished[name] = _finish(frame, source)
    if not finished:
        raise InputError(f"{path}: every sheet is empty or has a header only; expected data rows")
    names = list(finished)
    if len(names) == 1:
        return Export(finished[names[0]], f"{path}[{names[0]}]" if len(sheets) > 1 else str(path), labels)
    first = finished[names[0]]
    if all(finished[n].columns == first.columns for n in names[1:]):
        # Rows split over sheets: row numbers stay those of each sheet, named in the file.
        frames = [finished[n].with_columns(pl.lit(f"{path}[{n}]").alias(FILE)) for n in names]
        return Export(pl.concat(frames), str(path), labels)
    if id_column is None or not all(id_column in finished[n].columns for n in names):
        lacking = [n for n in names if id_column is None or id_column not in finished[n].columns]
        raise InputError(
            f"{path}: the data is split over sheets {', '.join(map(repr, names))} with different "
            f"columns, and sheet {lacking[0]!r} has no id column {id_column!r} to join them on"
        )
    joined = first
    for n in names[1:]:
        other = finished[n].drop(ROW)
        overlap = [c for c in other.columns if c in joined.columns and c != id_column]
        other = other.drop(overlap)
        joined = joined.join(other, on=id_column, how="left", nulls_equal=False, maintain_order="left")
    return Export(joined, f"{path}[{names[0]}]", labels)


# --------------------------------------------------------------------------- dispatch


def read_export(path: Path, *, sheet: str | None = None, id_column: str | None = None) -> Export:
    """Read any supported export (CSV/TSV/TXT, XLSX/XLSM/XLS, Parquet) as text columns."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        return read_excel_export(path, sheet=sheet, id_column=id_column)
    if sheet is not None:
        raise InputError(f"{path}: the mapping names sheet {sheet!r}, but this is not an Excel file")
    if suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises several kinds for a damaged file
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        if frame.height == 0:
            raise InputError(f"{path}: the file has columns but no data rows")
        frame = frame.with_columns(pl.all().cast(pl.String))
        return Export(_finish(frame, str(path)), str(path), empty_labels())
    frame = read_csv_export(path)
    found = companions(path)
    labels = _read_companion_labels(found) if found else empty_labels()
    return Export(frame, str(path), labels)
