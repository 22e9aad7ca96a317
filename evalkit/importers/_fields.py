"""Resolving one mapped field of an export into a canonical column, rejecting bad cells.

The helpers the survey sections share: lookup keys, the rejection collector, and one
resolver per kind of field (categorical, municipality, team, wave, network, number).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from evalkit import municipalities as register
from evalkit.canonical import Reference
from evalkit.errors import InputError
from evalkit.instrument import Instrument
from evalkit.schema import ROLES, TABLES

from ._mapping import FieldSpec, Mapping, MemberSurvey, TeamEntry, TeamSurvey, WaveFromDates
from ._read import FILE, ROW, Export
from ._waves import describe, parse_date, wave_of, wave_ranges

# Reason categories (the text before the first colon of a rejection's reason).
UNKNOWN_CODE: Final = "unknown code or label"
OUT_OF_RANGE: Final = "value out of range"
DUPLICATE_ID: Final = "duplicate respondent id"
DUPLICATE_TEAM: Final = "duplicate team answer"
UNKNOWN_MUNICIPALITY: Final = "unknown municipality number"
SPLIT_MUNICIPALITY: Final = "split municipality number"
MISSING_VALUE: Final = "missing value"
NOT_A_NUMBER: Final = "not a number"
NOT_A_DATE: Final = "not a date"
OUTSIDE_WAVES: Final = "date outside every wave"

ROLE_LABELS: Final[dict[str, str]] = {
    **{r: r for r in ROLES},
    "tjenesteyter": "provider",
    "fagperson": "provider",
    "ansatt": "provider",
    "tilsett": "provider",
    "leder": "leader",
    "leiar": "leader",
    "teamleder": "leader",
    "teamleiar": "leader",
    "brukerrepresentant": "user_rep",
    "brukarrepresentant": "user_rep",
    "user representative": "user_rep",
    "pårørenderepresentant": "relative_rep",
    "pårørandereprentant": "relative_rep",
    "pårørenderepresentant (pårørende)": "relative_rep",
    "relative representative": "relative_rep",
    "erfaringskonsulent": "experience_consultant",
    "experience consultant": "experience_consultant",
    "annet": "other",
    "anna": "other",
}
BOOLEAN_LABELS: Final[dict[str, str]] = {
    "1": "true", "0": "false", "ja": "true", "nei": "false", "yes": "true", "no": "false",
    "true": "true", "false": "false", "sant": "true", "usant": "false",
}
DONT_KNOW_LABELS: Final = (
    "vet ikke", "veit ikkje", "ikke relevant", "ikkje relevant", "vet ikke / ikke relevant",
    "vet ikke/ikke relevant", "veit ikkje / ikkje relevant", "don't know", "not relevant",
    "don't know / not relevant",
)


REJECTION_SCHEMA: Final = pl.Schema({
    FILE: pl.String(), ROW: pl.Int64(), "column": pl.String(), "value": pl.String(),
    "reason": pl.String(), "unit": pl.String(),
})
FREE_TEXT_SCHEMA: Final = pl.Schema({
    "file": pl.String(), "row": pl.Int64(), "id": pl.String(), "column": pl.String(), "text": pl.String(),
})



# --------------------------------------------------------------------------- helpers


def norm_key(expr: pl.Expr) -> pl.Expr:
    """A code or label as a lookup key: trimmed, lower case, ``1.0``/``1,0`` → ``1``."""
    s = expr.str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    return (
        pl.when(s.str.contains(r"^[+-]?\d+([.,]0*)?$"))
        .then(s.str.replace(r"[.,]0*$", "").str.replace(r"^\+", ""))
        .otherwise(s)
    )


def norm_keys(keys: Iterable[str]) -> list[str]:
    """:func:`norm_key` for Python strings (the mapping's keys), exactly as for the data."""
    values = list(keys)
    if not values:
        return []
    out = pl.Series("k", values, dtype=pl.String).to_frame().select(norm_key(pl.col("k")))
    return [str(v) for v in out.get_column("k").to_list()]


def to_number(expr: pl.Expr) -> pl.Expr:
    """Text to a number, understanding decimal commas (``2,5``) and spaces as thousands."""
    s = expr.str.strip_chars().str.replace_all(r"[\s\u00a0]", "")
    s = pl.when(s.str.contains(r"^[+-]?\d*,\d+$")).then(s.str.replace(",", ".")).otherwise(s)
    return s.cast(pl.Float64, strict=False)


def label_lookup(explicit: dict[str, str], defaults: dict[str, str], labels: pl.DataFrame, column: str) -> dict[str, str]:
    """Key → target: explicit mapping first, then the tool's labels, then defaults."""
    exp = dict(zip(norm_keys(explicit), explicit.values(), strict=True))
    dflt = dict(zip(norm_keys(defaults), defaults.values(), strict=True))
    combined = {**dflt}
    known = {**dflt, **exp}
    col_labels = labels.filter(pl.col("variable") == column)
    if col_labels.height:
        codes = norm_keys(col_labels.get_column("value").to_list())
        texts = norm_keys(col_labels.get_column("label").to_list())
        for code, text in zip(codes, texts, strict=True):
            if text in known and code not in exp:
                combined[code] = known[text]
    combined.update(exp)
    return combined


def shown(values: Iterable[str], limit: int = 8) -> str:
    vals = list(dict.fromkeys(values))
    text = ", ".join(repr(v) for v in vals[:limit])
    return text + (", …" if len(vals) > limit else "")


@dataclass
class Rejector:
    """Collects rejected cells as frames (no per-row Python)."""

    parts: list[pl.DataFrame] = field(default_factory=list)

    def add(self, frame: pl.DataFrame, mask: pl.Expr, column: str, value: pl.Expr, reason: str | pl.Expr) -> None:
        bad = frame.filter(mask)
        if bad.height == 0:
            return
        reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
        self.parts.append(
            bad.select(
                pl.col(FILE),
                pl.col(ROW),
                pl.lit(column).alias("column"),
                value.cast(pl.String).str.slice(0, 80).alias("value"),
                reason_expr.alias("reason"),
                pl.col("_unit") if "_unit" in bad.columns else pl.lit(None, pl.String).alias("_unit"),
            ).rename({"_unit": "unit"})
        )

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=REJECTION_SCHEMA)
        return pl.concat([p.cast(REJECTION_SCHEMA) for p in self.parts], how="vertical")


