"""From exports read as text to canonical tables and rejections, vectorised with polars.

Each mapped field is resolved with whole-column expressions (``replace_strict`` on a
lookup built from the mapping, the tool's value labels and evalkit's defaults); the
Likert items are unpivoted to long form and joined on a lookup table. Rows with a bad
cell go to ``rejections`` (one record per bad cell); problems that make the whole file
unusable raise :class:`~evalkit.errors.InputError` before anything is written.

This module is the entry point (files to sections, the teams table, the result);
``_fields`` resolves one field, ``_sections`` the member and team surveys. The reference
tables come from :func:`evalkit.canonical.read_reference`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from evalkit import municipalities as register
from evalkit.canonical import (
    REFERENCE_TABLES,
    CanonicalData,
    MissingTableError,
    Reference,
    read_reference,
)
from evalkit.errors import InputError
from evalkit.instrument import Instrument
from evalkit.schema import TABLES, SchemaError

from ._fields import FREE_TEXT_SCHEMA, Context, Rejector, old_numbers, shown
from ._mapping import Mapping, TeamEntry
from ._monthly import import_monthly
from ._read import FILE, ROW, is_companion, read_export
from ._sections import SectionStats, member_survey, team_survey

__all__ = [
    "REFERENCE_TABLES",
    "ImportResult",
    "Reference",
    "SectionStats",
    "assign_files",
    "import_exports",
    "load_reference",
]


def load_reference(folder: Path) -> Reference:
    """Read the reference tables of a canonical folder (other tables are not needed)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: reference folder not found (expected a canonical data folder)")
    try:
        return read_reference(folder, teams=False)
    except MissingTableError as exc:
        raise InputError(f"{exc.path}: missing reference table {exc.table!r} in the reference folder") from None
    except SchemaError as exc:
        raise InputError(str(exc)) from None


@dataclass(frozen=True)
class ImportResult:
    """Canonical tables from an import, with counts and the set-aside free text."""

    data: CanonicalData
    stats: list[SectionStats]
    free_text: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    """Notes on the whole import: the team register's old municipality numbers converted."""


# --------------------------------------------------------------------------- teams


def _check_static(statics: pl.DataFrame, column: str, what: str) -> None:
    """A team has one host municipality and one network: fatal if the input disagrees."""
    bad = (
        statics.drop_nulls(["team_id", column])
        .group_by("team_id", maintain_order=True)
        .agg(pl.col(column).n_unique().alias("k"))
        .filter(pl.col("k") > 1)
    )
    if bad.height == 0:
        return
    team = bad.item(0, "team_id")
    rows = (
        statics.filter(pl.col("team_id") == team).drop_nulls(column)
        .unique(column, keep="first", maintain_order=True).head(2)
    )
    (f1, r1, v1, _), (f2, r2, v2, c2) = rows.select(FILE, ROW, column, f"_col_{column}").rows()
    raise InputError(
        f"{f2}, row {r2 if r2 is not None else 1}, column {(c2 or column)!r}: team {team!r} has {what} {v2!r} here but "
        f"{v1!r} in {f1}{'' if r1 is None else f', row {r1}'}; expected one {what} per team "
        "(fix the data or the mapping's 'teams' register)"
    )


