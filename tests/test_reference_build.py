"""``evalkit reference build``: the editable reference files become the canonical reference
tables, and every mistake in them is reported with file, line or row, key or column and
value, with nothing written (issue 18, item 1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.importers._reference import build_reference, read_waves

NETWORKS = """\
networks:
  - id: ost
    name: Læringsnettverk Øst
    municipalities:
      - {number: "0301", name: Oslo, county: Oslo}
      - {number: 3201, name: Bærum, county: Akershus}
  - id: vest
    name: Læringsnettverk Vest
    municipalities:
      - number: 0301
        name: Oslo
        county: Oslo
      - {number: "4601", name: Bergen, county: Vestland, valid_from: 2020}
      - {number: "4602", name: Kinn, county: Vestland}
"""
WAVES = """\
waves:
  - {id: 2025, collected: 2025-03-15, from: 2025-01-01, to: 2025-12-31}
  - id: "2026"
    collected: 15.03.2026
"""
MEASURES = """\
measures:
  - id: individual_plan
    label: {nb: Andel med plan, nn: Del med plan, en: Share with a plan}
    chart: p
    better: up
    target: 0.8
    unit: percent
  - {id: waiting_days, label: Ventetid (dager), chart: i, better: down, unit: days}
"""
TEAMS = "id;name;municipality;network;partners;codes\nT1;Oslo 1;301;ost;;1|Oslo FACT\nT2;Bergen 1;4601;vest;4602;2\n"
TODAY = dt.date(2026, 12, 1)


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir(exist_ok=True)
    texts = {"networks.yml": NETWORKS, "waves.yml": WAVES, "measures.yml": MEASURES, "teams.csv": TEAMS}
    texts.update({name.replace("_", "."): text for name, text in files.items()})
    for name, text in texts.items():
        if text:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def _line(text: str, needle: str) -> int:
    """The 1-based line of ``needle`` in ``text`` (worked out here, not by evalkit)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _refused(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = folder.parent / "built"
    assert main(["reference", "build", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not out.exists(), "nothing may be written while a problem remains"
    return err


def test_good_files_give_the_four_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    assert main(["reference", "build", str(folder), "--out", str(tmp_path / "built")]) == 0
    built = tmp_path / "built"
    assert sorted(p.name for p in built.iterdir()) == [
        "measure_catalogue.parquet", "municipalities.parquet", "networks.parquet", "waves.parquet"]
    assert pl.read_parquet(built / "networks.parquet").rows() == [("ost", "Læringsnettverk Øst"),
                                                                  ("vest", "Læringsnettverk Vest")]
    # 0301 is in both networks (one row); an unquoted 3201 and 0301 keep four digits.
    assert pl.read_parquet(built / "municipalities.parquet").sort("municipality_id").rows() == [
        ("0301", "Oslo", "Oslo", 2024, None), ("3201", "Bærum", "Akershus", 2024, None),
        ("4601", "Bergen", "Vestland", 2020, None), ("4602", "Kinn", "Vestland", 2024, None)]
    assert pl.read_parquet(built / "waves.parquet").rows() == [
        ("2025", 0, dt.date(2025, 3, 15)), ("2026", 1, dt.date(2026, 3, 15))]
    assert pl.read_parquet(built / "measure_catalogue.parquet").rows() == [
        ("individual_plan", "Andel med plan", "Del med plan", "Share with a plan", "p", "up", 0.8, "percent"),
        ("waiting_days", "Ventetid (dager)", "Ventetid (dager)", "Ventetid (dager)", "i", "down", None, "days")]


def test_the_summary_counts_what_was_built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "build", str(_folder(tmp_path)), "--out", str(tmp_path / "built")]) == 0
    out = capsys.readouterr().out
    assert "2 networks, 4 municipalities, 2 waves, 2 measures" in out
    assert "teams.csv: 2 teams checked" in out


def test_waves_keep_their_days_for_a_mapping(tmp_path: Path) -> None:
    waves = read_waves(_folder(tmp_path) / "waves.yml", today=TODAY)
    assert [(w.wave, w.start, w.end) for w in waves] == [
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)), ("2026", None, None)]


