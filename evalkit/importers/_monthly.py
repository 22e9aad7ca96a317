"""The ``measures:`` and ``progress:`` sections of an import: files → canonical tables.

Reads each file's sheets (:mod:`._grid`) in the section's layout (:mod:`._sheets`),
resolves and checks every cell (:mod:`._measures`), and returns the canonical
``measures`` and ``progress`` rows, the counts for the summary, and the teams that only
these sections name (so that the ``teams`` table lists every team a measure belongs to).

A team that no survey row names gets a ``teams`` row (facts from the register) for each
wave collected on or after the team's first reported month, or for the last wave if every
wave was collected before it: a team that reports measures before a wave's collection
took part in that wave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from evalkit.errors import InputError
from evalkit.schema import ASSESSORS, TABLES

from ._fields import Context
from ._grid import read_grids
from ._labels import ASSESSOR_WORDS, Lookup
from ._mapping import Mapping
from ._measures import (
    DUPLICATE_MONTH,
    NUMBERS,
    Problems,
    Teams,
    duplicates_in_point,
    measure_lookup,
    names_problems,
    numbers,
    points_of,
    resolve_assessors,
    resolve_measures,
    resolve_months,
    resolve_teams,
    team_lookup,
)
from ._measures_spec import MeasuresSection, ProgressSection
from ._read import FILE, ROW
from ._sections import SectionStats
from ._sheets import read_cells

__all__ = ["Monthly", "import_monthly"]

_STATIC_SCHEMA = {
    FILE: pl.String, ROW: pl.Int64, "team_id": pl.String, "municipality_id": pl.String, "network_id": pl.String,
    "wave": pl.String, "name": pl.String, "_col_municipality_id": pl.String, "_col_network_id": pl.String,
}


@dataclass(frozen=True)
class Monthly:
    """What the measures and progress sections give an import."""

    measures: pl.DataFrame
    progress: pl.DataFrame
    statics: pl.DataFrame
    """Teams rows (as the survey sections give them) for teams no survey names."""
    stats: list[SectionStats]


def _check_constants(section: MeasuresSection | ProgressSection, kind: str, teams: Teams, ctx: Context) -> None:
    team = section.team.value
    if team is not None and teams.lookup.find(team).one is None:
        raise InputError(f"mapping: {kind}.team: {team!r} is not a team of the register or the surveys; "
                         "expected a team id, name or code")
    if isinstance(section, MeasuresSection):
        measure = section.measure.value if section.measure is not None else None
        if measure is not None and measure_lookup(ctx, section).find(measure).one is None:
            raise InputError(f"mapping: measures.measure: {measure!r} is not in the measure catalogue; "
                             "expected a measure id or label")
    else:
        assessor = section.assessor.value if section.assessor is not None else None
        if assessor is not None and Lookup.build(ASSESSOR_WORDS.items()).find(assessor).one not in ASSESSORS:
            raise InputError(f"mapping: progress.assessor: {assessor!r} is not an assessor; "
                             "expected faculty or self")


def _duplicate_months(points: pl.DataFrame, key: list[str], layout: str, problems: Problems) -> None:
    """The same team, measure (or assessor) and month twice: the first is kept. Reported at
    the month cell of a long row, at the number of a wide table (its column is the month)."""
    present = [f for f in NUMBERS if f"{f}_{FILE}" in points.columns]
    where = {c: pl.coalesce(*(pl.col(f"{f}_{c}") for f in present), pl.col(f"cell_{c}"))
             for c in (FILE, ROW, "column", "raw")}
    if layout == "long":
        where |= {"column": pl.col("month_col"), "raw": pl.col("month_raw")}
    located = points.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key)).with_columns(**where)
    located = located.with_columns(
        pl.col(FILE).first().over(key).alias("_first_file"),
        pl.col(ROW).first().over(key).alias("_first_row"),
        pl.col("column").first().over(key).alias("_first_col"),
    )
    what = pl.col(key[1]) if key[1] != "period" else pl.format("score by {}", pl.col(key[2]))
    problems.add(
        located, ~pl.struct(key).is_first_distinct(), "cell",
        pl.format("{}: team {}, {}, {} is already given in {}, row {}, column '{}' (expected each month "
                  "once; the first is kept)", pl.lit(DUPLICATE_MONTH), pl.col("team_id"), what,
                  pl.col("period").dt.strftime("%Y-%m"), pl.col("_first_file"), pl.col("_first_row"),
                  pl.col("_first_col")),
    )


def _section(paths: Sequence[Path], section: MeasuresSection | ProgressSection, kind: str, ctx: Context,
             teams: Teams, today: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, SectionStats]:
    _check_constants(section, kind, teams, ctx)
    grids = [g for p in paths for g in read_grids(p, section.sheets)]
    found = read_cells(grids, section)
    cells = found.frame().with_row_index("_i")
    if cells.height == 0:
        raise InputError(f"{', '.join(map(str, paths))}: no {kind} found (every value cell is empty); "
                         f"expected a table of {kind} as the mapping's '{kind}' section describes")
    problems = Problems()
    cells = resolve_teams(cells, teams)
    if isinstance(section, MeasuresSection):
        cells = resolve_measures(cells, section, ctx)
        key = ["team_id", "measure_id", "period"]
    else:
        cells = resolve_assessors(cells, section)
        key = ["team_id", "period", "assessor"]
    names_problems(cells, problems)
    cells = resolve_months(cells, problems, today)
    cells = numbers(cells, ctx, problems)
    duplicates_in_point(cells, problems)
    points = points_of(cells, kind, ctx, problems, "measure_id" if kind == "measures" else "assessor")
    _duplicate_months(points, key, section.layout, problems)
    rejected = problems.rejected()
    bad = rejected.select("src").unique()
    accepted = points.join(bad, on="src", how="anti")
    columns = [c.name for c in TABLES[kind].columns]
    table = accepted.select(columns).sort(key)
    read = pl.concat([points.select("src"), bad]).n_unique()
    by_reason = (rejected.unique(["src", "category"]).group_by("category").len()
                 .sort(["len", "category"], descending=[True, False]))
    stats = SectionStats(
        section=kind, files=[g.source for g in grids], rows_read=read, accepted=accepted.height,
        rejected=bad.height,
        by_reason=dict(zip(by_reason.get_column("category").to_list(), by_reason.get_column("len").to_list(),
                           strict=True)),
    )
    stats.notes.extend(found.notes)
    ctx.rejector.parts.append(problems.frame())
    return table, accepted.select("team_id", "period"), stats


def _team_rows(points: pl.DataFrame, seen: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Teams rows for teams that only measures or progress scores name."""
    new = points.join(seen.select("team_id").unique(), on="team_id", how="anti")
    if new.height == 0:
        return pl.DataFrame(schema=_STATIC_SCHEMA)
    firsts = new.group_by("team_id").agg(pl.col("period").min()).sort("team_id")
    waves = ctx.reference.waves.sort("order")
    rows = []
    for team_id, first in firsts.iter_rows():
        entry = ctx.register.get(team_id)
        if entry is None or entry.municipality is None or entry.network is None:
            raise InputError(
                f"mapping: teams: team {team_id!r} has measures or progress scores but no survey rows, and the "
                "register gives no municipality or network for it; expected both in the 'teams' register"
            )
        taking = [w for w, c in waves.select("wave", "collected").iter_rows() if c >= first]
        for wave in taking or waves.get_column("wave").tail(1).to_list():
            rows.append((f"mapping ({team_id})", None, team_id, entry.municipality, entry.network, wave,
                         entry.name, "team", "team"))
    return pl.DataFrame(rows, schema=_STATIC_SCHEMA, orient="row")


def import_monthly(assigned: dict[str, list[Path]], mapping: Mapping, ctx: Context, seen: pl.DataFrame,
                   *, today: dt.date | None = None) -> Monthly:
    """The measures and progress sections of an import.

    ``seen`` holds the survey sections' teams (``team_id``, ``name``, ``municipality_id``):
    measures may name them too.
    """
    today = today or dt.date.today()
    measures, progress = TABLES["measures"].empty(), TABLES["progress"].empty()
    points = [pl.DataFrame(schema={"team_id": pl.String, "period": pl.Date})]
    stats = []
    for kind, section in (("measures", mapping.measures), ("progress", mapping.progress)):
        if section is None or kind not in assigned:
            continue
        explicit = section.team.single_values(f"{kind}.team")
        teams = team_lookup(ctx, seen, explicit, kind)
        table, p, s = _section(assigned[kind], section, kind, ctx, teams, today)
        if kind == "measures":
            measures = table
        else:
            progress = table
        points.append(p)
        stats.append(s)
    statics = _team_rows(pl.concat(points), seen, ctx)
    return Monthly(measures, progress, statics, stats)
