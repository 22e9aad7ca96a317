"""Check frames against the canonical tables: :func:`validate_table`, :func:`check_references`."""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl

from evalkit.schema._tables import TABLES, Column, SchemaError, Table, dtype_words


def _first_offender(frame: pl.DataFrame, mask: pl.Series) -> int:
    idx = mask.arg_true()
    return int(idx[0])


def _coerce_column(series: pl.Series, col: Column, file: str) -> pl.Series:
    """Cast ``series`` to the column's dtype; on failure name the first bad cell."""
    if series.dtype == col.dtype:
        return series
    if series.dtype == pl.Null:
        return pl.Series(col.name, [None] * series.len(), dtype=col.dtype)
    if col.dtype == pl.String and series.dtype.is_numeric():
        # A number where text belongs (waves.wave as 2025, municipality_id as 301) would be
        # cast silently and fail far from here, or lose a leading zero: refuse it.
        raise SchemaError(
            f"{file}: column {col.name!r} holds {dtype_words(series.dtype)}, expected {col.expectation()} "
            f"(write it as text, e.g. {str(series.drop_nulls()[0]) if series.drop_nulls().len() else ''!r})",
            file=file, column=col.name, expected=col.expectation(),
        )
    if col.dtype.is_integer() and series.dtype.is_float():
        # polars truncates 3.5 to 3 when it casts: a Likert code must be a whole number.
        fractional = (series.is_nan() | series.is_infinite() | (series != series.floor())).fill_null(False)
        if fractional.any():
            i = _first_offender(series.to_frame(), fractional)
            raise SchemaError(
                f"{file}, row {i + 1}, column {col.name!r}: value {series[i]!r} is not a whole number "
                f"(expected {col.expectation()})",
                file=file, row=i + 1, column=col.name, value=series[i], expected=col.expectation(),
            )
    try:
        return series.cast(col.dtype, strict=True)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        pass
    try:
        cast = series.cast(col.dtype, strict=False)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        cast = pl.Series(col.name, [None] * series.len(), dtype=col.dtype)  # e.g. text to true/false
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
        f"{dtype_words(col.dtype)} (expected {col.expectation()})",
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
    error (nothing is dropped silently). An optional column (``Column.optional``) may be
    missing: it is then added with its default, so old data without it still loads.

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
    absent_optional = [c for c in spec.columns if c.optional and c.name not in frame.columns]
    if absent_optional:
        frame = frame.with_columns(
            pl.lit(c.default, dtype=c.dtype).alias(c.name) for c in absent_optional
        )
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

