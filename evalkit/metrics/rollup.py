"""Role groups and the roll-up of figures to every unit (:mod:`evalkit.units`) level.

Every figure is first summed at the finest grain (wave × team × role) as additive
sufficient statistics (counts, sums, sums of squares), then rolled up to every unit level
and role group in one lazy ``group_by`` per level. Because the statistics are additive,
"the parent without the unit" is a subtraction, and the whole data set is one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from evalkit.schema import PROVIDER_SIDE, ROLES, USER_SIDE
from evalkit.units import ALL_ID, UNIT_COLUMN, UNIT_LEVELS

ROLE_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "all": ROLES,
    "user_side": USER_SIDE,
    "provider_side": PROVIDER_SIDE,
    "experience_consultant": ("experience_consultant",),
}
"""Published role groups. ``other`` counts in ``all`` only (it is never shown alone)."""

INTERNAL_ROLE_GROUPS: Final[dict[str, tuple[str, ...]]] = {**ROLE_GROUPS, "other": ("other",)}


def role_group_map() -> pl.DataFrame:
    """Role → role group (a role belongs to ``all`` and to at most one side).

    Examples
    --------
    >>> role_group_map().filter(pl.col("role") == "leader")["role_group"].to_list()
    ['all', 'provider_side']
    """
    rows = [(role, group) for group, roles in INTERNAL_ROLE_GROUPS.items() for role in roles]
    rows.sort(key=lambda r: (ROLES.index(r[0]), list(INTERNAL_ROLE_GROUPS).index(r[1])))
    return pl.DataFrame(rows, schema={"role": pl.String, "role_group": pl.String}, orient="row")


def unit_id_expr(level: str) -> pl.Expr:
    return pl.lit(ALL_ID) if level == "all" else pl.col(UNIT_COLUMN[level])


def roll_up(
    frame: pl.LazyFrame,
    by: Sequence[str],
    sums: Sequence[str],
    *,
    levels: Sequence[str] = UNIT_LEVELS,
    role_groups: bool = True,
) -> pl.LazyFrame:
    """Sum ``sums`` per unit (every level in ``levels``), ``by`` and role group.

    ``frame`` must carry team_id, municipality_id, network_id and (when ``role_groups``)
    role. Returns unit_level, unit_id, *by, [role_group], *sums.

    Examples
    --------
    >>> base = pl.LazyFrame({"team_id": ["t1", "t2"], "municipality_id": ["0301"] * 2,
    ...     "network_id": ["N"] * 2, "role": ["provider", "user_rep"], "x": [1, 2]})
    >>> out = roll_up(base, [], ["x"], levels=["municipality"]).collect()
    >>> sorted(out.select("role_group", "x").rows())
    [('all', 3), ('provider_side', 1), ('user_side', 2)]
    """
    if role_groups:
        frame = frame.join(role_group_map().lazy(), on="role", how="inner")
    keys = [*by, "role_group"] if role_groups else list(by)
    parts = [
        frame.group_by(unit_id_expr(level).alias("unit_id"), *keys)
        .agg(pl.col(s).sum() for s in sums)
        .select(pl.lit(level).alias("unit_level"), "unit_id", *keys, *sums)
        for level in levels
    ]
    if not parts:
        raise ValueError("roll_up needs at least one unit level")
    return pl.concat(parts, how="vertical")


def relevel(frame: pl.DataFrame) -> pl.DataFrame:
    """Sort a result frame by unit level (team first), then its other key columns."""
    order = {level: i for i, level in enumerate(UNIT_LEVELS)}
    keys = [c for c in ("wave", "unit_id", "role_group", "dimension", "item_id", "level", "factor",
                        "parent_level", "parent_id") if c in frame.columns]
    return frame.sort(
        pl.col("unit_level").replace_strict(order, default=9, return_dtype=pl.Int8), *keys, maintain_order=True
    )
