"""Checks and facts of the input tables shared by the chart and progress preparation."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def require_columns(frame: pl.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} lacks column(s) {', '.join(missing)}")


def team_facts(teams: pl.DataFrame) -> pl.DataFrame:
    """One row per team (``teams`` has one per team and wave; static facts agree)."""
    require_columns(teams, ("team_id", "name", "municipality_id", "network_id"), "teams")
    return teams.select(
        "team_id", pl.col("name").alias("team_name"), "municipality_id", "network_id"
    ).unique("team_id", keep="first", maintain_order=True)
