"""A linear model with random intercepts for teams (and their municipalities), fitted
exactly from each team's sufficient statistics.

The model, for respondent *i* in team *j* of municipality *m*::

    y_i = x_i'β + u_m + v_j + e_i,   u_m ~ N(0, τ_m²),  v_j ~ N(0, τ_t²),  e_i ~ N(0, σ²)

(teams nested in municipalities; with ``municipality=None`` only the team intercepts).
This is the model statsmodels' ``MixedLM`` fits with ``groups=municipality``,
``re_formula="1"`` and a variance component for teams, and lme4's
``y ~ x + (1 | municipality/team)``; :func:`fit_random_intercepts` maximises the same
(restricted) likelihood, so the estimates agree with theirs to the optimiser's tolerance
(the tests check it against ``MixedLM``).

Why it is fast: with λ_t = τ_t²/σ² and λ_m = τ_m²/σ², the covariance of one team's
answers is σ²(I + λ_t·11'), whose inverse and determinant have closed forms
(Sherman–Morrison): H_j⁻¹ = I − c_j·11', c_j = λ_t/(1 + n_j·λ_t), |H_j| = 1 + n_j·λ_t.
A municipality adds a rank-one term λ_m·11' over its teams, handled the same way. So
X'H⁻¹X, X'H⁻¹y, y'H⁻¹y and log|H| need nothing but each team's n_j, column sums and
cross-product matrix of [X, y]: the data are read once, and each evaluation of the
likelihood costs O(teams · p²), not O(respondents · p²). β and σ² are profiled out
(β = (X'H⁻¹X)⁻¹X'H⁻¹y, σ² = RSS/(N − p) under REML), which leaves a bounded search over
the variance ratios (λ_t, λ_m) ≥ 0 (not their square roots: at 0 the search would stall
on a zero slope).

Intervals are Wald intervals, β ± z·se with Var(β) = σ²(X'H⁻¹X)⁻¹ (lme4's ``vcov``; it
does not carry the uncertainty of the variance parameters, and with few teams the
intervals of team-level terms are too narrow — say so where they are shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from evalkit.metrics._stats import Z95

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_RATIO_START: Final = 0.5


@dataclass(frozen=True)
class MixedFit:
    """A fitted random-intercept model."""

    names: tuple[str, ...]
    """The fixed-effect columns, in the order of ``estimate``."""
    estimate: FloatArray
    cov: FloatArray
    """Covariance matrix of ``estimate``: σ²(X'H⁻¹X)⁻¹."""
    var_team: float
    var_municipality: float | None
    """None when the model has no municipality intercepts."""
    var_residual: float
    n: int
    n_teams: int
    n_municipalities: int
    converged: bool
    reml: bool
    criterion: float
    """−2 × the (restricted) log-likelihood at the estimate, constants included."""

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    def interval(self, z: float = Z95) -> tuple[FloatArray, FloatArray]:
        """Wald interval ``estimate ± z·se`` (default 95 %)."""
        return self.estimate - z * self.se, self.estimate + z * self.se


@dataclass(frozen=True)
class _Sums:
    """Per team: n, column sums and cross products of Z = [X, y]; team → municipality."""

    n: FloatArray  # (T,)
    sums: FloatArray  # (T, p + 1)
    cross: FloatArray  # (p + 1, p + 1): Σ over all rows of z z'
    muni: IntArray | None  # (T,) municipality code of each team
    n_muni: int


def independent_columns(gram: FloatArray, tol: float = 1e-9) -> list[int]:
    """Columns of a design, in order, each kept when it is not (nearly) a linear combination
    of those kept before it, from the design's cross-product matrix ``gram`` = X'X.

    A column is dropped when the part of it the earlier columns cannot explain has a
    squared length under ``tol`` times its own.

    Examples
    --------
    >>> x = np.array([[1., 0, 1], [1, 1, 0], [1, 0, 1]])  # column 2 = column 0 − column 1
    >>> independent_columns(x.T @ x)
    [0, 1]
    """
    kept: list[int] = []
    for k in range(gram.shape[0]):
        own = float(gram[k, k])
        if own <= 0:
            continue
        if kept:
            g = gram[np.ix_(kept, kept)]
            b = gram[kept, k]
            rest = own - float(b @ np.linalg.solve(g, b))
        else:
            rest = own
        if rest > tol * own:
            kept.append(k)
    return kept


def _codes(values: Sequence[object] | npt.NDArray[np.generic]) -> tuple[IntArray, int]:
    _, inverse = np.unique(np.asarray(values), return_inverse=True)
    codes = inverse.astype(np.int64).reshape(-1)
    return codes, int(codes.max()) + 1 if codes.size else 0


def _team_sums(z: FloatArray, team: IntArray, n_teams: int) -> tuple[FloatArray, FloatArray]:
    """Rows per team and each team's column sums of ``z`` (every code 0 .. n_teams − 1 is used)."""
    counts = np.bincount(team, minlength=n_teams)
    order = np.argsort(team, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return counts.astype(float), np.add.reduceat(z[order], starts, axis=0)


def _matrices(s: _Sums, lam_t: float, lam_m: float) -> tuple[FloatArray, float]:
    """Z'H⁻¹Z and log|H| for the variance ratios λ_t and λ_m."""
    d = 1.0 + s.n * lam_t
    c = lam_t / d
    m = s.cross - np.einsum("j,jk,jl->kl", c, s.sums, s.sums)
    logdet = float(np.log(d).sum())
    if s.muni is not None and lam_m > 0:
        q = np.bincount(s.muni, weights=s.n / d, minlength=s.n_muni)
        a = np.zeros((s.n_muni, s.sums.shape[1]))
        np.add.at(a, s.muni, s.sums / d[:, None])
        e = lam_m / (1.0 + lam_m * q)
        m = m - np.einsum("m,mk,ml->kl", e, a, a)
        logdet += float(np.log1p(lam_m * q).sum())
    return m, logdet


def _profile(s: _Sums, ratios: FloatArray, n: int, p: int, reml: bool) -> tuple[float, FloatArray, FloatArray, float]:
    """−2 log-likelihood with β and σ² profiled out; also β, (X'H⁻¹X)⁻¹ and σ²."""
    lam_t = float(ratios[0])
    lam_m = float(ratios[1]) if len(ratios) > 1 else 0.0
    m, logdet = _matrices(s, lam_t, lam_m)
    xhx, xhy, yhy = m[:p, :p], m[:p, p], m[p, p]
    chol = np.linalg.cholesky(xhx)
    beta = np.linalg.solve(xhx, xhy)
    rss = max(float(yhy - xhy @ beta), 1e-300)
    dof = n - p if reml else n
    sigma2 = rss / dof
    crit = dof * (1.0 + np.log(2.0 * np.pi * sigma2)) + logdet
    if reml:
        crit += 2.0 * float(np.log(np.diag(chol)).sum())
    inv = np.asarray(np.linalg.inv(xhx), dtype=float)
    return float(crit), np.asarray(beta, dtype=float), inv, sigma2


def fit_random_intercepts(
    y: FloatArray,
    x: FloatArray,
    team: Sequence[object] | npt.NDArray[np.generic],
    municipality: Sequence[object] | npt.NDArray[np.generic] | None = None,
    *,
    names: Sequence[str] | None = None,
    reml: bool = True,
) -> MixedFit:
    """Fit ``y ~ x`` with random intercepts for teams (nested in municipalities, when given).

    Parameters
    ----------
    y
        Responses, one per row.
    x
        Fixed-effect design (rows × p), full column rank; include the intercept column.
    team
        Each row's team.
    municipality
        Each row's municipality (one per team), or None for team intercepts only.
    names
        Names of the columns of ``x``.
    reml
        Restricted maximum likelihood (default, as ``MixedLM`` and lme4) or ML.

    Examples
    --------
    Two teams of four, a team-level difference of 10 and no noise within teams:

    >>> y = np.array([50., 52, 48, 50, 60, 62, 58, 60, 55, 57, 53, 55])
    >>> x = np.column_stack([np.ones(12), np.repeat([0., 1, 0], 4)])
    >>> fit = fit_random_intercepts(y, x, np.repeat(["a", "b", "c"], 4), names=["const", "f"])
    >>> [round(float(b), 3) for b in fit.estimate], fit.converged
    ([52.5, 7.5], True)
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValueError(f"x must have one row per response ({y.size}), got shape {x.shape}")
    n, p = x.shape
    labels = tuple(names) if names is not None else tuple(f"x{k}" for k in range(p))
    if len(labels) != p:
        raise ValueError(f"{len(labels)} names for {p} columns")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise ValueError("y and x must be finite (drop missing values first)")
    if n <= p or len(independent_columns(x.T @ x)) < p:
        raise ValueError(f"x ({n} rows × {p} columns) is not of full column rank")
    team_code, n_teams = _codes(team)
    if team_code.size != n:
        raise ValueError(f"team has {team_code.size} values for {n} rows")
    intercepts = [i for i in range(p) if bool(np.all(x[:, i] == 1.0))]
    # With an intercept, centred responses give smaller sums and the same fit (but the
    # intercept, shifted back below).
    shift = float(y.mean()) if intercepts else 0.0
    z = np.column_stack([x, y - shift])
    counts, sums = _team_sums(z, team_code, n_teams)
    muni: IntArray | None = None
    n_muni = 0
    if municipality is not None:
        muni_code, n_muni = _codes(municipality)
        if muni_code.size != n:
            raise ValueError(f"municipality has {muni_code.size} values for {n} rows")
        first = np.zeros(n_teams, dtype=np.int64)
        first[team_code[::-1]] = muni_code[::-1]
        if (first[team_code] != muni_code).any():
            raise ValueError("a team belongs to more than one municipality")
        muni = first
    s = _Sums(counts, sums, z.T @ z, muni, n_muni)
    k = 2 if muni is not None else 1

    from scipy import optimize

    def objective(ratios: FloatArray) -> float:
        return _profile(s, ratios, n, p, reml)[0]

    # Nelder–Mead (derivative-free, as lme4 offers): at home on the boundary λ = 0, where a
    # variance is often estimated, and it needs no BLAS call of its own (L-BFGS-B's did
    # cost more than the likelihood here, on a busy two-core machine).
    result = optimize.minimize(objective, np.full(k, _RATIO_START), method="Nelder-Mead",
                               bounds=[(0.0, None)] * k,
                               options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 2000 * k})
    ratios = np.asarray(result.x, dtype=float)
    crit, beta, inv, sigma2 = _profile(s, ratios, n, p, reml)
    if intercepts:
        beta = beta.copy()
        beta[intercepts[0]] += shift
    return MixedFit(
        names=labels, estimate=beta, cov=sigma2 * inv,
        var_team=sigma2 * float(ratios[0]),
        var_municipality=sigma2 * float(ratios[1]) if muni is not None else None,
        var_residual=sigma2, n=n, n_teams=n_teams, n_municipalities=n_muni if muni is not None else 0,
        converged=bool(result.success) and bool(np.isfinite(crit)), reml=reml, criterion=float(crit),
    )

