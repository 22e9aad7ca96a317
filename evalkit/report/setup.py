"""A report's set-up: check the parameters against the data, find the unit, prepare its
indicators (from a batch's store or computed here)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from evalkit.canonical import MissingTableError, Reference, read_reference
from evalkit.i18n import text
from evalkit.instrument import Instrument, load_instrument
from evalkit.params import (
    MunicipalityParameters,
    NetworkParameters,
    ParameterError,
    ReportParameters,
)
from evalkit.report.context import ReportContext
from evalkit.units import Hierarchy

if TYPE_CHECKING:
    from evalkit.metrics.prepare import Prepared


def open_context(params: NetworkParameters | MunicipalityParameters) -> ReportContext:
    """Check ``params`` against the data and set up the unit's report (raises ParameterError)."""
    data_dir = Path(params.data_dir).expanduser()
    if not data_dir.is_dir():
        raise ParameterError(f"data_dir: folder {str(data_dir)!r} does not exist")
    # From a batch's store, the unit reads the store's copy of the reference tables
    # (the data folder's, copied when the store was built), not the data folder again.
    source = data_dir
    if params.prepared_dir is not None:
        from evalkit.store import store_reference

        source = store_reference(params.prepared_dir) or data_dir
    try:
        ref = read_reference(source, validate=False)
    except MissingTableError as exc:
        raise ParameterError(
            f"data_dir: {data_dir} is not a canonical data folder ({exc.path.name} is missing)"
        ) from None
    wave = params.wave or ref.latest_wave()
    check_waves(ref, wave, params)
    if isinstance(params, MunicipalityParameters):
        level = "municipality"
        tree = Hierarchy.from_frames(ref.teams)
        unit_id = params.municipality_id or first_unit(tree, "municipality")
        check_municipality(ref, tree, unit_id)
        network_id = tree.network_of(unit_id)
        assert network_id is not None  # check_municipality: it has a team
        unit_name = ref.municipality_name(unit_id)
        parent_name = ref.network_name(network_id)
    else:
        level = "network"
        unit_id = params.network_id or first_unit(Hierarchy.from_frames(ref.teams), "network")
        if unit_id not in ref.networks["network_id"].to_list():
            known = ", ".join(ref.networks["network_id"].to_list())
            raise ParameterError(f"network_id: {unit_id!r} is not in the data (known networks: {known})")
        network_id = unit_id
        unit_name = ref.network_name(unit_id)
        parent_name = text("all_networks", params.language)
    instrument = load_instrument(params.instrument)
    prepared = prepare_unit(params, data_dir, wave, level, unit_id, instrument)
    return ReportContext(
        params=params, data_dir=data_dir, ref=ref, wave=wave, level=level, unit_id=unit_id,
        network_id=network_id, unit_name=unit_name, parent_name=parent_name,
        instrument=instrument, prepared=prepared,
    )


def first_unit(tree: Hierarchy, level: str) -> str:
    """The unit an empty id stands for: the first (by id) of ``level`` with a team.

    An evaluation folder's notebooks (``evalkit init``) leave the unit empty, so that
    "Run All" shows the folder's own data before the evaluator picks a unit.
    """
    ids = tree.ids(level)
    if not ids:
        raise ParameterError(f"{level}_id: empty, and the data have no {level} with a team to show instead")
    return ids[0]


def check_waves(ref: Reference, wave: str, params: ReportParameters) -> None:
    for name, problem in ref.wave_problems(wave, params.compare_wave):
        raise ParameterError(f"{name}: {problem}")


def check_municipality(ref: Reference, tree: Hierarchy, municipality_id: str) -> None:
    known = set(ref.municipalities["municipality_id"].to_list())
    if municipality_id not in known:
        raise ParameterError(
            f"municipality_id: {municipality_id!r} is not a municipality number in the data's "
            f"reference table (a number such as 0301 must keep its leading zero)"
        )
    if municipality_id not in tree.municipality_networks():
        raise ParameterError(f"municipality_id: {municipality_id!r} has no improvement team in the data")


def expected_settings(params: ReportParameters, wave: str, instrument: Instrument) -> dict[str, Any]:
    """The settings a batch's store must have been built with to serve this report (a
    store of an earlier ``settings_version`` lacks what the report reads: its trend)."""
    from evalkit.metrics.prepare import SETTINGS_VERSION, instrument_hash

    return {
        "settings_version": SETTINGS_VERSION,
        "wave": wave,
        "compare_wave": params.compare_wave,
        "min_unit_n": params.min_unit_n,
        "min_cell_n": params.min_cell_n,
        "instrument_hash": instrument_hash(instrument),
    }


def prepare_unit(
    params: ReportParameters, data_dir: Path, wave: str, level: str, unit_id: str, instrument: Instrument
) -> Prepared:
    """This unit's slice of the prepared indicators: from the batch's store, or computed."""
    if params.prepared_dir is not None:
        from evalkit.store import read_scope

        scope = read_scope(
            params.prepared_dir, level, unit_id, expected_settings=expected_settings(params, wave, instrument)
        )
        return with_hidden_children(scope, scope.for_unit(level, unit_id), level, unit_id)
    from evalkit import canonical
    from evalkit.metrics import prepare

    data = canonical.load(data_dir)
    # Rendered on its own, the page is suppressed as if every unit were published,
    # which protects everything on this page (and more).
    prepared = prepare(
        data,
        wave=wave,
        compare_wave=params.compare_wave,
        instrument=instrument,
        min_unit_n=params.min_unit_n,
        min_cell_n=params.min_cell_n,
    )
    return with_hidden_children(prepared, prepared.for_unit(level, unit_id), level, unit_id)


HIDDEN_CHILD_FRAMES = ("respondent_counts", "indices")
"""The frames whose children's rows a page lists (a network's table of its municipalities)."""


def with_hidden_children(scope: Prepared, sliced: Prepared, level: str, unit_id: str) -> Prepared:
    """``sliced`` with its children's hidden rows of :data:`HIDDEN_CHILD_FRAMES` put back:
    blank rows (keys, ``suppressed`` and ``reason``, no figures) that
    :meth:`Prepared.for_unit` leaves out, so that a page that lists its children says
    why a child's figure is hidden, as the child's own page does."""
    from dataclasses import replace

    from evalkit.units import keys_frame

    children = keys_frame(Hierarchy.from_units(scope.units).children((level, unit_id)))
    extra: dict[str, Any] = {}
    for name in HIDDEN_CHILD_FRAMES:
        frame: pl.DataFrame = getattr(scope, name)
        if "suppressed" not in frame.columns:
            continue
        hidden = frame.join(children, on=["unit_level", "unit_id"], how="semi").filter(pl.col("suppressed"))
        mine: pl.DataFrame = getattr(sliced, name)
        extra[name] = pl.concat([mine, hidden.select(mine.columns)]).unique(maintain_order=True)
    return replace(sliced, **extra)
