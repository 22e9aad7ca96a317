"""Role gaps, benchmarks and wave changes against scipy/statsmodels."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from evalkit.metrics import benchmarks, role_gaps, wave_changes

RNG = np.random.default_rng(5)
USER = RNG.uniform(20, 90, 9)
PROV = RNG.uniform(50, 100, 23)


def _row(level: str, uid: str, group: str, x: np.ndarray, fav: int, wave: str = "w") -> dict[str, object]:
    return {"unit_level": level, "unit_id": uid, "wave": wave, "role_group": group, "dimension": "equality",
            "n": len(x), "mean": float(x.mean()), "sd": float(x.std(ddof=1)), "n_favourable": fav}


def test_role_gap_matches_welch_and_newcombe() -> None:
    idx = pl.DataFrame([_row("team", "t", "user_side", USER, 3), _row("team", "t", "provider_side", PROV, 18)])
    out = role_gaps(idx).filter(group="user_side")
    mean = out.filter(measure="index_mean").row(0, named=True)
    ref = stats.ttest_ind(USER, PROV, equal_var=False)
    ci = ref.confidence_interval()
    assert mean["estimate"] == pytest.approx(USER.mean() - PROV.mean())
    assert (mean["ci_low"], mean["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert mean["flag"] == bool(ci.high < 0 or ci.low > 0)
    share = out.filter(measure="share_favourable").row(0, named=True)
    lo, hi = confint_proportions_2indep(3, 9, 18, 23, method="newcomb", compare="diff")
    assert (share["ci_low"], share["ci_high"]) == pytest.approx((lo, hi))
    assert share["n"] == 32
    assert share["reference"] == "provider_side"


def test_role_gap_of_suppressed_input_is_suppressed() -> None:
    idx = pl.DataFrame([_row("team", "t", "user_side", USER, 3), _row("team", "t", "provider_side", PROV, 18)])
    idx = idx.with_columns(suppressed=pl.Series([True, False]))
    out = role_gaps(idx)
    assert out["suppressed"].all()
    assert out["n"].is_null().all()
    assert out["estimate"].is_null().all()


def test_benchmark_leaves_the_unit_out_of_the_parent() -> None:
    team = RNG.uniform(60, 100, 12)
    rest = RNG.uniform(30, 90, 40)
    both = np.concatenate([team, rest])
    idx = pl.DataFrame([_row("team", "t1", "all", team, 10), _row("municipality", "m", "all", both, 25)])
    tree = pl.DataFrame({"unit_level": ["team"], "unit_id": ["t1"], "parent_level": ["municipality"],
                         "parent_id": ["m"]})
    out = benchmarks(idx, tree)
    mean = out.filter(measure="index_mean").row(0, named=True)
    ref = stats.ttest_ind(team, rest, equal_var=False)
    assert mean["comparison_n"] == 40
    assert mean["estimate"] == pytest.approx(team.mean() - rest.mean())
    assert mean["p_value"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert mean["result"] == ("above" if ref.pvalue < 0.05 and ref.statistic > 0 else
                              "below" if ref.pvalue < 0.05 else "no_clear_difference")
    share = out.filter(measure="share_favourable").row(0, named=True)
    lo, hi = confint_proportions_2indep(10, 12, 15, 40, method="newcomb", compare="diff")
    assert (share["ci_low"], share["ci_high"]) == pytest.approx((lo, hi))
    assert "many" in share["note"].lower()


def test_benchmark_bh_adjustment_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    rows = []
    tree_rows = []
    parent = []
    for i in range(6):
        x = RNG.normal(50 + 6 * i, 10, 15)
        rows.append(_row("team", f"t{i}", "all", x, int((x >= 75).sum())))
        tree_rows.append(("team", f"t{i}", "municipality", "m"))
        parent.append(x)
    allx = np.concatenate(parent)
    rows.append(_row("municipality", "m", "all", allx, int((allx >= 75).sum())))
    tree = pl.DataFrame(tree_rows, schema=["unit_level", "unit_id", "parent_level", "parent_id"], orient="row")
    out = benchmarks(pl.DataFrame(rows), tree).filter(measure="index_mean").sort("unit_id")
    ref = multipletests(out["p_value"].to_numpy(), method="fdr_bh")[1]
    assert out["p_adjusted"].to_numpy() == pytest.approx(ref)
    assert set(out["m_comparisons"]) == {6}


def test_benchmark_hidden_when_parent_without_unit_is_small() -> None:
    team = RNG.uniform(60, 100, 12)
    rest = RNG.uniform(30, 90, 3)
    idx = pl.DataFrame([_row("team", "t1", "all", team, 10),
                        _row("municipality", "m", "all", np.concatenate([team, rest]), 11)])
    tree = pl.DataFrame({"unit_level": ["team"], "unit_id": ["t1"], "parent_level": ["municipality"],
                         "parent_id": ["m"]})
    out = benchmarks(idx, tree, min_cell_n=5)
    assert out["suppressed"].all()
    assert out["comparison_n"].is_null().all()


def test_wave_change_matches_welch() -> None:
    before = RNG.uniform(30, 80, 20)
    now = RNG.uniform(40, 95, 25)
    idx = pl.DataFrame([_row("team", "t", "all", before, 4, wave="w1"), _row("team", "t", "all", now, 12, wave="w2")])
    out = wave_changes(idx, wave="w2", compare_wave="w1").filter(measure="index_mean").row(0, named=True)
    ci = stats.ttest_ind(now, before, equal_var=False).confidence_interval()
    assert out["estimate"] == pytest.approx(now.mean() - before.mean())
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert out["compare_wave"] == "w1"
