"""Small-number suppression, primary and complementary, across a whole batch.

Rules (both thresholds are parameters end to end):

* a unit with fewer than ``min_unit_n`` respondents in the wave gets no figures of its
  own (reason ``unit_below_min_unit_n``);
* a figure based on 0 < n < ``min_cell_n`` people is blanked (``n_below_min_cell_n``);
* complementary suppression (``complementary``): every published figure that is a sum
  of others — a municipality of its teams, a network of its municipalities and of its
  teams, "all" of the networks, municipalities and teams, and a unit's ``all`` role
  group of its role groups (``other`` is never published alone) — is checked so that
  no blanked figure can be worked back out by adding or subtracting visible ones, and
  that no combination of blanked figures worked out as a remainder rests on fewer than
  ``min_cell_n`` people. Where one could, the visible part with the smallest n is
  blanked too, and the check runs again until nothing leaks. The check runs over every
  unit of the data set at once, so a page rendered on its own and a batch suppress the
  same figures;
* units outside ``published`` (when given) are blanked with ``not_published``; they
  then protect their siblings like any other blank.

A suppressed row keeps its keys, has ``suppressed = true``, a ``reason``, and null
``n`` and figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from itertools import combinations
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse

from evalkit.units import Hierarchy

UNIT_TOO_SMALL: Final = "unit_below_min_unit_n"
CELL_TOO_SMALL: Final = "n_below_min_cell_n"
COMPLEMENTARY: Final = "complementary"
NOT_PUBLISHED: Final = "not_published"
INTERNAL: Final = "internal_only"

BoolArray = npt.NDArray[np.bool_]


class Priority(IntEnum):
    """The relations "total = sum of parts", in the order complementary suppression mends
    them (lowest first: the finest relations blank the fewest figures)."""

    ROLE_SPLIT = 0
    """A unit's sum of role parts split in two (every split has its own relation code,
    from :data:`FIRST_ROLE_SPLIT_CODE` up)."""
    MUNICIPALITY_TEAM = 1
    NETWORK_MUNICIPALITY = 2
    NETWORK_TEAM = 3
    ALL_NETWORK = 4
    ALL_MUNICIPALITY = 5
    ALL_TEAM = 6


FIRST_ROLE_SPLIT_CODE: Final = 8
"""Relation codes below this are a unit-tree relation's :class:`Priority`; from this up,
each code numbers one split of a sum of role parts (numbered afresh for each sum: a
relation is its total and its code), all mended with ``Priority.ROLE_SPLIT``."""

_PRIORITY_OF_KIND: Final = {
    "municipality/team": Priority.MUNICIPALITY_TEAM,
    "network/municipality": Priority.NETWORK_MUNICIPALITY,
    "network/team": Priority.NETWORK_TEAM,
    "all/network": Priority.ALL_NETWORK,
    "all/municipality": Priority.ALL_MUNICIPALITY,
    "all/team": Priority.ALL_TEAM,
}
""":data:`evalkit.units.RELATION_KINDS` → priority."""


def ancestry(units: Hierarchy | pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Part unit → total unit pairs for every relation checked (see module docstring):
    :meth:`evalkit.units.Hierarchy.relations` of the units with people (a respondents
    frame, or its hierarchy), with their :class:`Priority`.

    A municipality with teams in several networks is not a part of either network (its
    teams are).

    Examples
    --------
    >>> r = pl.DataFrame({"team_id": ["t1", "t2"], "municipality_id": ["0301", "0301"],
    ...     "network_id": ["N", "N"]})
    >>> ancestry(r).filter(total_level="municipality").rows()
    [('team', 't1', 'municipality', '0301', 1), ('team', 't2', 'municipality', '0301', 1)]
    """
    tree = units if isinstance(units, Hierarchy) else Hierarchy.from_frames(units)
    rows = [(*relation[:4], int(_PRIORITY_OF_KIND[relation[4]])) for relation in tree.relations()]
    return pl.DataFrame(rows, orient="row", schema={
        "part_level": pl.String, "part_id": pl.String, "total_level": pl.String, "total_id": pl.String,
        "priority": pl.Int8})


