from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from evalkit import canonical
from evalkit.cli import main
from evalkit.sample import generate


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    assert main(["sample", "--out", str(tmp_path / "a"), "--seed", "7"]) == 0
    assert main(["sample", "--out", str(tmp_path / "b"), "--seed", "7"]) == 0
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    files_b = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert files_a == files_b and len(files_a) == 9
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_same_seed_gives_equal_tables_and_other_seed_differs() -> None:
    a, b, c = generate(seed=11), generate(seed=11), generate(seed=12)
    for (name, fa), (_, fb) in zip(a.tables(), b.tables(), strict=True):
        assert_frame_equal(fa, fb), name
    assert not a.answers.equals(c.answers)


def test_committed_sample_is_what_the_generator_makes(sample_data: canonical.CanonicalData) -> None:
    fresh = generate(seed=7)
    for (name, committed), (_, made) in zip(sample_data.tables(), fresh.tables(), strict=True):
        assert_frame_equal(committed, made, check_row_order=True), name


def test_sample_size_and_shape(sample_data: canonical.CanonicalData, sample_dir: Path) -> None:
    d = sample_data
    assert d.networks.height == 3
    assert d.respondents["municipality_id"].n_unique() == 24
    assert d.teams["team_id"].n_unique() == 40
    assert d.waves.sort("order")["wave"].to_list() == ["2025", "2026"]
    assert 500 <= d.respondents.height <= 700
    assert set(d.respondents["role"]) == {"provider", "leader", "user_rep", "relative_rep", "experience_consultant", "other"}
    months = d.measures.group_by("team_id", "measure_id").len()["len"]
    assert months.min() >= 12 and months.max() <= 24
    per_team = d.measures.group_by("team_id").agg(pl.col("measure_id").n_unique())["measure_id"]
    assert set(per_team) <= {2, 3}
    assert set(d.progress["assessor"]) == {"faculty", "self"}
    assert sum(p.stat().st_size for p in sample_dir.iterdir()) < 2_000_000


def test_built_in_effects(sample_data: canonical.CanonicalData) -> None:
    d = sample_data
    answers = d.answers.join(d.respondents, on="respondent_id")
    equality = answers.filter(pl.col("item_id").is_in(["eq_dialogue", "eq_respect", "eq_listened", "eq_views"]))
    by_side = equality.group_by(pl.col("role").is_in(["user_rep", "relative_rep"]).alias("user_side")).agg(
        pl.col("value").mean()
    )
    means = dict(zip(by_side["user_side"], by_side["value"], strict=True))
    assert means[True] < means[False] - 0.3  # user side rates equality lower

    trained = d.teams.filter(pl.col("wave") == "2025").select("team_id", "reps_trained")
    by_training = equality.join(trained, on="team_id").group_by("reps_trained").agg(pl.col("value").mean())
    t = dict(zip(by_training["reps_trained"], by_training["value"], strict=True))
    assert t[True] > t[False]

    per_muni = d.respondents.group_by("wave", "municipality_id").len()
    assert per_muni.filter(pl.col("len") < 10).height >= 3  # under the reporting threshold
    assert "0301" in d.respondents["municipality_id"].to_list()
    assert d.answers["dont_know"].sum() > 0
    assert d.answers.filter(~pl.col("dont_know") & pl.col("value").is_null()).height > 0
    assert d.measures["note"].drop_nulls().len() > 0


def test_national_scale_size() -> None:
    d = generate(seed=7, scale="national")
    assert d.respondents["municipality_id"].n_unique() == 357
    assert 40_000 <= d.respondents.height <= 60_000
    assert d.answers.height > 600_000


# --- issue 15: a realistic sample -----------------------------------------------------

_BEFORE_TRAIT = "dbe052e"  # the last commit whose data/sample had no latent trait


