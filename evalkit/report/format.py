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

    def span(self, low: float | None, high: float | None, percent: bool = True) -> str:
        """An interval in a table column already headed '95 % confidence interval'."""
        return fmt_interval(low, high, self.lang, percent=percent, label=False)

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "–"
        return value.strftime("%d.%m.%Y") if self.lang in ("nb", "nn") else value.isoformat()


def signed(text_value: str) -> str:
    """A formatted difference with its sign: '+3', '−2', '0'."""
    return text_value if text_value.startswith(("\u2212", "-", "–")) or text_value in ("0",) else "+" + text_value
