"""Measures and progress scores: cells (:mod:`._sheets`) → canonical rows and rejections.

Every filled cell is resolved: its team (register ids, codes and names, and the teams of
this import's surveys), its measure and part or its assessor (:mod:`._labels`), its month
(:mod:`._months`) and its number. The cells of one *point* — one team's measure (or
score by one assessor) in one month, as one long row or one wide block's month column
gives it — become one canonical row. A point with any bad cell is rejected as a whole;
every rejection names the file (and sheet), the row, the column and the value. A problem
written once for many points (an unknown team in a sheet name, a month header that is
not a month) is reported once, with the number of values it kept out.

Empty cells are missing values, never zero: a month without numbers has no row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final, Literal

import polars as pl

from evalkit.errors import InputError
from evalkit.schema import ASSESSORS

from ._fields import MISSING_VALUE, NOT_A_NUMBER, OUT_OF_RANGE, REJECTION_SCHEMA, Context, to_number
from ._labels import ASSESSOR_WORDS, FALSE_WORDS, PART_WORDS, TRUE_WORDS, Found, Lookup
from ._measures_spec import PART_NAMES, MeasuresSection, ProgressSection
from ._months import months
from ._read import FILE, ROW

UNKNOWN_TEAM: Final = "unknown team"
UNKNOWN_MEASURE: Final = "unknown measure"
UNKNOWN_PART: Final = "unknown row kind"
UNKNOWN_ASSESSOR: Final = "unknown assessor"
NOT_A_MONTH: Final = "not a month"
FUTURE_MONTH: Final = "month in the future"
NEGATIVE: Final = "negative value"
NOT_WHOLE: Final = "not a whole number"
ABOVE: Final = "numerator above denominator"
OFF_GRID: Final = "score off the 0.5 grid"
DUPLICATE_MONTH: Final = "duplicate month"
DUPLICATE_ROW: Final = "duplicate row"

NUMBERS: Final = ("numerator", "denominator", "value", "score")
ALL_MEASURES: Final = "*"
"""The measure of a wide block's own note or change row ("Merknad", "Endring"): every
measure of the block."""

Where = Literal["cell", "team", "label", "part", "month"]
_AT: Final[dict[Where, tuple[str, str, str, str]]] = {
    "cell": (FILE, ROW, "column", "raw"),
    "team": ("team_file", "team_row", "team_col", "team_shown"),
    "label": (FILE, "label_row", "label_col", "label"),
    "part": (FILE, ROW, "part_col", "part_raw"),
    "month": (FILE, "month_row", "month_col", "month_raw"),
}


@dataclass
class Problems:
    """Rejections (file, row, column, value, reason, unit) and the points they keep out."""

    records: list[pl.DataFrame] = field(default_factory=list)
    points: list[pl.DataFrame] = field(default_factory=list)

    def add(self, cells: pl.DataFrame, mask: pl.Expr, at: Where, reason: str | pl.Expr) -> None:
        bad = cells.filter(mask)
        if bad.height == 0:
            return
        file, row, column, value = _AT[at]
        reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
        located = bad.select(
            pl.col(file).alias(FILE), pl.col(row).cast(pl.Int64).alias(ROW), pl.col(column).alias("column"),
            pl.col(value).cast(pl.String).str.slice(0, 80).alias("value"), reason_expr.alias("reason"),
            pl.col("unit"), pl.col("src"),
        )
        self.points.append(located.select("src", pl.col("reason").str.split(":").list.first().alias("category")))
        keys = [FILE, ROW, "column", "value", "reason"]
        once = located.group_by(keys, maintain_order=True).agg(pl.col("unit").first(), pl.col("src").n_unique().alias("n"))
        once = once.with_columns(
            pl.when(pl.col("n") > 1)
            .then(pl.format("{} ({} values not imported)", pl.col("reason"), pl.col("n")))
            .otherwise(pl.col("reason")).alias("reason")
        )
        self.records.append(once.select(*keys, "unit"))

    def frame(self) -> pl.DataFrame:
        if not self.records:
            return pl.DataFrame(schema=REJECTION_SCHEMA)
        return pl.concat([r.cast(REJECTION_SCHEMA) for r in self.records])

    def rejected(self) -> pl.DataFrame:
        if not self.points:
            return pl.DataFrame(schema={"src": pl.String, "category": pl.String})
        return pl.concat(self.points)


@dataclass(frozen=True)
class Teams:
    """The teams a measure or score may name: the register's and the surveys'."""

    lookup: Lookup
    municipality: dict[str, str]


# --------------------------------------------------------------------------- lookups


def team_lookup(ctx: Context, seen: pl.DataFrame, explicit: dict[str, str], where: str) -> Teams:
    """Team ids, codes and names from the register, and the survey teams' ids and names."""
    pairs: list[tuple[str, str]] = []
    municipality: dict[str, str] = {}
    for entry in ctx.register.values():
        pairs += [(entry.id, entry.id), *((c, entry.id) for c in entry.codes)]
        if entry.name:
            pairs.append((entry.name, entry.id))
        if entry.municipality:
            municipality[entry.id] = entry.municipality
    for team_id, name, muni in seen.select("team_id", "name", "municipality_id").iter_rows():
        pairs.append((team_id, team_id))
        if name:
            pairs.append((name, team_id))
        if muni:
            municipality.setdefault(team_id, muni)
    known = {t for _, t in pairs}
    for label, team in explicit.items():
        if team not in known:
            raise InputError(f"mapping: {where}.team.values: {label!r} names team {team!r}, which is neither in "
                             "the 'teams' register nor in the surveys; expected a team id of the register")
    return Teams(Lookup.build(pairs, {k: (v,) for k, v in explicit.items()}), municipality)


