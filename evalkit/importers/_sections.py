"""The two survey sections of an import: member answers and team facts, as canonical rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from evalkit.errors import InputError
from evalkit.schema import CHANNELS, ROLES, TABLES

from ._fields import (
    BOOLEAN_LABELS,
    DONT_KNOW_LABELS,
    DUPLICATE_ID,
    DUPLICATE_TEAM,
    FREE_TEXT_SCHEMA,
    MISSING_VALUE,
    OUT_OF_RANGE,
    ROLE_LABELS,
    UNKNOWN_CODE,
    Context,
    Rejector,
    categorical,
    common_fields,
    label_lookup,
    norm_key,
    norm_keys,
    number_field,
    require_columns,
    shown,
    spec_columns,
)
from ._mapping import FieldSpec, MemberSurvey, TeamSurvey
from ._pseudonym import pseudonymise_series
from ._read import FILE, ROW, Export


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
    notes: list[str] = field(default_factory=list)  # e.g. old municipality numbers converted


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


def _scale_lookup(ctx: Context, item_columns: dict[str, str], labels: pl.DataFrame, section: MemberSurvey) -> pl.DataFrame:
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
        for key, target in label_lookup(explicit, defaults, labels, column).items():
            if target == "dk":
                rows.append((column, key, None, True))
            else:
                rows.append((column, key, int(target), False))
    return pl.DataFrame(
        rows, schema={"column": pl.String, "key": pl.String, "value": pl.Int8, "dont_know": pl.Boolean}, orient="row"
    )


def member_survey(
    exports: list[Export], section: MemberSurvey, ctx: Context, secret: bytes
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, SectionStats, pl.DataFrame]:
    unknown_items = [i for i in section.items if i not in {it.id for it in ctx.instrument.items}]
    if unknown_items:
        raise InputError(f"mapping: member.items names unknown item(s) {shown(unknown_items)}; "
                         f"expected items of instrument {ctx.instrument.id!r}")
    specs: dict[str, FieldSpec | None] = {
        "wave": section.wave_field, "team": section.team, "role": section.role,
        "municipality": section.municipality, "network": section.network,
    }
    required = {"respondent_id": section.respondent_id, **spec_columns(specs),
                **{f"items.{k}": v for k, v in section.items.items()}}
    for export in exports:
        require_columns(export, required, "member")
    labels = _labels(exports)
    frame = _combine(exports)
    start, first_note = len(ctx.rejector.parts), len(ctx.notes)
    frame = common_fields(frame, section, labels, ctx, "member")
    frame = categorical(frame, section.role, "role", labels, ctx, defaults=ROLE_LABELS, allowed=ROLES,
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
    section_rej = Rejector(ctx.rejector.parts[start:]).frame()
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
    stats.notes.extend(ctx.notes[first_note:])
    ft = _free_text(frame, section.free_text, "respondent_id")
    return respondents, answers, statics, stats, ft


def team_survey(exports: list[Export], section: TeamSurvey, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame, SectionStats, pl.DataFrame]:
    specs: dict[str, FieldSpec | None] = {
        "wave": section.wave_field, "team": section.team, "municipality": section.municipality,
        "network": section.network, "name": section.name,
        **{f"facts.{k}": v for k, v in section.facts.items()},
    }
    required = {**spec_columns(specs), **{f"channels.{k}": v for k, v in section.channels.items()}}
    for export in exports:
        require_columns(export, required, "team")
    labels = _labels(exports)
    frame = _combine(exports)
    start, first_note = len(ctx.rejector.parts), len(ctx.notes)
    frame = common_fields(frame, section, labels, ctx, "team")
    if section.name is not None:
        if section.name.value is not None:
            frame = frame.with_columns(pl.lit(section.name.value).alias("_name"))
        else:
            frame = frame.with_columns(pl.col(str(section.name.column)).alias("_name"))
    else:
        frame = frame.with_columns(pl.col("_team_label").alias("_name"))
    for fact, spec in section.facts.items():
        if fact == "reps_trained":
            frame = categorical(frame, spec, "reps_trained", labels, ctx, defaults=BOOLEAN_LABELS,
                                 allowed=["true", "false"], identity=False, what="yes/no answer",
                                 required=False)
            frame = frame.with_columns((pl.col("reps_trained") == "true").alias("reps_trained"))
        else:
            frame = number_field(frame, spec, fact, labels, ctx)
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
                         f"{UNKNOWN_CODE}: expected a ticked ({shown(selected, 3)}) or unticked ({shown(not_selected, 3)}) box")
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
    section_rej = Rejector(ctx.rejector.parts[start:]).frame()
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
    stats.notes.extend(ctx.notes[first_note:])
    return rows, statics, stats, _free_text(frame, section.free_text, "team_id")


def _source_columns(section: MemberSurvey | TeamSurvey) -> list[pl.Expr]:
    """The input columns that gave a row's municipality and network (for messages)."""
    def name(spec: FieldSpec | None, fallback: str) -> str:
        return spec.column if spec is not None and spec.column is not None else fallback
    return [
        pl.lit(name(section.municipality, name(section.team, "team"))).alias("_col_municipality_id"),
        pl.lit(name(section.network, name(section.team, "team"))).alias("_col_network_id"),
    ]
