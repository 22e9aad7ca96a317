"""From exports read as text to canonical tables and rejections, vectorised with polars.

Each mapped field is resolved with whole-column expressions (``replace_strict`` on a
lookup built from the mapping, the tool's value labels and evalkit's defaults); the
Likert items are unpivoted to long form and joined on a lookup table. Rows with a bad
cell go to ``rejections`` (one record per bad cell); problems that make the whole file
unusable raise :class:`~evalkit.errors.InputError` before anything is written.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from evalkit.canonical import CanonicalData
from evalkit.errors import InputError
from evalkit.instrument import Instrument
from evalkit.schema import CHANNELS, ROLES, TABLES, SchemaError, validate_table

from ._mapping import FieldSpec, Mapping, MemberSurvey, TeamEntry, TeamSurvey
from ._pseudonym import pseudonymise_series
from ._read import FILE, ROW, Export, is_companion, read_export

REFERENCE_TABLES: Final = ("networks", "municipalities", "waves", "measure_catalogue")

# Reason categories (the text before the first colon of a rejection's reason).
UNKNOWN_CODE: Final = "unknown code or label"
OUT_OF_RANGE: Final = "value out of range"
DUPLICATE_ID: Final = "duplicate respondent id"
DUPLICATE_TEAM: Final = "duplicate team answer"
UNKNOWN_MUNICIPALITY: Final = "unknown municipality number"
MISSING_VALUE: Final = "missing value"
NOT_A_NUMBER: Final = "not a number"

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


@dataclass(frozen=True)
class Reference:
    """The reference tables an import checks against and copies into its output."""

    networks: pl.DataFrame
    municipalities: pl.DataFrame
    waves: pl.DataFrame
    measure_catalogue: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            "networks": self.networks,
            "municipalities": self.municipalities,
            "waves": self.waves,
            "measure_catalogue": self.measure_catalogue,
        }


def load_reference(folder: Path) -> Reference:
    """Read the reference tables of a canonical folder (other tables are not needed)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: reference folder not found (expected a canonical data folder)")
    frames = {}
    for name in REFERENCE_TABLES:
        path = folder / TABLES[name].file_name
        if not path.is_file():
            raise InputError(f"{path}: missing reference table {name!r} in the reference folder")
        try:
            frames[name] = validate_table(pl.read_parquet(path), name, file=str(path))
        except SchemaError as exc:
            raise InputError(str(exc)) from None
        except Exception as exc:  # polars raises several kinds for a damaged file
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    return Reference(**frames)


@dataclass
class SectionStats:
    """Counts for one survey section, for the summary and the data-quality section."""

    section: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    unused_columns: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    """Canonical tables from an import, with counts and the set-aside free text."""

    data: CanonicalData
    stats: list[SectionStats]
    free_text: pl.DataFrame


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


def _lookup(explicit: dict[str, str], defaults: dict[str, str], labels: pl.DataFrame, column: str) -> dict[str, str]:
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


def _shown(values: Iterable[str], limit: int = 8) -> str:
    vals = list(dict.fromkeys(values))
    text = ", ".join(repr(v) for v in vals[:limit])
    return text + (", …" if len(vals) > limit else "")


@dataclass
class _Rejector:
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


def _require_columns(export: Export, columns: dict[str, str], section: str) -> None:
    have = set(export.frame.columns)
    for where, col in columns.items():
        if col not in have:
            present = [c for c in export.frame.columns if c not in (ROW, FILE)]
            raise InputError(
                f"{export.source}, row 1, column {col!r}: the mapping ({section}.{where}) names "
                f"column {col!r}, but the file has no such column; expected one of its columns "
                f"({_shown(present, 12)})"
            )


def _spec_columns(specs: dict[str, FieldSpec | None]) -> dict[str, str]:
    return {name: spec.column for name, spec in specs.items() if spec is not None and spec.column is not None}


# --------------------------------------------------------------------------- fields