def measure_lookup(ctx: Context, section: MeasuresSection) -> Lookup:
    catalogue = ctx.reference.measure_catalogue
    ids = set(catalogue.get_column("measure_id").to_list())
    pairs = [(str(label), str(mid)) for col in ("measure_id", "label_nb", "label_nn", "label_en")
             for mid, label in catalogue.select(pl.col("measure_id").alias("_id"), col).iter_rows() if label]
    explicit = section.measure.values if section.measure is not None else {}
    for label, targets in explicit.items():
        for target in targets:
            mid, _, part = target.partition(".")
            if mid not in ids or (part and part not in PART_NAMES):
                raise InputError(
                    f"mapping: measures.measure.values: {label!r} names {target!r}; expected a measure id of "
                    f"the measure catalogue ({', '.join(sorted(ids))}), optionally with a part "
                    f"(.{', .'.join(PART_NAMES)})"
                )
    return Lookup.build(pairs, explicit)


def _unknown(found_candidates: tuple[str, ...], raw: str, what: str, lookup: Lookup) -> str:
    if found_candidates:
        return f"{what!s}: {raw!r} could be {' or '.join(map(repr, found_candidates))}; expected one (name it in the mapping's values)"
    return f"{what!s}: {raw!r} is not known; expected one such as {lookup.examples()}"


# --------------------------------------------------------------------------- resolution


def resolve_teams(cells: pl.DataFrame, teams: Teams) -> pl.DataFrame:
    """``team_id`` (or ``_team_problem``), the rejections' ``unit``, and ``src`` begun."""
    distinct = cells.select("team_raw", "team_in").unique()
    rows: list[tuple[str | None, str, str | None, str | None]] = []
    for raw, how in distinct.iter_rows():
        if raw is None:
            rows.append((raw, how, None, f"{MISSING_VALUE}: expected a team (its id, name or code)"))
            continue
        # A title may be several rows (nearest first): the first that names a team decides.
        lines = [raw] if how == "exact" else raw.split("\n")
        found = next((f for f in map(teams.lookup.find if how == "exact" else teams.lookup.find_in, lines)
                      if f.ids or f.candidates), Found())
        if found.one is None:
            rows.append((raw, how, None, _unknown(found.candidates, lines[0], UNKNOWN_TEAM, teams.lookup)))
        else:
            rows.append((raw, how, found.one, None))
    resolved = pl.DataFrame(rows, schema={"team_raw": pl.String, "team_in": pl.String, "team_id": pl.String,
                                          "_team_problem": pl.String}, orient="row")
    cells = cells.join(resolved, on=["team_raw", "team_in"], how="left", nulls_equal=True, maintain_order="left")
    cells = cells.with_columns(
        pl.col("team_id").replace_strict(teams.municipality, default=None, return_dtype=pl.String).alias("unit"),
        (pl.col("group") + "|" + pl.col("team_raw").fill_null("")).alias("src"),
        pl.col("team_raw").str.split("\n").list.first().alias("team_shown"),
    )
    return cells


