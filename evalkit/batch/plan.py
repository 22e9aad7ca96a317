"""Planning a batch: which units, with which notebook, and every parameter of each.

:func:`plan_batch` takes a batch file's model (:mod:`~evalkit.batch.batchfile`) and
checks it against what it names: each notebook's ``parameters`` cell (papermill's
inspect: unknown, missing, wrongly typed — :mod:`evalkit.params`), the values (the
report's own parameter model), the data folder, its waves and every unit id. Every
problem becomes one line; a plan is made only when there are none.

A notebook's parameters are, in order of precedence: ``-p`` on the command line, the
section's own ``parameters``, the batch's shared ``parameters``, then the notebook's
literal defaults — so that every unit's notebook is given all of them explicitly.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from evalkit.batch.batchfile import BatchFile, UnitsFile, UnitsOfNetworks, UnitsSpec
from evalkit.batch.model import (
    BATCH_OWNED,
    ID_PARAMETERS,
    SECTIONS,
    STORE_SETTINGS,
    BatchPlan,
    Section,
    Unit,
    UnitLevel,
)
from evalkit.batch.reference import REFERENCE_READ, Reference, read_reference
from evalkit.errors import InputError
from evalkit.params import (
    NotebookParameter,
    ParameterError,
    ReportParameters,
    check_declared,
    coerce,
    resolve_paths,
    shared_parameters,
)

_SAFE_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _wanted(level: UnitLevel, spec: UnitsSpec, ref: Reference, base: Path, where: str,
            problems: list[str]) -> list[Any]:
    """The ids a ``units:`` entry names, as written (checked by :func:`_select_units`)."""
    known = ref.municipality_networks if level == "municipality" else {n: (n,) for n in ref.networks}
    if spec == "all":
        return sorted(known)
    if isinstance(spec, UnitsFile):
        try:
            return spec.values(base)
        except InputError as exc:
            problems.append(f"{where}: {exc}")
            return []
    if isinstance(spec, UnitsOfNetworks):
        raw: list[Any] = []
        for net in spec.networks:
            if net not in ref.networks:
                problems.append(
                    f"{where}.networks: unknown network {net!r}{_suggest(net, ref.networks)} "
                    f"(networks in the data: {', '.join(sorted(ref.networks))})"
                )
                continue
            raw.extend(m for m in sorted(known) if net in known[m])
        return raw
    return list(spec)


def _select_units(
    level: UnitLevel, spec: UnitsSpec, ref: Reference, base: Path, where: str, problems: list[str]
) -> tuple[Unit, ...]:
    """Resolve a ``units:`` entry to units of the data; every bad id becomes a problem."""
    from evalkit.schema import normalise_municipality_id

    known = ref.municipality_networks if level == "municipality" else {n: (n,) for n in ref.networks}
    units: dict[str, Unit] = {}
    for value in _wanted(level, spec, ref, base, where, problems):
        if level == "municipality":
            try:
                unit_id = normalise_municipality_id(value)
            except ValueError:
                problems.append(
                    f"{where}: {value!r} is not a municipality number (4 digits, like \"0301\"; "
                    "quote numbers with a leading zero)"
                )
                continue
            if unit_id not in known:
                hint = f" ({value!r} was read as {unit_id})" if str(value) != unit_id else ""
                in_ref = unit_id in ref.municipality_names
                why = "has no improvement team in the data" if in_ref else "is not a municipality in the data"
                problems.append(f"{where}: municipality {unit_id}{hint} {why}{_suggest(unit_id, known)}")
                continue
            name = ref.municipality_names.get(unit_id, unit_id)
        else:
            unit_id = str(value)
            if unit_id not in known:
                problems.append(
                    f"{where}: unknown network {unit_id!r}{_suggest(unit_id, known)} "
                    f"(networks in the data: {', '.join(sorted(known))})"
                )
                continue
            name = ref.networks[unit_id]
        if not _SAFE_ID.match(unit_id):
            problems.append(f"{where}: unit id {unit_id!r} cannot name a page file (letters, digits, '-', '_', '.')")
            continue
        units.setdefault(unit_id, Unit(level, unit_id, name, known[unit_id]))
    if not units and not any(p.startswith(where) for p in problems):
        problems.append(f"{where}: no units selected")
    return tuple(units.values())


def _text_for_str(parameters: Mapping[str, Any], declared: Mapping[str, NotebookParameter]) -> dict[str, Any]:
    """A whole number given for a text parameter (``wave: 2026``) becomes its text.

    Safe: evalkit's YAML keeps numbers with a leading zero as text, and unit ids (where a
    lost zero matters) are never shared parameters.
    """
    out = dict(parameters)
    for name, value in out.items():
        parameter = declared.get(name)
        if parameter is not None and parameter.base_type == "str" and isinstance(value, int) and not isinstance(value, bool):
            out[name] = str(value)
    return out


def _check_values(name: str, level: UnitLevel, params: Mapping[str, Any]) -> list[str]:
    """The report's own parameter model (ranges, languages, thresholds), for evalkit's notebooks."""
    if not set(params) <= set(ReportParameters.model_fields):
        return []  # not one of evalkit's report notebooks: its own cell checks its values
    problems: list[str] = []
    instrument = params.get("instrument")
    if isinstance(instrument, str) and not Path(instrument).is_file():
        problems.append(f"{name}: instrument file {instrument} not found")
    try:
        shared_parameters(level, **params)
    except ParameterError as exc:
        problems.append(f"{name}: {exc}")
    return problems


def _inspect(file: BatchFile, base: Path, read: list[Path],
             problems: list[str]) -> dict[str, tuple[Path, dict[str, NotebookParameter]]]:
    """Each section's notebook and its declared parameters."""
    from evalkit import params

    notebooks: dict[str, tuple[Path, dict[str, NotebookParameter]]] = {}
    for name, _, section in file.sections():
        nb_path = (base / section.notebook).resolve()
        read.append(nb_path)
        try:
            notebooks[name] = (nb_path, params.notebook_parameters(nb_path))
        except InputError as exc:
            problems.append(f"{name}: {exc}")
    return notebooks


