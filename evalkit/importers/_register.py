"""The team register as a file of its own, shared by mapping files and ``reference build``.

A mapping's ``teams:`` is either the register itself (a YAML list, as before) or
``{file: ../reference/teams.csv}``: a table with one row per team, kept once for every
tool's mapping. The file is read like a survey export (:func:`~._read.read_export`: CSV
in any encoding and separator evalkit reads, Excel, Parquet; every cell as text), so a
spreadsheet's row numbers name a bad cell.

Columns (the header names, in any order; only ``id`` is required):

``id``
    evalkit's team id (``T0301-1``).
``name``
    the team's name on the pages.
``municipality``
    the host municipality's number (``0301``; a spreadsheet's ``301`` gets its zero back).
    An old number is read through :class:`evalkit.municipalities.OldNumbers` where the
    reference is known: by the import (``_transform``) and by ``reference build``.
``network``
    the learning network's id.
``partners``
    partner municipalities' numbers, separated by ``|`` (``4602|4603``).
``codes``
    the survey tool's codes or labels for the team, separated by ``|`` (``1|Oslo FACT``).
    Further code columns (``codes_surveyxact``) may hold another tool's codes; a mapping
    picks one with ``teams: {file: ..., codes: codes_surveyxact}``.
``note``
    free notes for the evaluator; never read.

Rows come back as plain dictionaries in the mapping's inline form (the mapping module
turns them into :class:`~._mapping.TeamEntry`), each with ``source``: the file and row.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from evalkit.errors import InputError
from evalkit.schema import normalise_municipality_id

from ._read import ROW, read_export

LIST_SEPARATOR: Final = "|"
REGISTER_COLUMNS: Final = ("id", "name", "municipality", "network", "partners", "codes", "note")
"""The columns a team register file may have (plus further ``codes_...`` columns)."""


def _number(text: str) -> str:
    """A municipality number as a spreadsheet may give it (``301``, ``301.0``) → ``0301``."""
    return normalise_municipality_id(re.sub(r"[.,]0+$", "", text.strip()))


def _split(cell: str | None) -> list[str]:
    if cell is None:
        return []
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _problems_text(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems in the team register:\n  " + "\n  ".join(problems)


def read_team_register(path: Path, *, codes: str = "codes") -> tuple[list[dict[str, Any]], list[str]]:
    """:func:`load_team_register`'s rows and problems (each a located line), without raising
    for a bad cell (a file that cannot be read at all still raises :class:`InputError`)."""
    if not path.is_file():
        raise InputError(f"{path}: team register file not found")
    frame = read_export(path).frame
    source = str(path)
    columns = [c for c in frame.columns if c != ROW]
    unknown = [c for c in columns if c not in REGISTER_COLUMNS and not c.startswith("codes")]
    if unknown:
        raise InputError(
            f"{source}, row 1, column {unknown[0]!r}: not a column of a team register; expected "
            f"{', '.join(REGISTER_COLUMNS)} (or further code columns named codes_...)"
        )
    if "id" not in columns:
        raise InputError(f"{source}, row 1: the team register has no column 'id'; expected a column of team ids")
    if codes != "codes" and codes not in columns:
        raise InputError(
            f"{source}, row 1: the mapping asks for codes from column {codes!r}, which the team "
            f"register does not have; expected one of {', '.join(c for c in columns if c.startswith('codes')) or 'codes'}"
        )
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    code_owner: dict[str, tuple[str, int]] = {}
    for record in frame.iter_rows(named=True):
        row = int(record[ROW])

        def bad(column: str, value: object, what: str, row: int = row) -> None:
            problems.append(f"{source}, row {row}, column {column!r}: value {value!r} {what}")

        team = record.get("id")
        if team is None:
            bad("id", None, "is empty (expected the team's id, such as T0301-1)")
            continue
        if team in first_row:
            bad("id", team, f"is the id of the team in row {first_row[team]} too (expected each team once)")
            continue
        first_row[team] = row
        entry: dict[str, Any] = {"id": team, "source": f"{source}, row {row}"}
        for key in ("name", "network"):
            if record.get(key) is not None:
                entry[key] = record[key]
        municipality = record.get("municipality")
        if municipality is not None:
            try:
                entry["municipality"] = _number(municipality)
            except ValueError:
                bad("municipality", municipality, "is not a municipality number (expected 4 digits, such as 0301)")
        if record.get("partners") is not None:
            partners = []
            for partner in _split(record["partners"]):
                try:
                    partners.append(_number(partner))
                except ValueError:
                    bad("partners", partner, "is not a municipality number (expected 4-digit numbers "
                                             f"separated by {LIST_SEPARATOR!r}, such as 4602{LIST_SEPARATOR}4603)")
            entry["partners"] = partners
        team_codes = _split(record.get(codes))
        for code in team_codes:
            key = code.casefold()
            if key in code_owner and code_owner[key][0] != team:
                other, other_row = code_owner[key]
                bad(codes, code, f"is also the code of team {other!r} (row {other_row}); expected each code "
                                 "to name one team")
            code_owner.setdefault(key, (team, row))
        entry["codes"] = team_codes
        rows.append(entry)
    if not rows and not problems:
        problems.append(f"{source}: the team register has no teams; expected one row per team")
    return rows, problems


def load_team_register(path: Path, *, codes: str = "codes") -> list[dict[str, Any]]:
    """Read a team register file: one dictionary per team, in the mapping's inline form.

    Parameters
    ----------
    path
        A CSV, Excel or Parquet file with the columns of :data:`REGISTER_COLUMNS`.
    codes
        The column that holds the tool's codes for each team (default ``codes``).

    Raises
    ------
    InputError
        Naming the file, the row, the column and the value of every bad cell: a missing
        or repeated id, a municipality number that is not one, a code given to two teams,
        an unknown column.
    """
    rows, problems = read_team_register(path, codes=codes)
    if problems:
        raise InputError(_problems_text(problems))
    return rows

