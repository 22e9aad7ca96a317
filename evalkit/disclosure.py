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
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

__all__ = ["Attack", "Inconsistent", "Problem", "implied_bounds", "pinned"]

CAP: Final = 1_000_000
"""Hidden cells without an upper bound are capped here during the search (counts of
people never come near it; a cap only shrinks what the attacker may consider, so a cell
found unpinned under it is unpinned)."""

PUSHES: Final = 3
"""Solves of a whole component that push every open target at once, before targets are
settled one by one on their neighbourhoods."""

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
    _matrices: tuple[sparse.csr_matrix, sparse.csr_matrix] | None = field(default=None, repr=False)

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
        self._matrices = None

    def at_most(self, part: int, whole: int) -> None:
        """``part`` ≤ ``whole``."""
        self._le.append((part, whole))
        self._matrices = None

    def __len__(self) -> int:
        return len(self.keys)

    def matrices(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The relations as ``A_eq @ x == 0`` and ``A_le @ x <= 0`` (kept until a relation
        or a cell is added; a copy of the problem with other values shares them)."""
        n = len(self.keys)
        if self._matrices is not None and self._matrices[0].shape[1] == n:
            return self._matrices
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
        self._matrices = (a_eq, a_le)
        return a_eq, a_le


@dataclass
class Attack:
    """What :func:`pinned` found: the pinned targets and their values (by key), targets it
    could not settle within the time limit, how many integer programmes it solved, and
    the integer solutions it met (``pool``: one row per solution, a value per cell; when
    the caller gave the truth of every cell, pass it to the next attack of a problem with
    the same cells: a solution stays a proof for as long as it is feasible)."""

    values: dict[Hashable, int]
    unresolved: set[Hashable]
    solves: int = 0
    seconds: float = 0.0
    pool: FloatArray | None = None

    @property
    def safe(self) -> bool:
        return not self.values and not self.unresolved


def pinned(problem: Problem, targets: Iterable[int], *, time_limit: float = 30.0,
           pool: FloatArray | None = None) -> Attack:
    """The ``targets`` (hidden cells) whose value is the same in every integer solution.

    Raises :class:`Inconsistent` when the published values admit no solution. Targets
    that are published are skipped. A target not settled when ``time_limit`` (seconds,
    for the whole attack) runs out is reported in ``unresolved`` (treat it as pinned).

    How: sums and differences first (no solver); then, per connected component, a
    target is cleared by any known integer solution that differs from a feasible point
    ``x0`` there (``pool``, then solutions that push many targets at once in random
    directions); a target still open is proved pinned on a neighbourhood of it (the
    relations among cells a few steps away: fewer relations can only widen its range, so
    a value pinned there is pinned), the neighbourhood growing until the whole component.
    """
    start = time.perf_counter()
    deadline = start + time_limit
    a_eq, a_le = problem.matrices()
    value = np.array(problem.value, dtype=float)
    known = ~np.isnan(value)
    lower = np.asarray(problem.lower, dtype=float)
    upper = np.asarray(problem.upper, dtype=float)
    bad = known & ((value < lower) | (value > upper))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise Inconsistent(f"{problem.keys[i]!r} is published as {value[i]:g}, outside its bounds "
                           f"{lower[i]:g}–{upper[i]:g}")
    wanted = np.unique(np.fromiter(targets, dtype=np.int64))
    wanted = wanted[~known[wanted]] if len(wanted) else wanted
    truth = np.asarray(problem.truth, dtype=float)
    whole_truth = not np.isnan(truth).any()
    attack = Attack({}, set(), pool=pool)
    if len(wanted) == 0:
        return attack
    # Sums and differences first (no solver): a sum with one hidden cell gives it away.
    derived = _propagate(a_eq, value, known, lower == upper, lower)
    for t in wanted[derived[wanted]]:
        attack.values[problem.keys[t]] = round(float(value[t]))
    known = known | derived
    wanted = wanted[~known[wanted]]
    if len(wanted) == 0:
        attack.seconds = time.perf_counter() - start
        return attack
    hidden_idx = np.flatnonzero(~known)
    fixed = np.where(known, value, 0.0)
    # Substitute the published cells: A_h x_h (=, <=) -A_k v_k.
    col = np.full(len(value), -1, dtype=np.int64)
    col[hidden_idx] = np.arange(len(hidden_idx))
    eq_h, eq_rhs = a_eq[:, hidden_idx].tocsr(), -(a_eq @ fixed)
    le_h, le_rhs = a_le[:, hidden_idx].tocsr(), -(a_le @ fixed)
    _check_constant_rows(problem, a_eq, eq_h, eq_rhs, equality=True)
    _check_constant_rows(problem, a_le, le_h, le_rhs, equality=False)
    lo = lower[hidden_idx].copy()
    hi = np.minimum(upper[hidden_idx], CAP)
    # Bounds that the relations imply (integer reasoning on intervals): a cell whose
    # range shrinks to one value is pinned without a solver.
    lo, hi = _tighten(eq_h, eq_rhs, le_h, le_rhs, lo, hi)
    if (lo > hi).any():
        i = int(np.flatnonzero(lo > hi)[0])
        raise Inconsistent(f"the published values admit no value for {problem.keys[hidden_idx[i]]!r}")
    point = lo == hi
    for t in wanted[point[col[wanted]]]:
        attack.values[problem.keys[t]] = round(float(lo[col[t]]))
    wanted = wanted[~point[col[wanted]]]
    if len(wanted) == 0:
        attack.seconds = time.perf_counter() - start
        return attack
    # Known solutions that are still solutions (same published values, within bounds).
    usable = np.zeros((0, len(hidden_idx)))
    if pool is not None and len(pool) and whole_truth:
        ok = np.all(np.abs(pool[:, known] - value[known]) < 1e-9, axis=1)
        cand = pool[ok][:, hidden_idx]
        ok2 = np.all((cand >= lo) & (cand <= hi), axis=1)
        usable = cand[ok2]
    # Components of the hidden cells, linked by the rows they share.
    stacked = sparse.vstack([eq_h, le_h]).tocsr()
    n_rows = stacked.shape[0]
    link = (stacked != 0).astype(np.int8)
    graph = sparse.bmat([[None, link], [link.T, None]], format="csr")
    _, label = csgraph.connected_components(graph, directed=False)
    cell_label = label[n_rows:]
    row_label = label[:n_rows]
    truth_h = truth[hidden_idx]
    found: list[FloatArray] = []
    rng = np.random.default_rng(0)
    for comp in np.unique(cell_label[col[wanted]]):
        cells = np.flatnonzero(cell_label == comp)
        rows = np.flatnonzero(row_label == comp)
        n_eq_rows = eq_h.shape[0]
        eq_rows = rows[rows < n_eq_rows]
        le_rows = rows[rows >= n_eq_rows] - n_eq_rows
        sub = _Sub(eq_h[eq_rows][:, cells], eq_rhs[eq_rows], le_h[le_rows][:, cells], le_rhs[le_rows],
                   lo[cells], hi[cells], deadline, rng)
        local_targets = np.flatnonzero(np.isin(cells, col[wanted]))
        given = truth_h[cells]
        x0 = given if not np.isnan(given).any() and sub.feasible(given) else sub.solve(np.zeros(len(cells)))
        if x0 is None:
            if not sub.timed_out:
                raise Inconsistent("the published values admit no solution (component of "
                                   f"{problem.keys[hidden_idx[cells[0]]]!r})")
            attack.unresolved.update(problem.keys[hidden_idx[cells[t]]] for t in local_targets)
            attack.solves += sub.solves
            continue
        known_points = [x for x in usable[:, cells] if sub.feasible(x)] if len(usable) else []
        stuck, unresolved = sub.pinned_among(local_targets, x0, known_points)
        attack.solves += sub.solves
        for t in stuck:
            attack.values[problem.keys[hidden_idx[cells[t]]]] = round(float(x0[t]))
        attack.unresolved.update(problem.keys[hidden_idx[cells[t]]] for t in unresolved)
        if whole_truth:
            for x in sub.points:
                full = truth.copy()
                full[known] = value[known]
                full[hidden_idx[cells]] = x
                found.append(full)
    if found:
        attack.pool = np.vstack([pool, *found]) if pool is not None and len(pool) else np.vstack(found)
    attack.seconds = time.perf_counter() - start
    return attack


def _propagate(a_eq: sparse.csr_matrix, value: FloatArray, known: npt.NDArray[np.bool_],
               fixed_by_bounds: npt.NDArray[np.bool_], lower: FloatArray) -> npt.NDArray[np.bool_]:
    """Hidden cells worked out by sums and differences alone (and cells whose bounds
    meet); their values are written into ``value``. A sum whose cells but one are known
    gives that one, over and over until nothing more follows."""
    derived = ~known & fixed_by_bounds
    value[derived] = lower[derived]
    now = known | derived
    if a_eq.shape[0] == 0:
        return derived
    magnitude = abs(a_eq)
    positions = np.arange(len(value), dtype=float)
    while True:
        unknown = (~now).astype(float)
        count = magnitude @ unknown
        single = np.flatnonzero(count == 1)
        if len(single) == 0:
            return derived
        rows = a_eq[single]
        which = np.rint(abs(rows) @ (unknown * positions)).astype(np.int64)
        coef = rows @ unknown
        rest = rows @ np.where(now, value, 0.0)
        found = -rest / coef
        first = np.unique(which, return_index=True)[1]
        which, found = which[first], found[first]
        value[which] = found
        derived[which] = True
        now[which] = True


def implied_bounds(problem: Problem) -> tuple[FloatArray, FloatArray]:
    """Bounds every integer solution keeps, for every cell (a published one: its value):
    the relations' interval propagation (:func:`_tighten`), sound and cheap next to a
    solve. Upper bounds are capped at :data:`CAP`. A lower bound above an upper bound
    means the published values admit no solution.

    Examples
    --------
    >>> p = Problem()
    >>> p.sum_of(p.cell("all", value=10), [p.cell("a", value=6), p.cell("b", lower=1, upper=4), p.cell("c")])
    >>> lo, hi = implied_bounds(p)
    >>> [(float(lo[i]), float(hi[i])) for i in (2, 3)]
    [(1.0, 4.0), (0.0, 3.0)]
    """
    a_eq, a_le = problem.matrices()
    value = np.asarray(problem.value, dtype=float)
    known = ~np.isnan(value)
    lo = np.where(known, value, np.asarray(problem.lower, dtype=float))
    hi = np.where(known, value, np.minimum(np.asarray(problem.upper, dtype=float), CAP))
    return _tighten(a_eq, np.zeros(a_eq.shape[0]), a_le, np.zeros(a_le.shape[0]), lo, hi, rounds=100)


def _tighten(eq: sparse.csr_matrix, eq_rhs: FloatArray, le: sparse.csr_matrix, le_rhs: FloatArray,
             lo: FloatArray, hi: FloatArray, rounds: int = 60) -> tuple[FloatArray, FloatArray]:
    """Bounds of integer cells implied by ``eq @ x == eq_rhs`` and ``le @ x <= le_rhs``:
    each relation bounds each of its cells by what the others can at least contribute,
    rounded to whole numbers, until nothing changes (or ``rounds`` passes)."""
    lo, hi = lo.copy(), hi.copy()
    parts = [(eq, eq_rhs), (-eq, -eq_rhs), (le, le_rhs)]
    coo = [(m.tocoo(), b, m.maximum(0).tocsr(), m.minimum(0).tocsr()) for m, b in parts if m.shape[0]]
    for _ in range(rounds):
        changed = False
        for m, b, pos, neg in coo:
            slack = b - (pos @ lo + neg @ hi)
            r, j, a = m.row, m.col, m.data
            up = a > 0
            if up.any():
                cap = np.floor(lo[j[up]] + slack[r[up]] / a[up] + 1e-9)
                new = hi.copy()
                np.minimum.at(new, j[up], cap)
                if (new < hi).any():
                    changed = True
                    hi = new
            down = a < 0
            if down.any():
                floor_ = np.ceil(hi[j[down]] + slack[r[down]] / a[down] - 1e-9)
                new = lo.copy()
                np.maximum.at(new, j[down], floor_)
                if (new > lo).any():
                    changed = True
                    lo = new
        if not changed or (lo > hi).any():
            break
    return lo, hi


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
                 lo: FloatArray, hi: FloatArray, deadline: float, rng: np.random.Generator) -> None:
        self.eq, self.eq_rhs, self.le, self.le_rhs = eq, eq_rhs, le, le_rhs
        self.lo, self.hi = lo, hi
        self.deadline = deadline
        self.rng = rng
        self.solves = 0
        self.timed_out = False
        self.points: list[FloatArray] = []
        self.eq_c = eq.tocsc()
        self.le_c = le.tocsc()

    def feasible(self, x: FloatArray) -> bool:
        return bool(np.all(x >= self.lo) and np.all(x <= self.hi)
                    and np.allclose(self.eq @ x, self.eq_rhs) and np.all(self.le @ x <= self.le_rhs + 1e-9))

    def solve(self, c: FloatArray, cells: IntArray | None = None, fixed: FloatArray | None = None) -> FloatArray | None:
        """An optimal integer point minimising ``c @ x`` (None: infeasible or out of time).

        With ``cells``, over those cells only: ``fixed`` given, the others keep their
        values from it (a restriction: its points, put into ``fixed``, are solutions);
        ``fixed`` None, only the relations among ``cells`` hold (a relaxation: a cell
        pinned in it is pinned). Points of the whole problem are kept in ``points``."""
        left = self.deadline - time.perf_counter()
        if left <= 0:
            self.timed_out = True
            return None
        self.solves += 1
        eq, eq_rhs, le, le_rhs, lo, hi = self.eq, self.eq_rhs, self.le, self.le_rhs, self.lo, self.hi
        if cells is not None:
            inside = np.zeros(len(lo), dtype=bool)
            inside[cells] = True
            if fixed is None:
                eq_keep, le_keep = _rows_within(eq, inside), _rows_within(le, inside)
                eq_rhs, le_rhs = eq_rhs[eq_keep], le_rhs[le_keep]
            else:
                eq_keep, le_keep = _rows_touching(self.eq_c, cells), _rows_touching(self.le_c, cells)
                rest = np.where(inside, 0.0, fixed)
                eq_rhs = eq_rhs[eq_keep] - eq[eq_keep] @ rest
                le_rhs = le_rhs[le_keep] - le[le_keep] @ rest
            eq, le = eq[eq_keep][:, cells], le[le_keep][:, cells]
            lo, hi, c = lo[cells], hi[cells], c[cells]
        constraints = []
        if eq.shape[0]:
            constraints.append(LinearConstraint(eq, eq_rhs, eq_rhs))
        if le.shape[0]:
            constraints.append(LinearConstraint(le, -np.inf, le_rhs))
        res = milp(c, constraints=constraints, integrality=np.ones(len(lo)), bounds=Bounds(lo, hi),
                   options={"time_limit": left, "presolve": True})
        if res.status == 0 and res.x is not None:
            x: FloatArray = np.rint(res.x)
            if cells is None:
                self.points.append(x)
            elif fixed is not None:
                whole = fixed.copy()
                whole[cells] = x
                self.points.append(whole)
            return x
        if res.status == 1:
            self.timed_out = True
        return None

    def neighbourhood(self, t: int, steps: int) -> IntArray:
        """Cells linked to ``t`` through at most ``steps`` relations."""
        reach = np.zeros(len(self.lo), dtype=bool)
        reach[t] = True
        for _ in range(steps):
            cols = np.flatnonzero(reach)
            for by_col, by_row in ((self.eq_c, self.eq), (self.le_c, self.le)):
                if by_row.shape[0]:
                    rows = _rows_touching(by_col, cols)
                    reach[by_row[rows].indices] = True
        return np.flatnonzero(reach)

    def pinned_among(self, targets: IntArray, x0: FloatArray,
                     known_points: Sequence[FloatArray] = ()) -> tuple[list[int], list[int]]:
        """(pinned, unresolved) among ``targets``, given the feasible point ``x0``."""
        open_ = set(int(t) for t in targets)

        def clear(x: FloatArray | None) -> int:
            if x is None or not open_:
                return 0
            idx = np.fromiter(open_, dtype=np.int64)
            moved = idx[x[idx] != x0[idx]]
            open_.difference_update(moved.tolist())
            return len(moved)

        for x in known_points:
            clear(x)
        # Push the open targets in random directions (a few times: each solve of the
        # whole component is dear; the rest are settled on neighbourhoods).
        for _ in range(PUSHES):
            if not open_ or self.timed_out:
                break
            c = np.zeros(len(x0))
            idx = np.fromiter(open_, dtype=np.int64)
            c[idx] = self.rng.choice((-1.0, 1.0), size=len(idx))
            if not clear(self.solve(c)):
                break
        stuck: list[int] = []
        unresolved: list[int] = []
        for t in sorted(open_):
            if t not in open_:
                continue
            verdict = self._settle(t, x0, clear)
            open_.discard(t)
            if verdict is None:
                unresolved.append(t)
            elif verdict:
                stuck.append(t)
        unresolved.extend(sorted(open_))
        return stuck, unresolved

    def _settle(self, t: int, x0: FloatArray, clear: Callable[[FloatArray | None], int]) -> bool | None:
        """True: ``t`` is pinned; False: it is not; None: out of time. On growing
        neighbourhoods: moved in a restriction → not pinned; fixed in a relaxation →
        pinned; at last the whole component."""
        for steps in (1, 2, 3, None):
            cells = self.neighbourhood(t, steps) if steps is not None else None
            if cells is not None and len(cells) == len(x0):
                cells = None
            at = t if cells is None else int(np.searchsorted(cells, t))
            for relaxed in ((False, True) if cells is not None else (False,)):
                moved = False
                for sign in (-1.0, 1.0):
                    c = np.zeros(len(x0))
                    c[t] = sign
                    point = self.solve(c, cells, None if relaxed else x0)
                    if point is None:
                        if self.timed_out:
                            return None
                        continue  # a restriction with no other point
                    if point[at] != x0[t]:
                        moved = True
                        break
                if not relaxed and moved:
                    clear(self.points[-1])
                    return False
                if relaxed and not moved:
                    return True
            if cells is None:
                return True
        return True


def _rows_touching(by_col: sparse.csc_matrix, cols: IntArray) -> IntArray:
    """Rows with a cell among ``cols`` (``by_col``: the relations by column)."""
    if by_col.shape[0] == 0 or len(cols) == 0:
        return np.zeros(0, dtype=np.int64)
    starts, ends = by_col.indptr[cols], by_col.indptr[cols + 1]
    rows = np.concatenate([by_col.indices[s:e] for s, e in zip(starts, ends, strict=True)])
    return np.unique(rows)


def _rows_within(matrix: sparse.csr_matrix, inside: npt.NDArray[np.bool_]) -> IntArray:
    """Rows of ``matrix`` whose cells are all ``inside``."""
    if matrix.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    outside = matrix.copy()
    outside.data = np.where(inside[outside.indices], 0.0, 1.0)
    return np.flatnonzero(np.asarray(outside.sum(axis=1)).ravel() == 0)
