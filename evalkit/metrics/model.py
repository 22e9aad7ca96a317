"""What goes with better involvement, modelled: a multilevel model of each index.

Respondents are nested in teams in municipalities, so a comparison of teams that ignores
the nesting overstates its certainty. For each dimension (index) and the batch's wave,
:func:`involvement_model` fits

    index ~ side + reps_trained + channel:user_organisation + … + (1 | municipality/team)

by restricted maximum likelihood (:mod:`evalkit.metrics._mixed`, exact, from each team's
sufficient statistics; the same likelihood as statsmodels' ``MixedLM``).

Who is in the model: every respondent of the user side (user and relative
representatives) or the provider side (providers and leaders) with an index in the wave.
Experience consultants and "other" are neither side and are left out. So ``n`` is the sum
of two figures of the indices frame for the whole data set (user side and provider side),
and it is shown only when the indices frame shows both (see Privacy).

The terms (each a difference in index points, the others held equal):

* ``side:user_side`` — the user side minus the provider side (within teams, mostly);
* ``reps_trained`` — teams that trained their representatives minus teams that did not;
* ``channel:<name>`` — teams that recruited through the channel minus teams that did not
  (channels are multi-select: each is its own 0/1 term).

A team that did not answer a team-survey question (its channels, or whether it trained
its representatives) keeps its respondents in the model: the question's terms are 0 for
the team and a nuisance term "not answered" (never published) takes its level, so the
team informs the side term and the variances, and the factor terms are estimated from
the teams that answered. Intercepts for municipalities are in the model when some
municipality has two or more teams in it (otherwise they cannot be told from the teams').

What it can say: how the index differs between respondents or teams that differ in one
respect, with the others held equal, and how sure that is given the nesting. What it
cannot: that a channel or training *causes* a difference (teams chose them; other things
differ), and, with few teams, its intervals for team factors are too narrow.

Privacy: the output holds coefficients, intervals and counts only. A term's estimate is
shown only when each of its two sides rests on at least ``min_cell_n`` respondents and,
for a team factor, on at least two teams (as ``promoters``); otherwise its row is
suppressed (``too_few_teams_or_people``) with every figure and count blank. A term that
is not in the model (``no_variation``: one side is empty; ``collinear``: it adds nothing
to the terms before it) has no estimate and keeps its counts. A model is fitted only
with at least ``min_unit_n`` respondents and ``min_teams`` teams. Counts shown: the
model's respondents and, for the side term, the user-side and provider-side respondents
— each only when it equals a figure the suppressed indices frame shows for the whole
data set (complementary suppression may hide a side there to protect a small group, and
the model must not give it back); the model's teams and municipalities, and the teams
with and without a factor (team facts, which are shown per team anyway). The nuisance
terms and the intercept are never shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import polars as pl

from evalkit.metrics._mixed import MixedFit, fit_random_intercepts, independent_columns
from evalkit.metrics._stats import Z95
from evalkit.metrics.schema import conform, empty_frame
from evalkit.schema import CHANNELS, PROVIDER_SIDE, USER_SIDE

SIDE_TERM: Final = "side:user_side"
TRAINED_TERM: Final = "reps_trained"
CHANNEL_TERMS: Final = tuple(f"channel:{c}" for c in CHANNELS)
TERMS: Final = (SIDE_TERM, TRAINED_TERM, *CHANNEL_TERMS)
"""The published terms, in the order of the output."""
_UNKNOWN: Final = {TRAINED_TERM: "_trained_not_answered",
                   **dict.fromkeys(CHANNEL_TERMS, "_channels_not_answered")}
"""Team factor → the nuisance column marking teams that did not answer its question."""
TOO_FEW: Final = "too_few_teams_or_people"
TOO_FEW_TO_MODEL: Final = "too_few_to_model"
NO_VARIATION: Final = "no_variation"
COLLINEAR: Final = "collinear"
NOT_ESTIMABLE: Final = "not_estimable"


def model_data(respondent_index: pl.DataFrame | pl.LazyFrame, teams: pl.DataFrame, *, wave: str,
               dimension: str | None = None) -> pl.DataFrame:
    """One row per respondent (and dimension) in the model: dimension, team_id,
    municipality_id, index, and one 0/1 column per term (and per nuisance "not answered"
    column). ``dimension=None``: every dimension.

    Examples
    --------
    >>> ri = pl.DataFrame({"respondent_id": ["a", "b", "c"], "wave": "w", "team_id": ["t", "t", "u"],
    ...     "municipality_id": "0301", "role": ["provider", "user_rep", "experience_consultant"],
    ...     "dimension": "equality", "index": [80.0, 60.0, 70.0]})
    >>> teams = pl.DataFrame({"wave": "w", "team_id": ["t", "u"], "channels": [["user_organisation"], None],
    ...     "reps_trained": [True, None]})
    >>> model_data(ri, teams, wave="w", dimension="equality").select("index", "side:user_side",
    ...     "reps_trained", "channel:user_organisation").rows()
    [(80.0, 0.0, 1.0, 1.0), (60.0, 1.0, 1.0, 1.0)]
    """
    sides = pl.Series([*USER_SIDE, *PROVIDER_SIDE], dtype=pl.String).implode()
    facts = teams.filter(pl.col("wave") == wave).select("team_id", "channels", "reps_trained")
    which = pl.col("dimension") == dimension if dimension is not None else pl.lit(True)
    people = (
        respondent_index.lazy()
        .filter((pl.col("wave") == wave) & which & pl.col("index").is_not_null() & pl.col("role").is_in(sides))
        .select("dimension", "respondent_id", "team_id", "municipality_id", "role", "index")
        .collect()
        .join(facts, on="team_id", how="left")
        # One order whatever order the rows came in: the fit's float sums follow it.
        .sort("dimension", "respondent_id")
    )
    channels = pl.col("channels")
    return people.select(
        "dimension", "team_id", "municipality_id", pl.col("index").cast(pl.Float64),
        pl.col("role").is_in(pl.Series(USER_SIDE, dtype=pl.String).implode()).cast(pl.Float64).alias(SIDE_TERM),
        pl.col("reps_trained").fill_null(False).cast(pl.Float64).alias(TRAINED_TERM),
        *[channels.list.contains(pl.lit(c)).fill_null(False).cast(pl.Float64).alias(f"channel:{c}")
          for c in CHANNELS],
        pl.col("reps_trained").is_null().cast(pl.Float64).alias(_UNKNOWN[TRAINED_TERM]),
        channels.is_null().cast(pl.Float64).alias(_UNKNOWN[CHANNEL_TERMS[0]]),
    )


def involvement_model(
    respondent_index: pl.DataFrame | pl.LazyFrame,
    teams: pl.DataFrame,
    *,
    wave: str,
    indices: pl.DataFrame,
    dimensions: Sequence[str] | None = None,
    min_cell_n: int = 5,
    min_unit_n: int = 10,
    min_teams: int = 10,
) -> pl.DataFrame:
    """The model of each dimension's index, one row per dimension and term (see the module
    docstring); ``simple_*`` columns empty (:func:`with_simple_comparisons` fills them).

    Parameters
    ----------
    respondent_index
        Respondent-level indices (:func:`evalkit.metrics.indices.respondent_indices`).
    teams
        The canonical teams table (channels and reps_trained per wave).
    wave
        The wave modelled.
    indices
        The *suppressed* indices frame (``Prepared.indices``): a count of respondents is
        shown only where it equals a figure this frame shows for the whole data set
        (user side, provider side, and their sum); otherwise it is blank.
    dimensions
        Which indices (default: every dimension with an index in the wave).
    min_cell_n, min_unit_n, min_teams
        Privacy and size thresholds (module docstring).
    """
    everyone = model_data(respondent_index, teams, wave=wave)
    if dimensions is None:
        dimensions = sorted(respondent_index.lazy().filter((pl.col("wave") == wave) & pl.col("index").is_not_null())
                            .select(pl.col("dimension").unique()).collect()["dimension"].to_list())
    parts = everyone.partition_by("dimension", as_dict=True, include_key=False)
    rows: list[dict[str, Any]] = []
    for dimension in dimensions:
        data = parts.get((dimension,), everyone.clear().drop("dimension"))
        shown = _shown_side_counts(indices, wave=wave, dimension=dimension)
        rows.extend({"wave": wave, "dimension": dimension, **_only_shown_counts(r, shown)}
                    for r in _dimension_rows(data, min_cell_n=min_cell_n, min_unit_n=min_unit_n,
                                             min_teams=min_teams))
    if not rows:
        return empty_frame("model")
    out = pl.DataFrame(rows, schema_overrides={c: t for c, t in empty_frame("model").schema.items()
                                               if c in rows[0]})
    return conform(out.with_columns(
        unit_level=pl.lit("all"), unit_id=pl.lit("all"),
        **{c: pl.lit(None, pl.Float64) for c in ("simple_estimate", "simple_ci_low", "simple_ci_high")},
    ), "model")


def _shown_side_counts(indices: pl.DataFrame, *, wave: str, dimension: str) -> dict[str, int | None]:
    """The whole data set's user-side and provider-side n as the indices frame shows them:
    None where it hides them, 0 where it has no row (nobody of that side has the index)."""
    rows = indices.filter((pl.col("unit_level") == "all") & (pl.col("wave") == wave)
                          & (pl.col("dimension") == dimension))
    hidden = rows["suppressed"].fill_null(False) if "suppressed" in rows.columns else pl.repeat(False, rows.height,
                                                                                                 eager=True)
    found = {group: (None if gone else n) for group, n, gone in
             zip(rows["role_group"].to_list(), rows["n"].to_list(), hidden.to_list(), strict=True)}
    return {group: found.get(group, 0) for group in ("user_side", "provider_side")}


def _only_shown_counts(row: dict[str, Any], shown: dict[str, int | None]) -> dict[str, Any]:
    """Blank every count of respondents that is not a figure shown elsewhere: the model's
    n is the user side plus the provider side, and a hidden side (complementary
    suppression may hide one to protect a small group such as "other") would give it away."""
    user, provider = shown["user_side"], shown["provider_side"]
    out = dict(row)
    if out.get("n") is not None and (user is None or provider is None or out["n"] != user + provider):
        out["n"] = None
    if out.get("counted_in") == "respondents":
        if out.get("n_with") != user:
            out["n_with"] = None
        if out.get("n_without") != provider:
            out["n_without"] = None
    return out


def _dimension_rows(data: pl.DataFrame, *, min_cell_n: int, min_unit_n: int, min_teams: int) -> list[dict[str, Any]]:
    n = data.height
    n_teams = data["team_id"].n_unique()
    if n < min_unit_n or n_teams < min_teams:
        return [_blank(term, TOO_FEW_TO_MODEL, suppressed=True) for term in TERMS]
    team_facts = data.group_by("team_id").agg(pl.all().exclude("index", "municipality_id", SIDE_TERM).first(),
                                              _people=pl.len())
    # The design: the intercept, the nuisance columns, the terms that vary; a column that
    # adds nothing to the ones before it (collinear) is left out — a term rather than a
    # nuisance column, so that a factor is never compared with teams that did not answer.
    candidates = ["_intercept"]
    x_cols = [np.ones(n)]
    reasons: dict[str, str] = {}
    for name in (*sorted(set(_UNKNOWN.values())), *TERMS):
        col = data[name].to_numpy()
        if col.min() == col.max():
            reasons[name] = NO_VARIATION
            continue
        candidates.append(name)
        x_cols.append(col)
    full = np.column_stack(x_cols)
    kept = independent_columns(full.T @ full)
    reasons.update((name, COLLINEAR) for k, name in enumerate(candidates) if k not in kept)
    columns = [candidates[k] for k in kept]
    x = full[:, kept]
    codes = data.select(pl.col("team_id", "municipality_id").rank("dense").cast(pl.Int64))
    n_munis = data["municipality_id"].n_unique()
    nested = 2 <= n_munis < n_teams
    if n <= x.shape[1] + 1:
        return [_blank(term, TOO_FEW_TO_MODEL, suppressed=True) for term in TERMS]
    try:
        fit = fit_random_intercepts(data["index"].to_numpy(), x, codes["team_id"].to_numpy(),
                                    codes["municipality_id"].to_numpy() if nested else None, names=columns)
    except np.linalg.LinAlgError:  # numerically singular after all: nothing to say
        return [_blank(term, NOT_ESTIMABLE, suppressed=False) for term in TERMS]
    common = {"n": n, "n_teams": n_teams, "n_municipalities": n_munis, "var_team": fit.var_team,
              "var_municipality": fit.var_municipality, "var_residual": fit.var_residual,
              "converged": fit.converged}
    return [_term_row(term, fit, data, team_facts, reasons.get(term), common, min_cell_n=min_cell_n)
            for term in TERMS]


def _term_row(term: str, fit: MixedFit, data: pl.DataFrame, team_facts: pl.DataFrame, reason: str | None,
              common: dict[str, Any], *, min_cell_n: int) -> dict[str, Any]:
    if term == SIDE_TERM:
        counted = "respondents"
        with_n = int(data[SIDE_TERM].sum())
        without_n = data.height - with_n
        hidden = 0 < with_n < min_cell_n or 0 < without_n < min_cell_n
    else:
        counted = "teams"
        answered = team_facts.filter(pl.col(_UNKNOWN[term]) == 0)
        has = answered[term] == 1
        with_n, without_n = int(has.sum()), int((~has).sum())
        people_with = int(answered.filter(has)["_people"].sum())
        people_without = int(answered.filter(~has)["_people"].sum())
        hidden = (with_n < 2 or without_n < 2 or 0 < people_with < min_cell_n
                  or 0 < people_without < min_cell_n)
    if hidden and reason is None:  # a term with no estimate shows no one's answers
        return _blank(term, TOO_FEW, suppressed=True)
    row = {**_blank(term, reason, suppressed=False), **common, "counted_in": counted, "n_with": with_n,
           "n_without": without_n}
    if reason is None:
        k = fit.names.index(term)
        estimate, se = float(fit.estimate[k]), float(fit.se[k])
        row.update(estimate=estimate, ci_low=estimate - Z95 * se, ci_high=estimate + Z95 * se,
                   p_value=math.erfc(abs(estimate / se) / math.sqrt(2.0)) if se > 0 else None)
    return row


def _blank(term: str, reason: str | None, *, suppressed: bool) -> dict[str, Any]:
    return {"term": term, "estimate": None, "ci_low": None, "ci_high": None, "p_value": None, "n": None,
            "n_teams": None, "n_municipalities": None, "counted_in": None, "n_with": None, "n_without": None,
            "var_team": None, "var_municipality": None, "var_residual": None, "converged": None,
            "suppressed": suppressed, "reason": reason}


def with_simple_comparisons(model: pl.DataFrame, promoters: pl.DataFrame, gaps: pl.DataFrame) -> pl.DataFrame:
    """Fill ``simple_*`` with the simpler comparison of each term, for the whole data set:
    promoters' team-level difference (team factors; equality and impact only) and the role
    gap in index means (the side). Suppressed comparisons stay blank.

    Examples
    --------
    >>> model = pl.DataFrame({"unit_level": "all", "unit_id": "all", "wave": "w", "dimension": "impact",
    ...     "term": ["reps_trained", "side:user_side"]})
    >>> prom = pl.DataFrame({"unit_level": "all", "unit_id": "all", "wave": "w", "dimension": "impact",
    ...     "factor": "reps_trained", "estimate": 8.0, "ci_low": 1.0, "ci_high": 15.0})
    >>> gaps = pl.DataFrame({"unit_level": "all", "unit_id": "all", "wave": "w", "dimension": "impact",
    ...     "group": "user_side", "measure": "index_mean", "estimate": -3.0, "ci_low": -5.0, "ci_high": -1.0})
    >>> with_simple_comparisons(model, prom, gaps).select("term", "simple_estimate").rows()
    [('reps_trained', 8.0), ('side:user_side', -3.0)]
    """
    keys = ["wave", "dimension", "term"]
    simple = ["simple_estimate", "simple_ci_low", "simple_ci_high"]
    renamed = {"estimate": "simple_estimate", "ci_low": "simple_ci_low", "ci_high": "simple_ci_high"}
    top = pl.col("unit_level") == "all"
    prom = promoters.filter(top).select("wave", "dimension", pl.col("factor").alias("term"), *renamed).rename(renamed)
    gap = gaps.filter(top & (pl.col("group") == "user_side") & (pl.col("measure") == "index_mean")).select(
        "wave", "dimension", pl.lit(SIDE_TERM).alias("term"), *renamed).rename(renamed)
    both = pl.concat([prom, gap]).with_columns(pl.col(c).cast(pl.Float64) for c in simple)
    return model.drop([c for c in simple if c in model.columns]).join(
        both, on=keys, how="left", maintain_order="left")
