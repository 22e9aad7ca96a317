"""The canonical tables: names, columns, types, allowed values, keys (see :mod:`evalkit.schema`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

ROLES: Final = (
    "provider",
    "leader",
    "user_rep",
    "relative_rep",
    "experience_consultant",
    "other",
)
"""Member-survey roles. The *user side* is user_rep + relative_rep; the *provider side*
is provider + leader; experience consultants are reported as their own group."""

USER_SIDE: Final = ("user_rep", "relative_rep")
PROVIDER_SIDE: Final = ("provider", "leader")

CHANNELS: Final = (
    "user_organisation",
    "known_to_team",
    "via_services",
    "via_experience_consultant",
    "other",
)
"""Recruitment channels a team may tick (multi-select)."""

CHART_KINDS: Final = ("run", "p", "i")
DIRECTIONS: Final = ("up", "down")
ASSESSORS: Final = ("faculty", "self")
MUNICIPALITY_ID_PATTERN: Final = r"^\d{4}$"
PROGRESS_SCORES: Final = tuple(x / 2 for x in range(1, 11))  # 0.5 .. 5.0

TABLE_NAMES: Final = (
    "respondents",
    "answers",
    "teams",
    "measures",
    "progress",
    "networks",
    "municipalities",
    "waves",
    "measure_catalogue",
    "rejections",
)
OPTIONAL_TABLES: Final = frozenset({"rejections"})


class SchemaError(ValueError):
    """A canonical table does not match its schema.

    The message names the file, the row (1-based), the column, the value and what was
    expected, so that the person who made the file can find and fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected


# Raised and shown as evalkit.schema.SchemaError (its public home), wherever it is defined.
SchemaError.__module__ = "evalkit.schema"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: pl.DataType
    nullable: bool = False
    allowed: tuple[Any, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    optional: bool = False
    """An optional column may be left out of a file; it is then filled with ``default``."""
    default: Any = None

    def expectation(self) -> str:
        parts = [dtype_words(self.dtype)]
        if self.allowed is not None:
            parts.append("one of " + ", ".join(map(str, self.allowed)))
        if self.pattern is not None:
            parts.append(f"matching {self.pattern}")
        if self.minimum is not None or self.maximum is not None:
            parts.append(f"between {self.minimum} and {self.maximum}")
        if not self.nullable:
            parts.append("not empty")
        return ", ".join(parts)


@dataclass(frozen=True)
class Table:
    """A canonical table: columns, primary key and a description."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    checks: tuple[Callable[[pl.DataFrame, str], None], ...] = field(default=())

    @property
    def file_name(self) -> str:
        return f"{self.name}.parquet"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)


def dtype_words(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "text"
    if dtype == pl.Boolean:
        return "true/false"
    if dtype == pl.Date:
        return "a date"
    if dtype.is_integer():
        return "a whole number"
    if dtype.is_float():
        return "a number"
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return f"a list of {dtype_words(inner if isinstance(inner, pl.DataType) else inner())}"
    return str(dtype)


def _static_team_facts_agree(frame: pl.DataFrame, file: str) -> None:
    """A team's host municipality, network and name must be the same in every wave."""
    for col in ("municipality_id", "network_id", "name"):
        bad = (
            frame.group_by("team_id")
            .agg(pl.col(col).n_unique().alias("k"), pl.col(col).unique().sort().alias("v"))
            .filter(pl.col("k") > 1)
            .sort("team_id")
        )
        if bad.height:
            team, values = bad.row(0)[0], bad.row(0)[2]
            raise SchemaError(
                f"{file}: team {team!r} has different values in column {col!r} across "
                f"waves ({', '.join(map(repr, values))}); a team has one "
                f"{'host municipality' if col == 'municipality_id' else col}.",
                file=file,
                column=col,
                value=values,
                expected="the same value in every wave",
            )


def _s(name: str, **kw: Any) -> Column:
    return Column(name, pl.String(), **kw)


_MUNI = {"pattern": MUNICIPALITY_ID_PATTERN, "description": "4-digit municipality number"}

TABLES: Final[dict[str, Table]] = {
    t.name: t
    for t in (
        Table(
            "respondents",
            (
                _s("respondent_id", description="opaque pseudonymous id"),
                _s("wave"),
                _s("network_id"),
                _s("municipality_id", **_MUNI),
                _s("team_id"),
                _s("role", allowed=ROLES),
            ),
            key=("respondent_id",),
            description="member-survey respondents, one row per respondent and wave",
        ),
        Table(
            "answers",
            (
                _s("respondent_id"),
                _s("item_id"),
                Column("value", pl.Int8(), nullable=True, minimum=0, maximum=10),
                Column("dont_know", pl.Boolean()),
            ),
            key=("respondent_id", "item_id"),
            description="Likert answers: scale code or null, plus don't-know",
        ),
        Table(
            "teams",
            (
                _s("team_id"),
                _s("wave"),
                _s("name"),
                _s("network_id"),
                _s("municipality_id", **_MUNI),
                Column("partner_municipality_ids", pl.List(pl.String()), nullable=True),
                Column("channels", pl.List(pl.String()), nullable=True, allowed=CHANNELS),
                Column("n_user_reps", pl.Int16(), nullable=True, minimum=0, maximum=100),
                Column("n_relative_reps", pl.Int16(), nullable=True, minimum=0, maximum=100),
                Column("reps_trained", pl.Boolean(), nullable=True),
                Column("recruitment_difficulty", pl.Int8(), nullable=True, minimum=1, maximum=5),
                Column("months_to_recruit", pl.Float64(), nullable=True, minimum=0, maximum=120),
                Column("reps_left", pl.Int16(), nullable=True, minimum=0, maximum=100),
                *(
                    Column(f"invited_{role}", pl.Int32(), nullable=True, minimum=0, maximum=100_000)
                    for role in ROLES
                ),
            ),
            key=("team_id", "wave"),
            description="improvement teams per wave, with the team survey's recruitment facts",
            checks=(_static_team_facts_agree,),
        ),
        Table(
            "measures",
            (
                _s("team_id"),
                _s("measure_id"),
                Column("period", pl.Date(), description="first day of the month"),
                Column("numerator", pl.Float64(), nullable=True, minimum=0),
                Column("denominator", pl.Float64(), nullable=True, minimum=0),
                Column("value", pl.Float64(), nullable=True),
                _s("note", nullable=True, description="a team's note on this month's point"),
                Column(
                    "change_introduced",
                    pl.Boolean(),
                    nullable=True,
                    optional=True,
                    default=False,
                    description=(
                        "optional: true in the month the team introduced a change; the run "
                        "chart starts a new part there (own centre line and limits)"
                    ),
                ),
            ),
            key=("team_id", "measure_id", "period"),
            description="monthly improvement measures as teams report them",
        ),
        Table(
            "progress",
            (
                _s("team_id"),
                Column("period", pl.Date()),
                Column("score", pl.Float64(), allowed=PROGRESS_SCORES),
                _s("assessor", allowed=ASSESSORS),
            ),
            key=("team_id", "period", "assessor"),
            description="IHI progress scores, 0.5..5.0",
        ),
        Table(
            "networks",
            (_s("network_id"), _s("name")),
            key=("network_id",),
            description="learning networks",
        ),
        Table(
            "municipalities",
            (
                _s("municipality_id", **_MUNI),
                _s("name"),
                _s("county"),
                Column("valid_from", pl.Int16(), minimum=1838, maximum=2100),
                Column("valid_to", pl.Int16(), nullable=True, minimum=1838, maximum=2100),
            ),
            key=("municipality_id", "valid_from"),
            description="municipality numbers and the years each is valid",
        ),
        Table(
            "waves",
            (
                _s("wave"),
                Column("order", pl.Int16(), minimum=0, maximum=1000),
                Column("collected", pl.Date()),
            ),
            key=("wave",),
            description="survey waves, baseline first",
        ),
        Table(
            "measure_catalogue",
            (
                _s("measure_id"),
                _s("label_nb"),
                _s("label_nn"),
                _s("label_en"),
                _s("chart", allowed=CHART_KINDS),
                _s("better", allowed=DIRECTIONS),
                Column("target", pl.Float64(), nullable=True),
                _s("unit", allowed=("percent", "count", "days", "score")),
            ),
            key=("measure_id",),
            description="improvement measures: labels, chart kind, direction, target",
        ),
        Table(
            "rejections",
            (
                _s("file"),
                Column("row", pl.Int64(), nullable=True),
                _s("column", nullable=True),
                _s("value", nullable=True),
                _s("reason"),
                _s("unit", nullable=True),
            ),
            key=(),
            description="input rows an importer could not use, with the reason",
        ),
    )
}