def _teams(statics: pl.DataFrame, team_rows: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    register = pl.DataFrame(
        [(f"mapping ({e.id})", None, e.id, e.municipality, e.network, None, e.name, None, None)
         for e in ctx.register.values()],
        schema={FILE: pl.String, ROW: pl.Int64, "team_id": pl.String, "municipality_id": pl.String,
                "network_id": pl.String, "wave": pl.String, "name": pl.String,
                "_col_municipality_id": pl.String, "_col_network_id": pl.String},
        orient="row",
    )
    if not statics.columns:  # no survey, and no measure or score accepted
        statics = register.clear()
    everything = pl.concat([register, statics.cast(register.schema)], how="vertical")
    _check_static(everything, "municipality_id", "host municipality")
    _check_static(everything, "network_id", "network")
    static = everything.group_by("team_id", maintain_order=True).agg(
        pl.col("municipality_id").drop_nulls().first(),
        pl.col("network_id").drop_nulls().first(),
        pl.col("name").drop_nulls().first(),
    ).with_columns(pl.col("name").fill_null(pl.col("team_id")))
    partners = pl.DataFrame(
        {"team_id": [e.id for e in ctx.register.values()],
         "partner_municipality_ids": [list(e.partners) if e.partners is not None else None for e in ctx.register.values()]},
        schema={"team_id": pl.String, "partner_municipality_ids": pl.List(pl.String)},
    )
    keys = pl.concat([statics.select("team_id", "wave"), team_rows.select("team_id", "wave")]).unique(maintain_order=True)
    teams = (
        keys.join(static, on="team_id", how="left")
        .join(partners, on="team_id", how="left")
        .join(team_rows, on=["team_id", "wave"], how="left")
    )
    cols = [c.name for c in TABLES["teams"].columns]
    for c in cols:
        if c not in teams.columns:
            teams = teams.with_columns(pl.lit(None).cast(TABLES["teams"].column(c).dtype).alias(c))
    return teams.select(cols).sort("team_id", "wave")


# --------------------------------------------------------------------------- entry point


def _register_number(entry: TeamEntry, column: str, number: str, known: set[str],
                     old: register.OldNumbers, notes: list[str]) -> str:
    """A municipality number of the team register, read as an export's number is: a number
    the reference lists is kept, an old one becomes today's (with a note), a split one or
    one the reference lacks stops the import (naming the candidates, or what it is today)."""
    number = number.zfill(4) if number.isdigit() else number
    where = (f"{entry.source}, column {column!r}" if entry.source  # a shared register file's row
             else f"mapping: teams ({entry.id}), {column}")
    if number in old.convert:
        today = old.convert[number]
        notes.append(f"{where}: {register.resolve(number).note}: read as {today}")
        return today
    if number not in known:
        why = old.split.get(number) or old.hints.get(number)
        raise InputError(f"{where}: team {entry.id!r} has municipality {number!r}, which is not in the "
                         "reference municipalities" + (f"; {why}" if why else ""))
    return number


def _register_entries(mapping: Mapping, reference: Reference) -> tuple[dict[str, TeamEntry], list[str]]:
    """The mapping's team register against the reference tables: municipality numbers
    through the municipality register (:func:`_register_number`), networks checked.
    Returns the entries by id and the notes on converted numbers."""
    known_m = set(reference.municipalities.get_column("municipality_id").to_list())
    known_n = set(reference.networks.get_column("network_id").to_list())
    old = old_numbers(reference.municipalities)
    out: dict[str, TeamEntry] = {}
    notes: list[str] = []
    for e in mapping.teams:
        updates: dict[str, object] = {}
        if e.municipality is not None:
            updates["municipality"] = _register_number(e, "municipality", e.municipality, known_m, old, notes)
        if e.partners is not None:
            updates["partners"] = tuple(_register_number(e, "partners", p, known_m, old, notes) for p in e.partners)
        if e.network is not None and e.network not in known_n:
            where = e.source or "mapping: teams"
            raise InputError(f"{where}: team {e.id!r} has network {e.network!r}, which is not in "
                             f"the reference networks; expected one of {shown(sorted(known_n))}")
        out[e.id] = e.model_copy(update=updates)
    return out, notes


def assign_files(paths: Sequence[Path], mapping: Mapping) -> dict[str, list[Path]]:
    """Which section each input file belongs to (SurveyXact companions are skipped)."""
    sections = {name: s for name, s in (("member", mapping.member), ("team", mapping.team),
                                        ("measures", mapping.measures), ("progress", mapping.progress))
                if s is not None}
    out: dict[str, list[Path]] = {name: [] for name in sections}
    for path in paths:
        if is_companion(path):
            continue
        matches = [n for n, s in sections.items() if any(fnmatch.fnmatch(path.name.lower(), g.lower()) for g in s.files)]
        if not matches:
            open_sections = [n for n, s in sections.items() if not s.files]
            if len(open_sections) == 1:
                matches = open_sections
        if len(matches) != 1:
            raise InputError(
                f"{path}: cannot tell which survey this file is "
                f"({'it matches ' + ' and '.join(matches) if matches else 'no section matches its name'}); "
                "expected 'files:' patterns in the mapping's sections"
            )
        out[matches[0]].append(path)
    return {k: v for k, v in out.items() if v}


def import_exports(
    paths: Sequence[Path], mapping: Mapping, reference: Reference, instrument: Instrument, secret: bytes
) -> ImportResult:
    """Read, map and validate survey exports into canonical tables.

    Raises :class:`~evalkit.errors.InputError` for anything that makes the input as a
    whole unusable; bad cells make their rows rejections instead.
    """
    if not paths:
        raise InputError("no input files given")
    entries, notes = _register_entries(mapping, reference)
    ctx = Context(mapping, reference, instrument, Rejector(), entries)
    assigned = assign_files(paths, mapping)
    if not assigned:
        raise InputError("no survey files among the inputs (only SurveyXact structure/labels files?)")
    stats: list[SectionStats] = []
    free: list[pl.DataFrame] = []
    statics: list[pl.DataFrame] = []
    respondents = TABLES["respondents"].empty()
    answers = TABLES["answers"].empty()
    team_rows = pl.DataFrame(schema={"team_id": pl.String, "wave": pl.String})
    if "member" in assigned and mapping.member is not None:
        exports = [read_export(p, sheet=mapping.member.sheet, id_column=mapping.member.respondent_id)
                   for p in assigned["member"]]
        respondents, answers, s, st, ft = member_survey(exports, mapping.member, ctx, secret)
        statics.append(s)
        stats.append(st)
        free.append(ft)
    if "team" in assigned and mapping.team is not None:
        id_col = mapping.team.team.column
        exports = [read_export(p, sheet=mapping.team.sheet, id_column=id_col) for p in assigned["team"]]
        team_rows, s, st, ft = team_survey(exports, mapping.team, ctx)
        statics.append(s)
        stats.append(st)
        free.append(ft)
    seen = pl.concat([s.select("team_id", "name", "municipality_id") for s in statics]) if statics else \
        pl.DataFrame(schema={"team_id": pl.String, "name": pl.String, "municipality_id": pl.String})
    monthly = import_monthly(assigned, mapping, ctx, seen)
    stats.extend(monthly.stats)
    if monthly.statics.height:
        statics.append(monthly.statics)
    static_frame = pl.concat([s.cast({"wave": pl.String}) for s in statics]) if statics else pl.DataFrame()
    teams = _teams(static_frame, team_rows, ctx)
    rejections = ctx.rejector.frame().rename({FILE: "file", ROW: "row"}).sort("file", "row", "column")
    frames = {
        **reference.frames(),
        "respondents": respondents,
        "answers": answers,
        "teams": teams,
        "measures": monthly.measures,
        "progress": monthly.progress,
        "rejections": rejections.select([c.name for c in TABLES["rejections"].columns]),
    }
    data = CanonicalData.from_frames(frames)
    free_text = pl.concat(free) if free else pl.DataFrame(schema=FREE_TEXT_SCHEMA)
    return ImportResult(data, stats, free_text, notes)
