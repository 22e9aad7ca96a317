"""The one unit hierarchy: networks ⊃ municipalities ⊃ teams, with partner and split municipalities.

A :class:`Hierarchy` is built once — from canonical tables (``teams``, ``respondents``:
any frame with ``team_id``, ``municipality_id``, ``network_id`` and optionally
``partner_municipality_ids``) with :meth:`Hierarchy.from_frames`, or from the ``units``
frame of :class:`evalkit.metrics.Prepared` (what a prepared store keeps) with
:meth:`Hierarchy.from_units` — and answers every question about units: parents,
ancestors, children, teams, networks, partners, the units of a level.

The rules
---------
* **Levels.** ``team`` ⊂ ``municipality`` ⊂ ``network`` ⊂ ``all`` (one top unit, id
  ``"all"``). A team has exactly one *host* municipality and one network (the canonical
  tables check that they agree across waves, and that a respondent's municipality and
  network are their team's). A municipality's networks are its teams' networks.
* **Split municipality.** A municipality whose teams sit in several networks has one
  parent per network. It is never a *part* of either network in suppression's sums (its
  teams are), and its ancestors are all its networks.
* **Partner municipality.** A team may list partner municipalities
  (``partner_municipality_ids``). A partner municipality is not the team's parent: the
  team's respondents count for its host. But a partner municipality's dashboard lists the
  team (a *partner child*, ``parent_level == "partner"`` in the units frame), shows its
  charts, and sees the team's network(s) among its ancestors (the networks of the
  team's host municipality). A municipality that is only ever a partner (hosts no team)
  has no unit row: :meth:`Prepared.for_unit` refuses it (``KeyError``) and a slice digest
  calls it unknown — a batch that selects it fails its unit, as before this module.
* **The units frame** (``Prepared.units``, :meth:`Hierarchy.units_frame`): one row per
  (unit, host parent), a ``("team", t, "partner", m)`` row per partner, and
  ``("all", "all", null, null)``. It does not record a team's own network: read back
  with :meth:`Hierarchy.from_units`, a team of a split municipality belongs to every
  network of its host (:meth:`Hierarchy.ancestors`, :meth:`Hierarchy.teams_of` and
  :meth:`Hierarchy.networks_of` then say so). Built from the tables, the team's own
  network is known, and :meth:`Hierarchy.relations` (suppression's sums) uses it.

Where the hierarchy was worked out before (and how the copies compared)
------------------------------------------------------------------------
Read before this module replaced them; each applied the rules above, with these
differences:

``metrics/_units.unit_tree`` (the module is now ``metrics/rollup.py``)
    Host edges of the respondents of the prepared waves (the teams table when there are
    none); a split municipality gets one row per network. No partners, no ``all`` row.
    Now :meth:`Hierarchy.tree_frame` (the benchmarks' parents: a *real* difference, the
    tree of the units with figures).
``metrics/prepare._units_frame``
    That tree ∪ the host edges of every team in the teams table (all waves: teams with no
    respondents still have charts) ∪ partner rows ∪ the ``all`` row. Now
    :meth:`Hierarchy.units_frame` of :meth:`Hierarchy.from_frames` (respondents, teams).
``metrics/prepare._ancestors``
    Host parents transitively; for a municipality also the ancestors of the host
    municipality of every team it is a partner of (not that host itself); then
    ``("all", "all")`` for any unit but the top. Now :meth:`Hierarchy.ancestors`.
``metrics/prepare._teams_of``
    A team: itself; a municipality: its host *and* partner teams; a network: the host
    teams of its municipalities (so, for a split municipality, also its teams in the
    other network: the units frame cannot tell them apart). Now :meth:`Hierarchy.teams_of`.
``metrics/prepare.Prepared.for_unit`` (children, known units)
    Children: host children, plus a municipality's partner teams. A unit is known when
    it has a row or is a host parent. Now :meth:`Hierarchy.children` and ``in``.
``batch/slices._Tree``
    The same four rules again on dictionaries (a copy of ``_ancestors``/``_teams_of``;
    known = has a row, the same set for any units frame ``prepare`` writes). Drift-free
    copy; now the :class:`Hierarchy` itself.
``store._partitions`` / ``store._needed_units``
    A team's partition: the smallest network of its host municipality (for a team of a
    split municipality, not necessarily its own network); a municipality's: its smallest
    network. Needed units: the unit, its children (with partner teams), their host
    children, its ancestors. Now :meth:`Hierarchy.networks_of` and
    :meth:`Hierarchy.children` (layout only: any partition rule that covers what
    ``for_unit`` needs gives the same pages).
``metrics/suppression.ancestry``
    From the *respondents* of the prepared waves (a real difference: sums hold over
    people), part → total pairs team ⊂ municipality, municipality ⊂ network (not for a
    split municipality), team ⊂ network (the team's own network), and every unit ⊂ all;
    no partners (a partner's people are not in the sum). Now :meth:`Hierarchy.relations`.
``audit.py`` ``_load_data`` / ``_page_tree`` (not changed here)
    With data: parent → children and child → parents *per wave*, from the respondents
    (real difference: the audit checks one wave's figures; a child with two parents —
    a team of a split municipality seen from a network, or a split municipality — is
    skipped). Without data: the tree the pages tell (real difference: no data).
``batch/config._read_reference`` (not changed here)
    Municipality → networks for every municipality with a team, host or partner: the
    host teams' networks and the partner teams' own networks (from the teams table, all
    waves). Same as :meth:`Hierarchy.networks_of` with ``partners=True`` on a hierarchy
    from the teams table.
``report.Report`` (``_check_municipality``, ``network_id``, ``_partner_network``, not changed here)
    A municipality needs a team, host or partner; its network is the network of its
    *first* hosted team in the teams table's row order, else of the first team it is a
    partner of (drift: for a split municipality the row order picks the network;
    :meth:`Hierarchy.network_of` picks the smallest id). Its teams on the page are its
    host teams of the wave only (``unit_teams``: partner teams are not listed, where
    ``teams_of`` and ``for_unit`` include them — the drift the issue names).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, TypeAlias, TypeVar

import polars as pl

UnitLevel = Literal["team", "municipality", "network", "all"]
UnitKey: TypeAlias = tuple[str, str]
"""(unit_level, unit_id)."""

UNIT_LEVELS: Final[tuple[UnitLevel, ...]] = ("team", "municipality", "network", "all")
UNIT_COLUMN: Final[Mapping[str, str]] = MappingProxyType({
    "team": "team_id",
    "municipality": "municipality_id",
    "network": "network_id",
})
"""A level's id column in the canonical tables (the top unit has none)."""
PARENT_LEVEL: Final[Mapping[str, str]] = MappingProxyType(
    {"team": "municipality", "municipality": "network", "network": "all"})
