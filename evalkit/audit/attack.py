"""The audit's attacker: every count a set of pages publishes, as one integer programme.

The ``recoverable`` rule builds a :class:`~evalkit.disclosure.Problem` from the pages'
figure markup alone (never from the suppression engine's frames) and asks
:func:`~evalkit.disclosure.pinned` which hidden counts every integer solution agrees on.

Cells (counts of people) and what a figure id counts: :mod:`evalkit.audit.cells`.

What the attacker knows
-----------------------
Published counts (``data-n``); bounds from why a figure is hidden (``data-suppressed``,
:func:`~evalkit.audit.cells.reason_bounds`): ``small`` is 1…min_cell_n−1 (a gap's says
nothing: its user side is small); ``unit`` puts the unit's respondents at
1…min_unit_n−1 and the figure at 0…min_unit_n−1; ``protect`` is at least min_cell_n;
any other value (the old ``true``: a ``suppressed-reason`` finding) says nothing. The
text shown instead is not read: the ``reason-text`` rule holds it to the reason. A page
that lists a unit's respondents by role (``respondents.all`` and at least one role) says
that an unlisted role has nobody.
Relations, per unit and wave: all = the sum of the roles; a role group's count of an
item's answers, an index or complete answers is at most the group's respondents (user
side = user_rep + relative_rep, provider side = provider + leader, experience
consultants, other); an item's (an index's) count for everyone is the sum over the four
groups (a group not published is a hidden count); complete answers are at most everyone
with an index. Across units: a parent's count is the sum of its children's, for every
kind of count the parent shows, over the unit tree of the data (``--data``) or, without
data, the tree the pages show (a unit's own page lists its children). A child that also
belongs to another parent (a municipality with teams in two networks) is in neither sum,
and an incomplete child set leaves a hidden remainder.

Targets are the hidden counts of people that are not hidden as ``protect``. One pinned
is a finding when it is hidden as ``small`` or its value is 1…min_cell_n−1; one the
attack cannot settle within the time limit (``attack_seconds``) is a finding too.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

from evalkit.audit.cells import GROUPS, SIDES, Cell, Kind, cell_kind, family, reason_bounds
from evalkit.audit.findings import Deferred, PageResult
from evalkit.audit.settings import DataFacts, Settings
from evalkit.audit.spec import CHILD_LEVEL, PARENT_LEVEL, PINNED_PHRASE, TAKES_PART, Ref
from evalkit.disclosure import CAP, Attack, Inconsistent, Problem, implied_bounds, pinned
from evalkit.schema import ROLES

__all__ = ["Model", "attack", "build", "recover"]

@dataclass
class Model:
    """The attacker's problem and what the findings need: where each cell is shown."""

    problem: Problem = field(default_factory=Problem)
    marks: defaultdict[Cell, list[tuple[Path, Ref, str]]] = field(default_factory=lambda: defaultdict(list))
    reasons: defaultdict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))
    relations: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    at_most: list[tuple[int, int]] = field(default_factory=list)
    findings: list[Deferred] = field(default_factory=list)
    touching: defaultdict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    families: defaultdict[tuple[str, str], set[Kind]] = field(default_factory=lambda: defaultdict(set))

    def cell(self, cell: Cell, **bounds: float) -> int:
        return self.problem.cell(cell, **bounds)

    def sum_of(self, total: Cell, parts: Iterable[Cell]) -> None:
        self.relations.append((self.cell(total), tuple(self.cell(p) for p in parts)))

    def le(self, part: Cell, whole: Cell) -> None:
        self.at_most.append((self.cell(part), self.cell(whole)))

    def settle(self) -> None:
        """Check the relations whose counts are all published (a broken one is a finding
        on every element of its counts, and left out); the rest go to the problem."""
        p = self.problem
        value = np.asarray(p.value)

        def broken(cells: tuple[int, ...], holds: Callable[[list[float]], bool], text: str) -> bool:
            if any(np.isnan(value[c]) for c in cells) or holds([value[c] for c in cells]):
                return False
            message = f"the published counts contradict each other: {text} does not hold"
            self.findings.extend((file, ref, "recoverable", message) for c in cells
                                 for file, ref, _f in self.marks.get(_keys(p)[c], []))
            return True

        kept = []
        for t, parts in self.relations:
            text = f"{_shown(p, t)} = {' + '.join(_shown(p, q) for q in parts)}"
            if not broken((t, *parts), lambda v: v[0] == sum(v[1:]), text):
                kept.append((t, parts))
        self.relations = kept
        kept_le = []
        for a, b in self.at_most:
            if not broken((a, b), lambda v: v[0] <= v[1], f"{_shown(p, a)} ≤ {_shown(p, b)}"):
                kept_le.append((a, b))
        self.at_most = kept_le

    def program(self, *, local: bool = False) -> Problem:
        """The problem with every relation (``local``: only those within one unit, a
        relaxation: what it pins, the whole problem pins too)."""
        p = self.problem
        out = Problem()
        for i, key in enumerate(_keys(p)):
            v = p.value[i]
            out.cell(key, lower=p.lower[i], upper=p.upper[i], value=None if np.isnan(v) else v)
        keys = _keys(p)
        for t, parts in self.relations:
            if not local or all(keys[q][0] == keys[t][0] for q in parts):
                out.sum_of(t, parts)
        for a, b in self.at_most:
            if not local or keys[a][0] == keys[b][0]:
                out.at_most(a, b)
        return out

    def family(self, unit: str, wave: str, family: Kind) -> None:
        """A unit's counts of one family and the relations between them."""
        if family in self.families[(unit, wave)]:
            return
        self.families[(unit, wave)].add(family)
        if family != ("respondents",):
            self.family(unit, wave, ("respondents",))

        def resp(group: str) -> Cell:
            return (unit, wave, ("respondents", group))

        if family == ("respondents",):
            self.sum_of(resp("all"), [resp(role) for role in ROLES])
            for group, roles in GROUPS.items():
                if len(roles) > 1:
                    self.sum_of(resp(group), [resp(role) for role in roles])
            return
        if family[0] == "complete":
            self.family(unit, wave, ("index", family[1]))
            self.le((unit, wave, family), (unit, wave, ("index", family[1], "all")))
            return

        def of(group: str) -> Cell:
            return (unit, wave, (*family, group))

        self.sum_of(of("all"), [of(group) for group in GROUPS])
        self.sum_of(of(SIDES), [of("user_side"), of("provider_side")])
        for group in GROUPS:
            self.le(of(group), resp(group))