def primary_flags(
    frame: pl.DataFrame,
    unit_sizes: pl.DataFrame,
    *,
    min_unit_n: int,
    min_cell_n: int,
    published: pl.DataFrame | None = None,
    n_column: str = "n",
) -> pl.DataFrame:
    """Add ``_confidential``, ``_hidden`` and ``_reason`` (primary rules only).

    ``unit_sizes`` has unit_level, unit_id, wave and ``n_respondents``.
    """
    out = frame.join(unit_sizes.select("unit_level", "unit_id", "wave", "n_respondents"),
                     on=["unit_level", "unit_id", "wave"], how="left")
    n = pl.col(n_column).fill_null(0)
    small_unit = pl.col("n_respondents").fill_null(0) < min_unit_n
    small_cell = (n > 0) & (n < min_cell_n)
    if published is not None:
        pub = published.select("unit_level", "unit_id").unique().with_columns(_pub=pl.lit(True))
        out = out.join(pub, on=["unit_level", "unit_id"], how="left").with_columns(
            pl.col("_pub").fill_null(False)
        )
    else:
        out = out.with_columns(_pub=pl.lit(True))
    internal = (pl.col("role_group") == "other") if "role_group" in out.columns else pl.lit(False)
    return out.with_columns(
        _confidential=small_unit | small_cell,
        _hidden=small_unit | small_cell | ~pl.col("_pub") | internal,
        _reason=pl.when(small_unit).then(pl.lit(UNIT_TOO_SMALL))
        .when(small_cell).then(pl.lit(CELL_TOO_SMALL))
        .when(~pl.col("_pub")).then(pl.lit(NOT_PUBLISHED))
        .when(internal).then(pl.lit(INTERNAL)),
    ).drop("n_respondents", "_pub")


