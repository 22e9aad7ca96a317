"""The canonical data folder: table names, column types, allowed values and keys.

This module is the contract between the importers, the sample generator, the metrics
layer, the notebooks and the batch. A canonical data folder holds one Parquet file per
table, named ``<table>.parquet``. :func:`validate_table` checks a frame against its
schema and raises :class:`SchemaError` naming the file, the row (1-based, as a user
counts), the column, the bad value and what was expected.

Tables
------
respondents
    One row per respondent per wave of the member survey. ``respondent_id`` is opaque
    (never a survey tool's submission number); ``municipality_id`` is the host
    municipality of the respondent's team.
answers
    One row per respondent and item: ``value`` is the item's scale code (null when
    unanswered or don't-know), ``dont_know`` marks "vet ikke / ikke relevant".
teams
    One row per team and wave: static facts (name, host municipality, partner
    municipalities, network) repeated per wave and checked to agree, plus the team
    survey's recruitment facts for that wave (null where the team did not answer).
measures
    Monthly improvement measures as teams report them: numerator/denominator or value.
progress
    IHI progress scores (0.5..5.0 in steps of 0.5) by faculty and by the team itself.
networks, municipalities, waves, measure_catalogue
    Reference tables.
rejections
    Optional; written by importers: every input row that could not be used, and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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

    def expectation(self) -> str:
        parts = [_dtype_words(self.dtype)]
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


def _dtype_words(dtype: pl.DataType) -> str:
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
        return f"a list of {_dtype_words(inner if isinstance(inner, pl.DataType) else inner())}"
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


def _first_offender(frame: pl.DataFrame, mask: pl.Series) -> int:
    idx = mask.arg_true()
    return int(idx[0])


def _coerce_column(series: pl.Series, col: Column, file: str) -> pl.Series:
    """Cast ``series`` to the column's dtype; on failure name the first bad cell."""
    if series.dtype == col.dtype:
        return series
    if series.dtype == pl.Null:
        return pl.Series(col.name, [None] * series.len(), dtype=col.dtype)
    try:
        return series.cast(col.dtype, strict=True)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        pass
    cast = series.cast(col.dtype, strict=False)
    bad = cast.is_null() & series.is_not_null()
    if not bad.any():  # pragma: no cover - strict failed but lenient found nothing
        raise SchemaError(
            f"{file}: column {col.name!r} has type {series.dtype}, expected {col.expectation()}",
            file=file,
            column=col.name,
            expected=col.expectation(),
        )
    i = _first_offender(series.to_frame(), bad)
    value = series[i]
    raise SchemaError(
        f"{file}, row {i + 1}, column {col.name!r}: value {value!r} is not "
        f"{_dtype_words(col.dtype)} (expected {col.expectation()})",
        file=file,
        row=i + 1,
        column=col.name,
        value=value,
        expected=col.expectation(),
    )


def _check_values(series: pl.Series, col: Column, file: str) -> None:
    def fail(mask: pl.Series, what: str) -> None:
        i = int(mask.arg_true()[0])
        value = series[i]
        if isinstance(value, pl.Series):
            value = value.to_list()
        raise SchemaError(
            f"{file}, row {i + 1}, column {col.name!r}: value {value!r} {what} "
            f"(expected {col.expectation()})",
            file=file,
            row=i + 1,
            column=col.name,
            value=value,
            expected=col.expectation(),
        )

    if not col.nullable:
        nulls = series.is_null()
        if nulls.any():
            fail(nulls, "is empty")
    if col.pattern is not None:
        bad = ~series.str.contains(col.pattern).fill_null(True)
        if bad.any():
            fail(bad, "does not match the expected form")
    if col.allowed is not None:
        if isinstance(col.dtype, pl.List):
            allowed_list = pl.Series(list(col.allowed), dtype=col.dtype.inner)
            bad = ~series.list.eval(pl.element().is_in(allowed_list.implode()).all()).list.first()
            bad = bad.fill_null(False)
        else:
            bad = ~series.is_in(pl.Series(list(col.allowed), dtype=col.dtype).implode()).fill_null(True)
        if bad.any():
            fail(bad, "is not an allowed value")
    if col.minimum is not None:
        bad = (series < col.minimum).fill_null(False)
        if bad.any():
            fail(bad, "is too small")
    if col.maximum is not None:
        bad = (series > col.maximum).fill_null(False)
        if bad.any():
            fail(bad, "is too large")


