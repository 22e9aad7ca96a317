"""The audit's attacker: every count a set of pages publishes, as one integer programme.

The ``recoverable`` rule builds a :class:`~evalkit.disclosure.Problem` from the pages'
figure markup alone (never from the suppression engine's frames) and asks
:func:`~evalkit.disclosure.pinned` which hidden counts every integer solution agrees on.

Cells
-----
A cell is a count of people: (unit, wave, kind). The figure ids that carry a cell's count
in ``data-n`` (each checked against the sample data: see tests/test_audit_attack.py):

* ``respondents.<role>`` (the six roles) and ``respondents.all``: respondents;
* ``<item>.n``, ``<item>.share_favourable``, ``<item>.share_favourable.ci``,
  ``<item>.share_dont_know``: the item's answers (don't-know left out), everyone;
  ``<item>.<group>.n``, ``<item>.<group>.share_favourable``, ``….share_favourable.ci``:
  the answers of a role group; ``<item>.gap.user_side.share_favourable``: the user
  side's answers plus the provider side's;
* ``<dim>.index_mean``, ``<dim>.index_share_favourable``, ``<dim>.benchmark.index_mean``,
  ``<dim>.change.index_mean``, ``summary.<dim>.benchmark.index_mean``,
  ``<dim>.index_mean.all`` (and ``.n``, ``.ci``): everyone with an index;
  ``<dim>.index_mean.<group>`` (and ``.n``, ``.ci``): a role group with an index;
  ``<dim>.gap.user_side.index_mean`` and ``summary.<dim>.gap.user_side.index_mean``: the
  user and provider sides with an index;
* ``<dim>.alpha``: the respondents who answered every item of the dimension.

Other figures (``response_rate``: people invited; ``data_quality.*``) are not counts of
the cells above and are left out (the same-key checks of
:func:`~evalkit.audit.crosspage.recoverable` still see them).

What the attacker knows
-----------------------
Published counts (``data-n``); bounds from how a figure is hidden: ``small`` (or the old
``true`` shown as "under 5") is 1…min_cell_n−1; ``unit`` puts the unit's respondents at
1…min_unit_n−1 and the figure at 0…min_unit_n−1; ``protect`` is at least min_cell_n; the
old ``true`` otherwise says nothing. A page that lists a unit's respondents by role
(``respondents.all`` and at least one role) says that an unlisted role has nobody.
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
is a finding when its label says it is small or its value is 1…min_cell_n−1; one the
attack cannot settle within the time limit (``attack_seconds``) is a finding too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np

from evalkit.audit.findings import Deferred, PageResult
from evalkit.audit.settings import DataFacts, Settings
from evalkit.audit.spec import CHILD_LEVEL, PARENT_LEVEL, Ref
from evalkit.disclosure import Inconsistent, Problem, pinned
from evalkit.schema import PROVIDER_SIDE, ROLES, USER_SIDE

__all__ = ["GROUPS", "Model", "attack", "build", "cell_kind", "label_bounds"]

GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "user_side": USER_SIDE,
    "provider_side": PROVIDER_SIDE,
    "experience_consultant": ("experience_consultant",),
    "other": ("other",),
}
"""The role groups whose counts add up to everyone's (``other`` is never published)."""
SIDES: Final = "sides"
"""The user side and the provider side together (the n of a gap between them)."""

Kind = tuple[str, ...]
Cell = tuple[str, str, Kind]
"""(unit, wave, kind): ``("respondents", role)``, ``("item", item, group)``,
``("index", dimension, group)``, ``("complete", dimension)`` or a hidden remainder."""

_NAME = r"([a-z0-9_]+)"
_GROUP = "(all|" + "|".join(GROUPS) + ")"
_ROLE = "(" + "|".join(("all", *ROLES)) + ")"
_NOT_NAMES: Final = frozenset({"respondents", "summary", "data_quality", "response_rate"})
_FIGURES: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Kind]], ...]] = (
    (re.compile(rf"respondents\.{_ROLE}"), lambda m: ("respondents", m[1])),
    (re.compile(rf"summary\.{_NAME}\.benchmark\.index_mean"), lambda m: ("index", m[1], "all")),
    (re.compile(rf"(?:summary\.)?{_NAME}\.gap\.user_side\.index_mean"), lambda m: ("index", m[1], SIDES)),
    (re.compile(rf"{_NAME}\.(?:index_mean|index_share_favourable|benchmark\.index_mean|change\.index_mean)"),
     lambda m: ("index", m[1], "all")),
    (re.compile(rf"{_NAME}\.index_mean\.{_GROUP}(?:\.n|\.ci)?"), lambda m: ("index", m[1], m[2])),
    (re.compile(rf"{_NAME}\.alpha"), lambda m: ("complete", m[1])),
    (re.compile(rf"{_NAME}\.gap\.user_side\.share_favourable"), lambda m: ("item", m[1], SIDES)),
    (re.compile(rf"{_NAME}\.(?:n|share_favourable|share_favourable\.ci|share_dont_know)"),
     lambda m: ("item", m[1], "all")),
    (re.compile(rf"{_NAME}\.{_GROUP}\.(?:n|share_favourable|share_favourable\.ci)"),
     lambda m: ("item", m[1], m[2])),
)


