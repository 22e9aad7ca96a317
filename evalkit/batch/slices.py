"""A digest of every unit's slice of the prepared data, for all units in one pass.

A unit's dashboard reads exactly :meth:`Prepared.for_unit` of the batch's prepared data
(through :func:`evalkit.store.read_unit`). Cutting and hashing that slice for each of 377
units costs about 0.1 s a unit; here every frame's rows are hashed once
(``DataFrame.hash_rows``), grouped by unit (or team), and a unit's digest combines the
groups that ``for_unit`` would give it:

* ``units``: the unit, its children and its ancestors;
* ``charts`` and ``progress``: the unit's teams (everything, for the top unit);
* frames with ``unit_level``/``unit_id``: the unit's and its ancestors' rows (only its
  own for ``benchmarks``), and its children's rows that are not suppressed;
* any other frame: all of it.

Two digests are equal exactly when the slices hold the same rows (in any order, floats
to 10 significant digits, up to 64-bit row-hash collisions); ``tests/test_batch_slices.py``
checks this against ``for_unit`` itself. Row hashes depend on the polars version, which
is part of every digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import numpy as np
import polars as pl

from evalkit.metrics.prepare import Prepared
from evalkit.units import Hierarchy, UnitKey

_ROW_SEED = 20260301
_SIGNIFICANT = 10


def _digest(hashes: Iterable[int]) -> bytes:
    return hashlib.blake2b(np.fromiter(hashes, dtype=np.uint64).tobytes(), digest_size=16).digest()


def _row_hashes(frame: pl.DataFrame) -> pl.Series:
    """One hash per row, with floats rounded to 10 significant digits.

    ``prepare`` sums in parallel, so two builds from the same data can differ in a
    float's last bits; such noise must not re-render a page.
    """
    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    canonical = frame.with_columns(pl.col(floats).round_sig_figs(_SIGNIFICANT)) if floats else frame
    return canonical.hash_rows(seed=_ROW_SEED)


def _group_digests(frame: pl.DataFrame, keys: list[str], *, visible_only: bool = False) -> dict[tuple[str, ...], bytes]:
    """Per group, a digest of its rows (in any order: builds may order rows differently)."""
    if frame.height == 0:
        return {}
    hashed = frame.with_columns(_h=_row_hashes(frame))
    if visible_only:
        hashed = hashed.filter(~pl.col("suppressed").fill_null(False))
    grouped = hashed.group_by(keys, maintain_order=True).agg(pl.col("_h").sort())
    return {
        tuple(str(v) for v in row[:-1]): _digest(row[-1])
        for row in grouped.iter_rows()
    }


def _schema_text(frame: pl.DataFrame) -> bytes:
    return json.dumps([[name, str(dtype)] for name, dtype in frame.schema.items()]).encode()


def slice_digests(prepared: Prepared, units: Iterable[UnitKey]) -> dict[UnitKey, str]:
    """SHA-256 of each unit's ``prepared.for_unit(level, id)`` (with the settings).

    Examples
    --------
    >>> from evalkit.canonical import load
    >>> from evalkit.metrics import prepare
    >>> prepared = prepare(load("data/sample"), wave="2026")
    >>> d = slice_digests(prepared, [("municipality", "0301"), ("municipality", "3201")])
    >>> len(d), d[("municipality", "0301")] != d[("municipality", "3201")]
    (2, True)
    """
    wanted = list(dict.fromkeys((str(level), str(uid)) for level, uid in units))
    tree = Hierarchy.from_units(prepared.units)
    settings = {k: v for k, v in prepared.settings.items() if k != "slice"}
    head = hashlib.sha256()
    head.update(json.dumps(settings, sort_keys=True, default=str).encode())
    head.update(pl.__version__.encode())

    Groups = dict[tuple[str, ...], bytes]
    per_frame: list[tuple[str, bytes, Groups | bytes, Groups]] = []
    for name, frame in prepared.frames().items():
        schema = _schema_text(frame)
        if name in ("charts", "progress") and "team_id" in frame.columns:
            per_frame.append((name, schema, _group_digests(frame, ["team_id"]), {}))
        elif name == "units" or ("unit_level" in frame.columns and "unit_id" in frame.columns):
            groups = _group_digests(frame, ["unit_level", "unit_id"])
            visible = (_group_digests(frame, ["unit_level", "unit_id"], visible_only=True)
                       if "suppressed" in frame.columns else groups)
            per_frame.append((name, schema, groups, visible))
        else:
            whole_rows = _row_hashes(frame).sort() if frame.height else pl.Series([], dtype=pl.UInt64)
            per_frame.append((name, schema, _digest(whole_rows), {}))
    whole: dict[str, bytes] = {}
    for name, _, team_groups, _v in per_frame:
        if isinstance(team_groups, dict) and name in ("charts", "progress"):
            whole[name] = _digest(int.from_bytes(d[:8], "little") for _, d in sorted(team_groups.items()))

    out: dict[UnitKey, str] = {}
    empty = b"-"
    for key in wanted:
        level = key[0]
        digest = head.copy()
        if level != "all" and key not in tree:
            digest.update(b"unknown unit")
            out[key] = digest.hexdigest()
            continue
        own = [key]
        ancestors = list(tree.ancestors(key)) if level != "all" else []
        kids = list(tree.children(key))
        for name, schema, frame_groups, visible in per_frame:
            digest.update(name.encode() + b"\0" + schema)
            if isinstance(frame_groups, bytes):
                digest.update(frame_groups)
                continue
            groups = frame_groups
            if name in ("charts", "progress"):
                if level == "all":
                    digest.update(whole[name])
                else:
                    for team in tree.teams_of(key):
                        digest.update(groups.get((team,), empty))
                continue
            if name == "units":
                parts = [(k, groups) for k in sorted(set(own + kids + ancestors))]
            else:
                mine = own if name == "benchmarks" else sorted(set(own + ancestors))
                parts = [(k, groups) for k in mine] + [(k, visible) for k in kids]
            for part_key, source in parts:
                digest.update(f"{part_key[0]}:{part_key[1]}".encode())
                digest.update(source.get(part_key, empty))
        out[key] = digest.hexdigest()
    return out


__all__ = ["slice_digests"]
