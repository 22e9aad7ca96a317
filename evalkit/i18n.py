"""Reader-facing text in bokmål (nb), nynorsk (nn) and English (en), and number formats.

Every sentence a stakeholder reads comes from ``evalkit/locale/strings.yml`` through
:func:`text`, so one notebook serves all three languages. Numbers, per cents, months and
dates are formatted here, from Babel's CLDR data, which knows nb and nn: a decimal
comma, a no-break space between thousands and before the per cent sign ("1 234,5",
"72,5 %"), month names ("mars 2015", "jan. 2025"); one minus sign, U+2212, in every
language (:data:`MINUS`).

d3-format (used by Vega) ships no Norwegian locale, so :data:`D3_FORMAT_LOCALES` defines
one; it is given both to vega-embed in the page and to vl-convert for static SVGs.
"""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal, parse_pattern

from evalkit.yamlio import loads

Language = Literal["nb", "nn", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("nb", "nn", "en")

NBSP: Final = "\u00a0"
MINUS: Final = "\u2212"
"""The one minus sign of every page, in every language (text, tables and charts)."""

D3_FORMAT_LOCALES: Final[dict[str, dict[str, Any]]] = {
    "nb": {"decimal": ",", "thousands": NBSP, "grouping": [3], "currency": ["", f"{NBSP}kr"], "percent": f"{NBSP}%", "minus": "\u2212"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["NOK\u00a0", ""], "percent": "%", "minus": "\u2212"},
}
D3_FORMAT_LOCALES["nn"] = D3_FORMAT_LOCALES["nb"]

D3_TIME_LOCALES: Final[dict[str, dict[str, Any]]] = {
    "nb": {
        "dateTime": "%A %e. %B %Y kl. %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["", ""],
        "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
        "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
        "months": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
                   "september", "oktober", "november", "desember"],
        "shortMonths": ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"],
    },
    "nn": {
        "dateTime": "%A %e. %B %Y kl. %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["", ""],
        "days": ["sundag", "måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag"],
        "shortDays": ["sun", "mån", "tys", "ons", "tor", "fre", "lau"],
        "months": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
                   "september", "oktober", "november", "desember"],
        "shortMonths": ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"],
    },
    "en": {
        "dateTime": "%a %b %e %X %Y",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        "months": ["January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December"],
        "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    },
}


def d3_locale_json(language: Language) -> str:
    """The page's number and date formats for Vega, as the JSON (ASCII only) of its
    ``ek-locale`` script: written by :mod:`evalkit.render`, recognised by the audit."""
    return json.dumps({"format": D3_FORMAT_LOCALES[language], "time": D3_TIME_LOCALES[language]}, ensure_ascii=True)


class UnknownText(KeyError):
    """A text key that is not in the strings file."""


@cache
def _strings() -> dict[str, dict[str, str]]:
    raw = resources.files("evalkit").joinpath("locale/strings.yml").read_text(encoding="utf-8")
    data = loads(raw, "evalkit/locale/strings.yml")  # a key written twice is refused
    assert isinstance(data, dict)
    return data


def check_language(language: str) -> Language:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return language


def text(key: str, language: Language, /, **values: object) -> str:
    """The text ``key`` in ``language``, with ``{placeholders}`` filled in.

    Examples
    --------
    >>> text("too_few_title", "nb")
    'For få svar til å vise resultater'
    >>> text("respondents_total", "en", n="123")
    '123 respondents'
    """
    try:
        template = _strings()[key][language]
    except KeyError:
        raise UnknownText(f"no text {key!r} in language {language!r}") from None
    return template.format(**values) if values else template


def all_keys() -> list[str]:
    return sorted(_strings())


SETTLE_DIGITS: Final = 9
"""Decimals kept before a figure is rounded for a reader (see :func:`settle`)."""


def settle(value: float) -> float:
    """``value`` without the float noise of summation order, before rounding for display.

    A mean of 77.5 comes out as 77.49999999999999 or 77.50000000000001 depending on the
    order in which a parallel group-by added its parts; rounded to whole numbers that
    is 77 on one run and 78 on the next. Rounding to :data:`SETTLE_DIGITS` decimals first
    makes the shown figure the same on every run (the noise is ~1e-13; no figure
    evalkit shows needs nine decimals).

    Examples
    --------
    >>> settle(77.49999999999999) == settle(77.50000000000001) == 77.5
    True
    """
    return round(value, SETTLE_DIGITS)


def fmt_number(value: float | None, language: Language, decimals: int = 0) -> str:
    """A number in the reader's convention (Babel's CLDR data); '–' for a missing value.

    Grouping and decimal signs are the locale's (nb/nn: a no-break space and a comma);
    a negative number gets U+2212 MINUS SIGN in every language (CLDR's English minus is
    a hyphen), and a number that rounds to zero gets no sign. Rounding is half to even
    on the decimal value of the :func:`settle`-d float (3.55 → "3,6", 77.5 → "78",
    76.5 → "76"), so the same figure shows on every run and a tie is decided by its
    decimal digits, not by the binary float nearest to it.

    Examples
    --------
    >>> fmt_number(1234.5, "nb", 1)
    '1\\xa0234,5'
    >>> fmt_number(1234.5, "en", 1)
    '1,234.5'
    >>> fmt_number(-2.0, "nb", 1)
    '\\u22122,0'
    >>> fmt_number(3.55, "nb", 1), fmt_number(77.49999999999999, "en"), fmt_number(76.5, "en")
    ('3,6', '78', '76')
    """
    if value is None or math.isnan(value):
        return "–"
    value = settle(value)
    body = format_decimal(Decimal(repr(abs(value))), format=_decimal_pattern(decimals), locale=_locale(language))
    sign = MINUS if value < 0 and round(abs(value), decimals) != 0 else ""
    return sign + body


