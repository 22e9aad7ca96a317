"""The Norwegian municipality register: today's municipalities and the numbers they had before.

Package data ``data/municipalities.csv`` (Statistics Norway's classification 131; the
source, the date and the cross-check of two copies are in its comment lines and in
``data/municipalities.source.md``): the 357 numbers valid today, and every number valid in
2018–2019 or 2020–2023 but not today, with today's number(s).

:func:`resolve` reads a number as an export gives it: a number valid today is itself; an
old number is converted to today's, with a note for the evaluator; an old number whose
municipality was split (1507 Ålesund in 2024, 1850 Tysfjord and 5012 Snillfjord in 2020)
cannot be converted and raises :class:`SplitNumberError` naming the candidates. No number
valid in 2018–2019 means another municipality later, so a number needs no year.

A three-digit number is read as a four-digit one whose leading zero was lost (spreadsheets
drop it, "301" for 0301): every municipality number has four digits, so a three-digit one
cannot be anything else.

>>> resolve("3001").number
'3101'
>>> lookup("5612").official_name
'Guovdageaidnu - Kautokeino'
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from evalkit.errors import InputError

__all__ = [
    "FormerNumber",
    "Municipality",
    "MunicipalityNumberError",
    "OldNumbers",
    "Resolution",
    "SplitNumberError",
    "UnknownNumberError",
    "current",
    "former",
    "former_numbers",
    "lookup",
    "normalise",
    "resolve",
    "successors",
]

DATA_FILE = "data/municipalities.csv"
_COLUMNS = ("number", "name", "official_name", "county_number", "county_name", "valid_from", "valid_to", "current")
_NUMBER = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Municipality:
    """A municipality valid today."""

    number: str
    name: str  # the Norwegian name, e.g. "Kautokeino"
    official_name: str  # Statistics Norway's full name, e.g. "Guovdageaidnu - Kautokeino"
    county_number: str
    county_name: str
    valid_from: int | None  # first year of the number; None: before 2018

    @property
    def other_names(self) -> tuple[str, ...]:
        """The official Sami and Kven forms (none for most municipalities)."""
        return tuple(p for p in self.official_name.split(" - ") if p != self.name)

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


@dataclass(frozen=True)
class FormerNumber:
    """A number valid in 2018–2023 but not today, and today's number(s) for its area."""

    number: str
    name: str
    official_name: str
    county_number: str
    county_name: str
    valid_from: int | None  # None: valid before 2018 (the register goes no further back)
    valid_to: int
    current: tuple[str, ...]

    @property
    def split(self) -> bool:
        """The municipality was split: the number has no single successor."""
        return len(self.current) > 1

    @property
    def period(self) -> str:
        """When the number was valid, for messages: "2020–2023", "until 2019", "in 2018"."""
        if self.valid_from is None:
            return f"until {self.valid_to}"
        if self.valid_from == self.valid_to:
            return f"in {self.valid_to}"
        return f"{self.valid_from}–{self.valid_to}"

    def describe(self) -> str:
        """``3001 (Halden, 2020–2023)``."""
        return f"{self.number} ({self.name}, {self.period})"


@dataclass(frozen=True)
class Resolution:
    """A number read as today's municipality: the number as given and what it is now."""

    given: str  # four digits
    municipality: Municipality
    former: FormerNumber | None = None  # set when an old number was converted

    @property
    def number(self) -> str:
        return self.municipality.number

    @property
    def converted(self) -> bool:
        return self.former is not None

    @property
    def note(self) -> str | None:
        """For the evaluator, when the number was converted (else None)."""
        if self.former is None:
            return None
        return f"{self.former.describe()} is {self.municipality} today"


class MunicipalityNumberError(InputError):
    """A value that is not the number of a municipality of today or of 2018–2023."""

    def __init__(self, message: str, number: str) -> None:
        super().__init__(message)
        self.number = number


class UnknownNumberError(MunicipalityNumberError):
    """Not a municipality number of today or of 2018–2023."""


class SplitNumberError(MunicipalityNumberError):
    """An old number whose municipality was split: it could mean any of ``candidates``."""

    def __init__(self, former: FormerNumber, candidates: tuple[Municipality, ...]) -> None:
        super().__init__(split_message(former, candidates), former.number)
        self.former = former
        self.candidates = candidates


def split_message(former: FormerNumber, candidates: tuple[Municipality, ...]) -> str:
    """Why a split number is refused, naming the numbers it could mean."""
    return (
        f"{former.describe()} was split in {former.valid_to + 1} and cannot be converted; "
        f"expected one of today's numbers: {', '.join(str(c) for c in candidates)}"
    )


# --------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class _Register:
    current: dict[str, Municipality]
    former: dict[str, FormerNumber]


def _year(text: str) -> int | None:
    return int(text) if text else None