# (file, text, the offending text on its line, key or column, value, what)
YAML_MISTAKES = [
    ("networks.yml", NETWORKS.replace('"0301", name: Oslo, county: Oslo}', '"03x1", name: Oslo, county: Oslo}'),
     "03x1", "number", "'03x1'", "is not a municipality number"),
    ("networks.yml", NETWORKS.replace("{number: 3201, name: Bærum, county: Akershus}", "{number: 9999, name: Bærum}"),
     "number: 9999", "number", "'9999'", "is not a municipality number valid from 2024"),
    ("networks.yml", NETWORKS.replace("{number: 3201, name: Bærum, county: Akershus}", "{number: 3001}"),
     "number: 3001", "number", "'3001'", "is an old municipality number: 3101 Halden today"),
    ("networks.yml", NETWORKS.replace("    municipalities:\n      - {number: \"0301\"", "    municipalites:\n      - {number: \"0301\""),
     "municipalites", "municipalites", None, "not a known key; expected id, name, municipalities"),
    ("networks.yml", NETWORKS.replace("name: Kinn", "name: Oslo").replace('"4602"', '"4601"'),
     "name: Oslo, county: Vestland", "number", "'4601'", "is listed twice under network 'vest'"),
    ("networks.yml", NETWORKS.replace("        name: Oslo\n", "        name: Christiania\n"),
     "number: 0301", "number", "'0301'", "with another name, county or valid_from"),
    ("networks.yml", NETWORKS.replace("id: vest", "id: vest nord"),
     "id: vest nord", "id", "'vest nord'", "is not a valid id"),
    ("waves.yml", WAVES.replace("15.03.2026", "15.13.2026"), "15.13.2026", "collected", "'15.13.2026'", "is not a date"),
    ("waves.yml", WAVES.replace("15.03.2026", "2027-01-05"), "2027-01-05", "collected", "'2027-01-05'",
     "lies in the future (today is"),
    ("waves.yml", WAVES.replace("collected: 15.03.2026", "collected: 15.03.2026\n    from: 2025-12-01\n    to: 2026-06-30"),
     "from: 2025-12-01", "from", "'2025-12-01'", "overlap wave '2025'"),
    ("waves.yml", WAVES.replace("collected: 15.03.2026", "collected: 15.03.2026\n    from: 2026-01-01"),
     'id: "2026"', "to", None, "give both 'from' and 'to'"),
    ("waves.yml", WAVES.replace("collected: 2025-03-15", "collected: 2024-03-15"),
     "collected: 2024-03-15", "collected", "'2024-03-15'", "is outside the wave's own days"),
    ("waves.yml", WAVES.replace('id: "2026"', 'id: "2025"'), 'id: "2025"', "id", "'2025'", "earlier wave too"),
    ("measures.yml", MEASURES.replace("chart: p", "chart: bar"), "chart: bar", "chart", "'bar'", "is not one of run, p, i"),
    ("measures.yml", MEASURES.replace(", en: Share with a plan", ""), "label: {nb:", "label", None,
     "must give nb, nn and en"),
    ("measures.yml", MEASURES.replace("target: 0.8", "target: høy"), "target: høy", "target", "'høy'", "is not a number"),
]