def _across_kinds(family: Kind) -> list[Kind]:
    """The kinds of a family that a parent sums over its children (the others follow)."""
    if family == ("respondents",):
        return [("respondents", role) for role in ROLES]
    if family[0] == "complete":
        return [family]
    return [(*family, group) for group in GROUPS]


def build(results: list[PageResult], settings: Settings, facts: DataFacts | None) -> Model:
    """The attacker's problem from the pages' marks (and, with data, the unit tree)."""
    model = Model()
    published: defaultdict[Cell, dict[int, list[tuple[Path, Ref, str]]]] = defaultdict(dict)
    bounds: defaultdict[Cell, list[tuple[float, float, str, Path, Ref]]] = defaultdict(list)
    marked_units: set[tuple[str, str]] = set()
    for r in results:
        listed: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        totals: dict[tuple[str, str], Ref] = {}
        for (unit, wave, figure), (n, ref) in r.visible.items():
            kind = cell_kind(figure)
            if kind is None:
                continue
            cell = (unit, wave, kind)
            model.marks[cell].append((r.file, ref, figure))
            published[cell].setdefault(n, []).append((r.file, ref, figure))
            marked_units.add((unit, wave))
            if kind[0] == "respondents":
                listed[(unit, wave)].add(kind[1])
                if kind[1] == "all":
                    totals[(unit, wave)] = ref
        for key, ref in r.suppressed.items():
            unit, wave, figure = key
            kind = cell_kind(figure)
            if kind is None:
                continue
            cell = (unit, wave, kind)
            model.marks[cell].append((r.file, ref, figure))
            marked_units.add((unit, wave))
            total = kind == ("respondents", "all")
            if kind[0] == "respondents":
                listed[(unit, wave)].add(kind[1])
                if total:
                    totals[(unit, wave)] = ref
            lo, hi, reason = reason_bounds(r.reasons.get(key, ""), kind, settings)
            bounds[cell].append((lo, hi, reason, r.file, ref))
            model.reasons[cell].add(reason)
            if reason == "unit" and not total:
                bounds[(unit, wave, ("respondents", "all"))].append(
                    (1.0, settings.min_unit_n - 1.0, "unit", r.file, ref))
        # A page that lists a unit's respondents by role: a role not listed has nobody.
        for (unit, wave), roles in listed.items():
            if "all" not in roles or len(roles) < 2:
                continue
            for role in ROLES:
                if role not in roles:
                    published[(unit, wave, ("respondents", role))].setdefault(0, []).append(
                        (r.file, totals[(unit, wave)], f"respondents.{role} (not listed)"))
    # Families of counts per unit, and the values and bounds the pages give.
    for cell in [*published, *bounds]:
        model.family(cell[0], cell[1], family(cell[2]))
    for cell, values in published.items():
        if len(values) > 1:
            shown = "; ".join(f"n={n} as {where[0][2]} on {where[0][0].name}" for n, where in sorted(values.items()))
            message = f"{_name(cell)} (wave {cell[1]}) is published with different counts: {shown}"
            model.findings.extend((file, ref, "recoverable", message) for where in values.values()
                                  for file, ref, _f in where if not _f.endswith("(not listed)"))
            continue
        ((value, _where),) = values.items()
        model.cell(cell, value=value)
    for cell, given in bounds.items():
        lo = max(b[0] for b in given)
        hi = min(b[1] for b in given)
        given_n = model.problem.value[model.cell(cell)]
        if (not np.isnan(given_n) and not lo <= given_n <= hi) or lo > hi:
            what = (f"shown elsewhere as n={given_n:g}" if not np.isnan(given_n)
                    else f"bounds {lo:g}–{hi:g} cannot all hold")
            message = (f"{_name(cell)} (wave {cell[1]}) is hidden as {', '.join(sorted({b[2] for b in given}))}, "
                       f"but {what}: a hidden figure's reason must be true")
            model.findings.extend((file, ref, "recoverable", message) for _lo, _hi, _r, file, ref in given)
            continue
        model.cell(cell, lower=lo, upper=hi)
    _across(model, facts, results, marked_units)
    model.settle()
    return model