def _measure_targets(label: str | None, part_raw: str | None, known_field: str | None, measures: Lookup,
                     parts: Lookup) -> tuple[list[tuple[str, str]], str | None, Where]:
    """(measure, part) pairs a row label names, or a problem and where it lies."""
    if label is None:
        return [], f"{MISSING_VALUE}: expected the measure's name or id", "label"
    found = measures.find(label)
    if known_field is not None:  # long layout: the column says what the cell is
        ids = {t.partition(".")[0] for t in found.ids}
        if len(ids) != 1:
            return [], _unknown(found.candidates, label, UNKNOWN_MEASURE, measures), "label"
        return [(ids.pop(), known_field)], None, "label"
    part = None
    if part_raw is not None:
        part = parts.find(part_raw).one
        if part is None:
            return [], (f"{UNKNOWN_PART}: {part_raw!r} is not a row kind; expected teller, nevner, verdi, "
                        "merknad or endring (numerator, denominator, value, note, change)"), "part"
    if found.ids:
        return [(mid, p or part or "value") for mid, _, p in (t.partition(".") for t in found.ids)], None, "label"
    if found.candidates:
        return [], _unknown(found.candidates, label, UNKNOWN_MEASURE, measures), "label"
    alone = parts.find(label).one
    if alone in ("note", "change") and part in (None, alone):
        return [(ALL_MEASURES, alone)], None, "label"
    split = measures.split(label, parts)
    if split is not None:
        return [(t.partition(".")[0], part or split[1]) for t in split[0].ids], None, "label"
    return [], _unknown((), label, UNKNOWN_MEASURE, measures), "label"


def resolve_measures(cells: pl.DataFrame, section: MeasuresSection, ctx: Context) -> pl.DataFrame:
    """``key`` (the measure id) and ``field`` of each cell (or ``_label_problem`` /
    ``_part_problem``); ``src`` completed: one src per point."""
    measures = measure_lookup(ctx, section)
    parts = Lookup.build(PART_WORDS.items(), {k: (v,) for k, v in section.parts.items()})
    rows = []
    for label, part_raw, known in cells.select("label", "part_raw", "field").unique().iter_rows():
        targets, problem, where = _measure_targets(label, part_raw, known, measures, parts)
        unresolved: list[tuple[str | None, str | None]] = [(None, None)]
        for mid, fld in targets or unresolved:
            rows.append((label, part_raw, known, mid, fld, problem if where == "label" else None,
                         problem if where == "part" else None))
    resolved = pl.DataFrame(rows, orient="row", schema={
        "label": pl.String, "part_raw": pl.String, "field": pl.String, "key": pl.String, "_field": pl.String,
        "_label_problem": pl.String, "_part_problem": pl.String})
    cells = cells.join(resolved, on=["label", "part_raw", "field"], how="left", nulls_equal=True,
                       maintain_order="left").with_columns(pl.col("_field").alias("field")).drop("_field")
    # A block's own note or change row belongs to every measure of its block and team.
    block = pl.col("group").str.replace(r"#[^#]*$", "")
    cells = cells.with_columns(block.alias("_block"))
    in_block = cells.filter(pl.col("key").is_not_null() & (pl.col("key") != ALL_MEASURES)).select(
        "_block", "team_raw", pl.col("key").alias("_each")).unique()
    shared = cells.filter(pl.col("key") == ALL_MEASURES).join(in_block, on=["_block", "team_raw"], how="left",
                                                              nulls_equal=True)
    shared = shared.with_columns(
        pl.col("_each").alias("key"),
        pl.when(pl.col("_each").is_null())
        .then(pl.lit(f"{UNKNOWN_MEASURE}: a note or change row, but no measure in its table"))
        .alias("_label_problem"),
    ).drop("_each")
    cells = pl.concat([cells.filter(pl.col("key").is_null() | (pl.col("key") != ALL_MEASURES)), shared])
    cells = cells.with_columns((pl.col("src") + "|" + pl.coalesce("key", "label", pl.lit(""))).alias("src"))
    return cells.drop("_block")


def resolve_assessors(cells: pl.DataFrame, section: ProgressSection) -> pl.DataFrame:
    """``key`` (the assessor) of each cell (or ``_label_problem``); ``src`` completed."""
    explicit = section.assessor.single_values("progress.assessor") if section.assessor is not None else {}
    bad = sorted(set(explicit.values()) - set(ASSESSORS))
    if bad:
        raise InputError(f"mapping: progress.assessor.values names {bad[0]!r}; expected faculty or self")
    lookup = Lookup.build(ASSESSOR_WORDS.items(), {k: (v,) for k, v in explicit.items()})
    rows = []
    for label in cells.filter(pl.col("assessor").is_null()).get_column("label").unique().to_list():
        found = lookup.find(label).one
        problem = None
        if label is None:
            problem = f"{MISSING_VALUE}: expected who gave the score (fakultet/faculty or selv/self)"
        elif found is None:
            problem = (f"{UNKNOWN_ASSESSOR}: {label!r} is not an assessor; expected fakultet (faculty) or "
                       "egenvurdering/selv (self), or name it in the mapping's assessor values")
        rows.append((label, found, problem))
    resolved = pl.DataFrame(rows, orient="row", schema={"label": pl.String, "_assessor": pl.String,
                                                        "_label_problem": pl.String})
    cells = cells.join(resolved, on="label", how="left", nulls_equal=True, maintain_order="left").with_columns(
        pl.coalesce("assessor", "_assessor").alias("key"),
    ).drop("_assessor")
    cells = cells.with_columns(
        (pl.col("src") + "|" + pl.coalesce("key", "label", pl.lit(""))).alias("src"),
        pl.when(pl.col("assessor").is_null()).then(pl.col("_label_problem")).alias("_label_problem"),
        pl.lit(None, pl.String).alias("_part_problem"),
    )
    return cells