def _typed_overrides(overrides: Sequence[tuple[str, str]],
                     notebooks: Mapping[str, tuple[Path, dict[str, NotebookParameter]]],
                     problems: list[str]) -> dict[str, dict[str, Any]]:
    """``-p NAME VALUE`` pairs typed by each notebook that takes them."""
    typed: dict[str, dict[str, Any]] = {name: {} for name in notebooks}
    for key, value in overrides:
        if key in BATCH_OWNED or key in ID_PARAMETERS.values():
            problems.append(f"-p {key}: set by the batch for each unit; choose units in the batch file")
            continue
        takers = [name for name, (_, declared) in notebooks.items() if key in declared]
        if not takers and notebooks:
            problems.append(f"-p {key}: no notebook of this batch takes a parameter {key!r}")
        for name in takers:
            try:
                typed[name][key] = coerce(value, notebooks[name][1][key])
            except InputError as exc:
                problems.append(f"-p {key}: {exc}")
    return typed


def _data_dir(given: set[str], any_notebook: bool, read: list[Path],
              problems: list[str]) -> tuple[Path | None, Reference | None]:
    """The one canonical data folder the notebooks name, and its reference tables."""
    if not given and any_notebook:
        problems.append("parameters: data_dir is missing (a batch must name its canonical data folder)")
    elif len(given) > 1:
        problems.append(f"data_dir differs between the notebooks ({', '.join(sorted(given))}); set it once under 'parameters'")
    elif given:
        candidate = Path(next(iter(given)))
        missing = [t for t in REFERENCE_READ if not (candidate / f"{t}.parquet").is_file()]
        if not candidate.is_dir():
            problems.append(f"data_dir: folder {candidate} does not exist")
        elif missing:
            problems.append(f"data_dir: {candidate} is not a canonical data folder (no {', '.join(missing)})")
        else:
            read.extend(candidate / f"{t}.parquet" for t in REFERENCE_READ)
            return candidate, read_reference(candidate)
    return None, None