@pytest.mark.parametrize(("file", "text", "needle", "key", "value", "what"), YAML_MISTAKES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(YAML_MISTAKES)])
def test_a_yaml_mistake_is_located_and_nothing_is_written(
    file: str, text: str, needle: str, key: str, value: str | None, what: str,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _folder(tmp_path, **{file.replace(".", "_"): text})
    err = _refused(folder, capsys)
    where = f"{folder / file}, line {_line(text, needle)}, key {key!r}"
    assert where in err, err
    if value is not None:
        assert f"value {value}" in err, err
    assert what in err, err
    assert len(err.strip().splitlines()) == 1, err  # one problem, one line


TEAM_MISTAKES = [
    (TEAMS + "T3;Nord 1;1804;nord;;3\n", 4, "network", "'nord'", "is not a network in networks.yml"),
    (TEAMS + "T3;Bærum 1;3201;vest;;3\n", 4, "municipality", "'3201'", "is not listed under network 'vest'"),
    (TEAMS + "T3;Bergen 2;4601;vest;0301|46x2;3\n", 4, "partners", "'46x2'", "is not a municipality number"),
    (TEAMS + "T1;Oslo 1 igjen;0301;ost;;3\n", 4, "id", "'T1'", "is the id of the team in row 2 too"),
    (TEAMS + "T3;Oslo 2;0301;ost;;oslo fact\n", 4, "codes", "'oslo fact'", "is also the code of team 'T1' (row 2)"),
    (TEAMS.replace("codes\n", "codes;kontakt\n"), 1, "kontakt", None, "not a column of a team register"),
]


@pytest.mark.parametrize(("text", "row", "column", "value", "what"), TEAM_MISTAKES,
                         ids=["network", "not-in-network", "partner", "duplicate-id", "duplicate-code", "column"])
def test_a_team_register_mistake_is_located(
    text: str, row: int, column: str, value: str | None, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path, teams_csv=text)
    err = _refused(folder, capsys)
    assert f"{folder / 'teams.csv'}, row {row}, column {column!r}" in err, err
    if value is not None:
        assert f"value {value}" in err
    assert what in err


def test_old_numbers_in_the_team_register_are_read_as_validate_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bergen was 1201 until 2019, Bærum 3024 in 2020–2023; Ålesund's 1507 (2020–2023) was
    split in 2024 and Halden's 3001 is 3101 today, which networks.yml does not list."""
    teams = TEAMS + "T3;Bergen 2;1201;vest;;3\nT4;Bærum 1;3024;ost;;4\n"
    folder = _folder(tmp_path, teams_csv=teams)
    assert main(["reference", "build", str(folder), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"note: {folder / 'teams.csv'}, row 4, column 'municipality': 1201 (Bergen, until 2019) is 4601 Bergen " \
           "today: read as 4601" in out
    assert f"note: {folder / 'teams.csv'}, row 5, column 'municipality': 3024 (Bærum, 2020–2023) is 3201 Bærum " \
           "today: read as 3201" in out
    (tmp_path / "bad").mkdir()
    bad = _folder(tmp_path / "bad", teams_csv=TEAMS + "T3;Bergen 2;4601;vest;1507;3\nT4;Halden 1;3001;ost;;4\n")
    err = _refused(bad, capsys)
    assert (f"{bad / 'teams.csv'}, row 4, column 'partners': value '1507' is an old number: 1507 (Ålesund, "
            "2020–2023) was split in 2024 and cannot be converted; expected one of today's numbers: 1508 Ålesund, "
            "1580 Haram") in err
    assert (f"{bad / 'teams.csv'}, row 5, column 'municipality': value '3001' is not listed under network 'ost' in "
            "networks.yml (expected a municipality of the team's network); 3001 (Halden, 2020–2023) is 3101 "
            "Halden today") in err


def test_every_problem_is_listed_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, measures_yml=MEASURES.replace("chart: p", "chart: bar").replace("better: down", "better: sideways"),
                     teams_csv=TEAMS + "T3;Nord 1;1804;nord;;3\n")
    err = _refused(folder, capsys)
    assert "3 problems in the reference files (nothing written)" in err
    assert "value 'bar'" in err and "value 'sideways'" in err and "value 'nord'" in err


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    (folder / "measures.yml").unlink()
    assert "missing measures.yml" in _refused(folder, capsys)
    assert "reference folder not found" in _refused(tmp_path / "nowhere", capsys)


def test_not_yaml_and_not_a_list_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "not valid YAML" in _refused(_folder(tmp_path, waves_yml="waves: [\n"), capsys)
    err = _refused(_folder(tmp_path, waves_yml="- id: 2025\n"), capsys)
    assert "expected a list under 'waves:'" in err


def test_no_teams_file_is_said_not_hidden(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    (folder / "teams.csv").unlink()
    built = build_reference(folder, today=TODAY)
    assert built.register is None and built.teams_checked == 0
    assert main(["reference", "build", str(folder), "--out", str(tmp_path / "built")]) == 0
    assert "no team register (teams.csv) to check" in capsys.readouterr().out


def test_build_reference_refuses_what_the_schema_refuses(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="lies in the future"):
        build_reference(_folder(tmp_path), today=dt.date(2026, 3, 14))


def test_reference_build_help_shows_files_that_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "build", "--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    folder = tmp_path / "from-help"
    folder.mkdir()
    for key in ("networks", "waves", "measures"):
        start = next(i for i, line in enumerate(lines) if line.strip() == f"{key}:")
        end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        indent = len(lines[start]) - len(lines[start].lstrip())
        (folder / f"{key}.yml").write_text("\n".join(line[indent:] for line in lines[start:end]) + "\n", encoding="utf-8")
    built = build_reference(folder, today=TODAY)
    assert built.tables["networks"].rows() == [("ost", "Læringsnettverk Øst")]
    assert built.tables["waves"].get_column("wave").to_list() == ["2025", "2026"]
    assert built.tables["measure_catalogue"].get_column("label_en").to_list() == ["Share with an individual plan"]


def test_a_bare_number_takes_its_name_and_county_from_the_register(tmp_path: Path) -> None:
    """Melhus (5028) is in no sample table: the register (Statistics Norway's classification
    131, shipped in the package) gives its name and county (issue 18)."""
    folder = _folder(tmp_path, networks_yml=NETWORKS.replace('{number: "4602", name: Kinn, county: Vestland}',
                                                             '{number: "4602"}\n      - {number: "5028"}'))
    out = tmp_path / "built"
    assert main(["reference", "build", str(folder), "--out", str(out)]) == 0
    table = pl.read_parquet(out / "municipalities.parquet").filter(pl.col("municipality_id") == "5028")
    ((name, county),) = table.select("name", "county").rows()
    assert name == "Melhus" and county.startswith("Trøndelag")
    kinn = pl.read_parquet(out / "municipalities.parquet").filter(pl.col("municipality_id") == "4602")
    assert kinn.select("name", "county").rows() == [("Kinn", "Vestland")]
