"""Measures and progress scores through ``evalkit validate``: long and wide layouts, CSV and
Excel, every month-header form; each bad input refused where it was written; the sample's
measures and scores written out wide and read back unchanged.

Every expected value is written by hand in this file (or, for the round trip, is the
sample data the spreadsheet was written from).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from evalkit.canonical import load
from evalkit.cli import main
from evalkit.i18n import fmt_month_short
from evalkit.importers import import_files
from evalkit.importers._months import parse_month
from evalkit.schema import TABLES
from tests.fixtures.importers.xlsx_writer import Cell, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIX = ROOT / "tests" / "fixtures" / "importers"

REGISTER = [
    {"id": "T0301-1", "name": "Oslo 1: FACT-team", "municipality": "0301", "network": "ost"},
    {"id": "T0301-2", "name": "Oslo 2: ROP-tjenester", "codes": ["Oslo 2"], "municipality": "0301", "network": "ost"},
]
IP = "Andel pasienter med individuell plan"  # individual_plan's bokmål label in the sample catalogue
WD = "Ventetid til første samtale (dager)"  # waiting_days's
NEW = "Ny rutine innført"
LEFT = "To behandlere sluttet"

Rows = list[list[Cell]]


def _mapping(tmp: Path, sections: dict[str, object], register: Sequence[dict[str, object]] = REGISTER) -> Path:
    path = tmp / "mapping.yml"
    path.write_text(json.dumps({"kind": "mapping", "teams": list(register), **sections}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def _csv(path: Path, rows: Rows, sep: str = ";", encoding: str = "utf-8") -> Path:
    def text(v: Cell) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return str(v).replace(".", ",") if sep == ";" else str(v)
        return str(v)
    path.write_bytes("\n".join(sep.join(text(v) for v in row) for row in rows).encode(encoding))
    return path


def _measures(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Canonical measures from hand-written tuples (team, measure, month, num, den, value, note, change)."""
    return pl.DataFrame(rows, schema=TABLES["measures"].polars_schema, orient="row").sort("team_id", "measure_id", "period")


def _progress(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TABLES["progress"].polars_schema, orient="row").sort("team_id", "period", "assessor")


def _import(paths: Sequence[Path], mapping: Path, tmp: Path, reference: Path = SAMPLE):  # type: ignore[no-untyped-def]
    return import_files(list(paths), mapping, work=tmp / "work", reference=reference)


def _got(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.sort(list(TABLES[table].key)).select(TABLES[table].polars_schema.names())


# ----------------------------------------------------------------------- months


@pytest.mark.parametrize(("text", "month"), [
    ("jan. 2025", date(2025, 1, 1)), ("januar 2025", date(2025, 1, 1)), ("Januar 2025", date(2025, 1, 1)),
    ("jul.24", date(2024, 7, 1)), ("jul. 24", date(2024, 7, 1)), ("JUL-24", date(2024, 7, 1)),
    ("01.2025", date(2025, 1, 1)), ("1.2025", date(2025, 1, 1)), ("12/2024", date(2024, 12, 1)),
    ("2025-01", date(2025, 1, 1)), ("2025.11", date(2025, 11, 1)),
    ("2025-01-01 00:00:00", date(2025, 1, 1)), ("2025-03-31", date(2025, 3, 1)), ("15.01.2025", date(2025, 1, 1)),
    ("mars 2025", date(2025, 3, 1)), ("mar.25", date(2025, 3, 1)), ("mai 2025", date(2025, 5, 1)),
    ("des.24", date(2024, 12, 1)), ("sept. 2024", date(2024, 9, 1)), ("febr. 2025", date(2025, 2, 1)),
    ("okt 2025", date(2025, 10, 1)), ("May 2025", date(2025, 5, 1)), ("October 2025", date(2025, 10, 1)),
    ("desember 2025", date(2025, 12, 1)),
])
def test_month_forms(text: str, month: date) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["13.2025", "2025-13", "0.2025", "jux 2025", "feb 2O25", "45658", "1,25",
                                  "1.25", "2025", "Sum", "31.02.2025", "jan. 1850", ""])
def test_not_a_month(text: str) -> None:
    assert parse_month(text) is None


# ----------------------------------------------------------------------- wide

HEADER_FORMS = {
    "jan. 2025": ["jan. 2025", "feb. 2025", "mars 2025"],
    "januar 2025": ["januar 2025", "februar 2025", "mars 2025"],
    "jan.25 (mmm.yy)": ["jan.25", "feb.25", "mar.25"],
    "01.2025": ["01.2025", "02.2025", "03.2025"],
    "2025-01": ["2025-01", "2025-02", "2025-03"],
}
WIDE_EXPECTED = _measures([
    ("T0301-1", "individual_plan", date(2025, 1, 1), 11.0, 14.0, None, None, False),
    ("T0301-1", "individual_plan", date(2025, 2, 1), 12.0, 15.0, None, NEW, True),
    ("T0301-1", "waiting_days", date(2025, 1, 1), None, None, 30.5, None, False),
    ("T0301-1", "waiting_days", date(2025, 2, 1), None, None, 28.0, NEW, True),
    ("T0301-1", "waiting_days", date(2025, 3, 1), None, None, 26.25, None, False),
    ("T0301-2", "individual_plan", date(2025, 1, 1), 5.0, 9.0, None, None, False),
    ("T0301-2", "individual_plan", date(2025, 2, 1), 0.0, 0.0, None, None, False),
    ("T0301-2", "individual_plan", date(2025, 3, 1), 7.0, 10.0, None, None, False),
    ("T0301-2", "waiting_days", date(2025, 1, 1), None, None, 40.0, None, False),
    ("T0301-2", "waiting_days", date(2025, 3, 1), None, None, 38.5, LEFT, False),
])
"""Oslo 1: March's individual-plan cells are empty (one blank, one dash), so March has no
row; the block's own "Endring" row marks February for both its measures. Oslo 2:
February's waiting time is empty; a note row belongs to waiting time alone."""


