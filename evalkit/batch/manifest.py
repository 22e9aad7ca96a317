"""``manifest.json``: what a published folder holds, and what each page was made from.

Per unit: the notebook (its path relative to the published folder, as are the path
parameters), its parameters, the hash of
everything it read (its slice of the prepared store, the reference tables, its
parameters, the notebook, the template, evalkit's version), the notebook and template
hashes, evalkit's version, the duration, the status and an error excerpt. At the top:
the settings every page shares (``min_unit_n``, ``min_cell_n``, ``wave``, …). Nothing
respondent-level: no ids, no answers, no counts beyond what the pages show.

The manifest is also the batch's memory: a unit whose page is in the folder and whose
input hash is unchanged is not rendered again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

MANIFEST_FILE: Final = "manifest.json"
MANIFEST_VERSION: Final = 1

UnitStatus = Literal["ok", "failed", "rejected"]


@dataclass
class UnitEntry:
    """One unit's line in the manifest."""

    unit: str
    level: str
    id: str
    name: str
    networks: list[str]
    page: str | None
    notebook: str
    notebook_hash: str
    template_hash: str
    evalkit_version: str
    parameters: dict[str, Any]
    input_hash: str
    inputs: dict[str, str]
    status: UnitStatus
    duration_s: float
    rendered_at: str | None
    error: str | None = None
    attempts: int = 1

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> UnitEntry:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in raw.items() if k in known})


@dataclass
class Manifest:
    settings: dict[str, Any]
    units: list[UnitEntry]
    summary: dict[str, Any] = field(default_factory=dict)
    generator: dict[str, Any] = field(default_factory=dict)
    manifest_version: int = MANIFEST_VERSION

    def by_unit(self) -> dict[str, UnitEntry]:
        return {u.unit: u for u in self.units}

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest in ``folder``, or None when there is none (or it is unreadable)."""
    path = folder / MANIFEST_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(
            settings=dict(raw.get("settings") or {}),
            units=[UnitEntry.from_dict(u) for u in raw.get("units") or []],
            summary=dict(raw.get("summary") or {}),
            generator=dict(raw.get("generator") or {}),
            manifest_version=int(raw.get("manifest_version", MANIFEST_VERSION)),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def relative_notebook(notebook: Path, base: Path) -> str:
    """The notebook's path relative to the batch file's folder (as the file names it)."""
    return Path(os.path.relpath(notebook, base)).as_posix()


__all__ = ["MANIFEST_FILE", "Manifest", "UnitEntry", "read_manifest"]