@dataclass
class _Context:
    mapping: Mapping
    reference: Reference
    instrument: Instrument
    rejector: _Rejector
    register: dict[str, TeamEntry]


def _categorical(
    frame: pl.DataFrame,
    spec: FieldSpec,
    name: str,
    labels: pl.DataFrame,
    ctx: _Context,
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
                f"mapping: {what} {spec.value!r} is not known; expected one of {_shown(allowed)} "
                "from the reference tables"
            )
        return frame.with_columns(pl.lit(spec.value, pl.String).alias(name))
    assert spec.column is not None
    col = spec.column
    lookup = _lookup(spec.values, defaults, labels, col)
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
    expected = _shown([*(allowed or []), *spec.values])
    ctx.rejector.add(
        frame, raw.is_not_null() & ~ok, col, raw,
        f"{UNKNOWN_CODE}: expected a {what} ({expected})" if expected else f"{UNKNOWN_CODE}: expected a {what}",
    )
    if required:
        ctx.rejector.add(frame, raw.is_null(), col, raw, f"{MISSING_VALUE}: expected a {what}")
    return frame.with_columns(pl.when(ok).then(pl.col(name)).alias(name))


def _municipality(frame: pl.DataFrame, spec: FieldSpec, labels: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    known = ctx.reference.municipalities.get_column("municipality_id").unique().to_list()
    if spec.value is not None:
        value = spec.value.zfill(4) if spec.value.isdigit() else spec.value
        if value not in known:
            raise InputError(f"mapping: municipality {spec.value!r} is not in the reference municipalities")
        return frame.with_columns(pl.lit(value, pl.String).alias("municipality_id"))
    assert spec.column is not None
    col = spec.column
    names = ctx.reference.municipalities.select("name", "municipality_id").unique("name", keep="none")
    defaults = dict(zip(names.get_column("name").to_list(), names.get_column("municipality_id").to_list(), strict=True))
    lookup = _lookup(spec.values, defaults, labels, col)
    raw = pl.col(col)
    digits = raw.str.strip_chars().str.replace(r"[.,]0+$", "")
    as_number = pl.when(digits.str.contains(r"^\d{1,4}$")).then(digits.str.zfill(4))
    mapped = norm_key(raw).replace_strict(lookup, default=None, return_dtype=pl.String) if lookup else pl.lit(None, pl.String)
    frame = frame.with_columns(pl.coalesce(mapped, as_number).alias("municipality_id"))
    frame = frame.with_columns(
        pl.when(pl.col("municipality_id").str.contains(r"^\d{4}$")).then(pl.col("municipality_id")).alias("_unit")
    )
    ok = pl.col("municipality_id").is_in(pl.Series(known, dtype=pl.String).implode()).fill_null(False)
    ctx.rejector.add(
        frame, raw.is_not_null() & ~ok, col, raw,
        pl.format(
            "{}: {} is not a municipality number in the reference table (expected a 4-digit number such as 0301)",
            pl.lit(UNKNOWN_MUNICIPALITY), pl.col("municipality_id").fill_null(raw),
        ),
    )
    ctx.rejector.add(frame, raw.is_null(), col, raw, f"{MISSING_VALUE}: expected a municipality number")
    return frame.with_columns(pl.when(ok).then(pl.col("municipality_id")).alias("municipality_id"))


def _team(frame: pl.DataFrame, spec: FieldSpec, labels: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    defaults: dict[str, str] = {}
    for entry in ctx.register.values():
        defaults[entry.id] = entry.id
        for code in entry.codes:
            defaults[code] = entry.id
        if entry.name:
            defaults[entry.name] = entry.id
    allowed = list(ctx.register) if ctx.register else None
    frame = _categorical(frame, spec, "team_id", labels, ctx, defaults=defaults, allowed=allowed,
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


def _from_register(frame: pl.DataFrame, attr: str, name: str, ctx: _Context) -> pl.DataFrame:
    values = {e.id: getattr(e, attr) for e in ctx.register.values() if getattr(e, attr) is not None}
    return frame.with_columns(
        pl.col("team_id").replace_strict(values, default=None, return_dtype=pl.String).alias(name)
    )


def _common_fields(frame: pl.DataFrame, section: MemberSurvey | TeamSurvey, labels: pl.DataFrame, ctx: _Context, where: str) -> pl.DataFrame:
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
    frame = _categorical(frame, section.wave, "wave", labels, ctx, defaults={w: w for w in waves},
                         allowed=waves, identity=False, what="wave")
    networks = ctx.reference.networks
    net_defaults = {
        **dict(zip(networks.get_column("network_id").to_list(), networks.get_column("network_id").to_list(), strict=True)),
        **dict(zip(networks.get_column("name").to_list(), networks.get_column("network_id").to_list(), strict=True)),
    }
    if section.network is not None:
        frame = _categorical(frame, section.network, "network_id", labels, ctx, defaults=net_defaults,
                             allowed=networks.get_column("network_id").to_list(), identity=False, what="network")
    else:
        if not any(e.network for e in ctx.register.values()):
            raise InputError(
                f"mapping: {where} has no 'network', and the 'teams' register gives no network; "
                "expected one of them"
            )
        frame = _from_register(frame, "network", "network_id", ctx)
    return frame


# --------------------------------------------------------------------------- sections


def _combine(exports: list[Export]) -> pl.DataFrame:
    frames = []
    for export in exports:
        frame = export.frame
        if FILE not in frame.columns:
            frame = frame.with_columns(pl.lit(export.source).alias(FILE))
        frames.append(frame)
    return pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]


def _labels(exports: list[Export]) -> pl.DataFrame:
    return pl.concat([e.labels for e in exports]).unique(["variable", "value"], keep="first", maintain_order=True)


def _unused(export: Export, used: set[str]) -> list[str]:
    return [c for c in export.frame.columns if c not in used and c not in (ROW, FILE) and not c.startswith("$")]


def _rejected_rows(rej: pl.DataFrame) -> pl.DataFrame:
    return rej.select(FILE, ROW).unique()


def _stats(section: str, exports: list[Export], frame: pl.DataFrame, rej: pl.DataFrame, used: set[str]) -> SectionStats:
    rows = _rejected_rows(rej)
    by_reason = (
        rej.with_columns(pl.col("reason").str.split(":").list.first().alias("category"))
        .unique([FILE, ROW, "category"])
        .group_by("category").len().sort("len", descending=True)
    )
    return SectionStats(
        section=section,
        files=[e.source for e in exports],
        rows_read=frame.height,
        accepted=frame.height - rows.height,
        rejected=rows.height,
        by_reason=dict(zip(by_reason.get_column("category").to_list(), by_reason.get_column("len").to_list(), strict=True)),
        unused_columns={e.source: _unused(e, used) for e in exports if _unused(e, used)},
    )


def _free_text(frame: pl.DataFrame, columns: Sequence[str], id_column: str) -> pl.DataFrame:
    cols = [c for c in columns if c in frame.columns]
    if not cols:
        return pl.DataFrame(schema=FREE_TEXT_SCHEMA)
    return (
        frame.select(FILE, ROW, pl.col(id_column).alias("id"), *cols)
        .unpivot(index=[FILE, ROW, "id"], on=cols, variable_name="column", value_name="text")
        .drop_nulls("text")
        .rename({FILE: "file", ROW: "row"})
        .cast(FREE_TEXT_SCHEMA)
    )


def _scale_lookup(ctx: _Context, item_columns: dict[str, str], labels: pl.DataFrame, section: MemberSurvey) -> pl.DataFrame:
    """(column, key) → (value, dont_know) for every item column."""
    rows: list[tuple[str, str, int | None, bool]] = []
    for item_id, column in item_columns.items():
        scale_name = ctx.instrument.item(item_id).scale
        scale = ctx.instrument.scales[scale_name]
        smap = section.scales.get(scale_name)
        explicit: dict[str, str] = {}
        if smap is not None:
            explicit.update({k: str(v) for k, v in smap.values.items()})
            explicit.update({k: "dk" for k in smap.dont_know})
        defaults: dict[str, str] = {}
        if smap is None or not any(k.strip().lstrip("+-").isdigit() for k in smap.values):
            defaults.update({str(c): str(c) for c in scale.codes})
        for level in scale.levels:
            for text in (level.label.nb, level.label.nn, level.label.en):
                defaults[text] = str(level.code)
        if scale.dont_know is not None:
            for text in (*DONT_KNOW_LABELS, scale.dont_know.label.nb, scale.dont_know.label.nn, scale.dont_know.label.en):
                defaults[text] = "dk"
        for key, target in _lookup(explicit, defaults, labels, column).items():
            if target == "dk":
                rows.append((column, key, None, True))
            else:
                rows.append((column, key, int(target), False))
    return pl.DataFrame(
        rows, schema={"column": pl.String, "key": pl.String, "value": pl.Int8, "dont_know": pl.Boolean}, orient="row"
    )


def _member(
    exports: list[Export], section: MemberSurvey, ctx: _Context, secret: bytes
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, SectionStats, pl.DataFrame]:
    unknown_items = [i for i in section.items if i not in {it.id for it in ctx.instrument.items}]
    if unknown_items:
        raise InputError(f"mapping: member.items names unknown item(s) {_shown(unknown_items)}; "
                         f"expected items of instrument {ctx.instrument.id!r}")
    specs: dict[str, FieldSpec | None] = {
        "wave": section.wave, "team": section.team, "role": section.role,
        "municipality": section.municipality, "network": section.network,
    }
    required = {"respondent_id": section.respondent_id, **_spec_columns(specs),
                **{f"items.{k}": v for k, v in section.items.items()}}
    for export in exports:
        _require_columns(export, required, "member")
    labels = _labels(exports)
    frame = _combine(exports)
    start = len(ctx.rejector.parts)
    frame = _common_fields(frame, section, labels, ctx, "member")
    frame = _categorical(frame, section.role, "role", labels, ctx, defaults=ROLE_LABELS, allowed=ROLES,
                         identity=False, what="role")
    sub = pl.col(section.respondent_id)
    ctx.rejector.add(frame, sub.is_null(), section.respondent_id, sub,
                     f"{MISSING_VALUE}: expected the tool's submission number")
    frame = frame.with_columns(
        pseudonymise_series(secret, frame.get_column("wave").fill_null("?"), frame.get_column(section.respondent_id)).alias("respondent_id")
    )
    frame = frame.with_columns(
        pl.col(ROW).first().over(["wave", section.respondent_id]).alias("_first_row"),
        pl.col(FILE).first().over(["wave", section.respondent_id]).alias("_first_file"),
    )
    first_row, first_file = pl.col("_first_row"), pl.col("_first_file")
    dup = pl.col("wave").is_not_null() & sub.is_not_null() & ~pl.struct("wave", section.respondent_id).is_first_distinct()
    ctx.rejector.add(
        frame, dup, section.respondent_id, pl.col("respondent_id"),
        pl.format("{}: the same submission number as row {} of {} (expected each submission once; the first is kept)",
                  pl.lit(DUPLICATE_ID), first_row, first_file),
    )
    # Items: long form, joined on the lookup of codes and labels.
    item_columns = dict(section.items)
    lookup = _scale_lookup(ctx, item_columns, labels, section)
    column_to_item = pl.DataFrame({"column": list(item_columns.values()), "item_id": list(item_columns)})
    long = (
        frame.select(FILE, ROW, "_unit", *dict.fromkeys(item_columns.values()))
        .unpivot(index=[FILE, ROW, "_unit"], variable_name="column", value_name="raw")
        .with_columns(norm_key(pl.col("raw")).alias("key"))
        .join(lookup, on=["column", "key"], how="left")
    )
    unmatched = pl.col("raw").is_not_null() & pl.col("dont_know").is_null()
    scale_bounds = {c: ctx.instrument.scales[ctx.instrument.item(i).scale] for i, c in item_columns.items()}
    expected = pl.col("column").replace_strict(
        {c: f"{s.minimum}–{s.maximum}" for c, s in scale_bounds.items()}, return_dtype=pl.String
    )
    numeric = pl.col("key").str.contains(r"^-?\d+([.,]\d+)?$")
    for cat, mask in ((OUT_OF_RANGE, unmatched & numeric), (UNKNOWN_CODE, unmatched & ~numeric)):
        bad = long.filter(mask)
        for column in bad.get_column("column").unique(maintain_order=True).to_list():
            ctx.rejector.add(
                bad.filter(pl.col("column") == column), pl.lit(True), column, pl.col("raw"),
                pl.format("{}: expected a code {} or a label such as 'Helt enig' or 'Vet ikke'", pl.lit(cat), expected),
            )
    section_rej = _Rejector(ctx.rejector.parts[start:]).frame()
    rejected = _rejected_rows(section_rej)
    accepted = frame.join(rejected, on=[FILE, ROW], how="anti")
    respondents = accepted.select("respondent_id", "wave", "network_id", "municipality_id", "team_id", "role")
    applicable = pl.DataFrame(
        [(it.id, r) for it in ctx.instrument.items if it.id in item_columns for r in it.roles],
        schema={"item_id": pl.String, "role": pl.String}, orient="row",
    )
    answers = (
        long.join(rejected, on=[FILE, ROW], how="anti")
        .join(column_to_item, on="column")
        .join(accepted.select(FILE, ROW, "respondent_id", "role"), on=[FILE, ROW])
        .join(applicable.with_columns(pl.lit(True).alias("_applies")), on=["item_id", "role"], how="left")
        .filter(pl.col("raw").is_not_null() | pl.col("_applies").fill_null(False))
        .select("respondent_id", "item_id", "value", pl.col("dont_know").fill_null(False))
    )
    statics = accepted.select(FILE, ROW, "team_id", "municipality_id", "network_id", "wave",
                              pl.col("_team_label").alias("name"), *_source_columns(section))
    used = {section.respondent_id, *required.values(), *section.free_text, *section.ignore}
    stats = _stats("member", exports, frame, section_rej, used)
    ft = _free_text(frame, section.free_text, "respondent_id")
    return respondents, answers, statics, stats, ft


def _number_field(frame: pl.DataFrame, spec: FieldSpec, name: str, labels: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    column = TABLES["teams"].column(name)
    if spec.value is not None:
        return frame.with_columns(pl.lit(spec.value).cast(column.dtype).alias(name))
    assert spec.column is not None
    raw = pl.col(spec.column)
    lookup = _lookup(spec.values, {}, labels, spec.column) if spec.values else {}
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


def _team_survey(exports: list[Export], section: TeamSurvey, ctx: _Context) -> tuple[pl.DataFrame, pl.DataFrame, SectionStats, pl.DataFrame]:
    specs: dict[str, FieldSpec | None] = {
        "wave": section.wave, "team": section.team, "municipality": section.municipality,
        "network": section.network, "name": section.name,
        **{f"facts.{k}": v for k, v in section.facts.items()},
    }
    required = {**_spec_columns(specs), **{f"channels.{k}": v for k, v in section.channels.items()}}
    for export in exports:
        _require_columns(export, required, "team")
    labels = _labels(exports)
    frame = _combine(exports)
    start = len(ctx.rejector.parts)
    frame = _common_fields(frame, section, labels, ctx, "team")
    if section.name is not None:
        if section.name.value is not None:
            frame = frame.with_columns(pl.lit(section.name.value).alias("_name"))
        else:
            frame = frame.with_columns(pl.col(str(section.name.column)).alias("_name"))
    else:
        frame = frame.with_columns(pl.col("_team_label").alias("_name"))
    for fact, spec in section.facts.items():
        if fact == "reps_trained":
            frame = _categorical(frame, spec, "reps_trained", labels, ctx, defaults=BOOLEAN_LABELS,
                                 allowed=["true", "false"], identity=False, what="yes/no answer",
                                 required=False)
            frame = frame.with_columns((pl.col("reps_trained") == "true").alias("reps_trained"))
        else:
            frame = _number_field(frame, spec, fact, labels, ctx)
    selected = norm_keys(section.channel_selected)
    not_selected = norm_keys(section.channel_not_selected)
    ticks = []
    for channel in CHANNELS:
        if channel not in section.channels:
            continue
        col = section.channels[channel]
        key = norm_key(pl.col(col))
        bad = pl.col(col).is_not_null() & ~key.is_in(pl.Series(selected + not_selected, dtype=pl.String).implode())
        ctx.rejector.add(frame, bad, col, pl.col(col),
                         f"{UNKNOWN_CODE}: expected a ticked ({_shown(selected, 3)}) or unticked ({_shown(not_selected, 3)}) box")
        ticks.append((channel, col, key))
    if ticks:
        any_answer = pl.any_horizontal(pl.col(c).is_not_null() for _, c, _ in ticks)
        chosen = pl.concat_list(
            [pl.when(k.is_in(pl.Series(selected, dtype=pl.String).implode())).then(pl.lit(ch)).otherwise(pl.lit(None, pl.String)) for ch, _, k in ticks]
        ).list.drop_nulls()
        frame = frame.with_columns(pl.when(any_answer).then(chosen).alias("channels"))
    else:
        frame = frame.with_columns(pl.lit(None, pl.List(pl.String)).alias("channels"))
    frame = frame.with_columns(
        pl.col(ROW).first().over(["team_id", "wave"]).alias("_first_row"),
        pl.col(FILE).first().over(["team_id", "wave"]).alias("_first_file"),
    )
    first_row, first_file = pl.col("_first_row"), pl.col("_first_file")
    dup = pl.col("team_id").is_not_null() & pl.col("wave").is_not_null() & ~pl.struct("team_id", "wave").is_first_distinct()
    team_col = section.team.column or "team"
    ctx.rejector.add(frame, dup, team_col, pl.col("team_id"),
                     pl.format("{}: team {} already answered for wave {} in row {} of {} (expected one answer per team and wave; the first is kept)",
                               pl.lit(DUPLICATE_TEAM), pl.col("team_id"), pl.col("wave"), first_row, first_file))
    section_rej = _Rejector(ctx.rejector.parts[start:]).frame()
    rejected = _rejected_rows(section_rej)
    accepted = frame.join(rejected, on=[FILE, ROW], how="anti")
    facts = [c.name for c in TABLES["teams"].columns if c.name not in ("team_id", "wave", "name", "network_id", "municipality_id", "partner_municipality_ids")]
    for fact in facts:
        if fact not in accepted.columns:
            accepted = accepted.with_columns(pl.lit(None).cast(TABLES["teams"].column(fact).dtype).alias(fact))
    rows = accepted.select("team_id", "wave", *facts)
    statics = accepted.select(FILE, ROW, "team_id", "municipality_id", "network_id", "wave", pl.col("_name").alias("name"),
                              *_source_columns(section))
    used = {*required.values(), *section.free_text, *section.ignore}
    stats = _stats("team", exports, frame, section_rej, used)
    return rows, statics, stats, _free_text(frame, section.free_text, "team_id")


# --------------------------------------------------------------------------- teams


def _source_columns(section: MemberSurvey | TeamSurvey) -> list[pl.Expr]:
    """The input columns that gave a row's municipality and network (for messages)."""
    def name(spec: FieldSpec | None, fallback: str) -> str:
        return spec.column if spec is not None and spec.column is not None else fallback
    return [
        pl.lit(name(section.municipality, name(section.team, "team"))).alias("_col_municipality_id"),
        pl.lit(name(section.network, name(section.team, "team"))).alias("_col_network_id"),
    ]


def _check_static(statics: pl.DataFrame, column: str, what: str) -> None:
    """A team has one host municipality and one network: fatal if the input disagrees."""
    bad = (
        statics.drop_nulls(["team_id", column])
        .group_by("team_id", maintain_order=True)
        .agg(pl.col(column).n_unique().alias("k"))
        .filter(pl.col("k") > 1)
    )
    if bad.height == 0:
        return
    team = bad.item(0, "team_id")
    rows = (
        statics.filter(pl.col("team_id") == team).drop_nulls(column)
        .unique(column, keep="first", maintain_order=True).head(2)
    )
    (f1, r1, v1, _), (f2, r2, v2, c2) = rows.select(FILE, ROW, column, f"_col_{column}").rows()
    raise InputError(
        f"{f2}, row {r2 if r2 is not None else 1}, column {(c2 or column)!r}: team {team!r} has {what} {v2!r} here but "
        f"{v1!r} in {f1}{'' if r1 is None else f', row {r1}'}; expected one {what} per team "
        "(fix the data or the mapping's 'teams' register)"
    )


def _teams(statics: pl.DataFrame, team_rows: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    register = pl.DataFrame(
        [(f"mapping ({e.id})", None, e.id, e.municipality, e.network, None, e.name, None, None)
         for e in ctx.register.values()],
        schema={FILE: pl.String, ROW: pl.Int64, "team_id": pl.String, "municipality_id": pl.String,
                "network_id": pl.String, "wave": pl.String, "name": pl.String,
                "_col_municipality_id": pl.String, "_col_network_id": pl.String},
        orient="row",
    )
    everything = pl.concat([register, statics.cast(register.schema)], how="vertical")
    _check_static(everything, "municipality_id", "host municipality")
    _check_static(everything, "network_id", "network")
    static = everything.group_by("team_id", maintain_order=True).agg(
        pl.col("municipality_id").drop_nulls().first(),
        pl.col("network_id").drop_nulls().first(),
        pl.col("name").drop_nulls().first(),
    ).with_columns(pl.col("name").fill_null(pl.col("team_id")))
    partners = pl.DataFrame(
        {"team_id": [e.id for e in ctx.register.values()],
         "partner_municipality_ids": [list(e.partners) if e.partners is not None else None for e in ctx.register.values()]},
        schema={"team_id": pl.String, "partner_municipality_ids": pl.List(pl.String)},
    )
    keys = pl.concat([statics.select("team_id", "wave"), team_rows.select("team_id", "wave")]).unique(maintain_order=True)
    teams = (
        keys.join(static, on="team_id", how="left")
        .join(partners, on="team_id", how="left")
        .join(team_rows, on=["team_id", "wave"], how="left")
    )
    cols = [c.name for c in TABLES["teams"].columns]
    for c in cols:
        if c not in teams.columns:
            teams = teams.with_columns(pl.lit(None).cast(TABLES["teams"].column(c).dtype).alias(c))
    return teams.select(cols).sort("team_id", "wave")


# --------------------------------------------------------------------------- entry point


def _check_register(ctx: _Context) -> None:
    known_m = set(ctx.reference.municipalities.get_column("municipality_id").to_list())
    known_n = set(ctx.reference.networks.get_column("network_id").to_list())
    for entry in ctx.register.values():
        for m in (entry.municipality, *(entry.partners or ())):
            if m is not None and m.zfill(4) not in known_m:
                raise InputError(f"mapping: teams: team {entry.id!r} has municipality {m!r}, which is not in "
                                 "the reference municipalities; expected a 4-digit number such as 0301")
        if entry.network is not None and entry.network not in known_n:
            raise InputError(f"mapping: teams: team {entry.id!r} has network {entry.network!r}, which is not in "
                             f"the reference networks; expected one of {_shown(sorted(known_n))}")


def _normalise_register(mapping: Mapping) -> dict[str, TeamEntry]:
    out = {}
    for e in mapping.teams:
        updates: dict[str, object] = {}
        if e.municipality is not None and e.municipality.isdigit():
            updates["municipality"] = e.municipality.zfill(4)
        if e.partners is not None:
            updates["partners"] = tuple(p.zfill(4) if p.isdigit() else p for p in e.partners)
        out[e.id] = e.model_copy(update=updates)
    return out


def assign_files(paths: Sequence[Path], mapping: Mapping) -> dict[str, list[Path]]:
    """Which survey section each input file belongs to (SurveyXact companions are skipped)."""
    sections = {name: s for name, s in (("member", mapping.member), ("team", mapping.team)) if s is not None}
    out: dict[str, list[Path]] = {name: [] for name in sections}
    for path in paths:
        if is_companion(path):
            continue
        matches = [n for n, s in sections.items() if any(fnmatch.fnmatch(path.name.lower(), g.lower()) for g in s.files)]
        if not matches:
            open_sections = [n for n, s in sections.items() if not s.files]
            if len(open_sections) == 1:
                matches = open_sections
        if len(matches) != 1:
            raise InputError(
                f"{path}: cannot tell which survey this file is "
                f"({'it matches ' + ' and '.join(matches) if matches else 'no section matches its name'}); "
                "expected 'files:' patterns in the mapping's member and team sections"
            )
        out[matches[0]].append(path)
    return {k: v for k, v in out.items() if v}


def import_exports(
    paths: Sequence[Path], mapping: Mapping, reference: Reference, instrument: Instrument, secret: bytes
) -> ImportResult:
    """Read, map and validate survey exports into canonical tables.

    Raises :class:`~evalkit.errors.InputError` for anything that makes the input as a
    whole unusable; bad cells make their rows rejections instead.
    """
    if not paths:
        raise InputError("no input files given")
    ctx = _Context(mapping, reference, instrument, _Rejector(), _normalise_register(mapping))
    _check_register(ctx)
    assigned = assign_files(paths, mapping)
    if not assigned:
        raise InputError("no survey files among the inputs (only SurveyXact structure/labels files?)")
    stats: list[SectionStats] = []
    free: list[pl.DataFrame] = []
    statics: list[pl.DataFrame] = []
    respondents = TABLES["respondents"].empty()
    answers = TABLES["answers"].empty()
    team_rows = pl.DataFrame(schema={"team_id": pl.String, "wave": pl.String})
    if "member" in assigned and mapping.member is not None:
        exports = [read_export(p, sheet=mapping.member.sheet, id_column=mapping.member.respondent_id)
                   for p in assigned["member"]]
        respondents, answers, s, st, ft = _member(exports, mapping.member, ctx, secret)
        statics.append(s)
        stats.append(st)
        free.append(ft)
    if "team" in assigned and mapping.team is not None:
        id_col = mapping.team.team.column
        exports = [read_export(p, sheet=mapping.team.sheet, id_column=id_col) for p in assigned["team"]]
        team_rows, s, st, ft = _team_survey(exports, mapping.team, ctx)
        statics.append(s)
        stats.append(st)
        free.append(ft)
    static_frame = pl.concat([s.cast({"wave": pl.String}) for s in statics]) if statics else pl.DataFrame()
    teams = _teams(static_frame, team_rows, ctx)
    rejections = ctx.rejector.frame().rename({FILE: "file", ROW: "row"}).sort("file", "row", "column")
    frames = {
        **reference.frames(),
        "respondents": respondents,
        "answers": answers,
        "teams": teams,
        "measures": TABLES["measures"].empty(),
        "progress": TABLES["progress"].empty(),
        "rejections": rejections.select([c.name for c in TABLES["rejections"].columns]),
    }
    data = CanonicalData.from_frames(frames)
    free_text = pl.concat(free) if free else pl.DataFrame(schema=FREE_TEXT_SCHEMA)
    return ImportResult(data, stats, free_text)
