"""Funnel plots: limits against independent computations (scipy), who is drawn, the verdicts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from evalkit.canonical import CanonicalData
from evalkit.instrument import load_instrument
from evalkit.metrics import prepare
from evalkit.metrics.funnel import binomial_limit, funnels, limits

Z95 = stats.norm.ppf(0.975)
Z998 = stats.norm.ppf(0.999)


def exact_limit(centre: float, n: int, tail: float) -> float:
    """r/n for the smallest r with P(X ≤ r) ≥ tail, X ~ Binomial(n, centre): by brute force
    over every count 0..n."""
    cdf = np.cumsum(stats.binom.pmf(np.arange(n + 1), n, centre))
    return int(np.argmax(cdf >= tail - 1e-12)) / n


def _indices(rows: list[tuple[str, str, int | None, float | None, float | None, int | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, orient="row",
        schema={"unit_level": pl.String, "unit_id": pl.String, "n": pl.Int64, "mean": pl.Float64,
                "sd": pl.Float64, "n_favourable": pl.Int64, "suppressed": pl.Boolean},
    ).with_columns(wave=pl.lit("2026"), role_group=pl.lit("all"), dimension=pl.lit("equality"))


SMALL = _indices([
    ("all", "all", 500, 70.0, 18.0, 350, False),
    ("municipality", "0301", 12, 85.0, 10.0, 12, False),   # high, small: 99.8 % upper is 86.06 — within
    ("municipality", "1103", 120, 76.0, 15.0, 100, False),  # 76 > 70 + 3.09·18/√120 = 75.08 — over
    ("municipality", "4601", 60, 61.0, 20.0, 30, False),    # 61 < 70 − 3.09·18/√60 = 62.82 — under
    ("municipality", "5001", 9, 20.0, 5.0, 0, False),       # under min_unit_n: not drawn
    ("municipality", "1804", None, None, None, None, True),  # suppressed: not drawn
    ("network", "ost", 250, 72.0, 17.0, 180, False),
    ("team", "T1", 30, 90.0, 5.0, 30, False),               # not a funnel level
])


def test_mean_limits_against_scipy() -> None:
    out = funnels(SMALL, min_unit_n=10).filter(measure="mean")
    assert sorted(out["unit_id"]) == ["0301", "1103", "4601", "ost"]
    for row in out.iter_rows(named=True):
        se = 18.0 / np.sqrt(row["n"])
        assert row["centre"] == 70.0
        assert row["sd"] == 18.0
        assert (row["lower95"], row["upper95"]) == pytest.approx(stats.norm.interval(0.95, loc=70.0, scale=se))
        assert (row["lower998"], row["upper998"]) == pytest.approx(stats.norm.interval(0.998, loc=70.0, scale=se))
    verdicts = dict(zip(out["unit_id"], out["verdict"], strict=True))
    assert verdicts == {"0301": "within", "1103": "over", "4601": "under", "ost": "within"}


def test_share_limits_exact_binomial() -> None:
    out = funnels(SMALL, min_unit_n=10).filter(measure="share_favourable")
    for row in out.iter_rows(named=True):
        n = row["n"]
        assert row["centre"] == pytest.approx(350 / 500)  # pooled, not a mean of unit shares
        assert row["sd"] is None
        for column, tail in (("lower95", 0.025), ("upper95", 0.975), ("lower998", 0.001), ("upper998", 0.999)):
            assert row[column] == pytest.approx(exact_limit(0.7, n, tail), abs=1e-12), (row["unit_id"], column)
    shares = {r["unit_id"]: (r["value"], r["verdict"]) for r in out.iter_rows(named=True)}
    # 12 of 12 against 70 %: P(X = 12) = 0.014 > 0.001, within (interpolated limits would flag it).
    assert shares["0301"] == (1.0, "within")
    assert shares["1103"][0] == pytest.approx(100 / 120)
    assert shares["1103"][1] == "over"
    assert shares["4601"] == (0.5, "under")


@pytest.mark.parametrize("n", [10, 23, 57, 140])
def test_outside_the_share_limits_means_the_exact_test_rejects(n: int) -> None:
    centre = 0.8
    rows = pl.DataFrame({"unit_level": "municipality", "unit_id": [f"m{k}" for k in range(n + 1)],
                         "n": pl.Series([n] * (n + 1), dtype=pl.Int64), "n_favourable": list(range(n + 1))})
    national = pl.DataFrame({"unit_level": ["all"], "unit_id": ["all"], "n": [1000], "n_favourable": [800]})
    idx = pl.concat([national, rows], how="diagonal").with_columns(
        wave=pl.lit("w"), role_group=pl.lit("all"), dimension=pl.lit("impact"),
        mean=pl.lit(50.0), sd=pl.lit(10.0), suppressed=pl.lit(False))
    out = funnels(idx, min_unit_n=10).filter(measure="share_favourable").sort("value")
    assert out.height == n + 1
    for k, row in enumerate(out.iter_rows(named=True)):
        for level, tail in (("95", 0.025), ("998", 0.001)):
            p_greater = stats.binomtest(k, n, centre, alternative="greater").pvalue
            p_less = stats.binomtest(k, n, centre, alternative="less").pvalue
            assert (row["value"] > row[f"upper{level}"]) == (p_greater <= tail + 1e-12), (k, level)
            assert (row["value"] < row[f"lower{level}"]) == (p_less < tail - 1e-12), (k, level)
        flagged = {"over": p_greater <= 0.001 + 1e-12, "under": p_less < 0.001 - 1e-12}
        assert row["verdict"] == next((v for v, hit in flagged.items() if hit), "within")


def test_exact_limits_approach_the_normal_ones_for_large_n() -> None:
    n = np.array([40_000.0])
    for tail in (0.001, 0.025, 0.975, 0.999):
        normal = 0.8 + stats.norm.ppf(tail) * np.sqrt(0.8 * 0.2 / n[0])
        assert binomial_limit(0.8, n, tail)[0] == pytest.approx(normal, abs=1e-4)


def test_limits_narrow_with_n_and_nest() -> None:
    n = np.arange(10.0, 400.0)
    for measure, sd in (("mean", 20.0), ("share_favourable", None)):
        lim = limits(measure, 0.75 if sd is None else 70.0, sd, n)
        assert (lim["lower998"] <= lim["lower95"]).all()
        assert (lim["upper95"] <= lim["upper998"]).all()
        if measure == "mean":
            assert (np.diff(lim["upper998"]) < 0).all()
            assert (np.diff(lim["lower998"]) > 0).all()
        else:  # exact limits are steps (a saw-tooth in n) that close in on the centre
            assert lim["upper998"][-1] < lim["upper998"][0]
            assert lim["lower998"][-1] > lim["lower998"][0]


def test_no_funnel_without_a_visible_national_row() -> None:
    hidden_all = SMALL.with_columns(
        suppressed=pl.when(pl.col("unit_level") == "all").then(True).otherwise(pl.col("suppressed")))
    assert funnels(hidden_all, min_unit_n=10).height == 0
    with pytest.raises(ValueError, match="measure"):
        limits("median", 1.0, 1.0, np.array([10.0]))


def _respondent_scores(data: CanonicalData) -> pl.DataFrame:
    """Respondent-level index scores from the canonical tables, written out here: the mean of
    the answered items on 0–100 (reverse-worded items turned), for respondents who answered
    at least half of their role's items of the dimension."""
    items = load_instrument().items_frame()
    per_role = items.select("dimension", "roles").explode("roles").group_by("roles", "dimension").agg(
        k=pl.len()).rename({"roles": "role"})
    scored = data.answers.filter(pl.col("value").is_not_null()).join(
        items.select("item_id", "dimension", "scale_min", "scale_max", "reverse"), on="item_id"
    ).with_columns(
        score=pl.when(pl.col("reverse")).then(pl.col("scale_max") - pl.col("value"))
        .otherwise(pl.col("value") - pl.col("scale_min")) / (pl.col("scale_max") - pl.col("scale_min")) * 100
    ).group_by("respondent_id", "dimension").agg(answered=pl.len(), score=pl.col("score").mean())
    return (
        data.respondents.join(scored, on="respondent_id").join(per_role, on=["role", "dimension"])
        .filter(pl.col("answered") >= 0.5 * pl.col("k"))
    )