CHILD_LEVEL: Final[Mapping[str, str]] = MappingProxyType({v: k for k, v in PARENT_LEVEL.items()})
ALL_ID: Final = "all"
TOP: Final[UnitKey] = ("all", ALL_ID)
PARTNER: Final = "partner"
"""``parent_level`` of a partner row in the units frame: the team's partner municipality."""
UNITS_SCHEMA: Final[Mapping[str, type[pl.DataType]]] = MappingProxyType(
    {"unit_level": pl.String, "unit_id": pl.String, "parent_level": pl.String, "parent_id": pl.String})

RELATION_KINDS: Final = ("municipality/team", "network/municipality", "network/team",
                          "all/network", "all/municipality", "all/team")
"""The kinds of :meth:`Hierarchy.relations`, total level / part level, finest first."""
Relation: TypeAlias = tuple[str, str, str, str, str]
"""(part_level, part_id, total_level, total_id, kind) of :meth:`Hierarchy.relations`."""

K = TypeVar("K", str, UnitKey)
V = TypeVar("V", str, UnitKey)


def _index(pairs: Iterable[tuple[K, V]]) -> Mapping[K, tuple[V, ...]]:
    """key → its values, distinct and sorted."""
    out: dict[K, set[V]] = {}
    for key, value in pairs:
        out.setdefault(key, set()).add(value)
    return MappingProxyType({key: tuple(sorted(values)) for key, values in out.items()})


