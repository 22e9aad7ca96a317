"""The multilevel model: the exact solver against dense linear algebra and statsmodels'
MixedLM, known effects recovered from simulations, the sample's planted effects, privacy."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from scipy import linalg, stats

from evalkit.canonical import CanonicalData
from evalkit.instrument import load_instrument
from evalkit.metrics import prepare
from evalkit.metrics._mixed import MixedFit, fit_random_intercepts
from evalkit.metrics.indices import index_summary, respondent_indices
from evalkit.metrics.model import SIDE_TERM, TERMS, involvement_model, model_data

TRUE_BETA = np.array([60.0, -10.0, 6.0])  # intercept, user side, trained team
TEAM_SD, MUNI_SD, RESIDUAL_SD = 5.0, 4.0, 15.0


def simulate(rng: np.random.Generator, teams: int = 100, municipalities: int = 40,
             muni_sd: float = MUNI_SD) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Respondents in teams in municipalities with known fixed effects and variances."""
    muni_of_team = np.concatenate([np.arange(municipalities), rng.integers(0, municipalities, teams - municipalities)])
    team = np.repeat(np.arange(teams), rng.integers(4, 12, teams))
    muni = muni_of_team[team]
    trained = (rng.random(teams) < 0.5).astype(float)[team]
    side = (rng.random(team.size) < 0.3).astype(float)
    x = np.column_stack([np.ones(team.size), side, trained])
    y = (x @ TRUE_BETA + rng.normal(0, muni_sd, municipalities)[muni] + rng.normal(0, TEAM_SD, teams)[team]
         + rng.normal(0, RESIDUAL_SD, team.size))
    return y, x, team, muni


def dense_criterion(y: np.ndarray, x: np.ndarray, team: np.ndarray, muni: np.ndarray | None,
                    var_team: float, var_muni: float, var_res: float) -> tuple[float, np.ndarray, np.ndarray]:
    """−2 REML log-likelihood, GLS β and Var(β), with the full N × N covariance matrix."""
    same_team = (team[:, None] == team[None, :]).astype(float)
    v = var_res * np.eye(len(y)) + var_team * same_team
    if muni is not None:
        v += var_muni * (muni[:, None] == muni[None, :])
    v_inv = linalg.inv(v)
    xvx = x.T @ v_inv @ x
    beta = linalg.solve(xvx, x.T @ v_inv @ y)
    r = y - x @ beta
    n, p = x.shape
    crit = (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xvx)[1] + r @ v_inv @ r + (n - p) * np.log(2 * np.pi))
    return float(crit), beta, linalg.inv(xvx)


@pytest.mark.parametrize("nested", [False, True])
def test_closed_form_matches_dense_linear_algebra(nested: bool) -> None:
    y, x, team, muni = simulate(np.random.default_rng(3), teams=30, municipalities=12)
    fit = fit_random_intercepts(y, x, team, muni if nested else None)
    crit, beta, cov = dense_criterion(y, x, team, muni if nested else None, fit.var_team,
                                      fit.var_municipality or 0.0, fit.var_residual)
    assert fit.criterion == pytest.approx(crit, rel=1e-10)
    np.testing.assert_allclose(fit.estimate, beta, rtol=1e-9)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-7)
    assert fit.n == len(y) and fit.n_teams == 30 and fit.n_municipalities == (12 if nested else 0)


def _statsmodels(y: np.ndarray, x: np.ndarray, team: np.ndarray, muni: np.ndarray | None):  # type: ignore[no-untyped-def]
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MixedLM's convergence chatter; the result is checked below
        if muni is None:
            return sm.MixedLM(y, x, groups=team).fit(reml=True)
        vc = {"team": {g: (team[muni == g][:, None] == np.unique(team[muni == g])[None, :]).astype(float)
                       for g in np.unique(muni)}}
        # MixedLM's default optimiser (bfgs) stops short on these data; L-BFGS converges.
        return sm.MixedLM(y, x, groups=muni, exog_re=np.ones((len(y), 1)), exog_vc=vc).fit(reml=True, method="lbfgs")


