"""Numbers in a text, in digits or in words (Norwegian bokmål and nynorsk, English).

A hidden figure says only why it is hidden ("for få svar", "under 5"): a count written
"tre", "åtte" or "three" beside it tells what the markup hides as surely as "3".
:func:`hidden_numbers` finds every number a hidden figure's text shows; and
:func:`cell_numbers` the numbers of a text that should show none outside figure markup
(an unmarked table cell, a label of a hidden chart row), where words that are also
ordinary words ("en", "to", "one") count only when they stand alone. Texts are read as
a reader reads them first (:func:`evalkit.audit.decode.fold`: invisible characters
removed, compatibility forms folded, case ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from evalkit.audit.decode import fold

__all__ = [
    "AMBIGUOUS",
    "LAYOUT_KEYS",
    "NUMBER_WORDS",
    "cell_numbers",
    "hidden_numbers",
    "hidden_row_numbers",
]

NUMBER_WORDS: Final[Mapping[str, int]] = {
    # bokmål and nynorsk
    "null": 0, "en": 1, "én": 1, "ett": 1, "ei": 1, "ein": 1, "eit": 1, "eitt": 1, "to": 2, "tre": 3, "fire": 4,
    "fem": 5, "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12,
    "tretten": 13, "fjorten": 14, "femten": 15, "seksten": 16, "sytten": 17, "atten": 18, "nitten": 19,
    "tjue": 20, "tyve": 20, "nitti": 90,
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}
"""Number words a small count may be written as (the counts a threshold protects, and a
little beyond)."""
AMBIGUOUS: Final = frozenset({"null", "en", "én", "ett", "ei", "ein", "eit", "eitt", "to", "fire", "ni", "one",
                              "nitti"})
"""Number words that are also ordinary words (articles, "to", "one", English "fire")."""
LAYOUT_KEYS: Final = frozenset({"order", "x", "y", "x2", "y2", "row", "column", "index"})
"""Fields of a chart row that place it (not figures): a hidden row may keep them."""

_WORD: Final = re.compile(r"[^\W\d_]+")
_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)?")


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text).casefold())


def _digits(text: str, allowed: Iterable[float]) -> Iterator[str]:
    keep = set(allowed)
    for number in _NUMBER.findall(fold(text)):
        if float(number.replace(",", ".")) not in keep:
            yield number


def hidden_numbers(text: str, allowed: Iterable[float] = ()) -> list[str]:
    """Every number ``text`` shows, in digits (but the ``allowed`` ones: the thresholds
    a hidden figure may name) or in words.

    >>> hidden_numbers("for få svar (t\\u200bre)"), hidden_numbers("under 5", allowed=(5, 10))
    (['tre'], [])
    >>> hidden_numbers("ÅTTE og ٣ og one")
    ['٣', 'åtte', 'one']
    """
    return [*_digits(text, allowed), *(w for w in _words(text) if w in NUMBER_WORDS)]


def cell_numbers(text: str, *, digits: bool = True) -> list[str]:
    """The numbers of a text that should show none: digits (unless not ``digits``), a
    number word that is not also an ordinary word, or any number word standing alone.

    >>> cell_numbers("Ledere: tre"), cell_numbers("en"), cell_numbers("på en god måte"), cell_numbers("Oslo 1")
    (['tre'], ['en'], [], ['1'])
    """
    found = list(_digits(text, ())) if digits else []
    words = _words(text)
    if len(words) == 1 and words[0] in NUMBER_WORDS:
        return [*found, words[0]]
    return [*found, *(w for w in words if w in NUMBER_WORDS and w not in AMBIGUOUS)]


def hidden_row_numbers(row: Mapping[str, Any], allowed: Iterable[float], figure_keys: Iterable[str]) -> list[str]:
    """What a hidden chart row shows besides its markup: a number in any field but its
    layout (:data:`LAYOUT_KEYS`) and ``figure_keys`` (n and the estimates, which other
    checks read); in its ``label`` (its reason's text) any number but ``allowed``; in
    any other text a number word (digits may be part of a name: "Oslo 1").

    >>> hidden_row_numbers({"category": "Ledere (tre)", "label": "under 5", "order": 2, "people": 3,
    ...                     "n": None, "suppressed": True}, allowed=(5, 10), figure_keys={"n"})
    ['category=tre', 'people=3']
    """
    skip = LAYOUT_KEYS.union(figure_keys)
    found: list[str] = []
    for key, value in row.items():
        if key in skip or isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            found.append(f"{key}={value}")
        elif isinstance(value, str):
            shown = hidden_numbers(value, allowed) if key == "label" else cell_numbers(value, digits=False)
            found += [f"{key}={number}" for number in shown]
        else:
            found.append(f"{key}={str(value)[:20]}")
    return found
