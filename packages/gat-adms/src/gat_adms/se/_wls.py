"""Weighted least squares with zero-injection equality constraints (Gauss-Newton, sparse).

Each step solves the Lagrangian (KKT) system of the linearised problem

    [ G   C^T ] [ dx  ]   [ H^T W r - C^T lam ]
    [ C   0   ] [ dlam] = [ -c(x)             ],     G = H^T W H,

with ``r = z - h(x)``, ``W = diag(1 / sigma^2)`` and ``c(x)`` the zero-injection P and Q
(normal equations for the measurements, exact equality constraints instead of heavy
weights; the decision is in ``history/2026-12-04-state-estimation.md``). The constraint
rows are scaled to the gain's size, which changes neither dx nor the solution.

- :func:`solve_one`: Gauss-Newton, the KKT matrix refactorised (SuperLU, minimum degree
  ordering) while steps are large, then chord steps on the last factorisation while they
  shrink at least tenfold each (the Jacobian is filled into a fixed sparsity pattern,
  :mod:`gat_adms.se._pattern`).
- :func:`solve_batch`: S snapshots with the same measurement set: one KKT matrix, in
  rectangular coordinates, factorised at a reference estimate, every snapshot iterating on
  it with its exact gradient and Anderson acceleration, right-hand sides as one matrix
  (:mod:`gat_adms.se._rect`). The gradient is exact, so the iteration converges to the
  same minimum as Gauss-Newton.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from gat_schemas.errors import InputError

from ._model import MeasArrays, SeModel, constraints, evaluate, residual
from ._pattern import JacobianPattern, pattern_for
from ._rect import RectChord, solve_chord

__all__ = ["WlsOptions", "WlsSolution", "kkt", "solve_batch", "solve_one"]


#: Chord steps (the last factorisation reused) once steps are below this (rad, pu) ...
CHORD_BELOW = 1e-3
#: ... and each is at most this share of the one before.
CHORD_RATE = 0.1
#: The batch's chord iteration gets this many times ``max_iter`` before a snapshot falls
#: back to its own Gauss-Newton.
CHORD_FACTOR = 3
#: Snapshots per group of the batch (one reference and factorisation each): measured on
#: the bench feeder, 100 took 4.9 ms per snapshot, 250 5.3 ms, 1,000 11.4 ms, 50 5.2 ms.
GROUP_SIZE = 100
#: The batch's rounds: the snapshots a round's chord does not solve get a new reference
#: (Gauss-Newton on the one nearest their median) and a new factorisation, this many times.
CHORD_ROUNDS = 3


class SingularGainError(InputError):
    """The gain (KKT) matrix is singular: the measurements do not determine the state."""


@dataclass(frozen=True)
class WlsOptions:
    """Iteration settings.

    Attributes
    ----------
    tol
        Convergence when the largest state update is below it (rad and pu).
    max_iter
        Gauss-Newton iterations (the batch's fixed-gain iteration gets ``2 * max_iter`` before a snapshot falls back to Gauss-Newton).
    """

    tol: float = 1e-9
    max_iter: int = 30


@dataclass(frozen=True, eq=False)
class WlsSolution:
    """S estimates: ``x`` (S, n), ``v`` (S, E) complex, ``converged`` (S,), ``iterations`` (S,),
    ``objective`` (S,) J = sum (r / sigma)^2, ``lam`` (S, 2Z) multipliers of the
    zero-injection constraints as the solver posed them (scaled; polar ``S = 0`` after
    Gauss-Newton, rectangular ``Y V = 0`` after the batch chord), ``fallback`` (S,) bool:
    the batch's snapshots that needed their own Gauss-Newton (None outside a batch)."""

    x: np.ndarray
    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    objective: np.ndarray
    lam: np.ndarray
    fallback: np.ndarray | None = None


def kkt(
    model: SeModel,
    meas: MeasArrays,
    zero: np.ndarray,
    v: np.ndarray,
    pattern: JacobianPattern | None = None,
) -> tuple[sp.csc_matrix, sp.csr_matrix, sp.csr_matrix, float]:
    """KKT matrix at voltages ``v`` (E,), with H, C and the constraint scale.

    ``pattern``: the measurement set's :class:`JacobianPattern` (built here when omitted).
    """
    if pattern is None:
        pattern = pattern_for(model, meas, zero)
    h, c = pattern.fill(v)
    hw = sp.csr_matrix(
        (h.data * (1.0 / meas.sigma**2)[pattern.row_of_nonzero("h")], h.indices, h.indptr),
        h.shape,
    )
    g = (h.T @ hw).tocsc()
    if len(zero):
        scale = np.sqrt(abs(g.diagonal()).max() or 1.0) / (np.abs(c.data).max() or 1.0)
        mat = sp.bmat([[g, c.T * scale], [c * scale, None]], format="csc")
    else:
        scale = 1.0
        mat = g
    return mat, h, c, float(scale)


class Factor:
    """SuperLU of a KKT matrix equilibrated as ``D K D`` (``D`` = 1/sqrt of each row's
    largest entry), so its pivots measure rank: the gain of a feeder spans many orders of
    magnitude (short, stiff branches next to pseudo-measurements)."""

    def __init__(self, mat: sp.csc_matrix) -> None:
        mat = sp.csc_matrix(mat)
        n_col = np.diff(mat.indptr)
        if not (n_col > 0).all():
            raise SingularGainError("gain matrix has an empty row")
        # The matrix is symmetric: a column's largest entry is its row's.
        big = np.maximum.reduceat(np.abs(mat.data), mat.indptr[:-1])
        if not (np.isfinite(big).all() and (big > 0).all()):
            raise SingularGainError("gain matrix has an empty row")
        self.d = 1.0 / np.sqrt(big)
        col = np.repeat(np.arange(mat.shape[1]), n_col)
        scaled = sp.csc_matrix(
            (mat.data * self.d[mat.indices] * self.d[col], mat.indices, mat.indptr), mat.shape
        )
        try:
            self.lu = spla.splu(scaled, permc_spec="MMD_AT_PLUS_A")
        except RuntimeError as exc:
            raise SingularGainError(f"gain matrix is singular ({exc})") from None
        diag_u = np.abs(self.lu.U.diagonal())
        if not np.isfinite(diag_u).all() or diag_u.min() <= 1e-13 * diag_u.max():
            raise SingularGainError("gain matrix is numerically singular")

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solve ``K x = rhs`` (rhs (n,) or (n, k))."""
        d = self.d if rhs.ndim == 1 else self.d[:, None]
        return d * self.lu.solve(np.ascontiguousarray(d * rhs))


def factor(mat: sp.csc_matrix) -> Factor:
    """Factorise a KKT matrix; :class:`SingularGainError` when it is singular."""
    return Factor(mat)


def solve_one(
    model: SeModel,
    meas: MeasArrays,
    z: np.ndarray,
    zero: np.ndarray,
    x0: np.ndarray,
    options: WlsOptions = WlsOptions(),
    *,
    pattern: JacobianPattern | None = None,
) -> WlsSolution:
    """Gauss-Newton for one snapshot ``z`` (M,) from state ``x0`` (n,).

    ``pattern``: the measurement set's :class:`JacobianPattern` (built here when omitted).
    """
    if pattern is None:
        pattern = pattern_for(model, meas, zero)
    x = np.asarray(x0, dtype=float).copy()
    nz = 2 * len(zero)
    lam = np.zeros(nz)
    weight = 1.0 / meas.sigma**2
    converged = False
    it = 0
    lu: Factor | None = None
    scale = 1.0
    last = np.inf
    for it in range(1, options.max_iter + 1):  # noqa: B007
        v = model.voltages(x)[0]
        if lu is None:
            mat, h, c, scale = kkt(model, meas, zero, v, pattern)
            lu = factor(mat)
        else:
            h, c = pattern.fill(v)
        r = residual(meas, z, evaluate(model, meas, v[None, :])[0])
        rhs_x = h.T @ (weight * r)
        if nz:
            rhs_x -= c.T @ (lam * scale)
        rhs = (
            np.concatenate([rhs_x, -constraints(model, zero, v[None, :])[0] * scale])
            if nz
            else rhs_x
        )
        step = lu.solve(rhs)
        dx = _damped(
            model, meas, z, weight, x, step[: model.n_state], float(np.sum(weight * r * r))
        )
        x += dx
        if nz:
            lam += step[model.n_state :]
        size = float(np.abs(dx).max())
        if size < options.tol:
            converged = True
            break
        # Chord steps: keep the factorisation while the steps are small and shrink fast
        # (the exact gradient keeps the fixed point the WLS optimum); refactorise otherwise.
        if not (size < CHORD_BELOW and size <= CHORD_RATE * last):
            lu = None
        last = size
    v = model.voltages(x)
    r = residual(meas, z, evaluate(model, meas, v)[0])
    return WlsSolution(
        x=x[None, :],
        v=v,
        converged=np.array([converged]),
        iterations=np.array([it]),
        objective=np.array([float(np.sum(weight * r * r))]),
        lam=lam[None, :],
    )


def _damped(
    model: SeModel,
    meas: MeasArrays,
    z: np.ndarray,
    weight: np.ndarray,
    x: np.ndarray,
    dx: np.ndarray,
    j0: float,
) -> np.ndarray:
    """The Gauss-Newton step, halved (up to 6 times) while it raises the objective and
    is large (> 0.05 rad or pu): stiff branches make far starts overshoot."""
    if np.abs(dx).max() < 0.05:
        return dx
    for _ in range(6):
        r = residual(meas, z, evaluate(model, meas, model.voltages(x + dx))[0])
        if np.isfinite(r).all() and float(np.sum(weight * r * r)) <= j0:
            return dx
        dx = dx * 0.5
    return dx


def solve_batch(
    model: SeModel,
    meas: MeasArrays,
    z: np.ndarray,
    zero: np.ndarray,
    x0: np.ndarray,
    options: WlsOptions = WlsOptions(),
    *,
    reference: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    group_size: int | None = None,
) -> WlsSolution:
    """S snapshots ``z`` (S, M) of one measurement set, one factorisation per group.

    The KKT matrix is factorised once, in rectangular coordinates, at a reference estimate
    and every snapshot iterates on it with its exact gradient, right-hand sides solved
    together (:mod:`gat_adms.se._rect`); the fixed point is each snapshot's WLS optimum.
    Snapshots that do not converge that way get a new reference among them and another
    round (at most ``CHORD_ROUNDS``); what is left gets its own Gauss-Newton
    (:func:`solve_one`) and is flagged in ``fallback``. References are solved by
    Gauss-Newton (not flagged).

    More than ``group_size`` (default ``GROUP_SIZE``) snapshots are ordered along the first
    principal component of their normalised readings (mostly the load level) and split
    into groups of about that size, each with its own reference: a closer reference needs
    fewer steps, and smaller arrays stay in cache.

    ``x0`` (n,) or (S, n): start of the references' Gauss-Newton; ``reference`` (n,)
    state where the matrix is factorised (then one group; default: the Gauss-Newton
    estimate of the snapshot nearest the group's median readings); ``sigma`` (S, M)
    per-snapshot standard deviations (pu; default ``meas.sigma`` for all), so that sensors
    whose sigma follows the reading share one batch.
    """
    z = np.atleast_2d(z)
    n_s = z.shape[0]
    size = GROUP_SIZE if group_size is None else max(1, int(group_size))
    if reference is not None or n_s <= size:
        return _solve_group(model, meas, z, zero, x0, options, reference=reference, sigma=sigma)
    sig = np.broadcast_to(meas.sigma if sigma is None else sigma, z.shape)
    x0 = np.asarray(x0, dtype=float).reshape(-1, model.n_state)
    parts = np.array_split(_principal_order(z, sig), -(-n_s // size))
    out = [
        (
            g,
            _solve_group(
                model,
                meas,
                z[g],
                zero,
                x0[g] if len(x0) == n_s else x0[0],
                options,
                sigma=None if sigma is None else sig[g],
            ),
        )
        for g in parts
    ]
    fields = ("x", "v", "converged", "iterations", "objective", "lam", "fallback")
    merged = {}
    for name in fields:
        first = getattr(out[0][1], name)
        arr = np.empty((n_s, *first.shape[1:]), dtype=first.dtype)
        for g, sol in out:
            arr[g] = getattr(sol, name)
        merged[name] = arr
    return WlsSolution(**merged)


def _principal_order(z: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """Snapshot order along the first principal component of ``(z - median) / sigma``
    (power iteration, deterministic start: the snapshot farthest from the median)."""
    zn = (z - np.median(z, axis=0)) / sig
    zn = zn - zn.mean(axis=0)
    vec = zn[int(np.argmax(np.einsum("sm,sm->s", zn, zn)))].copy()
    for _ in range(30):
        vec = zn.T @ (zn @ vec)
        norm = np.linalg.norm(vec)
        if norm == 0.0:
            break
        vec /= norm
    return np.argsort(zn @ vec, kind="stable")


def _solve_group(
    model: SeModel,
    meas: MeasArrays,
    z: np.ndarray,
    zero: np.ndarray,
    x0: np.ndarray,
    options: WlsOptions = WlsOptions(),
    *,
    reference: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
) -> WlsSolution:
    """One group of :func:`solve_batch` (its arguments)."""
    z = np.atleast_2d(z)
    n_s = z.shape[0]
    pattern = pattern_for(model, meas, zero)
    sig = np.broadcast_to(meas.sigma if sigma is None else sigma, z.shape)

    def meas_of(s: int) -> MeasArrays:
        if sigma is None:
            return meas
        return MeasArrays(meas.kind, meas.elec, meas.cond, meas.to_side, sig[s])

    x0 = np.asarray(x0, dtype=float).reshape(-1, model.n_state)
    x = np.empty((n_s, model.n_state))
    lam = np.zeros((n_s, 2 * len(zero)))
    converged = np.zeros(n_s, dtype=bool)
    iters = np.zeros(n_s, dtype=np.int64)
    pending = np.arange(n_s)
    k = 0
    for level in range(CHORD_ROUNDS):
        if len(pending) == 0:
            break
        if reference is None or level > 0:
            # The reference: Gauss-Newton on the pending snapshot nearest their median.
            dev = ((z[pending] - np.median(z[pending], axis=0)) / sig[pending]) ** 2
            k = int(pending[np.argmin(dev.sum(axis=1))])
            start = x0[min(k, len(x0) - 1)] if level == 0 else reference
            first = solve_one(model, meas_of(k), z[k], zero, start, options, pattern=pattern)
            reference = first.x[0]
            x[k], lam[k] = first.x[0], first.lam[0]
            converged[k], iters[k] = first.converged[0], first.iterations[0]
            pending = pending[pending != k]
        if len(pending) == 0:
            break
        v_ref = model.voltages(reference)
        try:
            chord = RectChord(model, meas_of(k), zero, v_ref[0], factor, pattern)
        except SingularGainError:
            break
        v, lam_c, ok, it = solve_chord(
            chord,
            z[pending],
            np.repeat(v_ref, len(pending), axis=0),
            options.tol,
            CHORD_FACTOR * options.max_iter,
            weight=None if sigma is None else 1.0 / sig[pending] ** 2,
        )
        done = pending[ok]
        x[done] = np.concatenate([np.angle(v[ok][:, model.ns]), np.abs(v[ok])], axis=1)
        lam[done], converged[done] = lam_c[ok], True
        iters[pending] += it
        pending = pending[~ok]
    # What no chord round solved (too far from every reference): Gauss-Newton each.
    fallback = np.zeros(n_s, dtype=bool)
    fallback[pending] = True
    for s in pending:
        one = solve_one(model, meas_of(s), z[s], zero, reference, options, pattern=pattern)
        x[s], lam[s], converged[s] = one.x[0], one.lam[0], one.converged[0]
        iters[s] += one.iterations[0]
    v = model.voltages(x)
    r = residual(meas, z, evaluate(model, meas, v))
    return WlsSolution(
        x=x,
        v=v,
        converged=converged,
        iterations=iters,
        objective=np.sum(r * r / sig**2, axis=1),
        lam=lam,
        fallback=fallback,
    )
