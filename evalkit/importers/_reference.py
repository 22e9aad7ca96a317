"""The evaluator's reference files → the canonical reference tables (``evalkit reference build``).

A reference folder (``evalkit init`` makes one) holds files a person edits:

``networks.yml``
    the learning networks and, under each, its municipalities (host and partner
    municipalities of its teams) → ``networks`` and ``municipalities``;
``waves.yml``
    the waves in order, baseline first, each with the day it was collected and
    optionally the days its answers were given (``from``/``to``: a mapping can take a
    row's wave from a date column by these ranges) → ``waves``;
``measures.yml``
    the improvement measures the teams report → ``measure_catalogue``;
``teams.csv`` (or ``teams.xlsx``)
    the team register that mapping files share (``teams: {file: ...}``, see
    :mod:`._register`); checked here against the networks, not turned into a table (the
    ``teams`` table is built by ``evalkit validate``).

Every problem is reported with the file, the line (YAML) or row (CSV), the key or column
and the value, all at once; nothing is written while any remains. The formats are
described in ``evalkit/importers/README.md`` and in the commented files ``evalkit init``
writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from evalkit import canonical, municipalities
from evalkit.canonical import REFERENCE_TABLES
from evalkit.errors import InputError
from evalkit.schema import (
    CHART_KINDS,
    DIRECTIONS,
    TABLES,
    SchemaError,
    check_plausible,
    normalise_municipality_id,
    validate_table,
)
from evalkit.yamlio import Located, load_located

from ._register import read_team_register

NETWORKS_FILE: Final = "networks.yml"
WAVES_FILE: Final = "waves.yml"
MEASURES_FILE: Final = "measures.yml"
TEAM_REGISTER_FILES: Final = ("teams.csv", "teams.xlsx")
DEFAULT_VALID_FROM: Final = 2024
"""A municipality's ``valid_from`` when the file gives none: the numbers in force from 2024."""
_ID: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_ID_EXPECTED: Final = "an id of letters a-z, digits, '-' or '_', such as ost"
_UNITS: Final = tuple(TABLES["measure_catalogue"].column("unit").allowed or ())


