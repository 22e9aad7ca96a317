"""Benchmark: import a 100 000-row wide Nettskjema export, against a plain pl.read_csv.

Run: ``.venv/bin/python benchmarks/bench_import.py [--rows 100000]``. Prints the time of a
plain ``pl.read_csv`` of the file and of the whole ``evalkit validate`` path (read, detect
encoding and separator, map, pseudonymise, validate, write) in the same run. The target
is under 10 s for 100 000 rows. Not a timed test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from evalkit.importers import import_files, load_mapping, write_result
from evalkit.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "params" / "nettskjema_mapping.yml"
REFERENCE = ROOT / "tests" / "fixtures" / "importers" / "reference"


def make_export(path: Path, rows: int, seed: int = 1) -> None:
    """A wide Nettskjema-like member export with the mapping's columns and codes."""
    rng = np.random.default_rng(seed)
    mapping = load_mapping(MAPPING)
    member = mapping.member
    assert member is not None
    instrument = load_instrument()
    codes = rng.integers(1, 7, size=(rows, len(member.items))).astype(str)
    codes[codes == "6"] = "9"  # don't know
    teams = rng.integers(1, 5, size=rows)
    municipality = np.array(["0301", "3201", "4601", "1103"])[teams - 1]
    role = rng.integers(1, 7, size=rows)
    columns: dict[str, object] = {
        "$submission_id": np.arange(1, rows + 1).astype(str),
        "$created": ["2025-03-01 10:00"] * rows,
        "kommune": municipality,
        "rolle": role.astype(str),
        "team": teams.astype(str),
    }
    user_side = np.isin(role, [3, 4])
    for j, (item_id, column) in enumerate(member.items.items()):
        values = codes[:, j].astype(object)
        if set(instrument.item(item_id).roles) == {"user_rep", "relative_rep"}:
            values[~user_side] = None
        columns[column] = values
    columns["samtykke"] = ["1"] * rows
    columns["kommentar"] = [None] * rows
    pl.DataFrame(columns).write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export = root / "medlem.csv"
        make_export(export, args.rows)
        size = export.stat().st_size / 1e6
        t0 = time.perf_counter()
        plain = pl.read_csv(export)
        t_plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = import_files([export], MAPPING, work=root / "work", reference=REFERENCE)
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_result(result, root / "out")
        t_write = time.perf_counter() - t0
        d = result.data
        print(f"file: {args.rows} rows x {plain.width} columns, {size:.1f} MB")
        print(f"pl.read_csv:                 {t_plain:6.2f} s")
        print(f"import (read+map+validate):  {t_import:6.2f} s  "
              f"({d.respondents.height} respondents, {d.answers.height} answers, {d.rejections.height} rejections)")
        print(f"write canonical folder:      {t_write:6.2f} s")
        print(f"total evalkit validate path: {t_import + t_write:6.2f} s  (target < 10 s)")


if __name__ == "__main__":
    main()
