"""The experimental joint protector (:mod:`evalkit.metrics.protect`) on a table small
enough to protect by hand."""

from __future__ import annotations

import polars as pl

from evalkit.disclosure import pinned
from evalkit.metrics import suppression
from evalkit.metrics.protect import _Model, protect
from evalkit.metrics.rollup import roll_up
from evalkit.units import Hierarchy


def _counts(roles: dict[str, dict[str, int]]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rows = []
    for muni, by_role in roles.items():
        for role, k in by_role.items():
            rows += [(f"r{len(rows) + i}", "2026", "N", muni, f"T{muni}", role) for i in range(k)]
    resp = pl.DataFrame(rows, schema=["respondent_id", "wave", "network_id", "municipality_id", "team_id", "role"],
                        orient="row").lazy()
    by_role = roll_up(resp.with_columns(n=pl.lit(1, pl.Int64), role_group=pl.col("role")), ["wave", "role"], ["n"],
                      role_groups=False).collect()
    totals = roll_up(resp.with_columns(n=pl.lit(1, pl.Int64)), ["wave"], ["n"], role_groups=False).collect()
    counts = pl.concat([by_role, totals.with_columns(role=pl.lit("all")).select(by_role.columns)])
    sizes = roll_up(resp.with_columns(n_respondents=pl.lit(1, pl.Int64)), ["wave"], ["n_respondents"],
                    role_groups=False).collect()
    return counts, sizes, suppression.ancestry(Hierarchy.from_frames(resp.collect()))


def test_a_two_by_two_table_gets_its_cheapest_rectangle() -> None:
    # Oslo: 12 providers, 3 leaders; Drammen: 8 providers, 6 leaders; the network shows 20
    # and 9. Oslo's leaders (3) are hidden as small, and 9 - 6 or 15 - 12 would give them
    # away. By hand: Oslo's row needs a second hidden cell, and so do the network's leader
    # and provider rows and Drammen's row; three cells do it, the rectangle (Oslo's
    # providers, Drammen's leaders and providers); hiding a total instead costs more.
    counts, sizes, ancestors = _counts({"0301": {"provider": 12, "leader": 3}, "3005": {"provider": 8, "leader": 6}})
    flagged = suppression.primary_flags(counts, sizes, min_unit_n=10, min_cell_n=5)
    out, report = protect({"count": flagged}, ancestors=ancestors, unit_sizes=sizes, min_cell_n=5, min_unit_n=10)
    hidden = out["count"].filter(pl.col("_hidden"), pl.col("unit_level") != "team")
    protected = {(r["unit_id"], r["role"]) for r in hidden.filter(_reason="complementary").iter_rows(named=True)}
    assert protected == {("0301", "provider"), ("3005", "leader"), ("3005", "provider")}
    assert report.protected == 3 and not report.timed_out and not report.unresolved
    # And the attacker, given the result and its labels (protect: at least 5), pins nothing.
    model = _Model({"count": flagged}, ancestors, sizes, min_cell_n=5, min_unit_n=10, protect_small_units=True)
    problem = model.problem({("count", "2026", "municipality", uid, "", role) for uid, role in protected})
    assert pinned(problem, [problem.index[k] for k in model.secrets]).safe


def test_nothing_to_protect_hides_nothing() -> None:
    counts, sizes, ancestors = _counts({"0301": {"provider": 12, "leader": 6}, "3005": {"provider": 8, "leader": 6}})
    flagged = suppression.primary_flags(counts, sizes, min_unit_n=10, min_cell_n=5)
    out, report = protect({"count": flagged}, ancestors=ancestors, unit_sizes=sizes, min_cell_n=5, min_unit_n=10)
    assert report.protected == 0 and not out["count"]["_hidden"].any()
