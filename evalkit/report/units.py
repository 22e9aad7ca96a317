"""The unit-hierarchy rules a report applies to the teams table.

Host and partner municipalities: a team is hosted by one municipality and may serve
partner municipalities (``partner_municipality_ids``). Kept in one small module so that
the single unit hierarchy of evalkit can replace it without touching the sections.
"""

from __future__ import annotations

import polars as pl


def municipalities_with_teams(teams: pl.DataFrame) -> set[str]:
    """Municipalities that host an improvement team or are a partner of one."""
    hosts = set(teams["municipality_id"].to_list())
    partners = {m for ms in teams["partner_municipality_ids"].drop_nulls().to_list() for m in ms}
    return hosts | partners


def partner_network(teams: pl.DataFrame, municipality_id: str) -> str:
    """The network of a municipality that hosts no team: that of a team it is a partner of."""
    rows = teams.filter(pl.col("partner_municipality_ids").list.contains(municipality_id))
    return str(rows["network_id"][0])


def network_of(teams: pl.DataFrame, municipality_id: str) -> str:
    """A municipality's network: that of the teams it hosts, else :func:`partner_network`."""
    hosts = teams.filter(pl.col("municipality_id") == municipality_id)
    return str(hosts["network_id"][0]) if hosts.height else partner_network(teams, municipality_id)


def unit_teams(teams: pl.DataFrame, level: str, unit_id: str, wave: str) -> pl.DataFrame:
    """The teams a municipality hosts, or a network's teams, in one wave."""
    teams = teams.filter(pl.col("wave") == wave)
    if level == "municipality":
        return teams.filter(pl.col("municipality_id") == unit_id)
    return teams.filter(pl.col("network_id") == unit_id)


def network_municipalities(teams: pl.DataFrame, network_id: str, wave: str) -> list[str]:
    """The municipalities hosting a network's teams in one wave (sorted by number)."""
    return (
        teams.filter((pl.col("network_id") == network_id) & (pl.col("wave") == wave))
        .get_column("municipality_id").unique().sort().to_list()
    )
