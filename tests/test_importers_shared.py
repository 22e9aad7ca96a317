"""Mapping files that share one team register file, a wave taken from a date column, a
folder of exports, and an import with no usable row (issue 18, items 4 and 6)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.importers import import_files, load_mapping, parse_mapping, pseudonymise
from evalkit.importers._mapping import WaveFromDates
from evalkit.importers._pseudonym import load_or_create_secret

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "importers"
REF = FIX / "reference"
NETTSKJEMA = ROOT / "params" / "nettskjema_mapping.yml"
SURVEYXACT = ROOT / "params" / "surveyxact_mapping.yml"

# The register of params/nettskjema_mapping.yml, as a spreadsheet keeps it.
REGISTER = """\
id;name;municipality;network;partners;codes;codes_surveyxact
T0301-1;Oslo 1: FACT-team;0301;ost;;1|Oslo FACT;Oslo FACT-team
T3201-1;Bærum 1: ROP-tjenester;3201;ost;;2;Bærum ROP
T4601-1;Bergen 1: Boligteam;4601;sorvest;4602;3;Bergen bolig
T1103-1;Stavanger 1: Lavterskel;1103;sorvest;;4;Stavanger lavterskel
"""


def _without_inline_teams(mapping: Path, replacement: str) -> str:
    """A params mapping's text with its inline ``teams:`` list replaced."""
    text = mapping.read_text(encoding="utf-8")
    new, n = re.subn(r"^teams:.*?\n(?:  .*\n|\s*\n)*", replacement + "\n\n", text, count=1, flags=re.M)
    assert n == 1
    return new


def _shared(tmp_path: Path, mapping: Path, teams: str = "{file: ../reference/teams.csv}",
            register: str = REGISTER, **replace: str) -> Path:
    (tmp_path / "reference").mkdir(exist_ok=True)
    (tmp_path / "reference" / "teams.csv").write_text(register, encoding="cp1252")  # as Excel saves it
    (tmp_path / "mappings").mkdir(exist_ok=True)
    text = _without_inline_teams(mapping, f"teams: {teams}")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "mappings" / mapping.name
    path.write_text(text, encoding="utf-8")
    return path


def _tables(result: object) -> dict[str, pl.DataFrame]:
    data = result.data  # type: ignore[attr-defined]
    return {"respondents": data.respondents.sort("respondent_id"),
            "answers": data.answers.sort("respondent_id", "item_id"),
            "teams": data.teams.sort("team_id", "wave")}


# ----------------------------------------------------------------------- the team register file


def test_a_shared_register_file_gives_what_the_inline_register_gives(tmp_path: Path) -> None:
    files = [FIX / "nettskjema" / "medlem.csv", FIX / "nettskjema" / "team.csv"]
    work = tmp_path / "work"
    inline = import_files(files, NETTSKJEMA, work=work, reference=REF)
    shared = import_files(files, _shared(tmp_path, NETTSKJEMA), work=work, reference=REF)
    assert inline.data.rejections.height == 0 and inline.data.respondents.height == 12
    for name, frame in _tables(inline).items():
        assert_frame_equal(_tables(shared)[name], frame, check_row_order=True)


def test_the_register_keeps_sources_and_restores_zeros(tmp_path: Path) -> None:
    register = REGISTER.replace("T0301-1;Oslo 1: FACT-team;0301", "T0301-1;Oslo 1: FACT-team;301")
    mapping = load_mapping(_shared(tmp_path, NETTSKJEMA, register=register))
    first = mapping.teams[0]
    assert (first.id, first.municipality, first.codes) == ("T0301-1", "0301", ("1", "Oslo FACT"))
    assert first.source == f"{tmp_path / 'mappings' / '..' / 'reference' / 'teams.csv'}, row 2"
    assert mapping.teams[2].partners == ("4602",)