@dataclass
class _Problems:
    """Located problems, collected so that a person can fix them all in one go."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, key: str | None, value: object, what: str) -> None:
        """``where, key 'k': value 'v' <what>``; without a value ``where, key 'k': <what>``."""
        at = f"{where}, key {key!r}" if key is not None else where
        self.lines.append(f"{at}: {what}" if value is None else f"{at}: value {value!r} {what}")

    def note(self, where: str, what: str) -> None:
        self.lines.append(f"{where}: {what}")

    def raise_if_any(self) -> None:
        if len(self.lines) == 1:
            raise InputError(self.lines[0])
        if self.lines:
            raise InputError(
                f"{len(self.lines)} problems in the reference files (nothing written):\n  " + "\n  ".join(self.lines)
            )


class _Refusal(Exception):
    """A value refused inside a helper; the caller adds where it was."""

    def __init__(self, key: str, value: object, what: str) -> None:
        super().__init__(what)
        self.key, self.value, self.what = key, value, what


# --------------------------------------------------------------------------- YAML entries


def _entries(doc: Located, key: str, problems: _Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    """The list under ``key:`` of a reference file, entry by entry (bad entries reported)."""
    data = doc.data
    example = {"networks": "networks:\n  - id: ost", "waves": "waves:\n  - id: '2025'",
               "measures": "measures:\n  - id: individual_plan"}[key]
    if not isinstance(data, dict) or key not in data:
        problems.note(doc.where(), f"expected a list under '{key}:' (such as {example!r})")
        return
    for other in data:
        if other != key:
            problems.add(doc.where(str(other)), str(other), None, f"not a key of this file; expected only '{key}:'")
    items = data[key]
    if items is None:
        return
    if not isinstance(items, list):
        problems.add(doc.where(key), key, None, "must be a list (each entry starting with '- ')")
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.add(doc.where(key, i), None, item, "is not an entry with keys (expected 'id: ...' and the rest)")
            continue
        yield i, item


def _keys(doc: Located, path: tuple[str | int, ...], item: dict[str, Any], allowed: tuple[str, ...],
          required: tuple[str, ...], problems: _Problems) -> bool:
    ok = True
    for k in item:
        if str(k) not in allowed:
            problems.add(doc.where(*path, str(k)), str(k), None, f"not a known key; expected {', '.join(allowed)}")
            ok = False
    for k in required:
        if item.get(k) is None or (isinstance(item.get(k), str) and not item[k].strip()):
            problems.add(doc.where(*path), k, None, "missing or empty")
            ok = False
    return ok


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _id(doc: Located, path: tuple[str | int, ...], value: object, problems: _Problems) -> str | None:
    text = _text(value)
    if not _ID.match(text):
        problems.add(doc.where(*path, "id"), "id", value, f"is not a valid id (expected {_ID_EXPECTED})")
        return None
    return text


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- municipalities


def municipality_facts(number: str, name: str | None, county: str | None) -> tuple[str, str]:
    """The name and county that the ``municipalities`` table gives municipality ``number``:
    what the file gives, else evalkit's municipality register
    (:mod:`evalkit.municipalities`, Statistics Norway's classification 131).

    Raises
    ------
    _Refusal
        A number the register does not know as valid from 2024 (an old number names
        today's, a split one its candidates).
    """
    found = municipalities.lookup(number)
    if found is None:
        try:
            today = municipalities.resolve(number)
        except municipalities.MunicipalityNumberError as exc:
            raise _Refusal("number", number, f"is not a municipality number valid from 2024: {exc}") from None
        raise _Refusal("number", number, f"is an old municipality number: {today.municipality.number} "
                                         f"{today.municipality.name} today; write that")
    given_name = name.strip() if name is not None and name.strip() else None
    given_county = county.strip() if county is not None and county.strip() else None
    return given_name or found.name, given_county or found.county_name


@dataclass(frozen=True)
class Networks:
    """What ``networks.yml`` gives: the two tables and each network's municipalities."""

    networks: pl.DataFrame
    municipalities: pl.DataFrame
    members: dict[str, tuple[str, ...]]


def _read_networks(path: Path, problems: _Problems) -> Networks:
    doc = load_located(path, "networks file")
    networks: dict[str, str] = {}
    members: dict[str, tuple[str, ...]] = {}
    facts: dict[str, tuple[str, str, int, str]] = {}
    for i, item in _entries(doc, "networks", problems):
        at: tuple[str | int, ...] = ("networks", i)
        if not _keys(doc, at, item, ("id", "name", "municipalities"), ("id", "name"), problems):
            continue
        network = _id(doc, at, item["id"], problems)
        if network is None:
            continue
        if network in networks:
            problems.add(doc.where(*at, "id"), "id", network, "is the id of an earlier network too (expected each once)")
            continue
        networks[network] = _text(item["name"])
        listed = item.get("municipalities") or []
        if not isinstance(listed, list) or not listed:
            problems.add(doc.where(*at, "municipalities"), "municipalities", None,
                         'must list the network\'s municipalities (such as - {number: "0301", name: Oslo, county: Oslo})')
            continue
        numbers: list[str] = []
        for j, entry in enumerate(listed):
            where = (*at, "municipalities", j)
            if isinstance(entry, dict):
                if not _keys(doc, where, entry, ("number", "name", "county", "valid_from"), ("number",), problems):
                    continue
                raw, name, county, valid_from = entry["number"], entry.get("name"), entry.get("county"), entry.get("valid_from")
            else:
                raw, name, county, valid_from = entry, None, None, None
            try:
                number = normalise_municipality_id(raw)
            except ValueError:
                problems.add(doc.where(*where), "number", raw, "is not a municipality number (expected 4 digits, such as \"0301\")")
                continue
            if number in numbers:
                problems.add(doc.where(*where), "number", number, f"is listed twice under network {network!r}")
                continue
            try:
                name_, county_ = municipality_facts(number, None if name is None else _text(name),
                                                    None if county is None else _text(county))
            except _Refusal as refusal:
                problems.add(doc.where(*where, refusal.key), refusal.key, refusal.value, refusal.what)
                continue
            if valid_from is None:
                valid_from = DEFAULT_VALID_FROM
            if isinstance(valid_from, bool) or not isinstance(valid_from, int) or not 1838 <= valid_from <= 2100:
                problems.add(doc.where(*where, "valid_from"), "valid_from", valid_from, "is not a year (expected 1838 to 2100)")
                continue
            if number in facts and facts[number][:3] != (name_, county_, valid_from):
                problems.add(doc.where(*where), "number", number,
                             f"is also listed at {facts[number][3]} with another name, county or valid_from "
                             f"({facts[number][0]!r}, {facts[number][1]!r}); expected the same facts everywhere")
                continue
            facts.setdefault(number, (name_, county_, valid_from, doc.where(*where)))
            numbers.append(number)
        members[network] = tuple(numbers)
    if not networks and not problems.lines:
        problems.note(doc.where(), "no networks; expected at least one under 'networks:'")
    return Networks(
        pl.DataFrame({"network_id": list(networks), "name": list(networks.values())},
                     schema=TABLES["networks"].polars_schema),
        pl.DataFrame(
            [(n, f[0], f[1], f[2], None) for n, f in facts.items()],
            schema=TABLES["municipalities"].polars_schema, orient="row",
        ),
        members,
    )


# --------------------------------------------------------------------------- waves


@dataclass(frozen=True)
class WaveEntry:
    """A wave of ``waves.yml``: its label, the day it was collected, the days of its answers."""

    wave: str
    collected: dt.date
    start: dt.date | None
    end: dt.date | None
    where: str


def _read_waves(path: Path, problems: _Problems, today: dt.date | None = None) -> list[WaveEntry]:
    doc = load_located(path, "waves file")
    today = today or dt.date.today()
    waves: list[WaveEntry] = []
    for i, item in _entries(doc, "waves", problems):
        at: tuple[str | int, ...] = ("waves", i)
        if not _keys(doc, at, item, ("id", "collected", "from", "to"), ("id", "collected"), problems):
            continue
        wave = _text(item["id"])
        if any(w.wave == wave for w in waves):
            problems.add(doc.where(*at, "id"), "id", wave, "is the id of an earlier wave too (expected each once)")
            continue
        dates: dict[str, dt.date | None] = {}
        for key in ("collected", "from", "to"):
            value = item.get(key)
            dates[key] = None if value is None else _date(value)
            if value is not None and dates[key] is None:
                problems.add(doc.where(*at, key), key, value, "is not a date (expected a date such as 2025-03-15)")
        collected, start, end = dates["collected"], dates["from"], dates["to"]
        if collected is None:
            continue
        if collected > today:
            problems.add(doc.where(*at, "collected"), "collected", collected.isoformat(),
                         f"lies in the future (today is {today.isoformat()}; expected the day the wave was collected)")
            continue
        if (item.get("from") is None) != (item.get("to") is None):
            problems.add(doc.where(*at), "from" if item.get("from") is None else "to", None,
                         "missing: give both 'from' and 'to' (the first and last day of the wave's answers), or neither")
            continue
        if start is not None and end is not None:
            if start > end:
                problems.add(doc.where(*at, "to"), "to", end.isoformat(), f"is before 'from' ({start.isoformat()})")
                continue
            if not start <= collected <= end:
                problems.add(doc.where(*at, "collected"), "collected", collected.isoformat(),
                             f"is outside the wave's own days ({start.isoformat()} to {end.isoformat()})")
                continue
            for other in waves:
                if other.start is not None and other.end is not None and start <= other.end and other.start <= end:
                    problems.add(doc.where(*at, "from"), "from", start.isoformat(),
                                 f"makes wave {wave!r} overlap wave {other.wave!r} ({other.start.isoformat()} to "
                                 f"{other.end.isoformat()}, {other.where}); expected each day in one wave")
                    break
        waves.append(WaveEntry(wave, collected, start, end, doc.where(*at)))
    if not waves and not problems.lines:
        problems.note(doc.where(), "no waves; expected at least one under 'waves:' (the baseline first)")
    return waves


def read_waves(path: Path, today: dt.date | None = None) -> list[WaveEntry]:
    """The waves of a ``waves.yml`` file, in order (raises :class:`InputError` naming every problem)."""
    problems = _Problems()
    waves = _read_waves(path, problems, today)
    problems.raise_if_any()
    return waves


def _waves_frame(waves: list[WaveEntry]) -> pl.DataFrame:
    return pl.DataFrame(
        [(w.wave, i, w.collected) for i, w in enumerate(waves)],
        schema=TABLES["waves"].polars_schema, orient="row",
    )


# --------------------------------------------------------------------------- measures


def _read_measures(path: Path, problems: _Problems) -> pl.DataFrame:
    doc = load_located(path, "measures file")
    rows: list[tuple[Any, ...]] = []
    for i, item in _entries(doc, "measures", problems):
        at: tuple[str | int, ...] = ("measures", i)
        keys = ("id", "label", "chart", "better", "target", "unit")
        if not _keys(doc, at, item, keys, ("id", "label", "chart", "better", "unit"), problems):
            continue
        measure = _id(doc, at, item["id"], problems)
        if measure is None:
            continue
        if any(r[0] == measure for r in rows):
            problems.add(doc.where(*at, "id"), "id", measure, "is the id of an earlier measure too (expected each once)")
            continue
        label = item["label"]
        if isinstance(label, dict):
            bad = sorted(set(map(str, label)) ^ {"nb", "nn", "en"})
            if bad:
                problems.add(doc.where(*at, "label"), "label", label,
                             "must give nb, nn and en (bokmål, nynorsk, English), or be one text for all three")
                continue
            labels = tuple(_text(label[k]) for k in ("nb", "nn", "en"))
        else:
            labels = (_text(label),) * 3
        ok = True
        for key, allowed in (("chart", CHART_KINDS), ("better", DIRECTIONS), ("unit", _UNITS)):
            if _text(item[key]) not in allowed:
                problems.add(doc.where(*at, key), key, item[key], f"is not one of {', '.join(allowed)}")
                ok = False
        target = item.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
            problems.add(doc.where(*at, "target"), "target", target, "is not a number (expected a number such as 0.8, or no target)")
            ok = False
        if ok:
            rows.append((measure, *labels, _text(item["chart"]), _text(item["better"]),
                         None if target is None else float(target), _text(item["unit"])))
    return pl.DataFrame(rows, schema=TABLES["measure_catalogue"].polars_schema, orient="row")


# --------------------------------------------------------------------------- the team register


def team_register_file(folder: Path) -> Path | None:
    """The team register in a reference folder (``teams.csv`` or ``teams.xlsx``), if any."""
    return next((folder / n for n in TEAM_REGISTER_FILES if (folder / n).is_file()), None)


def _check_register(path: Path, nets: Networks, problems: _Problems, notes: list[str]) -> int:
    """Check the team register against the networks; returns the number of teams.

    Its municipality numbers are read as ``evalkit validate`` reads them
    (:class:`evalkit.municipalities.OldNumbers`): an old number whose municipality of today
    is in ``networks.yml`` stands for it (with a note), a split one is refused naming the
    candidates, an old one whose municipality of today is not listed says which that is.
    """
    try:
        rows, found = read_team_register(path)
    except InputError as exc:
        problems.lines.append(str(exc))
        return 0
    problems.lines.extend(found)
    known = ", ".join(map(repr, nets.members)) or "none"
    numbers = nets.municipalities.get_column("municipality_id").to_list()  # all valid today
    old = municipalities.OldNumbers.against(numbers, numbers)
    for row in rows:
        where = row["source"]
        network = row.get("network")
        if network is not None and network not in nets.members:
            problems.add(f"{where}, column 'network'", None, network,
                         f"is not a network in {NETWORKS_FILE} (expected one of {known})")
            continue
        listed = nets.members.get(network, ()) if network is not None else tuple(
            m for ms in nets.members.values() for m in ms)
        under = f"under network {network!r}" if network is not None else "under any network"
        for column, given in (("municipality", [row.get("municipality")]), ("partners", row.get("partners") or [])):
            for number in given:
                at = f"{where}, column {column!r}"
                if number is None:
                    continue
                if number in old.split:
                    problems.add(at, None, number, f"is an old number: {old.split[number]}")
                    continue
                if number in old.convert:
                    notes.append(f"{at}: {municipalities.resolve(number).note}: read as {old.convert[number]}")
                    number = old.convert[number]
                if number not in listed:
                    hint = f"; {old.hints[number]}" if number in old.hints else ""
                    problems.add(at, None, number, f"is not listed {under} in {NETWORKS_FILE} "
                                                   f"(expected a municipality of the team's network){hint}")
    return len(rows)


# --------------------------------------------------------------------------- the whole folder


@dataclass(frozen=True)
class BuiltReference:
    """The canonical reference tables built from a reference folder, and what was checked."""

    tables: dict[str, pl.DataFrame]
    teams_checked: int
    register: Path | None
    notes: tuple[str, ...] = ()
    """The team register's old municipality numbers read as today's."""


def build_reference(folder: str | Path, *, today: dt.date | None = None) -> BuiltReference:
    """Read a reference folder and build the four canonical reference tables.

    Raises :class:`InputError` listing every problem (file, line or row, key or column,
    value) when any file is missing or wrong.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: reference folder not found (expected {NETWORKS_FILE}, {WAVES_FILE} and {MEASURES_FILE})")
    missing = [n for n in (NETWORKS_FILE, WAVES_FILE, MEASURES_FILE) if not (root / n).is_file()]
    if missing:
        raise InputError(f"{root}: missing {', '.join(missing)} (evalkit init writes commented examples of each)")
    problems = _Problems()
    nets = _read_networks(root / NETWORKS_FILE, problems)
    networks_ok = not problems.lines  # else the register's check would only echo them
    waves = _read_waves(root / WAVES_FILE, problems, today)
    catalogue = _read_measures(root / MEASURES_FILE, problems)
    register = team_register_file(root)
    notes: list[str] = []
    teams = _check_register(register, nets, problems, notes) if register is not None and networks_ok else 0
    problems.raise_if_any()
    tables = {"networks": nets.networks, "municipalities": nets.municipalities,
              "waves": _waves_frame(waves), "measure_catalogue": catalogue}
    try:
        checked = {name: validate_table(frame, name) for name, frame in tables.items()}
        check_plausible(checked, today=today)
    except SchemaError as exc:  # the checks above should have caught it: say where it came from
        raise InputError(f"{root}: the reference files give an invalid table: {exc}") from None
    return BuiltReference({n: checked[n] for n in REFERENCE_TABLES}, teams, register, tuple(notes))


def write_reference(built: BuiltReference, out: str | Path) -> list[Path]:
    """Write the reference tables into ``out`` (a folder ``--reference`` can name)."""
    return canonical.write_tables(built.tables, out)
