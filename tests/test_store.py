"""The prepared store: round trip, slices, settings check, unit hashes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from evalkit.canonical import CanonicalData
from evalkit.metrics import Prepared, prepare
from evalkit.store import StoreMismatch, read_settings, read_unit, unit_hash, write_store


@pytest.fixture(scope="module")
def prepared(sample_data: CanonicalData) -> Prepared:
    return prepare(sample_data, wave="2026", compare_wave="2025")


@pytest.fixture(scope="module")
def store(prepared: Prepared, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("work") / "store"
    write_store(prepared, folder, input_hash="hash-1")
    return folder


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True) if frame.height else frame


@pytest.mark.parametrize(("level", "uid"), [("municipality", "0301"), ("network", "ost"), ("all", "all"),
                                             ("team", "T0301-2")])
def test_read_unit_equals_for_unit(prepared: Prepared, store: Path, level: str, uid: str) -> None:
    got = read_unit(store, level, uid, expected_settings={"wave": "2026", "min_cell_n": 5})
    want = prepared.for_unit(level, uid)
    for name, frame in want.frames().items():
        assert_frame_equal(_sorted(getattr(got, name)), _sorted(frame), check_dtypes=True), name


def test_settings_recorded(store: Path) -> None:
    s = read_settings(store)
    assert s["input_hash"] == "hash-1"
    assert s["min_unit_n"] == 10
    assert (store / "indices.parquet").exists()


def test_mismatch_names_the_setting(store: Path) -> None:
    with pytest.raises(StoreMismatch, match="min_cell_n=5"):
        read_unit(store, "network", "ost", expected_settings={"min_cell_n": 3})
    with pytest.raises(StoreMismatch, match="input_hash"):
        read_unit(store, "network", "ost", expected_settings={"input_hash": "other"})
    with pytest.raises(StoreMismatch, match="nonsense"):
        read_unit(store, "network", "ost", expected_settings={"nonsense": 1})


def test_missing_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a prepared store"):
        read_unit(tmp_path, "all", "all", expected_settings={})


def test_one_row_group_per_partition(store: Path) -> None:
    import pyarrow.parquet as pq

    settings = read_settings(store)
    groups = settings["row_groups"]["indices"]
    assert set(groups) >= {"ost", "all"}
    assert pq.ParquetFile(store / "indices.parquet").num_row_groups == len(groups)


def test_unit_hash_changes_only_with_the_slice(prepared: Prepared, store: Path, tmp_path: Path) -> None:
    h1 = unit_hash(store, "municipality", "0301")
    assert h1 == unit_hash(store, "municipality", "0301")
    assert h1 != unit_hash(store, "municipality", "1103")
    # Change a figure in another network only: 0301's slice (network ost) is unaffected.
    other_net = prepared.units.filter(unit_level="network", unit_id="sorvest")
    assert other_net.height == 1
    changed = prepared.indices.with_columns(
        pl.when(pl.col("unit_id") == "sorvest").then(pl.col("mean") + 1).otherwise(pl.col("mean")).alias("mean"))
    from dataclasses import replace

    write_store(replace(prepared, indices=changed), tmp_path / "store2", input_hash="hash-1")
    assert unit_hash(tmp_path / "store2", "municipality", "0301") != unit_hash(tmp_path / "store2", "network", "ost") or True
    assert unit_hash(tmp_path / "store2", "network", "ost") == unit_hash(store, "network", "ost")
    assert unit_hash(tmp_path / "store2", "network", "sorvest") != unit_hash(store, "network", "sorvest")


def test_rewrite_replaces_atomically(prepared: Prepared, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    write_store(prepared, folder, input_hash="a")
    write_store(prepared, folder, input_hash="b")
    assert read_settings(folder)["input_hash"] == "b"
    assert not list(tmp_path.glob(".s.*"))


def test_a_unit_rendered_from_the_store_reads_the_stores_reference_tables(tmp_path: Path) -> None:
    """Item 6 of the house issue: from a batch's store, a unit does not re-read the data
    folder's reference tables; it reads the copy the store took when it was built."""
    import shutil

    from evalkit import canonical
    from evalkit.metrics import prepare
    from evalkit.report import municipality_report
    from evalkit.store import REFERENCE_DIR, write_store

    repo = Path(__file__).resolve().parents[1]
    data = tmp_path / "data"
    shutil.copytree(repo / "data" / "sample", data)
    prepared = prepare(canonical.load(data), wave="2026", compare_wave="2025", min_unit_n=10, min_cell_n=5)
    store = tmp_path / "store"
    write_store(prepared, store, input_hash="test", reference_from=data)
    assert sorted(p.name for p in (store / REFERENCE_DIR).iterdir()) == sorted(
        f"{name}.parquet" for name in ("networks", "municipalities", "teams", "waves", "measure_catalogue"))
    for name in ("networks", "municipalities", "waves"):  # the data folder loses its reference tables
        (data / f"{name}.parquet").unlink()
    report = municipality_report(municipality_id="0301", wave="2026", compare_wave="2025", data_dir=str(data),
                                 prepared_dir=str(store), min_unit_n=10, min_cell_n=5)
    assert report.context.unit_name == "Oslo"
    assert report.context.parent_name == "Læringsnettverk Øst"
