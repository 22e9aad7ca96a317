"""Numbers, shares, intervals and dates as a report's reader reads them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evalkit.i18n import Language, fmt_interval, fmt_number, fmt_percent


@dataclass(frozen=True)
class Formats:
    """The number formatters of one report language (see :mod:`evalkit.i18n`)."""

    lang: Language

    def pct(self, share: float | None, decimals: int = 0) -> str:
        return fmt_percent(share, self.lang, decimals)

    def num(self, value: float | None, decimals: int = 0) -> str:
        return fmt_number(value, self.lang, decimals)

    def interval(self, low: float | None, high: float | None, percent: bool = True) -> str:
        return fmt_interval(low, high, self.lang, percent=percent)

    def span(
        self, low: float | None, high: float | None, percent: bool = True, *, decimals: int = 0, trim: bool = False
    ) -> str:
        """An interval in a table column already headed '95 % confidence interval'.

        ``trim``: no decimals when both ends are whole numbers at ``decimals`` (decided on
        the numbers, not on the text, so the same in every language).

        Examples
        --------
        >>> Formats("nb").span(0.12, 0.746, percent=False, decimals=2)
        '0,12–0,75'
        >>> Formats("en").span(1.0, 1.0, percent=False, decimals=2, trim=True)
        '1–1'
        """
        if trim and low is not None and high is not None:
            decimals = whole_or(decimals, low, high)
        return fmt_interval(low, high, self.lang, percent=percent, decimals=decimals, label=False)

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "–"
        return value.strftime("%d.%m.%Y") if self.lang in ("nb", "nn") else value.isoformat()


def whole_or(decimals: int, *values: float) -> int:
    """``decimals``, or 0 when every value rounds to a whole number at that precision.

    Examples
    --------
    >>> whole_or(2, 1.0, 0.999), whole_or(2, 1.0, 0.42)
    (0, 2)
    """
    return 0 if all(round(v, decimals) == round(v) for v in values) else decimals


def signed(text_value: str) -> str:
    """A formatted difference with its sign: '+3', '−2', '0'."""
    return text_value if text_value.startswith(("\u2212", "-", "–")) or text_value in ("0",) else "+" + text_value