def complementary(
    frame: pl.DataFrame,
    *,
    keys: Sequence[str],
    ancestors: pl.DataFrame,
    min_cell_n: int,
    role_column: str | None = "role_group",
    role_total: str = "all",
    role_parts: Sequence[str] = ("user_side", "provider_side", "experience_consultant", "other"),
    n_column: str = "n",
) -> pl.DataFrame:
    """Extend ``_hidden`` (from :func:`primary_flags`) until no blanked figure leaks.

    ``keys`` are the figure's key columns other than unit_level, unit_id and the role
    column (e.g. wave and item_id). Returns the frame with ``_hidden`` and ``_reason``
    updated (``complementary`` for the newly blanked).

    Examples
    --------
    A municipality of three teams, one blanked: a second team has to go too, or
    the blanked team would be the municipality minus the other two.

    >>> f = pl.DataFrame({"unit_level": ["municipality", "team", "team", "team"],
    ...     "unit_id": ["m", "a", "b", "c"], "wave": "w", "n": [30, 3, 12, 15]})
    >>> anc = pl.DataFrame({"part_level": "team", "part_id": ["a", "b", "c"],
    ...     "total_level": "municipality", "total_id": "m", "priority": pl.Series([1] * 3, dtype=pl.Int8)})
    >>> f = f.with_columns(_confidential=pl.col("n") < 5, _hidden=pl.col("n") < 5,
    ...     _reason=pl.when(pl.col("n") < 5).then(pl.lit("n_below_min_cell_n")))
    >>> out = complementary(f, keys=["wave"], ancestors=anc, min_cell_n=5, role_column=None)
    >>> out.select("unit_id", "_hidden", "_reason").rows()
    [('m', False, None), ('a', True, 'n_below_min_cell_n'), ('b', True, 'complementary'), ('c', False, None)]
    """
    if frame.height == 0:
        return frame
    parts = list(role_parts) if role_column else []
    lattice, splits = _role_lattice(parts, role_total) if role_column else ([role_total], [])
    # Figures are numbered (role code, unit) within their key group, with the published
    # role labels in sorted order first: ties (equal n) are broken by that number, so
    # the result does not depend on the order of the rows.
    real = sorted({*parts, role_total})
    labels = [*real, *[label for label in lattice if label not in real]]
    code_of = {label: i for i, label in enumerate(labels)}
    n_codes = len(labels)

    g = (
        frame.select(pl.struct(list(keys)).rank("dense").cast(pl.Int64) - 1)
        .to_series().to_numpy() if keys else np.zeros(frame.height, dtype=np.int64)
    )
    if role_column:
        roles = frame[role_column]
        unknown_roles = sorted(set(roles.unique().to_list()) - set(real), key=str)
        if unknown_roles:
            raise ValueError(f"role values {unknown_roles} are not among {[*parts, role_total]}")
        r = roles.replace_strict({label: code_of[label] for label in real}, return_dtype=pl.Int64).to_numpy()
    else:
        r = np.full(frame.height, code_of[role_total], dtype=np.int64)
    unit_table = pl.concat([
        frame.select("unit_level", "unit_id"),
        ancestors.select(pl.col("part_level").alias("unit_level"), pl.col("part_id").alias("unit_id")),
        ancestors.select(pl.col("total_level").alias("unit_level"), pl.col("total_id").alias("unit_id")),
    ]).unique().sort("unit_level", "unit_id").with_row_index("_u")
    u = frame.join(unit_table, on=["unit_level", "unit_id"], how="left", maintain_order="left")["_u"].to_numpy()
    n_groups = int(g.max()) + 1
    n_units = unit_table.height
    n_nodes = n_codes * n_units
    if n_groups * n_nodes > 200_000_000:  # pragma: no cover - far beyond a national batch
        raise MemoryError("too many figures for complementary suppression in one call")

    # Every key group's figures on one grid of (role code, unit) nodes; a node with no
    # row is a known zero (nobody in it).
    node = r * n_units + u.astype(np.int64)
    flat = g * n_nodes + node
    if len(np.unique(flat)) != len(flat):
        raise ValueError(f"more than one row per unit, role and key ({', '.join(keys)}) in the figures")
    exists = np.zeros((n_groups, n_codes, n_units), dtype=bool)
    n = np.zeros((n_groups, n_codes, n_units))
    hidden = np.zeros((n_groups, n_codes, n_units), dtype=bool)
    confidential = np.zeros((n_groups, n_codes, n_units), dtype=bool)
    exists.reshape(-1)[flat] = True
    n.reshape(-1)[flat] = frame[n_column].fill_null(0).cast(pl.Float64).to_numpy()
    hidden.reshape(-1)[flat] = frame["_hidden"].to_numpy().astype(bool)
    confidential.reshape(-1)[flat] = frame["_confidential"].to_numpy().astype(bool)
    # Sums of role parts (never published) exist wherever the unit has a total: they
    # are what differences across units give away.
    total_code = code_of[role_total]
    for label in labels[len(real):]:
        code = code_of[label]
        members = [code_of[m] for m in label.split("+")]
        has = exists[:, total_code, :]
        exists[:, code, :] = has
        n[:, code, :] = np.where(has, n[:, members, :].sum(axis=1), 0.0)
        hidden[:, code, :] = has
        confidential[:, code, :] = has & (n[:, code, :] > 0) & (n[:, code, :] < min_cell_n)

    # The relations "total = sum of parts" are the same in every key group: across
    # unit levels for every role code, and within each unit every split of a sum of
    # role parts into two.
    pairs = (
        ancestors.join(unit_table.rename({"_u": "_pu"}), left_on=["part_level", "part_id"],
                       right_on=["unit_level", "unit_id"], how="inner", maintain_order="left")
        .join(unit_table.rename({"_u": "_tu"}), left_on=["total_level", "total_id"],
              right_on=["unit_level", "unit_id"], how="inner", maintain_order="left")
    )
    pu = pairs["_pu"].to_numpy().astype(np.int64)
    tu = pairs["_tu"].to_numpy().astype(np.int64)
    pr = pairs["priority"].cast(pl.Int64).to_numpy()
    offsets = (np.arange(n_codes, dtype=np.int64) * n_units)[:, None]
    rel_total = [(offsets + tu).reshape(-1)]
    rel_part = [(offsets + pu).reshape(-1)]
    rel_code = [np.broadcast_to(pr, (n_codes, len(pr))).reshape(-1)]
    units = np.arange(n_units, dtype=np.int64)
    for set_label, part_label, code in splits:
        rel_total.append(code_of[set_label] * n_units + units)
        rel_part.append(code_of[part_label] * n_units + units)
        rel_code.append(np.full(n_units, code, dtype=np.int64))
    all_total = np.concatenate(rel_total)
    if len(all_total) == 0:
        return frame
    # One relation per (total, code).
    total_idx, rel_codes, rel_idx = _number_relations(all_total, np.concatenate(rel_code), n_nodes)
    priority = np.where(rel_codes < FIRST_ROLE_SPLIT_CODE, rel_codes, Priority.ROLE_SPLIT).astype(np.int8)
    matrix = sparse.csr_matrix(
        (np.ones(len(rel_idx)), (rel_idx, np.concatenate(rel_part))), shape=(len(total_idx), n_nodes)
    )
    unit_of = np.tile(units, n_codes)
    exists_f = exists.reshape(n_groups, n_nodes)
    n_f = n.reshape(n_groups, n_nodes)
    hidden_f = hidden.reshape(n_groups, n_nodes)
    conf_f = confidential.reshape(n_groups, n_nodes)
    newly = np.zeros((n_groups, n_nodes), dtype=bool)
    # Figures with different keys (wave, item, …) never add up to each other: settle
    # each key group on its own (fewer rounds for most groups than for the slowest).
    for k in range(n_groups):
        # Without a confidential figure nothing can leak: every blank has n ≥ min_cell_n.
        if not conf_f[k].any():
            continue
        # A relation holds in this group when its total and at least one part exist.
        active = np.flatnonzero(exists_f[k][total_idx] & (matrix @ exists_f[k].astype(float) > 0))
        if len(active) == 0:
            continue
        newly[k] = _run_engine(matrix[active], total_idx[active], priority[active], n_f[k], hidden_f[k],
                               conf_f[k], min_cell_n, unit_of)
    return frame.with_columns(
        _hidden=pl.Series(hidden_f.reshape(-1)[flat]),
        _reason=pl.when(pl.Series(newly.reshape(-1)[flat])).then(pl.lit(COMPLEMENTARY)).otherwise(pl.col("_reason")),
    )


