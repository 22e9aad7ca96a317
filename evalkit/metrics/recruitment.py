"""Team-survey figures: how user representatives were recruited, and what it did.

These describe a team's practice (reported by the team lead), so ``n`` counts teams and
they may be shown per team. Response rates are about people and are suppressed like
member-survey figures (see :func:`evalkit.metrics.prepare`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from evalkit.metrics._stats import FIXED, fixed, t_interval_arrays, welch_arrays, wilson_arrays
from evalkit.metrics.rollup import relevel, roll_up
from evalkit.schema import CHANNELS, ROLES
from evalkit.units import UNIT_LEVELS

_TEAM = ["wave", "team_id", "municipality_id", "network_id"]


def _long_team_facts(teams: pl.DataFrame, channels: Sequence[str]) -> pl.DataFrame:
    """One row per team, wave, indicator and category with answered (0/1) and value."""
    t = teams
    frames = []

    def add(indicator: str, category: pl.Expr, statistic: str, answered: pl.Expr, value: pl.Expr) -> None:
        frames.append(
            t.select(
                *_TEAM,
                indicator=pl.lit(indicator),
                category=category.cast(pl.String),
                statistic=pl.lit(statistic),
                answered=answered.cast(pl.Float64),
                value=pl.when(answered).then(value.cast(pl.Float64)).otherwise(0.0),
            )
        )

    for channel in channels:
        add("channel", pl.lit(channel), "share", pl.col("channels").is_not_null(),
            pl.col("channels").list.contains(pl.lit(channel)))
    add("reps_trained", pl.lit(None), "share", pl.col("reps_trained").is_not_null(), pl.col("reps_trained"))
    add("relatives_involved", pl.lit(None), "share", pl.col("n_relative_reps").is_not_null(),
        pl.col("n_relative_reps") > 0)
    add("any_reps_left", pl.lit(None), "share", pl.col("reps_left").is_not_null(), pl.col("reps_left") > 0)
    add("recruitment_difficulty", pl.lit(None), "mean", pl.col("recruitment_difficulty").is_not_null(),
        pl.col("recruitment_difficulty"))
    for level in range(1, 6):
        add("recruitment_difficulty_level", pl.lit(str(level)), "share",
            pl.col("recruitment_difficulty").is_not_null(), pl.col("recruitment_difficulty") == level)
    add("months_to_recruit", pl.lit(None), "mean", pl.col("months_to_recruit").is_not_null(),
        pl.col("months_to_recruit"))
    add("reps_left", pl.lit(None), "mean", pl.col("reps_left").is_not_null(), pl.col("reps_left"))
    return pl.concat(frames)


def recruitment_summary(
    teams: pl.DataFrame,
    respondents: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    channels: Sequence[str] = CHANNELS,
    levels: Sequence[str] = UNIT_LEVELS,
) -> pl.DataFrame:
    """Recruitment figures per unit and wave (not yet suppressed; see the schema).

    ``respondents`` (optional) gives response rates per role where ``invited_<role>``
    is known.

    Examples
    --------
    >>> teams = pl.DataFrame({"team_id": ["a", "b"], "wave": "w", "municipality_id": "0301",
    ...     "network_id": "N", "channels": [["user_organisation"], ["known_to_team", "other"]],
    ...     "reps_trained": [True, False], "n_relative_reps": [0, 1], "reps_left": [0, 2],
    ...     "recruitment_difficulty": [2, 4], "months_to_recruit": [1.0, 3.0]})
    >>> out = recruitment_summary(teams, levels=["municipality"])
    >>> out.filter(indicator="channel", category="user_organisation").select("n", "count", "estimate").row(0)
    (2, 1.0, 0.5)
    >>> out.filter(indicator="months_to_recruit").select("n", "estimate").row(0)
    (2, 2.0)
    """
    # Exact whole-number sums (evalkit.metrics._stats.fixed), floats again after the roll-up.
    facts = _long_team_facts(teams, channels).with_columns(
        value=fixed(pl.col("value")), value_sq=fixed(pl.col("value")) ** 2)
    keys = ["wave", "indicator", "category", "statistic"]
    rolled = roll_up(facts.lazy(), keys, ["answered", "value", "value_sq"], levels=levels,
                     role_groups=False).collect().with_columns(
        value=pl.col("value") / FIXED, value_sq=pl.col("value_sq") / (FIXED * FIXED))
    frames = [_finish(rolled)]
    if respondents is not None:
        frames.append(_response_rates(teams, respondents, levels))
    out = pl.concat([f for f in frames if f.height], how="vertical") if any(f.height for f in frames) else frames[0]
    return relevel(out.sort("indicator", "category", nulls_last=False))


def _finish(rolled: pl.DataFrame) -> pl.DataFrame:
    n = rolled["answered"].to_numpy()
    s = rolled["value"].to_numpy()
    ss = rolled["value_sq"].to_numpy()
    is_share = (rolled["statistic"] == "share").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(n > 0, s / n, np.nan)
        sd = np.sqrt(np.clip((ss - s * s / n) / (n - 1), 0, None))
    wl, wh = wilson_arrays(s, n)
    tl, th = t_interval_arrays(est, sd, n)
    low = np.where(is_share, wl, tl)
    high = np.where(is_share, wh, th)
    return rolled.select(
        "unit_level", "unit_id", "wave", "indicator", "category", "statistic",
        n=pl.col("answered").cast(pl.Int64),
        count=pl.col("value"),
        estimate=pl.Series(est).fill_nan(None),
        ci_low=pl.Series(low).fill_nan(None),
        ci_high=pl.Series(high).fill_nan(None),
        reason=pl.when(pl.col("answered") == 0).then(pl.lit("no_answers")),
    )


def _response_rates(teams: pl.DataFrame, respondents: pl.DataFrame | pl.LazyFrame,
                    levels: Sequence[str]) -> pl.DataFrame:
    got = (
        respondents.lazy().group_by("wave", "team_id", "role").agg(resp=pl.len().cast(pl.Float64))
        .collect()
    )
    frames = []
    for role in ROLES:
        col = f"invited_{role}"
        invited = pl.col(col).cast(pl.Float64) if col in teams.columns else pl.lit(None, pl.Float64)
        part = (
            teams.select(*_TEAM, invited=invited, role=pl.lit(role))
            .with_columns(unknown=pl.col("invited").is_null().cast(pl.Int64), invited=pl.col("invited").fill_null(0.0))
            .join(got, on=["wave", "team_id", "role"], how="left")
            .with_columns(pl.col("resp").fill_null(0.0))
        )
        frames.append(part)
    long = pl.concat(frames)
    total = long.with_columns(role=pl.lit("all"))
    rolled = roll_up(pl.concat([long, total]).lazy(), ["wave", "role"], ["invited", "resp", "unknown"],
                     levels=levels, role_groups=False).collect()
    # A rate only where every team's invitations are known: then its count of
    # respondents is the unit's own respondent count (suppressed with it), never a new
    # sum of some of its teams that differences could work a small figure out of.
    known = rolled["unknown"].to_numpy() == 0
    n = np.where(known, rolled["invited"].to_numpy(), np.nan)
    x = np.minimum(rolled["resp"].to_numpy(), n)  # more answers than invitations: cap at 100 %
    low, high = wilson_arrays(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(n > 0, x / n, np.nan)
    return rolled.select(
        "unit_level", "unit_id", "wave",
        indicator=pl.lit("response_rate"),
        category=pl.col("role"),
        statistic=pl.lit("share"),
        n=pl.Series(n).fill_nan(None).cast(pl.Int64),
        count=pl.Series(np.where(known, rolled["resp"].to_numpy(), np.nan)).fill_nan(None),
        estimate=pl.Series(est).fill_nan(None),
        ci_low=pl.Series(low).fill_nan(None),
        ci_high=pl.Series(high).fill_nan(None),
        reason=pl.when(pl.col("unknown") > 0).then(pl.lit("invited_not_known_for_every_team"))
        .when(pl.col("invited") == 0).then(pl.lit("none_invited")),
    )


def team_means(respondent_index: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Each team's mean index per wave and dimension (all roles), with its respondent n."""
    return (
        respondent_index.lazy().filter(pl.col("index").is_not_null())
        .group_by("wave", "team_id", "dimension")
        .agg(team_mean=fixed(pl.col("index")).sum() / FIXED / pl.len(), n_respondents=pl.len().cast(pl.Int64))
        .collect()
    )


