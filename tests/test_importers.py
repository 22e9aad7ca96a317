"""Importers: every tool layout and encoding gives the same canonical tables; bad input is
reported with file, row and column; the round trip canonical → tool layout → import holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from evalkit.canonical import CanonicalData, load
from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.importers import import_files, load_mapping, pseudonymise
from evalkit.importers._layouts import member_wide, team_wide
from evalkit.importers._pseudonym import KEY_FILE_NAME, load_or_create_secret
from evalkit.importers._read import decode, read_export, sniff_separator
from evalkit.instrument import load_instrument
from evalkit.schema import ROLES, TABLES

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "importers"
REF = FIX / "reference"
NETTSKJEMA = ROOT / "params" / "nettskjema_mapping.yml"
SURVEYXACT = ROOT / "params" / "surveyxact_mapping.yml"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path / "work"


def _expected(key_file: str, secret: bytes, wave: str | None = None) -> dict[str, pl.DataFrame]:
    key = pl.read_csv(FIX / "expected" / key_file, infer_schema=False)
    ids = key.with_columns(
        pl.struct("wave", "submission")
        .map_elements(lambda s: pseudonymise(secret, s["wave"], s["submission"]), return_dtype=pl.String)
        .alias("new_id")
    ).select("respondent_id", "new_id")
    resp = pl.read_parquet(FIX / "expected" / "respondents.parquet")
    answers = pl.read_parquet(FIX / "expected" / "answers.parquet")
    teams = pl.read_parquet(FIX / "expected" / "teams.parquet")
    if wave is not None:
        resp = resp.filter(pl.col("wave") == wave)
        teams = teams.filter(pl.col("wave") == wave)
    resp = resp.join(ids, on="respondent_id").drop("respondent_id").rename({"new_id": "respondent_id"})
    answers = answers.join(ids, on="respondent_id").drop("respondent_id").rename({"new_id": "respondent_id"})
    return {"respondents": resp, "answers": answers, "teams": teams}


def _same(got: pl.DataFrame, want: pl.DataFrame, table: str) -> None:
    key = list(TABLES[table].key)
    assert_frame_equal(got.select(want.columns).sort(key), want.sort(key))


def _check_member(data: CanonicalData, expected: dict[str, pl.DataFrame]) -> None:
    _same(data.respondents, expected["respondents"], "respondents")
    _same(data.answers, expected["answers"], "answers")
    assert data.rejections.height == 0


# ----------------------------------------------------------------------- readers


def test_decode_and_sniff_norwegian_letters_survive() -> None:
    text = "navn;kommentar\nÅse;Blåbær og røde æbler\n"
    for encoding in ("utf-8", "utf-8-sig", "cp1252", "utf-16"):
        decoded, _ = decode(text.encode(encoding), "f.csv")
        assert decoded == text
    assert sniff_separator(text, "f.csv") == ";"
    assert sniff_separator("a\tb\n1,5\t2\n", "f.csv") == "\t"


@pytest.mark.parametrize("variant", ["utf8", "utf8bom", "cp1252", "utf16"])
def test_surveyxact_triplet_every_encoding_reads_the_same(variant: str) -> None:
    export = read_export(FIX / "surveyxact" / variant / "dataset.csv")
    base = read_export(FIX / "surveyxact" / "utf8" / "dataset.csv")
    assert_frame_equal(export.frame, base.frame)
    assert "" not in export.frame.columns  # the trailing empty column is gone
    labels = export.labels.filter(pl.col("variable") == "rolle")
    assert "Pårørenderepresentant" in labels.get_column("label").to_list()


def test_excel_restores_leading_zero_municipality(work: Path) -> None:
    raw = read_export(FIX / "nettskjema" / "medlem.xlsx")
    assert "301" in raw.frame.get_column("kommune").to_list()  # the spreadsheet lost the zero
    result = import_files([FIX / "nettskjema" / "medlem.xlsx"], NETTSKJEMA, work=work, reference=REF)
    assert "0301" in result.data.respondents.get_column("municipality_id").to_list()


# ----------------------------------------------------------------------- layouts


@pytest.mark.parametrize(
    "files",
    [
        ["nettskjema/medlem.csv", "nettskjema/team.csv"],
        ["nettskjema/medlem.xlsx", "nettskjema/team.xlsx"],
        ["resaved/medlem_resaved.csv", "resaved/team_resaved.csv"],
    ],
    ids=["nettskjema-csv", "nettskjema-xlsx", "norwegian-excel-resaved"],
)
def test_nettskjema_layouts_give_the_canonical_tables(files: list[str], work: Path) -> None:
    result = import_files([FIX / f for f in files], NETTSKJEMA, work=work, reference=REF)
    expected = _expected("nettskjema_key.csv", load_or_create_secret(work), wave="2025")
    _check_member(result.data, expected)
    _same(result.data.teams, expected["teams"], "teams")
    assert result.data.teams.filter(pl.col("team_id") == "T4601-1").get_column("partner_municipality_ids")[0].to_list() == ["4602"]
    stats = {s.section: s for s in result.stats}
    assert stats["member"].rows_read == stats["member"].accepted == 12
    assert stats["team"].accepted == 4


@pytest.mark.parametrize("variant", ["utf8/dataset.csv", "utf8bom/dataset.csv", "cp1252/dataset.csv",
                                     "utf16/dataset.csv", "excel/export.xlsx"])
def test_surveyxact_layouts_give_the_canonical_tables(variant: str, work: Path) -> None:
    result = import_files([FIX / "surveyxact" / variant], SURVEYXACT, work=work, reference=REF)
    expected = _expected("surveyxact_key.csv", load_or_create_secret(work))
    _check_member(result.data, expected)
    names = dict(result.data.teams.select("team_id", "name").unique().iter_rows())
    assert names["T3201-1"] == "Bærum 1: ROP-tjenester"


@pytest.mark.parametrize("name", ["medlem_labels.csv", "medlem_labels.parquet"])
def test_generic_wide_with_norwegian_labels(name: str, work: Path) -> None:
    result = import_files([FIX / "generic" / name], FIX / "generic" / "generic_mapping.yml", work=work, reference=REF)
    expected = _expected("nettskjema_key.csv", load_or_create_secret(work), wave="2025")
    _check_member(result.data, expected)


def test_free_text_and_system_columns_never_reach_the_canonical_folder(work: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    free = work / "fritekst.csv"
    code = main(["validate", str(FIX / "nettskjema" / "medlem.csv"), str(FIX / "nettskjema" / "team.csv"),
                 "--mapping", str(NETTSKJEMA), "--reference", str(REF), "--work", str(work),
                 "--out", str(out), "--free-text", str(free)])
    assert code == 0
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    assert "Fint å være med".encode() not in blob
    assert "Røros".encode() not in blob
    assert not (out / KEY_FILE_NAME).exists()
    texts = pl.read_csv(free).get_column("text").to_list()
    assert "Fint å være med – æøå ÆØÅ" in texts
    assert "Vanskelig å finne brukerrepresentanter på Røros" in texts
    data = load(out)
    assert not data.respondents.get_column("respondent_id").is_in(["1", "2", "3"]).any()


def test_ids_are_stable_across_runs_and_opaque(work: Path) -> None:
    a = import_files([FIX / "nettskjema" / "medlem.csv"], NETTSKJEMA, work=work, reference=REF)
    b = import_files([FIX / "nettskjema" / "medlem.xlsx"], NETTSKJEMA, work=work, reference=REF)
    assert a.data.respondents.get_column("respondent_id").sort().to_list() == \
        b.data.respondents.get_column("respondent_id").sort().to_list()
    assert all(i.startswith("r") and len(i) == 21 for i in a.data.respondents.get_column("respondent_id"))


# ----------------------------------------------------------------------- failures


def _fails(args: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> str:
    code = main(["validate", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert not out.exists(), "nothing may be written on a fatal error"
    return err


@pytest.mark.parametrize(
    ("file", "mapping", "needles"),
    [
        ("medlem_missing_column.csv", NETTSKJEMA, ["medlem_missing_column.csv", "row 1", "'rolle'", "member.role"]),
        ("medlem_empty.csv", NETTSKJEMA, ["medlem_empty.csv", "empty"]),
        ("medlem_header_only.csv", NETTSKJEMA, ["medlem_header_only.csv", "header but no data rows"]),
        ("medlem_bad_encoding.csv", NETTSKJEMA, ["medlem_bad_encoding.csv", "encoding"]),
        ("medlem_two_hosts.csv", NETTSKJEMA, ["medlem_two_hosts.csv", "row 5", "column 'kommune'",
                                               "T0301-1", "host municipality"]),
        ("medlem_wrong_sheet.xlsx", FIX / "failures" / "wrong_sheet_mapping.yml", ["no sheet 'Svar'", "'Ark1'"]),
        ("../nettskjema/medlem.csv", FIX / "failures" / "bad_column_mapping.yml",
         ["medlem.csv", "row 1", "column 'lik_tillit'", "member.items.eq_respect"]),
    ],
    ids=["missing-column", "empty", "header-only", "bad-encoding", "two-hosts", "wrong-sheet", "mapping-column"],
)
def test_fatal_input_exits_2_names_the_problem_and_writes_nothing(
    file: str, mapping: Path, needles: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _fails([str(FIX / "failures" / file), "--mapping", str(mapping), "--reference", str(REF),
                  "--work", str(tmp_path / "work")], capsys, tmp_path / "out")
    for needle in needles:
        assert needle in err


def test_missing_reference_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails([str(FIX / "nettskjema" / "medlem.csv"), "--mapping", str(NETTSKJEMA), "--work",
                  str(tmp_path / "work")], capsys, tmp_path / "out")
    assert "--reference" in err


def test_work_folder_inside_out_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["validate", str(FIX / "nettskjema" / "medlem.csv"), "--mapping", str(NETTSKJEMA),
                 "--reference", str(REF), "--work", str(out / "work"), "--out", str(out)])
    assert code == 2
    assert "pseudonym key" in capsys.readouterr().err


def test_rejected_rows_are_listed_with_file_row_column_value_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    rejects = FIX / "failures" / "medlem_rejects.csv"
    args = ["validate", str(rejects), "--mapping", str(NETTSKJEMA), "--reference", str(REF),
            "--work", str(tmp_path / "work")]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "8 rows read, 3 accepted, 5 rejected" in printed
    rej = load(out).rejections
    got = {(r["row"], r["column"], r["reason"].split(":")[0]) for r in rej.iter_rows(named=True)}
    assert got == {
        (3, "rolle", "unknown code or label"),
        (4, "lik_respekt", "value out of range"),
        (6, "$submission_id", "duplicate respondent id"),
        (7, "kommune", "unknown municipality number"),
        (8, "lik_dialog", "unknown code or label"),
    }
    assert set(rej.get_column("file")) == {str(rejects)}
    assert f"{rejects}, row 4, column 'lik_respekt': value '7'" in printed
    assert "expected a code 1–5" in printed
    assert "the same submission number as row 2 of" in printed
    assert rej.filter(pl.col("row") == 6).get_column("value")[0] != "1"  # no submission numbers
    assert load(out).respondents.height == 3
    # --strict: exit 2 and nothing written
    strict_out = tmp_path / "strict"
    assert main([*args, "--out", str(strict_out), "--strict"]) == 2
    assert "--strict" in capsys.readouterr().err
    assert not strict_out.exists()


def test_fixing_the_input_and_rerunning_gives_the_full_data(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    base = ["validate", "--mapping", str(NETTSKJEMA), "--reference", str(REF), "--work", str(work), "--out", str(out)]
    assert main([*base, str(FIX / "failures" / "medlem_rejects.csv")]) == 0
    assert (out / "rejections.parquet").exists()
    assert main([*base, str(FIX / "nettskjema" / "medlem.csv")]) == 0
    assert not (out / "rejections.parquet").exists()
    assert load(out).respondents.height == 12


# ----------------------------------------------------------------------- round trip


def _reference() -> dict[str, pl.DataFrame]:
    return {n: pl.read_parquet(REF / f"{n}.parquet") for n in ("networks", "municipalities", "waves", "measure_catalogue")}


TEAM_IDS = ["T0301-1", "T3201-1", "T4601-1", "T1103-1"]
HOSTS = {"T0301-1": ("0301", "ost"), "T3201-1": ("3201", "ost"), "T4601-1": ("4601", "sorvest"), "T1103-1": ("1103", "sorvest")}
NAMES = {"T0301-1": "Oslo 1: FACT-team", "T3201-1": "Bærum 1: ROP-tjenester",
         "T4601-1": "Bergen 1: Boligteam", "T1103-1": "Stavanger 1: Lavterskel"}

answer_cell = st.one_of(st.integers(1, 5), st.just("dk"), st.none())


@st.composite
def canonical_sets(draw: st.DrawFn) -> CanonicalData:
    instrument = load_instrument()
    n = draw(st.integers(1, 12))
    respondents, answers = [], []
    for i in range(n):
        team = draw(st.sampled_from(TEAM_IDS))
        role = draw(st.sampled_from(ROLES))
        rid = f"X{i}"
        respondents.append((rid, "2025", HOSTS[team][1], HOSTS[team][0], team, role))
        for item in instrument.items:
            if role in item.roles:
                cell = draw(answer_cell)
                answers.append((rid, item.id, cell if isinstance(cell, int) else None, cell == "dk"))
    teams = []
    answered = draw(st.lists(st.sampled_from(TEAM_IDS), unique=True))
    for team in sorted({r[4] for r in respondents} | set(answered)):
        row: dict[str, object] = {c.name: None for c in TABLES["teams"].columns}
        row.update(team_id=team, wave="2025", name=NAMES[team], network_id=HOSTS[team][1],
                   municipality_id=HOSTS[team][0],
                   partner_municipality_ids=["4602"] if team == "T4601-1" else None)
        if team in answered:
            row.update(
                channels=draw(st.lists(st.sampled_from(["user_organisation", "known_to_team", "via_services",
                                                        "via_experience_consultant", "other"]), unique=True).map(
                    lambda cs: [c for c in ("user_organisation", "known_to_team", "via_services",
                                            "via_experience_consultant", "other") if c in cs])),
                n_user_reps=draw(st.integers(0, 100)),
                reps_trained=draw(st.booleans()),
                recruitment_difficulty=draw(st.integers(1, 5)),
                months_to_recruit=draw(st.sampled_from([0.0, 0.5, 2.5, 12.25, 120.0])),
            )
        teams.append(row)
    return CanonicalData.from_frames({
        **_reference(),
        "respondents": pl.DataFrame(respondents, schema=TABLES["respondents"].polars_schema, orient="row"),
        "answers": pl.DataFrame(answers, schema=TABLES["answers"].polars_schema, orient="row"),
        "teams": pl.DataFrame(teams, schema=TABLES["teams"].polars_schema),
        "measures": TABLES["measures"].empty(),
        "progress": TABLES["progress"].empty(),
    })


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=canonical_sets(), sep=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_round_trip_canonical_to_nettskjema_layout_and_back(
    data: CanonicalData, sep: str, encoding: str, tmp_path: Path
) -> None:
    mapping = load_mapping(NETTSKJEMA)
    folder = tmp_path / f"rt-{sep!r}-{encoding}".replace("\\", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    member, key = member_wide(data, mapping, dont_know="9")
    teams_answered = team_wide(data, mapping)
    decimal = sep == ";"
    paths = [folder / "medlem.csv"]
    frames = [member]
    if teams_answered.height:
        paths.append(folder / "team.csv")
        frames.append(teams_answered)
    for path, frame in zip(paths, frames, strict=True):
        if decimal:
            frame = frame.with_columns(pl.col(pl.String).str.replace(r"^(\d+)\.(\d+)$", "$1,$2"))
        path.write_bytes(frame.write_csv(separator=sep).encode(encoding))
    result = import_files(paths, mapping, work=folder / "work", reference=REF)
    secret = load_or_create_secret(folder / "work")
    ids = key.with_columns(
        pl.struct("wave", "submission").map_elements(
            lambda s: pseudonymise(secret, s["wave"], s["submission"]), return_dtype=pl.String).alias("new")
    ).select("respondent_id", "new")

    def relabel(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(ids, on="respondent_id").drop("respondent_id").rename({"new": "respondent_id"})

    _same(result.data.respondents, relabel(data.respondents), "respondents")
    _same(result.data.answers, relabel(data.answers), "answers")
    _same(result.data.teams, data.teams, "teams")
    assert result.data.rejections.height == 0


def test_input_error_is_an_evalkit_error() -> None:
    with pytest.raises(InputError, match="mapping file not found"):
        load_mapping(FIX / "nope.yml")


def test_reference_folder_problems_are_input_errors(tmp_path: Path) -> None:
    from evalkit.importers import load_reference

    with pytest.raises(InputError, match="reference folder not found"):
        load_reference(tmp_path / "nowhere")
    folder = tmp_path / "ref"
    shutil.copytree(REF, folder)
    (folder / "waves.parquet").unlink()
    with pytest.raises(InputError, match=r"waves\.parquet: missing reference table 'waves' in the reference folder"):
        load_reference(folder)
    shutil.copy(REF / "waves.parquet", folder / "waves.parquet")
    (folder / "networks.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(InputError, match=r"networks\.parquet: not a readable Parquet file"):
        load_reference(folder)
    ref = load_reference(REF)
    assert set(ref.frames()) == {"networks", "municipalities", "waves", "measure_catalogue"}
