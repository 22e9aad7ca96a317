"""Item figures: distribution, don't-know apart, share favourable, means; by hand."""

from __future__ import annotations

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from evalkit.instrument import load_instrument
from evalkit.metrics import item_distribution, item_summary

ITEMS = load_instrument().items_frame()


def _data(rows: list[tuple[str, str, str, int | None, bool]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """rows: (respondent, role, item, value, dont_know), one team."""
    people = sorted({(r[0], r[1]) for r in rows})
    resp = pl.DataFrame({"respondent_id": [p[0] for p in people], "role": [p[1] for p in people]}).with_columns(
        wave=pl.lit("w1"), network_id=pl.lit("N"), municipality_id=pl.lit("0301"), team_id=pl.lit("t"))
    ans = pl.DataFrame([(r[0], r[2], r[3], r[4]) for r in rows],
                       schema={"respondent_id": pl.String, "item_id": pl.String, "value": pl.Int8,
                               "dont_know": pl.Boolean}, orient="row")
    return ans, resp


def test_item_figures_by_hand() -> None:
    # eq_respect: 5, 4, 4, 2, 1 answered; one don't-know; one left blank.
    values = [5, 4, 4, 2, 1]
    rows = [(f"r{i}", "provider", "eq_respect", v, False) for i, v in enumerate(values)]
    rows += [("r5", "provider", "eq_respect", None, True), ("r6", "provider", "eq_respect", None, False)]
    ans, resp = _data(rows)
    row = item_summary(ans, resp, ITEMS, levels=["team"]).filter(role_group="all", item_id="eq_respect").row(0, named=True)
    assert row["n"] == 5
    assert row["n_dont_know"] == 1
    assert row["n_missing"] == 1
    assert row["share_dont_know"] == pytest.approx(1 / 6)
    assert row["n_favourable"] == 3
    assert row["share_favourable"] == pytest.approx(3 / 5)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(proportion_confint(3, 5, method="wilson"))
    assert row["mean_scale"] == pytest.approx(16 / 5)
    # 0–100: (v − 1)/4·100 → 100, 75, 75, 25, 0 → mean 55
    assert row["mean_0_100"] == pytest.approx(55.0)
    assert row["reason"] is None


def test_reverse_item_turned_on_0_100_and_favourable_not_on_scale_mean() -> None:
    # eq_dominate is reverse-coded: "strongly disagree" (1) is the best answer.
    ans, resp = _data([("a", "provider", "eq_dominate", 1, False), ("b", "provider", "eq_dominate", 2, False),
                       ("c", "provider", "eq_dominate", 5, False)])
    row = item_summary(ans, resp, ITEMS, levels=["team"]).filter(role_group="all", item_id="eq_dominate").row(0, named=True)
    assert row["mean_scale"] == pytest.approx(8 / 3)
    assert row["mean_0_100"] == pytest.approx((100 + 75 + 0) / 3)
    assert row["n_favourable"] == 2


def test_all_dont_know_gives_null_with_reason() -> None:
    ans, resp = _data([(f"r{i}", "provider", "eq_views", None, True) for i in range(6)])
    row = item_summary(ans, resp, ITEMS, levels=["team"]).filter(role_group="all", item_id="eq_views").row(0, named=True)
    assert row["n"] == 0
    assert row["share_dont_know"] == 1.0
    for col in ("share_favourable", "ci_low", "ci_high", "mean_scale", "mean_0_100"):
        assert row[col] is None
    assert row["reason"] == "all_dont_know"


def test_items_not_for_the_role_are_ignored() -> None:
    # rec_why is asked of user and relative representatives only.
    ans, resp = _data([("a", "provider", "rec_why", 5, False), ("b", "user_rep", "rec_why", 2, False)])
    out = item_summary(ans, resp, ITEMS, levels=["team"]).filter(item_id="rec_why")
    assert out.filter(role_group="all")["n"].item() == 1
    assert out.filter(role_group="provider_side").height == 0


def test_role_groups() -> None:
    ans, resp = _data([("a", "provider", "eq_views", 5, False), ("b", "leader", "eq_views", 4, False),
                       ("c", "user_rep", "eq_views", 2, False), ("d", "relative_rep", "eq_views", 1, False),
                       ("e", "experience_consultant", "eq_views", 3, False), ("f", "other", "eq_views", 3, False)])
    out = item_summary(ans, resp, ITEMS, levels=["team"]).filter(item_id="eq_views")
    ns = dict(out.select("role_group", "n").rows())
    # "other" is kept before suppression (it protects the other groups) and never published.
    assert ns == {"all": 6, "user_side": 2, "provider_side": 2, "experience_consultant": 1, "other": 1}


def test_distribution_counts_and_shares_dont_know_apart() -> None:
    ans, resp = _data([("a", "provider", "eq_views", 5, False), ("b", "provider", "eq_views", 5, False),
                       ("c", "provider", "eq_views", 2, False), ("d", "provider", "eq_views", None, True)])
    out = item_distribution(ans, resp, ITEMS, levels=["team"]).filter(role_group="all", item_id="eq_views")
    assert out.select("level", "count").rows() == [(1, 0), (2, 1), (3, 0), (4, 0), (5, 2)]
    assert out["share"].to_list() == pytest.approx([0, 1 / 3, 0, 0, 2 / 3])
    assert set(out["n"]) == {3}


def test_empty_input_gives_empty_frames() -> None:
    ans, resp = _data([("a", "provider", "eq_views", 5, False)])
    out = item_summary(ans.clear(), resp.clear(), ITEMS)
    assert out.height == 0
    assert item_distribution(ans.clear(), resp.clear(), ITEMS).height == 0


def test_results_do_not_depend_on_row_order() -> None:
    rows = [(f"r{i}", ["provider", "user_rep", "leader"][i % 3], item, (i * 7 + j) % 5 + 1, i % 11 == 0)
            for i in range(40) for j, item in enumerate(["eq_views", "eq_dominate", "imp_aims"])]
    ans, resp = _data(rows)
    a = item_summary(ans, resp, ITEMS)
    b = item_summary(ans.sample(fraction=1.0, shuffle=True, seed=1), resp.reverse(), ITEMS)
    from polars.testing import assert_frame_equal

    assert_frame_equal(a, b, check_exact=False)
