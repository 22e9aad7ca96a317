"""Every indicator for every unit of a data set, in one pass, suppressed: :func:`prepare`.

The answers are scored once; every figure is summed per wave × team × role and rolled
up to all units with ``group_by`` (no loop over units). Suppression runs over all units
at once (see :mod:`evalkit.metrics.suppression`), so that what one page shows and what
a whole batch shows are the same figures.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import Any, Final

import polars as pl

from evalkit import runchart
from evalkit.canonical import CanonicalData
from evalkit.instrument import Instrument, load_instrument
from evalkit.metrics import comparisons, suppression
from evalkit.metrics.funnel import funnels as funnel_frame
from evalkit.metrics.indices import index_summary, respondent_indices_from_scored
from evalkit.metrics.likert import (
    distribution_from_rollup,
    item_rollup,
    scored_answers,
    summary_from_rollup,
)
from evalkit.metrics.model import involvement_model, with_simple_comparisons
from evalkit.metrics.recruitment import promoters, recruitment_summary, team_means
from evalkit.metrics.reliability import reliability_from_scored
from evalkit.metrics.rollup import ROLE_GROUPS, relevel, roll_up
from evalkit.metrics.schema import FRAMES, conform, empty_frame
from evalkit.metrics.trends import earlier_indices, trend_waves
from evalkit.schema import ROLES, SchemaError
from evalkit.units import UNIT_LEVELS, Hierarchy, keys_frame

SETTINGS_VERSION: Final = 3
"""Bumped when the meaning of the prepared frames changes (a store built before is refused).
2: the frames ``funnels`` and ``model``; 3: ``indices`` holds every wave up to the report's
(its trend), not only its two."""

FRAME_NAMES: Final = (
    "items", "distributions", "indices", "reliability", "gaps", "benchmarks", "changes",
    "recruitment", "promoters", "funnels", "model", "respondent_counts", "data_quality", "charts",
    "progress", "units",
)


@dataclass(frozen=True)
class Prepared:
    """Every indicator of a data set (or a unit's slice of it), suppressed, as tidy frames.

    Columns of each frame: :data:`evalkit.metrics.schema.FRAMES` (``charts`` and
    ``progress`` come from :mod:`evalkit.runchart`). ``units`` lists every unit with its
    parent (unit_level, unit_id, parent_level, parent_id), plus a municipality's partner
    teams as ``unit_level == "team"`` rows whose ``parent_level`` is ``"partner"``.
    """

    items: pl.DataFrame
    distributions: pl.DataFrame
    indices: pl.DataFrame
    reliability: pl.DataFrame
    gaps: pl.DataFrame
    benchmarks: pl.DataFrame
    changes: pl.DataFrame
    recruitment: pl.DataFrame
    promoters: pl.DataFrame
    funnels: pl.DataFrame
    model: pl.DataFrame
    respondent_counts: pl.DataFrame
    data_quality: pl.DataFrame
    charts: pl.DataFrame
    progress: pl.DataFrame
    units: pl.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict, init=False, compare=False)
    """Seconds spent on the costlier steps of :func:`prepare` (``model``); not part of the
    data (a slice or a store read back has none)."""

    def frames(self) -> dict[str, pl.DataFrame]:
        """Frame name → frame (everything but ``settings`` and ``timings``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("settings", "timings")}

    def for_unit(self, unit_level: str, unit_id: str) -> Prepared:
        """Only what a dashboard for this unit may show.

        Its own rows; its children's visible rows (a municipality's teams, including
        teams it is a partner of; a network's municipalities); its ancestors' rows (the
        parent benchmark and the network-level gap to fall back on); benchmarks of itself
        and its children; charts and progress of its teams.
        """
        if unit_level not in UNIT_LEVELS:
            raise ValueError(f"unit_level must be one of {UNIT_LEVELS}, got {unit_level!r}")
        key = (unit_level, unit_id)
        tree = Hierarchy.from_units(self.units)
        if unit_level != "all" and key not in tree:
            raise KeyError(f"no {unit_level} {unit_id!r} in the prepared data")
        own = keys_frame([key])
        children = keys_frame(tree.children(key))
        ancestors = keys_frame(tree.ancestors(key))
        shown = pl.concat([own, ancestors]).unique()
        teams = list(tree.teams_of(key))

        def cut(name: str, frame: pl.DataFrame) -> pl.DataFrame:
            if name == "units":
                return frame.join(pl.concat([own, children, ancestors]).unique(),
                                  on=["unit_level", "unit_id"], how="semi")
            if name in ("charts", "progress"):
                if unit_level == "all" or "team_id" not in frame.columns:
                    return frame
                return frame.filter(pl.col("team_id").is_in(pl.Series(teams, dtype=pl.String).implode()))
            if "unit_level" not in frame.columns:
                return frame
            mine = frame.join(shown, on=["unit_level", "unit_id"], how="semi")
            kids = frame.join(children, on=["unit_level", "unit_id"], how="semi")
            if "suppressed" in kids.columns:
                kids = kids.filter(~pl.col("suppressed"))
            if name == "benchmarks":
                mine = mine.join(own, on=["unit_level", "unit_id"], how="semi")
            return pl.concat([mine, kids]).unique(maintain_order=True)

        cut_frames: dict[str, Any] = {name: cut(name, frame) for name, frame in self.frames().items()}
        return replace(self, **cut_frames,
                       settings={**self.settings, "slice": {"unit_level": unit_level, "unit_id": unit_id}})


def _published_frame(published_units: Iterable[tuple[str, str]] | pl.DataFrame | None) -> pl.DataFrame | None:
    if published_units is None:
        return None
    if isinstance(published_units, pl.DataFrame):
        return published_units.select(pl.col("unit_level").cast(pl.String), pl.col("unit_id").cast(pl.String))
    rows = [(str(level), str(uid)) for level, uid in published_units]
    return pl.DataFrame(rows, schema={"unit_level": pl.String, "unit_id": pl.String}, orient="row")


def check_answers(answers: pl.DataFrame, items: pl.DataFrame, *, instrument_name: str = "the instrument") -> None:
    """Refuse answers the instrument cannot score, rather than drop or mis-score them.

    Raises :class:`evalkit.schema.SchemaError` naming the first bad row of
    ``answers.parquet`` (1-based) and how many rows share the problem: an item the
    instrument does not have, or a value outside its item's scale.

    Examples
    --------
    >>> from evalkit.instrument import load_instrument
    >>> items = load_instrument().items_frame()
    >>> ok = pl.DataFrame({"respondent_id": ["a", "a"], "item_id": ["eq_respect", "eq_views"],
    ...     "value": pl.Series([5, None], dtype=pl.Int8), "dont_know": [False, True]})
    >>> check_answers(ok, items)
    >>> check_answers(ok.with_columns(value=pl.lit(9, pl.Int8)), items)
    Traceback (most recent call last):
    ...
    evalkit.schema.SchemaError: answers.parquet, row 1, column 'value': value 9 is outside item 'eq_respect''s scale 1–5 (2 values outside their item's scale)
    """
    spec = items.lazy().select("item_id", "scale_min", "scale_max")
    rows = answers.lazy().select("item_id", "value").with_row_index("_row").join(
        spec, on="item_id", how="left", maintain_order="left")
    unknown, outside = pl.collect_all([
        rows.filter(pl.col("scale_min").is_null()),
        rows.filter(pl.col("value").is_not_null()
                    & ((pl.col("value") < pl.col("scale_min")) | (pl.col("value") > pl.col("scale_max")))),
    ])
    if unknown.height:
        raise _bad_answer(unknown.row(0, named=True), "item_id",
                          f"is not an item of {instrument_name} ({unknown.height} answer(s) to items it does not "
                          "have); use the instrument the survey was made with", f"an item of {instrument_name}")
    if outside.height:
        first = outside.row(0, named=True)
        scale = f"{first['scale_min']}–{first['scale_max']}"
        plural = "s" if outside.height > 1 else ""
        raise _bad_answer(first, "value", f"is outside item {first['item_id']!r}'s scale {scale} ({outside.height} "
                          f"value{plural} outside their item's scale)", f"a code on the scale {scale}")


def _bad_answer(first: dict[str, Any], column: str, problem: str, expected: str) -> SchemaError:
    row = int(first["_row"]) + 1
    return SchemaError(f"answers.parquet, row {row}, column {column!r}: value {first[column]!r} {problem}",
                       file="answers.parquet", row=row, column=column, value=first[column], expected=expected)


def instrument_hash(instrument: Instrument) -> str:
    """SHA-256 of the instrument's content (ids, scales, dimensions, items)."""
    return hashlib.sha256(instrument.model_dump_json().encode()).hexdigest()


def _suppress(
    frame: pl.DataFrame,
    unit_sizes: pl.DataFrame,
    ancestors: pl.DataFrame,
    *,
    keys: list[str],
    min_unit_n: int,
    min_cell_n: int,
    published: pl.DataFrame | None,
    n_column: str = "n",
    role_column: str | None = "role_group",
    role_total: str = "all",
    role_parts: tuple[str, ...] = ("user_side", "provider_side", "experience_consultant", "other"),
) -> pl.DataFrame:
    """Primary + complementary flags; returns the frame with ``_hidden`` etc. (not blanked)."""
    flagged = suppression.primary_flags(frame, unit_sizes, min_unit_n=min_unit_n, min_cell_n=min_cell_n,
                                        published=published, n_column=n_column)
    return suppression.complementary(flagged, keys=keys, ancestors=ancestors, min_cell_n=min_cell_n,
                                     role_column=role_column, role_total=role_total,
                                     role_parts=role_parts, n_column=n_column)


def prepare(
    data: CanonicalData,
    *,
    wave: str,
    compare_wave: str | None = None,
    instrument: Instrument | None = None,
    min_unit_n: int = 10,
    min_cell_n: int = 5,
    min_answered_share: float = 0.5,
    published_units: Iterable[tuple[str, str]] | pl.DataFrame | None = None,
) -> Prepared:
    """Compute every indicator for every unit of ``data`` in one pass, suppressed.

    Parameters
    ----------
    data
        A canonical data set.
    wave
        The wave reported on.
    compare_wave
        An earlier wave to compare with (``changes``); its figures are in the frames too.
        ``indices`` has every wave up to ``wave`` (the trend over all waves), each
        suppressed as if it were the wave reported on.
    instrument
        The codebook (default: evalkit's own).
    min_unit_n
        A unit with fewer respondents in a wave gets no figures of its own.
    min_cell_n
        No figure based on fewer people (but more than 0) is shown.
    min_answered_share
        Share of a dimension's items a respondent must answer to get an index.
    published_units
        (unit_level, unit_id) pairs the batch publishes; None = every unit. Figures of
        other units are blanked (``not_published``) and protect their siblings.

    Returns
    -------
    Prepared
        Frames documented in :mod:`evalkit.metrics.schema`, plus ``settings``.

    Examples
    --------
    >>> from evalkit.canonical import load
    >>> from pathlib import Path
    >>> import evalkit
    >>> SAMPLE = Path(evalkit.__file__).parents[1] / "data" / "sample"  # the committed sample
    >>> prepared = prepare(load(SAMPLE), wave="2026", compare_wave="2025")
    >>> prepared.indices.filter(unit_level="all", role_group="all", wave="2026")["dimension"].to_list()
    ['equality', 'experience_consultants', 'impact', 'recruitment', 'relatives']
    >>> bool(prepared.items.filter(pl.col("suppressed"))["n"].is_null().all())
    True
    """
    order = data.wave_order()
    if wave not in order:
        raise ValueError(f"wave {wave!r} is not in the data (waves: {', '.join(order)})")
    if compare_wave is not None:
        if compare_wave not in order:
            raise ValueError(f"compare_wave {compare_wave!r} is not in the data (waves: {', '.join(order)})")
        if order.index(compare_wave) >= order.index(wave):
            raise ValueError(f"compare_wave {compare_wave!r} is not earlier than wave {wave!r}")
    if min_cell_n < 1 or min_unit_n < 1:
        raise ValueError("min_unit_n and min_cell_n must be at least 1")
    inst = instrument if instrument is not None else load_instrument()
    items = inst.items_frame()
    check_answers(data.answers, items, instrument_name=f"{inst.id}@{inst.version}")
    waves = [wave] if compare_wave is None else [compare_wave, wave]
    earlier = [w for w in trend_waves(order, wave) if w not in waves]
    published = _published_frame(published_units)

    resp_df = data.respondents.filter(pl.col("wave").is_in(pl.Series(waves, dtype=pl.String).implode()))
    resp = resp_df.lazy()
    # The units with people in the waves: their tree (the benchmarks' parents) and the
    # sums that complementary suppression protects.
    people = Hierarchy.from_frames(resp_df)
    tree = (people if resp_df.height else Hierarchy.from_frames(data.teams)).tree_frame()
    ancestors = suppression.ancestry(people)
    sizes = roll_up(resp.with_columns(n_respondents=pl.lit(1, pl.Int64)), ["wave"], ["n_respondents"],
                    role_groups=False).collect()
    suppress = partial(_suppress, unit_sizes=sizes, ancestors=ancestors, min_unit_n=min_unit_n,
                       min_cell_n=min_cell_n, published=published)

    # Complementary suppression is NumPy work that holds the GIL; the aggregations are
    # polars work that releases it. One background thread settles each frame's
    # suppression while the main thread computes the next frames (the result does not
    # depend on the timing: every call is a pure function of its inputs).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="evalkit-suppress") as suppressor:
        # Respondent counts by role (context), with complementary suppression over roles too.
        role_counts = roll_up(
            resp.with_columns(n=pl.lit(1, pl.Int64), role_group=pl.col("role")), ["wave", "role"], ["n"],
            role_groups=False,
        ).collect()
        totals = roll_up(resp.with_columns(n=pl.lit(1, pl.Int64)), ["wave"], ["n"], role_groups=False).collect()
        counts = pl.concat([role_counts, totals.with_columns(role=pl.lit("all")).select(role_counts.columns)])
        counts_job = suppressor.submit(suppress, counts, keys=["wave"], role_column="role", role_total="all",
                                       role_parts=ROLES)

        # Items and their distributions. A row's primary n is the smallest positive base
        # of its figures: answered, or answered + don't-know when nobody answered on the scale.
        scored = scored_answers(data.answers.lazy(), resp, items).collect().lazy()
        item_sums = item_rollup(scored, resp, items)
        items_raw = summary_from_rollup(item_sums, items, sort=False).with_columns(
            _n_base=pl.when(pl.col("n") > 0).then(pl.col("n")).otherwise(pl.col("n") + pl.col("n_dont_know"))
        )
        item_keys = ["unit_level", "unit_id", "wave", "role_group", "dimension", "item_id"]
        items_job = suppressor.submit(suppress, items_raw, keys=["wave", "item_id"], n_column="_n_base")

        # Indices.
        rindex = respondent_indices_from_scored(scored, resp, items, min_answered_share=min_answered_share).collect()
        idx_raw = index_summary(rindex)
        idx_keys = ["unit_level", "unit_id", "wave", "role_group", "dimension"]
        idx_job = suppressor.submit(suppress, idx_raw, keys=["wave", "dimension"])
        if earlier:  # the trend's earlier waves, over their own units
            before = earlier_indices(data.respondents, data.answers, items, earlier,
                                     min_answered_share=min_answered_share)
            earlier_job = suppressor.submit(suppress, before.indices, keys=["wave", "dimension"],
                                            unit_sizes=before.unit_sizes, ancestors=before.ancestors)

        # Reliability (role group "all"; n = complete respondents).
        rel_raw = reliability_from_scored(scored, resp, items, respondent_index=rindex)
        rel_job = suppressor.submit(suppress, rel_raw, keys=["wave", "dimension"], role_column=None)

        # Team facts and what promotes or hinders (teams as the units), while the
        # suppression settles.
        teams_w = data.teams.filter(pl.col("wave").is_in(pl.Series(waves, dtype=pl.String).implode()))
        rec_raw = recruitment_summary(teams_w, resp_df)
        team_idx = team_means(rindex)
        prom = conform(promoters(teams_w, team_idx, min_cell_n=min_cell_n), "promoters")
        dist_raw = distribution_from_rollup(item_sums, items)

        # What needs no suppression, or only the counts (settled first), while the
        # thread settles the rest.
        charts, progress = _run_charts(data)
        # Every unit: teams with no respondents still exist (their charts, their
        # recruitment facts), and partner municipalities list their partner teams.
        units = Hierarchy.from_frames(resp_df, data.teams).units_frame()
        counts_out, dq_out, rec_out = _counts_quality_recruitment(
            counts_job.result(), items_raw, totals, rec_raw, data.rejections, min_cell_n=min_cell_n)

        items_flagged = items_job.result()
        items_out = conform(relevel(suppression.apply_suppression(items_flagged, keep=item_keys).drop("_n_base")),
                            "items")
        dist = dist_raw.join(
            items_flagged.select(*item_keys[:4], "item_id", "_hidden", "_reason"),
            on=[*item_keys[:4], "item_id"], how="left", maintain_order="left",
        ).with_columns(pl.col("_hidden").fill_null(True), _confidential=pl.lit(False), reason=pl.lit(None, pl.String))
        dist_out = conform(suppression.apply_suppression(dist, keep=[*item_keys, "level"]), "distributions")

        idx_flagged = idx_job.result()
        trend = pl.concat([earlier_job.result(), idx_flagged]) if earlier else idx_flagged
        idx_out = conform(suppression.apply_suppression(trend, keep=idx_keys), "indices")
        # Funnel plots read only what the indices frame shows (evalkit.metrics.funnel).
        funnels = funnel_frame(idx_out, min_unit_n=min_unit_n)
        # Comparisons, from figures flagged but not blanked: they inherit the flags.
        idx_for_comparison = idx_flagged.filter(pl.col("role_group") != "other").with_columns(
            suppressed=pl.col("_hidden")
        )
        focus = idx_for_comparison.filter(pl.col("wave") == wave)
        gaps = conform(comparisons.role_gaps(focus), "gaps")
        bench = conform(comparisons.benchmarks(focus, tree, min_cell_n=min_cell_n), "benchmarks")
        if compare_wave is not None:
            changes = conform(comparisons.wave_changes(idx_for_comparison, wave=wave, compare_wave=compare_wave),
                              "changes")
        else:
            changes = empty_frame("changes")
        rel_out = conform(suppression.apply_suppression(rel_job.result(), keep=[*idx_keys, "k"]), "reliability")

        # What goes with better involvement: the multilevel model of the wave, once.
        started = time.perf_counter()
        model = conform(with_simple_comparisons(
            involvement_model(rindex, teams_w, wave=wave, indices=idx_out, min_cell_n=min_cell_n,
                              min_unit_n=min_unit_n),
            prom, gaps), "model")
        model_seconds = time.perf_counter() - started

    settings = {
        "settings_version": SETTINGS_VERSION,
        "wave": wave,
        "compare_wave": compare_wave,
        "trend_waves": trend_waves(order, wave),
        "min_unit_n": min_unit_n,
        "min_cell_n": min_cell_n,
        "min_answered_share": min_answered_share,
        "instrument": f"{inst.id}@{inst.version}",
        "instrument_hash": instrument_hash(inst),
        "published_units_hash": None if published is None else _frame_hash(published.sort("unit_level", "unit_id")),
        "role_groups": {k: list(v) for k, v in ROLE_GROUPS.items()},
    }
    prepared = Prepared(
        items=items_out, distributions=dist_out, indices=idx_out, reliability=rel_out, gaps=gaps,
        benchmarks=bench, changes=changes, recruitment=rec_out, promoters=prom, funnels=funnels,
        model=model, respondent_counts=counts_out, data_quality=dq_out, charts=charts, progress=progress,
        units=units, settings=settings,
    )
    prepared.timings["model"] = model_seconds
    return prepared


def _counts_quality_recruitment(
    counts_flagged: pl.DataFrame, items_raw: pl.DataFrame, totals: pl.DataFrame, rec_raw: pl.DataFrame,
    rejections: pl.DataFrame, *, min_cell_n: int,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Respondent counts ("<5" under the threshold), data quality and recruitment, given
    the role counts' suppression flags."""
    small = f"<{min_cell_n}"
    counts_out = suppression.apply_suppression(
        counts_flagged.with_columns(
            n_display=pl.when(~pl.col("_hidden")).then(pl.col("n").cast(pl.String))
            .when((pl.col("n") > 0) & (pl.col("n") < min_cell_n)).then(pl.lit(small))
            .otherwise(pl.lit("–"))
        ),
        keep=["unit_level", "unit_id", "wave", "role", "n_display"],
    )
    counts_out = conform(_sort_counts(counts_out), "respondent_counts")

    # Data quality: answers, don't-know and missing over all items; rejections per unit.
    dq_out = conform(_data_quality(items_raw, rejections, totals, counts_flagged), "data_quality")

    # Recruitment (team facts: not people's answers; response rates are, and a rate is
    # hidden with its unit's respondent count).
    rr_flags = counts_flagged.select(
        "unit_level", "unit_id", "wave", pl.col("role").alias("category"), "_hidden",
    ).with_columns(indicator=pl.lit("response_rate"))
    rec = rec_raw.join(rr_flags, on=["unit_level", "unit_id", "wave", "indicator", "category"], how="left",
                       maintain_order="left")
    rec = rec.with_columns(
        _hidden=(pl.col("indicator") == "response_rate")
        & (pl.col("_hidden").fill_null(True) | ((pl.col("count") > 0) & (pl.col("count") < min_cell_n)))
        .fill_null(False),
    ).with_columns(
        _reason=pl.when(pl.col("_hidden")).then(pl.lit(suppression.CELL_TOO_SMALL)),
        _confidential=pl.lit(False),
    )
    rec_out = conform(suppression.apply_suppression(
        rec, keep=["unit_level", "unit_id", "wave", "indicator", "category", "statistic"]), "recruitment")
    return counts_out, dq_out, rec_out


def _sort_counts(frame: pl.DataFrame) -> pl.DataFrame:
    order = {r: i for i, r in enumerate(("all", *ROLES))}
    return relevel(frame.sort(pl.col("role").replace_strict(order, default=99, return_dtype=pl.Int8)))


def _frame_hash(frame: pl.DataFrame) -> str:
    return hashlib.sha256(json.dumps(frame.rows()).encode()).hexdigest()


def _data_quality(items_raw: pl.DataFrame, rejections: pl.DataFrame, totals: pl.DataFrame,
                  counts_flagged: pl.DataFrame) -> pl.DataFrame:
    keys = ["unit_level", "unit_id", "wave"]
    answered = items_raw.filter(pl.col("role_group") == "all").group_by(keys).agg(
        n_answered=pl.col("n").sum(), n_dont_know=pl.col("n_dont_know").sum(),
        n_missing=pl.col("n_missing").sum(),
    )
    if rejections.height and "unit" in rejections.columns:
        per_unit = rejections.filter(pl.col("unit").is_not_null()).group_by(pl.col("unit").alias("unit_id")).agg(
            n_rejections=pl.len().cast(pl.Int64))
        n_all = rejections.height
    else:
        per_unit = pl.DataFrame(schema={"unit_id": pl.String, "n_rejections": pl.Int64})
        n_all = 0
    flags = counts_flagged.filter(pl.col("role") == "all").select(*keys, "_hidden", "_reason", "_confidential")
    out = (
        totals.select(*keys, "n").join(answered, on=keys, how="left").join(flags, on=keys, how="left")
        .join(per_unit, on="unit_id", how="left")
        .with_columns(
            n_rejections=pl.when(pl.col("unit_level") == "all").then(pl.lit(n_all, pl.Int64))
            .otherwise(pl.col("n_rejections").fill_null(0)),
            share_missing=pl.when(pl.col("n_answered") + pl.col("n_dont_know") + pl.col("n_missing") > 0).then(
                pl.col("n_missing") / (pl.col("n_answered") + pl.col("n_dont_know") + pl.col("n_missing"))),
            reason=pl.lit(None, pl.String),
        )
    )
    return relevel(suppression.apply_suppression(out, keep=keys))


def _run_charts(data: CanonicalData) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run-chart and progress data (:mod:`evalkit.runchart`)."""
    charts = runchart.prepare_charts(data.measures, data.measure_catalogue, data.teams)
    progress = runchart.prepare_progress(data.progress, data.teams)
    return charts, progress


def settings_of(prepared: Prepared) -> Mapping[str, Any]:
    """The settings a prepared data set was built with."""
    return prepared.settings


__all__ = ["FRAMES", "Prepared", "prepare"]