@functools.cache
def _register() -> _Register:
    text = resources.files("evalkit").joinpath(DATA_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise RuntimeError(f"{DATA_FILE}: columns {reader.fieldnames}, expected {list(_COLUMNS)}")
    current: dict[str, Municipality] = {}
    former: dict[str, FormerNumber] = {}
    for row in reader:
        number = row["number"]
        if not _NUMBER.fullmatch(number) or number in current or number in former:
            raise RuntimeError(f"{DATA_FILE}: number {number!r} is not four digits or appears twice")
        fields = (number, row["name"], row["official_name"], row["county_number"], row["county_name"])
        if not row["valid_to"]:
            current[number] = Municipality(*fields, _year(row["valid_from"]))
        else:
            former[number] = FormerNumber(*fields, _year(row["valid_from"]), int(row["valid_to"]),
                                          tuple(row["current"].split()))
    for f in former.values():
        if not f.current or any(n not in current for n in f.current):
            raise RuntimeError(f"{DATA_FILE}: {f.number}'s current number(s) {f.current} are not valid today")
    return _Register(current, former)


# --------------------------------------------------------------------------- lookups


def normalise(value: str) -> str | None:
    """Four digits for a municipality number as written ("301" → "0301"), or None.

    Surrounding spaces are ignored; a three-digit number gets back the leading zero a
    spreadsheet dropped. Anything else that is not four digits is None.
    """
    text = value.strip()
    if re.fullmatch(r"\d{3}", text):
        text = "0" + text
    return text if _NUMBER.fullmatch(text) else None


def current() -> tuple[Municipality, ...]:
    """Every municipality valid today, by number."""
    return tuple(sorted(_register().current.values(), key=lambda m: m.number))


def former_numbers() -> tuple[FormerNumber, ...]:
    """Every number valid in 2018–2023 but not today, by number."""
    return tuple(sorted(_register().former.values(), key=lambda f: f.number))


def lookup(number: str) -> Municipality | None:
    """The municipality with this number today (None for an old or unknown number)."""
    key = normalise(number)
    return _register().current.get(key) if key is not None else None


def former(number: str) -> FormerNumber | None:
    """The old number's record (None for a number valid today or unknown)."""
    key = normalise(number)
    return _register().former.get(key) if key is not None else None


def successors(old: FormerNumber) -> tuple[Municipality, ...]:
    """Today's municipalities for an old number's area (two or more: it was split)."""
    return tuple(_register().current[n] for n in old.current)


def resolve(number: str) -> Resolution:
    """Today's municipality for a number valid today or in 2018–2023.

    Raises
    ------
    SplitNumberError
        The number's municipality was split; the error names the candidates.
    UnknownNumberError
        Not four digits (or three that lost a leading zero), or not a municipality number
        of today or of 2018–2023.

    Examples
    --------
    >>> resolve("301").number, resolve("301").converted
    ('0301', False)
    >>> resolve("3001").note
    '3001 (Halden, 2020–2023) is 3101 Halden today'
    >>> resolve("1507")
    Traceback (most recent call last):
    ...
    evalkit.municipalities.SplitNumberError: 1507 (Ålesund, 2020–2023) was split in 2024 and cannot be converted; expected one of today's numbers: 1508 Ålesund, 1580 Haram
    """
    key = normalise(number)
    if key is None:
        raise UnknownNumberError(f"{number!r} is not a municipality number (expected four digits, such as 0301)", number)
    register = _register()
    if key in register.current:
        return Resolution(key, register.current[key])
    old = register.former.get(key)
    if old is None:
        raise UnknownNumberError(
            f"{key} is not the number of a Norwegian municipality of today or of 2018–2023", key
        )
    candidates = successors(old)
    if old.split:
        raise SplitNumberError(old, candidates)
    return Resolution(key, candidates[0], old)


# --------------------------------------------------------------------------- against a table


@dataclass(frozen=True)
class OldNumbers:
    """What the register says of old numbers, against an evaluation's own municipalities.

    A number the evaluation's table lists as valid today is taken as it is, whatever the
    register says (an evaluation's own or made-up numbers). Otherwise an old number is
    converted to today's number if the table has it (``convert``), refused if it was split
    (``split``: why, naming the candidates), and explained if it stays unknown (``hints``:
    what it is today). The one rule for numbers in exports, in a mapping and in a team
    register.

    >>> old = OldNumbers.against(listed={"3201", "0301"}, today={"3201", "0301"})
    >>> old.convert["3024"], old.hints["3001"]
    ('3201', '3001 (Halden, 2020–2023) is 3101 Halden today')
    >>> old.split["1507"].startswith("1507 (Ålesund, 2020–2023) was split in 2024")
    True
    """

    convert: dict[str, str]  # old number -> today's number
    split: dict[str, str]  # old number -> why it is refused (the candidates)
    hints: dict[str, str]  # old number -> what it is today (for an unknown number's message)

    @classmethod
    def against(cls, listed: Iterable[str], today: Iterable[str]) -> OldNumbers:
        """``listed``: every number of the table; ``today``: those it lists as valid today."""
        listed, today = set(listed), set(today)
        convert, split, hints = {}, {}, {}
        for old in former_numbers():
            if old.number in today:
                continue
            now = successors(old)
            if old.split:
                split[old.number] = split_message(old, now)
            elif now[0].number in listed:
                convert[old.number] = now[0].number
            elif old.number not in listed:
                hints[old.number] = f"{old.describe()} is {now[0]} today"
        return cls(convert, split, hints)
