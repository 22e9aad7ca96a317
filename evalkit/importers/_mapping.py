"""The mapping file (``kind: mapping``): from a survey tool's columns and codes to evalkit.

The format is documented in ``evalkit/importers/README.md``; complete commented examples
are ``params/nettskjema_mapping.yml`` and ``params/surveyxact_mapping.yml``.
"""

from __future__ import annotations

import datetime as dt
import os
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from evalkit.errors import InputError
from evalkit.schema import CHANNELS
from evalkit.yamlio import loads, read_text

from ._measures_spec import MeasuresSection, ProgressSection, scalar_text
from ._register import load_team_register

Tool = Literal["nettskjema", "surveyxact", "generic"]

TEAM_FACTS: tuple[str, ...] = (
    "n_user_reps",
    "n_relative_reps",
    "reps_trained",
    "recruitment_difficulty",
    "months_to_recruit",
    "reps_left",
    "invited_provider",
    "invited_leader",
    "invited_user_rep",
    "invited_relative_rep",
    "invited_experience_consultant",
    "invited_other",
)
"""Team-survey facts that a mapping can take from a column (channels are separate)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Model):
    """Where a canonical field comes from: a constant, or a column with optional codes.

    In YAML a bare string is short for ``{column: <string>}``.
    """

    column: str | None = None
    value: str | None = None
    values: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        if isinstance(data, dict):
            data = dict(data)
            if "value" in data and data["value"] is not None:
                data["value"] = scalar_text(data["value"])
            if isinstance(data.get("values"), dict):
                data["values"] = {scalar_text(k): scalar_text(v) for k, v in data["values"].items()}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        if (self.column is None) == (self.value is None):
            raise ValueError("give either 'column' or 'value' (not both, not neither)")
        if self.values and self.column is None:
            raise ValueError("'values' needs a 'column'")
        return self


class ScaleMap(_Model):
    """How a tool codes one instrument scale: its codes or labels → the scale's codes.

    ``values`` maps a tool's code or label to the instrument's level code; ``dont_know``
    lists the codes or labels meaning "vet ikke / ikke relevant". Without ``values`` the
    tool's codes are taken to be the scale's own codes (1..5), and the instrument's
    labels (bokmål, nynorsk, English) are understood too.
    """

    values: dict[str, int] = Field(default_factory=dict)
    dont_know: tuple[str, ...] = ()

    @field_validator("values", mode="before")
    @classmethod
    def _keys_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {scalar_text(k): v for k, v in data.items()}
        return data

    @field_validator("dont_know", mode="before")
    @classmethod
    def _dk_text(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return [scalar_text(v) for v in data]
        if data is not None and not isinstance(data, dict):
            return [scalar_text(data)]
        return data


class RangesFile(_Model):
    """``ranges: {file: ../reference/waves.yml}``: the waves file's ``from`` and ``to`` dates."""

    file: str