def names_problems(cells: pl.DataFrame, problems: Problems) -> None:
    """Unknown teams, measures, row kinds and assessors, once ``src`` is complete."""
    problems.add(cells, pl.col("_team_problem").is_not_null(), "team", pl.col("_team_problem"))
    problems.add(cells, pl.col("_label_problem").is_not_null(), "label", pl.col("_label_problem"))
    problems.add(cells, pl.col("_part_problem").is_not_null(), "part", pl.col("_part_problem"))


def resolve_months(cells: pl.DataFrame, problems: Problems, today: dt.date) -> pl.DataFrame:
    cells = cells.with_columns(months(cells.get_column("month_raw")).alias("period"))
    problems.add(cells, pl.col("month_raw").is_null(), "month",
                 f"{NOT_A_MONTH}: no month given; expected a month such as 'jan. 2025', '01.2025' or '2025-01'")
    expected = (f"{NOT_A_MONTH}: expected a month such as 'jan. 2025', 'januar 2025', 'jul.24', '01.2025', "
                "'2025-01' or a date")
    in_header = pl.col("month_row") != pl.col(ROW)  # a wide table's column header
    problems.add(cells, pl.col("month_raw").is_not_null() & pl.col("period").is_null(), "month",
                 pl.when(in_header)
                 .then(pl.lit(f"{expected}; a column that holds something else belongs under the section's 'ignore'"))
                 .otherwise(pl.lit(expected)))
    problems.add(cells, pl.col("period") > today, "month",
                 f"{FUTURE_MONTH}: the month has not begun (today is {today.isoformat()})")
    return cells


# --------------------------------------------------------------------------- numbers


def numbers(cells: pl.DataFrame, ctx: Context, problems: Problems) -> pl.DataFrame:
    """Each number cell's ``number``; a cell that is not a number, or not one its field
    allows, is rejected. "61 %" is 0.61, as the value of a measure in per cent only."""
    units = dict(ctx.reference.measure_catalogue.select("measure_id", "unit").iter_rows())
    cells = cells.with_columns(
        pl.col("key").replace_strict(units, default=None, return_dtype=pl.String).alias("_unit_kind"))
    raw = pl.col("raw")
    is_percent = ((pl.col("field") == "value") & (pl.col("_unit_kind") == "percent")
                  & raw.str.contains(r"^[^%]*\d[^%]*%$"))
    number = pl.when(is_percent).then(to_number(raw.str.replace(r"\s*%$", "")) / 100).otherwise(to_number(raw))
    number = pl.when(number.is_finite()).then(number)  # "NaN", "inf" and 1e400 are not numbers
    cells = cells.with_columns(pl.when(pl.col("field").is_in(NUMBERS)).then(number).alias("number"))
    numeric = pl.col("field").is_in(NUMBERS)
    count = pl.col("field").is_in(("numerator", "denominator"))
    n = pl.col("number")
    problems.add(cells, numeric & n.is_null(), "cell",
                 pl.format("{}: expected {}", pl.lit(NOT_A_NUMBER),
                           pl.when(pl.col("field") == "score").then(pl.lit("a score from 0,5 to 5"))
                           .when(count).then(pl.lit("a whole number of 0 or more"))
                           .otherwise(pl.lit("a number of 0 or more (decimal comma or point)"))))
    problems.add(cells, numeric & (pl.col("field") != "score") & (n < 0), "cell",
                 f"{NEGATIVE}: expected 0 or more")
    problems.add(cells, count & (n >= 0) & ((n - n.round(0)).abs() > 1e-9), "cell",
                 f"{NOT_WHOLE}: a numerator or denominator counts people; expected a whole number")
    problems.add(cells, (pl.col("field") == "value") & (pl.col("_unit_kind") == "percent") & (n > 1), "cell",
                 f"{OUT_OF_RANGE}: the measure is a share; expected a value from 0 to 1 or a per cent "
                 "such as '61 %'")
    score = pl.col("field") == "score"
    problems.add(cells, score & ((n < 0.5) | (n > 5)), "cell", f"{OUT_OF_RANGE}: expected a score from 0,5 to 5")
    problems.add(cells, score & (n >= 0.5) & (n <= 5) & ((n * 2 - (n * 2).round(0)).abs() > 1e-9), "cell",
                 f"{OFF_GRID}: expected a score in steps of 0,5 (0,5, 1, 1,5, … 5)")
    return cells.drop("_unit_kind")