def _oslo1(headers: Sequence[Cell]) -> Rows:
    return [
        ["Måling", "Del", *headers],
        [IP, "teller", 11, 12, None],
        [IP, "nevner", 14, 15, "-"],
        [WD, None, 30.5, 28, 26.25],
        ["Endring", None, None, NEW, None],
    ]


def _oslo2(headers: Sequence[Cell]) -> Rows:
    return [
        ["Måling", "Del", *headers],
        ["individual_plan", "teller", 5, 0, 7],
        ["individual_plan", "nevner", 9, 0, 10],
        [WD, "verdi", 40, None, 38.5],
        [WD, "merknad", None, None, LEFT],
    ]


WIDE_SECTION = {"layout": "wide", "measure": "Måling", "part": "Del"}


@pytest.mark.parametrize("form", list(HEADER_FORMS))
def test_wide_csv_a_block_per_team_under_its_title(form: str, tmp_path: Path) -> None:
    headers = HEADER_FORMS[form]
    rows = [["Oslo 1: FACT-team – målinger 2025"], [], *_oslo1(headers), [], [], ["Oslo 2 (kode)"], *_oslo2(headers)]
    path = _csv(tmp_path / "maalinger.csv", rows, encoding="cp1252")
    mapping = _mapping(tmp_path, {"measures": {**WIDE_SECTION, "team": {"from": "title"}}})
    result = _import([path], mapping, tmp_path)
    assert_frame_equal(_got(result.data.measures, "measures"), WIDE_EXPECTED)
    assert result.data.rejections.height == 0
    (stats,) = result.stats
    assert (stats.section, stats.rows_read, stats.accepted, stats.rejected) == ("measures", 10, 10, 0)


@pytest.mark.parametrize("form", [*HEADER_FORMS, "Excel dates"])
def test_wide_excel_a_sheet_per_team(form: str, tmp_path: Path) -> None:
    headers: list[Cell] = (
        [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)] if form == "Excel dates" else list(HEADER_FORMS[form])
    )
    path = tmp_path / "maalinger.xlsx"
    # A title row and a blank row above the header; the sheet name names the team.
    write_xlsx(path, {"Oslo 1 FACT-team": [["Målinger 2025"], [], *_oslo1(headers)],
                      "Oslo 2": [[], [], [], *_oslo2(headers)],
                      "Forklaring": [["Skriv tallene inn for hver måned."]]})
    mapping = _mapping(tmp_path, {"measures": {**WIDE_SECTION, "team": {"from": "sheet"}}})
    result = _import([path], mapping, tmp_path)
    assert_frame_equal(_got(result.data.measures, "measures"), WIDE_EXPECTED)
    assert result.data.rejections.height == 0
    assert any("Forklaring" in n and "left out" in n for n in result.stats[0].notes)


def test_wide_title_above_a_dated_subtitle_names_the_block(tmp_path: Path) -> None:
    headers = ["jan. 2025", "feb. 2025", "mars 2025"]
    path = tmp_path / "maalinger.xlsx"
    write_xlsx(path, {"Ark1": [
        ["Oslo 1: FACT-team"], ["Oppdatert", date(2025, 3, 14)], *_oslo1(headers),  # a date, but not a month
        [], ["Oslo 2"], ["Tall fra journalen"], *_oslo2(headers),                   # the team two rows up
    ]})
    mapping = _mapping(tmp_path, {"measures": {**WIDE_SECTION, "team": {"from": "title"}}})
    result = _import([path], mapping, tmp_path)
    assert result.data.rejections.height == 0
    assert_frame_equal(_got(result.data.measures, "measures"), WIDE_EXPECTED)


def test_wide_one_sheet_with_a_team_column_and_parts_in_the_labels(tmp_path: Path) -> None:
    headers = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    rows: Rows = [
        ["Månedlige målinger, alle team"],
        ["Team", "Måling", *headers, "Sum"],
        ["Oslo 1: FACT-team", f"{IP} – teller", 11, 12, None, 23],
        ["Oslo 1: FACT-team", f"{IP} (nevner)", 14, 15, None, 29],
        ["Oslo 1: FACT-team", WD, 30.5, 28, 26.25, None],
        ["Oslo 1: FACT-team", "Endring", None, NEW, None, None],
        ["T0301-2", "Teller: individual plan", 5, 0, 7, None],
        ["T0301-2", "Nevner: individual plan", 9, 0, 10, None],
        ["T0301-2", "Ventetid til første samtale (dagar)", 40, None, 38.5, None],
        ["T0301-2", "Waiting time to first appointment (days) – note", None, None, LEFT, None],
    ]
    path = tmp_path / "alle.xlsx"
    write_xlsx(path, {"Data": rows})
    mapping = _mapping(tmp_path, {"measures": {"layout": "wide", "team": "Team", "measure": "Måling",
                                               "ignore": ["Sum"]}})
    result = _import([path], mapping, tmp_path)
    assert_frame_equal(_got(result.data.measures, "measures"), WIDE_EXPECTED)
    assert result.data.rejections.height == 0