@cache
def cell_kind(figure: str) -> Kind | None:
    """The kind of count whose n a figure id carries (None: not one the attacker models).

    >>> cell_kind("respondents.leader"), cell_kind("eq_views.user_side.share_favourable")
    (('respondents', 'leader'), ('item', 'eq_views', 'user_side'))
    >>> cell_kind("equality.index_mean.provider_side.n"), cell_kind("response_rate")
    (('index', 'equality', 'provider_side'), None)
    """
    for pattern, kind in _FIGURES:
        m = pattern.fullmatch(figure)
        if m is not None:
            if m.lastindex and m[1] in _NOT_NAMES and not figure.startswith("respondents."):
                return None
            return kind(m)
    return None


def _family(kind: Kind) -> Kind:
    return kind[:1] if kind[0] == "respondents" else kind[:2]


@cache
def _under_texts(n: int) -> frozenset[str]:
    """"under {n}" in every language of the text store (what the old markup showed)."""
    from evalkit.i18n import LANGUAGES, text

    return frozenset(text("less_than", lang, n=n).casefold() for lang in LANGUAGES)


def label_bounds(raw: str, shown: str, total: bool, settings: Settings) -> tuple[float, float, str]:
    """(lower, upper, reason) of a count hidden as ``raw`` (``data-suppressed``) with the
    text ``shown``; ``total``: the count is the unit's respondents. Reasons: small, unit,
    protect, hidden (the old ``true`` without "under min_cell_n")."""
    small = (1.0, settings.min_cell_n - 1.0, "small")
    if raw == "small":
        return small
    if raw == "unit":
        return (1.0 if total else 0.0), settings.min_unit_n - 1.0, "unit"
    if raw == "protect":
        return float(settings.min_cell_n), np.inf, "protect"
    if shown.strip().casefold() in _under_texts(settings.min_cell_n):
        return small
    return 0.0, np.inf, "hidden"


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
        on every element of its counts, and left out), and give the rest to the problem."""
        p = self.problem
        value = np.asarray(p.value)

        def broken(cells: tuple[int, ...], holds: Callable[[list[float]], bool], text: str) -> bool:
            if any(np.isnan(value[c]) for c in cells) or holds([value[c] for c in cells]):
                return False
            message = f"the published counts contradict each other: {text} does not hold"
            self.findings.extend((file, ref, "recoverable", message) for c in cells
                                 for file, ref, _f in self.marks.get(p.keys[c], []))
            return True

        kept = []
        for t, parts in self.relations:
            text = f"{_shown(p, t)} = {' + '.join(_shown(p, q) for q in parts)}"
            if not broken((t, *parts), lambda v: v[0] == sum(v[1:]), text):
                kept.append((t, parts))
                p.sum_of(t, parts)
        self.relations = kept
        kept_le = []
        for a, b in self.at_most:
            if not broken((a, b), lambda v: v[0] <= v[1], f"{_shown(p, a)} ≤ {_shown(p, b)}"):
                kept_le.append((a, b))
                p.at_most(a, b)
        self.at_most = kept_le

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
            for raw, shown in r.labels.get(key, [("", "")]):
                lo, hi, reason = label_bounds(raw, shown, total, settings)
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
        model.family(cell[0], cell[1], _family(cell[2]))
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
        i = model.cell(cell)
        value = model.problem.value[i]
        if (not np.isnan(value) and not lo <= value <= hi) or lo > hi:
            what = f"shown elsewhere as n={value:g}" if not np.isnan(value) else f"bounds {lo:g}–{hi:g} cannot all hold"
            message = (f"{_name(cell)} (wave {cell[1]}) is hidden as {', '.join(sorted({b[2] for b in given}))}, "
                       f"but {what}: a hidden figure's label must be true")
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
    for (parent, wave), kids in [*listed.items(), *named.items()]:
        for kid in kids:
            claimed[(kid, wave)].add(parent)
    for key in {*listed, *named}:
        kids = listed.get(key, set()) | named.get(key, set())
        alone = {k for k in kids if len(claimed[(k, key[1])]) == 1}
        tree[key] = (alone, key in listed and alone == kids)
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
        for family in sorted(model.families[(parent, wave)]):
            for kid in sorted(kids):
                model.family(kid, wave, family)
            for kind in _across_kinds(family):
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


def _targets(model: Model, settings: Settings) -> list[int]:
    """Hidden counts of people that could be small: not remainders or sums of sides, not
    hidden as ``protect``, and bounds (tightened by the published wholes) that allow
    1…min_cell_n−1 (or a small label)."""
    p = model.problem
    value = np.asarray(p.value)
    upper = np.asarray(p.upper, dtype=float)
    known = ~np.isnan(value)
    for _ in range(3):  # bounds from published (or bounded) wholes: a part is at most its whole
        before = upper.copy()
        for t, parts in model.relations:
            whole = value[t] if known[t] else upper[t]
            for q in parts:
                upper[q] = min(upper[q], whole)
        for a, b in model.at_most:
            upper[a] = min(upper[a], value[b] if known[b] else upper[b])
        if np.array_equal(before, upper):
            break
    out = []
    for i, key in enumerate(p.keys):
        kind = key[2]
        if known[i] or kind[0] == "rest" or kind[-1] == SIDES or (
                kind[0] == "respondents" and kind[1] in ("user_side", "provider_side")):
            continue
        if "protect" in model.reasons.get(key, ()):
            continue
        if upper[i] < 1 or (p.lower[i] >= settings.min_cell_n and "small" not in model.reasons.get(key, ())):
            continue
        out.append(i)
    for i in out:
        p.cell(p.keys[i], upper=upper[i])
    return out


def _components(model: Model) -> tuple[dict[Cell, int], defaultdict[int, set[Cell]]]:
    """Connected cells (linked by relations through hidden cells): cell → component, and
    each component's cells, published ones included."""
    p = model.problem
    parent = list(range(len(p.keys)))

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
            members[root].update(p.keys[c] for c in row)
    return {p.keys[i]: find(i) for i in range(len(p.keys)) if hidden[i]}, members


