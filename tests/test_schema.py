from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from evalkit import canonical
from evalkit.schema import SchemaError, normalise_municipality_id, validate_table


def _copy_sample(sample_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(sample_dir, dst)
    return dst


def test_sample_loads(sample_data: canonical.CanonicalData) -> None:
    assert sample_data.respondents.height > 500
    assert sample_data.respondents.schema["municipality_id"] == pl.String


def test_wrong_type_in_one_cell_names_file_row_and_column(sample_dir: Path, tmp_path: Path) -> None:
    data = _copy_sample(sample_dir, tmp_path)
    answers = pl.read_parquet(data / "answers.parquet")
    # Row 17 (1-based) gets a text where a scale code belongs.
    broken = answers.with_columns(pl.col("value").cast(pl.String)).with_columns(
        pl.when(pl.int_range(pl.len()) == 16).then(pl.lit("helt enig")).otherwise(pl.col("value")).alias("value")
    )
    broken.write_parquet(data / "answers.parquet")
    with pytest.raises(SchemaError) as info:
        canonical.load(data)
    message = str(info.value)
    assert "answers.parquet" in message
    assert "row 17" in message
    assert "'value'" in message
    assert "'helt enig'" in message
    assert info.value.row == 17 and info.value.column == "value"


def test_value_out_of_allowed_set(sample_dir: Path, tmp_path: Path) -> None:
    data = _copy_sample(sample_dir, tmp_path)
    resp = pl.read_parquet(data / "respondents.parquet")
    resp = resp.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("boss")).otherwise(pl.col("role")).alias("role")
    )
    resp.write_parquet(data / "respondents.parquet")
    with pytest.raises(SchemaError, match=r"respondents\.parquet, row 5, column 'role': value 'boss' is not an allowed value"):
        canonical.load(data)


def test_municipality_number_without_leading_zero_is_refused() -> None:
    frame = pl.DataFrame(
        {"municipality_id": ["0301", "301"], "name": ["Oslo", "Oslo"], "county": ["Oslo"] * 2,
         "valid_from": [1838, 1838], "valid_to": [None, None]}
    )
    with pytest.raises(SchemaError, match=r"row 2, column 'municipality_id': value '301'"):
        validate_table(frame, "municipalities")


def test_missing_and_extra_columns() -> None:
    with pytest.raises(SchemaError, match="missing column"):
        validate_table(pl.DataFrame({"network_id": ["a"]}), "networks")
    with pytest.raises(SchemaError, match=r"unexpected column.*'free_text'"):
        validate_table(pl.DataFrame({"network_id": ["a"], "name": ["b"], "free_text": ["x"]}), "networks")


def test_duplicate_key_is_named() -> None:
    frame = pl.DataFrame({"network_id": ["a", "b", "a"], "name": ["x", "y", "z"]})
    with pytest.raises(SchemaError, match=r"row 3: duplicate key \(network_id='a'\)"):
        validate_table(frame, "networks")


def test_unknown_reference_is_named(sample_dir: Path, tmp_path: Path) -> None:
    data = _copy_sample(sample_dir, tmp_path)
    answers = pl.read_parquet(data / "answers.parquet")
    answers = answers.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("R999999")).otherwise(pl.col("respondent_id")).alias("respondent_id")
    )
    answers.write_parquet(data / "answers.parquet")
    with pytest.raises(SchemaError, match=r"answers\.parquet, row 3, column 'respondent_id': value 'R999999' is not in respondents"):
        canonical.load(data)


def test_team_with_two_host_municipalities_is_refused(sample_data: canonical.CanonicalData) -> None:
    teams = sample_data.teams.with_columns(
        pl.when((pl.col("team_id") == "T0301-1") & (pl.col("wave") == "2026"))
        .then(pl.lit("3201"))
        .otherwise(pl.col("municipality_id"))
        .alias("municipality_id")
    )
    with pytest.raises(SchemaError, match="team 'T0301-1' has different values in column 'municipality_id'"):
        validate_table(teams, "teams")


def test_list_column_allowed_values() -> None:
    from evalkit.schema import TABLES

    teams = TABLES["teams"].empty()
    row = {c: None for c in teams.columns} | {
        "team_id": "T1", "wave": "w", "name": "n", "network_id": "n", "municipality_id": "0301",
        "channels": ["user_organisation", "newspaper"],
    }
    with pytest.raises(SchemaError, match=r"column 'channels': value \['user_organisation', 'newspaper'\] is not an allowed value"):
        validate_table(pl.DataFrame([row], schema=teams.schema), "teams")


@pytest.mark.parametrize(
    ("given", "expected"),
    [(301, "0301"), ("301", "0301"), ("0301", "0301"), (5001, "5001"), (301.0, "0301"), (" 4601 ", "4601")],
)
def test_normalise_municipality_id(given: object, expected: str) -> None:
    assert normalise_municipality_id(given) == expected


@pytest.mark.parametrize("given", [193.5, "03011", "Oslo", -301, True, "3.01"])
def test_normalise_municipality_id_refuses(given: object) -> None:
    with pytest.raises(ValueError, match="not a 4-digit number"):
        normalise_municipality_id(given)


