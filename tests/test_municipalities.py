"""The municipality register: counts and facts of Norway's municipal reforms (written here
from public knowledge, not read from the register), old numbers in an import, the sample's
reference tables, and the register inside the built package."""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import yaml

from evalkit import municipalities as register
from evalkit.canonical import load
from evalkit.cli import main
from evalkit.errors import ExitCode, InputError
from evalkit.importers import import_files, load_mapping

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "importers"
REF = FIX / "reference"
NETTSKJEMA = ROOT / "params" / "nettskjema_mapping.yml"
MEMBER = FIX / "nettskjema" / "medlem.csv"


def _today(number: str) -> register.Municipality:
    m = register.lookup(number)
    assert m is not None, number
    return m


def _valid_in(year: int) -> set[str]:
    today = {m.number for m in register.current() if m.valid_from is None or m.valid_from <= year}
    old = {f.number for f in register.former_numbers()
           if (f.valid_from is None or f.valid_from <= year) and f.valid_to >= year}
    return today | old


# ----------------------------------------------------------------------- the register


def test_counts_per_era() -> None:
    assert len(register.current()) == 357
    for year in (2020, 2021, 2022, 2023):
        assert len(_valid_in(year)) == 356, year
    assert len(_valid_in(2019)) == len(_valid_in(2018)) == 422
    assert _valid_in(2024) == {m.number for m in register.current()}


def test_municipalities_per_county_from_2024() -> None:
    got = Counter((m.county_number, m.county_name) for m in register.current())
    assert got == {
        ("03", "Oslo"): 1, ("11", "Rogaland"): 23, ("15", "Møre og Romsdal"): 27, ("18", "Nordland"): 41,
        ("31", "Østfold"): 12, ("32", "Akershus"): 21, ("33", "Buskerud"): 18, ("34", "Innlandet"): 46,
        ("39", "Vestfold"): 6, ("40", "Telemark"): 17, ("42", "Agder"): 25, ("46", "Vestland"): 43,
        ("50", "Trøndelag"): 38, ("55", "Troms"): 21, ("56", "Finnmark"): 18,
    }


@pytest.mark.parametrize(
    ("number", "name", "official", "county"),
    [
        ("0301", "Oslo", "Oslo - Oslove", "Oslo"),
        ("5001", "Trondheim", "Trondheim - Tråante", "Trøndelag"),
        ("4601", "Bergen", "Bergen", "Vestland"),
        ("5612", "Kautokeino", "Guovdageaidnu - Kautokeino", "Finnmark"),
        ("5538", "Storfjord", "Storfjord - Omasvuotna - Omasvuono", "Troms"),
        ("1508", "Ålesund", "Ålesund", "Møre og Romsdal"),
        ("1580", "Haram", "Haram", "Møre og Romsdal"),
        ("3101", "Halden", "Halden", "Østfold"),
        ("3911", "Færder", "Færder", "Vestfold"),
        ("5028", "Melhus", "Melhus", "Trøndelag"),
    ],
)
def test_known_municipalities_of_today(number: str, name: str, official: str, county: str) -> None:
    m = _today(number)
    assert (m.number, m.name, m.official_name, m.county_name, m.county_number) == (number, name, official, county, number[:2])
    assert register.resolve(number) == register.Resolution(number, m)


def test_sami_and_kven_names() -> None:
    assert _today("5612").other_names == ("Guovdageaidnu",)
    assert _today("5614").name == "Loppa"
    assert _today("4601").other_names == ()
    for m in register.current():
        assert m.name in m.official_name.split(" - "), m


def test_haram_and_alesund_are_new_numbers_in_2024() -> None:
    for number in ("1508", "1580"):
        assert _today(number).valid_from == 2024


