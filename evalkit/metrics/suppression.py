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
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse

from evalkit.metrics._units import ALL_ID, UNIT_COLUMN

UNIT_TOO_SMALL: Final = "unit_below_min_unit_n"
CELL_TOO_SMALL: Final = "n_below_min_cell_n"
COMPLEMENTARY: Final = "complementary"
NOT_PUBLISHED: Final = "not_published"
INTERNAL: Final = "internal_only"

BoolArray = npt.NDArray[np.bool_]

# (total level, part level): every relation "total = sum of parts" across unit levels.
_TREE_RELATIONS: Final = (
    ("municipality", "team", 1),
    ("network", "municipality", 2),
    ("network", "team", 3),
    ("all", "network", 4),
    ("all", "municipality", 5),
    ("all", "team", 6),
)


def ancestry(respondents: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Part unit → total unit pairs for every relation checked (see module docstring).

    A municipality with teams in several networks is not a part of either network (its
    teams are).

    Examples
    --------
    >>> r = pl.DataFrame({"team_id": ["t1", "t2"], "municipality_id": ["0301", "0301"],
    ...     "network_id": ["N", "N"]})
    >>> ancestry(r).filter(total_level="municipality").rows()
    [('team', 't1', 'municipality', '0301', 1), ('team', 't2', 'municipality', '0301', 1)]
    """
    units = respondents.lazy().select("team_id", "municipality_id", "network_id").unique().collect()
    split = (
        units.group_by("municipality_id").agg(pl.col("network_id").n_unique().alias("k"))
        .filter(pl.col("k") > 1)["municipality_id"]
    )
    frames = []
    for total, part, priority in _TREE_RELATIONS:
        src = units
        if (total, part) == ("network", "municipality"):
            src = units.filter(~pl.col("municipality_id").is_in(split.implode()))
        frames.append(
            src.select(
                pl.lit(part).alias("part_level"),
                pl.col(UNIT_COLUMN[part]).alias("part_id"),
                pl.lit(total).alias("total_level"),
                (pl.lit(ALL_ID) if total == "all" else pl.col(UNIT_COLUMN[total])).alias("total_id"),
                pl.lit(priority, pl.Int8).alias("priority"),
            ).unique()
        )
    return pl.concat(frames).sort("priority", "total_id", "part_id")


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
    role_keys = [role_column] if role_column else []
    node_keys = [*keys, *role_keys, "unit_level", "unit_id"]
    nodes = frame.select(*node_keys).with_row_index("_node")
    n = frame[n_column].fill_null(0).to_numpy().astype(float)
    hidden = frame["_hidden"].to_numpy().copy()
    confidential = frame["_confidential"].to_numpy()

    rel_frames: list[pl.DataFrame] = []
    group_keys = [*keys, *role_keys]
    # Across unit levels, within each (keys, role group).
    parts = nodes.join(ancestors, left_on=["unit_level", "unit_id"], right_on=["part_level", "part_id"])
    tree = parts.join(
        nodes.rename({"_node": "_total", "unit_level": "total_level", "unit_id": "total_id"}),
        on=[*group_keys, "total_level", "total_id"], how="inner",
    ).select("_total", "_node", "priority")
    rel_frames.append(tree)
    if role_column:
        totals = nodes.filter(pl.col(role_column) == role_total).drop(role_column).rename({"_node": "_total"})
        role_rel = nodes.filter(
            pl.col(role_column).is_in(pl.Series(list(role_parts), dtype=pl.String).implode())
        ).join(totals, on=[*keys, "unit_level", "unit_id"], how="inner").select(
            "_total", "_node", pl.lit(0, pl.Int8).alias("priority"),
        )
        rel_frames.append(role_rel)
    rel = pl.concat(rel_frames)
    if rel.height == 0:
        return frame
    # A relation is one total and one kind of part (priority says which): number them densely.
    rel = rel.with_columns(
        _rel_idx=(pl.col("_total").cast(pl.Int64) * 8 + pl.col("priority").cast(pl.Int64))
        .rank("dense").cast(pl.Int64) - 1
    )
    heads = rel.group_by("_rel_idx").agg(pl.col("_total").first(), pl.col("priority").first()).sort("_rel_idx")
    total_idx = heads["_total"].to_numpy().astype(np.int64)
    priority = heads["priority"].to_numpy()
    matrix = sparse.csr_matrix(
        (np.ones(rel.height), (rel["_rel_idx"].to_numpy(), rel["_node"].to_numpy())),
        shape=(len(total_idx), len(n)),
    )
    newly = _run_engine(matrix, total_idx, priority, n, hidden, confidential, min_cell_n)
    return frame.with_columns(
        _hidden=pl.Series(hidden),
        _reason=pl.when(pl.Series(newly)).then(pl.lit(COMPLEMENTARY)).otherwise(pl.col("_reason")),
    )


def _known(matrix: sparse.csr_matrix, total_idx: npt.NDArray[np.int64], start: BoolArray) -> BoolArray:
    """Every figure that can be worked out from the known ones by sums and differences."""
    known = start.copy()
    index = np.arange(len(known), dtype=float)
    while True:
        unknown = (~known).astype(float)
        count = matrix @ unknown
        before = int(known.sum())
        known[total_idx[count == 0]] = True
        one = (count == 1) & known[total_idx]
        if one.any():
            which = (matrix @ (unknown * index))[one]
            known[np.rint(which).astype(np.int64)] = True
        if int(known.sum()) == before:
            return known


def _run_engine(
    matrix: sparse.csr_matrix,
    total_idx: npt.NDArray[np.int64],
    priority: npt.NDArray[np.int8],
    n: npt.NDArray[np.float64],
    hidden: BoolArray,
    confidential: BoolArray,
    min_cell_n: int,
) -> BoolArray:
    """Blank more figures (in place in ``hidden``) until no confidential one leaks."""
    positive = n > 0
    newly = np.zeros(len(n), dtype=bool)
    big = float(n.max()) + 1.0 if len(n) else 1.0
    for _ in range(200):
        known = _known(matrix, total_idx, ~hidden | ~positive)
        unknown = ~known
        total_known = known[total_idx]
        leaked_parts = (matrix @ (confidential & known & positive).astype(float)) > 0
        rest = matrix @ (n * unknown)
        small_rest = (rest > 0) & (rest < min_cell_n)
        leak = total_known & (leaked_parts | small_rest)
        leak |= confidential[total_idx] & positive[total_idx] & known[total_idx] & ((matrix @ unknown.astype(float)) == 0)
        if not leak.any():
            return newly
        # Mend the finest relations first (that blanks the fewest figures); a relation
        # whose parts are all blank already is mended where the figure leaks from.
        eligible = (~hidden & positive).astype(float)
        chosen = np.zeros(0, dtype=np.int64)
        for level in np.unique(priority[leak]):
            rows = np.flatnonzero(leak & (priority == level))
            sub = matrix[rows].multiply(eligible * (big - n)).tocsr()
            best = np.asarray(sub.argmax(axis=1)).ravel()
            best_value = np.asarray(sub.max(axis=1).todense()).ravel()
            fixable = best_value > 0
            # No visible part left to blank: blank the total if it is visible.
            stuck_totals = total_idx[rows[~fixable]]
            stuck_totals = stuck_totals[~hidden[stuck_totals] & positive[stuck_totals]]
            chosen = np.unique(np.concatenate([best[fixable], stuck_totals]).astype(np.int64))
            if len(chosen):
                break
        if len(chosen) == 0:
            # Last resort (not expected): blank every figure in the leaking relations.
            members = np.unique(matrix[np.flatnonzero(leak)].nonzero()[1])
            chosen = members[~hidden[members]]
            if len(chosen) == 0:
                return newly
        hidden[chosen] = True
        newly[chosen] = True
    raise RuntimeError("complementary suppression did not settle")  # pragma: no cover


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