def _level_rank(key: UnitKey) -> tuple[int, str]:
    level, uid = key
    return (UNIT_LEVELS.index(level) if level in UNIT_LEVELS else len(UNIT_LEVELS), uid)


@dataclass(frozen=True)
class Hierarchy:
    """Networks ⊃ municipalities ⊃ teams, with partner and split municipalities.

    Immutable; build it with :meth:`from_frames` or :meth:`from_units`. Every answer is a
    sorted tuple (units: team first, then municipality, network, all). The module
    docstring states the rules.

    Examples
    --------
    Network N has municipalities 0301 and 1001; 1001 is split (its team c is in network
    M); 0301's team a has 1001 as a partner municipality.

    >>> teams = pl.DataFrame({"team_id": ["a", "b", "c"], "municipality_id": ["0301", "1001", "1001"],
    ...     "network_id": ["N", "N", "M"], "partner_municipality_ids": [["1001"], None, None]})
    >>> h = Hierarchy.from_frames(teams)
    >>> h.parents(("municipality", "1001"))
    (('network', 'M'), ('network', 'N'))
    >>> h.ancestors(("team", "a"))
    (('municipality', '0301'), ('network', 'N'), ('all', 'all'))
    >>> h.ancestors(("municipality", "1001"))
    (('network', 'M'), ('network', 'N'), ('all', 'all'))
    >>> h.children(("municipality", "1001"))
    (('team', 'a'), ('team', 'b'), ('team', 'c'))
    >>> h.teams_of(("municipality", "1001")), h.teams_of(("network", "M"))
    (('a', 'b', 'c'), ('b', 'c'))
    >>> h.partner_teams("1001"), h.partners("a"), h.is_split("1001")
    (('a',), ('1001',), True)
    >>> h.municipalities_of("N"), h.municipalities_of("M", partners=False)
    (('0301', '1001'), ('1001',))
    >>> h.networks_of(("municipality", "1001")), h.networks_of(("team", "c"))
    (('M', 'N'), ('M',))
    >>> h.ids("network"), ("municipality", "9999") in h
    (('M', 'N'), False)

    Read back from the units frame, team c belongs to both networks of its municipality:

    >>> Hierarchy.from_units(h.units_frame()).networks_of(("team", "c"))
    ('M', 'N')
    """

    _parents: Mapping[UnitKey, tuple[UnitKey, ...]]
    _children: Mapping[UnitKey, tuple[UnitKey, ...]]
    _partners: Mapping[str, tuple[str, ...]]
    """team id → its partner municipalities."""
    _partner_teams: Mapping[str, tuple[str, ...]]
    """municipality id → the teams it is a partner of."""
    _team_networks: Mapping[str, tuple[str, ...]]
    """team id → its own network(s) (from a units frame: its host municipality's)."""
    _listed: frozenset[UnitKey]
    """Units with a row in the units frame."""

    # --- building -------------------------------------------------------------------
    @classmethod
    def from_frames(cls, *frames: pl.DataFrame | pl.LazyFrame) -> Hierarchy:
        """The hierarchy of every team row of ``frames`` (teams or respondents tables, any
        waves): team_id, municipality_id, network_id, and partner_municipality_ids where
        the frame has it. The top unit is always there."""
        triples: set[tuple[str, str, str]] = set()
        partners: set[tuple[str, str]] = set()
        for frame in frames:
            lf = frame.lazy()
            triples.update(lf.select("team_id", "municipality_id", "network_id").unique().collect().iter_rows())
            if "partner_municipality_ids" in lf.collect_schema():
                partners.update(
                    lf.select("team_id", "partner_municipality_ids").drop_nulls()
                    .explode("partner_municipality_ids").drop_nulls().unique().collect().iter_rows())
        edges: list[tuple[UnitKey, UnitKey]] = []
        for team, municipality, network in triples:
            edges += [(("team", team), ("municipality", municipality)),
                      (("municipality", municipality), ("network", network)), (("network", network), TOP)]
        return cls._build(edges, partners, [(team, network) for team, _, network in triples], listed=[TOP])

    @classmethod
    def from_units(cls, units: pl.DataFrame) -> Hierarchy:
        """The hierarchy of a units frame (:meth:`units_frame`, ``Prepared.units``).

        A team's networks are then its host municipality's networks (the frame does not
        keep a team's own network).
        """
        edges: list[tuple[UnitKey, UnitKey]] = []
        partners: list[tuple[str, str]] = []
        listed: list[UnitKey] = []
        for level, uid, plevel, pid in units.select("unit_level", "unit_id", "parent_level", "parent_id").iter_rows():
            key = (str(level), str(uid))
            listed.append(key)
            if plevel is None or pid is None:
                continue
            if plevel == PARTNER:
                partners.append((key[1], str(pid)))
            else:
                edges.append((key, (str(plevel), str(pid))))
        nets = _index((uid, pid) for (level, uid), (_, pid) in edges if level == "municipality")
        team_networks = [(uid, network) for (level, uid), (plevel, pid) in edges
                         if level == "team" and plevel == "municipality" for network in nets.get(pid, ())]
        return cls._build(edges, partners, team_networks, listed=listed)

    @classmethod
    def _build(cls, edges: Iterable[tuple[UnitKey, UnitKey]], partners: Iterable[tuple[str, str]],
               team_networks: Iterable[tuple[str, str]], *, listed: Iterable[UnitKey]) -> Hierarchy:
        edges = list(edges)
        partners = list(partners)
        parents = _index(edges)
        return cls(
            _parents=parents,
            _children=_index((parent, unit) for unit, parent in edges),
            _partners=_index(partners),
            _partner_teams=_index((municipality, team) for team, municipality in partners),
            _team_networks=_index(team_networks),
            _listed=frozenset([*listed, *parents, *(("team", team) for team, _ in partners)]),
        )

    # --- frames ---------------------------------------------------------------------
    def tree_frame(self) -> pl.DataFrame:
        """Each unit with its host parent (no partners, no row for the top unit), sorted by
        level, unit_id, parent_id: unit_level, unit_id, parent_level, parent_id.

        Examples
        --------
        >>> r = pl.DataFrame({"team_id": ["t1"], "municipality_id": ["0301"], "network_id": ["N"]})
        >>> Hierarchy.from_frames(r).tree_frame().rows()
        [('team', 't1', 'municipality', '0301'), ('municipality', '0301', 'network', 'N'), ('network', 'N', 'all', 'all')]
        """
        return _sorted_units(self._rows(partners=False, top=False))

    def units_frame(self) -> pl.DataFrame:
        """:meth:`tree_frame` plus a ``("team", t, "partner", m)`` row per partner and
        ``("all", "all", null, null)``: ``Prepared.units``.

        Examples
        --------
        >>> t = pl.DataFrame({"team_id": ["t1"], "municipality_id": ["0301"], "network_id": ["N"],
        ...     "partner_municipality_ids": [["0219"]]})
        >>> Hierarchy.from_frames(t).units_frame().rows()[:2]
        [('team', 't1', 'municipality', '0301'), ('team', 't1', 'partner', '0219')]
        """
        return _sorted_units(self._rows(partners=True, top=True))

    def _rows(self, *, partners: bool, top: bool) -> pl.DataFrame:
        rows: list[tuple[str, str, str | None, str | None]] = [
            (*unit, *parent) for unit, parents in self._parents.items() for parent in parents]
        if partners:
            rows += [("team", team, PARTNER, m) for team, ms in self._partners.items() for m in ms]
        if top:
            rows.append((*TOP, None, None))
        return pl.DataFrame(rows, schema=dict(UNITS_SCHEMA), orient="row")

    def relations(self) -> tuple[Relation, ...]:
        """Every "total = sum of parts" pair across levels (parts are people: no partners),
        sorted by kind (:data:`RELATION_KINDS`), total id, part id.

        A split municipality is no part of a network (its teams are, each of its own
        network's).

        Examples
        --------
        >>> r = pl.DataFrame({"team_id": ["a", "c"], "municipality_id": ["1001"] * 2, "network_id": ["N", "M"]})
        >>> [x for x in Hierarchy.from_frames(r).relations() if x[2] == "network"]
        [('team', 'c', 'network', 'M', 'network/team'), ('team', 'a', 'network', 'N', 'network/team')]
        """
        out: list[Relation] = []
        for team in self.ids("team"):
            out += [("team", team, "municipality", m, "municipality/team") for m in self.hosts(team)]
            out += [("team", team, "network", n, "network/team") for n in self._team_networks.get(team, ())]
        for municipality in self.ids("municipality"):
            if not self.is_split(municipality):
                out += [("municipality", municipality, "network", n, "network/municipality")
                        for n in self.networks_of(("municipality", municipality))]
        for level in ("network", "municipality", "team"):
            out += [(level, uid, "all", ALL_ID, f"all/{level}") for uid in self.ids(level)]
        return tuple(sorted(out, key=lambda r: (RELATION_KINDS.index(r[4]), r[3], r[1])))

    # --- queries --------------------------------------------------------------------
    def __contains__(self, key: object) -> bool:
        """A unit of the hierarchy (with a row in the units frame, or a host parent)."""
        return key in self._listed or key in self._children

    def units(self, level: str | None = None) -> tuple[UnitKey, ...]:
        """Every unit (of ``level``), sorted (team first, then by id)."""
        keys = self._listed | self._children.keys()
        return tuple(sorted((k for k in keys if level is None or k[0] == level), key=_level_rank))

    def ids(self, level: str) -> tuple[str, ...]:
        """Ids of the units of ``level``, sorted."""
        return tuple(uid for _, uid in self.units(level))

    def parents(self, key: UnitKey) -> tuple[UnitKey, ...]:
        """Host parents: one, several for a split municipality, none for the top unit."""
        return self._parents.get(key, ())

    def children(self, key: UnitKey, *, partners: bool = True) -> tuple[UnitKey, ...]:
        """Units one level down: a municipality's host teams and (``partners``) the teams it
        is a partner of; a network's municipalities; the top unit's networks."""
        own = self._children.get(key, ())
        if partners and key[0] == "municipality" and key[1] in self._partner_teams:
            return tuple(sorted({*own, *(("team", t) for t in self._partner_teams[key[1]])}))
        return own

    def _climb(self, key: UnitKey) -> set[UnitKey]:
        """Host parents, transitively."""
        found: set[UnitKey] = set()
        frontier = [key]
        while frontier:
            for parent in self._parents.get(frontier.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    frontier.append(parent)
        return found

    def ancestors(self, key: UnitKey) -> tuple[UnitKey, ...]:
        """Every unit above ``key``: host parents transitively; for a municipality also the
        ancestors (this rule included) of the host of every team it is a partner of; the
        top unit for any unit but the top."""
        found = self._climb(key)
        if key[0] == "municipality":
            seen = {key}
            stack = [key]
            while stack:
                for team in self._partner_teams.get(stack.pop()[1], ()):
                    for host in self._parents.get(("team", team), ()):
                        found |= self._climb(host)
                        if host not in seen:  # partners of each other's teams: no endless loop
                            seen.add(host)
                            stack.append(host)
        if key != TOP:
            found.add(TOP)
        return tuple(sorted(found, key=_level_rank))

    def teams_of(self, key: UnitKey) -> tuple[str, ...]:
        """Team ids a unit's dashboard shows: a team itself; a municipality's host and
        partner teams; the host teams of a network's municipalities; every team for the top.

        From a units frame, a network's teams include those of its split municipalities in
        other networks (the frame cannot tell them apart)."""
        level, uid = key
        if level == "team":
            return (uid,)
        if level == "municipality":
            return tuple(t for _, t in self.children(key))
        if level == "network":
            return tuple(sorted({t for m in self._children.get(key, ()) if m[0] == "municipality"
                                 for _, t in self._children.get(m, ())}))
        return self.ids("team") if key == TOP else ()

    def hosts(self, team: str) -> tuple[str, ...]:
        """A team's host municipality (one, in valid data)."""
        return tuple(m for _, m in self.parents(("team", team)))

    def partners(self, team: str) -> tuple[str, ...]:
        """A team's partner municipalities."""
        return self._partners.get(team, ())

    def partner_teams(self, municipality: str) -> tuple[str, ...]:
        """The teams a municipality is a partner of."""
        return self._partner_teams.get(municipality, ())

    def is_split(self, municipality: str) -> bool:
        """True for a municipality whose teams sit in more than one network."""
        return len(self.parents(("municipality", municipality))) > 1

    def networks_of(self, key: UnitKey, *, partners: bool = False) -> tuple[str, ...]:
        """A unit's networks: a team's own (from a units frame: its host's), a
        municipality's host networks and (``partners``) the networks of the teams it is a
        partner of, a network itself; none for the top unit."""
        level, uid = key
        if level == "network":
            return (uid,)
        if level == "team":
            return self._team_networks.get(uid, ())
        if level != "municipality":
            return ()
        nets = {n for _, n in self.parents(key)}
        if partners:
            nets.update(n for team in self.partner_teams(uid) for n in self._team_networks.get(team, ()))
        return tuple(sorted(nets))

    def network_of(self, municipality: str) -> str | None:
        """A municipality's network for its page: its smallest host network, else the
        smallest network of the teams it is a partner of (None: no team at all)."""
        key = ("municipality", municipality)
        nets = self.networks_of(key) or self.networks_of(key, partners=True)
        return nets[0] if nets else None

    def municipalities_of(self, network: str, *, partners: bool = True) -> tuple[str, ...]:
        """A network's municipalities: hosts of its teams, and (``partners``) the partner
        municipalities of its teams (its teams' own network: see :meth:`networks_of`)."""
        found = {m for level, m in self._children.get(("network", network), ()) if level == "municipality"}
        if partners:
            found.update(m for team, nets in self._team_networks.items() if network in nets
                         for m in self._partners.get(team, ()))
        return tuple(sorted(found))

    def municipality_networks(self, *, partners: bool = True) -> dict[str, tuple[str, ...]]:
        """Municipality → its networks (:meth:`networks_of`), for every municipality with a
        team (host, or partner when ``partners``), by id."""
        ids = set(self.ids("municipality"))
        if partners:
            ids.update(self._partner_teams)
        return {m: self.networks_of(("municipality", m), partners=partners) for m in sorted(ids)}


def keys_frame(keys: Iterable[UnitKey]) -> pl.DataFrame:
    """unit_level, unit_id of ``keys`` (for joins).

    >>> keys_frame([("all", "all")]).rows()
    [('all', 'all')]
    """
    return pl.DataFrame(list(keys), schema={"unit_level": pl.String, "unit_id": pl.String}, orient="row")


def _sorted_units(frame: pl.DataFrame) -> pl.DataFrame:
    order = {level: i for i, level in enumerate(UNIT_LEVELS)}
    return frame.unique().sort(pl.col("unit_level").replace_strict(order, default=9, return_dtype=pl.Int8),
                               "unit_id", "parent_level", "parent_id", maintain_order=True)


__all__ = [
    "ALL_ID", "CHILD_LEVEL", "PARENT_LEVEL", "PARTNER", "RELATION_KINDS", "TOP", "UNITS_SCHEMA", "UNIT_COLUMN",
    "UNIT_LEVELS",
    "Hierarchy", "Relation", "UnitKey", "UnitLevel", "keys_frame",
]
