"""The columns of every frame the metrics layer publishes — one place, for all readers.

The dashboards, the notebooks, the store and the audit rely on this module. Every frame
is tidy and carries the same core columns where they apply:

* ``unit_level`` ∈ team / municipality / network / all, and ``unit_id`` (``"all"`` for
  the whole data set);
* ``wave``;
* the dimension and/or item;
* ``role_group`` ∈ all / user_side (user and relative representatives) /
  provider_side (providers and leaders) / experience_consultant, where relevant;
* ``n``: the people behind the figure (teams, for team-survey figures), **null on every
  suppressed row** (an exact small n is itself a disclosure);
* the estimate with ``ci_low`` / ``ci_high`` (95 %);
* ``suppressed`` (bool) and ``reason`` (why a row is suppressed, or why a figure is null
  although the row is not suppressed: ``no_answers``, ``all_dont_know``, ``one_item``, …).

Reasons used by the suppression step: ``unit_below_min_unit_n``, ``n_below_min_cell_n``,
``complementary``, ``not_published``, ``input_suppressed`` (a comparison whose inputs
are suppressed).

Examples
--------
>>> FRAMES["items"].estimate
'share_favourable'
>>> empty_frame("gaps").columns[:4]
['unit_level', 'unit_id', 'wave', 'dimension']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl


@dataclass(frozen=True)
class FrameColumn:
    name: str
    dtype: pl.DataType
    description: str


@dataclass(frozen=True)
class FrameSpec:
    """One published frame: its columns, key, the main estimate and what it holds."""

    name: str
    description: str
    columns: tuple[FrameColumn, ...]
    key: tuple[str, ...]
    estimate: str | None = None

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


S, F, INT, B, I8 = pl.String(), pl.Float64(), pl.Int64(), pl.Boolean(), pl.Int8()


def _c(name: str, dtype: pl.DataType, description: str) -> FrameColumn:
    return FrameColumn(name, dtype, description)


UNIT = (
    _c("unit_level", S, "team, municipality, network or all"),
    _c("unit_id", S, "team_id, 4-digit municipality_id, network_id, or 'all'"),
)
WAVE = _c("wave", S, "survey wave label")
ROLE_GROUP = _c("role_group", S, "all, user_side, provider_side or experience_consultant")
DIM = _c("dimension", S, "instrument dimension (equality, impact, …)")
ITEM = _c("item_id", S, "instrument item")
SUPP = (
    _c("suppressed", B, "true: the row's figures (and n) are blanked"),
    _c("reason", S, "why suppressed, or why a figure is null; null when all is well"),
)
COMPARISON = (
    _c("measure", S, "share_favourable (difference of proportions, Newcombe hybrid score "
       "interval) or index_mean (difference of means, Welch interval)"),
    _c("estimate", F, "the difference (share: −1..1; index: −100..100 points)"),
    _c("ci_low", F, "95 % interval, low"),
    _c("ci_high", F, "95 % interval, high"),
    _c("p_value", F, "two-sided p (score test for shares, Welch t test for means)"),
)

FRAMES: Final[dict[str, FrameSpec]] = {
    f.name: f
    for f in (
        FrameSpec(
            "items",
            "Per unit, wave, role group and item: answered n, don't-know apart, share "
            "favourable (top-2-box after turning reverse-coded items) with a Wilson "
            "interval, mean on the item's scale and on 0–100 (100 = best).",
            (
                *UNIT, WAVE, ROLE_GROUP, DIM, ITEM,
                _c("n", INT, "people who answered on the scale (don't-know left out)"),
                _c("n_dont_know", INT, "people who answered don't know / not relevant"),
                _c("n_missing", INT, "people asked the item (by role) who left it blank"),
                _c("share_dont_know", F, "n_dont_know / (n + n_dont_know)"),
                _c("n_favourable", INT, "answers at a favourable level"),
                _c("share_favourable", F, "n_favourable / n (the estimate)"),
                _c("ci_low", F, "Wilson 95 % interval of share_favourable, low"),
                _c("ci_high", F, "Wilson 95 % interval of share_favourable, high"),
                _c("mean_scale", F, "mean code on the item's own scale, as asked (not turned)"),
                _c("mean_0_100", F, "mean on 0–100, 100 = best (reverse-coded turned)"),
                _c("sd_0_100", F, "standard deviation on 0–100"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "role_group", "item_id"),
            estimate="share_favourable",
        ),
        FrameSpec(
            "distributions",
            "Counts and shares over the scale levels (every level present, 0 where "
            "nobody chose it); shares over the answered, don't-know left out. Suppressed "
            "exactly where the item row is.",
            (
                *UNIT, WAVE, ROLE_GROUP, DIM, ITEM,
                _c("level", I8, "scale code"),
                _c("n", INT, "people who answered the item on the scale"),
                _c("count", INT, "people who chose this level"),
                _c("share", F, "count / n"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "role_group", "item_id", "level"),
            estimate="share",
        ),
        FrameSpec(
            "indices",
            "Per unit, wave, role group and dimension: mean index (0–100) with a t "
            "interval, and the share of respondents whose index is favourable with a "
            "Wilson interval. A respondent counts when they answered at least "
            "min_answered_share of the dimension's items that apply to their role.",
            (
                *UNIT, WAVE, ROLE_GROUP, DIM,
                _c("n", INT, "respondents with an index"),
                _c("mean", F, "mean index, 0–100 (the estimate)"),
                _c("sd", F, "standard deviation of the index"),
                _c("ci_low", F, "t 95 % interval of the mean, low"),
                _c("ci_high", F, "t 95 % interval of the mean, high"),
                _c("n_favourable", INT, "respondents with a favourable index"),
                _c("share_favourable", F, "n_favourable / n"),
                _c("favourable_ci_low", F, "Wilson 95 % interval of share_favourable, low"),
                _c("favourable_ci_high", F, "Wilson 95 % interval of share_favourable, high"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "role_group", "dimension"),
            estimate="mean",
        ),
        FrameSpec(
            "reliability",
            "Cronbach's alpha per unit, wave and dimension (role_group 'all'), listwise "
            "deletion, with a Feldt 95 % interval; flagged under 0.70.",
            (
                *UNIT, WAVE, ROLE_GROUP, DIM,
                _c("k", INT, "items in the dimension"),
                _c("n", INT, "respondents who answered every item"),
                _c("alpha", F, "Cronbach's alpha (the estimate)"),
                _c("ci_low", F, "Feldt 95 % interval, low"),
                _c("ci_high", F, "Feldt 95 % interval, high"),
                _c("low_reliability", B, "alpha < 0.70"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "dimension"),
            estimate="alpha",
        ),
        FrameSpec(
            "gaps",
            "Role gap per unit, wave and dimension: group (user_side, or "
            "experience_consultant as its own group) minus reference (provider_side); "
            "'other' left out. Where a unit's gap is suppressed, show its network's.",
            (
                *UNIT, WAVE, DIM,
                _c("group", S, "user_side or experience_consultant"),
                _c("reference", S, "provider_side"),
                COMPARISON[0],
                _c("n", INT, "people in group and reference together"),
                _c("n_group", INT, "people in the group"),
                _c("n_reference", INT, "people in the reference"),
                *COMPARISON[1:],
                _c("flag", B, "the 95 % interval excludes 0"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "dimension", "group", "measure"),
            estimate="estimate",
        ),
        FrameSpec(
            "benchmarks",
            "Each unit against its parent without the unit (team → municipality → "
            "network → all): above / below / no clear difference at the 5 % level, also "
            "after Benjamini–Hochberg adjustment across the batch's units.",
            (
                *UNIT, WAVE, ROLE_GROUP, DIM,
                COMPARISON[0],
                _c("parent_level", S, "the parent's level"),
                _c("parent_id", S, "the parent's id"),
                _c("n", INT, "people in the unit"),
                _c("comparison_n", INT, "people in the parent without the unit"),
                *COMPARISON[1:],
                _c("result", S, "above, below or no_clear_difference (5 % level)"),
                _c("p_adjusted", F, "Benjamini–Hochberg adjusted p"),
                _c("result_adjusted", S, "result after the adjustment"),
                _c("m_comparisons", INT, "comparisons in the adjustment family"),
                _c("note", S, "that many comparisons are made, in words"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "role_group", "dimension", "measure", "parent_id"),
            estimate="estimate",
        ),
        FrameSpec(
            "changes",
            "Change from compare_wave to wave per unit, role group and dimension.",
            (
                *UNIT, WAVE,
                _c("compare_wave", S, "the earlier wave"),
                ROLE_GROUP, DIM, COMPARISON[0],
                _c("n", INT, "people in wave"),
                _c("n_compare", INT, "people in compare_wave"),
                *COMPARISON[1:],
                _c("flag", B, "the 95 % interval excludes 0"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "role_group", "dimension", "measure"),
            estimate="estimate",
        ),
        FrameSpec(
            "recruitment",
            "Team-survey facts per unit and wave (n counts teams): channel used / not "
            "used (share of teams), reps_trained, relatives_involved and any_reps_left "
            "(shares), recruitment_difficulty (mean, and share per level), "
            "months_to_recruit and reps_left (means), and response_rate per role (n "
            "counts invited people; only for units where every team's invited count is known).",
            (
                *UNIT, WAVE,
                _c("indicator", S, "channel, reps_trained, relatives_involved, any_reps_left, "
                   "recruitment_difficulty, recruitment_difficulty_level, months_to_recruit, "
                   "reps_left, response_rate"),
                _c("category", S, "channel name, difficulty level, role, or null"),
                _c("statistic", S, "share or mean"),
                _c("n", INT, "teams that answered (response_rate: people invited)"),
                _c("count", F, "teams in the category / sum of values (response_rate: respondents)"),
                _c("estimate", F, "share (Wilson interval) or mean (t interval)"),
                _c("ci_low", F, "95 % interval, low"),
                _c("ci_high", F, "95 % interval, high"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "indicator", "category"),
            estimate="estimate",
        ),
        FrameSpec(
            "promoters",
            "What promotes or hinders: team-mean index (equality, impact) of teams with a "
            "factor against teams without (channel used vs not, trained vs untrained), "
            "teams as the units; Welch interval.",
            (
                *UNIT, WAVE, DIM,
                _c("factor", S, "channel:<name> or reps_trained"),
                _c("n", INT, "teams compared (with + without)"),
                _c("n_with", INT, "teams with the factor"),
                _c("n_without", INT, "teams without the factor"),
                _c("mean_with", F, "mean of team means, teams with the factor"),
                _c("mean_without", F, "mean of team means, teams without"),
                _c("estimate", F, "mean_with − mean_without"),
                _c("ci_low", F, "Welch 95 % interval, low"),
                _c("ci_high", F, "Welch 95 % interval, high"),
                _c("p_value", F, "Welch t test, two-sided"),
                _c("flag", B, "the 95 % interval excludes 0"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "dimension", "factor"),
            estimate="estimate",
        ),
        FrameSpec(
            "funnels",
            "Funnel plots (Spiegelhalter 2005): each municipality and network against the "
            "national value of its wave, with 95 % and 99.8 % limits at its n "
            "(evalkit.metrics.funnel). Only units whose indices row is visible and rests on "
            "at least min_unit_n respondents; role group 'all'.",
            (
                *UNIT, WAVE, ROLE_GROUP, DIM,
                _c("measure", S, "mean (index, 0–100) or share_favourable (0–1)"),
                _c("n", INT, "respondents with an index in the unit"),
                _c("value", F, "the unit's mean index or share favourable"),
                _c("centre", F, "national mean of respondent-level index scores, or the pooled "
                   "national share favourable"),
                _c("sd", F, "national standard deviation of respondent-level index scores "
                   "(mean only; the limits are centre ± z·sd/√n)"),
                _c("lower95", F, "95 % limit, low (share: exact binomial quantile / n)"),
                _c("upper95", F, "95 % limit, high"),
                _c("lower998", F, "99.8 % limit, low"),
                _c("upper998", F, "99.8 % limit, high"),
                _c("verdict", S, "over / under (outside the 99.8 % limits) or within"),
            ),
            key=("unit_level", "unit_id", "wave", "role_group", "dimension", "measure"),
            estimate="value",
        ),
        FrameSpec(
            "model",
            "What goes with better involvement, modelled (evalkit.metrics.model): a linear "
            "model of each index on the user side vs the provider side, trained "
            "representatives and each recruitment channel, with random intercepts for teams "
            "and municipalities (REML), the batch's wave; beside it the simpler comparison "
            "(promoters for team factors, gaps for the side). Associations, not causes. "
            "Reasons: too_few_teams_or_people and too_few_to_model (suppressed); "
            "no_variation, collinear and not_estimable (the term has no estimate).",
            (
                *UNIT, WAVE, DIM,
                _c("term", S, "side:user_side (user side minus provider side), reps_trained, "
                   "or channel:<name> (channel used vs not)"),
                _c("estimate", F, "difference in index points (0–100), other terms held equal"),
                _c("ci_low", F, "Wald 95 % interval, low"),
                _c("ci_high", F, "Wald 95 % interval, high"),
                _c("p_value", F, "two-sided Wald test"),
                _c("n", INT, "respondents in the model (user and provider side with an index)"),
                _c("n_teams", INT, "teams in the model"),
                _c("n_municipalities", INT, "municipalities in the model"),
                _c("counted_in", S, "what n_with and n_without count: respondents (side) or "
                   "teams (team factors)"),
                _c("n_with", INT, "user-side respondents, or teams with the factor"),
                _c("n_without", INT, "provider-side respondents, or teams without the factor"),
                _c("var_team", F, "variance of the team intercepts"),
                _c("var_municipality", F, "variance of the municipality intercepts (null: "
                   "not in the model, no municipality has two teams)"),
                _c("var_residual", F, "residual variance"),
                _c("converged", B, "the optimiser converged"),
                _c("simple_estimate", F, "the simpler comparison: promoters' team-level "
                   "difference (team factors) or the role gap (side), unit 'all'"),
                _c("simple_ci_low", F, "its 95 % interval, low"),
                _c("simple_ci_high", F, "its 95 % interval, high"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "dimension", "term"),
            estimate="estimate",
        ),
        FrameSpec(
            "respondent_counts",
            "Respondents per unit, wave and role (and 'all'), as context. n_display "
            "is '<min_cell_n' for 0 < n < min_cell_n, '–' for other suppressed counts.",
            (
                *UNIT, WAVE,
                _c("role", S, "a member-survey role, or all"),
                _c("n", INT, "respondents"),
                _c("n_display", S, "what a reader sees"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave", "role"),
            estimate="n",
        ),
        FrameSpec(
            "data_quality",
            "Per unit and wave: answers on the scale, don't-know and missing (all items, "
            "all roles), and rows the importers rejected for the unit.",
            (
                *UNIT, WAVE,
                _c("n", INT, "respondents"),
                _c("n_answered", INT, "answers on the scale"),
                _c("n_dont_know", INT, "don't-know answers"),
                _c("n_missing", INT, "items asked but left blank"),
                _c("share_missing", F, "n_missing / items asked"),
                _c("n_rejections", INT, "rows in data.rejections naming the unit (all: every row)"),
                *SUPP,
            ),
            key=("unit_level", "unit_id", "wave"),
            estimate=None,
        ),
    )
}
"""Every metrics frame, by name (the attribute name on :class:`~evalkit.metrics.Prepared`)."""

EXTERNAL_FRAMES: Final = {
    "charts": "evalkit.runchart.prepare_charts(measures, catalogue, teams): run-chart data",
    "progress": "evalkit.runchart.prepare_progress(progress, teams): progress scores",
}
"""Frames held by Prepared whose columns are documented by the run-chart module."""


def empty_frame(name: str) -> pl.DataFrame:
    """An empty frame with the documented columns of ``name``."""
    return pl.DataFrame(schema=FRAMES[name].polars_schema)


def conform(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Select and cast ``frame`` to the documented columns of ``name`` (in order)."""
    spec = FRAMES[name]
    missing = [c for c in spec.column_names if c not in frame.columns]
    if missing:
        raise ValueError(f"frame {name!r} lacks documented column(s) {missing}")
    return frame.select(pl.col(c.name).cast(c.dtype) for c in spec.columns)


def check_suppressed_n(frame: pl.DataFrame) -> bool:
    """True when ``n`` is null on every suppressed row (what the audit checks).

    Examples
    --------
    >>> check_suppressed_n(pl.DataFrame({"n": [None, 7], "suppressed": [True, False]}))
    True
    """
    if "n" not in frame.columns or "suppressed" not in frame.columns:
        return True
    return frame.filter(pl.col("suppressed") & pl.col("n").is_not_null()).height == 0
