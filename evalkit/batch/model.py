"""What a checked batch is: its units, their sections and the plan (plain data).

:func:`evalkit.batch.config.load_batch_file` builds a :class:`BatchPlan` from a batch
file (:mod:`~evalkit.batch.batchfile`, then :mod:`~evalkit.batch.plan`); everything after
the check — the prepared store, the runner, the index — reads only these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

UnitLevel = Literal["network", "municipality"]

SECTIONS: Final[dict[str, UnitLevel]] = {"networks": "network", "municipalities": "municipality"}
"""Section of the batch file → the level of its units (networks are listed first)."""

ID_PARAMETERS: Final[dict[UnitLevel, str]] = {"network": "network_id", "municipality": "municipality_id"}
"""The parameter that names the unit, per level; the batch sets it for each unit."""

STORE_SETTINGS: Final = ("wave", "compare_wave", "min_unit_n", "min_cell_n", "instrument")
"""Parameters the prepared store is built with: every notebook of a batch must agree."""

BATCH_OWNED: Final = frozenset({"prepared_dir"})
"""Parameters the batch sets itself (the prepared store in the work folder)."""


@dataclass(frozen=True)
class Unit:
    """One dashboard: a network or a municipality."""

    level: UnitLevel
    unit_id: str
    name: str
    networks: tuple[str, ...]
    """The networks the unit belongs to (a municipality's, through its teams)."""

    @property
    def key(self) -> str:
        """``level:id``, as in the pages' figure markup (``municipality:0301``)."""
        return f"{self.level}:{self.unit_id}"

    @property
    def page(self) -> str:
        """The dashboard's file name in the published folder."""
        return f"{self.level}-{self.unit_id}.html"


@dataclass(frozen=True)
class Section:
    """The units of one level, their notebook and their parameters (without the id)."""

    level: UnitLevel
    notebook: Path
    parameters: dict[str, Any]
    units: tuple[Unit, ...]

    def unit_parameters(self, unit: Unit, prepared_dir: str | None) -> dict[str, Any]:
        """Everything the notebook is given for ``unit`` (all its parameters, explicitly)."""
        out = dict(self.parameters)
        out[ID_PARAMETERS[self.level]] = unit.unit_id
        out["prepared_dir"] = prepared_dir
        return out


@dataclass(frozen=True)
class BatchPlan:
    """A checked batch file: what to render, with which parameters."""

    path: Path
    description: str
    data_dir: Path
    sections: tuple[Section, ...]
    settings: dict[str, Any]
    """Store settings shared by every notebook (wave resolved), plus ``language``."""
    instrument: Path | None = None
    raw_parameters: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()
    """Every file the check read (the batch file, notebooks, reference tables, units files)."""

    def units(self) -> list[tuple[Section, Unit]]:
        return [(s, u) for s in self.sections for u in s.units]

    def published_units(self) -> list[tuple[str, str]]:
        return [(u.level, u.unit_id) for _, u in self.units()]

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON values (:meth:`from_json` reads it back)."""
        return {
            "path": str(self.path), "description": self.description, "data_dir": str(self.data_dir),
            "sections": [{"level": s.level, "notebook": str(s.notebook), "parameters": s.parameters,
                          "units": [[u.level, u.unit_id, u.name, list(u.networks)] for u in s.units]}
                         for s in self.sections],
            "settings": self.settings, "instrument": str(self.instrument) if self.instrument else None,
            "raw_parameters": self.raw_parameters, "inputs": [str(i) for i in self.inputs],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BatchPlan:
        return cls(
            path=Path(raw["path"]), description=raw["description"], data_dir=Path(raw["data_dir"]),
            sections=tuple(
                Section(s["level"], Path(s["notebook"]), dict(s["parameters"]),
                        tuple(Unit(u[0], u[1], u[2], tuple(u[3])) for u in s["units"]))
                for s in raw["sections"]
            ),
            settings=dict(raw["settings"]), instrument=Path(raw["instrument"]) if raw["instrument"] else None,
            raw_parameters=dict(raw["raw_parameters"]), inputs=tuple(Path(i) for i in raw["inputs"]),
        )


__all__ = [
    "BATCH_OWNED", "ID_PARAMETERS", "SECTIONS", "STORE_SETTINGS", "BatchPlan", "Section", "Unit", "UnitLevel",
]
