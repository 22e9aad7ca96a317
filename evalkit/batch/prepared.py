"""The batch's shared data work, done once: the prepared store and what each unit reads.

Before any notebook runs, :func:`ensure_store` reads the canonical data, computes every
indicator for every unit (:func:`evalkit.metrics.prepare`) and writes the prepared store
(:func:`evalkit.store.write_store`) into the work folder, together with a digest of each
unit's slice (:mod:`evalkit.batch.slices`). The store is rebuilt only when its inputs
changed: the data folder's files, the settings (wave, compare wave, thresholds, the
instrument), evalkit's and polars' versions — or when it is damaged: every file of the
store has its SHA-256 written beside the unit digests, and a file that no longer matches
(truncated, overwritten, removed) has the store rebuilt, and the batch's summary says so.

:func:`unit_input_hash` then names everything one dashboard reads — its slice of the
store (benchmarks included), the reference tables the report reads from ``data_dir``,
its parameters, the notebook, the page template and evalkit's version — so that a unit
is re-rendered exactly when one of them changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from evalkit import __version__
from evalkit.atomic import write_atomic
from evalkit.batch.model import BatchPlan, Section, Unit
from evalkit.canonical import REFERENCE_READ
from evalkit.params import PATH_PARAMETERS

STORE_DIR: Final = "prepared"
DIGESTS_FILE: Final = "prepared-digests.json"
REFERENCE_TABLES: Final = REFERENCE_READ
"""What a report reads from ``data_dir`` itself (:class:`evalkit.report.Reference`)."""
_FORMAT: Final = 3
"""Bumped when a store of the same inputs holds other frames (2: funnels and model;
3: the trend's earlier waves)."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def file_hash(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@cache
def template_hash() -> str:
    """SHA-256 over evalkit's page template folder (names and bytes)."""
    digest = hashlib.sha256()
    root = Path(str(resources.files("evalkit").joinpath("templates")))
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def reference_hash(data_dir: Path) -> str:
    """SHA-256 of the reference tables a report reads from ``data_dir`` (not the survey)."""
    digest = hashlib.sha256()
    for name in REFERENCE_TABLES:
        path = data_dir / f"{name}.parquet"
        digest.update(name.encode())
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class StoreState:
    """The prepared store of a batch, and each unit's slice digest."""

    folder: Path
    input_hash: str
    built: bool
    seconds: float
    digests: dict[str, str]
    """``level:id`` → digest of the unit's slice."""
    damaged: tuple[str, ...] = ()
    """Why an up-to-date store was rebuilt: its files that no longer match the checksums
    written with them (empty: it was not damaged)."""
    model_seconds: float | None = None
    """Of ``seconds``, the multilevel model's fit (None: the store was not built)."""


def store_inputs(plan: BatchPlan) -> dict[str, Any]:
    """Everything the store is built from (hashed into its input hash)."""
    import polars as pl

    from evalkit.canonical import folder_hash

    settings = {k: plan.settings.get(k) for k in ("wave", "compare_wave", "min_unit_n", "min_cell_n")}
    return {
        "format": _FORMAT,
        "data": folder_hash(plan.data_dir),
        "settings": settings,
        "instrument": file_hash(plan.instrument) if plan.instrument else "evalkit",
        "published_units": "all",
        "evalkit": __version__,
        "polars": pl.__version__,
    }


def _read_digests_file(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def _digests_for(raw: dict[str, Any] | None, input_hash: str) -> dict[str, str] | None:
    if raw is None or raw.get("input_hash") != input_hash:
        return None
    digests = raw.get("digests")
    return digests if isinstance(digests, dict) else None


def store_settings(folder: Path) -> dict[str, Any]:
    """The settings a store was built with ({} when there is no readable store).

    Read directly (``settings.json``, see :mod:`evalkit.store`) so that a batch with
    nothing to do does not import the metrics layer.
    """
    try:
        settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


def store_checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a store folder, by name."""
    return {p.name: file_hash(p) for p in sorted(folder.iterdir()) if p.is_file()}


def _damage(folder: Path, recorded: object) -> list[str]:
    """The store's files that do not match the checksums written with them."""
    if not isinstance(recorded, dict) or not recorded:
        return ["its checksums are unreadable"]
    out = []
    for name, digest in sorted(recorded.items()):
        path = folder / str(name)
        try:
            actual = file_hash(path)
        except FileNotFoundError:
            out.append(f"{name} is missing")
            continue
        except OSError as exc:
            out.append(f"{name} cannot be read ({exc.strerror})")
            continue
        if actual != digest:
            out.append(f"{name} does not match its checksum")
    return out


def _current_store(plan: BatchPlan, work: Path) -> tuple[str, dict[str, str] | None, list[str]]:
    """The store's input hash; the unit digests when the store in ``work`` is up to date
    and undamaged; and, when it is up to date but damaged, what is wrong with it."""
    input_hash = sha256_text(_canonical_json(store_inputs(plan)))
    wanted = {u.key for _, u in plan.units()}
    current = store_settings(work / STORE_DIR).get("input_hash")
    raw = _read_digests_file(work / DIGESTS_FILE) if current == input_hash else None
    digests = _digests_for(raw, input_hash)
    if digests is None or not wanted <= set(digests) or raw is None or "files" not in raw:
        return input_hash, None, []  # out of date (a store written before checksums were is rebuilt too)
    damage = _damage(work / STORE_DIR, raw["files"])
    return input_hash, (None if damage else digests), damage


def store_is_current(plan: BatchPlan, work: Path) -> bool:
    """True when :func:`ensure_store` will find nothing to build."""
    return _current_store(plan, work)[1] is not None


def ensure_store(plan: BatchPlan, work: Path) -> StoreState:
    """Build the prepared store in ``work`` unless an up-to-date one is there."""
    start = time.perf_counter()
    folder = work / STORE_DIR
    input_hash, digests, damage = _current_store(plan, work)
    if digests is not None:
        return StoreState(folder, input_hash, False, time.perf_counter() - start, digests)

    from evalkit import canonical
    from evalkit.batch.slices import slice_digests
    from evalkit.instrument import load_instrument
    from evalkit.metrics.prepare import prepare
    from evalkit.store import write_store

    data = canonical.load(plan.data_dir)
    s = plan.settings
    prepared = prepare(
        data,
        wave=str(s["wave"]),
        compare_wave=s.get("compare_wave"),
        instrument=load_instrument(plan.instrument),
        min_unit_n=int(s.get("min_unit_n", 10)),
        min_cell_n=int(s.get("min_cell_n", 5)),
    )
    write_store(prepared, folder, input_hash=input_hash, reference_from=plan.data_dir)
    keys = [(u.level, u.unit_id) for _, u in plan.units()]
    computed = {f"{level}:{uid}": d for (level, uid), d in slice_digests(prepared, keys).items()}
    write_atomic(work / DIGESTS_FILE, json.dumps(
        {"input_hash": input_hash, "digests": computed, "files": store_checksums(folder)}, indent=1, sort_keys=True))
    return StoreState(folder, input_hash, True, time.perf_counter() - start, computed, tuple(damage),
                      prepared.timings.get("model"))


def manifest_parameters(section: Section, unit: Unit, base: Path) -> dict[str, Any]:
    """The unit's parameters as the manifest shows them: paths relative to the batch file,
    no work-folder path (the prepared store is named by its hash instead)."""
    params = section.unit_parameters(unit, None)
    params.pop("prepared_dir", None)
    for name in sorted(PATH_PARAMETERS & set(params)):
        value = params[name]
        if isinstance(value, str) and value:
            params[name] = os.path.relpath(value, base)
    return params


def unit_input_hash(
    section: Section,
    unit: Unit,
    *,
    slice_digest: str,
    reference: str,
    notebook_hash: str,
    base: Path,
) -> str:
    """SHA-256 of everything one dashboard reads (see the module docstring)."""
    return sha256_text(_canonical_json({
        "slice": slice_digest,
        "reference": reference,
        "parameters": manifest_parameters(section, unit, base),
        "notebook": notebook_hash,
        "template": template_hash(),
        "evalkit": __version__,
    }))


__all__ = ["StoreState", "ensure_store", "file_hash", "reference_hash", "template_hash", "unit_input_hash"]