@pytest.mark.parametrize("nested", [False, True])
def test_agrees_with_statsmodels_mixedlm(nested: bool) -> None:
    y, x, team, muni = simulate(np.random.default_rng(11), teams=60, municipalities=25)
    fit = fit_random_intercepts(y, x, team, muni if nested else None)
    ref = _statsmodels(y, x, team, muni if nested else None)
    assert ref.converged
    assert fit.criterion == pytest.approx(-2 * ref.llf, abs=1e-4)
    np.testing.assert_allclose(fit.estimate, ref.fe_params, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(fit.se, ref.bse_fe, rtol=0.03)
    assert fit.var_residual == pytest.approx(ref.scale, rel=1e-3)
    if nested:
        assert fit.var_municipality == pytest.approx(float(np.ravel(ref.cov_re)[0]), rel=1e-2, abs=1e-2)
        assert fit.var_team == pytest.approx(float(ref.vcomp[0]), rel=1e-2, abs=1e-2)
    else:
        assert fit.var_team == pytest.approx(float(np.ravel(ref.cov_re)[0]), rel=1e-2)


def test_recovers_known_effects_and_variances() -> None:
    y, x, team, muni = simulate(np.random.default_rng(2026), teams=600, municipalities=250)
    fit = fit_random_intercepts(y, x, team, muni, names=["const", "side", "trained"])
    assert fit.converged
    assert np.all(np.abs(fit.estimate - TRUE_BETA) < 3 * fit.se)
    assert np.all(fit.se[1:] < 1.0)  # precise enough for the check above to mean something
    assert fit.var_residual == pytest.approx(RESIDUAL_SD**2, rel=0.05)
    assert fit.var_team == pytest.approx(TEAM_SD**2, rel=0.35)
    assert fit.var_municipality == pytest.approx(MUNI_SD**2, rel=0.5)


def test_intervals_cover_the_truth() -> None:
    rng = np.random.default_rng(17)
    reps = 200
    hits = np.zeros(3)
    for _ in range(reps):
        y, x, team, muni = simulate(rng, teams=80, municipalities=30)
        low, high = fit_random_intercepts(y, x, team, muni).interval()
        hits += (low <= TRUE_BETA) & (high >= TRUE_BETA)
    coverage = hits / reps
    # 95 % intervals: within about three binomial standard errors (±4.6 points at 200 runs).
    assert np.all((coverage >= 0.90) & (coverage <= 0.995)), coverage


def test_no_municipality_variance_is_found_at_zero() -> None:
    y, x, team, muni = simulate(np.random.default_rng(5), teams=200, municipalities=80, muni_sd=0.0)
    fit = fit_random_intercepts(y, x, team, muni)
    assert fit.var_municipality is not None
    assert fit.var_municipality < 0.2 * MUNI_SD**2
    assert isinstance(fit, MixedFit) and fit.converged


def test_bad_designs_are_refused() -> None:
    y, x, team, _ = simulate(np.random.default_rng(1), teams=20, municipalities=8)
    with pytest.raises(ValueError, match="full column rank"):
        fit_random_intercepts(y, np.column_stack([x, x[:, 1]]), team)
    with pytest.raises(ValueError, match="more than one municipality"):
        fit_random_intercepts(y, x, team, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="finite"):
        fit_random_intercepts(np.where(np.arange(len(y)) == 0, np.nan, y), x, team)


# --- the model of the indices, on the committed sample ----------------------------------


@pytest.fixture(scope="module")
def prepared(sample_data: CanonicalData):  # type: ignore[no-untyped-def]
    return prepare(sample_data, wave="2026", compare_wave="2025")


@pytest.mark.parametrize("wave", ["2025", "2026"])
def test_sample_planted_effects_have_the_right_sign(sample_data: CanonicalData, wave: str) -> None:
    # data/sample/README.md: user-side representatives rate equality (and impact) lower than
    # providers; teams that recruited through a user organisation or trained their
    # representatives report higher equality and impact.
    ri = respondent_indices(sample_data.answers, sample_data.respondents, load_instrument().items_frame())
    out = involvement_model(ri, sample_data.teams, wave=wave, indices=index_summary(ri, levels=["all"]),
                            dimensions=["equality", "impact"])
    est = {(r["dimension"], r["term"]): r for r in out.iter_rows(named=True)}
    for dimension in ("equality", "impact"):
        assert est[(dimension, SIDE_TERM)]["estimate"] < 0
        assert est[(dimension, "reps_trained")]["estimate"] > 0
        assert est[(dimension, "channel:user_organisation")]["estimate"] > 0
        assert est[(dimension, "reps_trained")]["converged"]
    # The largest planted effect is clear in every wave: user side −0.7 on the 1–5 scale.
    assert est[("equality", SIDE_TERM)]["ci_high"] < -5


def test_sample_model_rows_and_privacy(prepared, sample_data: CanonicalData) -> None:  # type: ignore[no-untyped-def]
    model = prepared.model
    assert set(model["wave"]) == {"2026"}
    assert model.group_by("dimension").len()["len"].to_list() == [len(TERMS)] * model["dimension"].n_unique()
    shown = model.filter(~pl.col("suppressed"))
    # A count of respondents is shown only as a figure the indices frame shows: the model's
    # n is the user side plus the provider side, blank when either is hidden there.
    top = prepared.indices.filter(unit_level="all", wave="2026")
    blanked = 0
    for row in shown.iter_rows(named=True):
        sides = {r["role_group"]: r["n"] for r in top.filter(dimension=row["dimension"]).iter_rows(named=True)}
        user, provider = sides.get("user_side", 0), sides.get("provider_side", 0)  # no row: nobody
        assert row["n"] == (None if user is None or provider is None else user + provider)
        blanked += row["n"] is None
        if row["counted_in"] == "respondents":
            assert (row["n_with"], row["n_without"]) == (user, provider)
        elif row["reason"] is None:
            assert row["n_with"] >= 2 and row["n_without"] >= 2
    # In the sample, suppression hides the user side of the experience-consultant index
    # for the whole data set (to protect a small group): the model must not give it back.
    assert blanked > 0
    assert shown.filter(dimension="experience_consultants")["n"].is_null().all()
    assert shown.filter(pl.col("estimate").is_not_null())["n_teams"].min() >= 10
    hidden = model.filter(pl.col("suppressed"))
    assert hidden.height > 0, "the sample has a channel too few teams used"
    figures = [c for c in model.columns if c not in ("unit_level", "unit_id", "wave", "dimension", "term",
                                                     "suppressed", "reason")]
    assert hidden.select(pl.all_horizontal(pl.col(figures).is_null())).to_series().all()
    assert set(hidden["reason"]) <= {"too_few_teams_or_people", "too_few_to_model"}
    # The recruitment index is answered by the user side only: no side term, said why.
    side = model.filter(dimension="recruitment", term=SIDE_TERM).row(0, named=True)
    assert side["estimate"] is None and side["reason"] == "no_variation" and not side["suppressed"]
    assert side["n"] == side["n_with"] > 0 and side["n_without"] == 0


def test_sample_model_sits_beside_the_simple_comparison(prepared) -> None:  # type: ignore[no-untyped-def]
    model = prepared.model.filter(dimension="equality")
    prom = prepared.promoters.filter(unit_level="all", wave="2026", dimension="equality",
                                     factor="reps_trained").row(0, named=True)
    gap = prepared.gaps.filter(unit_level="all", wave="2026", dimension="equality", group="user_side",
                               measure="index_mean").row(0, named=True)
    assert model.filter(term="reps_trained")["simple_estimate"].item() == prom["estimate"]
    assert model.filter(term=SIDE_TERM)["simple_estimate"].item() == gap["estimate"]
    assert model.filter(term=SIDE_TERM)["simple_ci_low"].item() == gap["ci_low"]


def test_teams_without_team_survey_keep_their_respondents() -> None:
    rng = np.random.default_rng(8)
    rows = []
    for t in range(24):
        for k in range(8):
            rows.append({"respondent_id": f"r{t}-{k}", "wave": "w", "team_id": f"t{t}",
                         "municipality_id": f"{1000 + t // 2}", "role": "user_rep" if k < 2 else "provider",
                         "dimension": "impact", "index": float(rng.normal(60 + 8 * (t % 2), 10))})
    ri = pl.DataFrame(rows).with_columns(network_id=pl.lit("N"), favourable=pl.col("index") >= 75)
    teams = pl.DataFrame({"wave": "w", "team_id": [f"t{t}" for t in range(24)],
                          "channels": [None if t < 3 else (["user_organisation"] if t % 2 else ["other"])
                                       for t in range(24)],
                          "reps_trained": [None if t < 3 else bool(t % 2) for t in range(24)]})
    data = model_data(ri, teams, wave="w", dimension="impact")
    assert data.height == 24 * 8
    out = involvement_model(ri, teams, wave="w", indices=index_summary(ri, levels=["all"]))
    row = out.filter(term="reps_trained").row(0, named=True)
    assert row["n"] == 24 * 8 and row["n_teams"] == 24
    assert (row["n_with"], row["n_without"]) == (11, 10)  # teams that answered
    assert row["reason"] is None
    assert row["ci_low"] < 8 < row["ci_high"]
    # Among the teams that answered, a user organisation always goes with training and
    # "other" never does: those two terms add nothing and are said to be collinear.
    reasons = dict(zip(out["term"], out["reason"], strict=True))
    assert reasons["channel:user_organisation"] == reasons["channel:other"] == "collinear"
    assert reasons["channel:known_to_team"] == "no_variation"


def test_too_few_teams_fits_nothing() -> None:
    ri = pl.DataFrame({"respondent_id": [f"r{k}" for k in range(40)], "wave": "w",
                       "team_id": [f"t{k % 4}" for k in range(40)], "municipality_id": "0301",
                       "role": ["provider", "user_rep"] * 20, "dimension": "equality",
                       "index": np.linspace(40, 90, 40), "network_id": "N"}).with_columns(
                           favourable=pl.col("index") >= 75)
    teams = pl.DataFrame({"wave": "w", "team_id": [f"t{k}" for k in range(4)],
                          "channels": [["other"]] * 4, "reps_trained": [True, False, True, False]})
    out = involvement_model(ri, teams, wave="w", indices=index_summary(ri, levels=["all"]))
    assert out.height == len(TERMS)
    assert out["suppressed"].all() and set(out["reason"]) == {"too_few_to_model"}
    assert out["n"].is_null().all()


def test_p_values_are_wald(prepared) -> None:  # type: ignore[no-untyped-def]
    row = prepared.model.filter(dimension="equality", term=SIDE_TERM).row(0, named=True)
    se = (row["ci_high"] - row["ci_low"]) / (2 * stats.norm.ppf(0.975))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(row["estimate"]) / se), rel=1e-9)