@pytest.fixture(scope="module")
def prepared(sample_data: CanonicalData):  # type: ignore[no-untyped-def]
    return prepare(sample_data, wave="2026", compare_wave="2025")


def test_sample_funnels_match_an_independent_computation(sample_data: CanonicalData, prepared) -> None:  # type: ignore[no-untyped-def]
    scores = _respondent_scores(sample_data)
    out = prepared.funnels.filter(measure="mean")
    assert set(out["wave"]) == {"2024", "2025", "2026"}  # every wave of the sample
    assert set(out["unit_level"]) == {"municipality", "network"}
    checked = 0
    for (wave, dimension), rows in out.group_by("wave", "dimension"):
        x = scores.filter(wave=wave, dimension=dimension)
        centre, sd = x["score"].mean(), x["score"].std(ddof=1)
        for row in rows.iter_rows(named=True):
            column = "municipality_id" if row["unit_level"] == "municipality" else "network_id"
            unit = x.filter(pl.col(column) == row["unit_id"])["score"]
            assert row["n"] == unit.len()
            assert row["value"] == pytest.approx(unit.mean(), abs=1e-4)
            assert row["centre"] == pytest.approx(centre, abs=1e-4)
            se = sd / np.sqrt(unit.len())
            assert row["lower95"] == pytest.approx(centre - 1.96 * se, abs=0.01 * se + 1e-4)
            assert row["upper998"] == pytest.approx(centre + 3.09 * se, abs=0.01 * se + 1e-4)
            assert (row["lower998"], row["upper998"]) == pytest.approx(
                stats.norm.interval(0.998, loc=centre, scale=se), abs=1e-3)
            checked += 1
    assert checked > 50