def test_wide_shared_denominator_row_named_in_the_mapping(tmp_path: Path) -> None:
    rows: Rows = [
        ["Måling", "jan. 2025", "feb. 2025"],
        ["Antall med individuell plan", 3, 4],
        ["Antall spurt hva som er viktig", 2, 5],
        ["Antall pasienter", 10, 12],
    ]
    path = _csv(tmp_path / "oslo1.csv", rows)
    mapping = _mapping(tmp_path, {"measures": {"layout": "wide", "team": {"value": "T0301-1"}, "measure": {
        "column": "Måling", "values": {
            "Antall med individuell plan": "individual_plan.numerator",
            "Antall spurt hva som er viktig": "what_matters.numerator",
            "Antall pasienter": ["individual_plan.denominator", "what_matters.denominator"]}}}})
    result = _import([path], mapping, tmp_path)
    assert_frame_equal(_got(result.data.measures, "measures"), _measures([
        ("T0301-1", "individual_plan", date(2025, 1, 1), 3.0, 10.0, None, None, False),
        ("T0301-1", "individual_plan", date(2025, 2, 1), 4.0, 12.0, None, None, False),
        ("T0301-1", "what_matters", date(2025, 1, 1), 2.0, 10.0, None, None, False),
        ("T0301-1", "what_matters", date(2025, 2, 1), 5.0, 12.0, None, None, False),
    ]))


# ----------------------------------------------------------------------- long

LONG_HEADER = ["Team", "Måling", "Måned", "Teller", "Nevner", "Verdi", "Merknad", "Endring"]
LONG_SECTION = {"team": "Team", "measure": "Måling", "month": "Måned", "numerator": "Teller",
                "denominator": "Nevner", "value": "Verdi", "note": "Merknad", "change": "Endring"}
LONG_EXPECTED = _measures([
    ("T0301-1", "individual_plan", date(2025, 1, 1), 11.0, 14.0, None, None, False),
    ("T0301-1", "individual_plan", date(2025, 2, 1), 12.0, 15.0, None, NEW, True),
    ("T0301-1", "waiting_days", date(2025, 1, 1), None, None, 30.5, None, False),
    ("T0301-1", "waiting_days", date(2025, 2, 1), None, None, 28.0, "Ferie", True),
    ("T0301-2", "waiting_days", date(2025, 3, 1), None, None, 38.5, LEFT, False),
])


def _long_rows(months: Sequence[Cell]) -> Rows:
    return [
        ["Målinger fra teamene, 2025"],
        [],
        LONG_HEADER,
        ["Oslo 1: FACT-team", IP, months[0], 11, 14, None, None, None],
        ["Oslo 1: FACT-team", "individual_plan", months[1], 12, 15, None, None, NEW],
        ["T0301-1", "waiting_days", months[2], None, None, 30.5, None, None],
        ["t0301-1", WD.upper(), months[3], None, None, 28, "Ferie", "x"],
        ["Oslo 2", "Waiting time to first appointment (days)", months[4], None, None, 38.5, LEFT, "nei"],
        ["Oslo 2", "waiting_days", months[5], None, None, None, None, None],
    ]


def test_long_csv_below_a_title_with_decimal_commas(tmp_path: Path) -> None:
    months = ["jan. 2025", "02.2025", "2025-01", "februar 2025", "mar.25", "apr.25"]
    path = _csv(tmp_path / "maalinger.csv", _long_rows(months), encoding="utf-8-sig")
    result = _import([path], _mapping(tmp_path, {"measures": LONG_SECTION}), tmp_path)
    assert_frame_equal(_got(result.data.measures, "measures"), LONG_EXPECTED)
    assert result.data.rejections.height == 0
    assert (result.stats[0].rows_read, result.stats[0].accepted) == (5, 5)  # the empty row is no row


def test_long_excel_with_real_dates(tmp_path: Path) -> None:
    months = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 1, 1), "februar 2025", date(2025, 3, 1), "apr.25"]
    path = tmp_path / "maalinger.xlsx"
    write_xlsx(path, {"Målinger": _long_rows(months)})
    result = _import([path], _mapping(tmp_path, {"measures": {**LONG_SECTION, "sheets": ["Målinger"]}}), tmp_path)
    assert_frame_equal(_got(result.data.measures, "measures"), LONG_EXPECTED)


# ----------------------------------------------------------------------- progress