def fmt_percent(share: float | None, language: Language, decimals: int = 0) -> str:
    """A share (0..1) as a per cent: '72 %' in nb/nn, '72%' in English (the locale's
    per cent pattern from Babel around :func:`fmt_number`).

    Examples
    --------
    >>> fmt_percent(0.724, "nb")
    '72\\xa0%'
    >>> fmt_percent(0.7256, "en", 1)
    '72.6%'
    >>> fmt_percent(None, "nn")
    '–'
    """
    if share is None:
        return "–"
    affixes = _percent_pattern(language)
    return f"{affixes.prefix[0]}{fmt_number(share * 100, language, decimals)}{affixes.suffix[0]}"


@cache
def _locale(language: Language) -> Locale:
    return Locale.parse(language)


@cache
def _decimal_pattern(decimals: int) -> NumberPattern:
    """Grouped thousands and exactly ``decimals`` decimals (signs come from the locale)."""
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else ""))


@cache
def _percent_pattern(language: Language) -> NumberPattern:
    """The locale's per cent pattern: where the sign goes and with what space."""
    pattern: NumberPattern = _locale(language).percent_formats[None]
    return pattern


def fmt_interval(
    low: float | None,
    high: float | None,
    language: Language,
    *,
    percent: bool = True,
    decimals: int = 0,
    label: bool = True,
) -> str:
    """A 95 % interval as the reader expects it: '95 % KI 64–79 %'.

    A range with a negative end is written with a word ("−21 til −7"), since a dash
    between minus signs is hard to read.

    Examples
    --------
    >>> fmt_interval(0.64, 0.79, "nb")
    '95\\xa0% KI 64–79\\xa0%'
    >>> fmt_interval(0.64, 0.79, "en")
    '95% CI 64–79%'
    >>> fmt_interval(-21.2, -7.0, "nb", percent=False, label=False)
    '\\u221221 til \\u22127'
    """
    if low is None or high is None:
        return text("interval_unavailable", language)
    scale = 100 if percent else 1
    lo = fmt_number(low * scale, language, decimals)
    hi = fmt_percent(high, language, decimals) if percent else fmt_number(high, language, decimals)
    negative = round(settle(low * scale), decimals) < 0 or round(settle(high * scale), decimals) < 0
    separator = f" {text('interval_to', language)} " if negative else "–"
    prefix = f"{text('interval_label', language)} " if label else ""
    return f"{prefix}{lo}{separator}{hi}"


def fmt_value(value: float | None, unit: str, language: Language = "nb") -> str:
    """A measure's value in a run chart's description; '–' for a missing value.

    Proportions (unit ``percent``) are shown as per cent with one decimal, other units
    with one decimal unless whole; nb and nn use a decimal comma and a (non-breaking)
    space before the per cent sign.

    Parameters
    ----------
    value
        The value; a proportion 0–1 for unit ``percent``.
    unit
        ``percent``, ``count``, ``days`` or ``score``.
    language
        ``nb``, ``nn`` or ``en``.

    Examples
    --------
    >>> fmt_value(0.725, "percent", "nb")
    '72,5\\xa0%'
    >>> fmt_value(0.725, "percent", "en")
    '72.5%'
    >>> fmt_value(12.26, "days", "nn"), fmt_value(3.0, "count", "en")
    ('12,3', '3')
    """
    language = check_language(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "percent":
        return fmt_percent(value, language, 1)
    return fmt_number(value, language, 0 if float(value).is_integer() else 1)


def fmt_month(month: date, language: Language = "nb") -> str:
    """A month in words, such as "mars 2015" (month names from Babel's CLDR data).

    Examples
    --------
    >>> from datetime import date
    >>> fmt_month(date(2015, 3, 1), "nb"), fmt_month(date(2015, 3, 1), "en")
    ('mars 2015', 'March 2015')
    """
    language = check_language(language)
    return format_date(month, "MMMM y", locale=language)


def fmt_month_short(month: date, language: Language = "nb") -> str:
    """A month abbreviated, as on a run chart's axis: "jan. 2025" (nb, nn), "Jan 2025".

    Examples
    --------
    >>> from datetime import date
    >>> fmt_month_short(date(2025, 1, 1), "nn"), fmt_month_short(date(2025, 3, 1), "nb")
    ('jan. 2025', 'mars 2025')
    >>> fmt_month_short(date(2025, 1, 1), "en")
    'Jan 2025'
    """
    language = check_language(language)
    return format_date(month, "MMM y", locale=language)


@cache
def month_abbreviations(language: Language) -> tuple[str, ...]:
    """The twelve month abbreviations of :func:`fmt_month_short`, January first.

    Examples
    --------
    >>> month_abbreviations("nb")[:3]
    ('jan.', 'feb.', 'mars')
    """
    language = check_language(language)
    return tuple(format_date(date(2000, m, 1), "MMM", locale=language) for m in range(1, 13))


def fmt_date(value: date | None, language: Language) -> str:
    """A date: "01.02.2026" in nb/nn (CLDR's short date), ISO "2026-02-01" in English;
    '–' for a missing date.

    Examples
    --------
    >>> from datetime import date
    >>> fmt_date(date(2026, 2, 1), "nb"), fmt_date(date(2026, 2, 1), "en"), fmt_date(None, "nn")
    ('01.02.2026', '2026-02-01', '–')
    """
    if value is None:
        return "–"
    language = check_language(language)
    if language == "en":  # CLDR's English short date is "2/1/26": ISO is unambiguous
        return value.isoformat()
    return format_date(value, "short", locale=language)