def _number_relations(
    total: npt.NDArray[np.int64], code: npt.NDArray[np.int64], n_nodes: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct (total, code) pairs, ascending, and each input pair's number among them.

    Same as ``np.unique`` of the pairs with ``return_inverse``, without sorting: the few
    codes are numbered densely, and the pairs are marked in a table of every pair.
    """
    present = np.zeros(int(code.max()) + 1, dtype=bool)
    present[code] = True
    values = np.flatnonzero(present)
    width = len(values)
    dense = np.cumsum(present) - 1
    key = total * width + dense[code]
    size = n_nodes * width
    if size > 100_000_000:  # pragma: no cover - far beyond a national batch
        uniq, inverse = np.unique(key, return_inverse=True)
    else:
        mark = np.zeros(size, dtype=bool)
        mark[key] = True
        uniq = np.flatnonzero(mark)
        number = np.empty(size, dtype=np.int32 if len(uniq) < 2**31 else np.int64)
        number[uniq] = np.arange(len(uniq))
        inverse = number[key].astype(np.int64)
    return uniq // width, values[uniq % width], inverse


def _role_lattice(parts: list[str], role_total: str) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Labels of every sum of role parts, and the ways to split each sum in two.

    Returns the labels (parts, then the total, then sums of 2 .. len-1 parts, named
    ``a+b``) and ``(sum, part, code)`` rows: each code is one split of one sum.
    """
    labels_of = {frozenset([p]): p for p in parts}
    labels_of[frozenset(parts)] = role_total
    for k in range(2, len(parts)):
        for subset in combinations(parts, k):
            labels_of[frozenset(subset)] = "+".join(subset)
    labels = [*parts, role_total, *[v for key, v in labels_of.items() if 1 < len(key) < len(parts)]]
    templates: list[tuple[str, str, int]] = []
    for k in range(2, len(parts) + 1):
        for subset in combinations(parts, k):
            head, rest = subset[0], subset[1:]
            code = FIRST_ROLE_SPLIT_CODE
            for j in range(len(rest)):
                for with_head in combinations(rest, j):
                    a = (head, *with_head)
                    b = tuple(x for x in subset if x not in a)
                    templates.append((labels_of[frozenset(subset)], labels_of[frozenset(a)], code))
                    templates.append((labels_of[frozenset(subset)], labels_of[frozenset(b)], code))
                    code += 1
    return labels, templates


class _Incidence:
    """A relation matrix with the column and total indexes the fixed-point needs."""

    def __init__(self, matrix: sparse.csr_matrix, total_idx: npt.NDArray[np.int64]) -> None:
        csc = matrix.tocsc()
        self.col_ptr = csc.indptr.astype(np.int64)
        self.col_rows = csc.indices.astype(np.int64)
        self.col_data = csc.data.astype(float)
        order = np.argsort(total_idx, kind="stable")
        self.total_ptr = np.searchsorted(total_idx[order], np.arange(matrix.shape[1] + 1)).astype(np.int64)
        self.total_rows = order.astype(np.int64)

    def rows_of(
        self, nodes: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Relations that ``nodes`` are parts of (one entry per part): rows, weights, nodes."""
        at, lengths = _spans(self.col_ptr, nodes)
        return self.col_rows[at], self.col_data[at], np.repeat(nodes, lengths)

    def subtract(self, nodes: npt.NDArray[np.int64], count: npt.NDArray[np.float64],
                 which: npt.NDArray[np.float64], sign: float = -1.0) -> None:
        """Take ``nodes`` out of the unknown sums of :func:`_unknown_sums` (in place);
        ``sign=1`` puts them in."""
        hit, weight, node = self.rows_of(nodes)
        np.add.at(count, hit, sign * weight)
        np.add.at(which, hit, sign * weight * node)

    def totalled_by(self, nodes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Relations whose total is one of ``nodes``."""
        rows: npt.NDArray[np.int64] = self.total_rows[_spans(self.total_ptr, nodes)[0]]
        return rows


def _spans(
    indptr: npt.NDArray[np.int64], nodes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions indptr[i] .. indptr[i + 1] for every i in ``nodes``, concatenated, and
    the number of positions of each."""
    starts = indptr[nodes]
    lengths = indptr[nodes + 1] - starts
    size = int(lengths.sum())
    ends = np.cumsum(lengths)
    return np.repeat(starts - ends + lengths, lengths) + np.arange(size, dtype=np.int64), lengths


def _distinct(values: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    """The distinct values of ``values`` (all in 0 .. size - 1), ascending."""
    mask = np.zeros(size, dtype=bool)
    mask[values] = True
    return np.flatnonzero(mask)


def _unknown_sums(matrix: sparse.csr_matrix, known: BoolArray) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Unknown parts per relation, and the sum of their positions (which is the position
    itself when exactly one is unknown)."""
    unknown = (~known).astype(float)
    both = matrix @ np.column_stack([unknown, unknown * np.arange(len(known), dtype=float)])
    return np.ascontiguousarray(both[:, 0]), np.ascontiguousarray(both[:, 1])


def _known(
    matrix: sparse.csr_matrix,
    total_idx: npt.NDArray[np.int64],
    start: BoolArray,
    incidence: _Incidence | None = None,
    sums: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> BoolArray:
    """Every figure that can be worked out from the known ones by sums and differences.

    A relation whose parts are all known gives its total; one whose total and all parts
    but one are known gives that part. The rules only ever add figures, so the result
    (the smallest set closed under them) does not depend on the order they are applied
    in: after one pass over every relation, only relations touched by newly known
    figures are looked at again. ``sums`` (:func:`_unknown_sums` of ``start``, updated
    in place) saves the first pass over the matrix.
    """
    inc = incidence if incidence is not None else _Incidence(matrix, total_idx)
    known = start.copy()
    count, which = (a.copy() for a in sums) if sums is not None else _unknown_sums(matrix, start)
    rows: npt.NDArray[np.int64] | None = None  # None: every relation
    while True:
        if rows is None:
            totals, row_count, row_which = total_idx, count, which
        else:
            totals, row_count, row_which = total_idx[rows], count[rows], which[rows]
        whole = totals[row_count == 0]
        whole = whole[~known[whole]]
        known[whole] = True
        rest = np.rint(row_which[(row_count == 1) & known[totals]]).astype(np.int64)
        rest = rest[~known[rest]]
        known[rest] = True
        if len(whole) + len(rest) == 0:
            return known
        new = _distinct(np.concatenate([whole, rest]), len(known))
        inc.subtract(new, count, which)
        rows = _distinct(np.concatenate([inc.rows_of(new)[0], inc.totalled_by(new)]), len(count))


def _run_engine(
    matrix: sparse.csr_matrix,
    total_idx: npt.NDArray[np.int64],
    priority: npt.NDArray[np.int8],
    n: npt.NDArray[np.float64],
    hidden: BoolArray,
    confidential: BoolArray,
    min_cell_n: int,
    unit_of: npt.NDArray[np.int64],
) -> BoolArray:
    """Blank more figures (in place in ``hidden``) until no confidential one leaks."""
    positive = n > 0
    newly = np.zeros(len(n), dtype=bool)
    incidence = _Incidence(matrix, total_idx)
    start = ~hidden | ~positive
    start_sums = _unknown_sums(matrix, start)
    for _ in range(200):
        known = _known(matrix, total_idx, start, incidence, start_sums)
        unknown = ~known
        total_known = known[total_idx]
        sums = matrix @ np.column_stack([(confidential & known & positive).astype(float), n * unknown,
                                         unknown.astype(float)])
        leaked_parts = sums[:, 0] > 0
        rest = sums[:, 1]
        small_rest = (rest > 0) & (rest < min_cell_n)
        leak = total_known & (leaked_parts | small_rest)
        leak |= confidential[total_idx] & positive[total_idx] & known[total_idx] & (sums[:, 2] == 0)
        if not leak.any():
            return newly
        # Mend the finest relations first (that blanks the fewest figures); a relation
        # whose parts are all blank already is mended where the figure leaks from.
        chosen = _mend(matrix, total_idx, priority, leak, hidden, positive, n, unit_of)
        if len(chosen) == 0:
            # The leak runs through figures blanked earlier that can still be worked
            # out: mend the relations that work out any blanked figure.
            derived = total_known & ((matrix @ (hidden & known & positive).astype(float)) > 0)
            derived |= hidden[total_idx] & positive[total_idx] & known[total_idx] & ((matrix @ unknown.astype(float)) == 0)
            chosen = _mend(matrix, total_idx, priority, derived, hidden, positive, n, unit_of)
        if len(chosen) == 0:
            # Last resort (not expected): blank every figure in the leaking relations.
            members = np.unique(matrix[np.flatnonzero(leak)].nonzero()[1])
            chosen = members[~hidden[members]]
            if len(chosen) == 0:
                return newly
        hidden[chosen] = True
        newly[chosen] = True
        now = ~hidden | ~positive
        incidence.subtract(np.flatnonzero(start & ~now), *start_sums, sign=1.0)
        start = now
    raise RuntimeError("complementary suppression did not settle")  # pragma: no cover


def _mend(
    matrix: sparse.csr_matrix,
    total_idx: npt.NDArray[np.int64],
    priority: npt.NDArray[np.int8],
    rows_mask: BoolArray,
    hidden: BoolArray,
    positive: BoolArray,
    n: npt.NDArray[np.float64],
    unit_of: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Figures to blank next: in the finest relations of ``rows_mask`` that can be
    mended, the visible part with the smallest n (the visible total, when no part is
    left), one per unit (one blank often mends several relations of a unit at once)."""
    can = ~hidden & positive
    for level in np.unique(priority[rows_mask]):
        rows = np.flatnonzero(rows_mask & (priority == level))
        at, lengths = _spans(matrix.indptr, rows)
        cols = matrix.indices[at].astype(np.int64)
        values = np.where(can[cols], n[cols], np.inf)
        # Per row, the eligible part with the smallest n (ties: the first node).
        candidate_col = np.full(len(rows), -1, dtype=np.int64)
        candidate_val = np.full(len(rows), np.inf)
        filled = lengths > 0
        if filled.any():
            starts = (np.cumsum(lengths) - lengths)[filled]
            best_values = np.minimum.reduceat(values, starts)
            row_of = np.repeat(np.arange(len(rows)), lengths)
            row_best = np.full(len(rows), np.inf)
            row_best[filled] = best_values
            ties = np.where(values == row_best[row_of], cols, np.iinfo(np.int64).max)
            best_cols = np.minimum.reduceat(ties, starts)
            ok = np.isfinite(best_values)
            best_rows = np.flatnonzero(filled)
            candidate_col[best_rows[ok]] = best_cols[ok]
            candidate_val[best_rows[ok]] = best_values[ok]
        totals = total_idx[rows]
        stuck = (candidate_col < 0) & ~hidden[totals] & positive[totals]
        candidate_col[stuck] = totals[stuck]
        candidate_val[stuck] = n[totals[stuck]]
        usable = candidate_col >= 0
        if not usable.any():
            continue
        units = unit_of[totals[usable]]
        order2 = np.lexsort((candidate_col[usable], candidate_val[usable], units))
        first_per_unit = np.unique(units[order2], return_index=True)[1]
        return np.unique(candidate_col[usable][order2][first_per_unit])
    return np.zeros(0, dtype=np.int64)


def apply_suppression(frame: pl.DataFrame, *, keep: Sequence[str], n_column: str = "n") -> pl.DataFrame:
    """Blank everything but ``keep`` on hidden rows; add ``suppressed`` and ``reason``.

    Drops the internal ``other`` role group rows and the helper columns.
    """
    hidden = pl.col("_hidden")
    blank = [c for c in frame.columns if c not in {*keep, "_hidden", "_confidential", "_reason", "reason"}]
    out = frame.with_columns(
        *[pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in blank],
        suppressed=hidden,
        reason=pl.when(hidden).then(pl.col("_reason")).otherwise(
            pl.col("reason") if "reason" in frame.columns else pl.lit(None, pl.String)
        ),
    )
    if "role_group" in out.columns:
        out = out.filter(pl.col("role_group") != "other")
    del n_column
    return out.drop("_hidden", "_confidential", "_reason")
