"""Item figures: distribution over scale levels, don't-know, share favourable, means.

Don't-know answers are counted apart (``n_dont_know``, ``share_dont_know``) and left out
of every denominator. Reverse-coded items are turned before the 0–100 mean and the
favourable share, so that 100 and "favourable" are always the good end; ``mean_scale``
is the plain mean of the codes as asked.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from evalkit.metrics._stats import wilson_arrays
from evalkit.metrics.rollup import relevel, roll_up
from evalkit.units import UNIT_LEVELS

_GROUP = ["wave", "team_id", "municipality_id", "network_id", "role"]


def scored_answers(answers: pl.LazyFrame, respondents: pl.LazyFrame, items: pl.DataFrame) -> pl.LazyFrame:
    """Answers joined to their respondent and item, with the turned 0–100 score.

    Only answers to items that apply to the respondent's role are kept. Columns: the
    respondent's unit columns and role, item_id, dimension, value, dont_know,
    ``answered`` (a scale code, not don't-know), ``score`` (0–100, 100 = best) and
    ``favourable``.
    """
    spec = items.lazy().select(
        "item_id", "dimension", "scale_min", "scale_max", "reverse", "favourable",
        pl.col("roles").alias("_roles"),
    )
    lo = pl.col("scale_min").cast(pl.Float64)
    hi = pl.col("scale_max").cast(pl.Float64)
    v = pl.col("value").cast(pl.Float64)
    turned = pl.when(pl.col("reverse")).then(lo + hi - v).otherwise(v)
    return (
        answers.select("respondent_id", "item_id", "value", "dont_know")
        .join(respondents.select("respondent_id", *_GROUP), on="respondent_id", how="inner")
        .join(spec, on="item_id", how="inner")
        .filter(pl.col("_roles").list.contains(pl.col("role")))
        .with_columns(
            answered=pl.col("value").is_not_null() & ~pl.col("dont_know"),
            score=((turned - lo) / (hi - lo) * 100.0),
            favourable=pl.col("favourable").list.contains(turned.cast(pl.Int8)),
        )
        .with_columns(
            score=pl.when(pl.col("answered")).then(pl.col("score")),
            favourable=pl.when(pl.col("answered")).then(pl.col("favourable")),
        )
        .drop("_roles", "scale_min", "scale_max", "reverse")
    )


def _eligible(respondents: pl.LazyFrame, items: pl.DataFrame) -> pl.LazyFrame:
    """Respondents per (wave, team, role, item) to whom the item applies."""
    applies = items.select("item_id", pl.col("roles").alias("role")).explode("role").lazy()
    return (
        respondents.group_by(_GROUP).agg(pl.len().alias("n_asked"))
        .join(applies, on="role", how="inner")
    )


def item_summary(
    answers: pl.DataFrame | pl.LazyFrame,
    respondents: pl.DataFrame | pl.LazyFrame,
    items: pl.DataFrame,
    *,
    levels: Sequence[str] = UNIT_LEVELS,
) -> pl.DataFrame:
    """Per unit, wave, role group and item: n, don't-know, share favourable, means.

    Not yet suppressed (see :func:`evalkit.metrics.suppression.suppress_figures`).

    Parameters
    ----------
    answers
        Canonical ``answers`` (respondent_id, item_id, value, dont_know).
    respondents
        Canonical ``respondents``.
    items
        ``Instrument.items_frame()``.
    levels
        Unit levels to compute.

    Returns
    -------
    polars.DataFrame
        Columns as documented for ``items`` in :mod:`evalkit.metrics.schema`, without
        the suppression columns.

    Examples
    --------
    >>> from evalkit.instrument import load_instrument
    >>> items = load_instrument().items_frame()
    >>> resp = pl.DataFrame({"respondent_id": ["a", "b", "c"], "wave": "w1",
    ...     "network_id": "N", "municipality_id": "0301", "team_id": "t", "role": "provider"})
    >>> ans = pl.DataFrame({"respondent_id": ["a", "b", "c"], "item_id": "eq_dominate",
    ...     "value": pl.Series([1, 2, None], dtype=pl.Int8), "dont_know": [False, False, True]})
    >>> out = item_summary(ans, resp, items, levels=["team"])
    >>> out.filter(role_group="all", item_id="eq_dominate").select("n", "n_dont_know", "share_favourable", "mean_scale", "mean_0_100").row(0)
    (2, 1, 1.0, 1.5, 87.5)
    """
    resp = respondents.lazy()
    return item_summary_from_scored(scored_answers(answers.lazy(), resp, items), resp, items, levels=levels)


def _codes(items: pl.DataFrame) -> list[int]:
    if items.height == 0:
        return []
    return list(range(int(items["scale_min"].min()), int(items["scale_max"].max()) + 1))  # type: ignore[arg-type]


def item_rollup(
    scored: pl.LazyFrame, resp: pl.LazyFrame, items: pl.DataFrame, *, levels: Sequence[str] = UNIT_LEVELS
) -> pl.DataFrame:
    """Summed item statistics per unit, wave, role group and item, including a
    ``count_<code>`` column per scale code: the one pass behind both
    :func:`item_summary` and :func:`item_distribution`."""
    codes = _codes(items)
    base = scored.group_by([*_GROUP, "item_id"]).agg(
        pl.col("answered").sum().cast(pl.Int64).alias("n"),
        pl.col("dont_know").sum().cast(pl.Int64).alias("n_dont_know"),
        pl.col("favourable").sum().cast(pl.Int64).alias("n_favourable"),
        pl.when(pl.col("answered")).then(pl.col("value").cast(pl.Float64)).sum().alias("sum_scale"),
        pl.col("score").sum().alias("sum_score"),
        (pl.col("score") ** 2).sum().alias("sumsq_score"),
        *[(pl.col("answered") & (pl.col("value") == c)).sum().cast(pl.Int64).alias(f"count_{c}") for c in codes],
    )
    counts = [f"count_{c}" for c in codes]
    eligible = _eligible(resp, items)
    base = eligible.join(base, on=[*_GROUP, "item_id"], how="left").with_columns(
        pl.col("n", "n_dont_know", "n_favourable", *counts).fill_null(0),
        pl.col("sum_scale", "sum_score", "sumsq_score").fill_null(0.0),
    )
    sums = ["n_asked", "n", "n_dont_know", "n_favourable", "sum_scale", "sum_score", "sumsq_score", *counts]
    return roll_up(base, ["wave", "item_id"], sums, levels=levels).collect()


def item_summary_from_scored(
    scored: pl.LazyFrame, resp: pl.LazyFrame, items: pl.DataFrame, *, levels: Sequence[str] = UNIT_LEVELS
) -> pl.DataFrame:
    """:func:`item_summary` from answers already passed through :func:`scored_answers`."""
    return summary_from_rollup(item_rollup(scored, resp, items, levels=levels), items)


def summary_from_rollup(rolled: pl.DataFrame, items: pl.DataFrame, *, sort: bool = True) -> pl.DataFrame:
    """The ``items`` figures from :func:`item_rollup`'s sums (in :func:`relevel` order
    unless ``sort`` is false)."""
    dims = items.select("item_id", "dimension")
    out = rolled.join(dims, on="item_id", how="left").with_columns(
        n_missing=(pl.col("n_asked") - pl.col("n") - pl.col("n_dont_know")).clip(lower_bound=0),
        share_dont_know=pl.when(pl.col("n") + pl.col("n_dont_know") > 0).then(
            pl.col("n_dont_know") / (pl.col("n") + pl.col("n_dont_know"))
        ),
        share_favourable=pl.when(pl.col("n") > 0).then(pl.col("n_favourable") / pl.col("n")),
        mean_scale=pl.when(pl.col("n") > 0).then(pl.col("sum_scale") / pl.col("n")),
        mean_0_100=pl.when(pl.col("n") > 0).then(pl.col("sum_score") / pl.col("n")),
        sd_0_100=pl.when(pl.col("n") > 1).then(
            ((pl.col("sumsq_score") - pl.col("sum_score") ** 2 / pl.col("n")) / (pl.col("n") - 1))
            .clip(lower_bound=0.0).sqrt()
        ),
        reason=pl.when(pl.col("n") > 0).then(pl.lit(None, pl.String))
        .when(pl.col("n_dont_know") > 0).then(pl.lit("all_dont_know"))
        .otherwise(pl.lit("no_answers")),
    )
    low, high = wilson_arrays(out["n_favourable"].to_numpy().astype(float), out["n"].to_numpy().astype(float))
    out = out.with_columns(
        ci_low=pl.Series(low).fill_nan(None), ci_high=pl.Series(high).fill_nan(None)
    )
    out = out.select(
        "unit_level", "unit_id", "wave", "role_group", "dimension", "item_id",
        "n", "n_dont_know", "n_missing", "share_dont_know", "n_favourable",
        "share_favourable", "ci_low", "ci_high", "mean_scale", "mean_0_100", "sd_0_100",
        "reason",
    )
    return relevel(out) if sort else out


def item_distribution(
    answers: pl.DataFrame | pl.LazyFrame,
    respondents: pl.DataFrame | pl.LazyFrame,
    items: pl.DataFrame,
    *,
    levels: Sequence[str] = UNIT_LEVELS,
) -> pl.DataFrame:
    """Counts and shares over the scale levels per unit, wave, role group and item.

    Every level of the item's scale has a row (count 0 where nobody chose it); shares
    are over the answered (don't-know left out; it is in :func:`item_summary`).

    Examples
    --------
    >>> from evalkit.instrument import load_instrument
    >>> items = load_instrument().items_frame()
    >>> resp = pl.DataFrame({"respondent_id": ["a", "b"], "wave": "w1",
    ...     "network_id": "N", "municipality_id": "0301", "team_id": "t", "role": "provider"})
    >>> ans = pl.DataFrame({"respondent_id": ["a", "b"], "item_id": "eq_respect",
    ...     "value": pl.Series([4, 5], dtype=pl.Int8), "dont_know": False})
    >>> out = item_distribution(ans, resp, items, levels=["team"]).filter(role_group="all")
    >>> out.select("level", "count", "share").rows()
    [(1, 0, 0.0), (2, 0, 0.0), (3, 0, 0.0), (4, 1, 0.5), (5, 1, 0.5)]
    """
    scored = scored_answers(answers.lazy(), respondents.lazy(), items)
    return item_distribution_from_scored(scored, items, levels=levels, resp=respondents.lazy())


def item_distribution_from_scored(
    scored: pl.LazyFrame, items: pl.DataFrame, *, levels: Sequence[str] = UNIT_LEVELS,
    resp: pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """:func:`item_distribution` from answers already passed through :func:`scored_answers`."""
    if resp is None:
        resp = scored.select(*_GROUP, "respondent_id").unique()
    return distribution_from_rollup(item_rollup(scored, resp, items, levels=levels), items)


def distribution_from_rollup(rolled: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """The ``distributions`` frame from :func:`item_rollup`'s sums (every scale level)."""
    counts = [c for c in rolled.columns if c.startswith("count_")]
    keys = ["unit_level", "unit_id", "wave", "role_group", "item_id"]
    spec = items.select("item_id", "dimension", "scale_min", "scale_max")
    codes = [int(c.removeprefix("count_")) for c in counts]
    # One list of counts per row, exploded: rows stay grouped in the roll-up's order.
    out = (
        relevel(rolled.filter(pl.col("n") > 0))
        .select(*keys, "n", pl.concat_list(counts).alias("count"),
                pl.lit(pl.Series([codes], dtype=pl.List(pl.Int8))).first().alias("level"))
        .explode("count", "level")
        .join(spec, on="item_id", how="left", maintain_order="left")
        .filter((pl.col("level") >= pl.col("scale_min")) & (pl.col("level") <= pl.col("scale_max")))
        .with_columns(share=pl.col("count") / pl.col("n"))
        .select("unit_level", "unit_id", "wave", "role_group", "dimension", "item_id", "level",
                "n", "count", "share")
    )
    return out
