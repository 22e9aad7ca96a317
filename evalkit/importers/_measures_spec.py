"""The mapping file's ``measures:`` and ``progress:`` sections (see the importers' README).

Both read a file in one of two layouts:

* ``long``: one row per team × measure × month (``measures``) or team × month (×
  assessor) (``progress``), with a header row naming the columns (it may lie below
  title rows: the header is the first row holding every column the section names);
* ``wide``: months as columns, as teams keep them in spreadsheets: one sheet or one
  block per team, one row per measure (or per numerator, denominator, note, change) or
  per assessor. The header row of each block is found (the first row whose cells are
  mostly months); the mapping names the label columns.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Layout = Literal["long", "wide"]
PART_NAMES = ("numerator", "denominator", "value", "note", "change")
"""What a row of a wide measures sheet holds (its *part*)."""


def scalar_text(value: object) -> str:
    """YAML scalars as text: ``1`` → ``"1"``, ``1.0`` → ``"1"``, ``true`` → ``"true"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Model):
    """Where a table gives a team, a measure or an assessor.

    A column (by its header text; in a wide sheet a column letter such as ``A`` works
    too), a constant (``value``), or, for a team, the sheet's name (``from: sheet``) or
    the block's title (``from: title``: the text rows above the header row, nearest
    first; see :mod:`._sheets`). ``values`` maps the file's labels to evalkit's ids. In YAML a bare string is
    short for ``{column: <string>}``.
    """

    column: str | None = None
    value: str | None = None
    from_: Literal["sheet", "title"] | None = Field(default=None, alias="from")
    values: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        if isinstance(data, dict):
            data = dict(data)
            for key in ("column", "value"):
                if data.get(key) is not None:
                    data[key] = scalar_text(data[key])
            if isinstance(data.get("values"), dict):
                data["values"] = {
                    scalar_text(k): [scalar_text(x) for x in v] if isinstance(v, list | tuple) else [scalar_text(v)]
                    for k, v in data["values"].items()
                }
        return data

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        given = [k for k, v in (("column", self.column), ("value", self.value), ("from", self.from_)) if v is not None]
        if len(given) != 1:
            raise ValueError("give one of 'column', 'value' or 'from' (sheet or title)")
        if self.values and self.value is not None:
            raise ValueError("'values' needs a 'column' or 'from'")
        return self

    def single_values(self, where: str) -> dict[str, str]:
        """``values`` where each label names one id (teams, assessors; the sections check
        this when the mapping is read)."""
        several = [k for k, v in self.values.items() if len(v) != 1]
        if several:
            raise ValueError(f"{where}: label {several[0]!r} must name one id, not a list")
        return {k: v[0] for k, v in self.values.items()}


def _column_name(data: Any) -> Any:
    return scalar_text(data) if data is not None and not isinstance(data, dict) else data


class _Section(_Model):
    files: tuple[str, ...] = ()
    sheets: tuple[str, ...] = ()
    layout: Layout = "long"
    team: Source
    month: str | None = None
    ignore: tuple[str, ...] = ()

    @field_validator("sheets", "files", "ignore", mode="before")
    @classmethod
    def _texts(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return [scalar_text(v) for v in data]
        if data is not None:
            return [scalar_text(data)]
        return data

    def _check_layout(self, long_only: dict[str, object]) -> None:
        self.team.single_values("team")
        if self.layout == "long":
            if self.month is None:
                raise ValueError("the long layout needs 'month' (the column of months)")
        else:
            given = [k for k, v in {"month": self.month, **long_only}.items() if v is not None]
            if given:
                raise ValueError(
                    f"{', '.join(repr(g) for g in given)} belong(s) to the long layout; in the wide "
                    "layout months are the columns and each row says what it holds"
                )


class MeasuresSection(_Section):
    """Monthly measures → the canonical ``measures`` table.

    Long: ``measure`` and ``month`` columns, and ``numerator`` + ``denominator`` or
    ``value`` columns (``note``, ``change`` optional). Wide: ``measure`` names the column
    of row labels (default: the sheet's first column) and ``part`` optionally the column
    saying what a row holds (teller/nevner/verdi/merknad/endring); ``parts`` adds words
    for those.
    """

    measure: Source | None = None
    numerator: str | None = None
    denominator: str | None = None
    value: str | None = None
    note: str | None = None
    change: str | None = None
    part: str | None = None
    parts: dict[str, Literal["numerator", "denominator", "value", "note", "change"]] = Field(default_factory=dict)

    _columns = field_validator("month", "numerator", "denominator", "value", "note", "change", "part",
                               mode="before")(_column_name)

    @field_validator("parts", mode="before")
    @classmethod
    def _part_keys(cls, data: Any) -> Any:
        return {scalar_text(k): v for k, v in data.items()} if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _layout(self) -> MeasuresSection:
        self._check_layout({"numerator": self.numerator, "denominator": self.denominator, "value": self.value,
                            "note": self.note, "change": self.change})
        if self.layout == "long":
            if self.measure is None:
                raise ValueError("the long layout needs 'measure' (a column, or a value for one measure)")
            if self.measure.from_ is not None:
                raise ValueError("'measure' is a column or a value, not taken from a sheet or title")
            if self.numerator is None and self.denominator is None and self.value is None:
                raise ValueError("the long layout needs 'numerator' and 'denominator', or 'value'")
            if (self.numerator is None) != (self.denominator is None):
                raise ValueError("give both 'numerator' and 'denominator' (or neither)")
            if self.part is not None or self.parts:
                raise ValueError("'part' and 'parts' belong to the wide layout")
        elif self.measure is not None and self.measure.column is None:
            raise ValueError("in the wide layout 'measure' names the column of row labels")
        return self


class ProgressSection(_Section):
    """IHI progress scores → the canonical ``progress`` table.

    Long: ``month`` and either ``score`` with ``assessor`` (a column, or a value for
    all rows), or one column per assessor (``faculty``, ``self``). Wide: ``assessor``
    names the column of row labels (default: the sheet's first column) or gives one
    assessor for every row.
    """

    assessor: Source | None = None
    score: str | None = None
    faculty: str | None = None
    self_: str | None = Field(default=None, alias="self")

    _columns = field_validator("month", "score", "faculty", "self_", mode="before")(_column_name)

    @model_validator(mode="after")
    def _layout(self) -> ProgressSection:
        self._check_layout({"score": self.score, "faculty": self.faculty, "self": self.self_})
        if self.assessor is not None and self.assessor.from_ is not None:
            raise ValueError("'assessor' is a column or a value, not taken from a sheet or title")
        if self.assessor is not None:
            self.assessor.single_values("assessor")
        if self.layout == "long":
            by_column = self.faculty is not None or self.self_ is not None
            if by_column == (self.score is not None):
                raise ValueError("the long layout needs 'score' (with 'assessor') or 'faculty'/'self' columns")
            if self.score is not None and self.assessor is None:
                raise ValueError("'score' needs 'assessor' (a column, or {value: faculty} / {value: self})")
            if by_column and self.assessor is not None:
                raise ValueError("'assessor' is not used with 'faculty'/'self' columns")
        return self