def _tree(facts: DataFacts | None, results: list[PageResult]) -> dict[tuple[str, str], tuple[set[str], bool]]:
    """(parent, wave) → (children that belong to it alone, whether they are all of them)."""
    tree: dict[tuple[str, str], tuple[set[str], bool]] = {}
    if facts is not None:
        for (parent, wave), kids in facts.children.items():
            alone = {k for k in kids if len(facts.parents.get((k, wave), ())) == 1}
            tree[(parent, wave)] = (alone, alone == set(kids))
        return tree
    # Without data: a unit's own page lists its children; a page also names its unit's
    # parent (the one unit one level up it shows), which makes an incomplete list.
    listed: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    named: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for r in results:
        own = r.own_unit()
        if own is None:
            continue
        level = own.split(":", 1)[0]
        waves = {w for (u, w) in r.respondents_all if u == own} or {w for (u, w, _f) in r.visible}
        for wave in waves:
            for unit in r.units:
                if unit.split(":", 1)[0] == CHILD_LEVEL.get(level):
                    listed[(own, wave)].add(unit)
            ups = [u for u in r.units if u.split(":", 1)[0] == PARENT_LEVEL.get(level)]
            if len(ups) == 1:
                named[(ups[0], wave)].add(own)
    claimed: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for (parent, wave), shown in [*listed.items(), *named.items()]:
        for kid in shown:
            claimed[(kid, wave)].add(parent)
    for key in {*listed, *named}:
        units = listed.get(key, set()) | named.get(key, set())
        alone = {k for k in units if len(claimed[(k, key[1])]) == 1}
        tree[key] = (alone, key in listed and alone == units)
    return tree


