"""Dimension indices on 0–100 (equality, impact, …): per respondent, then per unit.

A respondent's index for a dimension is the mean of their turned 0–100 item scores,
computed only when they answered at least ``min_answered_share`` of the dimension's
items that apply to their role (don't-know counts as not answered). A respondent is
*favourable* on an index when it reaches the 0–100 position of the scale's lowest
favourable level (75 on a 1–5 scale whose favourable levels are 4 and 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from evalkit.metrics._stats import FIXED, fixed, t_interval_arrays, wilson_arrays
from evalkit.metrics.likert import scored_answers
from evalkit.metrics.rollup import relevel, roll_up
from evalkit.units import UNIT_LEVELS

_GROUP = ["wave", "team_id", "municipality_id", "network_id", "role"]


def favourable_thresholds(items: pl.DataFrame) -> pl.DataFrame:
    """Per dimension, the 0–100 score from which a respondent's index is favourable.

    Examples
    --------
    >>> from evalkit.instrument import load_instrument
    >>> favourable_thresholds(load_instrument().items_frame()).filter(dimension="equality").row(0)
    ('equality', 75.0)
    """
    return (
        items.select(
            "dimension",
            threshold=(pl.col("favourable").list.min().cast(pl.Float64) - pl.col("scale_min"))
            / (pl.col("scale_max") - pl.col("scale_min")).cast(pl.Float64) * 100.0,
        )
        .group_by("dimension")
        .agg(pl.col("threshold").min())
        .sort("dimension")
    )


def respondent_indices(
    answers: pl.DataFrame | pl.LazyFrame,
    respondents: pl.DataFrame | pl.LazyFrame,
    items: pl.DataFrame,
    *,
    min_answered_share: float = 0.5,
) -> pl.LazyFrame:
    """One row per respondent and dimension whose items apply to the respondent's role.

    Columns: respondent_id, wave, team_id, municipality_id, network_id, role, dimension,
    n_items (items that apply), n_answered, index (0–100, null under the answered share),
    favourable (index at or over the dimension's threshold; null with the index).

    Examples
    --------
    >>> from evalkit.instrument import load_instrument
    >>> items = load_instrument().items_frame()
    >>> resp = pl.DataFrame({"respondent_id": ["a"], "wave": "w1", "network_id": "N",
    ...     "municipality_id": "0301", "team_id": "t", "role": "provider"})
    >>> ans = pl.DataFrame({"respondent_id": "a", "item_id": ["imp_aims", "imp_changes", "imp_results"],
    ...     "value": pl.Series([5, 4, None], dtype=pl.Int8), "dont_know": [False, False, True]})
    >>> out = respondent_indices(ans, resp, items).filter(dimension="impact").collect()
    >>> out.select("n_items", "n_answered", "index", "favourable").row(0)
    (3, 2, 87.5, True)
    """
    if not 0 < min_answered_share <= 1:
        raise ValueError(f"min_answered_share must be in (0, 1], got {min_answered_share}")
    return respondent_indices_from_scored(
        scored_answers(answers.lazy(), respondents.lazy(), items), respondents.lazy(), items,
        min_answered_share=min_answered_share,
    )


def respondent_indices_from_scored(
    scored_answers: pl.LazyFrame,
    resp: pl.LazyFrame,
    items: pl.DataFrame,
    *,
    min_answered_share: float = 0.5,
) -> pl.LazyFrame:
    """:func:`respondent_indices` from answers already passed through ``scored_answers``."""
    if not 0 < min_answered_share <= 1:
        raise ValueError(f"min_answered_share must be in (0, 1], got {min_answered_share}")
    per_role = (
        items.select("dimension", pl.col("roles").alias("role")).explode("role")
        .group_by("role", "dimension").agg(n_items=pl.len().cast(pl.Int64)).lazy()
    )
    scored = (
        scored_answers
        .group_by("respondent_id", "dimension")
        .agg(n_answered=pl.col("answered").sum().cast(pl.Int64), mean=pl.col("score").mean())
    )
    thresholds = favourable_thresholds(items).lazy()
    return (
        resp.select("respondent_id", *_GROUP)
        .join(per_role, on="role", how="inner")
        .join(scored, on=["respondent_id", "dimension"], how="left")
        .join(thresholds, on="dimension", how="left")
        .with_columns(pl.col("n_answered").fill_null(0))
        .with_columns(
            index=pl.when(
                (pl.col("n_answered") > 0)
                & (pl.col("n_answered") >= pl.col("n_items") * min_answered_share - 1e-9)
            ).then(pl.col("mean"))
        )
        .with_columns(favourable=pl.col("index") >= pl.col("threshold"))
        .drop("mean", "threshold")
    )


def index_summary(
    respondent_index: pl.DataFrame | pl.LazyFrame,
    *,
    levels: Sequence[str] = UNIT_LEVELS,
) -> pl.DataFrame:
    """Per unit, wave, role group and dimension: mean index with a t interval, share favourable.

    Not yet suppressed. Columns as documented for ``indices`` in
    :mod:`evalkit.metrics.schema`, without the suppression columns.

    Examples
    --------
    >>> ri = pl.DataFrame({"respondent_id": ["a", "b", "c"], "wave": "w1", "network_id": "N",
    ...     "municipality_id": "0301", "team_id": "t", "role": "provider", "dimension": "impact",
    ...     "index": [50.0, 75.0, 100.0], "favourable": [False, True, True]})
    >>> out = index_summary(ri, levels=["team"]).filter(role_group="all")
    >>> out.select("n", "mean", "sd", "n_favourable").row(0)
    (3, 75.0, 25.0, 2)
    >>> round(out["ci_low"][0], 2), round(out["ci_high"][0], 2)  # 75 ± t(.975, 2)·25/√3
    (12.9, 137.1)
    """
    lf = respondent_index.lazy().filter(pl.col("index").is_not_null())
    base = lf.group_by([*_GROUP, "dimension"]).agg(
        n=pl.len().cast(pl.Int64),
        n_favourable=pl.col("favourable").sum().cast(pl.Int64),
        sum_index=fixed(pl.col("index")).sum(),
        sumsq_index=(fixed(pl.col("index")) ** 2).sum(),
    )
    # Exact whole-number sums (see evalkit.metrics._stats.fixed), turned into floats once.
    rolled = roll_up(base, ["wave", "dimension"], ["n", "n_favourable", "sum_index", "sumsq_index"],
                     levels=levels).collect().with_columns(
        sum_index=pl.col("sum_index") / FIXED, sumsq_index=pl.col("sumsq_index") / (FIXED * FIXED))
    return finish_index_summary(rolled)


def finish_index_summary(rolled: pl.DataFrame) -> pl.DataFrame:
    """Turn summed statistics (n, n_favourable, sum_index, sumsq_index) into figures."""
    out = rolled.with_columns(
        mean=pl.when(pl.col("n") > 0).then(pl.col("sum_index") / pl.col("n")),
        sd=pl.when(pl.col("n") > 1).then(
            ((pl.col("sumsq_index") - pl.col("sum_index") ** 2 / pl.col("n")) / (pl.col("n") - 1))
            .clip(lower_bound=0.0).sqrt()
        ),
        share_favourable=pl.when(pl.col("n") > 0).then(pl.col("n_favourable") / pl.col("n")),
    )
    n = out["n"].to_numpy().astype(float)
    mean = out["mean"].fill_null(np.nan).to_numpy().astype(float)
    sd = out["sd"].fill_null(np.nan).to_numpy().astype(float)
    low, high = t_interval_arrays(mean, sd, n)
    flow, fhigh = wilson_arrays(out["n_favourable"].to_numpy().astype(float), n)
    out = out.with_columns(
        ci_low=pl.Series(low).fill_nan(None),
        ci_high=pl.Series(high).fill_nan(None),
        favourable_ci_low=pl.Series(flow).fill_nan(None),
        favourable_ci_high=pl.Series(fhigh).fill_nan(None),
        reason=pl.when(pl.col("n") == 0).then(pl.lit("no_answers"))
        .when(pl.col("n") == 1).then(pl.lit("one_respondent_no_interval")),
    )
    return relevel(
        out.select(
            "unit_level", "unit_id", "wave", "role_group", "dimension", "n", "mean", "sd",
            "ci_low", "ci_high", "n_favourable", "share_favourable", "favourable_ci_low",
            "favourable_ci_high", "reason",
        )
    )