@pytest.mark.parametrize(
    ("old", "today", "note"),
    [
        ("3001", "3101", "3001 (Halden, 2020–2023) is 3101 Halden today"),
        ("0101", "3101", "0101 (Halden, until 2019) is 3101 Halden today"),
        ("3024", "3201", "3024 (Bærum, 2020–2023) is 3201 Bærum today"),
        ("1902", "5501", "1902 (Tromsø, until 2019) is 5501 Tromsø today"),
        ("5401", "5501", "5401 (Tromsø, 2020–2023) is 5501 Tromsø today"),
        ("0729", "3911", "0729 (Færder, 2018–2019) is 3911 Færder today"),
        ("3811", "3911", "3811 (Færder, 2020–2023) is 3911 Færder today"),
        ("1201", "4601", "1201 (Bergen, until 2019) is 4601 Bergen today"),
        ("1102", "1108", "1102 (Sandnes, until 2019) is 1108 Sandnes today"),
        ("1567", "5061", "1567 (Rindal, until 2018) is 5061 Rindal today"),  # to Trøndelag in 2019
        ("1534", "1580", "1534 (Haram, until 2019) is 1580 Haram today"),  # the 2024 split restored it
        ("1546", "1508", "1546 (Sandøy, until 2019) is 1508 Ålesund today"),
        ("1854", "1806", "1854 (Ballangen, until 2019) is 1806 Narvik today"),
        ("5430", "5612", "5430 (Kautokeino, 2020–2023) is 5612 Kautokeino today"),
    ],
)
def test_old_numbers_convert_one_to_one(old: str, today: str, note: str) -> None:
    r = register.resolve(old)
    assert (r.given, r.number, r.converted, r.note) == (old, today, True, note)


@pytest.mark.parametrize(
    ("old", "year", "candidates"),
    [
        ("1507", 2024, ["1508 Ålesund", "1580 Haram"]),
        ("5012", 2020, ["5055 Heim", "5056 Hitra", "5059 Orkland"]),
        ("1850", 2020, ["1806 Narvik", "1875 Hamarøy"]),
    ],
)
def test_split_numbers_are_refused_naming_the_candidates(old: str, year: int, candidates: list[str]) -> None:
    with pytest.raises(register.SplitNumberError) as caught:
        register.resolve(old)
    err = caught.value
    assert isinstance(err, InputError) and err.exit_code == ExitCode.BAD_INPUT
    assert [str(c) for c in err.candidates] == candidates
    assert err.number == old
    assert f"split in {year}" in str(err)
    assert str(err).endswith(", ".join(candidates))


def test_exactly_three_old_numbers_were_split() -> None:
    assert {f.number for f in register.former_numbers() if f.split} == {"1507", "1850", "5012"}


@pytest.mark.parametrize("value", ["301", " 0301 ", "0301"])
def test_a_lost_leading_zero_is_restored(value: str) -> None:
    assert register.resolve(value).number == "0301"
    assert register.resolve(value).given == "0301"
    assert register.lookup(value) == register.lookup("0301")


@pytest.mark.parametrize("value", ["31", "03010", "abc", "", "12a4", "9999", "1601", "2111"])
def test_unknown_numbers_are_input_errors(value: str) -> None:
    # 1601 Trondheim ended in 2017 (5001 from 2018); 2111 is Svalbard; 9999 "unknown".
    with pytest.raises(register.UnknownNumberError) as caught:
        register.resolve(value)
    assert isinstance(caught.value, InputError)
    assert register.lookup(value) is None


def test_every_old_number_leads_to_todays_municipalities() -> None:
    today = {m.number for m in register.current()}
    formers = register.former_numbers()
    assert len(formers) == 424
    assert not today & {f.number for f in formers}
    for f in formers:
        assert set(f.current) <= today and f.current, f


# ----------------------------------------------------------------------- the importers