def _across(model: Model, facts: DataFacts | None, results: list[PageResult],
            marked_units: set[tuple[str, str]]) -> None:
    """Parent = the sum of its children, for every family of counts the parent shows."""
    rank = {"all": 0, "network": 1, "municipality": 2, "team": 3}
    tree = _tree(facts, results)
    for parent, wave in sorted(tree, key=lambda k: (rank.get(k[0].split(":", 1)[0], 9), k)):
        kids, exact = tree[(parent, wave)]
        if (parent, wave) not in marked_units or not kids or not any((k, wave) in marked_units for k in kids):
            continue  # nothing shown of the parent, or of any child: the sums say nothing
        for shown in sorted(model.families[(parent, wave)]):
            for kid in sorted(kids):
                model.family(kid, wave, shown)
            for kind in _across_kinds(shown):
                parts: list[Cell] = [(kid, wave, kind) for kid in sorted(kids)]
                if not exact:
                    parts.append((parent, wave, ("rest", *kind)))
                model.sum_of((parent, wave, kind), parts)


def _name(cell: Cell) -> str:
    unit, _wave, kind = cell
    if kind[0] == "respondents":
        what = f"respondents.{kind[1]}"
    elif kind[0] == "item":
        what = f"{kind[1]} answers ({kind[2].replace(SIDES, 'user_side + provider_side')})"
    elif kind[0] == "index":
        what = f"{kind[1]} index n ({kind[2].replace(SIDES, 'user_side + provider_side')})"
    elif kind[0] == "complete":
        what = f"{kind[1]} complete answers (alpha n)"
    else:
        what = "remainder of " + ".".join(kind[1:])
    return f"{unit} {what}"


def _targets(model: Model, settings: Settings) -> tuple[list[int], dict[int, int]]:
    """Hidden counts of people that could be small — not remainders or sums of sides, not
    hidden as ``protect``, with bounds (:func:`~evalkit.disclosure.implied_bounds`) that allow 1…min_cell_n−1 or a
    ``small`` reason — split into those the bounds leave open (for the solver) and those they
    pin already (number → value)."""
    p = model.problem
    lo, hi = implied_bounds(model.program())
    if (lo > hi).any():
        i = int(np.flatnonzero(lo > hi)[0])
        raise Inconsistent(f"{_name(_keys(p)[i])} (wave {_keys(p)[i][1]}) has no possible value")
    value = np.asarray(p.value)
    known = ~np.isnan(value)
    open_: list[int] = []
    settled: dict[int, int] = {}
    for i, key in enumerate(_keys(p)):
        if known[i]:
            continue
        p.cell(key, lower=lo[i], upper=hi[i])  # sound: every solution keeps them
        kind = key[2]
        if kind[0] == "rest" or kind[-1] == SIDES or (
                kind[0] == "respondents" and kind[1] in ("user_side", "provider_side")):
            continue
        reasons = model.reasons.get(key, ())
        if "protect" in reasons:
            continue
        if hi[i] < 1 or (lo[i] >= settings.min_cell_n and "small" not in reasons):
            continue
        if lo[i] == hi[i]:
            settled[i] = int(lo[i])
        else:
            open_.append(i)
    return open_, settled


