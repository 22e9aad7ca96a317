"""The member-survey instrument (codebook): scales, dimensions and items.

evalkit ships its own instrument (``evalkit/data/instrument.yml``); an evaluator can
point evalkit at their own file with the same schema (:func:`load_instrument`).
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evalkit.errors import InputError
from evalkit.schema import ROLES
from evalkit.yamlio import loads, read_text

Language = Literal["nb", "nn", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "nn", "en")


class Text(BaseModel):
    """A text in bokmål, nynorsk and English."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    nb: str
    nn: str
    en: str

    def __call__(self, language: Language) -> str:
        return str(getattr(self, language))


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: int
    label: Text


class DontKnow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Text


class Scale(BaseModel):
    """An ordinal answer scale: levels in order, which count as favourable, the neutral."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    levels: tuple[Level, ...] = Field(min_length=2)
    dont_know: DontKnow | None = None
    favourable: tuple[int, ...]
    neutral: int | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(level.code for level in self.levels)

    @property
    def minimum(self) -> int:
        return min(self.codes)

    @property
    def maximum(self) -> int:
        return max(self.codes)

    @model_validator(mode="after")
    def _check(self) -> Scale:
        codes = self.codes
        if list(codes) != sorted(set(codes)):
            raise ValueError(f"level codes must be distinct and increasing, got {list(codes)}")
        if list(codes) != list(range(codes[0], codes[-1] + 1)):
            raise ValueError(f"level codes must be consecutive, got {list(codes)}")
        bad = [c for c in self.favourable if c not in codes]
        if bad:
            raise ValueError(f"favourable levels {bad} are not among the scale's codes {list(codes)}")
        if self.neutral is not None and self.neutral not in codes:
            raise ValueError(f"neutral level {self.neutral} is not among the codes {list(codes)}")
        return self


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Text


class Item(BaseModel):
    """One survey item (statement)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dimension: str
    scale: str
    reverse: bool = False
    roles: tuple[str, ...]
    text: Text

    @model_validator(mode="after")
    def _check_roles(self) -> Item:
        bad = [r for r in self.roles if r not in ROLES]
        if bad:
            raise ValueError(f"item {self.id}: unknown role(s) {bad}; allowed: {list(ROLES)}")
        return self


class Instrument(BaseModel):
    """A whole codebook. Build it with :func:`load_instrument`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["instrument"]
    id: str
    version: str
    scales: dict[str, Scale]
    dimensions: dict[str, Dimension]
    items: tuple[Item, ...]

    @model_validator(mode="after")
    def _check_references(self) -> Instrument:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} appears twice")
            seen.add(item.id)
            if item.scale not in self.scales:
                raise ValueError(f"item {item.id}: unknown scale {item.scale!r}")
            if item.dimension not in self.dimensions:
                raise ValueError(f"item {item.id}: unknown dimension {item.dimension!r}")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"unknown item {item_id!r}")

    def items_in(self, dimension: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.dimension == dimension)

    def scale_of(self, item_id: str) -> Scale:
        return self.scales[self.item(item_id).scale]

    def items_frame(self) -> pl.DataFrame:
        """One row per item: ids, dimension, scale bounds, direction, favourable levels.

        Examples
        --------
        >>> df = load_instrument().items_frame()
        >>> df.filter(pl.col("item_id") == "eq_dominate").select("reverse", "scale_min", "scale_max").row(0)
        (True, 1, 5)
        """
        rows = []
        for item in self.items:
            scale = self.scales[item.scale]
            rows.append(
                {
                    "item_id": item.id,
                    "dimension": item.dimension,
                    "scale": item.scale,
                    "scale_min": scale.minimum,
                    "scale_max": scale.maximum,
                    "neutral": scale.neutral,
                    "favourable": list(scale.favourable),
                    "reverse": item.reverse,
                    "roles": list(item.roles),
                }
            )
        return pl.DataFrame(
            rows,
            schema={
                "item_id": pl.String,
                "dimension": pl.String,
                "scale": pl.String,
                "scale_min": pl.Int8,
                "scale_max": pl.Int8,
                "neutral": pl.Int8,
                "favourable": pl.List(pl.Int8),
                "reverse": pl.Boolean,
                "roles": pl.List(pl.String),
            },
        )


class InstrumentError(ValueError):
    """An instrument file is not valid; the message names the file and the problem."""


def _parse(text: str, source: str) -> Instrument:
    try:
        raw = loads(text, source)
    except InputError as exc:
        raise InstrumentError(str(exc)) from None
    try:
        return Instrument.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise InstrumentError(f"{source}: not a valid instrument: {problems}") from None


@cache
def _default() -> Instrument:
    text = resources.files("evalkit").joinpath("data/instrument.yml").read_text(encoding="utf-8")
    return _parse(text, "evalkit/data/instrument.yml")


def load_instrument(path: str | os.PathLike[str] | None = None) -> Instrument:
    """Load an instrument file, or evalkit's own when ``path`` is None.

    Examples
    --------
    >>> inst = load_instrument()
    >>> [i.id for i in inst.items_in("impact")]
    ['imp_aims', 'imp_changes', 'imp_results']
    >>> inst.item("eq_respect").text("nn")
    'Brukarrepresentantane blir møtte med respekt.'
    """
    if path is None:
        return _default()
    p = Path(path)
    if not p.is_file():
        raise InstrumentError(f"{p}: instrument file not found")
    try:
        text = read_text(p, "instrument file")
    except InputError as exc:
        raise InstrumentError(str(exc)) from None
    return _parse(text, str(p))
