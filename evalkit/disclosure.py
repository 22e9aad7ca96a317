"""What an attacker can work out exactly from published counts: integer programming.

A :class:`Problem` holds counts (cells): each has bounds, and is either published (its
value is known) or hidden. Relations between cells are linear: a total is the sum of its
parts (:meth:`Problem.sum_of`), a part is at most a whole (:meth:`Problem.at_most`).
:func:`pinned` finds the hidden cells whose value every integer solution agrees on:
those an attacker with everything published can work out exactly.

This is the attacker of the suppression engine (:mod:`evalkit.metrics.protect`) and of
the audit (which builds its problem from the pages alone). It is pure NumPy/SciPy: the
integer programmes are solved by HiGHS through :func:`scipy.optimize.milp`.

How a cell is shown not to be pinned: a feasible integer point ``x0`` is known (the true
data, or one solve); any other feasible integer point that differs from ``x0`` in a cell
proves that cell unpinned. One solve that pushes many cells at once (maximise, then
minimise, their sum) clears most of them; the rest get a solve each (maximise and
minimise the cell). The problem is split into connected components first (cells linked
by a relation through hidden cells), and published cells are substituted away.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

__all__ = ["Attack", "Inconsistent", "Problem", "pinned"]

CAP: Final = 1_000_000
"""Hidden cells without an upper bound are capped here during the search (counts of
people never come near it; a cap only shrinks what the attacker may consider, so a cell
found unpinned under it is unpinned)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Inconsistent(ValueError):
    """The published values contradict the relations (no solution exists)."""