class WaveFromDates(_Model):
    """The wave taken from a date column: the wave whose date range holds the row's date.

    ``ranges`` gives each wave's first and last day (``{"2025": [2025-01-01, 2025-12-31]}``)
    or names the reference waves file, whose waves' ``from`` and ``to`` are the ranges. A
    date in no range, or a cell that is not a date, is a rejection. By default ISO dates
    (``2025-03-14``, ``2025-03-14T10:22:31``, ``2025-03-14 10:22``), Norwegian dates
    (``14.03.2025``, with or without a time) and Excel day numbers are read; ``format``
    (Python's ``strptime`` codes, e.g. ``"%d/%m/%Y %H:%M"``) reads any other form.
    """

    from_column: str
    ranges: RangesFile | dict[str, tuple[dt.date, dt.date]]
    format: str | None = None

    @field_validator("ranges", mode="before")
    @classmethod
    def _wave_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) != {"file"}:
            return {scalar_text(k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _ranges_apart(self) -> WaveFromDates:
        if isinstance(self.ranges, dict):
            if not self.ranges:
                raise ValueError("'ranges' gives no wave")
            spans = sorted((start, end, wave) for wave, (start, end) in self.ranges.items())
            for start, end, wave in spans:
                if start > end:
                    raise ValueError(f"wave {wave!r}: the range ends ({end}) before it starts ({start})")
            for (_, end, wave), (start, _, other) in pairwise(spans):
                if start <= end:
                    raise ValueError(f"the ranges of waves {wave!r} and {other!r} overlap; expected each date in one wave")
        return self


def _wave_kind(data: Any) -> str:
    if isinstance(data, dict) and "from_column" in data:
        return "dates"
    if isinstance(data, WaveFromDates):
        return "dates"
    return "field"


WaveSpec = Annotated[
    Annotated[FieldSpec, Tag("field")] | Annotated[WaveFromDates, Tag("dates")],
    Discriminator(_wave_kind),
]
"""A wave: a field (constant or column with codes) or a date column with date ranges."""


class _Survey(_Model):
    files: tuple[str, ...] = ()
    sheet: str | None = None
    wave: WaveSpec
    team: FieldSpec
    municipality: FieldSpec | None = None
    network: FieldSpec | None = None
    free_text: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def wave_field(self) -> FieldSpec:
        """The wave as a plain field: a date column counts as the column it is read from."""
        if isinstance(self.wave, WaveFromDates):
            return FieldSpec(column=self.wave.from_column)
        return self.wave


class MemberSurvey(_Survey):
    """The member survey: one row per respondent → ``respondents`` and ``answers``."""

    respondent_id: str
    role: FieldSpec
    scales: dict[str, ScaleMap] = Field(default_factory=dict)
    items: dict[str, str] = Field(min_length=1)


class TeamSurvey(_Survey):
    """The team survey: one row per team and wave → the recruitment facts in ``teams``."""

    name: FieldSpec | None = None
    channels: dict[str, str] = Field(default_factory=dict)
    channel_selected: tuple[str, ...] = ("1", "x", "ja", "yes", "true", "sant", "valgt", "checked")
    channel_not_selected: tuple[str, ...] = ("0", "nei", "no", "false", "usant")
    facts: dict[str, FieldSpec] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(set(value) - set(CHANNELS))
        if bad:
            raise ValueError(f"unknown channel(s) {bad}; allowed: {list(CHANNELS)}")
        return value

    @field_validator("facts")
    @classmethod
    def _known_facts(cls, value: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        bad = sorted(set(value) - set(TEAM_FACTS))
        if bad:
            raise ValueError(f"unknown team fact(s) {bad}; allowed: {list(TEAM_FACTS)}")
        return value

    @field_validator("channel_selected", "channel_not_selected", mode="before")
    @classmethod
    def _text(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return [scalar_text(v).casefold() for v in data]
        return data


class TeamEntry(_Model):
    """A team in the mapping's team register: its id, the tool's codes for it, static facts."""

    id: str
    codes: tuple[str, ...] = ()
    name: str | None = None
    municipality: str | None = None
    network: str | None = None
    partners: tuple[str, ...] | None = None
    source: str | None = Field(default=None, exclude=True)
    """Where the entry was read: ``"reference/teams.csv, row 4"`` (None: the mapping itself)."""

    @model_validator(mode="before")
    @classmethod
    def _texts(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("id", "name", "municipality", "network"):
                if data.get(key) is not None:
                    data[key] = scalar_text(data[key])
            for key in ("codes", "partners"):
                if isinstance(data.get(key), list | tuple):
                    data[key] = [scalar_text(v) for v in data[key]]
                elif data.get(key) is not None:
                    data[key] = [scalar_text(data[key])]
        return data


class Mapping(_Model):
    """A whole mapping file. Build it with :func:`load_mapping`."""

    kind: Literal["mapping"]
    tool: Tool = "generic"
    instrument: str | None = None
    reference: str | None = None
    member: MemberSurvey | None = None
    team: TeamSurvey | None = None
    measures: MeasuresSection | None = None
    progress: ProgressSection | None = None
    teams: tuple[TeamEntry, ...] = ()
    base_dir: str = Field(default=".", exclude=True)

    @model_validator(mode="after")
    def _something(self) -> Mapping:
        if self.member is None and self.team is None and self.measures is None and self.progress is None:
            raise ValueError("a mapping needs a 'member', 'team', 'measures' or 'progress' section")
        seen: set[str] = set()
        for entry in self.teams:
            if entry.id in seen:
                raise ValueError(f"team {entry.id!r} appears twice in 'teams'")
            seen.add(entry.id)
        return self

    def resolve(self, path: str) -> Path:
        """A path named in the mapping, relative to the mapping file's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p




def parse_mapping(text: str, source: str, base_dir: str = ".") -> Mapping:
    """Parse a mapping from YAML text; errors name ``source`` and the offending key.

    Examples
    --------
    >>> m = parse_mapping('''
    ... kind: mapping
    ... member:
    ...   respondent_id: "$submission_id"
    ...   wave: {value: 2015}
    ...   team: lag
    ...   role: {column: rolle, values: {1: provider, 2: user_rep}}
    ...   items: {eq_respect: q1}
    ... teams:
    ...   - {id: T1, municipality: 0301, network: N1}
    ... ''', "example.yml")
    >>> m.member.role.values, m.teams[0].municipality
    ({'1': 'provider', '2': 'user_rep'}, '0301')
    """
    raw = loads(text, source)
    if not isinstance(raw, dict):
        raise InputError(f"{source}: a mapping file must be a YAML mapping with 'kind: mapping'")
    if raw.get("kind") != "mapping":
        raise InputError(f"{source}: not a mapping file (expected 'kind: mapping', found {raw.get('kind')!r})")
    if isinstance(raw.get("teams"), dict):
        raw = {**raw, "teams": _register_file(raw["teams"], source, base_dir)}
    try:
        return Mapping.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(f"{source}: not a valid mapping: {problems}") from None


def _register_file(spec: dict[str, Any], source: str, base_dir: str) -> list[dict[str, Any]]:
    """``teams: {file: ../reference/teams.csv, codes: codes}``: the register's rows."""
    unknown = sorted(set(spec) - {"file", "codes"})
    if unknown or not isinstance(spec.get("file"), str):
        raise InputError(
            f"{source}: teams: expected a list of teams or {{file: TEAM_REGISTER, codes: COLUMN}}"
            + (f"; unknown key(s) {', '.join(map(repr, unknown))}" if unknown else "; 'file' must name a file")
        )
    codes = spec.get("codes", "codes")
    if not isinstance(codes, str):
        raise InputError(f"{source}: teams: 'codes' must name a column of the team register, not {codes!r}")
    path = Path(spec["file"])
    return load_team_register(path if path.is_absolute() else Path(base_dir) / path, codes=codes)


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Load and check a mapping file; paths in it are relative to its folder."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: mapping file not found")
    return parse_mapping(read_text(p, "mapping file"), str(p), base_dir=str(p.parent))
