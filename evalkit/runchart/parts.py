"""Parts of a series: a break (a change in the process) starts a new part.

Part of :mod:`evalkit.runchart`; a part has its own centre, limits and runs analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

BreakKey = str | tuple[str, str]
"""A team id (a break for all the team's measures) or ``(team_id, measure_id)``."""


def break_frame(breaks: Mapping[BreakKey, Sequence[date]]) -> pl.DataFrame:
    team_ids: list[str] = []
    measure_ids: list[str | None] = []
    starts: list[date] = []
    for key, dates in breaks.items():
        team_id, measure_id = (key, None) if isinstance(key, str) else key
        for start in dates:
            team_ids.append(team_id)
            measure_ids.append(measure_id)
            starts.append(start)
    return pl.DataFrame(
        {"team_id": team_ids, "_break_measure": measure_ids, "_break_start": starts},
        schema={"team_id": pl.String, "_break_measure": pl.String, "_break_start": pl.Date},
    )


def marked_breaks(measures: pl.DataFrame) -> dict[BreakKey, list[date]]:
    """Breaks where a team marked ``change_introduced`` (the optional column of
    ``measures``): a new part of that team's measure starts in that month.

    A first reported month marked as a change starts no new part (nothing lies before it).
    """
    if "change_introduced" not in measures.columns:
        return {}
    marked = (
        measures.filter(pl.col("change_introduced").fill_null(False))
        .join(
            measures.group_by("team_id", "measure_id").agg(_first=pl.col("period").min()),
            on=["team_id", "measure_id"],
        )
        .filter(pl.col("period") > pl.col("_first"))
        .sort("team_id", "measure_id", "period")
    )
    breaks: dict[BreakKey, list[date]] = {}
    for team_id, measure_id, period in marked.select("team_id", "measure_id", "period").iter_rows():
        breaks.setdefault((team_id, measure_id), []).append(period)
    return breaks


def with_parts(
    frame: pl.DataFrame, breaks: Mapping[BreakKey, Sequence[date]] | None
) -> pl.DataFrame:
    if not breaks:
        return frame.with_columns(part=pl.lit(1, dtype=pl.Int32))
    indexed = frame.with_row_index("_row")
    passed = (
        indexed.select("_row", "team_id", "measure_id", "period")
        .join(break_frame(breaks), on="team_id", how="inner")
        .filter(
            (
                pl.col("_break_measure").is_null()
                | (pl.col("_break_measure") == pl.col("measure_id"))
            )
            & (pl.col("period") >= pl.col("_break_start"))
        )
        .unique(["_row", "_break_start"])
        .group_by("_row")
        .agg(pl.len().alias("_breaks_passed"))
    )
    return (
        indexed.join(passed, on="_row", how="left")
        .with_columns(
            # Renumber 1, 2, ... so that a break before the first month or inside a gap
            # does not leave a part without points.
            part=pl.col("_breaks_passed")
            .fill_null(0)
            .rank("dense")
            .over("team_id", "measure_id")
            .cast(pl.Int32)
        )
        .sort("_row")
        .drop("_row", "_breaks_passed")
    )