@dataclass
class Problem:
    """Counts, their bounds and published values, and linear relations between them.

    Cells are numbered from 0 in the order they are added; :meth:`cell` adds one by key
    (a key seen before returns its number and tightens its bounds).

    Examples
    --------
    A total of 10 published, its parts 6 (published) and one hidden part:

    >>> p = Problem()
    >>> p.sum_of(p.cell("all", value=10), [p.cell("a", value=6), p.cell("b", lower=1, upper=4)])
    >>> pinned(p, [p.index["b"]]).values
    {'b': 4}
    """

    index: dict[Hashable, int] = field(default_factory=dict)
    keys: list[Hashable] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    value: list[float] = field(default_factory=list)  # nan: hidden
    truth: list[float] = field(default_factory=list)  # nan: unknown to the caller
    _eq: list[tuple[int, Sequence[int]]] = field(default_factory=list)
    _le: list[tuple[int, int]] = field(default_factory=list)

    def cell(self, key: Hashable, *, lower: float = 0, upper: float = np.inf, value: float | None = None,
             truth: float | None = None) -> int:
        """The number of the cell ``key`` (added if new); bounds intersect with earlier ones,
        and a published value must agree with one given before."""
        i = self.index.get(key)
        if i is None:
            i = len(self.keys)
            self.index[key] = i
            self.keys.append(key)
            self.lower.append(float(lower))
            self.upper.append(float(upper))
            self.value.append(np.nan)
            self.truth.append(np.nan)
        else:
            self.lower[i] = max(self.lower[i], float(lower))
            self.upper[i] = min(self.upper[i], float(upper))
        if value is not None:
            if not np.isnan(self.value[i]) and self.value[i] != value:
                raise Inconsistent(f"{key!r} is published as both {self.value[i]:g} and {value:g}")
            self.value[i] = float(value)
        if truth is not None:
            self.truth[i] = float(truth)
        return i

    def sum_of(self, total: int, parts: Iterable[int]) -> None:
        """``total`` is the sum of ``parts``."""
        self._eq.append((total, tuple(parts)))

    def at_most(self, part: int, whole: int) -> None:
        """``part`` ≤ ``whole``."""
        self._le.append((part, whole))

    def __len__(self) -> int:
        return len(self.keys)

    def matrices(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The relations as ``A_eq @ x == 0`` and ``A_le @ x <= 0``."""
        n = len(self.keys)
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        for r, (total, parts) in enumerate(self._eq):
            rows.append(r)
            cols.append(total)
            data.append(1.0)
            rows.extend([r] * len(parts))
            cols.extend(parts)
            data.extend([-1.0] * len(parts))
        a_eq = sparse.csr_matrix((data, (rows, cols)), shape=(len(self._eq), n))
        le = np.asarray(self._le, dtype=np.int64).reshape(-1, 2)
        r_le = np.repeat(np.arange(len(le)), 2)
        a_le = sparse.csr_matrix((np.tile([1.0, -1.0], len(le)), (r_le, le.reshape(-1))), shape=(len(le), n))
        a_eq.sum_duplicates()
        a_le.sum_duplicates()
        return a_eq, a_le


@dataclass
class Attack:
    """What :func:`pinned` found: the pinned targets and their values (by key), targets it
    could not settle within the time limit, and how many integer programmes it solved."""

    values: dict[Hashable, int]
    unresolved: set[Hashable]
    solves: int = 0
    seconds: float = 0.0

    @property
    def safe(self) -> bool:
        return not self.values and not self.unresolved


def pinned(problem: Problem, targets: Iterable[int], *, time_limit: float = 30.0) -> Attack:
    """The ``targets`` (hidden cells) whose value is the same in every integer solution.

    Raises :class:`Inconsistent` when the published values admit no solution. Targets
    that are published are skipped. A target not settled when ``time_limit`` (seconds,
    for the whole attack) runs out is reported in ``unresolved`` (treat it as pinned).
    """
    start = time.perf_counter()
    deadline = start + time_limit
    a_eq, a_le = problem.matrices()
    value = np.asarray(problem.value, dtype=float)
    known = ~np.isnan(value)
    lower = np.asarray(problem.lower, dtype=float)
    upper = np.asarray(problem.upper, dtype=float)
    bad = known & ((value < lower) | (value > upper))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise Inconsistent(f"{problem.keys[i]!r} is published as {value[i]:g}, outside its bounds "
                           f"{lower[i]:g}–{upper[i]:g}")
    hidden_idx = np.flatnonzero(~known)
    wanted = np.unique(np.fromiter(targets, dtype=np.int64))
    wanted = wanted[~known[wanted]] if len(wanted) else wanted
    attack = Attack({}, set())
    if len(wanted) == 0:
        return attack
    fixed = np.where(known, value, 0.0)
    # Substitute the published cells: A_h x_h (=, <=) -A_k v_k.
    col = np.full(len(value), -1, dtype=np.int64)
    col[hidden_idx] = np.arange(len(hidden_idx))
    eq_h, eq_rhs = a_eq[:, hidden_idx].tocsr(), -(a_eq @ fixed)
    le_h, le_rhs = a_le[:, hidden_idx].tocsr(), -(a_le @ fixed)
    _check_constant_rows(problem, a_eq, eq_h, eq_rhs, equality=True)
    _check_constant_rows(problem, a_le, le_h, le_rhs, equality=False)
    lo = lower[hidden_idx]
    hi = np.minimum(upper[hidden_idx], CAP)
    # Components of the hidden cells, linked by the rows they share.
    stacked = sparse.vstack([eq_h, le_h]).tocsr()
    n_rows = stacked.shape[0]
    link = (stacked != 0).astype(np.int8)
    graph = sparse.bmat([[None, link], [link.T, None]], format="csr")
    _, label = csgraph.connected_components(graph, directed=False)
    cell_label = label[n_rows:]
    row_label = label[:n_rows]
    truth = np.asarray(problem.truth, dtype=float)[hidden_idx]
    for comp in np.unique(cell_label[col[wanted]]):
        cells = np.flatnonzero(cell_label == comp)
        rows = np.flatnonzero(row_label == comp)
        n_eq_rows = eq_h.shape[0]
        eq_rows = rows[rows < n_eq_rows]
        le_rows = rows[rows >= n_eq_rows] - n_eq_rows
        sub = _Sub(eq_h[eq_rows][:, cells], eq_rhs[eq_rows], le_h[le_rows][:, cells], le_rhs[le_rows],
                   lo[cells], hi[cells], deadline)
        local_targets = np.flatnonzero(np.isin(cells, col[wanted]))
        given = truth[cells]
        x0 = given if not np.isnan(given).any() and sub.feasible(given) else sub.solve(np.zeros(len(cells)))
        if x0 is None:
            if not sub.timed_out:
                raise Inconsistent("the published values admit no solution (component of "
                                   f"{problem.keys[hidden_idx[cells[0]]]!r})")
            attack.unresolved.update(problem.keys[hidden_idx[cells[t]]] for t in local_targets)
            attack.solves += sub.solves
            continue
        stuck, unresolved = sub.pinned_among(local_targets, x0)
        attack.solves += sub.solves
        for t in stuck:
            attack.values[problem.keys[hidden_idx[cells[t]]]] = round(float(x0[t]))
        attack.unresolved.update(problem.keys[hidden_idx[cells[t]]] for t in unresolved)
    attack.seconds = time.perf_counter() - start
    return attack


def _check_constant_rows(problem: Problem, full: sparse.csr_matrix, hidden: sparse.csr_matrix, rhs: FloatArray,
                         *, equality: bool) -> None:
    """Rows without a hidden cell must hold as published."""
    empty = np.diff(hidden.indptr) == 0
    broken = empty & ((np.abs(rhs) > 1e-9) if equality else (rhs < -1e-9))
    if broken.any():
        r = int(np.flatnonzero(broken)[0])
        cells = [problem.keys[c] for c in full[r].indices]
        kind = "sum" if equality else "bound"
        raise Inconsistent(f"published values break a {kind} relation between {cells!r}")


class _Sub:
    """One connected component's integer programme: ``eq @ x == eq_rhs``, ``le @ x <= le_rhs``,
    ``lo <= x <= hi``, x integer."""

    def __init__(self, eq: sparse.csr_matrix, eq_rhs: FloatArray, le: sparse.csr_matrix, le_rhs: FloatArray,
                 lo: FloatArray, hi: FloatArray, deadline: float) -> None:
        self.eq, self.eq_rhs, self.le, self.le_rhs = eq, eq_rhs, le, le_rhs
        self.lo, self.hi = lo, hi
        self.deadline = deadline
        self.solves = 0
        self.timed_out = False
        constraints = []
        if eq.shape[0]:
            constraints.append(LinearConstraint(eq, eq_rhs, eq_rhs))
        if le.shape[0]:
            constraints.append(LinearConstraint(le, -np.inf, le_rhs))
        self.constraints = constraints
        self.integrality = np.ones(len(lo))
        self.bounds = Bounds(lo, hi)

    def feasible(self, x: FloatArray) -> bool:
        return bool(np.all(x >= self.lo) and np.all(x <= self.hi)
                    and np.allclose(self.eq @ x, self.eq_rhs) and np.all(self.le @ x <= self.le_rhs + 1e-9))

    def solve(self, c: FloatArray) -> FloatArray | None:
        """An optimal integer point minimising ``c @ x`` (None: infeasible or out of time)."""
        left = self.deadline - time.perf_counter()
        if left <= 0:
            self.timed_out = True
            return None
        self.solves += 1
        res = milp(c, constraints=self.constraints, integrality=self.integrality, bounds=self.bounds,
                   options={"time_limit": left, "presolve": True})
        if res.status == 0 and res.x is not None:
            x: FloatArray = np.rint(res.x)
            return x
        if res.status == 1:
            self.timed_out = True
        return None

    def pinned_among(self, targets: IntArray, x0: FloatArray) -> tuple[list[int], list[int]]:
        """(pinned, unresolved) among ``targets``, given the feasible point ``x0``."""
        open_ = set(int(t) for t in targets)

        def clear(x: FloatArray | None) -> int:
            if x is None:
                return 0
            moved = {t for t in open_ if x[t] != x0[t]}
            open_.difference_update(moved)
            return len(moved)

        # Push every open target up, then down, while that clears some.
        while open_:
            cleared = 0
            for sign in (-1.0, 1.0):
                if not open_:
                    break
                c = np.zeros(len(x0))
                c[list(open_)] = sign
                cleared += clear(self.solve(c))
            if cleared == 0 or self.timed_out:
                break
        stuck: list[int] = []
        unresolved: list[int] = []
        for t in sorted(open_):
            if t not in open_:
                continue
            settled = False
            for sign in (-1.0, 1.0):
                c = np.zeros(len(x0))
                c[t] = sign
                x = self.solve(c)
                if x is None and self.timed_out:
                    break
                clear(x)
                if t not in open_:
                    settled = True
                    break
            if settled:
                continue
            open_.discard(t)
            (unresolved if self.timed_out else stuck).append(t)
        unresolved.extend(sorted(open_))
        return stuck, unresolved