def promoters(
    teams: pl.DataFrame,
    team_index: pl.DataFrame,
    *,
    dimensions: Sequence[str] = ("equality", "impact"),
    channels: Sequence[str] = CHANNELS,
    levels: Sequence[str] = ("municipality", "network", "all"),
    min_cell_n: int = 5,
) -> pl.DataFrame:
    """Team-mean index of teams with a factor against teams without, teams as the units.

    Factors: each recruitment channel (used vs not) and trained vs untrained
    representatives. A row is suppressed when a side has fewer than 2 teams or
    0 < respondents < ``min_cell_n`` behind it (a side's mean would show one team's or
    a few people's answers).

    Examples
    --------
    >>> teams = pl.DataFrame({"team_id": list("abcd"), "wave": "w", "municipality_id": "0301",
    ...     "network_id": "N", "channels": [["user_organisation"]] * 2 + [["other"]] * 2,
    ...     "reps_trained": [True, True, False, False]})
    >>> ti = pl.DataFrame({"wave": "w", "team_id": list("abcd"), "dimension": "equality",
    ...     "team_mean": [80.0, 90.0, 60.0, 70.0], "n_respondents": [6, 6, 6, 6]})
    >>> out = promoters(teams, ti, dimensions=["equality"], levels=["network"])
    >>> out.filter(factor="reps_trained").select("n_with", "n_without", "estimate").row(0)
    (2, 2, 20.0)
    """
    factor_frames = [
        teams.select(*_TEAM, factor=pl.lit(f"channel:{c}"),
                     has=pl.when(pl.col("channels").is_not_null()).then(pl.col("channels").list.contains(pl.lit(c))))
        for c in channels
    ]
    factor_frames.append(teams.select(*_TEAM, factor=pl.lit("reps_trained"), has=pl.col("reps_trained")))
    factors = pl.concat(factor_frames).filter(pl.col("has").is_not_null())
    joined = factors.join(
        team_index.filter(pl.col("dimension").is_in(pl.Series(list(dimensions), dtype=pl.String).implode())), on=["wave", "team_id"], how="inner"
    ).with_columns(
        w=pl.col("has").cast(pl.Float64), wo=(~pl.col("has")).cast(pl.Float64),
    ).with_columns(
        n_with=pl.col("w"), n_without=pl.col("wo"),
        # Exact whole-number sums (evalkit.metrics._stats.fixed), floats again after the roll-up.
        s_with=fixed(pl.col("w") * pl.col("team_mean")), s_without=fixed(pl.col("wo") * pl.col("team_mean")),
        ss_with=fixed(pl.col("w") * pl.col("team_mean")) ** 2, ss_without=fixed(pl.col("wo") * pl.col("team_mean")) ** 2,
        r_with=pl.col("w") * pl.col("n_respondents"), r_without=pl.col("wo") * pl.col("n_respondents"),
    )
    sums = ["n_with", "n_without", "s_with", "s_without", "ss_with", "ss_without", "r_with", "r_without"]
    if joined.height == 0:
        from evalkit.metrics.schema import empty_frame

        return empty_frame("promoters")
    rolled = roll_up(joined.lazy(), ["wave", "dimension", "factor"], sums, levels=levels,
                     role_groups=False).collect().with_columns(
        *[(pl.col(c) / FIXED).alias(c) for c in ("s_with", "s_without")],
        *[(pl.col(c) / (FIXED * FIXED)).alias(c) for c in ("ss_with", "ss_without")])

    def arr(c: str) -> np.ndarray:
        return rolled[c].to_numpy().astype(float)

    n1, n0 = arr("n_with"), arr("n_without")
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = arr("s_with") / n1, arr("s_without") / n0
        v1 = (arr("ss_with") - arr("s_with") ** 2 / n1) / (n1 - 1)
        v0 = (arr("ss_without") - arr("s_without") ** 2 / n0) / (n0 - 1)
    d, lo, hi, p = welch_arrays(m1, np.clip(v1, 0, None), n1, m0, np.clip(v0, 0, None), n0)
    r1, r0 = arr("r_with"), arr("r_without")
    hidden = (n1 < 2) | (n0 < 2) | ((r1 > 0) & (r1 < min_cell_n)) | ((r0 > 0) & (r0 < min_cell_n))
    out = rolled.select(
        "unit_level", "unit_id", "wave", "dimension", "factor",
        n=(pl.col("n_with") + pl.col("n_without")).cast(pl.Int64),
        n_with=pl.col("n_with").cast(pl.Int64),
        n_without=pl.col("n_without").cast(pl.Int64),
        mean_with=pl.Series(m1).fill_nan(None),
        mean_without=pl.Series(m0).fill_nan(None),
        estimate=pl.Series(d).fill_nan(None),
        ci_low=pl.Series(lo).fill_nan(None),
        ci_high=pl.Series(hi).fill_nan(None),
        p_value=pl.Series(p).fill_nan(None),
        _hidden=pl.Series(hidden),
    ).with_columns(
        flag=pl.when(pl.col("ci_low").is_not_null()).then((pl.col("ci_low") > 0) | (pl.col("ci_high") < 0)),
        reason=pl.when(pl.col("_hidden")).then(pl.lit("too_few_teams_or_people"))
        .when(pl.col("estimate").is_null()).then(pl.lit("too_few_to_compare")),
    )
    blank = ["n", "n_with", "n_without", "mean_with", "mean_without", "estimate", "ci_low", "ci_high",
             "p_value", "flag"]
    out = out.with_columns(
        *[pl.when(pl.col("_hidden")).then(None).otherwise(pl.col(c)).alias(c) for c in blank],
        suppressed=pl.col("_hidden"),
    ).drop("_hidden")
    return relevel(out)