def require_columns(export: Export, columns: dict[str, str], section: str) -> None:
    have = set(export.frame.columns)
    for where, col in columns.items():
        if col not in have:
            present = [c for c in export.frame.columns if c not in (ROW, FILE)]
            raise InputError(
                f"{export.source}, row 1, column {col!r}: the mapping ({section}.{where}) names "
                f"column {col!r}, but the file has no such column; expected one of its columns "
                f"({shown(present, 12)})"
            )


def spec_columns(specs: dict[str, FieldSpec | None]) -> dict[str, str]:
    return {name: spec.column for name, spec in specs.items() if spec is not None and spec.column is not None}


# --------------------------------------------------------------------------- fields


@dataclass
class Context:
    mapping: Mapping
    reference: Reference
    instrument: Instrument
    rejector: Rejector
    register: dict[str, TeamEntry]
    notes: list[str] = field(default_factory=list)  # for the summary (old numbers converted)


def categorical(
    frame: pl.DataFrame,
    spec: FieldSpec,
    name: str,
    labels: pl.DataFrame,
    ctx: Context,
    *,
    defaults: dict[str, str],
    allowed: Sequence[str] | None,
    identity: bool,
    what: str,
    required: bool = True,
) -> pl.DataFrame:
    """Resolve a categorical field into column ``name``; reject unknown codes or labels."""
    if spec.value is not None:
        if allowed is not None and spec.value not in allowed:
            raise InputError(
                f"mapping: {what} {spec.value!r} is not known; expected one of {shown(allowed)} "
                "from the reference tables"
            )
        return frame.with_columns(pl.lit(spec.value, pl.String).alias(name))
    assert spec.column is not None
    col = spec.column
    lookup = label_lookup(spec.values, defaults, labels, col)
    raw = pl.col(col)
    if lookup:
        mapped = norm_key(raw).replace_strict(lookup, default=None, return_dtype=pl.String)
        if identity and not spec.values:
            mapped = pl.coalesce(mapped, raw)
    else:
        mapped = raw
    frame = frame.with_columns(mapped.alias(name))
    ok = pl.col(name).is_not_null()
    if allowed is not None:
        ok = ok & pl.col(name).is_in(pl.Series(list(allowed), dtype=pl.String).implode())
    expected = shown([*(allowed or []), *spec.values])
    ctx.rejector.add(
        frame, raw.is_not_null() & ~ok, col, raw,
        f"{UNKNOWN_CODE}: expected a {what} ({expected})" if expected else f"{UNKNOWN_CODE}: expected a {what}",
    )
    if required:
        ctx.rejector.add(frame, raw.is_null(), col, raw, f"{MISSING_VALUE}: expected a {what}")
    return frame.with_columns(pl.when(ok).then(pl.col(name)).alias(name))