def duplicates_in_point(cells: pl.DataFrame, problems: Problems) -> None:
    """A point's number given twice (the same measure row twice in one table)."""
    numeric = pl.col("field").is_in(NUMBERS)
    ranked = cells.with_columns(
        pl.col(ROW).first().over("src", "field").alias("_first"),
        pl.int_range(pl.len()).over("src", "field").alias("_k"),
    )
    problems.add(ranked, numeric & (pl.col("_k") > 0), "cell",
                 pl.format("{}: the {} of this measure and month is also in row {} (expected it once)",
                           pl.lit(DUPLICATE_ROW), pl.col("field"), pl.col("_first")))


def points_of(cells: pl.DataFrame, kind: str, ctx: Context, problems: Problems, key_name: str) -> pl.DataFrame:
    """Cells → one row per point: its numbers, texts and where each number was written."""
    def first(fld: str, col: str) -> pl.Expr:
        return pl.col(col).filter(pl.col("field") == fld).first().alias(f"{fld}_{col}" if col != "number" else fld)

    numbers = [f for f in NUMBERS if (f == "score") == (kind == "progress")]
    aggs = [pl.col("team_id").first(), pl.col("key").first().alias(key_name), pl.col("period").first(),
            pl.col("_i").min().alias("_order"), pl.col("unit").first(), pl.col("month_col").first(),
            pl.col("month_raw").first(),
            *(pl.col(c).first().alias(f"cell_{c}") for c in (FILE, ROW, "column", "raw"))]
    for fld in numbers:
        aggs += [first(fld, "number"), first(fld, FILE), first(fld, ROW), first(fld, "column"), first(fld, "raw")]
    if kind == "measures":
        # A change cell marks the month; its words (unless just "x" or "ja") join the note.
        flag = pl.col("raw").str.to_lowercase().str.strip_chars()
        words = ((pl.col("field") == "change") & ~flag.is_in(list(TRUE_WORDS | FALSE_WORDS))) | (pl.col("field") == "note")
        aggs += [
            pl.col("raw").filter(words).str.join(" – ").alias("note"),
            ((pl.col("field") == "change") & ~flag.is_in(list(FALSE_WORDS))).any().alias("change_introduced"),
        ]
    points = cells.group_by("src").agg(aggs).sort("_order")
    if kind == "measures":
        points = points.with_columns(pl.when(pl.col("note") != "").then(pl.col("note")).alias("note"))
        charts = dict(ctx.reference.measure_catalogue.select("measure_id", "chart").iter_rows())
        points = points.with_columns(
            pl.col(key_name).replace_strict(charts, default=None, return_dtype=pl.String).alias("_chart"))
        _point_checks(points, problems)
    return points


def _at(fld: str) -> dict[str, pl.Expr]:
    return {FILE: pl.col(f"{fld}_{FILE}"), ROW: pl.col(f"{fld}_{ROW}"), "column": pl.col(f"{fld}_column"),
            "raw": pl.col(f"{fld}_raw")}


def _point_checks(points: pl.DataFrame, problems: Problems) -> None:
    num, den, val = pl.col("numerator"), pl.col("denominator"), pl.col("value")
    for fld, mask in (("numerator", num.is_not_null() & den.is_null()),
                      ("denominator", den.is_not_null() & num.is_null())):
        problems.add(points.with_columns(**_at(fld)), mask, "cell",
                     f"{MISSING_VALUE}: a numerator needs its denominator for the same month (and the other "
                     "way round); an empty cell is missing, not zero")
    problems.add(points.with_columns(**_at("numerator")), num > den, "cell",
                 pl.format("{}: {} is more than its denominator {}; expected a numerator no larger than the "
                           "denominator", pl.lit(ABOVE), pl.col("numerator_raw"), pl.col("denominator_raw")))
    problems.add(points.with_columns(**_at("value")), (pl.col("_chart") == "p") & val.is_not_null() & num.is_null(),
                 "cell", pl.format("{}: measure {} is drawn as a p-chart; expected its numerator and denominator, "
                                   "not a value", pl.lit(MISSING_VALUE), pl.col("measure_id")))