PROGRESS_EXPECTED = _progress([
    ("T0301-1", date(2024, 7, 1), 1.5, "faculty"), ("T0301-1", date(2024, 7, 1), 2.0, "self"),
    ("T0301-1", date(2024, 8, 1), 2.0, "faculty"), ("T0301-1", date(2024, 8, 1), 2.5, "self"),
    ("T0301-2", date(2024, 7, 1), 1.0, "self"), ("T0301-2", date(2024, 9, 1), 5.0, "faculty"),
])


def test_progress_long_csv_one_column_per_assessor(tmp_path: Path) -> None:
    rows: Rows = [
        ["Team", "Måned", "Fakultet", "Egen"],
        ["Oslo 1: FACT-team", "jul.24", 1.5, 2.0],
        ["Oslo 1: FACT-team", "aug.24", "2", 2.5],
        ["Oslo 2", "juli 2024", None, "1,0"],
        ["Oslo 2", "09.2024", 5.0, None],
    ]
    path = _csv(tmp_path / "fremdrift.csv", rows)
    mapping = _mapping(tmp_path, {"progress": {"team": "Team", "month": "Måned", "faculty": "Fakultet",
                                               "self": "Egen"}})
    result = _import([path], mapping, tmp_path)
    assert_frame_equal(_got(result.data.progress, "progress"), PROGRESS_EXPECTED)
    assert (result.stats[0].rows_read, result.stats[0].accepted) == (6, 6)  # team × month × assessor


def test_progress_wide_excel_a_sheet_per_team(tmp_path: Path) -> None:
    path = tmp_path / "fremdrift.xlsx"
    write_xlsx(path, {
        "Oslo 1 FACT-team": [["Fremdriftsskår (IHI)"], ["Vurdering", "jul.24", "aug.24", "sep.24"],
                             ["Fakultet", 1.5, 2, None], ["Egenvurdering", 2, 2.5, None]],
        "Oslo 2": [["Vurdering", date(2024, 7, 1), date(2024, 8, 1), date(2024, 9, 1)],
                   ["Faculty", None, None, 5], ["Self", 1, None, None]],
    })
    mapping = _mapping(tmp_path, {"progress": {"layout": "wide", "team": {"from": "sheet"}}})
    result = _import([path], mapping, tmp_path)
    assert_frame_equal(_got(result.data.progress, "progress"), PROGRESS_EXPECTED)


# ----------------------------------------------------------------------- teams


def test_teams_only_measures_name_join_the_waves_they_reported_before(tmp_path: Path) -> None:
    # Sample waves: 2025 collected 2025-03-15, 2026 collected 2026-03-15.
    rows: Rows = [[*LONG_HEADER[:3], "Verdi"],
                  ["T0301-1", "waiting_days", "jan. 2025", 3],   # before both collections
                  ["T0301-2", "waiting_days", "juni 2025", 4],   # after 2025's, before 2026's
                  ["T0301-3", "waiting_days", "april 2026", 5]]  # after both: the last wave
    register = [*REGISTER, {"id": "T0301-3", "name": "Oslo 3", "municipality": "0301", "network": "ost"}]
    mapping = _mapping(tmp_path, {"measures": {k: LONG_SECTION[k] for k in ("team", "measure", "month", "value")}},
                       register)
    result = _import([_csv(tmp_path / "m.csv", rows)], mapping, tmp_path)
    got = sorted(result.data.teams.select("team_id", "wave").iter_rows())
    assert got == [("T0301-1", "2025"), ("T0301-1", "2026"), ("T0301-2", "2026"), ("T0301-3", "2026")]


def test_measures_beside_the_surveys_name_the_surveys_teams(tmp_path: Path) -> None:
    text = (ROOT / "params" / "nettskjema_mapping.yml").read_text(encoding="utf-8")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(text + "\nmeasures:\n  files: ['*maal*']\n  team: Team\n  measure: Måling\n"
                       "  month: Måned\n  numerator: Teller\n  denominator: Nevner\n", encoding="utf-8")
    measures = _csv(tmp_path / "maalinger.csv", [["Team", "Måling", "Måned", "Teller", "Nevner"],
                                                  ["Oslo FACT", "Andel med individuell plan", "jan. 2025", 3, 4],
                                                  ["Bærum 1: ROP-tjenester", "individual_plan", "jan. 2025", 1, 2]])
    surveys = [FIX / "nettskjema" / "medlem.csv", FIX / "nettskjema" / "team.csv"]
    result = _import([*surveys, measures], mapping, tmp_path, reference=FIX / "reference")
    assert result.data.respondents.height == 12
    assert sorted(result.data.measures.select("team_id", "numerator", "denominator").iter_rows()) == [
        ("T0301-1", 3.0, 4.0), ("T3201-1", 1.0, 2.0)]
    assert [s.section for s in result.stats] == ["member", "team", "measures"]


# ----------------------------------------------------------------------- rejections


def _validate(args: list[str], out: Path) -> int:
    return main(["validate", *args, "--out", str(out)])


def _rejections(out: Path) -> set[tuple[object, ...]]:
    rej = load(out).rejections
    return {(r["row"], r["column"], r["value"], r["reason"].split(":")[0]) for r in rej.iter_rows(named=True)}


