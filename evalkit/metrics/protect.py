"""Secondary suppression against an integer-programming attacker: :func:`protect`.

**Status: experimental, not yet used by** :func:`evalkit.metrics.prepare`. It protects
small tables (a test), but on the whole sample it does not converge within minutes:
truthful labels ("under 5" = 1–4) pin cells by themselves, which hiding more visible
counts cannot undo, and one attack of the sample takes 8–10 s. Issue 13's note says
what comes next; until then ``prepare()`` keeps its greedy complementary suppression
(:func:`evalkit.metrics.suppression.complementary`) and the audit reports what an
attacker still recovers.

After the primary rules (:func:`evalkit.metrics.suppression.primary_flags`) have hidden
every small figure and every figure of a small unit, this step makes sure that none of
them can be worked out exactly from *everything* the batch publishes, and hides as few
further figures as it can to get there.

The model (one :class:`evalkit.disclosure.Problem` per batch; waves never add up to each
other, so they fall apart into separate components):

* cells are counts of people per wave and unit: respondents by role (``count``), item n
  per role group (``item``), index n per role group (``index``), the n behind Cronbach's
  α (``alpha``); the role groups' respondent counts (user side, provider side, …) are
  cells too, never published;
* published units are the whole data set (``all``), networks and municipalities (those
  in ``published_units`` when given); teams are never on a page and are modelled only
  where they are needed to make sums exact (the teams of a municipality split across
  networks);
* relations: every total is the sum of its parts across units (a network of its
  municipalities and of the split municipalities' teams, the data set of its networks
  and of its municipalities), across roles (``all`` of the roles, a role group of its
  roles, an item's or index's ``all`` of its groups), and no group answered an item (or
  got an index) more often than it has respondents; α's n is at most the index's;
* what the attacker knows of a hidden cell is what its label says: hidden as small —
  1 … min_cell_n − 1; hidden because the unit is small — the unit's total 1 …
  min_unit_n − 1, its other cells 0 … min_unit_n − 1; hidden to protect — at least
  min_cell_n (only counts of min_cell_n or more are ever hidden to protect, so that this
  is true); never published — 0 or more;
* the secrets: every hidden count of 1 … min_cell_n − 1 people (role counts, role-group
  sums, the internal ``other`` group, units not published), and, when small units are
  protected (the default), the n of a small unit's results (item and index n of
  everyone), which would let its results be worked out of its parent's.

The search: attack (:func:`evalkit.disclosure.pinned`); for every secret that is pinned
hide the cheapest visible count linked to it — in a relation with it first, else in a
relation with a hidden cell of its component — and attack again, until nothing is
pinned. Then every figure hidden to protect is tried visible again, most expensive first,
and stays visible when nothing becomes pinned. Cheapest: the smallest count of a
municipality; totals (a unit's ``all``, an item's or index's n of everyone) cost fifty
times more, a network's figures ten times more, the data set's a thousand times.
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import polars as pl
from scipy import sparse

from evalkit.disclosure import Problem, pinned
from evalkit.metrics.rollup import INTERNAL_ROLE_GROUPS
from evalkit.metrics.suppression import CELL_TOO_SMALL, COMPLEMENTARY, UNIT_TOO_SMALL
from evalkit.schema import ROLES

__all__ = ["ProtectionReport", "protect"]

PUBLISHED_LEVELS: Final = ("all", "network", "municipality")
GROUPS: Final = tuple(g for g in INTERNAL_ROLE_GROUPS if g != "all")
"""The disjoint role groups an item's or index's ``all`` is the sum of."""
PUBLISHED_GROUPS: Final = {
    "count": frozenset({"all", *ROLES}),
    "item": frozenset({"all", "user_side", "provider_side"}),
    "index": frozenset({"all", "user_side", "provider_side", "experience_consultant"}),
    "alpha": frozenset({"all"}),
}
"""The role groups each figure kind is shown for (the pages' figure ids); the others are
cells the attacker does not see (no label either) and not secrets of their own."""

Key = tuple[str, str, str, str, str, str]
"""(family, wave, unit_level, unit_id, sub, group): sub is the item or dimension ("" for
counts), group the role (counts), ``g:<group>`` (a role group's respondents) or the role
group (items, indices; ``all`` for α)."""


@dataclass
class ProtectionReport:
    """What the protection did (recorded in the manifest and in the benchmarks)."""

    protected: int = 0
    rounds: int = 0
    solves: int = 0
    seconds: float = 0.0
    timed_out: bool = False
    unresolved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"protected": self.protected, "rounds": self.rounds, "solves": self.solves,
                "seconds": round(self.seconds, 3), "timed_out": self.timed_out, "unresolved": self.unresolved[:20]}


@dataclass
class _Cell:
    value: int
    hidden: bool
    reason: str | None
    rows: list[tuple[str, int]] = field(default_factory=list)  # (frame, row) of the figure


FAMILIES: Final = {"count": "role", "item": "role_group", "index": "role_group", "alpha": None}


def protect(
    frames: Mapping[str, pl.DataFrame],
    *,
    ancestors: pl.DataFrame,
    unit_sizes: pl.DataFrame,
    min_cell_n: int,
    min_unit_n: int,
    protect_small_units: bool = True,
    time_limit: float = 60.0,
) -> tuple[dict[str, pl.DataFrame], ProtectionReport]:
    """Hide the fewest further figures so that no secret can be worked out exactly.

    ``frames`` maps ``count``, ``item``, ``index`` and ``alpha`` to frames flagged by
    :func:`~evalkit.metrics.suppression.primary_flags` (columns unit_level, unit_id,
    wave, the family's role column, ``item_id`` / ``dimension``, ``n``, ``_hidden``,
    ``_reason``). Returns the frames with ``_hidden`` and ``_reason`` (``complementary``)
    updated, and a :class:`ProtectionReport`.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    report = ProtectionReport()
    model = _Model(frames, ancestors, unit_sizes, min_cell_n=min_cell_n, min_unit_n=min_unit_n,
                   protect_small_units=protect_small_units)
    if not model.secrets:
        report.seconds = time.perf_counter() - started
        return dict(frames), report
    extra: set[Key] = set()
    pool = None
    while True:
        report.rounds += 1
        problem = model.problem(extra)
        attack = pinned(problem, [problem.index[k] for k in model.secrets],
                        time_limit=max(deadline - time.perf_counter(), 0), pool=pool)
        pool = _trim(attack.pool)
        report.solves += attack.solves
        stuck = [*attack.values, *attack.unresolved]
        if not stuck:
            break
        if time.perf_counter() >= deadline or report.rounds > 200:
            report.timed_out = True
            report.unresolved = sorted(map(str, stuck))
            break
        chosen = model.candidates(problem, stuck, extra)
        if not chosen:
            report.unresolved = sorted(map(str, stuck))
            break
        extra |= chosen
    # Prune: try each protecting figure visible again, the most expensive first.
    if not report.timed_out and not report.unresolved:
        for key in sorted(extra, key=model.cost, reverse=True):
            if time.perf_counter() >= deadline:
                break
            trial = extra - {key}
            problem = model.problem(trial)
            near = model.secrets_near(model.problem(extra), key)
            if not near:
                extra = trial
                continue
            attack = pinned(problem, [problem.index[k] for k in near],
                            time_limit=max(deadline - time.perf_counter(), 0), pool=pool)
            pool = _trim(attack.pool)
            report.solves += attack.solves
            if attack.safe:
                extra = trial
    report.protected = len(extra)
    report.seconds = time.perf_counter() - started
    return model.apply(frames, extra), report


class _Model:
    """The cells and relations of a batch's published counts (see the module docstring)."""

    def __init__(self, frames: Mapping[str, pl.DataFrame], ancestors: pl.DataFrame, unit_sizes: pl.DataFrame, *,
                 min_cell_n: int, min_unit_n: int, protect_small_units: bool) -> None:
        self.min_cell_n = min_cell_n
        self.min_unit_n = min_unit_n
        self.cells: dict[Key, _Cell] = {}
        sizes = {(r[0], r[1], r[2]): int(r[3]) for r in unit_sizes.select(
            "unit_level", "unit_id", "wave", "n_respondents").iter_rows()}
        self.small_unit = {k for k, n in sizes.items() if n < min_unit_n}
        parts_of, split_teams = _sums(ancestors)
        self.siblings: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for lists in parts_of.values():
            for parts in lists:
                for part in parts:
                    self.siblings[part].update(p for p in parts if p != part)
        self.split_teams = split_teams
        for family, frame in frames.items():
            self._read(family, frame)
        waves_units = {(k[1], k[2], k[3]) for k in self.cells}
        self.derived: set[Key] = set()
        self.eq: list[tuple[Key, list[Key]]] = []
        self.le: list[tuple[Key, Key]] = []
        # Within a unit: roles and role groups.
        subs: defaultdict[tuple[str, str, str, str], set[str]] = defaultdict(set)
        for fam, wave, level, uid, sub, _group in self.cells:
            if fam in ("item", "index", "alpha"):
                subs[(fam, wave, level, uid)].add(sub)
        for wave, level, uid in waves_units:
            total = ("count", wave, level, uid, "", "all")
            roles = [("count", wave, level, uid, "", r) for r in ROLES]
            self._sum(total, roles)
            for group, members in INTERNAL_ROLE_GROUPS.items():
                if group == "all":
                    continue
                gkey = ("count", wave, level, uid, "", f"g:{group}")
                self._derive(gkey, [("count", wave, level, uid, "", r) for r in members])
            for fam in ("item", "index"):
                for sub in subs.get((fam, wave, level, uid), ()):
                    whole = (fam, wave, level, uid, sub, "all")
                    self._sum(whole, [(fam, wave, level, uid, sub, g) for g in GROUPS])
                    for g in GROUPS:
                        self._at_most((fam, wave, level, uid, sub, g), ("count", wave, level, uid, "", f"g:{g}"))
                    self._at_most(whole, total)
            for sub in subs.get(("alpha", wave, level, uid), ()):
                self._at_most(("alpha", wave, level, uid, sub, "all"), ("index", wave, level, uid, sub, "all"))
        # Across units: the same cell in a total and its parts.
        by_unit: defaultdict[tuple[str, str, str], list[Key]] = defaultdict(list)
        for key in [*self.cells, *self.derived]:
            by_unit[(key[1], key[2], key[3])].append(key)
        for (wave, level, uid), keys in list(by_unit.items()):
            for parts in parts_of.get((level, uid), ()):
                for key in keys:
                    part_keys = [(key[0], wave, pl_, pid, key[4], key[5]) for pl_, pid in parts]
                    self._sum(key, part_keys)
        self.secrets = [k for k, c in self.cells.items() if c.hidden and self._secret(k, c, protect_small_units)]
        self._base: Problem | None = None

    # -- building
    def _read(self, family: str, frame: pl.DataFrame) -> None:
        role = FAMILIES[family]
        sub = "item_id" if family == "item" else "dimension" if family in ("index", "alpha") else None
        n_col = "n"
        cols = ["unit_level", "unit_id", "wave", n_col, "_hidden", "_reason"]
        frame = frame.with_row_index("_row")
        for row in frame.select("_row", *cols, *([role] if role else []), *([sub] if sub else [])).iter_rows():
            r, level, uid, wave, n, hidden, reason = row[:7]
            if not (level in PUBLISHED_LEVELS or (level, uid) in self.split_teams):
                continue
            group = row[7] if role else "all"
            s = (row[8] if role else row[7]) if sub else ""
            key: Key = (family, wave, level, uid, s, group)
            cell = self.cells.get(key)
            if cell is None:
                self.cells[key] = _Cell(int(n or 0), bool(hidden), reason, [(family, r)])
            else:
                cell.rows.append((family, r))

    def _sum(self, total: Key, parts: list[Key]) -> None:
        present = [p for p in parts if p in self.cells or p in self.derived]
        if total in self.cells or total in self.derived:
            self.eq.append((total, present))

    def _derive(self, key: Key, parts: list[Key]) -> None:
        self.derived.add(key)
        self._sum(key, parts)

    def _at_most(self, part: Key, whole: Key) -> None:
        if (part in self.cells or part in self.derived) and (whole in self.cells or whole in self.derived):
            self.le.append((part, whole))

    def _derived_value(self, key: Key) -> int:
        members = INTERNAL_ROLE_GROUPS[key[5][2:]]
        return sum(self.cells[(*key[:5], r)].value for r in members if (*key[:5], r) in self.cells)

    def _secret(self, key: Key, cell: _Cell, protect_small_units: bool) -> bool:
        if key[5] not in PUBLISHED_GROUPS[key[0]]:
            return False
        if 0 < cell.value < self.min_cell_n:
            return True
        small_unit = (key[2], key[3], key[1]) in self.small_unit
        return (protect_small_units and small_unit and cell.value > 0 and key[0] in ("item", "index")
                and key[5] == "all")

    def value(self, key: Key) -> int:
        return self.cells[key].value if key in self.cells else self._derived_value(key)

    # -- the attacker's problem
    def bounds(self, key: Key, cell: _Cell, extra: set[Key]) -> tuple[float, float]:
        if key in extra:
            return self.min_cell_n, np.inf
        if key[5] not in PUBLISHED_GROUPS[key[0]]:
            return 0, np.inf  # never published: no label
        if cell.reason == CELL_TOO_SMALL:
            return min(1, cell.value), self.min_cell_n - 1
        if cell.reason == UNIT_TOO_SMALL:
            lower = 1 if key[0] == "count" and key[5] == "all" else 0
            return min(lower, cell.value), self.min_unit_n - 1
        return 0, np.inf

    def visible(self, key: Key, extra: set[Key]) -> bool:
        cell = self.cells.get(key)
        return (cell is not None and not cell.hidden and key not in extra and key[2] in PUBLISHED_LEVELS
                and key[5] in PUBLISHED_GROUPS[key[0]])

    def problem(self, extra: set[Key]) -> Problem:
        """The attacker's problem with ``extra`` hidden to protect (the relations are built
        once; only the protecting cells' values and bounds change)."""
        if self._base is None:
            self._base = self._build(set())
        p = copy.copy(self._base)
        p.value, p.lower, p.upper = list(p.value), list(p.lower), list(p.upper)
        for key in extra:
            i = p.index[key]
            p.value[i], p.lower[i], p.upper[i] = np.nan, float(self.min_cell_n), np.inf
        return p

    def _build(self, extra: set[Key]) -> Problem:
        p = Problem()
        for key, cell in self.cells.items():
            if self.visible(key, extra):
                p.cell(key, value=cell.value, truth=cell.value)
            else:
                lo, hi = self.bounds(key, cell, extra)
                p.cell(key, lower=lo, upper=hi, truth=cell.value)
        for key in self.derived:
            p.cell(key, truth=self._derived_value(key))
        for total, parts in self.eq:
            p.sum_of(p.index[total], [p.index[k] for k in parts])
        for part, whole in self.le:
            p.at_most(p.index[part], p.index[whole])
        return p

    def cost(self, key: Key) -> float:
        level_factor = {"all": 1000.0, "network": 10.0}.get(key[2], 1.0)
        total = (key[0] == "count" and key[5] == "all") or (key[0] in ("item", "index") and key[5] == "all")
        return self.value(key) * (50.0 if total else 1.0) * level_factor

    def _graph(self, problem: Problem) -> tuple[sparse.csr_matrix, np.ndarray]:
        a_eq, a_le = problem.matrices()
        rel = sparse.vstack([a_eq, a_le]).tocsr()
        rel.data[:] = 1
        return rel, np.isnan(np.asarray(problem.value))

    def candidates(self, problem: Problem, stuck: list[Hashable], extra: set[Key]) -> set[Key]:
        """For each pinned secret, the cheapest visible count (of at least min_cell_n) in a
        relation with it, else in a relation with a hidden cell of its component."""
        rel, hidden = self._graph(problem)
        by_col = rel.tocsc()
        labels = _components(rel, hidden)
        chosen: set[Key] = set()
        for key in stuck:
            corners = self._rectangle(key, extra | chosen)  # type: ignore[arg-type]
            if corners:
                chosen |= corners
                continue
            i = problem.index[key]
            rows = by_col.indices[by_col.indptr[i]:by_col.indptr[i + 1]]
            pick = self._cheapest(problem, rel, rows, extra)
            if pick is None:
                comp = np.flatnonzero(labels == labels[i])
                rows = np.unique(np.concatenate([by_col.indices[by_col.indptr[c]:by_col.indptr[c + 1]] for c in comp]))
                pick = self._cheapest(problem, rel, rows, extra)
            if pick is not None:
                chosen.add(pick)
        return chosen

    def _rectangle(self, key: Key, extra: set[Key]) -> set[Key]:
        """The cheapest 2 × 2 rectangle around a pinned cell of a unit × group table: another
        group of the same unit, the same group of a sibling unit, and the sibling's other
        group — each hidden already or a visible count of at least min_cell_n. Returns the
        visible corners to hide (empty: no such rectangle, or the cell is a total)."""
        fam, wave, level, uid, sub, group = key
        groups = ROLES if fam == "count" else tuple(g for g in PUBLISHED_GROUPS.get(fam, ()) if g != "all")
        if group == "all" or group.startswith("g:") or group not in groups:
            return set()
        best: tuple[float, str, set[Key]] | None = None
        for s_level, s_id in sorted(self.siblings.get((level, uid), ())):
            for other in groups:
                if other == group:
                    continue
                corners = [(fam, wave, level, uid, sub, other), (fam, wave, s_level, s_id, sub, group),
                           (fam, wave, s_level, s_id, sub, other)]
                add: set[Key] = set()
                cost = 0.0
                for c in corners:
                    cell = self.cells.get(c)
                    if cell is None:
                        break  # nobody there: a known zero, no corner
                    if self.visible(c, extra):
                        if cell.value < self.min_cell_n:
                            break
                        add.add(c)
                        cost += self.cost(c)
                else:
                    if best is None or (cost, str(sorted(add))) < best[:2]:
                        best = (cost, str(sorted(add)), add)
        return best[2] if best is not None else set()

    def _cheapest(self, problem: Problem, rel: sparse.csr_matrix, rows: np.ndarray, extra: set[Key]) -> Key | None:
        best: tuple[float, str, Key] | None = None
        for r in rows:
            for c in rel.indices[rel.indptr[r]:rel.indptr[r + 1]]:
                key = problem.keys[c]
                if not isinstance(key, tuple) or not self.visible(key, extra):
                    continue
                if self.cells[key].value < self.min_cell_n:
                    continue
                candidate = (self.cost(key), str(key), key)
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        return best[2] if best is not None else None

    def secrets_near(self, problem: Problem, key: Key) -> list[Key]:
        """Secrets in the component that ``key`` (hidden) belongs to."""
        rel, hidden = self._graph(problem)
        labels = _components(rel, hidden)
        i = problem.index[key]
        comp = labels[i]
        return [s for s in self.secrets if labels[problem.index[s]] == comp]

    # -- back to the frames
    def apply(self, frames: Mapping[str, pl.DataFrame], extra: set[Key]) -> dict[str, pl.DataFrame]:
        rows: defaultdict[str, list[int]] = defaultdict(list)
        for key in extra:
            for family, r in self.cells[key].rows:
                rows[family].append(r)
        out = dict(frames)
        for family, hit in rows.items():
            mask = np.zeros(frames[family].height, dtype=bool)
            mask[hit] = True
            flag = pl.Series(mask)
            out[family] = frames[family].with_columns(
                _hidden=pl.col("_hidden") | flag,
                _reason=pl.when(flag).then(pl.lit(COMPLEMENTARY)).otherwise(pl.col("_reason")),
            )
        return out


POOL: Final = 400
"""Integer solutions kept between attacks (the newest)."""


def _trim(pool: np.ndarray | None) -> np.ndarray | None:
    return pool[-POOL:] if pool is not None else None


def _components(rel: sparse.csr_matrix, hidden: np.ndarray) -> np.ndarray:
    """Component label of every cell: hidden cells linked by relations; visible cells -1."""
    from scipy.sparse import csgraph

    h = rel[:, np.flatnonzero(hidden)]
    n_rows = h.shape[0]
    graph = sparse.bmat([[None, h], [h.T, None]], format="csr")
    _, label = csgraph.connected_components(graph, directed=False)
    out = np.full(rel.shape[1], -1, dtype=np.int64)
    out[np.flatnonzero(hidden)] = label[n_rows:]
    return out


def _sums(ancestors: pl.DataFrame) -> tuple[dict[tuple[str, str], list[list[tuple[str, str]]]], set[tuple[str, str]]]:
    """Total unit → lists of part units (one list per exact sum), among the modelled
    units; and the teams that must be modelled (those of split municipalities)."""
    rel = ancestors.select("part_level", "part_id", "total_level", "total_id").rows()
    whole = {(pid) for pl_, pid, tl, _ in rel if pl_ == "municipality" and tl == "network"}
    municipality_of = {pid: tid for pl_, pid, tl, tid in rel if pl_ == "team" and tl == "municipality"}
    split_teams = {("team", t) for t, m in municipality_of.items() if m not in whole}
    sums: defaultdict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for part_level, part_id, total_level, total_id in rel:
        if part_level == "team" and ("team", part_id) not in split_teams:
            continue
        if total_level == "all" and part_level == "team":
            continue  # all = Σ networks and = Σ municipalities carry it
        kind = "network" if total_level == "network" else f"{total_level}/{part_level}"
        sums[(total_level, total_id, kind)].append((part_level, part_id))
    parts_of: defaultdict[tuple[str, str], list[list[tuple[str, str]]]] = defaultdict(list)
    for (level, uid, _kind), parts in sums.items():
        parts_of[(level, uid)].append(parts)
    return dict(parts_of), split_teams

