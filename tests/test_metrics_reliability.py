"""Cronbach's alpha: hand calculations, undefined cases, row order, the per-unit frame."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalkit.instrument import load_instrument
from evalkit.metrics import cronbach_alpha, reliability


def _alpha_by_hand(x: np.ndarray) -> float:
    # α = k/(k−1)·(1 − Σσᵢ²/σ²ₜₒₜₐₗ), sample variances.
    k = x.shape[1]
    item_vars = [np.var(x[:, j], ddof=1) for j in range(k)]
    total_var = np.var(x.sum(axis=1), ddof=1)
    return k / (k - 1) * (1 - sum(item_vars) / total_var)


def test_alpha_worked_example() -> None:
    # a = 1,2,3,4 (var 5/3); b = 2,2,4,4 (var 4/3); c = 1,3,3,5 (var 8/3); totals 4,7,10,13 (var 15)
    # α = 3/2 · (1 − (17/3)/15) = 0.9333…
    df = pl.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]})
    assert cronbach_alpha(df) == pytest.approx(1.5 * (1 - (17 / 3) / 15))


def test_alpha_listwise_deletion() -> None:
    df = pl.DataFrame({"a": [1, 2, 3, 4, None], "b": [2, 2, 4, 4, 5], "c": [1, 3, 3, 5, 1]})
    assert cronbach_alpha(df) == pytest.approx(1.5 * (1 - (17 / 3) / 15))


@pytest.mark.parametrize(
    "df",
    [
        pl.DataFrame({"a": [1, 2, 3]}),  # one item
        pl.DataFrame({"a": [1, None], "b": [2, 3]}),  # one complete row
        pl.DataFrame({"a": [3, 3, 3], "b": [4, 4, 4]}),  # zero total variance
        pl.DataFrame({"a": [], "b": []}, schema={"a": pl.Int8, "b": pl.Int8}),
    ],
)
def test_alpha_undefined_is_none(df: pl.DataFrame) -> None:
    assert cronbach_alpha(df) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.integers(1, 5)] * 4), min_size=3, max_size=30), st.randoms())
def test_alpha_hand_formula_and_row_order(rows: list[tuple[int, ...]], rnd: object) -> None:
    x = np.array(rows, dtype=float)
    df = pl.DataFrame(x, schema=["a", "b", "c", "d"], orient="row")
    ours = cronbach_alpha(df)
    if np.var(x.sum(axis=1), ddof=1) == 0:
        assert ours is None
        return
    assert ours == pytest.approx(_alpha_by_hand(x))
    assert cronbach_alpha(df.sample(fraction=1.0, shuffle=True, seed=3)) == pytest.approx(ours)


def _frames(values: dict[str, list[int | None]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(next(iter(values.values())))
    ids = [f"r{i}" for i in range(n)]
    resp = pl.DataFrame({"respondent_id": ids, "wave": "w1", "network_id": "N",
                         "municipality_id": "0301", "team_id": "t", "role": "provider"})
    rows = [(rid, item, v) for item, vals in values.items() for rid, v in zip(ids, vals, strict=True)]
    ans = pl.DataFrame(rows, schema={"respondent_id": pl.String, "item_id": pl.String, "value": pl.Int8},
                       orient="row").with_columns(dont_know=pl.col("value").is_null())
    return ans, resp


def test_reliability_frame_matches_alpha_and_feldt() -> None:
    items = load_instrument().items_frame()
    vals = {"imp_aims": [1, 2, 3, 4, 5, 2], "imp_changes": [2, 2, 4, 4, 5, 1], "imp_results": [1, 3, 3, 5, 4, 2]}
    ans, resp = _frames(vals)
    out = reliability(ans, resp, items, levels=["team"]).filter(dimension="impact").row(0, named=True)
    x = np.array(list(vals.values()), dtype=float).T
    expected = _alpha_by_hand(x)
    assert out["alpha"] == pytest.approx(expected)
    assert out["n"] == 6
    assert out["k"] == 3
    assert out["ci_low"] == pytest.approx(1 - (1 - expected) * stats.f.ppf(0.975, 5, 10))
    assert out["ci_high"] == pytest.approx(1 - (1 - expected) * stats.f.ppf(0.025, 5, 10))
    assert out["low_reliability"] == (expected < 0.70)


def test_reliability_reverse_item_is_turned() -> None:
    # eq_dominate is reverse-coded: answering it as the mirror image of the others keeps alpha high.
    items = load_instrument().items_frame().filter(pl.col("item_id").is_in(["eq_respect", "eq_dominate"]))
    ans, resp = _frames({"eq_respect": [1, 2, 3, 4, 5], "eq_dominate": [5, 4, 3, 2, 1]})
    out = reliability(ans, resp, items, levels=["team"]).filter(dimension="equality")
    assert out["alpha"][0] == pytest.approx(1.0)


def test_reliability_zero_variance_and_one_item_give_reasons() -> None:
    items = load_instrument().items_frame()
    ans, resp = _frames({"imp_aims": [3, 3, 3], "imp_changes": [3, 3, 3], "imp_results": [3, 3, 3]})
    out = reliability(ans, resp, items, levels=["team"])
    impact = out.filter(dimension="impact").row(0, named=True)
    assert impact["alpha"] is None
    assert impact["reason"] == "zero_variance"
    one = items.filter(pl.col("item_id") == "imp_aims")
    single = reliability(ans, resp, one, levels=["team"]).row(0, named=True)
    assert single["alpha"] is None
    assert single["reason"] == "one_item"
    nobody = out.filter(dimension="equality").row(0, named=True)
    assert nobody["alpha"] is None
    assert nobody["reason"] == "fewer_than_2_complete"


def test_network_alpha_matches_a_hand_calculation_and_its_interval_contains_it(sample_data) -> None:  # type: ignore[no-untyped-def]
    """Issue 15: on the realistic sample, the metric's network alpha is the textbook
    formula's (numpy) and its Feldt interval contains it (scipy's F quantiles)."""
    import numpy as np
    import polars as pl
    from scipy import stats

    from evalkit.instrument import load_instrument
    from evalkit.metrics.reliability import reliability

    items = load_instrument().items_frame()
    out = reliability(sample_data.answers, sample_data.respondents, items, levels=["network"])
    rows = out.filter(pl.col("alpha").is_not_null())
    assert rows.height >= 25
    assert (rows["ci_low"] <= rows["alpha"]).all() and (rows["alpha"] <= rows["ci_high"]).all()
    a = sample_data.answers.join(sample_data.respondents, on="respondent_id").filter(
        pl.col("network_id") == "ost", pl.col("wave") == "2026", pl.col("item_id").str.starts_with("eq_"))
    a = a.with_columns(pl.when(pl.col("item_id") == "eq_dominate").then(6 - pl.col("value")).otherwise(pl.col("value")).alias("v"))
    x = a.pivot(on="item_id", index="respondent_id", values="v").drop("respondent_id").drop_nulls().to_numpy().astype(float)
    n, k = x.shape
    hand = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    got = rows.filter(unit_id="ost", wave="2026", dimension="equality").row(0, named=True)
    assert got["n"] == n and got["alpha"] == pytest.approx(hand, abs=1e-9)
    assert got["ci_low"] == pytest.approx(1 - (1 - hand) * stats.f.ppf(0.975, n - 1, (n - 1) * (k - 1)), abs=1e-9)
    assert 0.75 <= hand <= 0.9
    assert np.isfinite(got["ci_high"])