def test_sample_verdicts_are_exactly_the_units_outside(prepared) -> None:  # type: ignore[no-untyped-def]
    out = prepared.funnels
    outside = (pl.col("value") > pl.col("upper998")) | (pl.col("value") < pl.col("lower998"))
    assert out.filter(outside & (pl.col("verdict") == "within")).height == 0
    assert out.filter(~outside & (pl.col("verdict") != "within")).height == 0
    assert out.filter((pl.col("verdict") == "over") & (pl.col("value") <= pl.col("upper998"))).height == 0
    assert out.filter((pl.col("verdict") == "under") & (pl.col("value") >= pl.col("lower998"))).height == 0
    assert set(out["verdict"]) <= {"over", "under", "within"}


def test_sample_draws_exactly_the_visible_units(prepared) -> None:  # type: ignore[no-untyped-def]
    keys = ["unit_level", "unit_id", "wave", "dimension"]
    visible = prepared.indices.filter(
        (pl.col("role_group") == "all") & pl.col("unit_level").is_in(["municipality", "network"])
        & ~pl.col("suppressed") & (pl.col("n") >= 10)
    ).select(*keys).sort(keys)
    drawn = prepared.funnels.filter(measure="mean").select(*keys).sort(keys)
    assert drawn.equals(visible)
    small = prepared.indices.filter((pl.col("unit_level") == "municipality") & (pl.col("role_group") == "all")
                                    & pl.col("suppressed"))
    assert small.height > 0, "the sample has hidden municipalities"
    assert prepared.funnels.join(small, on=keys, how="semi").height == 0
