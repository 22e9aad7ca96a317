from __future__ import annotations

from pathlib import Path

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
