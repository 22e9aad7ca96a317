"""The prepared store: every indicator of a batch, on disk, cheap to read one unit at a time.

A store is a folder in the batch's *work* folder (it is built from respondent-level data
and is never published)::

    settings.json          the settings it was built with (thresholds, waves, instrument,
                           input hash), the frames and their row groups
    partitions.parquet     unit_level, unit_id → partition (a network id, or "all")
    <frame>.parquet        one per frame of :class:`evalkit.metrics.Prepared`, sorted by
                           partition with one Parquet row group per partition

:func:`read_unit` reads ``settings.json``, refuses a store built with other settings
(:class:`StoreMismatch`), then reads only the row groups of the partitions the unit's
dashboard needs and cuts them with :meth:`Prepared.for_unit`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.canonical import REFERENCE_READ
from evalkit.metrics.prepare import FRAME_NAMES, Prepared
from evalkit.schema import TABLES
from evalkit.units import TOP, Hierarchy, UnitKey, keys_frame

SETTINGS_FILE: Final = "settings.json"
PARTITIONS_FILE: Final = "partitions.parquet"
STORE_FORMAT: Final = 1
REFERENCE_DIR: Final = "reference"
"""The store's copy of the data folder's reference tables (and team register): a unit
rendered from the store reads names, waves and teams here, not from the data folder."""
_ALL: Final = "all"


class StoreMismatch(ValueError):
    """A prepared store was built with other settings than the reader expects."""


def _partitions(prepared: Prepared) -> pl.DataFrame:
    """unit_level, unit_id → partition: the unit's network (the smallest, for a
    municipality split over networks and its teams), ``all`` for the top unit."""
    tree = Hierarchy.from_units(prepared.units)
    rows: list[tuple[str, str, str | None]] = [(*TOP, _ALL)]
    for level in ("team", "municipality", "network"):
        for key in tree.units(level):
            if level == "network" or tree.parents(key):
                networks = tree.networks_of(key)
                rows.append((*key, networks[0] if networks else None))
    return pl.DataFrame(rows, schema={"unit_level": pl.String, "unit_id": pl.String, "partition": pl.String},
                        orient="row").sort("unit_level", "unit_id", "partition")


def _with_partition(name: str, frame: pl.DataFrame, parts: pl.DataFrame) -> pl.DataFrame:
    if name == "units" or frame.width == 0:
        return frame.with_columns(_partition=pl.lit(_ALL))
    if "unit_level" in frame.columns and "unit_id" in frame.columns:
        out = frame.join(parts, on=["unit_level", "unit_id"], how="left", maintain_order="left")
    elif "team_id" in frame.columns:
        team_parts = parts.filter(pl.col("unit_level") == "team").select(
            pl.col("unit_id").alias("team_id"), "partition")
        out = frame.join(team_parts, on="team_id", how="left", maintain_order="left")
    else:
        out = frame.with_columns(partition=pl.lit(_ALL))
    return out.with_columns(pl.col("partition").fill_null(_ALL)).rename({"partition": "_partition"})


def write_store(prepared: Prepared, folder: str | os.PathLike[str], *, input_hash: str,
                reference_from: str | os.PathLike[str] | None = None) -> None:
    """Write ``prepared`` (the whole data set's) to ``folder``, replacing what is there.

    Files are written to a temporary folder beside ``folder`` and moved into place, so
    a reader never sees half a store. ``reference_from``: a canonical data folder whose
    reference tables are copied into the store (:data:`REFERENCE_DIR`).

    Examples
    --------
    >>> import tempfile
    >>> from evalkit.canonical import load
    >>> from evalkit.metrics import prepare
    >>> from pathlib import Path
    >>> import evalkit
    >>> SAMPLE = Path(evalkit.__file__).parents[1] / "data" / "sample"  # the committed sample
    >>> prepared = prepare(load(SAMPLE), wave="2026")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_store(prepared, tmp + "/store", input_hash="abc")
    ...     unit = read_unit(tmp + "/store", "municipality", "0301", expected_settings={"wave": "2026"})
    ...     sorted(set(unit.indices["unit_id"]))[:3]
    ['0301', 'all', 'ost']
    """
    root = Path(folder)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    try:
        parts = _partitions(prepared)
        parts.write_parquet(tmp / PARTITIONS_FILE, statistics=False)
        row_groups: dict[str, dict[str, int]] = {}
        for name, frame in prepared.frames().items():
            tagged = _with_partition(name, frame, parts).sort("_partition", maintain_order=True)
            row_groups[name] = _write_grouped(tagged, tmp / f"{name}.parquet")
        settings = {
            **prepared.settings,
            "input_hash": input_hash,
            "store_format": STORE_FORMAT,
            "row_groups": row_groups,
        }
        (tmp / SETTINGS_FILE).write_text(json.dumps(settings, indent=2, sort_keys=True, default=str),
                                         encoding="utf-8")
        if reference_from is not None:
            (tmp / REFERENCE_DIR).mkdir()
            for name in REFERENCE_READ:
                shutil.copyfile(Path(reference_from) / TABLES[name].file_name,
                                tmp / REFERENCE_DIR / TABLES[name].file_name)
        if root.exists():
            old = root.with_name(f".{root.name}.old")
            if old.exists():
                shutil.rmtree(old)
            root.rename(old)
            tmp.rename(root)
            shutil.rmtree(old)
        else:
            tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_grouped(frame: pl.DataFrame, path: Path) -> dict[str, int]:
    """Write one row group per partition; return partition → row-group index."""
    table = frame.to_arrow()
    index: dict[str, int] = {}
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        if frame.height == 0:
            writer.write_table(table)
            return index
        # The frame is sorted by partition: each partition is one run of rows, a slice.
        runs = frame.select(pl.col("_partition").rle()).unnest("_partition")
        if runs["value"].n_unique() != runs.height:
            raise ValueError("the frame is not sorted by partition")
        offset = 0
        for i, (length, part) in enumerate(runs.select("len", "value").rows()):
            writer.write_table(table.slice(offset, length), row_group_size=max(length, 1))
            index[str(part)] = i
            offset += length
    return index


def read_settings(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The settings a store was built with (raises FileNotFoundError for no store)."""
    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{Path(folder)}: not a prepared store (no {SETTINGS_FILE}); build it first")
    settings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return settings


def check_settings(settings: Mapping[str, Any], expected: Mapping[str, Any], *, folder: str = "") -> None:
    """Raise :class:`StoreMismatch` naming the first expected setting the store lacks or differs in.

    Examples
    --------
    >>> check_settings({"min_unit_n": 10}, {"min_unit_n": 5})
    Traceback (most recent call last):
    ...
    evalkit.store.StoreMismatch: prepared store was built with min_unit_n=10, but 5 is expected; rebuild the store with these settings
    """
    where = f"prepared store {folder}" if folder else "prepared store"
    for key, want in expected.items():
        want_norm = json.loads(json.dumps(want, default=str))
        if key not in settings:
            raise StoreMismatch(f"{where} does not record setting {key!r} (expected {want_norm!r}); rebuild it")
        if settings[key] != want_norm:
            raise StoreMismatch(
                f"{where} was built with {key}={settings[key]!r}, but {want_norm!r} is expected; "
                "rebuild the store with these settings"
            )


def _needed_units(tree: Hierarchy, key: UnitKey) -> pl.DataFrame:
    """What ``for_unit`` may use: the unit, its children (with partner teams) and their
    host children, its ancestors."""
    children = tree.children(key)
    grandchildren = [g for child in children for g in tree.children(child, partners=False)]
    return keys_frame({key, *children, *grandchildren, *tree.ancestors(key)})


def read_unit(
    folder: str | os.PathLike[str],
    unit_level: str,
    unit_id: str,
    *,
    expected_settings: Mapping[str, Any],
) -> Prepared:
    """Read one unit's slice of a store: what :meth:`Prepared.for_unit` gives (of
    :func:`read_scope`)."""
    return read_scope(folder, unit_level, unit_id, expected_settings=expected_settings).for_unit(unit_level, unit_id)


def read_scope(
    folder: str | os.PathLike[str],
    unit_level: str,
    unit_id: str,
    *,
    expected_settings: Mapping[str, Any],
) -> Prepared:
    """Read the partitions of a store that one unit's slice is cut from (the unit, its
    children and ancestors, and whatever shares their partitions), not yet cut.

    Raises
    ------
    StoreMismatch
        The store was built with settings other than ``expected_settings`` (names the
        setting).
    FileNotFoundError
        No store in ``folder``.
    KeyError
        The unit is not in the store.
    """
    root = Path(folder)
    settings = read_settings(root)
    check_settings(settings, expected_settings, folder=str(root))
    row_groups: dict[str, dict[str, int]] = settings["row_groups"]
    units = _read_frame(root / "units.parquet", None)
    parts = pl.read_parquet(root / PARTITIONS_FILE)
    if unit_level == _ALL:
        wanted: set[str] | None = None
    else:
        needed = _needed_units(Hierarchy.from_units(units), (unit_level, unit_id))
        wanted = set(parts.join(needed, on=["unit_level", "unit_id"], how="semi")["partition"].to_list()) | {_ALL}
    frames: dict[str, pl.DataFrame] = {}
    for name in FRAME_NAMES:
        groups = None if wanted is None else sorted(i for p, i in row_groups.get(name, {}).items() if p in wanted)
        frames[name] = _read_frame(root / f"{name}.parquet", groups)
    base_settings = {k: v for k, v in settings.items() if k != "row_groups"}
    return Prepared(**frames, settings=base_settings)


def _read_frame(path: Path, groups: list[int] | None) -> pl.DataFrame:
    pf = pq.ParquetFile(path)
    table: pa.Table = pf.read() if groups is None else pf.read_row_groups(groups)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.drop("_partition") if "_partition" in frame.columns else frame


def unit_hash(folder: str | os.PathLike[str], unit_level: str, unit_id: str) -> str:
    """SHA-256 of exactly one unit's slice (and the store's settings), for incremental batches.

    Two stores give the same hash for a unit when everything its dashboard may show is
    the same, whatever changed elsewhere.
    """
    settings = read_settings(folder)
    prepared = read_unit(folder, unit_level, unit_id, expected_settings={})
    digest = hashlib.sha256()
    stable = {k: v for k, v in settings.items() if k != "row_groups"}
    digest.update(json.dumps(stable, sort_keys=True, default=str).encode())
    for name, frame in prepared.frames().items():
        digest.update(name.encode())
        digest.update(json.dumps({k: str(v) for k, v in frame.schema.items()}).encode())
        digest.update(frame.write_csv().encode())
    return digest.hexdigest()


def store_reference(folder: str | os.PathLike[str]) -> Path | None:
    """The store's copy of the reference tables, or None for a store written without one."""
    path = Path(folder) / REFERENCE_DIR
    return path if path.is_dir() else None