def _at_commit(name: str) -> pl.DataFrame:
    import io
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        raw = subprocess.run(
            ["git", "show", f"{_BEFORE_TRAIT}:data/sample/{name}.parquet"],
            cwd=root, capture_output=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        import pytest

        pytest.skip("git history with the earlier sample is not available")
    return pl.read_parquet(io.BytesIO(raw))


def _alpha(x: np.ndarray) -> float:
    """Cronbach's alpha by the textbook formula, respondents x items, no missing."""
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_network_alpha_is_realistic(sample_data: canonical.CanonicalData) -> None:
    """Every dimension's alpha in every network (both waves' respondents) is 0.75-0.9."""
    from evalkit.instrument import load_instrument

    items = load_instrument().items_frame().select("item_id", "dimension", "reverse")
    d = sample_data
    a = (
        d.answers.join(d.respondents, on="respondent_id")
        .join(items, on="item_id")
        .with_columns(pl.when(pl.col("reverse")).then(6 - pl.col("value")).otherwise(pl.col("value")).alias("v"))
    )
    seen = {}
    for (net, dim), g in a.group_by("network_id", "dimension"):
        wide = g.pivot(on="item_id", index="respondent_id", values="v").drop("respondent_id").drop_nulls()
        assert wide.height >= 30, (net, dim)
        seen[(net, dim)] = _alpha(wide.to_numpy().astype(float))
    assert len(seen) == 3 * 5
    assert all(0.75 <= v <= 0.9 for v in seen.values()), {k: round(v, 2) for k, v in seen.items()}


def test_regenerated_sample_keeps_people_units_and_series() -> None:
    """The latent trait and the new series come from random streams of their own."""
    new = canonical.load(Path(__file__).resolve().parents[1] / "data" / "sample")
    for name in ("respondents", "teams", "networks", "municipalities", "waves", "progress", "measure_catalogue"):
        assert_frame_equal(getattr(new, name), _at_commit(name), check_dtypes=False), name
    old_measures = _at_commit("measures")
    keys = ["team_id", "measure_id", "period"]
    kept = new.measures.join(old_measures.select(keys), on=keys, how="semi")
    assert_frame_equal(kept.select(old_measures.columns), old_measures, check_dtypes=False)
    added = new.measures.join(old_measures.select(keys), on=keys, how="anti")
    assert added.select("team_id", "measure_id").unique().rows() == [("T0301-2", "waiting_days")]
    old_answers = _at_commit("answers")
    # the same people answered the same items; only the values changed
    assert_frame_equal(new.answers.select("respondent_id", "item_id", "dont_know"),
                       old_answers.select("respondent_id", "item_id", "dont_know"), check_dtypes=False)
    assert (new.answers["value"].is_null() == old_answers["value"].is_null()).all()


def _index() -> pl.Expr:
    return ((pl.col("v") - 1) * 25).mean()


def test_planted_effects_signs(sample_data: canonical.CanonicalData) -> None:
    """User side vs provider side equality index; trained / user-organisation teams higher."""
    d = sample_data
    rev = {"eq_dominate"}
    eq = (
        d.answers.join(d.respondents, on="respondent_id")
        .filter(pl.col("item_id").str.starts_with("eq_"))
        .with_columns(pl.when(pl.col("item_id").is_in(rev)).then(6 - pl.col("value")).otherwise(pl.col("value")).alias("v"))
        .drop_nulls("v")
    )
    side = eq.with_columns(
        pl.when(pl.col("role").is_in(["user_rep", "relative_rep"])).then(pl.lit("user"))
        .when(pl.col("role").is_in(["provider", "leader"])).then(pl.lit("provider")).otherwise(None).alias("side")
    ).drop_nulls("side")
    by_side = dict(side.group_by("side").agg(_index()).rows())
    assert by_side["user"] < by_side["provider"] - 5  # index points, 0-100
    facts = d.teams.filter(pl.col("wave") == "2025").select(
        "team_id", "reps_trained", pl.col("channels").list.contains("user_organisation").alias("user_org")
    )
    joined = eq.join(facts, on="team_id").drop_nulls("reps_trained")
    trained = dict(joined.group_by("reps_trained").agg(_index()).rows())
    assert trained[True] > trained[False]
    org = dict(joined.group_by("user_org").agg(_index()).rows())
    assert org[True] > org[False]


def test_measures_improve_after_a_noted_change_and_one_deteriorates(sample_data: canonical.CanonicalData) -> None:
    d = sample_data
    m = d.measures.join(d.measure_catalogue.select("measure_id", "better"), on="measure_id").with_columns(
        pl.coalesce(pl.col("value"), pl.col("numerator") / pl.col("denominator")).alias("y")
    )
    starts = m.filter(pl.col("change_introduced")).select("team_id", "measure_id", pl.col("period").alias("from"))
    assert starts.height > 10
    assert m.filter(pl.col("change_introduced"))["note"].is_in(["Ny rutine innført", "Startet med «Hva er viktig for deg?»-samtaler", "Felles sjekkliste tatt i bruk"]).all()
    parts = m.join(starts, on=["team_id", "measure_id"]).group_by("team_id", "measure_id", pl.col("period") >= pl.col("from")).agg(pl.col("y").mean())
    wide = parts.pivot(on="period", index=["team_id", "measure_id"], values="y")
    assert (wide["true"] > wide["false"]).all()  # all noted changes are in p-charts whose better is "up"
    w = m.filter(pl.col("team_id") == "T0301-2", pl.col("measure_id") == "waiting_days").sort("period")
    assert w["better"][0] == "down" and not w["change_introduced"].any()
    half = w.height // 2
    assert w["y"][half:].mean() > w["y"][:half].mean() + 5  # longer waits: worse in its own terms