def test_bad_long_measures_are_rejected_where_they_were_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: Rows = [
        LONG_HEADER[:6],
        ["T0301-1", "individual_plan", "jan. 2025", 11, 14, None],        # 2: good
        ["T0301-1", "individual_plan", "feb. 2025", 15, 14, None],        # 3: numerator above denominator
        ["T0301-1", "waiting_days", "jan. 2025", None, None, -3],         # 4: negative
        ["T0301-1", "waiting_days", "feb 2O25", None, None, 28],          # 5: not a month (letter O)
        ["Oslo 9", "waiting_days", "mars 2025", None, None, 30],          # 6: unknown team
        ["T0301-1", "Ventetid", "mars 2025", None, None, 30],             # 7: unknown measure
        ["T0301-1", "individual_plan", "01.2025", 10, 12, None],          # 8: January again
        ["T0301-1", "individual_plan", "mars 2025", 4, None, None],       # 9: numerator without denominator
        ["T0301-2", "waiting_days", "jan. 2025", None, None, "ti"],       # 10: not a number
        ["T0301-2", "individual_plan", "jan. 2025", 2.5, 10, None],       # 11: a count with a decimal
        ["T0301-2", "waiting_days", "jan. 2030", None, None, 3],          # 12: a month to come
        ["T0301-2", "individual_plan", "feb. 2025", None, None, "61 %"],  # 13: a p-chart's value
        ["T0301-2", "waiting_days", "feb. 2025", None, None, 12.5],       # 14: good (decimal comma)
        ["T0301-2", "waiting_days", "mars 2025", None, None, "NaN"],      # 15: not a number either
        ["T0301-2", "waiting_days", "april 2025", None, None, "5 %"],     # 16: days are no per cent
    ]
    path = _csv(tmp_path / "maalinger.csv", rows)
    mapping = _mapping(tmp_path, {"measures": {k: LONG_SECTION[k] for k in
                                               ("team", "measure", "month", "numerator", "denominator", "value")}})
    args = [str(path), "--mapping", str(mapping), "--reference", str(SAMPLE), "--work", str(tmp_path / "work")]
    out = tmp_path / "out"
    assert _validate(args, out) == 0
    printed = capsys.readouterr().out
    assert "measures (1 sheet): 15 rows read, 2 accepted, 13 rejected" in printed
    assert _rejections(out) == {
        (3, "Teller", "15", "numerator above denominator"),
        (4, "Verdi", "-3", "negative value"),
        (5, "Måned", "feb 2O25", "not a month"),
        (6, "Team", "Oslo 9", "unknown team"),
        (7, "Måling", "Ventetid", "unknown measure"),
        (8, "Måned", "01.2025", "duplicate month"),
        (9, "Teller", "4", "missing value"),
        (10, "Verdi", "ti", "not a number"),
        (11, "Teller", "2,5", "not a whole number"),
        (12, "Måned", "jan. 2030", "month in the future"),
        (13, "Verdi", "61 %", "missing value"),
        (15, "Verdi", "NaN", "not a number"),
        (16, "Verdi", "5 %", "not a number"),
    }
    assert set(load(out).rejections.get_column("file")) == {str(path)}
    assert set(load(out).rejections.get_column("unit")) == {"0301", None}  # the team's host, where known
    assert f"{path}, row 3, column 'Teller': value '15': numerator above denominator: 15 is more than its denominator 14" in printed
    assert_frame_equal(_got(load(out).measures, "measures"), _measures([
        ("T0301-1", "individual_plan", date(2025, 1, 1), 11.0, 14.0, None, None, False),
        ("T0301-2", "waiting_days", date(2025, 2, 1), None, None, 12.5, None, False),
    ]))
    strict = tmp_path / "strict"
    assert _validate([*args, "--strict"], strict) == 2
    assert "--strict" in capsys.readouterr().err
    assert not strict.exists()


def test_bad_wide_measures_are_rejected_at_their_cell_header_label_or_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: Rows = [
        ["Oslo 1: FACT-team"],                                                       # 1
        ["Måling", "Del", "jan. 2025", "feb. 2025", "13.2025", "feb. 2025"],         # 2: E not a month, F again
        ["individual_plan", "teller", 11, 20, 5, 12],                                # 3: D3 above D4
        ["individual_plan", "nevner", 14, 15, 6, 15],                                # 4
        ["Ventetid", None, 3, 4, None, None],                                        # 5: unknown measure
        ["waiting_days", "antall", 3, None, None, None],                             # 6: unknown row kind
        [],                                                                          # 7
        ["Osloo 3 – målinger"],                                                      # 8: unknown team
        ["Måling", "Del", "jan. 2025"],                                              # 9
        ["waiting_days", None, 7],                                                   # 10
    ]
    path = _csv(tmp_path / "maalinger.csv", rows)
    mapping = _mapping(tmp_path, {"measures": {**WIDE_SECTION, "team": {"from": "title"}}})
    out = tmp_path / "out"
    assert _validate([str(path), "--mapping", str(mapping), "--reference", str(SAMPLE), "--work",
                      str(tmp_path / "work")], out) == 0
    printed = capsys.readouterr().out
    assert _rejections(out) == {
        (3, "D (feb. 2025)", "20", "numerator above denominator"),
        (2, "E", "13.2025", "not a month"),
        (3, "F (feb. 2025)", "12", "duplicate month"),
        (5, "A", "Ventetid", "unknown measure"),
        (6, "B", "antall", "unknown row kind"),
        (8, "A", "Osloo 3 – målinger", "unknown team"),
    }
    assert "(2 values not imported)" in printed  # the 'Ventetid' row's two months
    assert "measures (1 sheet): 8 rows read, 1 accepted, 7 rejected" in printed
    assert_frame_equal(_got(load(out).measures, "measures"), _measures([
        ("T0301-1", "individual_plan", date(2025, 1, 1), 11.0, 14.0, None, None, False)]))


