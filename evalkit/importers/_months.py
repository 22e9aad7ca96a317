"""Months as teams write them in spreadsheets: "jan. 2025", "januar 2025", "jul.24",
"01.2025", "2025-01", a date, or a real Excel date.

:func:`parse_month` turns one cell's text into the first day of its month, or ``None``
when the text is not a month. The forms understood:

* a month name and a year: Norwegian (bokmål, nynorsk) and English month names, full or
  abbreviated, from Babel's CLDR data ("januar", "jan.", "mars", "okt", "May"), plus the
  older Norwegian abbreviations "febr." and "sept."; upper or lower case; the year with
  four digits or two ("jul.24", how Excel shows the format ``mmm.yy``; "jan-25"; "mai 2025";
  two-digit years are 20xx), separated by a space, a dot, a dash, a slash or an apostrophe;
* a month number and a four-digit year: "01.2025", "1.2025", "01/2025", "01-2025";
* a four-digit year and a month number: "2025-01", "2025.01", "2025/01";
* a date: "2025-01-01", "2025-01-01 00:00:00" (how a real Excel date cell is read),
  "15.01.2025" (day first, as Norwegians write dates); the month of the date is taken.

A bare number ("45658", "1.25") is not a month: Excel serial numbers without a date
format and decimals look alike. Years outside 1990–2100 are not months either.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Final

import polars as pl
from babel.dates import get_month_names

_LOCALES: Final = ("nb", "nn", "en")
_EXTRA_WORDS: Final = {"febr": 2, "sept": 9}
_FIRST_YEAR: Final = 1990
_LAST_YEAR: Final = 2100

_WORD_YEAR = re.compile(r"^([^\W\d_]+)\.?[\s.\-/',]*(\d{4}|\d{2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[./\-](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[./\-](\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NORWEGIAN_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


@cache
def month_words() -> dict[str, int]:
    """Month name or abbreviation (lower case, without a final dot) → month number.

    Examples
    --------
    >>> words = month_words()
    >>> words["januar"], words["mars"], words["okt"], words["may"], words["febr"]
    (1, 3, 10, 5, 2)
    """
    words: dict[str, int] = dict(_EXTRA_WORDS)
    for locale in _LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    key = str(name).casefold().rstrip(".")
                    if words.get(key, number) != number:
                        raise ValueError(f"month word {key!r} means two months")
                    words[key] = int(number)
    return words


def _month(year: int, month: int) -> date | None:
    if not (_FIRST_YEAR <= year <= _LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def parse_month(text: str | None) -> date | None:
    """The first day of the month ``text`` names, or ``None`` if it names none.

    Examples
    --------
    >>> [parse_month(t) for t in ("jan. 2025", "Januar 2025", "jul.24", "01.2025", "2025-01")]
    [datetime.date(2025, 1, 1), datetime.date(2025, 1, 1), datetime.date(2024, 7, 1), datetime.date(2025, 1, 1), datetime.date(2025, 1, 1)]
    >>> parse_month("2025-03-01 00:00:00"), parse_month("15.03.2025")
    (datetime.date(2025, 3, 1), datetime.date(2025, 3, 1))
    >>> [parse_month(t) for t in ("13.2025", "jux 2025", "45658", "1.25", "", None)]
    [None, None, None, None, None, None]
    """
    if text is None:
        return None
    s = " ".join(str(text).split()).casefold()
    if not s:
        return None
    if m := _WORD_YEAR.match(s):
        number = month_words().get(m.group(1))
        if number is None:
            return None
        year = int(m.group(2))
        return _month(year + 2000 if len(m.group(2)) == 2 else year, number)
    if m := _MONTH_YEAR.match(s):
        return _month(int(m.group(2)), int(m.group(1)))
    if m := _YEAR_MONTH.match(s):
        return _month(int(m.group(1)), int(m.group(2)))
    if m := _ISO_DATE.match(s):
        return _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NORWEGIAN_DATE.match(s):
        return _valid_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        date(year, month, day)
    except ValueError:
        return None
    return _month(year, month)


def heads_a_month(text: str | None) -> bool:
    """A month as a column header: a full date counts only on the first or last day of its
    month (how spreadsheets store a month), so "Oppdatert 14.03.2025" in a title row is
    not taken for a row of months.

    Examples
    --------
    >>> heads_a_month("jan. 2025"), heads_a_month("2025-01-01 00:00:00"), heads_a_month("2025-01-31")
    (True, True, True)
    >>> heads_a_month("14.03.2025"), heads_a_month("Sum")
    (False, False)
    """
    month = parse_month(text)
    if month is None or text is None:
        return False
    s = " ".join(str(text).split())
    if m := _ISO_DATE.match(s):
        day = int(m.group(3))
    elif m := _NORWEGIAN_DATE.match(s):
        day = int(m.group(1))
    else:
        return True
    last = (date(month.year + month.month // 12, month.month % 12 + 1, 1) - date.resolution).day
    return day in (1, last)


def months(values: pl.Series) -> pl.Series:
    """:func:`parse_month` for a text column (each distinct text parsed once)."""
    distinct = values.drop_nulls().unique().to_list()
    lookup = {v: parse_month(v) for v in distinct}
    return values.replace_strict(lookup, default=None, return_dtype=pl.Date)