def _member_file(tmp_path: Path, numbers: dict[int, str]) -> Path:
    """The fixtures' Nettskjema member export with some municipality numbers replaced
    (keys: the submission number)."""
    rows = list(csv.reader(MEMBER.read_text(encoding="utf-8").splitlines()))
    col = rows[0].index("kommune")
    for row in rows[1:]:
        row[col] = numbers.get(int(row[0]), row[col])
    path = tmp_path / "medlem_old_numbers.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_old_numbers_in_an_export_are_converted_with_a_note(tmp_path: Path) -> None:
    work = tmp_path / "work"
    # Bærum's numbers of 2020–2023 and (a lost zero) until 2019; Bergen's until 2019.
    path = _member_file(tmp_path, {4: "3024", 5: "219", 6: "3024", 7: "1201"})
    result = import_files([path], NETTSKJEMA, work=work, reference=REF)
    original = import_files([MEMBER], NETTSKJEMA, work=work, reference=REF)
    assert result.data.rejections.height == 0
    key = ["respondent_id"]
    assert result.data.respondents.sort(key).equals(original.data.respondents.sort(key))
    assert result.data.answers.sort(["respondent_id", "item_id"]).equals(original.data.answers.sort(["respondent_id", "item_id"]))
    (member,) = result.stats
    assert member.notes == [
        f"{path}, column 'kommune': 3024 (Bærum, 2020–2023) is 3201 Bærum today: read as 3201 in 2 rows (the first is row 5)",
        f"{path}, column 'kommune': 0219 (Bærum, until 2019) is 3201 Bærum today: read as 3201 in row 6",
        f"{path}, column 'kommune': 1201 (Bergen, until 2019) is 4601 Bergen today: read as 4601 in row 8",
    ]


def test_a_split_number_is_refused_with_file_row_column_and_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Submission 10 is on row 11 (the header is row 1); 3001 is Halden's old number, and
    # 3101 Halden is not in the fixtures' reference table.
    path = _member_file(tmp_path, {10: "1507", 7: "3001"})
    out = tmp_path / "out"
    args = ["validate", str(path), "--mapping", str(NETTSKJEMA), "--reference", str(REF), "--work", str(tmp_path / "work")]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "12 rows read, 10 accepted, 2 rejected" in printed
    assert "rejected, split municipality number: 1" in printed
    assert (f"{path}, row 11, column 'kommune': value '1507': split municipality number: 1507 (Ålesund, 2020–2023) "
            "was split in 2024 and cannot be converted; expected one of today's numbers: 1508 Ålesund, 1580 Haram") in printed
    rej = load(out).rejections
    got = {(r["file"], r["row"], r["column"], r["value"], r["reason"].split(":")[0]) for r in rej.iter_rows(named=True)}
    assert got == {(str(path), 11, "kommune", "1507", "split municipality number"),
                   (str(path), 8, "kommune", "3001", "unknown municipality number")}
    halden = rej.filter(pl.col("value") == "3001").get_column("reason")[0]
    assert halden.endswith("; 3001 (Halden, 2020–2023) is 3101 Halden today")
    assert load(out).respondents.height == 10
    strict = tmp_path / "strict"
    assert main([*args, "--out", str(strict), "--strict"]) == 2
    assert not strict.exists()


def test_a_number_the_reference_lists_as_valid_today_is_kept(tmp_path: Path) -> None:
    # An evaluation whose own (or made-up) reference table has 1507 as a municipality of
    # today: its numbers are the evaluator's, and nothing is converted or refused.
    reference = tmp_path / "reference"
    shutil.copytree(REF, reference)
    munis = pl.read_parquet(REF / "municipalities.parquet")
    extra = pl.DataFrame({"municipality_id": ["1507"], "name": ["Ålesund"], "county": ["Møre og Romsdal"],
                          "valid_from": [2020], "valid_to": [None]}, schema=munis.schema)
    pl.concat([munis, extra]).write_parquet(reference / "municipalities.parquet")
    raw = yaml.safe_load(NETTSKJEMA.read_text(encoding="utf-8"))
    for team in raw["teams"]:
        if team["id"] == "T1103-1":
            team["municipality"] = "1507"
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    path = _member_file(tmp_path, {10: "1507", 11: "1507", 12: "1507"})
    result = import_files([path], mapping, work=tmp_path / "work", reference=reference)
    assert result.data.rejections.height == 0
    assert result.stats[0].notes == []
    assert result.data.respondents.filter(pl.col("team_id") == "T1103-1").get_column("municipality_id").unique().to_list() == ["1507"]


