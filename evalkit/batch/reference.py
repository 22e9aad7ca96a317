"""What a batch needs of the reference tables: names, waves, which municipalities have teams.

Read with the one reference reader (:func:`evalkit.canonical.read_reference`) and the one
unit hierarchy (:class:`evalkit.units.Hierarchy`); only the small tables, never
respondent-level data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalkit.canonical import REFERENCE_READ


@dataclass(frozen=True)
class Reference:
    """The small reference tables the check needs (never respondent-level data)."""

    networks: dict[str, str]
    municipality_names: dict[str, str]
    municipality_networks: dict[str, tuple[str, ...]]
    """Municipalities with an improvement team (host or partner) → their networks."""
    waves: list[str]


def read_reference(data_dir: Path) -> Reference:
    from evalkit import canonical
    from evalkit.units import Hierarchy

    ref = canonical.read_reference(data_dir, validate=False)
    return Reference(
        networks=dict(ref.network_names),
        municipality_names=dict(ref.municipality_names),
        municipality_networks=Hierarchy.from_frames(ref.teams).municipality_networks(),
        waves=ref.wave_order(),
    )


__all__ = ["REFERENCE_READ", "Reference", "read_reference"]
