"""Suppression: primary rules, complementary suppression across units and roles, properties."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.canonical import CanonicalData
from evalkit.metrics import prepare
from evalkit.metrics.schema import FRAMES, check_suppressed_n
from evalkit.metrics.suppression import complementary
from evalkit.schema import ROLES, TABLES

ROLE_GROUP_ROLES = {
    "all": ROLES,
    "user_side": ("user_rep", "relative_rep"),
    "provider_side": ("provider", "leader"),
    "experience_consultant": ("experience_consultant",),
}
ITEMS = ("eq_dialogue", "eq_respect", "eq_listened", "eq_views", "eq_language", "eq_decisions",
         "eq_dominate", "imp_aims", "imp_changes", "imp_results")


def make_data(teams: list[tuple[str, str, dict[str, int]]], *, seed: int = 0,
              wave: str = "2026", dont_know_all: bool = False) -> CanonicalData:
    """teams: (network, municipality, {role: respondents}); team ids are made up."""
    rnd = random.Random(seed)
    resp_rows, ans_rows, team_rows = [], [], []
    for t, (net, muni, roles) in enumerate(teams):
        team_id = f"T{t:02d}"
        team_rows.append({"team_id": team_id, "wave": wave, "name": f"Team {t}", "network_id": net,
                          "municipality_id": muni})
        for role, count in roles.items():
            for _ in range(count):
                rid = f"R{len(resp_rows):05d}"
                resp_rows.append((rid, wave, net, muni, team_id, role))
                for item in ITEMS:
                    if dont_know_all:
                        ans_rows.append((rid, item, None, True))
                    else:
                        ans_rows.append((rid, item, rnd.randint(1, 5), False))
    frames = {
        "respondents": pl.DataFrame(resp_rows, schema=["respondent_id", "wave", "network_id", "municipality_id",
                                                       "team_id", "role"], orient="row"),
        "answers": pl.DataFrame(ans_rows, schema={"respondent_id": pl.String, "item_id": pl.String,
                                                  "value": pl.Int8, "dont_know": pl.Boolean}, orient="row"),
        "teams": pl.DataFrame(team_rows).with_columns(
            *[pl.lit(None).alias(c.name) for c in TABLES["teams"].columns
              if c.name not in ("team_id", "wave", "name", "network_id", "municipality_id")]),
        "networks": pl.DataFrame({"network_id": sorted({t[0] for t in teams})}).with_columns(name=pl.col("network_id")),
        "municipalities": pl.DataFrame({"municipality_id": sorted({t[1] for t in teams})}).with_columns(
            name=pl.col("municipality_id"), county=pl.lit("X"), valid_from=pl.lit(2024), valid_to=pl.lit(None)),
        "waves": pl.DataFrame({"wave": [wave], "order": [0], "collected": [dt.date(2026, 3, 1)]}),
        "measures": TABLES["measures"].empty(),
        "progress": TABLES["progress"].empty(),
        "measure_catalogue": TABLES["measure_catalogue"].empty(),
    }
    if not resp_rows:
        for name in ("respondents", "answers", "teams", "networks", "municipalities"):
            frames[name] = TABLES[name].empty()
    return CanonicalData.from_frames(frames)


def _small_visible(frame: pl.DataFrame, min_cell_n: int) -> pl.DataFrame:
    return frame.filter(~pl.col("suppressed") & (pl.col("n") > 0) & (pl.col("n") < min_cell_n))


def test_unit_under_min_unit_n_gets_nothing_of_its_own() -> None:
    data = make_data([("N", "0301", {"provider": 6, "user_rep": 2}),
                      ("N", "1103", {"provider": 20, "user_rep": 6}),
                      ("N", "1108", {"provider": 15, "user_rep": 5})])
    p = prepare(data, wave="2026")
    small = p.indices.filter(unit_level="municipality", unit_id="0301")
    assert small["suppressed"].all()
    assert set(small["reason"]) == {"unit_below_min_unit_n"}
    assert small["n"].is_null().all()
    assert small["mean"].is_null().all()


def test_complementary_hides_a_sibling_and_nothing_can_be_subtracted_out() -> None:
    data = make_data([("N", "0301", {"provider": 6, "user_rep": 2}),
                      ("N", "1103", {"provider": 20, "user_rep": 6}),
                      ("N", "1108", {"provider": 15, "user_rep": 5})])
    p = prepare(data, wave="2026")
    munis = p.indices.filter(unit_level="municipality", role_group="all", dimension="equality")
    assert munis["suppressed"].sum() >= 2
    assert "complementary" in set(munis["reason"].drop_nulls())


def test_thresholds_are_parameters() -> None:
    data = make_data([("N", "0301", {"provider": 6, "user_rep": 2}),
                      ("N", "1103", {"provider": 20, "user_rep": 6})])
    strict = prepare(data, wave="2026")
    loose = prepare(data, wave="2026", min_unit_n=3, min_cell_n=2)
    row = dict(unit_level="municipality", unit_id="0301", role_group="all", dimension="equality")
    assert strict.indices.filter(**row)["suppressed"].item()
    assert not loose.indices.filter(**row)["suppressed"].item()
    assert loose.settings["min_cell_n"] == 2


def test_counts_show_under_threshold_text() -> None:
    data = make_data([("N", "0301", {"provider": 12, "user_rep": 2, "leader": 3}),
                      ("N", "1103", {"provider": 20, "user_rep": 6})])
    counts = prepare(data, wave="2026").respondent_counts
    row = counts.filter(unit_level="municipality", unit_id="0301", role="user_rep").row(0, named=True)
    assert row["n_display"] == "<5"
    assert row["n"] is None
    assert row["suppressed"]


def test_empty_data_gives_empty_frames_not_errors() -> None:
    p = prepare(make_data([]), wave="2026")
    for name in FRAMES:
        assert getattr(p, name).height == 0, name


def test_all_dont_know_no_nan() -> None:
    data = make_data([("N", "0301", {"provider": 12})], dont_know_all=True)
    p = prepare(data, wave="2026", min_unit_n=5)
    row = p.items.filter(unit_level="team", role_group="all", item_id="eq_views").row(0, named=True)
    assert row["reason"] == "all_dont_know"
    assert row["share_favourable"] is None
    assert row["share_dont_know"] == 1.0
    for name in FRAMES:
        frame = getattr(p, name)
        floats = [c for c, t in frame.schema.items() if t == pl.Float64]
        if floats:
            assert frame.select(pl.any_horizontal(pl.col(floats).is_nan().fill_null(False)).sum()).item() == 0


def test_engine_worked_example() -> None:
    # Municipality m = a + b + c; a is small. Blanking a alone leaves a = m − b − c.
    f = pl.DataFrame({"unit_level": ["municipality", "team", "team", "team"], "unit_id": ["m", "a", "b", "c"],
                      "wave": "w", "n": [40, 3, 12, 25]})
    anc = pl.DataFrame({"part_level": "team", "part_id": ["a", "b", "c"], "total_level": "municipality",
                        "total_id": "m", "priority": pl.Series([1] * 3, dtype=pl.Int8)})
    f = f.with_columns(_confidential=pl.col("n") < 5, _hidden=pl.col("n") < 5,
                       _reason=pl.when(pl.col("n") < 5).then(pl.lit("n_below_min_cell_n")))
    out = complementary(f, keys=["wave"], ancestors=anc, min_cell_n=5, role_column=None)
    assert out["_hidden"].to_list() == [False, True, True, False]



def test_engine_refuses_two_rows_for_one_figure() -> None:
    f = pl.DataFrame({"unit_level": ["municipality", "team", "team"], "unit_id": ["m", "a", "a"],
                      "wave": "w", "n": [40, 3, 3], "_confidential": [False, True, True],
                      "_hidden": [False, True, True], "_reason": [None, "n_below_min_cell_n", "n_below_min_cell_n"]})
    anc = pl.DataFrame({"part_level": "team", "part_id": ["a"], "total_level": "municipality",
                        "total_id": "m", "priority": pl.Series([1], dtype=pl.Int8)})
    with pytest.raises(ValueError, match=r"more than one row per unit, role and key \(wave\)"):
        complementary(f, keys=["wave"], ancestors=anc, min_cell_n=5, role_column=None)


def test_engine_breaks_ties_by_unit_whatever_the_row_order() -> None:
    # m = a + b + c + d; a is small and b, c, d are equally large: exactly one of them
    # must go, and it is the first by unit id ("b"), in every row order.
    f = pl.DataFrame({"unit_level": ["municipality", "team", "team", "team", "team"],
                      "unit_id": ["m", "a", "b", "c", "d"], "wave": "w", "n": [39, 3, 12, 12, 12]})
    f = f.with_columns(_confidential=pl.col("n") < 5, _hidden=pl.col("n") < 5,
                       _reason=pl.when(pl.col("n") < 5).then(pl.lit("n_below_min_cell_n")))
    anc = pl.DataFrame({"part_level": "team", "part_id": ["a", "b", "c", "d"], "total_level": "municipality",
                        "total_id": "m", "priority": pl.Series([1] * 4, dtype=pl.Int8)})
    for seed in range(5):
        shuffled = f.sample(fraction=1.0, shuffle=True, seed=seed)
        out = complementary(shuffled, keys=["wave"], ancestors=anc, min_cell_n=5, role_column=None)
        assert sorted(out.filter(pl.col("_hidden"))["unit_id"].to_list()) == ["a", "b"]


# --- properties -------------------------------------------------------------------

role_counts = st.fixed_dictionaries(
    {r: st.integers(0, 9) for r in ("provider", "leader", "user_rep")},
    optional={r: st.integers(0, 4) for r in ("relative_rep", "experience_consultant", "other")},
)
team_lists = st.lists(
    st.tuples(st.sampled_from(["N1", "N2"]), st.sampled_from(["0301", "1103", "1108", "4601"]), role_counts),
    min_size=1, max_size=9,
)


def _leaf_vector(level: str, uid: str, role_group: str, cells: list[tuple[str, str, str, str]]) -> np.ndarray:
    roles = ROLE_GROUP_ROLES[role_group]
    col = {"team": 0, "municipality": 1, "network": 2}
    return np.array([
        1.0 if (level == "all" or c[col[level]] == uid) and c[3] in roles else 0.0 for c in cells
    ])


def _recoverable(frame: pl.DataFrame, cells: list[tuple[str, str, str, str]], cell_n: dict[tuple[str, str, str, str], int]) -> list[tuple[str, str, str]]:
    """Figures blanked for being small (n > 0) whose cell set is a linear combination of
    visible ones and known-empty cells. (A figure blanked only to protect another may be
    worked out; the small one it protects may not.)"""
    known = [_leaf_vector(r["unit_level"], r["unit_id"], r["role_group"], cells)
             for r in frame.filter(~pl.col("suppressed")).iter_rows(named=True)]
    known += [np.eye(len(cells))[i] for i, c in enumerate(cells) if cell_n.get(c, 0) == 0]
    if not known:
        return []
    base = np.array(known)
    rank = np.linalg.matrix_rank(base)
    leaks = []
    primary = pl.col("reason").is_in(pl.Series(["unit_below_min_unit_n", "n_below_min_cell_n"]).implode())
    for r in frame.filter(pl.col("suppressed") & primary).iter_rows(named=True):
        v = _leaf_vector(r["unit_level"], r["unit_id"], r["role_group"], cells)
        if not any(cell_n.get(c, 0) for c, x in zip(cells, v, strict=True) if x):
            continue  # nobody behind it: nothing to protect
        if np.linalg.matrix_rank(np.vstack([base, v])) == rank:
            leaks.append((r["unit_level"], r["unit_id"], r["role_group"]))
    return leaks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_lists, st.integers(0, 1000))
def test_no_small_visible_figure_and_nothing_recoverable(teams: list[tuple[str, str, dict[str, int]]], seed: int) -> None:
    # A municipality sits in one network here (as in the data): fix each municipality's network.
    first_net: dict[str, str] = {}
    teams = [(first_net.setdefault(m, n), m, r) for n, m, r in teams]
    data = make_data(teams, seed=seed)
    p = prepare(data, wave="2026", min_unit_n=6, min_cell_n=3)
    for name in ("items", "indices", "reliability", "respondent_counts", "distributions", "gaps",
                 "benchmarks", "changes"):
        frame = getattr(p, name)
        assert check_suppressed_n(frame), name
        assert _small_visible(frame, 3).height == 0, name
    # Exact recovery by sums and differences of visible figures (the respondents' counts
    # behind one item's figures, across units and role groups).
    team_of = {f"T{t:02d}": (n, m) for t, (n, m, _) in enumerate(teams)}
    cells = [(team, *team_of[team][::-1], role) for team in sorted(team_of) for role in ROLES]
    cells = [(c[0], c[1], c[2], c[3]) for c in cells]
    resp = data.respondents.group_by("team_id", "role").len()
    cell_n = {(c[0], c[1], c[2], c[3]): 0 for c in cells}
    for team, role, count in resp.iter_rows():
        n, m = team_of[team]
        cell_n[(team, m, n, role)] = count
    items = p.items.filter(item_id="eq_respect")
    assert _recoverable(items, cells, cell_n) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_lists, st.integers(0, 1000))
def test_results_do_not_depend_on_row_order(teams: list[tuple[str, str, dict[str, int]]], seed: int) -> None:
    from polars.testing import assert_frame_equal

    data = make_data(teams, seed=seed)
    shuffled = CanonicalData.from_frames({
        name: frame.sample(fraction=1.0, shuffle=True, seed=seed) if frame.height else frame
        for name, frame in data.tables()
    })
    a = prepare(data, wave="2026", min_unit_n=6, min_cell_n=3)
    b = prepare(shuffled, wave="2026", min_unit_n=6, min_cell_n=3)
    for name in ("items", "distributions", "indices", "reliability", "gaps", "benchmarks",
                 "respondent_counts", "data_quality"):
        assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_published_units_blank_the_rest() -> None:
    data = make_data([("N", "0301", {"provider": 12, "user_rep": 6}),
                      ("N", "1103", {"provider": 20, "user_rep": 6})])
    p = prepare(data, wave="2026", published_units=[("municipality", "0301"), ("network", "N"), ("all", "all")])
    other = p.indices.filter(unit_level="municipality", unit_id="1103")
    assert other["suppressed"].all()
    assert set(other["reason"]) == {"not_published"}
    # 0301 = N − 1103 would be recoverable only if 1103 were shown; it is not, so 0301 stays.
    assert not p.indices.filter(unit_level="municipality", unit_id="0301", role_group="all")["suppressed"].any()


def test_bad_wave_is_refused() -> None:
    data = make_data([("N", "0301", {"provider": 12})])
    with pytest.raises(ValueError, match="wave"):
        prepare(data, wave="1999")
