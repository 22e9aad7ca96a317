"""Figure markup as the audit reads it: a figure element's :class:`Mark`, and the
:class:`Frame` of an open element that matters to the audit."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from evalkit.audit.spec import REASONS, Key

__all__ = [
    "CANDIDATE",
    "CARD",
    "CARD_LABEL",
    "CARD_NOTE",
    "CHART",
    "FIGURE",
    "HEADER",
    "Frame",
    "Mark",
    "datasets",
    "is_visible_row",
    "numbered_rows",
    "read_mark",
    "row_reason",
    "unit_problem",
]

_UNIT = re.compile(r"^(team|municipality|network|all):(\S+)$")
_MUNICIPALITY = re.compile(r"^\d{4}$")

CHART: Final = 1
"""A chart: ``figure.ek-figure``."""
FIGURE: Final = 2
"""A figure element (marked, or of a figure class)."""
CANDIDATE: Final = 4
"""A ``td`` of an ``ek-table`` without markup: a figure if its text holds a digit."""
CARD: Final = 8
"""A key-figure card (``li.ek-card``)."""
CARD_NOTE: Final = 16
"""A key-figure card's note."""
CARD_LABEL: Final = 32
"""A key-figure card's label."""
HEADER: Final = 64
"""A ``th`` of a table: the label of its row (or column)."""


@dataclass
class Mark:
    """A figure element's markup: what it says, and what it said as written."""

    unit: str | None  # None when missing or not <level>:<id>
    wave: str | None
    figure: str | None
    source: str | None
    n: int | None  # None when suppressed, missing or not a whole number
    suppressed: bool  # data-suppressed is present, whatever its value
    chart: bool = False
    given_unit: str | None = None  # data-unit as written (stripped)
    unit_problem: str | None = None
    raw_n: str | None = None
    raw_suppressed: str | None = None
    given_n: int | None = None  # data-n as a whole number, suppressed or not
    reason: str | None = None  # small, unit or protect; None when shown or not one of them

    @property
    def key(self) -> Key | None:
        if self.unit and self.wave and self.figure:
            return (self.unit, self.wave, self.figure)
        return None


@lru_cache(maxsize=4096)
def unit_problem(unit: str) -> str | None:
    """Why ``unit`` is not ``<level>:<id>`` (None: it is)."""
    m = _UNIT.match(unit)
    bad = m is None or (m.group(1) == "municipality" and not _MUNICIPALITY.match(m.group(2))) or (
        m.group(1) == "all" and m.group(2) != "all")
    return f"data-unit {unit!r} is not <level>:<id>" if bad else None


def read_mark(attrs: Mapping[str, str], *, chart: bool) -> Mark:
    """The markup of a figure element (``chart``: of a ``figure.ek-figure``).

    A figure with a ``data-suppressed`` attribute is hidden, whatever its value (the
    ``suppressed-reason`` rule reports a value other than ``small``, ``unit`` or
    ``protect``); ``reason`` is that value when it is one of them.

    Examples
    --------
    >>> m = read_mark({"data-unit": "network:ost", "data-wave": "2026", "data-figure": "respondents.all",
    ...                "data-source": "survey", "data-suppressed": " Protect "}, chart=False)
    >>> m.suppressed, m.reason, m.n
    (True, 'protect', None)
    >>> m = read_mark({"data-suppressed": "true", "data-n": "3"}, chart=False)
    >>> m.suppressed, m.reason, m.given_n
    (True, None, 3)
    >>> read_mark({"data-n": "12"}, chart=False).suppressed
    False
    """
    get = attrs.get
    given_unit = get("data-unit", "").strip() or None
    problem = unit_problem(given_unit) if given_unit is not None else None
    raw_suppressed = get("data-suppressed")
    suppressed = raw_suppressed is not None
    value = raw_suppressed.strip().lower() if raw_suppressed is not None else None
    reason = value if value in REASONS else None
    raw_n = get("data-n")
    n: int | None = None
    if raw_n is not None:
        digits = raw_n.strip()
        if digits.isascii() and digits.isdigit():
            n = int(digits)
    return Mark(
        unit=None if problem else given_unit,
        wave=get("data-wave", "").strip() or None,
        figure=get("data-figure", "").strip() or None,
        source=get("data-source", "").strip() or None,
        n=None if suppressed else n,
        suppressed=suppressed,
        chart=chart,
        given_unit=given_unit,
        unit_problem=problem,
        raw_n=raw_n,
        raw_suppressed=raw_suppressed,
        given_n=n,
        reason=reason,
    )


class Frame:
    """An open element that matters to the audit (most elements get no frame)."""

    __slots__ = ("card_labels", "card_notes", "card_reason", "card_suppressed", "classes", "code", "kind", "mark", "pos", "tag",
                 "text")

    def __init__(self, tag: str, classes: Sequence[str], pos: int) -> None:
        self.tag = tag
        self.classes = classes
        self.pos = pos
        self.kind = 0
        self.mark: Mark | None = None
        self.text: list[str] | None = None
        self.code = False
        self.card_suppressed = False
        self.card_reason: str | None = None  # the reason of the card's hidden value
        self.card_notes: list[str] | None = None
        self.card_labels: list[str] | None = None

    @property
    def suffix(self) -> str:
        return f'[data-figure="{self.mark.figure}"]' if self.mark is not None and self.mark.figure else ""


def datasets(spec: Any) -> Iterator[Any]:
    """Every block of inline rows in a Vega-Lite spec, in document order: ``datasets``
    and every ``data.values``, at any depth (the theme's ``config`` is skipped)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "datasets" and isinstance(value, dict):
                yield from value.values()
            elif key == "data" and isinstance(value, dict) and "values" in value:
                yield value["values"]
            elif key != "config" and isinstance(value, (dict, list)):
                yield from datasets(value)
    elif isinstance(spec, list):
        for item in spec:
            if isinstance(item, (dict, list)):
                yield from datasets(item)


def numbered_rows(spec: Any) -> Iterator[tuple[int, Any]]:
    """(number, row) of every inline row of a chart spec, numbered from 1 in document
    order; (0, block) for a block of inline data that is not a list of rows."""
    index = 0
    for rows in datasets(spec):
        if not isinstance(rows, list):
            yield 0, rows
            continue
        for row in rows:
            index += 1
            yield index, row


def row_reason(row: Any) -> str | None:
    """A hidden chart row's reason (small, unit or protect), else None."""
    if not isinstance(row, dict):
        return None
    reason = row.get("reason")
    return reason if isinstance(reason, str) and reason in REASONS else None


def is_visible_row(row: Any) -> bool:
    """A chart row that shows a figure: ``suppressed`` false and a whole ``n`` >= 0 (a
    visible row carries no ``reason``; the ``suppressed-reason`` rule checks that)."""
    if not isinstance(row, dict) or "n" not in row or "suppressed" not in row:
        return False
    n = row["n"]
    return row["suppressed"] is False and type(n) is int and n >= 0