def validate_table(frame: pl.DataFrame, table: str | Table, *, file: str | None = None) -> pl.DataFrame:
    """Check ``frame`` against a canonical table's schema and return it with exact types.

    Columns are put in schema order and cast to the schema's types; extra columns are an
    error (nothing is dropped silently).

    Parameters
    ----------
    frame
        The table's rows.
    table
        A table name from :data:`TABLES` or a :class:`Table`.
    file
        The name used in error messages (default ``<table>.parquet``).

    Returns
    -------
    polars.DataFrame
        The validated frame, columns in schema order with the schema's types.

    Raises
    ------
    SchemaError
        Naming the file, the 1-based row, the column, the bad value and what was expected.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"network_id": ["N1"], "name": ["Nettverk Øst"]})
    >>> validate_table(df, "networks").columns
    ['network_id', 'name']
    >>> validate_table(pl.DataFrame({"network_id": ["N1"], "name": [None]}), "networks")
    Traceback (most recent call last):
    ...
    evalkit.schema.SchemaError: networks.parquet, row 1, column 'name': value None is empty (expected text, not empty)
    """
    spec = TABLES[table] if isinstance(table, str) else table
    file = file or spec.file_name
    names = [c.name for c in spec.columns]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise SchemaError(
            f"{file}: missing column(s) {', '.join(map(repr, missing))}; "
            f"expected columns {', '.join(names)}",
            file=file,
            column=missing[0],
            expected="columns " + ", ".join(names),
        )
    extra = [n for n in frame.columns if n not in names]
    if extra:
        raise SchemaError(
            f"{file}: unexpected column(s) {', '.join(map(repr, extra))}; "
            f"expected only {', '.join(names)}",
            file=file,
            column=extra[0],
            expected="columns " + ", ".join(names),
        )
    out = []
    for col in spec.columns:
        series = _coerce_column(frame.get_column(col.name), col, file)
        _check_values(series, col, file)
        out.append(series.alias(col.name))
    result = pl.DataFrame(out)
    if spec.key:
        dup = result.select(spec.key).is_duplicated()
        if dup.any():
            i = int(dup.arg_true()[1] if dup.sum() > 1 else dup.arg_true()[0])
            key_value = result.row(i, named=True)
            shown = ", ".join(f"{k}={key_value[k]!r}" for k in spec.key)
            raise SchemaError(
                f"{file}, row {i + 1}: duplicate key ({shown}); each "
                f"({', '.join(spec.key)}) may appear only once",
                file=file,
                row=i + 1,
                column=spec.key[0],
                value=shown,
                expected="a unique key",
            )
    for check in spec.checks:
        check(result, file)
    return result


def check_references(tables: Mapping[str, pl.DataFrame]) -> None:
    """Check keys that point from one table into another (foreign keys).

    Raises :class:`SchemaError` for the first row whose reference is unknown.
    """
    refs: list[tuple[str, str, str, str]] = [
        ("respondents", "wave", "waves", "wave"),
        ("respondents", "network_id", "networks", "network_id"),
        ("respondents", "team_id", "teams", "team_id"),
        ("respondents", "municipality_id", "municipalities", "municipality_id"),
        ("answers", "respondent_id", "respondents", "respondent_id"),
        ("teams", "wave", "waves", "wave"),
        ("teams", "network_id", "networks", "network_id"),
        ("teams", "municipality_id", "municipalities", "municipality_id"),
        ("measures", "team_id", "teams", "team_id"),
        ("measures", "measure_id", "measure_catalogue", "measure_id"),
        ("progress", "team_id", "teams", "team_id"),
    ]
    for src, col, dst, dst_col in refs:
        if src not in tables or dst not in tables:
            continue
        known = tables[dst].get_column(dst_col).unique()
        values = tables[src].get_column(col)
        bad = ~values.is_in(known.implode())
        if bad.any():
            i = int(bad.arg_true()[0])
            raise SchemaError(
                f"{src}.parquet, row {i + 1}, column {col!r}: value {values[i]!r} is not "
                f"in {dst}.parquet (column {dst_col!r})",
                file=f"{src}.parquet",
                row=i + 1,
                column=col,
                value=values[i],
                expected=f"a {dst_col} from {dst}.parquet",
            )
    if "respondents" in tables and "teams" in tables:
        # A respondent counts on the dashboard of their team's host municipality.
        host = tables["teams"].select("team_id", "municipality_id", "network_id").unique("team_id")
        joined = (
            tables["respondents"]
            .with_row_index("_row")
            .join(host, on="team_id", how="left", suffix="_team")
            .filter(
                (pl.col("municipality_id") != pl.col("municipality_id_team"))
                | (pl.col("network_id") != pl.col("network_id_team"))
            )
            .sort("_row")
        )
        if joined.height:
            r = joined.row(0, named=True)
            col = (
                "municipality_id"
                if r["municipality_id"] != r["municipality_id_team"]
                else "network_id"
            )
            raise SchemaError(
                f"respondents.parquet, row {r['_row'] + 1}, column {col!r}: value "
                f"{r[col]!r} differs from team {r['team_id']!r}'s {col} "
                f"{r[col + '_team']!r} in teams.parquet",
                file="respondents.parquet",
                row=int(r["_row"]) + 1,
                column=col,
                value=r[col],
                expected=f"the team's {col}",
            )


_ZERO_PADDABLE = re.compile(r"^\d{1,4}$")


def normalise_municipality_id(value: object, *, where: str = "") -> str:
    """Return a municipality number as a 4-digit string, restoring a lost leading zero.

    Spreadsheets and unquoted YAML turn ``0301`` into the integer 301; this puts the zero
    back. Anything that is not a whole number of at most four digits is refused, rather
    than silently turned into another number.

    Examples
    --------
    >>> normalise_municipality_id(301)
    '0301'
    >>> normalise_municipality_id("0301")
    '0301'
    >>> normalise_municipality_id(301.0)
    '0301'
    >>> normalise_municipality_id("3.01")
    Traceback (most recent call last):
    ...
    ValueError: municipality number '3.01' is not a 4-digit number (like 0301)
    """
    prefix = f"{where}: " if where else ""
    if isinstance(value, bool):
        raise ValueError(f"{prefix}municipality number {value!r} is not a 4-digit number (like 0301)")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{prefix}municipality number {value!r} is not a 4-digit number (like 0301)")
        value = int(value)
    text = str(value).strip()
    if isinstance(value, int) and value >= 0:
        text = str(value)
    if not _ZERO_PADDABLE.match(text):
        raise ValueError(f"{prefix}municipality number {value!r} is not a 4-digit number (like 0301)")
    return text.zfill(4)

