"""Slice digests change exactly when ``Prepared.for_unit`` changes (evalkit/batch/slices.py)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

import polars as pl
import pytest

from evalkit.batch.slices import slice_digests
from evalkit.canonical import CanonicalData
from evalkit.metrics.prepare import Prepared, prepare


@pytest.fixture(scope="module")
def prepared(sample_data: CanonicalData) -> Prepared:
    return prepare(sample_data, wave="2026", compare_wave="2025")


def _units(prepared: Prepared) -> list[tuple[str, str]]:
    rows = prepared.units.select("unit_level", "unit_id").unique().sort("unit_level", "unit_id").rows()
    return [(str(a), str(b)) for a, b in rows]


def _reference_hash(prepared: Prepared, key: tuple[str, str]) -> str:
    """The slice itself, written out: an independent definition of "what the unit reads"."""
    piece = prepared.for_unit(*key)
    digest = hashlib.sha256()
    for name, frame in piece.frames().items():
        digest.update(name.encode())
        digest.update(frame.write_csv().encode())
    return digest.hexdigest()


def _changed(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    return {k for k in before if before[k] != after[k]}


def test_digests_differ_between_units_and_are_stable(prepared: Prepared) -> None:
    units = _units(prepared)
    first = slice_digests(prepared, units)
    assert first == slice_digests(prepared, list(reversed(units)))
    assert len(set(first.values())) == len(units)


def _perturb(prepared: Prepared, name: str, row: int) -> Prepared:
    frame = getattr(prepared, name)
    numeric = [c for c, t in frame.schema.items() if t.is_numeric() and c not in ("wave",)]
    column = numeric[0] if numeric else next(c for c, t in frame.schema.items() if t == pl.String and c not in ("unit_level", "unit_id"))
    values = frame[column].to_list()
    old = values[row]
    if frame.schema[column].is_numeric():
        values[row] = (old or 0) + 1
    else:
        values[row] = f"{old}-changed"
    changed = frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))
    return replace(prepared, **{name: changed})


@pytest.mark.slow
@pytest.mark.parametrize("name", ["items", "indices", "benchmarks", "respondent_counts", "charts", "progress"])
def test_a_change_re_renders_exactly_the_units_whose_slice_changed(prepared: Prepared, name: str) -> None:
    units = [k for k in _units(prepared) if k[0] in ("municipality", "network", "all")]
    before_digest = slice_digests(prepared, units)
    before_ref = {k: _reference_hash(prepared, k) for k in units}
    rng = random.Random(7)
    frame = getattr(prepared, name)
    changed_any = False
    indexed = frame.with_row_index("_row")
    if "unit_level" in frame.columns:
        pools = [indexed.filter(pl.col("unit_level") == level) for level in ("municipality", "team", "network", "all")]
    else:
        pools = [indexed]
    rows = [int(rng.choice(pool["_row"].to_list())) for pool in pools if pool.height]
    for row in rows:
        changed = _perturb(prepared, name, row)
        after_digest = slice_digests(changed, units)
        after_ref = {k: _reference_hash(changed, k) for k in units}
        expected = _changed(before_ref, after_ref)
        assert _changed(before_digest, after_digest) == expected, (name, row)
        changed_any = changed_any or bool(expected)
    assert changed_any, f"no perturbation of {name} reached any unit: the test would prove nothing"
