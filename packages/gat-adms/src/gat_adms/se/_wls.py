"""Weighted least squares with zero-injection equality constraints (Gauss-Newton, sparse).

Each step solves the Lagrangian (KKT) system of the linearised problem

    [ G   C^T ] [ dx  ]   [ H^T W r - C^T lam ]
    [ C   0   ] [ dlam] = [ -c(x)             ],     G = H^T W H,

with ``r = z - h(x)``, ``W = diag(1 / sigma^2)`` and ``c(x)`` the zero-injection P and Q
(normal equations for the measurements, exact equality constraints instead of heavy
weights; the decision is in ``history/2026-12-04-state-estimation.md``). The constraint
rows are scaled to the gain's size, which changes neither dx nor the solution.

- :func:`solve_one`: Gauss-Newton on the augmented form of this system
  (:mod:`gat_adms.se._kkt`: assembled by value on the measurement set's pattern, LDL^T
  with the ordering computed once per pattern, SuperLU as the fallback), refactorised
  while steps are large, then chord steps on the last factorisation while they shrink at
  least a hundredfold each (the Jacobian and the measurement functions come from one fixed
  sparsity pattern, :mod:`gat_adms.se._pattern`).
- :func:`kkt` and :func:`factor`: the KKT matrix from scipy.sparse products and its
  SuperLU factorisation (the residual covariance of the bad-data test, many right-hand
  sides, and the batch's rectangular matrix use them).
- :func:`gat_adms.se._batch.solve_batch`: S snapshots with the same measurement set (its
  own module).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._kkt import KktFactor, SingularGainError, assembly_for
from ._model import MeasArrays, SeModel, residual
from ._pattern import JacobianPattern, pattern_for

__all__ = ["SingularGainError", "WlsOptions", "WlsSolution", "kkt", "solve_one"]

#: Chord steps (the last factorisation reused) once steps are below this (rad, pu) ...
CHORD_BELOW = 1e-3
#: ... and each is at most this share of the one before (0.1 before the LDL^T solver; on
#: IEEE 34 three-phase, 20 % pseudo-loads, load factors 0.6-1.3, chord steps from a
#: factorisation taken in the linear phase stalled 2 of 5 snapshots at 30 iterations, 0.01
#: converges all 5, as refactorising every step does, at the bench feeder's speed).
CHORD_RATE = 0.01
#: A step no smaller than half the one before whose predicted decrease of J (relative to
#: 1 + J) is at most this, with the zero injections held to ``ZERO_FLOOR``, is rounding
#: noise and ends the iteration (IEEE 123
#: three-phase: the ungrounded delta secondary 610, with nothing behind it, has a
#: zero-sequence voltage fixed only by the model's 5e-8 pu shunt; steps there stayed at
#: 2e-9 to 1e-8 pu for ever with a predicted change of J of ~1e-17, or drifted to a
#: magnitude of zero; a converging step of 8e-9 pu predicts ~1e-12) ...
J_FLOOR = 1e-14
#: ... and the zero-injection residuals (pu power) at most this.
ZERO_FLOOR = 1e-8
#: An estimate with a voltage magnitude below this (pu) is not converged (a collapsed
#: terminal: IEEE 123's floating delta bus 610 reached 0 V from a far start, J 16 times the
#: optimum's).
V_COLLAPSE = 1e-2


@dataclass(frozen=True)
class WlsOptions:
    """Iteration settings.

    Attributes
    ----------
    tol
        Convergence when the largest state update is below it (rad and pu). 1e-8, the
        voltage-change tolerance power-grid-model's estimator stops at: Gauss-Newton
        converges quadratically, so the estimate is then within ~1e-12 pu of the optimum
        (2.4e-12 pu measured on the bench feeder against a 1e-12 run); the batch's linear
        chord stops within ~1e-9 pu of it.
    max_iter
        Gauss-Newton iterations (the batch's fixed-gain iteration gets ``2 * max_iter`` before a snapshot falls back to Gauss-Newton).
    """

    tol: float = 1e-8
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

    Every step solves the augmented KKT system of :mod:`gat_adms.se._kkt` (assembled by
    value on the measurement set's pattern, LDL^T with the ordering reused). ``pattern``:
    the measurement set's :class:`JacobianPattern` (built here when omitted).
    """
    if pattern is None:
        pattern = pattern_for(model, meas, zero)
    asm = assembly_for(pattern)
    asm.reset()  # the same regularisation for every estimate, whatever came before
    n = model.n_state
    x = np.asarray(x0, dtype=float).copy()
    nz = 2 * len(zero)
    lam = np.zeros(nz)
    weight = 1.0 / meas.sigma**2
    converged = False
    it = 0
    lu: KktFactor | None = None
    last = np.inf
    for it in range(1, options.max_iter + 1):
        jac, hx, cx = pattern.evaluate(_voltages(model, x))
        r = residual(meas, z, hx)
        if lu is None:
            lu = asm.factor(jac, weight, check=it == 1)
        cs = cx * lu.scale
        y = np.concatenate([weight * r, -(lam + lu.rho * cs) * lu.scale])
        step = lu.solve(np.concatenate([pattern.rmatvec(jac, y), -cs]))
        if float(np.abs(step[:n]).max()) > 0.5 * last and _flat(
            pattern, jac, weight, r, cx, step[:n]
        ):
            # Steps stopped shrinking and this one moves only where neither the
            # measurements nor the constraints see it (rounding noise): the optimum is
            # reached; the step is not taken.
            converged = True
            break
        dx = _damped(model, x, step[:n])
        size = float(np.abs(dx).max())
        x += dx
        if nz:
            lam += step[n:]
        if size < options.tol:
            converged = True
            break
        # Chord steps: keep the factorisation while the steps are small and shrink fast
        # (the exact gradient keeps the fixed point the WLS optimum); refactorise otherwise.
        if not (size < CHORD_BELOW and size <= CHORD_RATE * last):
            lu = None
        last = size
    v_end = _voltages(model, x)
    # Every zero-injection constraint S = V conj(Y V) = 0 also holds at V = 0: a terminal
    # collapsed there is a spurious stationary point, never an estimate.
    converged = converged and bool((np.abs(v_end) > V_COLLAPSE).all())
    hx, _, _ = pattern.functions(v_end)
    r = residual(meas, z, hx)
    return WlsSolution(
        x=x[None, :],
        v=model.voltages(x),
        converged=np.array([converged]),
        iterations=np.array([it]),
        objective=np.array([float(np.sum(weight * r * r))]),
        lam=lam[None, :],
    )


def _voltages(model: SeModel, x: np.ndarray) -> np.ndarray:
    """(E,) voltages of one state ``x`` (n,) (:meth:`SeModel.voltages` for one row)."""
    theta = model.theta_slack.copy()
    theta[model.ns] = x[: len(model.ns)]
    return x[len(model.ns) :] * np.exp(1j * theta)


def _damped(model: SeModel, x: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """The Gauss-Newton step, halved (up to 30 times) while it leads to an invalid state
    (a magnitude at or below zero, or a non-finite entry).

    The objective J alone is no merit function here: the constrained step trades the fit
    against the zero-injection constraints' violation, so J may rise along a step that
    converges (IEEE 34 three-phase: halving while J rose left steps at 1/64 for 20
    iterations and 4 of 60 snapshots unconverged; full steps converge all 60)."""
    n_ns = len(model.ns)
    for _ in range(30):
        if np.isfinite(dx).all() and (x[n_ns:] + dx[n_ns:] > 0.0).all():
            return dx
        dx = dx * 0.5
    return dx


def _flat(
    pattern: JacobianPattern,
    jac: np.ndarray,
    weight: np.ndarray,
    r: np.ndarray,
    cx: np.ndarray,
    dx: np.ndarray,
) -> bool:
    """True when the step ``dx`` is rounding noise: the zero injections hold to
    ``ZERO_FLOOR`` and the decrease of J the linear model predicts for the step,
    ``|W^(1/2) H dx|^2``, is below ``J_FLOOR`` of J (the step moves only along directions
    the measurements and constraints do not see, e.g. the zero-sequence voltage of an
    ungrounded delta winding with nothing behind it, fixed only by the model's tiny shunt).
    """
    if len(cx) and float(np.abs(cx).max()) > ZERO_FLOOR:
        return False
    rows = pattern._row_of[: pattern._cut]
    hd = np.bincount(
        rows,
        weights=jac[: pattern._cut] * dx[pattern._indices64[: pattern._cut]],
        minlength=pattern.m,
    )
    return float(np.sum(weight * hd * hd)) <= J_FLOOR * (1.0 + float(np.sum(weight * r * r)))
