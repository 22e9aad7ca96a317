"""Which units a batch renders: the incremental decision, unit by unit.

A unit's input hash (:func:`evalkit.batch.prepared.unit_input_hash`) names everything its
page is made from. It is not rendered when its page is in the published folder with the
same hash (``unchanged``) or was staged with that hash by an interrupted run
(``staged``); otherwise, and always with ``force``, it is rendered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evalkit.batch.folders import WorkFolders
from evalkit.batch.manifest import Manifest, UnitEntry
from evalkit.batch.model import BatchPlan, Section, Unit
from evalkit.batch.prepared import (
    StoreState,
    file_hash,
    manifest_parameters,
    reference_hash,
    unit_input_hash,
)
from evalkit.batch.worker import UnitOutcome

Action = Literal["render", "unchanged", "staged"]


@dataclass
class Planned:
    """One unit of the batch and what this run does with it."""

    section: Section
    unit: Unit
    input_hash: str
    inputs: dict[str, str]
    action: Action
    previous: UnitEntry | None


def plan_units(plan: BatchPlan, store: StoreState, previous: Manifest | None, out: Path,
                folders: WorkFolders, force: bool) -> list[Planned]:
    """Every unit of the plan with its input hash and its action."""
    reference = reference_hash(plan.data_dir)
    notebook_hashes = {s.notebook: file_hash(s.notebook) for s in plan.sections}
    base = plan.path.parent
    earlier = previous.by_unit() if previous else {}
    planned = []
    for section, unit in plan.units():
        digest = store.digests[unit.key]
        params_hash = hashlib.sha256(repr(sorted(manifest_parameters(section, unit, base).items())).encode()).hexdigest()
        inputs = {"slice": digest, "reference": reference, "parameters": params_hash}
        input_hash = unit_input_hash(section, unit, slice_digest=digest, reference=reference,
                                     notebook_hash=notebook_hashes[section.notebook], base=base)
        before = earlier.get(unit.key)
        action: Action = "render"
        if not force:
            if (before is not None and before.status == "ok" and before.input_hash == input_hash
                    and before.page and (out / before.page).is_file()):
                action = "unchanged"
            elif _staged_ok(folders, unit, input_hash):
                action = "staged"
        planned.append(Planned(section, unit, input_hash, inputs, action, before))
    return planned


def _staged_ok(folders: WorkFolders, unit: Unit, input_hash: str) -> bool:
    try:
        outcome = UnitOutcome.from_json(folders.result_of(unit).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False
    return outcome.status == "ok" and outcome.input_hash == input_hash and (folders.staging / unit.page).is_file()


__all__ = ["Action", "Planned", "plan_units"]