def test_same_bits_whatever_the_row_order(sample_data: CanonicalData) -> None:
    ri = respondent_indices(sample_data.answers, sample_data.respondents, load_instrument().items_frame()).collect()
    indices = index_summary(ri, levels=["all"])
    first = involvement_model(ri, sample_data.teams, wave="2026", indices=indices)
    shuffled = involvement_model(ri.sample(fraction=1.0, shuffle=True, seed=4), sample_data.teams.reverse(),
                                 wave="2026", indices=indices)
    assert shuffled.equals(first)


def test_as_many_terms_as_people_fits_nothing() -> None:
    # Ten teams of one respondent each and nine independent columns (the intercept, "not
    # answered", side, training, five channels): one degree of freedom, no model.
    channels = [["user_organisation"], ["known_to_team"], ["via_services"], ["via_experience_consultant"],
                ["other"], ["user_organisation", "known_to_team"], ["via_services", "other"],
                ["known_to_team", "via_experience_consultant"], ["user_organisation", "other"], None]
    ri = pl.DataFrame({"respondent_id": [f"r{k}" for k in range(10)], "wave": "w",
                       "team_id": [f"t{k}" for k in range(10)], "municipality_id": [f"{1000 + k}" for k in range(10)],
                       "network_id": "N", "role": ["provider", "user_rep"] * 5, "dimension": "impact",
                       "index": np.linspace(30, 90, 10)}).with_columns(favourable=pl.col("index") >= 75)
    teams = pl.DataFrame({"wave": "w", "team_id": [f"t{k}" for k in range(10)], "channels": channels,
                          "reps_trained": [k % 3 == 0 if k < 9 else None for k in range(10)]})
    design = model_data(ri, teams, wave="w").drop("dimension", "team_id", "municipality_id", "index")
    x = np.column_stack([np.ones(10), design.to_numpy()])
    assert np.linalg.matrix_rank(x) == 9
    out = involvement_model(ri, teams, wave="w", indices=index_summary(ri, levels=["all"]))
    assert set(out["reason"]) == {"too_few_to_model"}
    assert out["estimate"].is_null().all()
