"""Dimension indices: the answered-share rule, means with t intervals, share favourable."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.instrument import load_instrument
from evalkit.metrics import index_summary, respondent_indices

ITEMS = load_instrument().items_frame()


def _data(answers: dict[str, dict[str, int | None]], role: str = "provider") -> tuple[pl.DataFrame, pl.DataFrame]:
    resp = pl.DataFrame({"respondent_id": list(answers)}).with_columns(
        wave=pl.lit("w1"), network_id=pl.lit("N"), municipality_id=pl.lit("0301"), team_id=pl.lit("t"),
        role=pl.lit(role))
    rows = [(rid, item, v, v is None) for rid, d in answers.items() for item, v in d.items()]
    ans = pl.DataFrame(rows, schema={"respondent_id": pl.String, "item_id": pl.String, "value": pl.Int8,
                                     "dont_know": pl.Boolean}, orient="row")
    return ans, resp


def test_min_answered_share() -> None:
    # impact has 3 items; answering 1 of 3 (33 %) is under 50 %, 2 of 3 is over.
    ans, resp = _data({"a": {"imp_aims": 5, "imp_changes": None, "imp_results": None},
                       "b": {"imp_aims": 5, "imp_changes": 3, "imp_results": None}})
    out = respondent_indices(ans, resp, ITEMS).filter(dimension="impact").collect().sort("respondent_id")
    assert out["index"].to_list() == [None, pytest.approx(75.0)]
    lenient = respondent_indices(ans, resp, ITEMS, min_answered_share=0.3).filter(dimension="impact").collect()
    assert lenient.sort("respondent_id")["index"].to_list() == [100.0, 75.0]


def test_reverse_item_turned_in_index() -> None:
    # equality index: eq_dominate = 1 (best) → 100; eq_respect = 5 → 100.
    ans, resp = _data({"a": {"eq_dominate": 1, "eq_respect": 5}})
    out = respondent_indices(ans, resp, ITEMS, min_answered_share=0.25).filter(dimension="equality").collect()
    assert out["index"].item() == 100.0


def test_index_summary_by_hand() -> None:
    scores = [100.0, 75.0, 50.0, 87.5, 25.0]
    ri = pl.DataFrame({"respondent_id": [f"r{i}" for i in range(5)], "wave": "w1", "network_id": "N",
                       "municipality_id": "0301", "team_id": "t", "role": "provider", "dimension": "impact",
                       "index": scores, "favourable": [s >= 75 for s in scores]})
    row = index_summary(ri, levels=["team"]).filter(role_group="all").row(0, named=True)
    x = np.array(scores)
    assert row["mean"] == pytest.approx(x.mean())
    assert row["sd"] == pytest.approx(x.std(ddof=1))
    ref = stats.t.interval(0.95, 4, loc=x.mean(), scale=x.std(ddof=1) / np.sqrt(5))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(ref)
    assert row["n_favourable"] == 3
    assert (row["favourable_ci_low"], row["favourable_ci_high"]) == pytest.approx(
        proportion_confint(3, 5, method="wilson"))


def test_one_respondent_no_interval_no_nan() -> None:
    ri = pl.DataFrame({"respondent_id": ["a"], "wave": "w1", "network_id": "N", "municipality_id": "0301",
                       "team_id": "t", "role": "provider", "dimension": "impact", "index": [60.0],
                       "favourable": [False]})
    row = index_summary(ri, levels=["team"]).filter(role_group="all").row(0, named=True)
    assert row["mean"] == 60.0
    assert row["sd"] is None
    assert row["ci_low"] is None
    assert row["reason"] == "one_respondent_no_interval"


def test_bad_share_rejected() -> None:
    ans, resp = _data({"a": {"imp_aims": 5}})
    with pytest.raises(ValueError, match="min_answered_share"):
        respondent_indices(ans, resp, ITEMS, min_answered_share=0)