def test_a_mapping_picks_the_codes_column_of_its_tool(tmp_path: Path) -> None:
    """SurveyXact's labels are in codes_surveyxact; the 'codes' column holds other codes."""
    mapping = _shared(tmp_path, SURVEYXACT, teams="{file: ../reference/teams.csv, codes: codes_surveyxact}",
                      register=REGISTER.replace("1|Oslo FACT", "91").replace(";2;", ";92;").replace(";3;", ";93;")
                      .replace(";4;", ";94;"))
    result = import_files([FIX / "surveyxact" / "utf8" / "dataset.csv"], mapping, work=tmp_path / "work", reference=REF)
    inline = import_files([FIX / "surveyxact" / "utf8" / "dataset.csv"], SURVEYXACT, work=tmp_path / "work", reference=REF)
    assert result.data.rejections.height == 0
    assert_frame_equal(_tables(result)["respondents"], _tables(inline)["respondents"])


def test_old_numbers_in_the_register_file_are_read_as_todays_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bærum was 0219 until 2019 (a spreadsheet shows 219) and 3024 in 2020–2023, today
    3201; Flora (1401 until 2019) is part of Kinn, 4602, since 2020 (public facts of the
    2020 and 2024 reforms)."""
    old = (REGISTER.replace("T3201-1;Bærum 1: ROP-tjenester;3201", "T3201-1;Bærum 1: ROP-tjenester;219")
           .replace("T4601-1;Bergen 1: Boligteam;4601;sorvest;4602", "T4601-1;Bergen 1: Boligteam;4601;sorvest;1401"))
    assert old != REGISTER
    files = [FIX / "nettskjema" / "medlem.csv", FIX / "nettskjema" / "team.csv"]
    work = tmp_path / "work"
    (tmp_path / "today").mkdir()
    today = import_files(files, _shared(tmp_path / "today", NETTSKJEMA), work=work, reference=REF)
    converted = import_files(files, _shared(tmp_path, NETTSKJEMA, register=old), work=work, reference=REF)
    for name, frame in _tables(today).items():
        assert_frame_equal(_tables(converted)[name], frame, check_row_order=True)
    register = tmp_path / "mappings" / ".." / "reference" / "teams.csv"
    assert converted.notes == [
        f"{register}, row 3, column 'municipality': 0219 (Bærum, until 2019) is 3201 Bærum today: read as 3201",
        f"{register}, row 4, column 'partners': 1401 (Flora, until 2019) is 4602 Kinn today: read as 4602",
    ]
    assert today.notes == []
    code = main(["validate", *map(str, files), "--mapping", str(tmp_path / "mappings" / NETTSKJEMA.name),
                 "--reference", str(REF), "--work", str(work), "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"note: {register}, row 3, column 'municipality': 0219 (Bærum, until 2019) is 3201 Bærum today" in printed


def test_old_numbers_in_an_inline_register_are_read_as_todays_too(tmp_path: Path) -> None:
    text = NETTSKJEMA.read_text(encoding="utf-8")
    assert text.count('municipality: "3201"') == 1
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(text.replace('municipality: "3201"', 'municipality: "3024"'), encoding="utf-8")
    result = import_files([FIX / "nettskjema" / "medlem.csv"], mapping, work=tmp_path / "work", reference=REF)
    assert result.notes == ["mapping: teams (T3201-1), municipality: 3024 (Bærum, 2020–2023) is 3201 Bærum today: "
                            "read as 3201"]
    assert set(result.data.teams.filter(pl.col("team_id") == "T3201-1").get_column("municipality_id")) == {"3201"}


@pytest.mark.parametrize(("row", "needle"), [
    # Ålesund's number of 2020–2023: split in 2024 into Ålesund and Haram.
    ("T4601-1;Bergen 1: Boligteam;1507;sorvest;4602",
     "row 4, column 'municipality': team 'T4601-1' has municipality '1507', which is not in the reference "
     "municipalities; 1507 (Ålesund, 2020–2023) was split in 2024 and cannot be converted; expected one of "
     "today's numbers: 1508 Ålesund, 1580 Haram"),
    # Snillfjord (5012 until 2019) was split in 2020 between Orkland, Heim and Hitra.
    ("T4601-1;Bergen 1: Boligteam;4601;sorvest;5012",
     "row 4, column 'partners': team 'T4601-1' has municipality '5012', which is not in the reference "
     "municipalities; 5012 (Snillfjord, 2018–2019) was split in 2020 and cannot be converted; expected one of "
     "today's numbers: 5055 Heim, 5056 Hitra, 5059 Orkland"),
    # Halden's number of 2020–2023; today's 3101 is not in the fixtures' reference table.
    ("T4601-1;Bergen 1: Boligteam;3001;sorvest;4602",
     "row 4, column 'municipality': team 'T4601-1' has municipality '3001', which is not in the reference "
     "municipalities; 3001 (Halden, 2020–2023) is 3101 Halden today"),
], ids=["split-2024", "split-2020-partner", "old-not-in-reference"])
def test_a_split_or_unlisted_old_number_in_the_register_stops_validate(
    row: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register = REGISTER.replace("T4601-1;Bergen 1: Boligteam;4601;sorvest;4602", row)
    assert register != REGISTER
    mapping = _shared(tmp_path, NETTSKJEMA, register=register)
    out = tmp_path / "out"
    code = main(["validate", str(FIX / "nettskjema" / "medlem.csv"), "--mapping", str(mapping),
                 "--reference", str(REF), "--work", str(tmp_path / "work"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert f"teams.csv, {needle}" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("register", "needles"),
    [
        (REGISTER.replace("T3201-1;Bærum 1: ROP-tjenester;3201", "T3201-1;Bærum 1: ROP-tjenester;32o1"),
         ["teams.csv, row 3, column 'municipality': value '32o1' is not a municipality number"]),
        (REGISTER.replace(";2;Bærum ROP", ";1;Bærum ROP"),
         ["teams.csv, row 3, column 'codes': value '1' is also the code of team 'T0301-1' (row 2)"]),
        (REGISTER.replace("4601;sorvest", "4601;vest"),
         ["teams.csv, row 4: team 'T4601-1' has network 'vest', which is not in the reference networks"]),
        (REGISTER.replace("T1103-1;Stavanger 1: Lavterskel;1103", "T1103-1;Stavanger 1: Lavterskel;1108"),
         ["teams.csv, row 5, column 'municipality': team 'T1103-1' has municipality '1108', which is not in the "
          "reference municipalities"]),
    ],
    ids=["bad-number", "code-twice", "unknown-network", "unknown-municipality"],
)
def test_a_bad_register_stops_validate_naming_its_row(
    register: str, needles: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = _shared(tmp_path, NETTSKJEMA, register=register)
    out = tmp_path / "out"
    code = main(["validate", str(FIX / "nettskjema" / "medlem.csv"), "--mapping", str(mapping),
                 "--reference", str(REF), "--work", str(tmp_path / "work"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize(("teams", "needle"), [
    ("{files: ../reference/teams.csv}", "unknown key(s) 'files'"),
    ("{file: ../reference/lag.csv}", "lag.csv: team register file not found"),
    ("{file: ../reference/teams.csv, codes: codes_nettskjema}", "asks for codes from column 'codes_nettskjema'"),
])
def test_a_bad_teams_entry_is_a_mapping_error(teams: str, needle: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape(needle)):
        load_mapping(_shared(tmp_path, NETTSKJEMA, teams=teams))


# ----------------------------------------------------------------------- the wave from dates

# (the $created cell, the wave it belongs to, or the rejection's reason category)
DATED = [
    ("2025-03-01 10:00", "2025"),
    ("2025-12-31T23:59:59+01:00", "2025"),     # the last day, in the date as written
    ("2026-01-01", "2026"),
    ("14.02.2026 09:15", "2026"),              # Norwegian, with a time
    ("1.6.2026", "2026"),
    (str((dt.date(2025, 6, 1) - dt.date(1899, 12, 30)).days), "2025"),   # Excel's day number
    ("2026-07-01", "date outside every wave"),
    ("2024-12-31", "date outside every wave"),
    ("i går", "not a date"),
    ("31.02.2026", "not a date"),              # no such day
    ("2026-03-01", "2026"),
    (None, "missing value"),
]
RANGES = '{"2025": [2025-01-01, 2025-12-31], "2026": [2026-01-01, 2026-06-30]}'


def _dated_export(tmp_path: Path, cells: list[str | None]) -> Path:
    frame = pl.read_csv(FIX / "nettskjema" / "medlem.csv", infer_schema=False)
    frame = frame.with_columns(pl.Series("$created", cells, dtype=pl.String))
    path = tmp_path / "medlem_datert.csv"
    frame.write_csv(path)
    return path


def _dated_mapping(tmp_path: Path, wave: str) -> Path:
    text = NETTSKJEMA.read_text(encoding="utf-8")
    old = '  wave: {value: "2025"}     # a constant, or {column: bolge, values: {1: "2025", 2: "2026"}}\n'
    assert text.count(old) == 1
    path = tmp_path / "dated_mapping.yml"
    path.write_text(text.replace(old, f"  wave: {wave}\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize("ranges", ["inline", "waves-file"])
def test_the_wave_is_the_one_whose_days_hold_the_date(ranges: str, tmp_path: Path) -> None:
    if ranges == "inline":
        spec = f'{{from_column: "$created", ranges: {RANGES}}}'
    else:
        (tmp_path / "waves.yml").write_text(
            "waves:\n  - {id: '2025', collected: 2025-03-15, from: 2025-01-01, to: 2025-12-31}\n"
            "  - {id: '2026', collected: 2026-03-15, from: 2026-01-01, to: 2026-06-30}\n", encoding="utf-8")
        spec = '{from_column: "$created", ranges: {file: waves.yml}}'
    export = _dated_export(tmp_path, [cell for cell, _ in DATED])
    result = import_files([export], _dated_mapping(tmp_path, spec), work=tmp_path / "work", reference=REF)
    secret = load_or_create_secret(tmp_path / "work")
    expected_ids = {pseudonymise(secret, wave, str(i)) for i, (_, wave) in enumerate(DATED, 1) if wave in ("2025", "2026")}
    assert set(result.data.respondents.get_column("respondent_id")) == expected_ids
    got_waves = dict(result.data.respondents.select("respondent_id", "wave").iter_rows())
    for i, (_, wave) in enumerate(DATED, 1):
        if wave in ("2025", "2026"):
            assert got_waves[pseudonymise(secret, wave, str(i))] == wave
    rejected = {(r["row"], r["column"], r["value"], r["reason"].split(":")[0])
                for r in result.data.rejections.iter_rows(named=True)}
    assert rejected == {(i + 1, "$created", cell, wave) for i, (cell, wave) in enumerate(DATED, 1)
                        if wave not in ("2025", "2026")}
    outside = result.data.rejections.filter(pl.col("value") == "2026-07-01").get_column("reason")[0]
    assert "2026-07-01 is in no wave's range" in outside and "2026: 2026-01-01 to 2026-06-30" in outside


def test_a_date_format_reads_other_dates(tmp_path: Path) -> None:
    export = _dated_export(tmp_path, ["14/03/2025 10:22"] * 11 + ["03/14/2025 10:22"])
    spec = f'{{from_column: "$created", format: "%d/%m/%Y %H:%M", ranges: {RANGES}}}'
    result = import_files([export], _dated_mapping(tmp_path, spec), work=tmp_path / "work", reference=REF)
    assert result.data.respondents.get_column("wave").to_list() == ["2025"] * 11
    reason = result.data.rejections.get_column("reason")[0]
    assert result.data.rejections.get_column("row").to_list() == [13]
    assert reason.startswith("not a date: expected a date in the form '%d/%m/%Y %H:%M'")


@pytest.mark.parametrize(("spec", "waves", "needle"), [
    ('{from_column: "$created", ranges: {"2025": [2025-01-01, 2025-12-31], "2026": [2025-12-01, 2026-06-30]}}',
     None, "the ranges of waves '2025' and '2026' overlap"),
    ('{from_column: "$created", ranges: {"2025": [2025-12-31, 2025-01-01]}}', None, "the range ends (2025-01-01) before it starts"),
    ('{from_column: "$created", ranges: {"2024": [2024-01-01, 2024-12-31]}}', None,
     "wave.ranges names wave(s) '2024', which the reference waves do not have"),
    ('{from_column: "$created", ranges: {file: waves.yml}}', "waves:\n  - {id: '2025', collected: 2025-03-15}\n",
     "no wave has a date range (from/to)"),
    ('{from_column: "$created", ranges: {file: waves.yml}}',
     "waves:\n  - {id: '2025', collected: 2025-03-15, from: 2025-01-01}\n", "waves.yml, line 2, key 'to': missing"),
])
def test_bad_ranges_are_refused_before_any_row(spec: str, waves: str | None, needle: str, tmp_path: Path) -> None:
    if waves is not None:
        (tmp_path / "waves.yml").write_text(waves, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(needle)):
        import_files([FIX / "nettskjema" / "medlem.csv"], _dated_mapping(tmp_path, spec),
                     work=tmp_path / "work", reference=REF)


# ----------------------------------------------------------------------- no usable row


def test_an_import_without_a_usable_row_exits_2_naming_the_commonest_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _dated_export(tmp_path, ["2024-06-01"] * 9 + ["i går", "i går", None])
    mapping = _dated_mapping(tmp_path, f'{{from_column: "$created", ranges: {RANGES}}}')
    out = tmp_path / "out"
    code = main(["validate", str(export), "--mapping", str(mapping), "--reference", str(REF),
                 "--work", str(tmp_path / "work"), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and not out.exists()
    assert "12 rows read, 0 accepted, 12 rejected" in captured.out  # the summary still comes first
    assert ("member survey: none of the 12 rows could be used; most common reasons: date outside every wave "
            "(9 rows), not a date (2 rows), missing value (1 row); nothing written") in captured.err


def test_one_usable_row_is_enough(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _dated_export(tmp_path, ["2024-06-01"] * 11 + ["2025-06-01"])
    mapping = _dated_mapping(tmp_path, f'{{from_column: "$created", ranges: {RANGES}}}')
    code = main(["validate", str(export), "--mapping", str(mapping), "--reference", str(REF),
                 "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    assert "12 rows read, 1 accepted, 11 rejected" in capsys.readouterr().out


# ----------------------------------------------------------------------- a folder of exports


def test_a_folder_stands_for_its_exports(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("medlem.csv", "team.csv"):
        shutil.copy(FIX / "nettskjema" / name, exports / name)
    (exports / "~$medlem.csv").write_bytes(b"\x00lock")     # Excel's lock file while it is open
    (exports / ".DS_Store").write_bytes(b"\x00\x01")
    (exports / "old").mkdir()                                # sub-folders are not entered
    (exports / "old" / "medlem.csv").write_text("broken", encoding="utf-8")
    listed = import_files([exports / "medlem.csv", exports / "team.csv"], NETTSKJEMA, work=tmp_path / "w", reference=REF)
    folder = import_files([exports], NETTSKJEMA, work=tmp_path / "w", reference=REF)
    for name, frame in _tables(listed).items():
        assert_frame_equal(_tables(folder)[name], frame)
    assert [s.files for s in folder.stats] == [[str(exports / "medlem.csv")], [str(exports / "team.csv")]]


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    with pytest.raises(InputError, match="the folder has no files"):
        import_files([tmp_path / "exports"], NETTSKJEMA, work=tmp_path / "w", reference=REF)


# ----------------------------------------------------------------------- the help's example


def test_validate_help_shows_a_complete_example_that_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--help"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "kind: mapping")
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    indent = len(lines[start]) - len(lines[start].lstrip())
    mapping_text = "\n".join(line[indent:] for line in lines[start:end]) + "\n"
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("id;name;municipality"))
    register = "\n".join(line.strip() for line in lines[header:header + 3]) + "\n"
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "teams.csv").write_text(register, encoding="utf-8")
    (tmp_path / "mappings").mkdir()
    mapping = parse_mapping(mapping_text, "help example", base_dir=str(tmp_path / "mappings"))
    assert mapping.member is not None and isinstance(mapping.member.wave, WaveFromDates)
    assert mapping.member.wave.from_column == "$created"
    assert [(t.id, t.partners, t.codes) for t in mapping.teams] == [
        ("T0301-1", None, ("1",)), ("T4601-1", ("4602",), ("3", "Bergen bolig"))]
    for words in ("reference build", "README.md"):
        assert words in text