def _shown(p: Problem, c: int) -> str:
    """A cell with its published value or its bounds."""
    v = p.value[c]
    if not np.isnan(v):
        return f"{_name(p.keys[c])}={v:g}"
    lo, hi = p.lower[c], p.upper[c]
    span = "" if (lo == 0 and hi == np.inf) else f" [{lo:g}–{hi:g}]" if hi < np.inf else f" [≥{lo:g}]"
    return f"{_name(p.keys[c])}{span}"


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


def attack(results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
    """The ``recoverable`` findings of the integer-programming attack on a set of pages."""
    model = build(results, settings, facts)
    out = list(model.findings)
    targets = _targets(model, settings)
    if not targets:
        return out
    p = model.problem
    try:
        found = pinned(p, targets, time_limit=settings.attack_seconds)
    except Inconsistent as exc:
        message = (f"the published counts contradict each other ({exc}): the attack cannot show that no "
                   "hidden figure can be worked out")
        return out + [(r.file, (-1, "", 0), "recoverable", message) for r in results]
    component, members = _components(model)
    involved: defaultdict[int, list[str]] = defaultdict(list)
    direct: defaultdict[int, set[Path]] = defaultdict(set)
    small = settings.min_cell_n
    for key in sorted(found.values, key=str):
        value = found.values[key]
        reasons = model.reasons.get(key, set())
        if not ("small" in reasons or 1 <= value < small):
            continue
        label = _label(reasons)
        i = p.index[key]
        message = (f"{_name(key)} (wave {key[1]}), {label}, can be worked out exactly from the published "
                   f"figures: {value} (through {_route(model, i)})")
        out.extend((file, ref, "recoverable", message) for file, ref, _f in model.marks.get(key, []))
        involved[component[key]].append(f"{_name(key)} = {value}")
        direct[component[key]].update(file for file, _ref, _f in model.marks.get(key, []))
    for key in sorted(found.unresolved, key=str):
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
        message = (f"figures on this page take part in working out {len(pinned_here)} hidden figure(s) "
                   f"exactly with figures elsewhere: {listed}")
        out.extend((file, ref, "recoverable", message) for file, ref in pages.items())
    return out