def old_numbers(municipalities: pl.DataFrame) -> register.OldNumbers:
    """The register's old numbers against a reference ``municipalities`` table."""
    listed = municipalities.get_column("municipality_id").to_list()
    today = municipalities.filter(pl.col("valid_to").is_null()).get_column("municipality_id").to_list()
    return register.OldNumbers.against(listed, today)


def _converted(frame: pl.DataFrame, col: str, convert: dict[str, str], ctx: Context) -> pl.DataFrame:
    """Old numbers -> today's, with one note per file and number."""
    mid = pl.col("municipality_id")
    frame = frame.with_columns(mid.replace_strict(convert, default=None, return_dtype=pl.String).alias("_today"))
    done = (
        frame.filter(pl.col("_today").is_not_null())
        .group_by(FILE, "municipality_id", maintain_order=True)
        .agg(pl.len().alias("n"), pl.col(ROW).min().alias("first"))
    )
    for file, old, n, first in done.iter_rows():
        resolution = register.resolve(old)
        rows = f"row {first}" if n == 1 else f"{n} rows (the first is row {first})"
        ctx.notes.append(f"{file}, column {col!r}: {resolution.note}: read as {resolution.number} in {rows}")
    return frame.with_columns(pl.coalesce("_today", mid).alias("municipality_id")).drop("_today")


