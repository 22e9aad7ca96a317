"""The one unit hierarchy (evalkit/units.py): hand-worked answers on a small tree, the sample
against the raw tables, and the rules the old copies applied."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from evalkit.metrics.suppression import Priority, ancestry
from evalkit.units import TOP, Hierarchy, UnitKey

# Networks N and M. 1001 is split (team b in N, team c in M). 1001 is a partner of 0301's
# team a; 3003 is only ever a partner (of 2002's team d): it hosts no team.
TEAMS = pl.DataFrame({
    "team_id": ["a", "b", "c", "d", "a", "b"],
    "wave": ["2026"] * 4 + ["2025"] * 2,
    "municipality_id": ["0301", "1001", "1001", "2002", "0301", "1001"],
    "network_id": ["N", "N", "M", "M", "N", "N"],
    "partner_municipality_ids": [["1001"], None, None, ["3003"], ["1001"], None],
})


def M(uid: str) -> UnitKey:
    return ("municipality", uid)


def T(uid: str) -> UnitKey:
    return ("team", uid)


def N(uid: str) -> UnitKey:
    return ("network", uid)


@pytest.fixture(params=["tables", "units frame"])
def tree(request: pytest.FixtureRequest) -> Hierarchy:
    """The same hierarchy built both ways: the answers below hold for both."""
    built = Hierarchy.from_frames(TEAMS)
    return built if request.param == "tables" else Hierarchy.from_units(built.units_frame())


def test_parents_and_ancestors(tree: Hierarchy) -> None:
    assert tree.parents(T("a")) == (M("0301"),)
    assert tree.parents(M("1001")) == (N("M"), N("N"))
    assert tree.parents(N("N")) == (TOP,)
    assert tree.parents(TOP) == ()
    assert tree.ancestors(T("c")) == (M("1001"), N("M"), N("N"), TOP)  # the frame cannot tell c's network
    assert tree.ancestors(M("0301")) == (N("N"), TOP)
    assert tree.ancestors(M("1001")) == (N("M"), N("N"), TOP)
    assert tree.ancestors(M("3003")) == (N("M"), TOP)  # its partner team d's host's network
    assert tree.ancestors(N("M")) == (TOP,)
    assert tree.ancestors(TOP) == ()


def test_children_and_teams(tree: Hierarchy) -> None:
    assert tree.children(M("1001")) == (T("a"), T("b"), T("c"))
    assert tree.children(M("1001"), partners=False) == (T("b"), T("c"))
    assert tree.children(M("3003")) == (T("d"),)
    assert tree.children(N("N")) == (M("0301"), M("1001"))
    assert tree.children(N("M")) == (M("1001"), M("2002"))
    assert tree.children(TOP) == (N("M"), N("N"))
    assert tree.teams_of(M("1001")) == ("a", "b", "c")
    assert tree.teams_of(M("3003")) == ("d",)
    assert tree.teams_of(N("N")) == ("a", "b", "c")  # c: 1001 is split, the frame keeps no team network
    assert tree.teams_of(N("M")) == ("b", "c", "d")
    assert tree.teams_of(T("b")) == ("b",)
    assert tree.teams_of(TOP) == ("a", "b", "c", "d")
    assert tree.hosts("c") == ("1001",)
    assert tree.partners("a") == ("1001",) and tree.partners("b") == ()
    assert tree.partner_teams("1001") == ("a",) and tree.partner_teams("3003") == ("d",)


def test_units_and_membership(tree: Hierarchy) -> None:
    assert tree.ids("network") == ("M", "N")
    assert tree.ids("municipality") == ("0301", "1001", "2002")  # 3003 hosts no team
    assert tree.units("all") == (TOP,)
    assert tree.units()[:2] == (T("a"), T("b"))
    assert M("1001") in tree and T("d") in tree and TOP in tree
    assert M("3003") not in tree and M("9999") not in tree
    assert tree.is_split("1001") and not tree.is_split("0301")


def test_networks_of_municipalities() -> None:
    tree = Hierarchy.from_frames(TEAMS)
    assert tree.networks_of(T("c")) == ("M",)
    assert Hierarchy.from_units(tree.units_frame()).networks_of(T("c")) == ("M", "N")
    assert tree.networks_of(M("1001")) == ("M", "N")
    assert tree.networks_of(M("3003")) == ()
    assert tree.networks_of(M("3003"), partners=True) == ("M",)
    assert tree.networks_of(N("N")) == ("N",) and tree.networks_of(TOP) == ()
    assert tree.municipalities_of("N") == ("0301", "1001")
    assert tree.municipalities_of("M") == ("1001", "2002", "3003")
    assert tree.municipalities_of("M", partners=False) == ("1001", "2002")
    assert tree.municipality_networks() == {"0301": ("N",), "1001": ("M", "N"), "2002": ("M",), "3003": ("M",)}
    assert tree.municipality_networks(partners=False) == {"0301": ("N",), "1001": ("M", "N"), "2002": ("M",)}
    assert (tree.network_of("1001"), tree.network_of("3003"), tree.network_of("9999")) == ("M", "M", None)


def test_units_frame_by_hand() -> None:
    frame = Hierarchy.from_frames(TEAMS).units_frame()
    assert frame.rows() == [
        ("team", "a", "municipality", "0301"),
        ("team", "a", "partner", "1001"),
        ("team", "b", "municipality", "1001"),
        ("team", "c", "municipality", "1001"),
        ("team", "d", "municipality", "2002"),
        ("team", "d", "partner", "3003"),
        ("municipality", "0301", "network", "N"),
        ("municipality", "1001", "network", "M"),
        ("municipality", "1001", "network", "N"),
        ("municipality", "2002", "network", "M"),
        ("network", "M", "all", "all"),
        ("network", "N", "all", "all"),
        ("all", "all", None, None),
    ]
    assert Hierarchy.from_units(frame).units_frame().equals(frame)
    assert Hierarchy.from_frames(TEAMS).tree_frame().height == 10


def test_relations_by_hand() -> None:
    tree = Hierarchy.from_frames(TEAMS)
    assert [r for r in tree.relations() if r[2] != "all"] == [
        ("team", "a", "municipality", "0301", "municipality/team"),
        ("team", "b", "municipality", "1001", "municipality/team"),
        ("team", "c", "municipality", "1001", "municipality/team"),
        ("team", "d", "municipality", "2002", "municipality/team"),
        ("municipality", "2002", "network", "M", "network/municipality"),  # not 1001: split
        ("municipality", "0301", "network", "N", "network/municipality"),
        ("team", "c", "network", "M", "network/team"),  # each team in its own network only
        ("team", "d", "network", "M", "network/team"),
        ("team", "a", "network", "N", "network/team"),
        ("team", "b", "network", "N", "network/team"),
    ]
    top = [(r[0], r[1]) for r in tree.relations() if r[2] == "all"]
    assert top == [N("M"), N("N"), M("0301"), M("1001"), M("2002"), T("a"), T("b"), T("c"), T("d")]
    frame = ancestry(TEAMS)
    assert frame.filter(pl.col("part_id") == "c")["priority"].to_list() == [
        Priority.MUNICIPALITY_TEAM, Priority.NETWORK_TEAM, Priority.ALL_TEAM]
    assert ancestry(tree).equals(frame)


def test_partners_of_each_others_teams_do_not_loop() -> None:
    teams = pl.DataFrame({"team_id": ["x", "y"], "municipality_id": ["0101", "0202"], "network_id": ["P", "Q"],
                          "partner_municipality_ids": [["0202"], ["0101"]]})
    tree = Hierarchy.from_frames(teams)
    assert tree.ancestors(M("0101")) == (N("P"), N("Q"), TOP)
    assert tree.teams_of(M("0101")) == ("x", "y")


# --- the sample, against the raw tables --------------------------------------------------

def test_sample_against_the_raw_tables(sample_dir: Path) -> None:
    teams = pl.read_parquet(sample_dir / "teams.parquet")
    respondents = pl.read_parquet(sample_dir / "respondents.parquet")
    tree = Hierarchy.from_frames(respondents, teams)
    static = teams.select("team_id", "municipality_id", "network_id").unique()
    partner_rows = {(t, m) for t, ms in teams.select("team_id", "partner_municipality_ids").iter_rows() for m in ms or []}
    assert partner_rows, "the sample has partner municipalities"
    for team, municipality, network in static.iter_rows():
        assert tree.ancestors(T(team)) == (M(municipality), N(network), TOP)
        assert tree.networks_of(T(team)) == (network,)
    for municipality in set(static["municipality_id"]) | {m for _, m in partner_rows}:
        hosted = set(static.filter(pl.col("municipality_id") == municipality)["team_id"])
        partnered = {t for t, m in partner_rows if m == municipality}
        assert set(tree.teams_of(M(municipality))) == hosted | partnered
        nets = set(static.filter(pl.col("team_id").is_in(list(hosted | partnered)))["network_id"])
        assert set(tree.networks_of(M(municipality), partners=True)) == nets
    for network in set(static["network_id"]):
        assert set(tree.teams_of(N(network))) == set(static.filter(pl.col("network_id") == network)["team_id"])
    # The units frame, written out from the tables.
    expected = pl.concat([
        static.select(unit_level=pl.lit("team"), unit_id="team_id", parent_level=pl.lit("municipality"),
                      parent_id="municipality_id"),
        pl.DataFrame([("team", t, "partner", m) for t, m in partner_rows], orient="row",
                     schema=["unit_level", "unit_id", "parent_level", "parent_id"]),
        static.select(unit_level=pl.lit("municipality"), unit_id="municipality_id", parent_level=pl.lit("network"),
                      parent_id="network_id"),
        static.select(unit_level=pl.lit("network"), unit_id="network_id", parent_level=pl.lit("all"),
                      parent_id=pl.lit("all")),
        pl.DataFrame({"unit_level": ["all"], "unit_id": ["all"], "parent_level": [None], "parent_id": [None]},
                     schema=dict.fromkeys(["unit_level", "unit_id", "parent_level", "parent_id"], pl.String)),
    ]).unique()
    key = ["unit_level", "unit_id", "parent_level", "parent_id"]
    assert_frame_equal(tree.units_frame().sort(key), expected.sort(key))
    # Suppression's sums, straight from the respondents.
    people = respondents.select("team_id", "municipality_id", "network_id").unique()
    sums = ancestry(respondents)
    assert sums.height == 3 * people.height + 2 * people["municipality_id"].n_unique() + people["network_id"].n_unique()


# --- the same rules as the copies it replaced ---------------------------------------------

def _old_ancestors(units: pl.DataFrame, unit_level: str, unit_id: str) -> set[tuple[str, str]]:
    """``evalkit.metrics.prepare._ancestors`` as it was (a set: its order never mattered)."""
    rows: list[tuple[str, str]] = []
    frontier = [(unit_level, unit_id)]
    while frontier:
        level, uid = frontier.pop()
        parents = units.filter((pl.col("unit_level") == level) & (pl.col("unit_id") == uid)
                               & (pl.col("parent_level") != "partner")).select("parent_level", "parent_id").rows()
        for p in parents:
            if p not in rows:
                rows.append(p)
                frontier.append(p)
    if unit_level == "municipality":
        for (team,) in units.filter((pl.col("parent_level") == "partner")
                                    & (pl.col("parent_id") == unit_id)).select("unit_id").rows():
            for p in units.filter((pl.col("unit_level") == "team") & (pl.col("unit_id") == team)
                                  & (pl.col("parent_level") == "municipality")).select("parent_level", "parent_id").rows():
                for q in _old_ancestors(units, *p):
                    if q not in rows:
                        rows.append(q)
    if unit_level != "all" and ("all", "all") not in rows:
        rows.append(("all", "all"))
    return set(rows)


def _old_teams_of(units: pl.DataFrame, unit_level: str, unit_id: str) -> list[str]:
    """``evalkit.metrics.prepare._teams_of`` as it was."""
    if unit_level == "team":
        return [unit_id]
    teams = units.filter(pl.col("unit_level") == "team")
    if unit_level == "municipality":
        return sorted(set(teams.filter(pl.col("parent_id") == unit_id)["unit_id"]))
    munis = units.filter((pl.col("unit_level") == "municipality") & (pl.col("parent_id") == unit_id))["unit_id"]
    return sorted(set(teams.filter((pl.col("parent_level") == "municipality")
                                   & pl.col("parent_id").is_in(munis.implode()))["unit_id"]))


def _random_teams(rng: random.Random) -> pl.DataFrame:
    munis = [f"{i:04d}" for i in range(1, rng.randint(2, 7))]
    nets = ["N1", "N2", "N3"][: rng.randint(1, 3)]
    rows = []
    for i in range(rng.randint(1, 12)):
        host = rng.choice(munis)
        # Partners only among municipalities ordered after the host: no partner cycles
        # (the old code looped for ever on those).
        later = [m for m in [*munis, "9001", "9002"] if m > host]
        partners = rng.sample(later, k=min(len(later), rng.randint(0, 2))) or None
        rows.append((f"t{i}", host, rng.choice(nets), partners))
    return pl.DataFrame(rows, orient="row", schema={
        "team_id": pl.String, "municipality_id": pl.String, "network_id": pl.String,
        "partner_municipality_ids": pl.List(pl.String)})


@pytest.mark.parametrize("seed", range(25))
def test_same_answers_as_the_old_copies(seed: int) -> None:
    teams = _random_teams(random.Random(seed))
    units = Hierarchy.from_frames(teams).units_frame()
    tree = Hierarchy.from_units(units)
    asked = set(units.select("unit_level", "unit_id").rows()) | {("municipality", m) for m in ("9001", "9002")}
    for level, uid in asked:
        assert set(tree.ancestors((level, uid))) == _old_ancestors(units, level, uid), (level, uid)
        if level != "all":
            assert list(tree.teams_of((level, uid))) == _old_teams_of(units, level, uid), (level, uid)