def _not_cleared(problem: Problem, targets: list[int], deadline: float, patience: int = 2) -> list[int]:
    """The targets that integer solutions with random objectives (±1 on the open targets)
    do not move, per connected component; a target that two solutions set differently is
    not pinned. Stops in a component after ``patience`` solves that clear nothing. (The
    push of :func:`~evalkit.disclosure.pinned` moves all open targets one way, which leaves
    parts that can only trade with each other, such as two groups' answers whose sum is
    known, to a solve each.)"""
    if not targets:
        return []
    a_eq, a_le = problem.matrices()
    value = np.asarray(problem.value, dtype=float)
    known = ~np.isnan(value)
    hidden = np.flatnonzero(~known)
    col = np.full(len(value), -1, dtype=np.int64)
    col[hidden] = np.arange(len(hidden))
    fixed = np.where(known, value, 0.0)
    eq, eq_rhs = a_eq[:, hidden].tocsr(), -(a_eq @ fixed)
    le, le_rhs = a_le[:, hidden].tocsr(), -(a_le @ fixed)
    lo = np.asarray(problem.lower, dtype=float)[hidden]
    hi = np.minimum(np.asarray(problem.upper, dtype=float)[hidden], CAP)
    stacked = sparse.vstack([eq, le]).tocsr()
    link = (stacked != 0).astype(np.int8)
    _, label = csgraph.connected_components(sparse.bmat([[None, link], [link.T, None]], format="csr"), directed=False)
    n_rows = stacked.shape[0]
    row_label, cell_label = label[:n_rows], label[n_rows:]
    wanted = col[np.asarray(targets, dtype=np.int64)]
    keep: list[int] = []
    rng = np.random.default_rng(13)
    for comp in np.unique(cell_label[wanted]):
        cells = np.flatnonzero(cell_label == comp)
        rows = np.flatnonzero(row_label == comp)
        eq_rows, le_rows = rows[rows < eq.shape[0]], rows[rows >= eq.shape[0]] - eq.shape[0]
        constraints = []
        if len(eq_rows):
            sub = eq[eq_rows][:, cells]
            constraints.append(LinearConstraint(sub, eq_rhs[eq_rows], eq_rhs[eq_rows]))
        if len(le_rows):
            constraints.append(LinearConstraint(le[le_rows][:, cells], -np.inf, le_rhs[le_rows]))
        local = np.flatnonzero(np.isin(cells, wanted))
        open_ = np.ones(len(local), dtype=bool)
        first: np.ndarray | None = None
        idle = 0
        while open_.any() and idle < patience:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            c = np.zeros(len(cells))
            c[local[open_]] = rng.choice([-1.0, 1.0], int(open_.sum()))
            res = milp(c, constraints=constraints, integrality=np.ones(len(cells)), bounds=Bounds(lo[cells], hi[cells]),
                       options={"time_limit": left, "presolve": True})
            if res.status != 0 or res.x is None:
                break  # infeasible or out of time: pinned() decides
            x = np.rint(res.x[local])
            if first is None:
                first = x
                continue
            moved = open_ & (x != first)
            idle = 0 if moved.any() else idle + 1
            open_ &= ~moved
        keep.extend(int(hidden[cells[t]]) for t in local[open_])
    return sorted(keep)


def _components(model: Model) -> tuple[dict[Cell, int], defaultdict[int, set[Cell]]]:
    """Connected cells (linked by relations through hidden cells): cell → component, and
    each component's cells, published ones included."""
    p = model.problem
    parent = list(range(len(_keys(p))))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = [(t, *parts) for t, parts in model.relations] + list(model.at_most)
    hidden = np.isnan(np.asarray(p.value))
    for row in rows:
        cells = [c for c in row if hidden[c]]
        for c in cells[1:]:
            a, b = find(cells[0]), find(c)
            if a != b:
                parent[b] = a
    members: defaultdict[int, set[Cell]] = defaultdict(set)
    for row in rows:
        roots = {find(c) for c in row if hidden[c]}
        for root in roots:
            members[root].update(_keys(p)[c] for c in row)
    return {_keys(p)[i]: find(i) for i in range(len(_keys(p))) if hidden[i]}, members


def _keys(p: Problem) -> list[Cell]:
    """The problem's keys, which are this module's cells."""
    return cast(list[Cell], p.keys)


def _shown(p: Problem, c: int) -> str:
    """A cell with its published value or its bounds."""
    v = p.value[c]
    if not np.isnan(v):
        return f"{_name(_keys(p)[c])}={v:g}"
    lo, hi = p.lower[c], p.upper[c]
    span = "" if (lo == 0 and hi == np.inf) else f" [{lo:g}–{hi:g}]" if hi < np.inf else f" [≥{lo:g}]"
    return f"{_name(_keys(p)[c])}{span}"


def _label(reasons: set[str]) -> str:
    if not reasons:
        return "not published"
    given = sorted(reasons - {"hidden"})
    return f"hidden as {', '.join(given)}" if given else "hidden (no reason given)"


