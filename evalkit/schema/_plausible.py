"""Impossible data, refused before any page: facts that each column's type and range
cannot catch, because they involve another column, another table, or the calendar.

Every check names the file, the 1-based row, the column and the value, like the type
checks (:class:`~evalkit.schema.SchemaError`); the first offending row is reported.

- ``answers``: a "don't know" that also carries a value (which of the two is true?).
- ``measures``: a numerator above its denominator (a share over 100 %); a negative,
  infinite or not-a-number numerator, denominator or value; a period in the future.
- ``waves``: two waves with the same order; a wave collected in the future.
- ``teams``: fewer people invited than answered (a team's ``invited_<role>`` below the
  respondents of that role in that wave) — a response rate over 100 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from evalkit.schema._tables import ROLES, SchemaError

__all__ = ["check_plausible"]


def _refuse(table: str, frame: pl.DataFrame, bad: pl.Series | pl.Expr, column: str,
            what: str | Callable[[dict[str, Any]], str], expected: str) -> None:
    """Raise for the first row of ``frame`` where ``bad`` holds; ``what`` says what is
    wrong with its value (a function of the whole row when it names other columns)."""
    rows = frame.with_row_index("_row").filter(bad).head(1)
    if rows.height == 0:
        return
    first = rows.row(0, named=True)
    row = int(first["_row"]) + 1
    value = first[column]
    if callable(what):
        what = what(first)
    raise SchemaError(
        f"{table}.parquet, row {row}, column {column!r}: value {value!r} {what} (expected {expected})",
        file=f"{table}.parquet", row=row, column=column, value=value, expected=expected,
    )


def _finite(column: str) -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column).is_nan() | pl.col(column).is_infinite())


def check_plausible(tables: Mapping[str, pl.DataFrame], *, today: dt.date | None = None) -> None:
    """Raise :class:`SchemaError` for the first impossible fact in ``tables`` (validated frames).

    Examples
    --------
    >>> m = pl.DataFrame({"team_id": ["T1"], "measure_id": ["m"], "period": [dt.date(2025, 1, 1)],
    ...                   "numerator": [30.0], "denominator": [10.0], "value": [None]})
    >>> check_plausible({"measures": m})
    Traceback (most recent call last):
    ...
    evalkit.schema.SchemaError: measures.parquet, row 1, column 'numerator': value 30.0 is above its denominator 10 (expected a numerator no larger than the denominator)
    """
    today = today or dt.date.today()
    answers = tables.get("answers")
    if answers is not None and answers.height:
        _refuse("answers", answers, pl.col("dont_know") & pl.col("value").is_not_null(), "value",
                "is given together with dont_know = true", "no value when the answer is 'don't know'")
    measures = tables.get("measures")
    if measures is not None and measures.height:
        for column in ("numerator", "denominator", "value"):
            _refuse("measures", measures, _finite(column), column, "is not a finite number", "a finite number")
            _refuse("measures", measures, pl.col(column) < 0, column, "is negative", "zero or more")
        _refuse("measures", measures, pl.col("numerator") > pl.col("denominator"), "numerator",
                lambda r: f"is above its denominator {r['denominator']:g}",
                "a numerator no larger than the denominator")
        _refuse("measures", measures, pl.col("period") > today, "period",
                f"lies in the future (today is {today.isoformat()})", "a month that has begun")
    waves = tables.get("waves")
    if waves is not None and waves.height:
        _refuse("waves", waves, pl.col("order").is_duplicated(), "order",
                "is the order of another wave too", "a different order for every wave")
        _refuse("waves", waves, pl.col("collected") > today, "collected",
                f"lies in the future (today is {today.isoformat()})", "a date that has passed")
    teams, respondents = tables.get("teams"), tables.get("respondents")
    if teams is not None and respondents is not None and teams.height and respondents.height:
        answered = respondents.group_by("team_id", "wave", "role").len("answered")
        for role in ROLES:
            column = f"invited_{role}"
            if column not in teams.columns:
                continue
            counts = answered.filter(pl.col("role") == role).select("team_id", "wave", "answered")
            joined = (teams.join(counts, on=["team_id", "wave"], how="left", maintain_order="left")
                      .with_columns(_role=pl.lit(role)))
            _refuse("teams", joined, (pl.col(column) < pl.col("answered")).fill_null(False), column,
                    lambda r: (f"is fewer than the {r['answered']} {r['_role']} respondent(s) of team "
                                f"{r['team_id']!r} in wave {r['wave']!r}"),
                    "at least as many invited as answered")