def _municipality(frame: pl.DataFrame, spec: FieldSpec, labels: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    known = ctx.reference.municipalities.get_column("municipality_id").unique().to_list()
    old = old_numbers(ctx.reference.municipalities)
    if spec.value is not None:
        value = spec.value.zfill(4) if spec.value.isdigit() else spec.value
        if value in old.convert:
            ctx.notes.append(f"mapping: municipality {spec.value!r}: {register.resolve(value).note}: read as "
                             f"{old.convert[value]}")
            value = old.convert[value]
        if value not in known:
            why = old.split.get(value) or old.hints.get(value)
            raise InputError(f"mapping: municipality {spec.value!r} is not in the reference municipalities"
                             + (f"; {why}" if why else ""))
        return frame.with_columns(pl.lit(value, pl.String).alias("municipality_id"))
    assert spec.column is not None
    col = spec.column
    names = ctx.reference.municipalities.select("name", "municipality_id").unique("name", keep="none")
    defaults = dict(zip(names.get_column("name").to_list(), names.get_column("municipality_id").to_list(), strict=True))
    lookup = label_lookup(spec.values, defaults, labels, col)
    raw = pl.col(col)
    digits = raw.str.strip_chars().str.replace(r"[.,]0+$", "")
    as_number = pl.when(digits.str.contains(r"^\d{1,4}$")).then(digits.str.zfill(4))
    mapped = norm_key(raw).replace_strict(lookup, default=None, return_dtype=pl.String) if lookup else pl.lit(None, pl.String)
    frame = frame.with_columns(pl.coalesce(mapped, as_number).alias("municipality_id"))
    frame = _converted(frame, col, old.convert, ctx)
    frame = frame.with_columns(
        pl.when(pl.col("municipality_id").str.contains(r"^\d{4}$")).then(pl.col("municipality_id")).alias("_unit")
    )
    split = pl.col("municipality_id").replace_strict(old.split, default=None, return_dtype=pl.String)
    hint = pl.col("municipality_id").replace_strict(old.hints, default=None, return_dtype=pl.String)
    ctx.rejector.add(frame, split.is_not_null(), col, raw, pl.format("{}: {}", pl.lit(SPLIT_MUNICIPALITY), split))
    ok = pl.col("municipality_id").is_in(pl.Series(known, dtype=pl.String).implode()).fill_null(False)
    ctx.rejector.add(
        frame, raw.is_not_null() & ~ok & split.is_null(), col, raw,
        pl.format(
            "{}: {} is not a municipality number in the reference table (expected a 4-digit number such as 0301){}",
            pl.lit(UNKNOWN_MUNICIPALITY), pl.col("municipality_id").fill_null(raw),
            pl.when(hint.is_not_null()).then(pl.format("; {}", hint)).otherwise(pl.lit("")),
        ),
    )
    ctx.rejector.add(frame, raw.is_null(), col, raw, f"{MISSING_VALUE}: expected a municipality number")
    return frame.with_columns(pl.when(ok).then(pl.col("municipality_id")).alias("municipality_id"))


def _team(frame: pl.DataFrame, spec: FieldSpec, labels: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    defaults: dict[str, str] = {}
    for entry in ctx.register.values():
        defaults[entry.id] = entry.id
        for code in entry.codes:
            defaults[code] = entry.id
        if entry.name:
            defaults[entry.name] = entry.id
    allowed = list(ctx.register) if ctx.register else None
    frame = categorical(frame, spec, "team_id", labels, ctx, defaults=defaults, allowed=allowed,
                         identity=not ctx.register, what="team")
    if spec.column is not None:
        # The team's label in the tool (e.g. SurveyXact's labels) can name the team.
        col_labels = labels.filter(pl.col("variable") == spec.column)
        if col_labels.height:
            lab = dict(zip(norm_keys(col_labels.get_column("value").to_list()),
                           col_labels.get_column("label").to_list(), strict=True))
            frame = frame.with_columns(
                norm_key(pl.col(spec.column)).replace_strict(lab, default=None, return_dtype=pl.String).alias("_team_label")
            )
    if "_team_label" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("_team_label"))
    return frame


def _from_register(frame: pl.DataFrame, attr: str, name: str, ctx: Context) -> pl.DataFrame:
    values = {e.id: getattr(e, attr) for e in ctx.register.values() if getattr(e, attr) is not None}
    return frame.with_columns(
        pl.col("team_id").replace_strict(values, default=None, return_dtype=pl.String).alias(name)
    )


def common_fields(frame: pl.DataFrame, section: MemberSurvey | TeamSurvey, labels: pl.DataFrame, ctx: Context, where: str) -> pl.DataFrame:
    frame = frame.with_columns(pl.lit(None, pl.String).alias("_unit"))
    if section.municipality is not None:
        frame = _municipality(frame, section.municipality, labels, ctx)
    frame = _team(frame, section.team, labels, ctx)
    if section.municipality is None:
        if not any(e.municipality for e in ctx.register.values()):
            raise InputError(
                f"mapping: {where} has no 'municipality', and the 'teams' register gives no "
                "municipality; expected one of them"
            )
        frame = _from_register(frame, "municipality", "municipality_id", ctx)
        frame = frame.with_columns(pl.col("municipality_id").alias("_unit"))
    waves = ctx.reference.waves.get_column("wave").to_list()
    if isinstance(section.wave, WaveFromDates):
        frame = _wave_from_dates(frame, section.wave, ctx, waves)
    else:
        frame = categorical(frame, section.wave, "wave", labels, ctx, defaults={w: w for w in waves},
                             allowed=waves, identity=False, what="wave")
    networks = ctx.reference.networks
    net_defaults = {
        **dict(zip(networks.get_column("network_id").to_list(), networks.get_column("network_id").to_list(), strict=True)),
        **dict(zip(networks.get_column("name").to_list(), networks.get_column("network_id").to_list(), strict=True)),
    }
    if section.network is not None:
        frame = categorical(frame, section.network, "network_id", labels, ctx, defaults=net_defaults,
                             allowed=networks.get_column("network_id").to_list(), identity=False, what="network")
    else:
        if not any(e.network for e in ctx.register.values()):
            raise InputError(
                f"mapping: {where} has no 'network', and the 'teams' register gives no network; "
                "expected one of them"
            )
        frame = _from_register(frame, "network", "network_id", ctx)
    return frame



def _wave_from_dates(frame: pl.DataFrame, spec: WaveFromDates, ctx: Context, waves: list[str]) -> pl.DataFrame:
    """The wave whose date range holds the date in ``spec.from_column``; reject the rest."""
    ranges = wave_ranges(spec, ctx.mapping)
    unknown = [r.wave for r in ranges if r.wave not in waves]
    if unknown:
        raise InputError(f"mapping: wave.ranges names wave(s) {shown(unknown)}, which the reference waves "
                         f"do not have; expected waves of {shown(waves)}")
    raw = pl.col(spec.from_column)
    frame = frame.with_columns(parse_date(raw, spec.format).alias("_date"))
    frame = frame.with_columns(wave_of(pl.col("_date"), ranges).alias("wave"))
    how = f"in the form {spec.format!r}" if spec.format else "such as 2025-03-14 or 14.03.2025"
    ctx.rejector.add(frame, raw.is_null(), spec.from_column, raw, f"{MISSING_VALUE}: expected a date")
    ctx.rejector.add(frame, raw.is_not_null() & pl.col("_date").is_null(), spec.from_column, raw,
                     f"{NOT_A_DATE}: expected a date {how}")
    ctx.rejector.add(frame, pl.col("_date").is_not_null() & pl.col("wave").is_null(), spec.from_column, raw,
                     pl.format("{}: {} is in no wave's range (expected a day of {})",
                               pl.lit(OUTSIDE_WAVES), pl.col("_date").cast(pl.String), pl.lit(describe(ranges))))
    return frame.drop("_date")


def number_field(frame: pl.DataFrame, spec: FieldSpec, name: str, labels: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    column = TABLES["teams"].column(name)
    if spec.value is not None:
        return frame.with_columns(pl.lit(spec.value).cast(column.dtype).alias(name))
    assert spec.column is not None
    raw = pl.col(spec.column)
    lookup = label_lookup(spec.values, {}, labels, spec.column) if spec.values else {}
    source = pl.coalesce(norm_key(raw).replace_strict(lookup, default=None, return_dtype=pl.String), raw) if lookup else raw
    number = to_number(source)
    whole = column.dtype.is_integer()
    expected = f"{'a whole number' if whole else 'a number'} between {column.minimum:g} and {column.maximum:g}"
    frame = frame.with_columns(number.alias(name))
    ctx.rejector.add(frame, raw.is_not_null() & pl.col(name).is_null(), spec.column, raw,
                     f"{NOT_A_NUMBER}: expected {expected}")
    assert column.minimum is not None
    assert column.maximum is not None
    out = (pl.col(name) < column.minimum) | (pl.col(name) > column.maximum)
    if whole:
        out = out | (pl.col(name) != pl.col(name).round(0))
    ctx.rejector.add(frame, out.fill_null(False), spec.column, raw, f"{OUT_OF_RANGE}: expected {expected}")
    ok = pl.col(name).is_not_null() & ~out.fill_null(False)
    return frame.with_columns(pl.when(ok).then(pl.col(name)).cast(column.dtype).alias(name))


