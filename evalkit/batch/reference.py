"""The reference tables a batch reads from ``data_dir``: networks, municipalities, teams, waves.

Only the small tables, never respondent-level data. Isolated in :func:`read_reference`
so that one shared reference reader can take its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

REFERENCE_READ: Final = ("networks", "municipalities", "teams", "waves")
"""The tables :func:`read_reference` reads (a data folder without one of them is refused)."""


@dataclass(frozen=True)
class Reference:
    """The small reference tables the check needs (never respondent-level data)."""

    networks: dict[str, str]
    municipality_names: dict[str, str]
    municipality_networks: dict[str, tuple[str, ...]]
    """Municipalities with an improvement team (host or partner) → their networks."""
    waves: list[str]


def read_reference(data_dir: Path) -> Reference:
    import polars as pl

    def read(name: str) -> pl.DataFrame:
        return pl.read_parquet(data_dir / f"{name}.parquet")

    networks = read("networks")
    municipalities = read("municipalities").sort("valid_from")
    teams = read("teams")
    waves = read("waves").sort("order")
    names = {str(m): str(n) for m, n in municipalities.select("municipality_id", "name").iter_rows()}
    member: dict[str, set[str]] = {}
    for muni, net, partners in teams.select("municipality_id", "network_id", "partner_municipality_ids").iter_rows():
        member.setdefault(str(muni), set()).add(str(net))
        for partner in partners or []:
            member.setdefault(str(partner), set()).add(str(net))
    return Reference(
        networks={str(k): str(v) for k, v in networks.select("network_id", "name").iter_rows()},
        municipality_names=names,
        municipality_networks={m: tuple(sorted(n)) for m, n in member.items()},
        waves=[str(w) for w in waves["wave"]],
    )


__all__ = ["REFERENCE_READ", "Reference", "read_reference"]
