"""Canonical tables → a survey tool's wide layout, as a mapping describes it.

The inverse of the import, for demonstration files, the round-trip tests and the
benchmark: the member survey becomes one row per respondent with the mapping's column
names and the tool's codes; the team survey one row per team and wave with a 0/1 column
per channel. Submission numbers are 1, 2, 3, … in respondent order, and a key frame
links them to the canonical respondent ids.
"""

from __future__ import annotations

import polars as pl

from evalkit.canonical import CanonicalData
from evalkit.schema import CHANNELS

from ._mapping import FieldSpec, Mapping, WaveFromDates
from ._waves import wave_ranges


def _dated(spec: WaveFromDates, mapping: Mapping) -> pl.Expr:
    """A date column for a wave taken from dates: a day of the wave's range, at 10 o'clock
    (the first days in turn, row by row, so that the dates differ)."""
    ranges = wave_ranges(spec, mapping)
    start = pl.col("wave").replace_strict({r.wave: r.start for r in ranges}, return_dtype=pl.Date)
    days = pl.col("wave").replace_strict({r.wave: min((r.end - r.start).days + 1, 28) for r in ranges},
                                         return_dtype=pl.Int64)
    day = start + pl.duration(days=pl.int_range(pl.len()) % days)
    return day.cast(pl.Datetime).dt.offset_by("10h").dt.strftime("%Y-%m-%dT%H:%M:%S").alias(spec.from_column)


def _inverse(spec: FieldSpec | WaveFromDates | None, canonical: str, codes: dict[str, str] | None = None,
             mapping: Mapping | None = None) -> pl.Expr | None:
    """Expression giving the tool's value for canonical column ``canonical``."""
    if isinstance(spec, WaveFromDates):
        assert mapping is not None
        return _dated(spec, mapping)
    if spec is None or spec.column is None:
        return None
    inverse: dict[str, str] = {}
    for key, target in {**(codes or {}), **spec.values}.items():
        inverse.setdefault(target, key)
    expr = pl.col(canonical)
    if inverse:
        expr = expr.replace_strict(inverse, default=expr, return_dtype=pl.String)
    return expr.alias(spec.column)


def member_wide(data: CanonicalData, mapping: Mapping, *, dont_know: str = "Vet ikke") -> tuple[pl.DataFrame, pl.DataFrame]:
    """The member survey in the mapping's wide layout, and the key (submission → respondent id)."""
    section = mapping.member
    assert section is not None
    team_codes = {e.id: e.codes[0] for e in mapping.teams if e.codes}
    resp = data.respondents.with_row_index("submission", offset=1).with_columns(
        pl.col("submission").cast(pl.String)
    )
    key = resp.select("submission", "respondent_id", "wave")
    items = list(section.items)
    values = data.answers.filter(pl.col("item_id").is_in(pl.Series(items, dtype=pl.String).implode()))
    scale_inverse: dict[str, dict[int, str]] = {}
    dk_code: dict[str, str] = {}
    for name, smap in section.scales.items():
        scale_inverse[name] = {}
        for k, v in smap.values.items():
            scale_inverse[name].setdefault(v, k)
        if smap.dont_know:
            dk_code[name] = smap.dont_know[0]
    cells = values.with_columns(
        pl.when(pl.col("dont_know")).then(pl.lit("dk")).otherwise(pl.col("value").cast(pl.String)).alias("cell")
    )
    wide = cells.pivot(on="item_id", index="respondent_id", values="cell")
    frame = resp.join(wide, on="respondent_id", how="left")
    exprs: list[pl.Expr] = [pl.col("submission").alias(section.respondent_id)]
    for spec, canonical in ((section.wave, "wave"), (section.municipality, "municipality_id"),
                            (section.network, "network_id"), (section.role, "role")):
        e = _inverse(spec, canonical, mapping=mapping)
        if e is not None:
            exprs.append(e)
    team_expr = _inverse(section.team, "team_id", {v: k for k, v in team_codes.items()})
    if team_expr is not None:
        exprs.append(team_expr)
    from evalkit.instrument import load_instrument

    instrument = load_instrument(mapping.resolve(mapping.instrument) if mapping.instrument else None)
    for item_id, column in section.items.items():
        scale = instrument.item(item_id).scale
        inverse = {str(k): v for k, v in scale_inverse.get(scale, {}).items()}
        inverse["dk"] = dk_code.get(scale, dont_know)
        if item_id not in frame.columns:
            exprs.append(pl.lit(None, pl.String).alias(column))
            continue
        exprs.append(pl.col(item_id).replace_strict(inverse, default=pl.col(item_id), return_dtype=pl.String).alias(column))
    return frame.select(exprs), key


def team_wide(data: CanonicalData, mapping: Mapping) -> pl.DataFrame:
    """The team survey in the mapping's wide layout (teams with no survey answers are left out)."""
    section = mapping.team
    assert section is not None
    fact_cols = [f for f in section.facts if section.facts[f].column is not None]
    answered = data.teams.filter(
        pl.any_horizontal(pl.col(c).is_not_null() for c in ["channels", *fact_cols])
    )
    team_codes = {e.id: e.codes[0] for e in mapping.teams if e.codes}
    exprs: list[pl.Expr] = []
    for spec, canonical in ((section.wave, "wave"), (section.municipality, "municipality_id"),
                            (section.network, "network_id"), (section.name, "name")):
        e = _inverse(spec, canonical, mapping=mapping)
        if e is not None:
            exprs.append(e)
    team_expr = _inverse(section.team, "team_id", {v: k for k, v in team_codes.items()})
    if team_expr is not None:
        exprs.append(team_expr)
    for channel in CHANNELS:
        if channel in section.channels:
            exprs.append(
                pl.when(pl.col("channels").is_null()).then(pl.lit(None, pl.String))
                .when(pl.col("channels").list.contains(channel)).then(pl.lit("1"))
                .otherwise(pl.lit("0")).alias(section.channels[channel])
            )
    for fact, spec in section.facts.items():
        if spec.column is None:
            continue
        if fact == "reps_trained":
            yes = next((k for k, v in spec.values.items() if v == "true"), "1")
            no = next((k for k, v in spec.values.items() if v == "false"), "0")
            exprs.append(pl.when(pl.col(fact)).then(pl.lit(yes)).when(~pl.col(fact)).then(pl.lit(no)).alias(spec.column))
        else:
            exprs.append(pl.col(fact).cast(pl.String).alias(spec.column))
    return answered.select(exprs)
