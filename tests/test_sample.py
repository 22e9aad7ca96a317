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
    assert d.waves.sort("order")["wave"].to_list() == ["2024", "2025", "2026"]
    per_wave = dict(d.respondents.group_by("wave").len().rows())
    assert 500 <= per_wave["2025"] + per_wave["2026"] <= 700
    assert 200 <= per_wave["2024"] <= 350
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
    assert d.wave_order() == ["2024", "2025", "2026"]
    assert 40_000 <= d.respondents.filter(pl.col("wave") != "2024").height <= 60_000
    assert 15_000 <= d.respondents.filter(pl.col("wave") == "2024").height <= 30_000
    assert d.answers.height > 600_000


# --- issue 15: a realistic sample -----------------------------------------------------

_BEFORE_TRAIT = "dbe052e"  # the last commit whose data/sample had no latent trait


def _at_commit(name: str, commit: str = _BEFORE_TRAIT) -> pl.DataFrame:
    import io
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        raw = subprocess.run(
            ["git", "show", f"{commit}:data/sample/{name}.parquet"],
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


def _network_alphas(d: canonical.CanonicalData, waves: list[str]) -> dict[tuple[str, str], float]:
    from evalkit.instrument import load_instrument

    items = load_instrument().items_frame().select("item_id", "dimension", "reverse")
    a = (
        d.answers.join(d.respondents.filter(pl.col("wave").is_in(waves)), on="respondent_id")
        .join(items, on="item_id")
        .with_columns(pl.when(pl.col("reverse")).then(6 - pl.col("value")).otherwise(pl.col("value")).alias("v"))
    )
    seen = {}
    for (net, dim), g in a.group_by("network_id", "dimension"):
        wide = g.pivot(on="item_id", index="respondent_id", values="v").drop("respondent_id").drop_nulls()
        assert wide.height >= 30, (net, dim)
        seen[(net, dim)] = _alpha(wide.to_numpy().astype(float))
    assert len(seen) == 3 * 5
    return seen


def test_network_alpha_is_realistic(sample_data: canonical.CanonicalData) -> None:
    """Every dimension's alpha in every network (2025 and 2026's respondents, the waves
    the trait was tuned on) is 0.75-0.9; with the 2024 wave pooled in, about that
    (midtnord's recruitment items, 16 complete answers in 2024, pull it to 0.749)."""
    seen = _network_alphas(sample_data, ["2025", "2026"])
    assert all(0.75 <= v <= 0.9 for v in seen.values()), {k: round(v, 2) for k, v in seen.items()}
    pooled = _network_alphas(sample_data, ["2024", "2025", "2026"])
    assert all(0.74 <= v <= 0.9 for v in pooled.values()), {k: round(v, 2) for k, v in pooled.items()}


def test_regenerated_sample_keeps_people_units_and_series() -> None:
    """The latent trait and the new series come from random streams of their own."""
    new = _without_first_wave(canonical.load(Path(__file__).resolve().parents[1] / "data" / "sample"))
    for name in ("respondents", "teams", "networks", "municipalities", "progress", "measure_catalogue"):
        assert_frame_equal(new[name], _at_commit(name), check_dtypes=False), name
    assert_frame_equal(new["waves"].drop("order"), _at_commit("waves").drop("order"), check_dtypes=False)
    old_measures = _at_commit("measures")
    keys = ["team_id", "measure_id", "period"]
    kept = new["measures"].join(old_measures.select(keys), on=keys, how="semi")
    assert_frame_equal(kept.select(old_measures.columns), old_measures, check_dtypes=False)
    added = new["measures"].join(old_measures.select(keys), on=keys, how="anti")
    assert added.select("team_id", "measure_id").unique().rows() == [("T0301-2", "waiting_days")]
    old_answers = _at_commit("answers")
    # the same people answered the same items; only the values changed
    assert_frame_equal(new["answers"].select("respondent_id", "item_id", "dont_know"),
                       old_answers.select("respondent_id", "item_id", "dont_know"), check_dtypes=False)
    assert (new["answers"]["value"].is_null() == old_answers["value"].is_null()).all()


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


# --- issue 17: a third wave, 2024, from a random stream of its own ----------------------

_BEFORE_FIRST_WAVE = "abfee48"  # the last commit whose data/sample had only 2025 and 2026
# sha256 (first 16 hex digits) of each table's schema and rows as NDJSON, from the files
# of commit abfee48 (``waves`` without its ``order``, renumbered when 2024 came first).
_DIGESTS_BEFORE_FIRST_WAVE = {
    "respondents": "229e7bd31b002067",
    "answers": "a48fb4a018a74afd",
    "teams": "194d6b72bd89573d",
    "measures": "cec9c7f9c674eae0",
    "progress": "2c4f809c968f0abe",
    "networks": "82a5d60c8e704844",
    "municipalities": "be51a30c57e729a4",
    "waves": "0f004e15a700b67c",
    "measure_catalogue": "743f4bd031249c0a",
}


# The first years that the municipality register (issue 18) corrected after 2024 came in:
# number -> (the year data/sample said before, the register's). Undone below so that the
# comparisons with the files before the first wave see only what 2024 could have changed;
# tests/test_municipalities.py checks the corrected years against the register.
_FIRST_YEARS_CORRECTED = {"1108": (1838, 2020), "3403": (2024, 2020), "3405": (2024, 2020), "3407": (2024, 2020)}


def _without_first_wave(data: canonical.CanonicalData) -> dict[str, pl.DataFrame]:
    """Every table's rows of 2025 and 2026 (answers: of those waves' respondents), in file
    order; the municipalities' first years as they were before the register corrected them."""
    later = data.respondents.filter(pl.col("wave") != "2024")
    out = {}
    for name, frame in data.tables():
        if name not in _DIGESTS_BEFORE_FIRST_WAVE:  # rejections: no file in the sample
            continue
        if "wave" in frame.columns:
            frame = frame.filter(pl.col("wave") != "2024")
        if name == "answers":
            frame = frame.filter(pl.col("respondent_id").is_in(later["respondent_id"].implode()))
        if name == "municipalities":
            for number, (_was, now) in _FIRST_YEARS_CORRECTED.items():
                assert frame.filter(pl.col("municipality_id") == number)["valid_from"].to_list() == [now]
            before = {n: was for n, (was, _now) in _FIRST_YEARS_CORRECTED.items()}
            frame = frame.with_columns(
                pl.when(pl.col("municipality_id").is_in(list(before)))
                .then(pl.col("municipality_id").replace_strict(before, default=None,
                                                               return_dtype=frame.schema["valid_from"]))
                .otherwise(pl.col("valid_from")).alias("valid_from"))
        out[name] = frame
    return out


def _digest(frame: pl.DataFrame) -> str:
    import hashlib

    h = hashlib.sha256()
    h.update(repr(list(frame.schema.items())).encode())
    h.update(frame.write_ndjson().encode())
    return h.hexdigest()[:16]


def test_first_wave_leaves_every_2025_and_2026_row_as_it_was(sample_data: canonical.CanonicalData) -> None:
    """Checksums of the committed files before 2024 was added (needs no git history)."""
    later = _without_first_wave(sample_data)
    assert len(later) == len(_DIGESTS_BEFORE_FIRST_WAVE) == 9
    later["waves"] = later["waves"].drop("order")
    assert {name: _digest(frame) for name, frame in later.items()} == _DIGESTS_BEFORE_FIRST_WAVE
    # and the same holds for the generator, not only the committed files
    fresh = _without_first_wave(generate(seed=7))
    fresh["waves"] = fresh["waves"].drop("order")
    assert {name: _digest(frame) for name, frame in fresh.items()} == _DIGESTS_BEFORE_FIRST_WAVE


def test_first_wave_rows_equal_the_files_in_git(sample_data: canonical.CanonicalData) -> None:
    later = _without_first_wave(sample_data)
    for name, frame in later.items():
        before = _at_commit(name, _BEFORE_FIRST_WAVE)
        if name == "waves":  # renumbered: 2024 is first; 2025 and 2026 keep their order
            assert before.sort("order")["wave"].to_list() == frame.sort("order")["wave"].to_list()
            frame, before = frame.drop("order"), before.drop("order")
        assert frame.equals(before), name


def test_first_wave_is_the_earliest_and_a_little_worse(sample_data: canonical.CanonicalData) -> None:
    """2024 is ordered first and collected in 2024; the equality and impact items' mean
    rises from wave to wave, overall and in every network (item scores, reversed where
    the instrument says so, computed here from the answers)."""
    from evalkit.instrument import load_instrument

    d = sample_data
    first = d.waves.sort("order").row(0, named=True)
    assert first["wave"] == "2024" and first["collected"].year == 2024
    assert first["collected"] < d.waves.filter(pl.col("wave") == "2025")["collected"][0]
    items = load_instrument().items_frame().select("item_id", "dimension", "reverse")
    scored = (
        d.answers.drop_nulls("value").join(d.respondents, on="respondent_id").join(items, on="item_id")
        .filter(pl.col("dimension").is_in(["equality", "impact"]))
        .with_columns(v=pl.when(pl.col("reverse")).then(6 - pl.col("value")).otherwise(pl.col("value")))
    )
    for keys in (["dimension"], ["dimension", "network_id"]):
        means = scored.group_by(*keys, "wave").agg(pl.col("v").mean()).sort("wave")
        for group, rows in means.group_by(keys):
            assert rows["wave"].to_list() == ["2024", "2025", "2026"], group
            assert rows["v"].diff().drop_nulls().min() > 0, (group, rows["v"].to_list())


def test_first_wave_has_a_missing_unit_and_a_small_one(sample_data: canonical.CanonicalData) -> None:
    d = sample_data
    counts = d.respondents.group_by("wave", "municipality_id").len()

    def n(wave: str, municipality: str) -> int:
        row = counts.filter((pl.col("wave") == wave) & (pl.col("municipality_id") == municipality))
        return int(row["len"][0]) if row.height else 0

    # Trondheim took no part in 2024: no respondents, no team-survey rows
    assert n("2024", "5001") == 0 and n("2025", "5001") >= 10 and n("2026", "5001") >= 10
    assert d.teams.filter((pl.col("wave") == "2024") & (pl.col("municipality_id") == "5001")).height == 0
    # Sandnes is under the reporting threshold in 2024 only
    assert 0 < n("2024", "1108") < 10 <= min(n("2025", "1108"), n("2026", "1108"))
    # every other team of 2025 was there in 2024, with the same host and network
    teams = d.teams.select("team_id", "wave", "municipality_id", "network_id")
    first = teams.filter(pl.col("wave") == "2024").drop("wave")
    later = teams.filter((pl.col("wave") == "2025") & (pl.col("municipality_id") != "5001")).drop("wave")
    assert first.sort("team_id").equals(later.sort("team_id"))