# --------------------------------------------------------------------------- reference tables


def test_read_reference_gives_the_tables_and_lookups(sample_dir: Path, sample_data: canonical.CanonicalData) -> None:
    ref = canonical.read_reference(sample_dir)
    for name in (*canonical.REFERENCE_TABLES, "teams"):
        assert getattr(ref, name).equals(getattr(sample_data, name)), name
    assert set(ref.frames()) == set(canonical.REFERENCE_TABLES)
    assert ref.wave_order() == sample_data.wave_order() == ["2024", "2025", "2026"]
    assert ref.latest_wave() == "2026"
    assert ref.wave_date("2026") == sample_data.waves.filter(pl.col("wave") == "2026")["collected"][0]
    assert ref.wave_date("1999") is None
    assert ref.municipality_name("0301") == "Oslo" and ref.municipality_name("9999") == "9999"
    network = sample_data.networks.row(0, named=True)
    assert ref.network_name(network["network_id"]) == network["name"]
    assert ref.network_name("nowhere") == "nowhere"
    assert sample_data.reference().municipality_names == ref.municipality_names
    # Without teams (an import's reference folder): an empty teams table.
    assert canonical.read_reference(sample_dir, teams=False).teams.height == 0


def test_municipality_name_is_the_latest(sample_dir: Path) -> None:
    ref = canonical.read_reference(sample_dir)
    renamed = pl.DataFrame(
        {"municipality_id": ["3201", "3201", "3201"], "name": ["Bærum", "Gamle Bærum", "Nye Bærum"],
         "county": ["Akershus"] * 3, "valid_from": [2020, 1838, 2024], "valid_to": [2023, 2019, None]},
        schema=ref.municipalities.schema,
    )
    other = canonical.Reference(ref.networks, renamed, ref.waves, ref.measure_catalogue)
    assert other.municipality_name("3201") == "Nye Bærum"


@pytest.mark.parametrize(
    ("wave", "compare", "expected"),
    [
        ("2026", "2025", []),
        ("2026", None, []),
        ("2027", None, [("wave", "'2027' is not in the data (waves: 2024, 2025, 2026)")]),
        ("2026", "2023", [("compare_wave", "'2023' is not in the data (waves: 2024, 2025, 2026)")]),
        ("2026", "2024", []),
        ("2025", "2025", [("compare_wave", "'2025' is not earlier than wave '2025'")]),
    ],
)
def test_wave_problems(sample_dir: Path, wave: str, compare: str | None, expected: list[tuple[str, str]]) -> None:
    assert canonical.read_reference(sample_dir).wave_problems(wave, compare) == expected


def test_read_reference_names_a_missing_or_broken_table(sample_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        canonical.read_reference(tmp_path / "nowhere")
    data = _copy_sample(sample_dir, tmp_path)
    (data / "waves.parquet").unlink()
    (data / "measure_catalogue.parquet").unlink()
    assert canonical.missing_tables(data) == ["waves", "measure_catalogue"]
    with pytest.raises(canonical.MissingTableError) as info:
        canonical.read_reference(data)
    assert info.value.table == "waves" and info.value.path == data / "waves.parquet"
    (data / "networks.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"networks\.parquet: not a readable Parquet file"):
        canonical.read_reference(data)


def test_read_reference_validates_unless_told_not_to(sample_dir: Path, tmp_path: Path) -> None:
    data = _copy_sample(sample_dir, tmp_path)
    waves = pl.read_parquet(data / "waves.parquet")
    waves.with_columns(pl.col("order").cast(pl.Int64) - 10).write_parquet(data / "waves.parquet")
    with pytest.raises(SchemaError, match=r"waves\.parquet, row 1, column 'order'"):
        canonical.read_reference(data)
    assert canonical.read_reference(data, validate=False).waves["order"].dtype == pl.Int64


def _measures(**extra: list[object]) -> pl.DataFrame:
    from datetime import date

    return pl.DataFrame({
        "team_id": ["T1", "T1"], "measure_id": ["m", "m"],
        "period": [date(2025, 1, 1), date(2025, 2, 1)],
        "numerator": [1.0, 2.0], "denominator": [4.0, 4.0], "value": [None, None],
        "note": [None, "Ny rutine"], **extra,
    })


def test_change_introduced_is_optional_and_defaults_to_false() -> None:
    old = validate_table(_measures(), "measures")
    assert old["change_introduced"].dtype == pl.Boolean
    assert old["change_introduced"].to_list() == [False, False]
    new = validate_table(_measures(change_introduced=[None, True]), "measures")
    assert new["change_introduced"].to_list() == [None, True]
    with pytest.raises(SchemaError, match="change_introduced"):
        validate_table(_measures(change_introduced=["yes", "no"]), "measures")


def test_sample_measures_load_with_or_without_the_column(sample_dir: Path) -> None:
    frame = pl.read_parquet(sample_dir / "measures.parquet")
    loaded = validate_table(frame.drop("change_introduced", strict=False), "measures")
    assert loaded["change_introduced"].fill_null(False).sum() == 0
    assert loaded.height == frame.height