def test_a_fixed_old_number_in_the_mapping_is_converted_or_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(NETTSKJEMA.read_text(encoding="utf-8"))
    rows = MEMBER.read_text(encoding="utf-8").splitlines()
    only_bergen = tmp_path / "medlem_bergen.csv"  # team 3 (Bergen) only
    only_bergen.write_text("\n".join([rows[0], *[r for r in rows[1:] if r.split(",")[5] == "3"]]) + "\n", encoding="utf-8")
    raw["member"]["municipality"] = {"value": "1201"}
    result = import_files([only_bergen], load_mapping(_dump(raw, tmp_path)), work=tmp_path / "work", reference=REF)
    assert result.data.respondents.get_column("municipality_id").unique().to_list() == ["4601"]
    assert result.stats[0].notes == ["mapping: municipality '1201': 1201 (Bergen, until 2019) is 4601 Bergen today: read as 4601"]
    raw["member"]["municipality"] = {"value": "1507"}
    with pytest.raises(InputError, match=r"mapping: municipality '1507' is not in the reference municipalities; "
                                         r"1507 \(Ålesund, 2020–2023\) was split in 2024 .*1508 Ålesund, 1580 Haram"):
        import_files([only_bergen], load_mapping(_dump(raw, tmp_path)), work=tmp_path / "work", reference=REF)


def _dump(raw: dict[str, object], tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


# ----------------------------------------------------------------------- the sample data


def _sample_municipalities() -> list[dict[str, object]]:
    return pl.read_parquet(ROOT / "data" / "sample" / "municipalities.parquet").to_dicts()


def test_the_sample_uses_the_registers_numbers_names_and_counties() -> None:
    rows = _sample_municipalities()
    listed_today = {r["municipality_id"] for r in rows if r["valid_to"] is None}
    for r in rows:
        number = str(r["municipality_id"])
        if r["valid_to"] is None:
            m = _today(number)
            assert (m.name, m.county_name) == (r["name"], r["county"]), number
        else:
            f = register.former(number)
            assert f is not None, number
            assert (f.name, f.county_name, f.valid_to) == (r["name"], r["county"], r["valid_to"]), number
            assert register.resolve(number).number in listed_today, number


def test_the_sample_uses_the_registers_first_years() -> None:
    """Sandnes (1108) since 2020, when Sandnes and Forsand merged; Hamar, Lillehammer and
    Gjøvik (34xx) since 2020, when Innlandet was formed."""
    for r in _sample_municipalities():
        number = str(r["municipality_id"])
        record = register.lookup(number) if r["valid_to"] is None else register.former(number)
        assert record is not None
        first = record.valid_from
        assert (first is None and int(str(r["valid_from"])) < 2018) or first == r["valid_from"], number


# ----------------------------------------------------------------------- packaging


@pytest.mark.slow
def test_the_built_package_carries_the_register(evalkit_wheel: Path) -> None:
    """Build the wheel as pip installs it and find the register (with its source lines) in it."""
    wheel = evalkit_wheel
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read(f"evalkit/{register.DATA_FILE}")
        source = archive.read("evalkit/data/municipalities.source.md")
    assert shipped == (ROOT / "evalkit" / register.DATA_FILE).read_bytes()
    assert source == (ROOT / "evalkit" / "data" / "municipalities.source.md").read_bytes()
    assert b"# Retrieved: 2026-12-02" in shipped and b"classification 131" in shipped
