"""Cronbach's alpha per dimension, with a Feldt interval; listwise deletion.

alpha = k/(k−1) · (1 − Σ var(item) / var(total)), from the turned 0–100 item scores of
the respondents who answered every item of the dimension (don't-know counts as
missing). Alpha is computed from additive sums, so it is deterministic and the same
whatever the row order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import polars as pl

from evalkit.metrics._stats import feldt_arrays, fixed
from evalkit.metrics.likert import scored_answers
from evalkit.metrics.rollup import relevel, roll_up
from evalkit.units import UNIT_LEVELS

VAR_STEPS: Final = 10**8
"""Item variances (at most 2,500 on 0–100 scores) are summed in steps of 1e-8, exactly."""

ALPHA_FLAG: Final = 0.70
"""Alpha under this is flagged (``low_reliability``)."""

_UNIT = ["wave", "team_id", "municipality_id", "network_id"]


def cronbach_alpha(items: pl.DataFrame) -> float | None:
    """Cronbach's alpha of a respondents × items frame (listwise deletion).

    Parameters
    ----------
    items
        One row per respondent, one numeric column per item. Rows with any null are
        dropped.

    Returns
    -------
    float or None
        None when alpha is undefined: fewer than 2 items, fewer than 2 complete rows,
        or zero variance of the total score.

    Examples
    --------
    >>> df = pl.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]})
    >>> round(cronbach_alpha(df), 4)
    0.9333
    >>> cronbach_alpha(df.select("a")) is None
    True
    """
    if items.width < 2:
        return None
    complete = items.drop_nulls()
    if complete.height < 2:
        return None
    x = complete.select(pl.all().cast(pl.Float64)).to_numpy()
    k = x.shape[1]
    total_var = float(np.var(x.sum(axis=1), ddof=1))
    if not np.isfinite(total_var) or total_var <= 1e-12:
        return None
    item_var = float(np.var(x, axis=0, ddof=1).sum())
    return float(k / (k - 1) * (1 - item_var / total_var))


def reliability(
    answers: pl.DataFrame | pl.LazyFrame,
    respondents: pl.DataFrame | pl.LazyFrame,
    items: pl.DataFrame,
    *,
    levels: Sequence[str] = UNIT_LEVELS,
) -> pl.DataFrame:
    """Cronbach's alpha per unit, wave and dimension, with a Feldt 95 % interval.

    Not yet suppressed; ``n`` is the number of complete respondents. A dimension with
    one item, under two complete respondents or zero total variance gives a null alpha
    with its ``reason``.

    Examples
    --------
    >>> from evalkit.instrument import load_instrument
    >>> items = load_instrument().items_frame()
    >>> resp = pl.DataFrame({"respondent_id": list("abcd"), "wave": "w1", "network_id": "N",
    ...     "municipality_id": "0301", "team_id": "t", "role": "provider"})
    >>> ans = pl.DataFrame({"respondent_id": list("abcd") * 3,
    ...     "item_id": ["imp_aims"] * 4 + ["imp_changes"] * 4 + ["imp_results"] * 4,
    ...     "value": pl.Series([1, 2, 3, 4, 2, 2, 4, 4, 1, 3, 3, 5], dtype=pl.Int8), "dont_know": False})
    >>> out = reliability(ans, resp, items, levels=["team"]).filter(dimension="impact")
    >>> out.select("n", "k", pl.col("alpha").round(4)).row(0)
    (4, 3, 0.9333)
    """
    resp = respondents.lazy()
    return reliability_from_scored(scored_answers(answers.lazy(), resp, items), resp, items, levels=levels)


def reliability_from_scored(
    scored: pl.LazyFrame,
    resp: pl.LazyFrame,
    items: pl.DataFrame,
    *,
    levels: Sequence[str] = UNIT_LEVELS,
    respondent_index: pl.DataFrame | pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """:func:`reliability` from answers already passed through :func:`scored_answers`.

    ``respondent_index`` (from :func:`evalkit.metrics.indices.respondent_indices`, any
    ``min_answered_share``) saves a pass over the answers when it is at hand.
    """
    k_items = items.group_by("dimension").agg(k=pl.len().cast(pl.Int64))
    if respondent_index is None:
        from evalkit.metrics.indices import respondent_indices_from_scored

        respondent_index = respondent_indices_from_scored(scored, resp, items)
    # Complete respondents answered every item of the dimension, so their index is the
    # mean of all k scores and their total score is index × k.
    complete = (
        respondent_index.lazy()
        .join(k_items.lazy(), on="dimension")
        .filter(pl.col("n_answered") == pl.col("k"))
        .select("respondent_id", "dimension", *_UNIT, total=pl.col("index") * pl.col("k"))
    )
    # Sums as exact whole numbers (totals in steps of 1/100, so that their squares fit),
    # turned into floats once: the same data give the same bits in any thread order.
    totals = complete.group_by(*_UNIT, "dimension").agg(
        n=pl.len().cast(pl.Int64), sum_t=fixed(pl.col("total"), 100).sum(),
        sumsq_t=(fixed(pl.col("total"), 100) ** 2).sum(),
    )
    per_item = (
        scored.filter(pl.col("answered"))
        .join(complete.select("respondent_id", "dimension"), on=["respondent_id", "dimension"], how="semi")
        .group_by(*_UNIT, "dimension", "item_id")
        .agg(sum_x=fixed(pl.col("score"), 100).sum(), sumsq_x=(fixed(pl.col("score"), 100) ** 2).sum(),
             n_x=pl.len().cast(pl.Int64))
    )
    t_roll = roll_up(totals, ["wave", "dimension"], ["n", "sum_t", "sumsq_t"], levels=levels,
                     role_groups=False).with_columns(sum_t=pl.col("sum_t") / 100, sumsq_t=pl.col("sumsq_t") / 10_000)
    i_roll = (
        roll_up(per_item, ["wave", "dimension", "item_id"], ["sum_x", "sumsq_x", "n_x"], levels=levels,
                role_groups=False)
        .with_columns(sum_x=pl.col("sum_x") / 100, sumsq_x=pl.col("sumsq_x") / 10_000)
        .with_columns(var_x=(pl.col("sumsq_x") - pl.col("sum_x") ** 2 / pl.col("n_x")) / (pl.col("n_x") - 1))
        .group_by("unit_level", "unit_id", "wave", "dimension")
        .agg(sum_var=fixed(pl.col("var_x"), VAR_STEPS).sum() / VAR_STEPS)
    )
    keys = ["unit_level", "unit_id", "wave", "dimension"]
    # Every unit/wave with respondents gets a row for every dimension, complete or not.
    unit_waves = roll_up(resp.select(*_UNIT).with_columns(one=pl.lit(1)), ["wave"], ["one"],
                         levels=levels, role_groups=False).select("unit_level", "unit_id", "wave")
    rolled = (
        unit_waves.join(k_items.lazy(), how="cross")
        .join(t_roll, on=keys, how="left")
        .join(i_roll, on=keys, how="left")
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(
            var_t=pl.when(pl.col("n") > 1).then(
                (pl.col("sumsq_t") - pl.col("sum_t") ** 2 / pl.col("n")) / (pl.col("n") - 1)
            )
        )
        .collect()
    )
    k = rolled["k"].cast(pl.Float64)
    var_t = rolled["var_t"].fill_null(np.nan).to_numpy().astype(float)
    # Relative tolerance: sums of squares of scores up to 100 lose ~1e-12 to rounding.
    zero_var = ~(var_t > 1e-9 * np.maximum(1.0, np.abs(rolled["sumsq_t"].fill_null(0.0).to_numpy()) /
                                           np.maximum(1.0, rolled["n"].to_numpy())))
    sum_var = rolled["sum_var"].fill_null(np.nan).to_numpy().astype(float)
    kk = k.to_numpy()
    n = rolled["n"].to_numpy().astype(float)
    ok = (kk >= 2) & (n >= 2) & ~zero_var
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(ok, kk / (kk - 1) * (1 - sum_var / var_t), np.nan)
    low, high = feldt_arrays(alpha, n, kk)
    reason = np.select(
        [kk < 2, n < 2, zero_var],
        ["one_item", "fewer_than_2_complete", "zero_variance"],
        default="",
    )
    out = rolled.with_columns(
        alpha=pl.Series(alpha).fill_nan(None),
        ci_low=pl.Series(low).fill_nan(None),
        ci_high=pl.Series(high).fill_nan(None),
        reason=pl.Series(reason).replace("", None),
    ).with_columns(
        low_reliability=pl.when(pl.col("alpha").is_not_null()).then(pl.col("alpha") < ALPHA_FLAG),
        role_group=pl.lit("all"),
    )
    return relevel(
        out.select("unit_level", "unit_id", "wave", "role_group", "dimension", "k", "n", "alpha",
                   "ci_low", "ci_high", "low_reliability", "reason")
    )
