"""The integer-programming attacker (:mod:`evalkit.disclosure`), against hand-worked cases
and an exhaustive enumeration of small problems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evalkit.disclosure import Inconsistent, Problem, pinned


def test_oslo_route_leaders_are_index_n_minus_providers() -> None:
    # The first route: 20 respondents, 12 providers, leaders "under 5"; the
    # provider side's index n is 15 and all 20 have an index, so leaders = 15 - 12 = 3
    # (the user side's count is hidden too).
    p = Problem()
    everyone, providers = p.cell("all", value=20), p.cell("provider", value=12)
    leaders, users = p.cell("leader", lower=1, upper=4), p.cell("user_side")
    p.sum_of(everyone, [providers, leaders, users])
    provider_side = p.cell("provider_side")
    p.sum_of(provider_side, [providers, leaders])
    idx_all, idx_ps, idx_us = p.cell("idx.all", value=20), p.cell("idx.provider_side", value=15), p.cell("idx.user_side")
    p.sum_of(idx_all, [idx_ps, idx_us])
    p.at_most(idx_ps, provider_side)
    p.at_most(idx_us, users)
    assert pinned(p, [leaders]).values == {"leader": 3}
    # Without the index n of everyone, the leaders are 3 or 4: not pinned.
    p.value[idx_all] = np.nan
    assert pinned(p, [leaders]).safe


@pytest.mark.parametrize(("municipalities", "expected"), [(4, 1), (3, None)])
def test_bounds_from_labels_pin_four_ones(municipalities: int, expected: int | None) -> None:
    # "Andre: under 5" (1-4) in each of k municipalities and in their network (1-4):
    # with 4 municipalities each is exactly 1; with 3 nothing is pinned.
    p = Problem()
    parts = [p.cell(("m", i), lower=1, upper=4) for i in range(municipalities)]
    p.sum_of(p.cell("network", lower=1, upper=4), parts)
    found = pinned(p, parts).values
    assert found == ({("m", i): expected for i in range(municipalities)} if expected else {})


def test_published_values_that_break_a_sum_are_refused() -> None:
    p = Problem()
    p.sum_of(p.cell("t", value=10), [p.cell("a", value=3), p.cell("b", value=3)])
    with pytest.raises(Inconsistent, match="break a sum relation"):
        pinned(p, [p.cell("c")])
    q = Problem()
    q.cell("a", value=3)
    with pytest.raises(Inconsistent, match="published as both 3 and 4"):
        q.cell("a", value=4)


def test_time_limit_reports_unresolved() -> None:
    p = Problem()
    a = p.cell("a", lower=1, upper=4)
    p.sum_of(p.cell("t", value=3), [a, p.cell("b")])
    out = pinned(p, [a], time_limit=0.0)
    assert out.unresolved == {"a"} and not out.values


def _brute_force(lower: list[int], upper: list[int], value: list[int | None], sums: list[tuple[int, list[int]]],
                 at_most: list[tuple[int, int]]) -> dict[int, set[int]]:
    """Every integer solution, enumerated: cell → the values it takes."""
    ranges = [range(v, v + 1) if v is not None else range(lo, hi + 1) for lo, hi, v in zip(lower, upper, value, strict=True)]
    seen: dict[int, set[int]] = {i: set() for i in range(len(lower))}
    for x in itertools.product(*ranges):
        if all(x[t] == sum(x[q] for q in parts) for t, parts in sums) and all(x[a] <= x[b] for a, b in at_most):
            for i, xi in enumerate(x):
                seen[i].add(xi)
    return seen


@st.composite
def small_problems(draw: st.DrawFn) -> tuple[list[int], list[int], list[int | None], list[tuple[int, list[int]]],
                                               list[tuple[int, int]]]:
    n = draw(st.integers(3, 5))
    truth = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    sums = []
    for _ in range(draw(st.integers(1, 3))):
        parts = draw(st.lists(st.integers(1, n - 1), min_size=1, max_size=3, unique=True))
        total = draw(st.integers(0, n - 1).filter(lambda t, parts=parts: t not in parts))
        truth[total] = sum(truth[q] for q in parts)
        sums.append((total, parts))
    assume(all(truth[t] == sum(truth[q] for q in parts) for t, parts in sums))  # the truth is a solution
    assume(max(truth) <= 12)  # within the enumeration's cap
    at_most = [(a, b) for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2))
               if a != b and truth[a] <= truth[b]]
    shown = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    lower, upper, value = [], [], []
    for i, t in enumerate(truth):
        if shown[i]:
            lower.append(0), upper.append(12), value.append(t)
        else:  # a label: "under 5" when small, else only "at least 0", capped at 12 for the enumeration
            lo, hi = (1, 4) if 1 <= t <= 4 else (0, 12)
            lower.append(lo), upper.append(hi), value.append(None)
    return lower, upper, value, sums, at_most


@settings(max_examples=60, deadline=None)
@given(small_problems())
def test_pinned_matches_enumeration(case: tuple) -> None:  # type: ignore[type-arg]
    lower, upper, value, sums, at_most = case
    p = Problem()
    cells = [p.cell(i, lower=lo, upper=hi, value=v) for i, (lo, hi, v) in enumerate(zip(lower, upper, value, strict=True))]
    for t, parts in sums:
        p.sum_of(cells[t], [cells[q] for q in parts])
    for a, b in at_most:
        p.at_most(cells[a], cells[b])
    hidden = [i for i, v in enumerate(value) if v is None]
    seen = _brute_force(lower, upper, value, sums, at_most)
    expected = {i: next(iter(seen[i])) for i in hidden if len(seen[i]) == 1}
    assert pinned(p, hidden).values == expected
