"""Reader-facing text in bokmål (nb), nynorsk (nn) and English (en), and number formats.

Every sentence a stakeholder reads comes from ``evalkit/locale/strings.yml`` through
:func:`text`, so one notebook serves all three languages. Numbers follow Norwegian
conventions in nb/nn (decimal comma, a space before the per cent sign: "72,5 %").

d3-format (used by Vega) ships no Norwegian locale, so :data:`D3_FORMAT_LOCALES` defines
one; it is given both to vega-embed in the page and to vl-convert for static SVGs.
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

import yaml
from babel.dates import format_date

Language = Literal["nb", "nn", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("nb", "nn", "en")

NBSP: Final = "\u00a0"

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


class UnknownText(KeyError):
    """A text key that is not in the strings file."""


@cache
def _strings() -> dict[str, dict[str, str]]:
    raw = resources.files("evalkit").joinpath("locale/strings.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
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


def fmt_number(value: float | None, language: Language, decimals: int = 0) -> str:
    """A number in the reader's convention; '–' for a missing value.

    Examples
    --------
    >>> fmt_number(1234.5, "nb", 1)
    '1\\xa0234,5'
    >>> fmt_number(1234.5, "en", 1)
    '1,234.5'
    >>> fmt_number(-2.0, "nb", 1)
    '\\u22122,0'
    """
    if value is None:
        return "–"
    body = _grouped(abs(value), language, decimals)
    sign = "\u2212" if value < 0 and round(abs(value), decimals) != 0 else ""
    return sign + body


def _grouped(value: float, language: Language, decimals: int) -> str:
    """``value`` with grouped thousands and ``decimals`` decimals; a negative value
    keeps Python's hyphen (only :func:`fmt_value` still writes one)."""
    body = f"{value:,.{decimals}f}"
    if language in ("nb", "nn"):
        body = body.replace(",", "\x00").replace(".", ",").replace("\x00", NBSP)
    return body


def fmt_percent(share: float | None, language: Language, decimals: int = 0) -> str:
    """A share (0..1) as a per cent: '72 %' in nb/nn, '72%' in English.

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
    number = fmt_number(share * 100, language, decimals)
    return f"{number}{NBSP}%" if language in ("nb", "nn") else f"{number}%"


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
    negative = round(low * scale, decimals) < 0 or round(high * scale, decimals) < 0
    separator = {"nb": " til ", "nn": " til ", "en": " to "}[language] if negative else "–"
    prefix = ("95\u00a0% KI " if language in ("nb", "nn") else "95% CI ") if label else ""
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
        number = _grouped(100 * value, language, 1)
        return f"{number}%" if language == "en" else f"{number}{NBSP}%"
    if float(value).is_integer():
        return _grouped(value, language, 0)
    return _grouped(value, language, 1)


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