def test_unknown_team_in_a_sheet_name_is_reported_once_for_the_sheet(tmp_path: Path) -> None:
    path = tmp_path / "maalinger.xlsx"
    write_xlsx(path, {"Oslo 2": _oslo2(["jan. 2025", "feb. 2025", "mars 2025"]),
                      "Tromsø 1": _oslo2(["jan. 2025", "feb. 2025", "mars 2025"])})
    mapping = _mapping(tmp_path, {"measures": {**WIDE_SECTION, "team": {"from": "sheet"}}})
    result = _import([path], mapping, tmp_path)
    rej = result.data.rejections
    assert rej.select("file", "row", "column", "value").rows() == [(f"{path}[Tromsø 1]", None, "(sheet name)", "Tromsø 1")]
    assert rej.get_column("reason")[0].startswith("unknown team: 'Tromsø 1' is not known")
    assert "(5 values not imported)" in rej.get_column("reason")[0]
    assert result.data.measures.get_column("team_id").unique().to_list() == ["T0301-2"]


def test_bad_progress_scores_are_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: Rows = [
        ["Team", "Måned", "Poeng", "Vurdert av"],
        ["T0301-1", "jan. 2025", "2,3", "fakultet"],      # 2: off the grid
        ["T0301-1", "feb. 2025", "5,5", "fakultet"],      # 3: above 5
        ["T0301-1", "mars 2025", "0", "selv"],            # 4: below 0.5
        ["T0301-1", "jan. 2025", "fem", "selv"],          # 5: not a number
        ["T0301-1", "feb. 2025", "3", "rektor"],          # 6: unknown assessor
        ["T0301-1", "apr. 2025", "4,5", "Egenvurdering"], # 7: good
    ]
    path = _csv(tmp_path / "fremdrift.csv", rows)
    mapping = _mapping(tmp_path, {"progress": {"team": "Team", "month": "Måned", "score": "Poeng",
                                               "assessor": "Vurdert av"}})
    out = tmp_path / "out"
    assert _validate([str(path), "--mapping", str(mapping), "--reference", str(SAMPLE), "--work",
                      str(tmp_path / "work")], out) == 0
    assert "progress (1 sheet): 6 rows read, 1 accepted, 5 rejected" in capsys.readouterr().out
    assert _rejections(out) == {
        (2, "Poeng", "2,3", "score off the 0.5 grid"),
        (3, "Poeng", "5,5", "value out of range"),
        (4, "Poeng", "0", "value out of range"),
        (5, "Poeng", "fem", "not a number"),
        (6, "Vurdert av", "rektor", "unknown assessor"),
    }
    assert_frame_equal(_got(load(out).progress, "progress"), _progress([("T0301-1", date(2025, 4, 1), 4.5, "self")]))


