"""The sample's monthly measures and progress scores as teams keep them (``--example``).

Measures: an Excel workbook with one sheet per team (named after the team, shortened to
what Excel allows), each a title row naming the team, a blank row and the team's table —
the measure column, the part column, one column per month (real Excel dates, which
Norwegian Excel shows as "jan.24"); for each measure a row per numerator, denominator or
value it has, a row for its notes and one for its changes. Progress scores: one CSV file
as Norwegian Excel saves it (semicolons, decimal commas, a byte-order mark), a team
column, an assessor column and one column per month ("jan. 2024"), a row per team and
assessor. The column names and the team's place are the folder's own mapping's
(``measures:`` and ``progress:``), so that the mapping reads them back exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Final

import polars as pl

from evalkit.canonical import CanonicalData
from evalkit.i18n import fmt_month_short
from evalkit.importers import Mapping

from ._xlsx import Cell, write_xlsx

MEASURES_FILE: Final = "maalinger.xlsx"
PROGRESS_FILE: Final = "fremdrift.csv"
_PARTS: Final = ("teller", "nevner", "verdi", "merknad", "endring")
"""The part column's words for numerator, denominator, value, note and change."""
_ASSESSORS: Final = {"faculty": "Fakultet", "self": "Egenvurdering"}
_NOT_IN_A_SHEET_NAME: Final = re.compile(r"[\[\]:*?/\\]")


def _number(value: float | None) -> Cell:
    """A count as a whole number (Excel shows 16, not 16.0); other values as they are."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _decimal_comma(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")


def _columns(mapping: Mapping) -> tuple[str, str, str, str]:
    """The measure and part columns, and progress's team and assessor columns, of the
    mapping the example is written for (its uncommented template sections)."""
    m, p = mapping.measures, mapping.progress
    if (m is None or p is None or m.layout != "wide" or m.team.from_ != "title" or m.measure is None
            or m.measure.column is None or m.part is None or p.layout != "wide" or p.team.column is None
            or p.assessor is None or p.assessor.column is None):
        raise RuntimeError("the init mapping template's measures/progress sections are not the wide layout "
                           "the example is written in (team from a title, measure and part columns; a team "
                           "and an assessor column)")
    return m.measure.column, m.part, p.team.column, p.assessor.column


def _sheet_name(name: str, team_id: str, taken: set[str]) -> str:
    """The part of a team's name before a colon ("Oslo 1"), as Excel allows a sheet name."""
    short = _NOT_IN_A_SHEET_NAME.sub("", name.split(":")[0]).strip()[:31]
    return short if short and short not in taken else team_id


def _team_sheet(team: str, rows: pl.DataFrame, labels: dict[str, str], measure: str, part: str) -> list[list[Cell]]:
    months: list[dt.date] = sorted(set(rows.get_column("period").to_list()))
    table: list[list[Cell]] = [[f"{team} – målinger"], [], [measure, part, *months]]
    for (measure_id,), series in rows.sort("measure_id").group_by("measure_id", maintain_order=True):
        by_month = {r["period"]: r for r in series.iter_rows(named=True)}

        def cell(r: dict[str, Any] | None, word: str) -> Cell:
            if r is None:
                return None
            if word == "merknad":
                return None if r["change_introduced"] else r["note"]
            if word == "endring":
                return (r["note"] or "x") if r["change_introduced"] else None
            return _number(r[{"teller": "numerator", "nevner": "denominator", "verdi": "value"}[word]])

        for word in _PARTS:
            values = [cell(by_month.get(m), word) for m in months]
            if any(v is not None for v in values):
                table.append([labels[str(measure_id)], word, *values])
    return table


def write_monthly(data: CanonicalData, mapping: Mapping, folder: Path) -> list[Path]:
    """Write the sample's measures and progress scores into ``folder`` (``exports``)."""
    measure, part, team_column, assessor_column = _columns(mapping)
    names = dict(data.teams.unique("team_id", keep="first").select("team_id", "name").iter_rows())
    labels = dict(data.measure_catalogue.select("measure_id", "label_nb").iter_rows())
    sheets: dict[str, list[list[Cell]]] = {}
    for (team_id,), rows in data.measures.sort("team_id").group_by("team_id", maintain_order=True):
        name = names.get(team_id, team_id)
        sheets[_sheet_name(name, str(team_id), set(sheets))] = _team_sheet(name, rows, labels, measure, part)
    write_xlsx(folder / MEASURES_FILE, sheets)

    progress = data.progress
    months: list[dt.date] = sorted(set(progress.get_column("period").to_list()))
    scores = {(r["team_id"], r["assessor"], r["period"]): r["score"] for r in progress.iter_rows(named=True)}
    lines = [";".join([team_column, assessor_column, *(fmt_month_short(m, "nb") for m in months)])]
    for team_id in sorted(set(progress.get_column("team_id").to_list())):
        for assessor, word in _ASSESSORS.items():
            cells = [_decimal_comma(scores.get((team_id, assessor, m))) for m in months]
            lines.append(";".join([names.get(team_id, team_id), word, *cells]))
    (folder / PROGRESS_FILE).write_bytes("\ufeff".encode() + "\r\n".join([*lines, ""]).encode("utf-8"))
    return [folder / MEASURES_FILE, folder / PROGRESS_FILE]
