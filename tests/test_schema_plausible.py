"""Impossible data refused before any page, naming file, row, column and value
(issue 14, item 7). Each test plants one impossible fact in a copy of the sample data."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from evalkit import canonical
from evalkit.schema import SchemaError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(REPO / "data" / "sample", copy)
    return copy


def _plant(data: Path, table: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    path = data / f"{table}.parquet"
    change(pl.read_parquet(path)).write_parquet(path)


def _set(frame: pl.DataFrame, row: int, **values: object) -> pl.DataFrame:
    """``frame`` with the cells of 0-based ``row`` replaced (a column may change type)."""
    out = frame
    for column, value in values.items():
        cells = out[column].to_list()
        cells[row] = value
        out = out.with_columns(pl.Series(column, cells, strict=False))
    return out


def _refused(data: Path) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        canonical.load(data)
    return caught.value


def test_the_sample_itself_is_plausible() -> None:
    canonical.load(REPO / "data" / "sample")


def test_a_likert_code_that_is_not_whole_is_refused(data: Path) -> None:
    _plant(data, "answers", lambda f: _set(f.with_columns(pl.col("value").cast(pl.Float64)), 6, value=3.5))
    error = _refused(data)
    assert (Path(error.file or '').name, error.row, error.column, error.value) == ("answers.parquet", 7, "value", 3.5)
    assert "is not a whole number" in str(error)


def test_dont_know_with_a_value_is_refused(data: Path) -> None:
    answers = pl.read_parquet(data / "answers.parquet")
    row = int(answers.with_row_index().filter(pl.col("value").is_not_null())["index"][3])
    _plant(data, "answers", lambda f: _set(f, row, dont_know=True))
    error = _refused(data)
    assert (error.row, error.column) == (row + 1, "value")
    assert "together with dont_know = true" in str(error)


def test_numerator_above_denominator_is_refused(data: Path) -> None:
    measures = pl.read_parquet(data / "measures.parquet")
    row = int(measures.with_row_index().filter(pl.col("denominator") > 0)["index"][5])
    denominator = measures["denominator"][row]
    _plant(data, "measures", lambda f: _set(f, row, numerator=denominator * 3))
    error = _refused(data)
    assert (Path(error.file or '').name, error.row, error.column) == ("measures.parquet", row + 1, "numerator")
    assert f"above its denominator {denominator:g}" in str(error)


@pytest.mark.parametrize(("column", "value", "words"), [
    ("denominator", float("inf"), "is not a finite number"),
    ("numerator", float("nan"), "is not a finite number"),
    ("numerator", -1.0, "is too small"),  # the column's own range already says so
])
def test_impossible_measure_values_are_refused(data: Path, column: str, value: float, words: str) -> None:
    _plant(data, "measures", lambda f: _set(f, 2, **{column: value}))
    error = _refused(data)
    assert (error.row, error.column) == (3, column) and words in str(error)


def test_future_periods_and_waves_are_refused(data: Path) -> None:
    _plant(data, "measures", lambda f: _set(f, 0, period=dt.date(2099, 1, 1)))
    error = _refused(data)
    assert (error.row, error.column) == (1, "period") and "in the future" in str(error)
    shutil.copy(REPO / "data" / "sample" / "measures.parquet", data / "measures.parquet")
    _plant(data, "waves", lambda f: _set(f, 1, collected=dt.date(2199, 3, 15)))
    error = _refused(data)
    assert (Path(error.file or '').name, error.row, error.column) == ("waves.parquet", 2, "collected")


def test_two_waves_with_one_order_are_refused(data: Path) -> None:
    _plant(data, "waves", lambda f: _set(f, 1, order=0))
    error = _refused(data)
    assert (Path(error.file or '').name, error.row, error.column) == ("waves.parquet", 1, "order")


def test_fewer_invited_than_answered_is_refused(data: Path) -> None:
    respondents = pl.read_parquet(data / "respondents.parquet")
    team, wave, answered = (respondents.filter(pl.col("role") == "provider")
                            .group_by("team_id", "wave").len().sort("team_id", "wave").row(0))
    teams = pl.read_parquet(data / "teams.parquet")
    row = int(teams.with_row_index().filter((pl.col("team_id") == team) & (pl.col("wave") == wave))["index"][0])
    _plant(data, "teams", lambda f: _set(f, row, invited_provider=answered - 1))
    error = _refused(data)
    assert (Path(error.file or '').name, error.row, error.column) == ("teams.parquet", row + 1, "invited_provider")
    assert f"fewer than the {answered} provider respondent(s)" in str(error)


def test_a_wave_label_stored_as_a_number_is_refused(data: Path) -> None:
    _plant(data, "waves", lambda f: f.with_columns(pl.col("wave").cast(pl.Int64)))
    error = _refused(data)
    assert error.column == "wave" and "write it as text" in str(error)


@pytest.mark.slow
def test_a_batch_on_impossible_data_stops_before_any_page(tmp_path: Path, data: Path) -> None:
    import subprocess
    import sys

    _plant(data, "measures", lambda f: _set(f, 4, numerator=1000.0))
    text = (REPO / "params" / "sample_batch.yml").read_text(encoding="utf-8")
    batch = tmp_path / "batch.yml"
    batch.write_text(text.replace("../data/sample", str(data)).replace("../notebooks", str(REPO / "notebooks")),
                     encoding="utf-8")
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "evalkit.cli", "batch", str(batch), "--out", str(out),
                           "--work", str(tmp_path / "work")], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 2, done.stderr
    assert "measures.parquet, row 5, column 'numerator': value 1000.0 is above its denominator" in done.stderr
    assert not list(out.glob("*.html"))
