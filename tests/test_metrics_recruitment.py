"""Team-survey figures: channels as used / not used, shares, means, response rates, promoters."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.metrics import promoters, recruitment_summary

TEAMS = pl.DataFrame({
    "team_id": ["a", "b", "c", "d"],
    "wave": "w",
    "municipality_id": ["0301", "0301", "1103", "1103"],
    "network_id": "N",
    "channels": [["user_organisation", "known_to_team"], ["known_to_team"], None, ["user_organisation"]],
    "reps_trained": [True, False, None, True],
    "n_relative_reps": [1, 0, 0, 2],
    "reps_left": [0, 1, None, 0],
    "recruitment_difficulty": [2, 5, 4, None],
    "months_to_recruit": [1.0, 6.0, 2.0, 3.0],
    "invited_user_rep": [2, 3, None, 1],
    "invited_provider": [10, 8, None, 6],
}, schema_overrides={"recruitment_difficulty": pl.Int8})


def test_channels_multi_select_used_or_not() -> None:
    out = recruitment_summary(TEAMS, levels=["network"]).filter(indicator="channel")
    got = {r["category"]: (r["n"], r["count"]) for r in out.iter_rows(named=True)}
    # Team c did not answer the channel question: 3 teams answered.
    assert got["user_organisation"] == (3, 2.0)
    assert got["known_to_team"] == (3, 2.0)
    assert got["via_services"] == (3, 0.0)
    row = out.filter(category="user_organisation").row(0, named=True)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(proportion_confint(2, 3, method="wilson"))


def test_shares_and_means_by_hand() -> None:
    out = recruitment_summary(TEAMS, levels=["network"])
    def get(ind: str, cat: str | None = None) -> dict[str, object]:
        f = out.filter(pl.col("indicator") == ind)
        f = f.filter(pl.col("category").is_null()) if cat is None else f.filter(pl.col("category") == cat)
        return f.row(0, named=True)
    assert get("reps_trained")["estimate"] == pytest.approx(2 / 3)
    assert get("relatives_involved")["estimate"] == pytest.approx(2 / 4)
    assert get("any_reps_left")["estimate"] == pytest.approx(1 / 3)
    months = get("months_to_recruit")
    x = np.array([1.0, 6.0, 2.0, 3.0])
    assert months["estimate"] == pytest.approx(3.0)
    ref = stats.t.interval(0.95, 3, loc=3.0, scale=x.std(ddof=1) / 2)
    assert (months["ci_low"], months["ci_high"]) == pytest.approx(ref)
    assert get("recruitment_difficulty")["estimate"] == pytest.approx(11 / 3)
    assert get("recruitment_difficulty_level", "5")["estimate"] == pytest.approx(1 / 3)


def test_team_level_rows_count_teams() -> None:
    out = recruitment_summary(TEAMS, levels=["team"]).filter(unit_id="a", indicator="reps_trained")
    assert out.select("n", "estimate").row(0) == (1, 1.0)


def test_response_rate_only_where_every_teams_invited_is_known() -> None:
    resp = pl.DataFrame({"respondent_id": [f"r{i}" for i in range(9)], "wave": "w",
                         "team_id": ["a", "a", "a", "b", "b", "c", "c", "d", "d"],
                         "role": ["user_rep", "provider", "provider", "user_rep", "provider", "provider",
                                  "user_rep", "provider", "provider"]})
    out = recruitment_summary(TEAMS, resp, levels=["network", "municipality"]).filter(indicator="response_rate")
    oslo = out.filter(unit_id="0301", category="user_rep").row(0, named=True)
    # Teams a and b (Oslo) know their invitations: 2 + 3 user reps invited, 1 + 1 answered.
    assert (oslo["n"], oslo["count"]) == (5, 2.0)
    assert oslo["estimate"] == pytest.approx(2 / 5)
    assert (oslo["ci_low"], oslo["ci_high"]) == pytest.approx(proportion_confint(2, 5, method="wilson"))
    everyone = out.filter(unit_id="0301", category="all").row(0, named=True)
    # Every role: a invited 2 + 10, b 3 + 8 (other roles unknown → not "every role known").
    assert everyone["estimate"] is None
    # Team c's invitations are unknown: its municipality and the network get no rate
    # (a rate over some of the teams would be a new sum of their respondents).
    for unit in ("1103", "N"):
        row = out.filter(unit_id=unit, category="user_rep").row(0, named=True)
        assert (row["n"], row["count"], row["estimate"]) == (None, None, None)
        assert row["reason"] == "invited_not_known_for_every_team"


def test_promoters_team_means_welch() -> None:
    teams = pl.DataFrame({"team_id": list("abcdef"), "wave": "w", "municipality_id": "0301", "network_id": "N",
                          "channels": [["user_organisation"]] * 3 + [["known_to_team"]] * 3,
                          "reps_trained": [True, True, False, False, True, False]})
    means = [80.0, 85.0, 70.0, 60.0, 65.0, 50.0]
    ti = pl.DataFrame({"wave": "w", "team_id": list("abcdef"), "dimension": "impact", "team_mean": means,
                       "n_respondents": 8})
    out = promoters(teams, ti, dimensions=["impact"], levels=["network"])
    row = out.filter(factor="channel:user_organisation").row(0, named=True)
    ref = stats.ttest_ind(means[:3], means[3:], equal_var=False)
    assert row["estimate"] == pytest.approx(np.mean(means[:3]) - np.mean(means[3:]))
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert (row["n_with"], row["n_without"], row["n"]) == (3, 3, 6)
    # No team used via_services: one side is empty, so the row is suppressed.
    empty = out.filter(factor="channel:via_services").row(0, named=True)
    assert empty["suppressed"]
    assert empty["n"] is None


def test_ost_response_rate_is_known_from_its_recorded_invitations(sample_data) -> None:  # type: ignore[no-untyped-def]
    """Issue 15: Øst records every invitation in 2026, so its rate is computed (its page
    hides it only with the network's respondent count, never as 'not recorded')."""
    from evalkit.metrics.recruitment import recruitment_summary
    from evalkit.schema import ROLES

    teams = sample_data.teams.filter(pl.col("wave") == "2026", pl.col("network_id") == "ost")
    invited = sum(int(teams[f"invited_{r}"].sum()) for r in ROLES)
    assert all(teams[f"invited_{r}"].null_count() == 0 for r in ROLES)
    answered = sample_data.respondents.filter(pl.col("wave") == "2026", pl.col("network_id") == "ost").height
    out = recruitment_summary(sample_data.teams, sample_data.respondents, levels=["network"]).filter(
        unit_id="ost", wave="2026", indicator="response_rate", category="all")
    row = out.row(0, named=True)
    assert row["reason"] is None and row["n"] == invited
    assert row["estimate"] == pytest.approx(min(answered, invited) / invited)