@pytest.mark.parametrize(("section", "rows", "expected"), [
    ("measures", [LONG_HEADER[:6], ["Oslo 9", "waiting_days", "jan. 2025", None, None, 30],
                  ["Oslo 9", "waiting_days", "feb. 2025", None, None, 31],
                  ["T0301-1", "waiting_days", "jan. 2030", None, None, 3]],
     "measures: none of the 3 rows (a team's measure in one month) could be used; most common reasons: "
     "unknown team (2 rows), month in the future (1 row); nothing written (fix the mapping or the spreadsheets;"),
    ("progress", [["Team", "Måned", "Poeng", "Vurdert av"], ["T0301-1", "jan. 2025", "2,3", "fakultet"]],
     "progress scores: none of the 1 rows (an assessor's score for a team in one month) could be used; most "
     "common reasons: score off the 0.5 grid (1 row); nothing written (fix the mapping or the spreadsheets;"),
])
def test_measures_or_progress_without_a_usable_row_exit_2_in_their_own_words(
    section: str, rows: Rows, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sections = {"measures": {k: LONG_SECTION[k] for k in ("team", "measure", "month", "numerator", "denominator", "value")},
                "progress": {"team": "Team", "month": "Måned", "score": "Poeng", "assessor": "Vurdert av"}}
    path = _csv(tmp_path / f"{section}.csv", rows)
    out = tmp_path / "out"
    assert _validate([str(path), "--mapping", str(_mapping(tmp_path, {section: sections[section]})),
                      "--reference", str(SAMPLE), "--work", str(tmp_path / "work")], out) == 2
    err = capsys.readouterr().err
    assert expected in err and "survey" not in err
    assert not out.exists()


# ----------------------------------------------------------------------- fatal


@pytest.mark.parametrize(("case", "needles"), [
    ("missing-column", ["maalinger.csv", "row 1", "'Nevner2'", "measures.denominator"]),
    ("no-months", ["maalinger.csv", "no header row of months"]),
    ("wrong-sheet", ["no sheet 'Data'", "'Ark1'"]),
    ("unknown-constant-team", ["measures.team", "'T9999-1'"]),
    ("unknown-measure-in-mapping", ["measures.measure.values", "'blood_pressure'"]),
    ("mapping-layout", ["not a valid mapping", "long layout"]),
])
def test_fatal_measure_input_exits_2_and_writes_nothing(case: str, needles: list[str], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = _csv(tmp_path / "maalinger.csv", [["Team", "Måling", "Måned", "Teller", "Nevner"],
                                                  ["T0301-1", "individual_plan", "jan. 2025", 1, 2]])
    xlsx = tmp_path / "maalinger.xlsx"
    write_xlsx(xlsx, {"Ark1": [["Måling", "jan. 2025"], ["waiting_days", 3]]})
    long = {k: LONG_SECTION[k] for k in ("team", "measure", "month", "numerator", "denominator")}
    wide = {"layout": "wide", "team": {"value": "T0301-1"}}
    sections, path = {
        "missing-column": ({**long, "denominator": "Nevner2"}, csv_path),
        "no-months": (wide, csv_path),
        "wrong-sheet": ({**wide, "sheets": ["Data"]}, xlsx),
        "unknown-constant-team": ({**wide, "team": {"value": "T9999-1"}}, xlsx),
        "unknown-measure-in-mapping": ({**wide, "measure": {"column": "Måling", "values": {"BT": "blood_pressure"}}}, xlsx),
        "mapping-layout": ({"team": "Team", "measure": "Måling"}, csv_path),
    }[case]
    mapping = _mapping(tmp_path, {"measures": sections})
    out = tmp_path / "out"
    assert _validate([str(path), "--mapping", str(mapping), "--reference", str(SAMPLE), "--work",
                      str(tmp_path / "work")], out) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    assert not out.exists()


# ----------------------------------------------------------------------- round trip


def _sample_register() -> list[dict[str, object]]:
    teams = pl.read_parquet(SAMPLE / "teams.parquet").unique("team_id").sort("team_id")
    return [{"id": r["team_id"], "name": r["name"], "municipality": r["municipality_id"], "network": r["network_id"],
             **({"partners": r["partner_municipality_ids"]} if r["partner_municipality_ids"] is not None else {})}
            for r in teams.iter_rows(named=True)]


def _wide_blocks(measures: pl.DataFrame, labels: dict[str, str], header: Callable[[date], Cell]) -> dict[str, Rows]:
    """The sample's measures as teams keep them: per team, months as columns, a row per
    numerator, denominator or value, and rows for notes and changes."""
    parts: list[tuple[str, str, Callable[[dict[str, Any]], Cell]]] = [
        ("teller", "numerator", lambda r: r["numerator"]),
        ("nevner", "denominator", lambda r: r["denominator"]),
        ("verdi", "value", lambda r: r["value"]),
        ("merknad", "note", lambda r: None if r["change_introduced"] else r["note"]),
        ("endring", "note", lambda r: (r["note"] or "x") if r["change_introduced"] else None),
    ]
    out: dict[str, Rows] = {}
    for (team,), rows in measures.sort("period").group_by("team_id", maintain_order=True):
        months = sorted(set(rows.get_column("period").to_list()))
        sheet: Rows = [["Måling", "Del", *(header(m) for m in months)]]
        for (measure,), series in rows.group_by("measure_id", maintain_order=True):
            by_month = {r["period"]: r for r in series.iter_rows(named=True)}
            for part, column, get in parts:
                if series.get_column(column).is_not_null().any():
                    sheet.append([labels[str(measure)], part,
                                  *(get(by_month[m]) if m in by_month else None for m in months)])
        out[str(team)] = sheet
    return out


@pytest.mark.parametrize("form", ["excel-sheet-per-team", "csv-block-per-team"])
def test_round_trip_sample_measures_wide_and_back(form: str, tmp_path: Path) -> None:
    sample = pl.read_parquet(SAMPLE / "measures.parquet")
    catalogue = pl.read_parquet(SAMPLE / "measure_catalogue.parquet")
    names = dict(pl.read_parquet(SAMPLE / "teams.parquet").select("team_id", "name").unique().iter_rows())
    if form == "excel-sheet-per-team":
        labels = dict(catalogue.select("measure_id", "label_nb").iter_rows())
        path = tmp_path / "maalinger.xlsx"
        write_xlsx(path, _wide_blocks(sample, labels, lambda m: m))  # real Excel dates; sheet = team id
        team: dict[str, str] = {"from": "sheet"}
    else:
        labels = dict(catalogue.select("measure_id", "label_nn").iter_rows())
        blocks = _wide_blocks(sample, labels, lambda m: fmt_month_short(m, "nb"))  # "jan. 2025", "mars 2025"
        rows: Rows = []
        for team_id, block in blocks.items():
            rows += [[f"{names[team_id]} – månadlege målingar"], *block, []]
        path = _csv(tmp_path / "maalinger.csv", rows)
        team = {"from": "title"}
    mapping = _mapping(tmp_path, {"measures": {**WIDE_SECTION, "team": team}}, _sample_register())
    result = _import([path], mapping, tmp_path)
    assert result.data.rejections.height == 0
    assert_frame_equal(_got(result.data.measures, "measures"), _got(sample, "measures"))
    assert result.stats[0].rows_read == sample.height


def test_round_trip_sample_progress_wide_and_back(tmp_path: Path) -> None:
    sample = pl.read_parquet(SAMPLE / "progress.parquet")
    names = dict(pl.read_parquet(SAMPLE / "teams.parquet").select("team_id", "name").unique().iter_rows())
    months = sorted(set(sample.get_column("period").to_list()))
    scores = {(r["team_id"], r["assessor"], r["period"]): r["score"] for r in sample.iter_rows(named=True)}
    rows: Rows = [["Fremdriftsskår per team"], ["Team", "Vurdering", *(m.strftime("%m.%Y") for m in months)]]
    for team_id in sorted(set(sample.get_column("team_id").to_list())):
        for assessor, word in (("faculty", "Fakultet"), ("self", "Egenvurdering")):
            rows.append([names[team_id], word, *(scores.get((team_id, assessor, m)) for m in months)])
    path = _csv(tmp_path / "fremdrift.csv", rows)
    mapping = _mapping(tmp_path, {"progress": {"layout": "wide", "team": "Team", "assessor": "Vurdering"}},
                       _sample_register())
    result = _import([path], mapping, tmp_path)
    assert result.data.rejections.height == 0
    assert_frame_equal(_got(result.data.progress, "progress"), _got(sample, "progress"))


# ----------------------------------------------------------------------- the README's examples

README = ROOT / "evalkit" / "importers" / "README.md"


def _readme_example(heading: str) -> tuple[list[dict[str, Any]], Rows]:
    """The YAML blocks and the first table of the README's part under ``heading`` (to the
    next heading)."""
    part = README.read_text(encoding="utf-8").split(heading, 1)[1].split("\n### ", 1)[0]
    pieces = part.split("```")
    blocks = [yaml.safe_load(p.removeprefix("yaml\n")) for p in pieces[1::2] if p.startswith("yaml\n")]
    table: Rows = []
    for line in "".join(pieces[0::2]).splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(c and set(c) <= {"-"} for c in cells):
                table.append([c or None for c in cells])
        elif table:
            break
    return blocks, table


def test_readme_examples_import_as_documented(tmp_path: Path) -> None:
    (long_section,), long_table = _readme_example("### `measures:`, long layout")
    (wide_section,), wide_table = _readme_example("### `measures:`, wide layout")
    (_, progress_section), progress_table = _readme_example("### `progress:`")
    write_xlsx(tmp_path / "maalinger.xlsx", {"Målinger": [["Målinger fra teamene"], *long_table]})
    result = _import([tmp_path / "maalinger.xlsx"], _mapping(tmp_path, long_section), tmp_path)
    assert result.data.rejections.height == 0
    assert_frame_equal(_got(result.data.measures, "measures"), _measures([
        ("T0301-1", "individual_plan", date(2025, 1, 1), 11.0, 14.0, None, None, False),
        ("T0301-1", "individual_plan", date(2025, 2, 1), 12.0, 15.0, None, NEW, True),
        ("T0301-1", "waiting_days", date(2025, 1, 1), None, None, 30.5, "Ferie", False),
    ]))
    (tmp_path / "maalinger.xlsx").unlink()
    write_xlsx(tmp_path / "maalinger.xlsx", {"Oslo 1 FACT-team": [["Målinger 2025"], [], *wide_table]})
    result = _import([tmp_path / "maalinger.xlsx"], _mapping(tmp_path, wide_section), tmp_path)
    assert result.data.rejections.height == 0
    assert_frame_equal(_got(result.data.measures, "measures"), _measures([
        ("T0301-1", "individual_plan", date(2025, 1, 1), 11.0, 14.0, None, None, False),
        ("T0301-1", "individual_plan", date(2025, 2, 1), 12.0, 15.0, None, NEW, True),
        ("T0301-1", "waiting_days", date(2025, 1, 1), None, None, 30.5, None, False),
        ("T0301-1", "waiting_days", date(2025, 2, 1), None, None, 28.0, NEW, True),
        ("T0301-1", "waiting_days", date(2025, 3, 1), None, None, 26.25, "Ferie", False),
    ]))
    write_xlsx(tmp_path / "fremdrift.xlsx", {"Oslo 1 FACT-team": progress_table})
    result = _import([tmp_path / "fremdrift.xlsx"], _mapping(tmp_path, progress_section), tmp_path)
    assert_frame_equal(_got(result.data.progress, "progress"), _progress([
        ("T0301-1", date(2024, 7, 1), 1.5, "faculty"), ("T0301-1", date(2024, 7, 1), 2.0, "self"),
        ("T0301-1", date(2024, 8, 1), 2.0, "faculty"), ("T0301-1", date(2024, 8, 1), 2.5, "self"),
    ]))