def _route(model: Model, i: int) -> str:
    """The relations a cell sits in, with what is published (a hint of the route)."""
    p = model.problem

    def show(c: int) -> str:
        return _shown(p, c)

    if not model.touching:
        for r, (t, parts) in enumerate(model.relations):
            for c in (t, *parts):
                model.touching[c].append(r)
        for r, (a, b) in enumerate(model.at_most):
            model.touching[a].append(-1 - r)
            model.touching[b].append(-1 - r)
    def published(r: int) -> int:
        cells = (model.relations[r][0], *model.relations[r][1]) if r >= 0 else model.at_most[-1 - r]
        return sum(not np.isnan(p.value[c]) for c in cells)

    texts = []
    for r in sorted(model.touching.get(i, []), key=lambda r: (-published(r), r))[:2]:
        if r >= 0:
            t, parts = model.relations[r]
            texts.append(f"{show(t)} = {' + '.join(show(q) for q in parts)}")
        else:
            a, b = model.at_most[-1 - r]
            texts.append(f"{show(a)} ≤ {show(b)}")
    return "; ".join(texts)


def recover(model: Model, settings: Settings) -> Attack:
    """Every target (:func:`_targets`) the published figures pin, by key, and those not
    settled within ``settings.attack_seconds``. Raises :class:`~evalkit.disclosure.Inconsistent`
    when the published counts admit no solution.

    Solutions with random objectives clear most targets (:func:`_not_cleared`); each unit
    on its own then pins what its own figures pin (a relaxation: small programmes, fast);
    the whole set settles the rest."""
    p = model.problem
    targets, settled = _targets(model, settings)
    deadline = time.perf_counter() + settings.attack_seconds
    whole = model.program()
    rest = _not_cleared(whole, targets, deadline)
    found = pinned(model.program(local=True), rest, time_limit=max(0.0, deadline - time.perf_counter()))
    rest = [i for i in rest if _keys(p)[i] not in found.values and _keys(p)[i] not in found.unresolved]
    more = pinned(whole, rest, time_limit=max(0.0, deadline - time.perf_counter()))
    found.values.update(more.values)
    found.unresolved |= more.unresolved
    found.solves += more.solves
    found.values.update((_keys(p)[i], v) for i, v in settled.items())
    return found


def attack(results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
    """The ``recoverable`` findings of the integer-programming attack on a set of pages."""
    model = build(results, settings, facts)
    out = list(model.findings)
    p = model.problem
    try:
        found = recover(model, settings)
    except Inconsistent as exc:
        message = (f"the published counts contradict each other ({exc}): the attack cannot show that no "
                   "hidden figure can be worked out")
        return out + [(r.file, (-1, "", 0), "recoverable", message) for r in results]
    component, members = _components(model)
    involved: defaultdict[int, list[str]] = defaultdict(list)
    direct: defaultdict[int, set[Path]] = defaultdict(set)
    small = settings.min_cell_n
    values = cast(dict[Cell, int], found.values)
    for key in sorted(values, key=str):
        value = values[key]
        reasons = model.reasons.get(key, set())
        if not ("small" in reasons or 1 <= value < small):
            continue
        label = _label(reasons)
        i = p.index[key]
        message = f"{_name(key)} (wave {key[1]}), {label}, {PINNED_PHRASE}: {value} (through {_route(model, i)})"
        out.extend((file, ref, "recoverable", message) for file, ref, _f in model.marks.get(key, []))
        involved[component[key]].append(f"{_name(key)} = {value}")
        direct[component[key]].update(file for file, _ref, _f in model.marks.get(key, []))
    for key in sorted(cast(set[Cell], found.unresolved), key=str):
        message = (f"{_name(key)} (wave {key[1]}): the attack could not settle within its time limit "
                   f"({settings.attack_seconds:g} s) whether it can be worked out, so it cannot be shown safe")
        out.extend((file, ref, "recoverable", message) for file, ref, _f in model.marks.get(key, []))
        involved[component[key]].append(f"{_name(key)} (not settled in time)")
        direct[component[key]].update(file for file, _ref, _f in model.marks.get(key, []))
    for root, pinned_here in involved.items():
        pages: dict[Path, Ref] = {}
        for cell in members[root]:
            for file, ref, _f in model.marks.get(cell, []):
                if file in direct[root]:
                    continue
                if file not in pages or ref[0] < pages[file][0]:
                    pages[file] = ref
        listed = ", ".join(pinned_here[:3]) + (f" and {len(pinned_here) - 3} more" if len(pinned_here) > 3 else "")
        message = f"{TAKES_PART} {len(pinned_here)} hidden figure(s) exactly with figures elsewhere: {listed}"
        out.extend((file, ref, "recoverable", message) for file, ref in pages.items())
    return out