def plan_batch(path: Path, file: BatchFile, overrides: Sequence[tuple[str, str]],
               problems: list[str]) -> BatchPlan | None:
    """The plan of a batch file, or None; every problem found is appended to ``problems``.

    ``overrides`` are ``-p NAME VALUE`` pairs from the command line: text, typed by the
    notebooks' parameters cells, applied to the shared parameters.
    """
    base = path.parent.resolve()
    read: list[Path] = [path.resolve()]
    notebooks = _inspect(file, base, read, problems)
    typed_overrides = _typed_overrides(overrides, notebooks, problems)
    sections_of = {name: section for name, _, section in file.sections()}

    # Each notebook's parameters: the batch file's, then -p, then the notebook's defaults.
    effective: dict[str, dict[str, Any]] = {}
    clean_types: dict[str, bool] = {}
    given_data_dirs: set[str] = set()
    for name, (nb_path, declared) in notebooks.items():
        level = SECTIONS[name]
        given = {**file.parameters, **sections_of[name].parameters}
        for key in sorted(set(given) & (BATCH_OWNED | set(ID_PARAMETERS.values()))):
            problems.append(f"{name}: parameter {key!r} is set by the batch for each unit; remove it")
            given.pop(key)
        id_param = ID_PARAMETERS[level]
        if id_param not in declared:
            problems.append(f"{name}: {nb_path.name} has no parameter {id_param!r}, so it cannot render one {level} per page")
        if "prepared_dir" not in declared:
            problems.append(f"{name}: {nb_path.name} has no parameter 'prepared_dir' (it must read its slice of the prepared store)")
        given = resolve_paths(_text_for_str(given, declared), base)
        given.update(resolve_paths(typed_overrides.get(name, {}), Path.cwd()))
        if "data_dir" in given:
            given_data_dirs.add(str(given["data_dir"]))
        type_problems = check_declared(declared, given, notebook=nb_path.name, source=name)
        problems.extend(type_problems)
        clean_types[name] = not type_problems
        params: dict[str, Any] = {}
        for pname, parameter in declared.items():
            if pname in given:
                params[pname] = given[pname]
            elif pname != id_param and pname not in BATCH_OWNED:
                ok, default = parameter.literal_default()
                if ok:
                    params[pname] = default
                else:
                    problems.append(f"{name}: parameter {pname!r} is missing ({nb_path.name} gives no plain default: {parameter.default})")
        effective[name] = params

    data_dir, ref = _data_dir(given_data_dirs, bool(notebooks), read, problems)

    sections: list[Section] = []
    for name, params in effective.items():
        level = SECTIONS[name]
        units: tuple[Unit, ...] = ()
        if ref is not None:
            if params.get("wave") is None and "wave" in params:
                params["wave"] = ref.waves[-1]
            for wname in ("wave", "compare_wave"):
                wave_value = params.get(wname)
                if wave_value is not None and str(wave_value) not in ref.waves:
                    problems.append(f"{name}: {wname} {wave_value!r} is not a wave in the data (waves: {', '.join(ref.waves)})")
            if clean_types[name]:
                problems.extend(_check_values(name, level, params))
            spec = sections_of[name].units
            if isinstance(spec, UnitsFile):
                read.append(spec.path(base))
            units = _select_units(level, spec, ref, base, f"{name}.units", problems)
        sections.append(Section(level, notebooks[name][0], params, units))

    # The store is built once: every notebook must agree on its settings.
    settings: dict[str, Any] = {}
    for key in (*STORE_SETTINGS, "language"):
        values = {name: params.get(key) for name, params in effective.items() if key in params}
        if len({repr(v) for v in values.values()}) > 1 and key != "language":
            shown = ", ".join(f"{n}: {v!r}" for n, v in values.items())
            problems.append(f"{key} differs between the notebooks ({shown}); set it once under 'parameters'")
        elif values:
            settings[key] = next(iter(values.values()))
    if problems or data_dir is None:
        return None
    instrument = settings.get("instrument")
    if isinstance(instrument, str):
        read.append(Path(instrument))
    sections.sort(key=lambda s: list(SECTIONS.values()).index(s.level))
    return BatchPlan(
        path=path.resolve(),
        description=file.description,
        data_dir=data_dir,
        sections=tuple(sections),
        settings=settings,
        instrument=Path(instrument) if isinstance(instrument, str) else None,
        raw_parameters=dict(file.parameters),
        inputs=tuple(dict.fromkeys(read)),
    )


__all__ = ["plan_batch"]
