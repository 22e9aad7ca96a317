"""A wave from a date column: the waves' date ranges and reading a date as people write it.

Used by the survey sections (``wave: {from_column: "$created", ranges: ...}``, see
:class:`~._mapping.WaveFromDates`) and by the demonstration layouts (a date inside the
wave's range).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from evalkit.errors import InputError

from ._mapping import Mapping, RangesFile, WaveFromDates
from ._reference import read_waves

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of Excel's day numbers (1900 date system, with its leap-year quirk)."""


@dataclass(frozen=True)
class WaveRange:
    """The days whose answers belong to a wave (both ends included)."""

    wave: str
    start: dt.date
    end: dt.date


def wave_ranges(spec: WaveFromDates, mapping: Mapping) -> list[WaveRange]:
    """The ranges a mapping's wave spec gives: its own, or those of the waves file it names."""
    if isinstance(spec.ranges, RangesFile):
        path = mapping.resolve(spec.ranges.file)
        waves = read_waves(Path(path))
        ranges = [WaveRange(w.wave, w.start, w.end) for w in waves if w.start is not None and w.end is not None]
        if not ranges:
            raise InputError(
                f"{path}: no wave has a date range (from/to), but the mapping takes the wave from "
                f"column {spec.from_column!r} by these ranges; expected 'from' and 'to' for each wave"
            )
        return ranges
    return [WaveRange(wave, start, end) for wave, (start, end) in spec.ranges.items()]


def parse_date(expr: pl.Expr, fmt: str | None = None) -> pl.Expr:
    """Text to a date: ``fmt`` (``strptime`` codes) if given, else ISO, Norwegian or Excel.

    ``2025-03-14``, ``2025-03-14T10:22:31+01:00`` and ``2025-03-14 10:22`` (ISO, the date
    as written), ``14.03.2025`` and ``14.3.2025 10:22`` (Norwegian), ``45730`` or
    ``45730.43`` (an Excel day number). Anything else is null.

    Examples
    --------
    >>> s = pl.Series(["2025-03-14T10:22:31", "14.3.2025 10:22", "45730", "14/03/2025", None])
    >>> pl.select(parse_date(pl.lit(s))).to_series().to_list()
    [datetime.date(2025, 3, 14), datetime.date(2025, 3, 14), datetime.date(2025, 3, 14), None, None]
    """
    text = expr.str.strip_chars()
    if fmt is not None:
        return text.str.to_datetime(fmt, strict=False).dt.date()
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:$|[T ])", 1).str.to_date("%Y-%m-%d", strict=False)
    day, month, year = (text.str.extract(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:$|\s)", i) for i in (1, 2, 3))
    nordic = pl.concat_str(year, month.str.zfill(2), day.str.zfill(2), separator="-").str.to_date("%Y-%m-%d", strict=False)
    serial = (
        pl.when(text.str.contains(r"^\d{5}([.,]\d+)?$"))
        .then(text.str.replace(",", ".").cast(pl.Float64, strict=False).floor().cast(pl.Int32))
    )
    excel = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    return pl.coalesce(iso, nordic, excel.cast(pl.Date))


def wave_of(date: pl.Expr, ranges: list[WaveRange]) -> pl.Expr:
    """The wave whose range holds ``date`` (null when none does)."""
    out: pl.Expr = pl.lit(None, pl.String)
    for r in reversed(ranges):
        out = pl.when(date.is_between(pl.lit(r.start), pl.lit(r.end))).then(pl.lit(r.wave)).otherwise(out)
    return out


def describe(ranges: list[WaveRange]) -> str:
    """``2025: 2025-01-01 to 2025-12-31, 2026: ...`` for messages."""
    return ", ".join(f"{r.wave}: {r.start.isoformat()} to {r.end.isoformat()}" for r in ranges)
