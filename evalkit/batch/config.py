"""The batch parameter file (``kind: batch``) and its check before anything runs.

A batch file names the notebook of each kind of unit, which units to render and the
parameters they share::

    kind: batch
    description: Wave 2026, every municipality and network
    parameters:                  # shared by every notebook
      data_dir: ../data/sample   # paths are relative to this file
      wave: "2026"
      compare_wave: "2025"
      min_unit_n: 10
      min_cell_n: 5
    networks:
      notebook: ../notebooks/network_report.ipynb
      units: all                 # every network in the data, or a list of ids
    municipalities:
      notebook: ../notebooks/municipality_report.ipynb
      units: {networks: [ost]}   # all | [0301, "3201"] | {networks: [...]}
                                 # | {file: kommuner.xlsx, column: kommunenr}
      parameters: {language: nb} # optional, for this kind of unit only

:func:`load_batch_file` checks the whole file — its keys, every parameter against each
notebook's ``parameters`` cell (papermill's inspect: unknown, missing, wrongly typed),
the values (the report's own parameter model), the data folder, waves and every unit
id — and raises one :class:`~evalkit.errors.InputError` that lists every problem.

Municipality numbers are 4-digit text with meaningful leading zeros. An unquoted
``0301`` stays ``"0301"`` (:mod:`evalkit.yamlio`); a number that lost its zero — ``301``
from YAML, a spreadsheet or ``-p`` — gets it back; anything that is not a number of at
most four digits, or is not a municipality in the data, is refused by name.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from evalkit.atomic import write_atomic
from evalkit.errors import InputError
from evalkit.yamlio import load_file

if TYPE_CHECKING:
    from evalkit.params import NotebookParameter

UnitLevel = Literal["network", "municipality"]

SECTIONS: Final[dict[str, UnitLevel]] = {"networks": "network", "municipalities": "municipality"}
"""Section of the batch file → the level of its units (networks are listed first)."""

ID_PARAMETERS: Final[dict[UnitLevel, str]] = {"network": "network_id", "municipality": "municipality_id"}
"""The parameter that names the unit, per level; the batch sets it for each unit."""

STORE_SETTINGS: Final = ("wave", "compare_wave", "min_unit_n", "min_cell_n", "instrument")
"""Parameters the prepared store is built with: every notebook of a batch must agree."""

BATCH_OWNED: Final = frozenset({"prepared_dir"})
"""Parameters the batch sets itself (the prepared store in the work folder)."""

REFERENCE_READ: Final = ("networks", "municipalities", "teams", "waves")
_TOP_KEYS: Final = frozenset({"kind", "description", "parameters", *SECTIONS})
_SECTION_KEYS: Final = frozenset({"notebook", "units", "parameters"})
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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


@dataclass(frozen=True)
class _Reference:
    """The small reference tables the check needs (never respondent-level data)."""

    networks: dict[str, str]
    municipality_names: dict[str, str]
    municipality_networks: dict[str, tuple[str, ...]]
    """Municipalities with an improvement team (host or partner) → their networks."""
    waves: list[str]


def _read_reference(data_dir: Path) -> _Reference:
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
    return _Reference(
        networks={str(k): str(v) for k, v in networks.select("network_id", "name").iter_rows()},
        municipality_names=names,
        municipality_networks={m: tuple(sorted(n)) for m, n in member.items()},
        waves=[str(w) for w in waves["wave"]],
    )


def _units_file(spec: Mapping[str, Any], base: Path, where: str, problems: list[str]) -> list[Any]:
    """Values of one column of a CSV or Excel file (every cell read as it is stored)."""
    import polars as pl

    unknown = sorted(set(spec) - {"file", "column", "sheet"})
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (a units file takes file, column, sheet)")
    file, column = spec.get("file"), spec.get("column")
    if not isinstance(file, str) or not isinstance(column, str):
        problems.append(f"{where}: a units file needs 'file' (a CSV or Excel file) and 'column'")
        return []
    path = (base / file).resolve()
    if not path.is_file():
        problems.append(f"{where}: units file {path} not found")
        return []
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
            sheet = spec.get("sheet")
            frame = pl.read_excel(path, sheet_name=str(sheet)) if sheet else pl.read_excel(path)
        else:
            frame = pl.DataFrame()
            for separator in (",", ";", "\t"):
                # Every cell as text: "0301" stays "0301"; a lost zero ("301") is restored later.
                frame = pl.read_csv(path, separator=separator, infer_schema=False, encoding="utf8-lossy")
                if column in frame.columns:
                    break
    except Exception as exc:  # polars and fastexcel raise several kinds for unreadable files
        problems.append(f"{where}: cannot read units file {path} ({exc})")
        return []
    if column not in frame.columns:
        problems.append(f"{where}: units file {path.name} has no column {column!r} (columns: {', '.join(frame.columns)})")
        return []
    return [v for v in frame[column].to_list() if v is not None and str(v).strip() != ""]


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _select_units(
    level: UnitLevel, spec: Any, ref: _Reference, base: Path, where: str, problems: list[str]
) -> tuple[Unit, ...]:
    """Resolve a ``units:`` entry to units of the data; every bad id becomes a problem."""
    from evalkit.schema import normalise_municipality_id

    known = ref.municipality_networks if level == "municipality" else {n: (n,) for n in ref.networks}
    raw: list[Any]
    if spec is None or spec == "all":
        raw = sorted(known)
    elif isinstance(spec, list):
        raw = list(spec)
    elif isinstance(spec, dict) and "file" in spec:
        raw = _units_file(spec, base, where, problems)
    elif isinstance(spec, dict) and level == "municipality" and set(spec) == {"networks"}:
        nets = spec["networks"]
        nets = [nets] if isinstance(nets, str) else nets
        if not isinstance(nets, list) or not nets:
            problems.append(f"{where}.networks: give a list of network ids")
            return ()
        raw = []
        for net in (str(n) for n in nets):
            if net not in ref.networks:
                problems.append(
                    f"{where}.networks: unknown network {net!r}{_suggest(net, ref.networks)} "
                    f"(networks in the data: {', '.join(sorted(ref.networks))})"
                )
                continue
            raw.extend(m for m in sorted(known) if net in known[m])
    else:
        allowed = "all, a list of ids, {file: ..., column: ...}"
        if level == "municipality":
            allowed += " or {networks: [...]}"
        problems.append(f"{where}: units must be {allowed}; got {spec!r}")
        return ()
    units: dict[str, Unit] = {}
    for value in raw:
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


def load_batch_file(
    path: str | os.PathLike[str],
    overrides: Sequence[tuple[str, str]] = (),
) -> BatchPlan:
    """Read and check a ``kind: batch`` file; raise one :class:`InputError` listing every problem.

    ``overrides`` are ``-p NAME VALUE`` pairs from the command line: text, typed by the
    notebooks' parameters cells, applied to the shared parameters.
    """
    from evalkit.params import check_parameters, coerce, notebook_parameters, resolve_paths

    p = Path(path)
    read: list[Path] = [p.resolve()]
    raw = load_file(p)
    base = p.parent.resolve()
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise InputError(f"{p}: expected a mapping with kind: batch, parameters and the units' sections")
    if raw.get("kind") != "batch":
        raise InputError(f"{p}: kind is {raw.get('kind')!r}; `evalkit batch` needs a file with 'kind: batch'")
    unknown = sorted(str(k) for k in set(raw) - _TOP_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_TOP_KEYS))})")
    shared = raw.get("parameters") or {}
    if not isinstance(shared, dict):
        problems.append("'parameters' must be a mapping of name: value")
        shared = {}
    present = [name for name in SECTIONS if name in raw]
    if not present:
        problems.append("name at least one kind of unit: a 'networks' or a 'municipalities' section")

    # Command-line overrides and notebooks, per section.
    notebooks: dict[str, tuple[Path, dict[str, NotebookParameter]]] = {}
    for name in present:
        section = raw[name]
        if not isinstance(section, dict):
            problems.append(f"{name}: expected a mapping with notebook and units")
            continue
        bad = sorted(str(k) for k in set(section) - _SECTION_KEYS)
        if bad:
            problems.append(f"{name}: unknown key(s) {', '.join(bad)} (allowed: {', '.join(sorted(_SECTION_KEYS))})")
        notebook = section.get("notebook")
        if not isinstance(notebook, str):
            problems.append(f"{name}: 'notebook' must name a notebook file")
            continue
        nb_path = (base / notebook).resolve()
        read.append(nb_path)
        try:
            notebooks[name] = (nb_path, notebook_parameters(nb_path))
        except InputError as exc:
            problems.append(f"{name}: {exc}")

    typed_overrides: dict[str, dict[str, Any]] = {name: {} for name in notebooks}
    for key, value in overrides:
        if key in BATCH_OWNED or key in ID_PARAMETERS.values():
            problems.append(f"-p {key}: set by the batch for each unit; choose units in the batch file")
            continue
        takers = [name for name, (_, declared) in notebooks.items() if key in declared]
        if not takers and notebooks:
            problems.append(f"-p {key}: no notebook of this batch takes a parameter {key!r}")
        for name in takers:
            try:
                typed_overrides[name][key] = coerce(value, notebooks[name][1][key])
            except InputError as exc:
                problems.append(f"-p {key}: {exc}")

    # Each notebook's parameters: the batch file's, then -p, then the notebook's defaults.
    effective: dict[str, dict[str, Any]] = {}
    clean_types: dict[str, bool] = {}
    given_data_dirs: set[str] = set()
    for name, (nb_path, declared) in notebooks.items():
        level = SECTIONS[name]
        own = raw[name].get("parameters") or {}
        if not isinstance(own, dict):
            problems.append(f"{name}.parameters: must be a mapping of name: value")
            own = {}
        given = {**shared, **own}
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
        type_problems = check_parameters(nb_path, given, source=name)
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

    data_dirs = given_data_dirs
    data_dir: Path | None = None
    ref: _Reference | None = None
    if not data_dirs and notebooks:
        problems.append("parameters: data_dir is missing (a batch must name its canonical data folder)")
    elif len(data_dirs) > 1:
        problems.append(f"data_dir differs between the notebooks ({', '.join(sorted(data_dirs))}); set it once under 'parameters'")
    elif data_dirs:
        candidate = Path(next(iter(data_dirs)))
        missing = [t for t in ("networks", "municipalities", "teams", "waves") if not (candidate / f"{t}.parquet").is_file()]
        if not candidate.is_dir():
            problems.append(f"data_dir: folder {candidate} does not exist")
        elif missing:
            problems.append(f"data_dir: {candidate} is not a canonical data folder (no {', '.join(missing)})")
        else:
            data_dir = candidate
            ref = _read_reference(candidate)
            read.extend(candidate / f"{t}.parquet" for t in REFERENCE_READ)

    sections: list[Section] = []
    for name, params in effective.items():
        level = SECTIONS[name]
        if ref is not None:
            if params.get("wave") is None and "wave" in params:
                params["wave"] = ref.waves[-1]
            for wname in ("wave", "compare_wave"):
                wave_value = params.get(wname)
                if wave_value is not None and str(wave_value) not in ref.waves:
                    problems.append(f"{name}: {wname} {wave_value!r} is not a wave in the data (waves: {', '.join(ref.waves)})")
            if clean_types[name]:
                problems.extend(_check_values(name, level, params))
            spec = raw[name].get("units", "all")
            if isinstance(spec, dict) and isinstance(spec.get("file"), str):
                read.append((base / spec["file"]).resolve())
            units = _select_units(level, spec, ref, base, f"{name}.units", problems)
        else:
            units = ()
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
    if problems:
        raise InputError(_listing(p, problems))
    assert data_dir is not None
    instrument = settings.get("instrument")
    if isinstance(instrument, str):
        read.append(Path(instrument))
    sections.sort(key=lambda s: list(SECTIONS.values()).index(s.level))
    return BatchPlan(
        path=p.resolve(),
        description=str(raw.get("description") or ""),
        data_dir=data_dir,
        sections=tuple(sections),
        settings=settings,
        instrument=Path(instrument) if isinstance(instrument, str) else None,
        raw_parameters=dict(shared),
        inputs=tuple(dict.fromkeys(read)),
    )


def _check_values(name: str, level: UnitLevel, params: Mapping[str, Any]) -> list[str]:
    """The report's own parameter model (ranges, languages, thresholds), for evalkit's notebooks."""
    from evalkit.params import ParameterError, ReportParameters, shared_parameters

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


def _plan_to_json(plan: BatchPlan) -> dict[str, Any]:
    return {
        "path": str(plan.path), "description": plan.description, "data_dir": str(plan.data_dir),
        "sections": [{"level": s.level, "notebook": str(s.notebook), "parameters": s.parameters,
                      "units": [[u.level, u.unit_id, u.name, list(u.networks)] for u in s.units]}
                     for s in plan.sections],
        "settings": plan.settings, "instrument": str(plan.instrument) if plan.instrument else None,
        "raw_parameters": plan.raw_parameters, "inputs": [str(i) for i in plan.inputs],
    }


def _plan_from_json(raw: dict[str, Any]) -> BatchPlan:
    return BatchPlan(
        path=Path(raw["path"]), description=raw["description"], data_dir=Path(raw["data_dir"]),
        sections=tuple(
            Section(s["level"], Path(s["notebook"]), dict(s["parameters"]),
                    tuple(Unit(u[0], u[1], u[2], tuple(u[3])) for u in s["units"]))
            for s in raw["sections"]
        ),
        settings=dict(raw["settings"]), instrument=Path(raw["instrument"]) if raw["instrument"] else None,
        raw_parameters=dict(raw["raw_parameters"]), inputs=tuple(Path(i) for i in raw["inputs"]),
    )


def _fingerprint(path: Path, overrides: Sequence[tuple[str, str]], files: Iterable[Path]) -> str:
    from evalkit import __version__

    digest = hashlib.sha256()
    digest.update(json.dumps([__version__, str(path.resolve()), str(Path.cwd()), [list(o) for o in overrides]]).encode())
    for file in files:
        digest.update(str(file).encode())
        try:
            digest.update(hashlib.sha256(file.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def load_batch_file_cached(
    path: str | os.PathLike[str],
    overrides: Sequence[tuple[str, str]] = (),
    *,
    cache: Path,
) -> BatchPlan:
    """:func:`load_batch_file`, remembered in ``cache`` (a JSON file in the work folder).

    The check is done again whenever any file it read (the batch file, the notebooks,
    the reference tables, a units file, the instrument), the ``-p`` overrides, the
    working folder or evalkit's version changed; otherwise its result is reused, so a
    batch with nothing to do does not even start papermill.
    """
    p = Path(path)
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        files = [Path(f) for f in saved["plan"]["inputs"]]
        if saved["fingerprint"] == _fingerprint(p, overrides, files):
            return _plan_from_json(saved["plan"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass
    plan = load_batch_file(p, overrides)
    record = {"fingerprint": _fingerprint(p, overrides, plan.inputs), "plan": _plan_to_json(plan)}
    with contextlib.suppress(OSError):
        write_atomic(cache, json.dumps(record, sort_keys=True, default=str))
    return plan


def _listing(path: Path, problems: list[str]) -> str:
    head = f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the batch file, nothing was run"
    return head + "".join(f"\n  - {problem}" for problem in problems)


__all__ = ["ID_PARAMETERS", "BatchPlan", "Section", "Unit", "UnitLevel", "load_batch_file", "load_batch_file_cached"]
