"""Cross-page checks: what the pages of a set give away together.

:func:`small_units` finds survey results of units under ``min_unit_n`` (the data, or the
pages' own respondent counts, decide a unit's size); :func:`recoverable` finds suppressed
figures that are shown on another page or are the difference of a parent's figure and
its children's (the algorithm is in :mod:`evalkit.audit`'s docstring; the
integer-programming attack on every count of people is :mod:`evalkit.audit.attack`).
Both work on the pages' :class:`PageResult` and return :data:`Deferred` findings, whose
elements are named once the set is checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evalkit.audit.findings import Deferred, PageResult
from evalkit.audit.settings import DataFacts, Settings
from evalkit.audit.spec import CHILD_LEVEL, PARENT_LEVEL, Key, Ref

__all__ = ["Marked", "marked_sizes", "page_tree", "recoverable", "small_reason", "small_units"]


@dataclass(frozen=True)
class Marked:
    """What the pages say about unit sizes: ``respondents.all`` (None: suppressed) and the
    largest n of any visible survey figure of the unit (a lower bound of its size)."""

    counts: Mapping[tuple[str, str], int | None]
    largest: Mapping[tuple[str, str], int]


def marked_sizes(results: list[PageResult]) -> Marked:
    counts: dict[tuple[str, str], int | None] = {}
    largest: dict[tuple[str, str], int] = {}
    for r in results:
        for key, n in r.respondents_all.items():
            old = counts.get(key, -1)
            if key not in counts or n is None or (old is not None and n < old):
                counts[key] = n
        for key, n in r.largest_n.items():
            largest[key] = max(n, largest.get(key, -1))
    return Marked(counts, largest)


def small_reason(unit: str, wave: str, settings: Settings, facts: DataFacts | None,
                 marked: Marked) -> str | None:
    """Why ``unit`` counts as under min_unit_n in ``wave`` (None: it does not)."""
    if facts is not None:
        size = facts.sizes.get((unit, wave), 0)
        if size < settings.min_unit_n:
            return f"{unit} has {size} respondent(s) in wave {wave} in the data (< min_unit_n={settings.min_unit_n})"
    if (unit, wave) in marked.counts:
        n = marked.counts[(unit, wave)]
        if n is not None and n < settings.min_unit_n:
            return f"{unit} has {n} respondent(s) in wave {wave} (< min_unit_n={settings.min_unit_n})"
        # A suppressed count may be complementary: with data the data decide; without,
        # a figure of the unit with n >= min_unit_n shows that the unit is not small.
        if n is None and facts is None and marked.largest.get((unit, wave), 0) < settings.min_unit_n:
            return f"{unit}'s respondent count for wave {wave} is suppressed"
    return None


def small_units(results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
    marked = marked_sizes(results)
    out: list[Deferred] = []
    for r in results:
        for (unit, wave), (count, ref) in r.results.items():
            reason = small_reason(unit, wave, settings, facts, marked)
            if reason:
                others = f" (and {count - 1} more)" if count > 1 else ""
                out.append((r.file, ref, "small-unit", f"{reason}, but the page shows its survey results{others}"))
    return out


def page_tree(results: list[PageResult]) -> dict[str, set[str]]:
    """Without data: parent → children, as the pages tell them."""
    children: defaultdict[str, set[str]] = defaultdict(set)
    for r in results:
        own = r.own_unit()
        if own is None:
            continue
        level = own.split(":", 1)[0]
        ups = [u for u in r.units if u.split(":", 1)[0] == PARENT_LEVEL.get(level)]
        if len(ups) == 1:
            children[ups[0]].add(own)
        for unit in r.units:
            if unit.split(":", 1)[0] == CHILD_LEVEL.get(level):
                children[own].add(unit)
    return children


def recoverable(results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
    visible: defaultdict[Key, list[tuple[Path, int, Ref]]] = defaultdict(list)
    suppressed: defaultdict[Key, list[tuple[Path, Ref]]] = defaultdict(list)
    for r in results:
        for key, (n, ref) in r.visible.items():
            visible[key].append((r.file, n, ref))
        for key, ref in r.suppressed.items():
            suppressed[key].append((r.file, ref))
    out: list[Deferred] = []

    def flag(key: Key, message: str) -> None:
        out.extend((file, ref, "recoverable", message) for file, _n, ref in visible.get(key, []))
        out.extend((file, ref, "recoverable", message) for file, ref in suppressed.get(key, []))

    for key in sorted(suppressed.keys() & visible.keys()):
        unit, wave, figure = key
        flag(key, f"{unit} {figure} (wave {wave}) is suppressed on one page but shown with n={visible[key][0][1]} on another")

    # The difference of the same figure between a parent and its children (every figure;
    # counts of people are also attacked as a whole by :mod:`evalkit.audit.attack`, which
    # the ``recoverable`` rule runs apart: its findings may only be reported).
    marked = marked_sizes(results)
    page_children = page_tree(results) if facts is None else {}
    for (parent, wave, figure), shown in sorted(visible.items()):
        level = parent.split(":", 1)[0]
        if level not in CHILD_LEVEL:
            continue
        kids = set(facts.children.get((parent, wave), frozenset()) if facts is not None else page_children.get(parent, ()))
        hidden = [k for k in kids if (k, wave, figure) not in visible]
        if len(hidden) != 1:
            continue
        seen = sorted(kids - set(hidden))
        if not seen:
            continue  # nothing to subtract: the parent's own figure (held to min_cell_n itself)
        if facts is not None and any(len(facts.parents.get((k, wave), ())) != 1 for k in seen):
            continue  # a visible child that also belongs elsewhere: no clean difference
        rest = shown[0][1] - sum(visible[(k, wave, figure)][0][1] for k in seen)
        if rest <= 0:
            continue
        child = hidden[0]
        hidden_key = (child, wave, figure)
        if rest < settings.min_cell_n:
            reason = f"fewer than min_cell_n={settings.min_cell_n}"
        elif facts is None:
            continue  # without data the child set may be incomplete: only a small rest is sure
        elif hidden_key in suppressed:
            reason = "which is suppressed"
        else:
            small = small_reason(child, wave, settings, facts, marked)
            if small is None:
                continue
            reason = f"and {small}"
        message = (f"{parent} {figure} (wave {wave}) n={shown[0][1]} minus the {len(seen)} other "
                   f"{CHILD_LEVEL[level]} unit(s) shown leaves n={rest} for {child}, {reason}")
        flag((parent, wave, figure), message)
        for k in seen:
            flag((k, wave, figure), message)
        out.extend((file, ref, "recoverable", message) for file, ref in suppressed.get(hidden_key, []))
    return out
