"""Batched WLS with one constant KKT matrix, in rectangular voltage coordinates.

Why rectangular (the polar fixed gain diverged on the 1,000-node bench feeder): the large
part of every power Jacobian row is ``V_i conj(y dV)``. In polar coordinates
``dV_k = V_k (j dtheta_k + dvm_k / vm_k)`` scales the columns by the state, so the gain of
another snapshot differs from the reference one by a column scaling of a matrix whose
pivots span ~1e14: a 2 % state change then moves the eigenvalues of ``K_ref^-1 K`` far
from 1 (measured: the residual of one refinement step grows 4,000-fold). In rectangular
coordinates ``y = [e, f]`` (``V = e + j f``) the same part is ``diag(V_i) conj(Y)``: a row
scaling, i.e. a change of measurement weights by ``|V_i|^2``, whose effect on
``K_ref^-1 K`` is bounded by the weights' relative change (a few percent) whatever the
conditioning. The zero-injection constraints ``S_k = 0`` become ``Y_k V = 0`` (the same
set when ``V_k != 0``): linear, so their rows are constant too. This is the idea behind
current-based ("iterative linear") estimators; here it only supplies the matrix.

The iteration is a chord method on the exact KKT conditions of the original problem:

    K_ref [dy; lam'] = [H_r^T W r(y) - C_r^T lam; -c_r(y)],

with ``H_r`` the rectangular Jacobian of the original measurement functions (the polar
gradient ``H^T u`` mapped by the chain rule), ``K_ref`` the Gauss-Newton KKT matrix at a
reference estimate. Its fixed point is the WLS optimum of the original measurement
functions (``r`` and the gradient are exact), not the one of a linearised problem.

Rectangular state ``y`` (n,): real parts of the non-slack terminals, their imaginary parts,
then the magnitudes of the slack terminals (their angles are the reference).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._model import MeasArrays, SeModel, evaluate, gradient, residual
from ._pattern import JacobianPattern, pattern_for

__all__ = ["RectChord"]


def _polar_of_rect(model: SeModel, v: np.ndarray) -> sp.csr_matrix:
    """(n, n) ``d x_polar / d y`` at voltages ``v`` (E,)."""
    ns = model.ns
    n_ns = len(ns)
    sl = np.flatnonzero(model.slack)
    e, f = v[ns].real, v[ns].imag
    vm2 = e * e + f * f
    vm = np.sqrt(vm2)
    i = np.arange(n_ns)
    rows = np.concatenate([i, i, n_ns + ns, n_ns + ns, n_ns + sl])
    cols = np.concatenate([i, n_ns + i, i, n_ns + i, 2 * n_ns + np.arange(len(sl))])
    vals = np.concatenate([-f / vm2, e / vm2, e / vm, f / vm, np.ones(len(sl))])
    n = model.n_state
    return sp.csr_matrix((vals, (rows, cols)), (n, n))


class RectChord:
    """The constant KKT matrix of one measurement set and its chord iteration.

    Parameters
    ----------
    model, meas, zero
        Measurement model, the M measurements, zero-injection terminals.
    v_ref
        (E,) voltages of the reference estimate (the matrix is the Gauss-Newton KKT matrix
        there, in rectangular coordinates).
    factor
        The factorisation routine (:func:`gat_adms.se._wls.factor`).
    """

    def __init__(
        self,
        model: SeModel,
        meas: MeasArrays,
        zero: np.ndarray,
        v_ref: np.ndarray,
        factor: object,
        pattern: JacobianPattern | None = None,
    ) -> None:
        self.model, self.meas, self.zero = model, meas, np.asarray(zero, dtype=np.int64)
        pattern = pattern or pattern_for(model, meas, zero)
        h, _ = pattern.fill(v_ref)
        h_r = (h @ _polar_of_rect(model, v_ref)).tocsr()
        g = (h_r.T @ sp.diags(1.0 / meas.sigma**2) @ h_r).tocsc()
        ns = model.ns
        sl = np.flatnonzero(model.slack)
        u_s = np.exp(1j * model.theta_slack[sl])
        yz = model.y[self.zero]
        y_ns = yz[:, ns]
        y_sl = (yz[:, sl] @ sp.diags(u_s)).tocsr()
        c_r = sp.bmat(
            [
                [y_ns.real, -y_ns.imag, y_sl.real],
                [y_ns.imag, y_ns.real, y_sl.imag],
            ],
            format="csr",
        )
        self.nz = c_r.shape[0]
        if self.nz:
            self.scale = float(np.sqrt(abs(g.diagonal()).max() or 1.0) / abs(c_r).max())
            mat = sp.bmat([[g, c_r.T * self.scale], [c_r * self.scale, None]], format="csc")
        else:
            self.scale = 1.0
            mat = g
        self.c_r = c_r
        self.lu = factor(mat)  # type: ignore[operator]

    def to_rect(self, v: np.ndarray) -> np.ndarray:
        """(S, n) rectangular states of (S, E) voltages."""
        ns, sl = self.model.ns, self.model.slack
        return np.concatenate([v[:, ns].real, v[:, ns].imag, np.abs(v[:, sl])], axis=1)

    def voltages(self, y: np.ndarray) -> np.ndarray:
        """(S, E) voltages of (S, n) rectangular states."""
        m = self.model
        n_ns = len(m.ns)
        v = np.empty((y.shape[0], m.n_elec), dtype=complex)
        v[:, m.ns] = y[:, :n_ns] + 1j * y[:, n_ns : 2 * n_ns]
        v[:, m.slack] = y[:, 2 * n_ns :] * np.exp(1j * m.theta_slack[m.slack])
        return v

    def step(
        self, y: np.ndarray, lam: np.ndarray, z: np.ndarray, weight: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One chord step for S snapshots: (dy (S, n), new multipliers (S, 2Z)).

        ``weight`` (S, M): ``1 / sigma^2`` of each snapshot's measurements (default: the
        matrix's own); the gradient is each snapshot's own, so a snapshot whose sigmas
        differ from the reference's still converges to its own optimum.
        """
        m = self.model
        n_ns = len(m.ns)
        v = self.voltages(y)
        if weight is None:
            weight = 1.0 / self.meas.sigma**2
        r = residual(self.meas, z, evaluate(m, self.meas, v))
        gp = gradient(m, self.meas, v, weight * r)  # polar H^T W r
        e, f = y[:, :n_ns], y[:, n_ns : 2 * n_ns]
        vm2 = e * e + f * f
        vm = np.sqrt(vm2)
        g_t, g_m = gp[:, :n_ns], gp[:, n_ns:]
        g_mns = g_m[:, m.ns]
        top = np.concatenate(
            [
                -g_t * f / vm2 + g_mns * e / vm,
                g_t * e / vm2 + g_mns * f / vm,
                g_m[:, m.slack],
            ],
            axis=1,
        )
        if self.nz:
            top -= (self.c_r.T @ (lam * self.scale).T).T
            cons = (self.c_r @ y.T).T
            rhs = np.concatenate([top, -cons * self.scale], axis=1)
        else:
            rhs = top
        sol = self.lu.solve(np.ascontiguousarray(rhs.T)).T  # type: ignore[attr-defined]
        n = m.n_state
        return sol[:, :n], lam + sol[:, n:]


def _anderson(
    u: np.ndarray, g: np.ndarray, hist_f: np.ndarray, hist_g: np.ndarray, filled: int
) -> np.ndarray:
    """Anderson mixing of the fixed-point map ``u -> g`` for S snapshots at once.

    ``hist_f``/``hist_g`` (S, m, N): differences of the last ``filled`` steps ``f = g - u``
    and images ``g``. Returns ``g - dG gamma`` with ``gamma`` minimising ``|f - dF gamma|``
    per snapshot (normal equations, regularised).
    """
    if not filled:
        return g
    f = g - u
    df = hist_f[:, :filled]
    dg = hist_g[:, :filled]
    a = df @ df.transpose(0, 2, 1)
    b = (df @ f[:, :, None])[:, :, 0]
    reg = 1e-12 * np.abs(np.einsum("sii->si", a)).max(axis=1) + 1e-300
    a = a + reg[:, None, None] * np.eye(filled)
    gamma = np.linalg.solve(a, b[:, :, None])
    return g - (dg.transpose(0, 2, 1) @ gamma)[:, :, 0]


def solve_chord(
    chord: RectChord,
    z: np.ndarray,
    v0: np.ndarray,
    tol: float,
    max_iter: int,
    memory: int = 3,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The chord iteration with Anderson acceleration for S snapshots ``z`` (S, M).

    The chord alone contracts slowly or not at all along a few directions (a uniform
    voltage shift, seen only through the load-current terms ``conj(I) dV``, whose size
    follows the load level); Anderson mixing over the last ``memory`` steps removes them,
    like a Krylov method with the reference factorisation as preconditioner. Start ``v0``
    (S, E); ``weight`` (S, M): each snapshot's ``1 / sigma^2`` (default: the matrix's).
    Converged when the largest update is below ``tol`` (pu); a snapshot whose update
    exceeds 1 pu or is not finite stops (not converged).

    Returns voltages (S, E), multipliers (S, 2Z), converged (S,), iterations (S,).
    """
    n_s = z.shape[0]
    n = chord.model.n_state
    y = chord.to_rect(v0)
    lam = np.zeros((n_s, chord.nz))
    u = np.concatenate([y, lam], axis=1)
    converged = np.zeros(n_s, dtype=bool)
    failed = np.zeros(n_s, dtype=bool)
    iters = np.zeros(n_s, dtype=np.int64)
    idx = np.arange(n_s)
    ua = u.copy()
    hist_f = np.zeros((n_s, memory, u.shape[1]))
    hist_g = np.zeros_like(hist_f)
    f_old = g_old = None
    n_hist = 0
    for it in range(max_iter):
        if not len(idx):
            break
        w = None if weight is None else weight[idx]
        dy, lam_new = chord.step(ua[:, :n], ua[:, n:], z[idx], w)
        g = np.concatenate([ua[:, :n] + dy, lam_new], axis=1)
        size = np.abs(dy).max(axis=1)
        iters[idx] = it + 1
        done = size < tol
        bad = ~np.isfinite(size) | (size > 1.0)
        u[idx[done]] = g[done]
        converged[idx[done]] = True
        failed[idx[bad]] = True
        keep = ~(done | bad)
        f = g - ua
        if f_old is not None:
            # A ring buffer: the order of the differences does not matter to the mixing.
            slot = n_hist % memory
            hist_f[:, slot] = f - f_old
            hist_g[:, slot] = g - g_old
            n_hist += 1
        nxt = _anderson(ua, g, hist_f, hist_g, min(n_hist, memory))
        if keep.all():
            ua, f_old, g_old = nxt, f, g
        else:
            idx, ua, f_old, g_old = idx[keep], nxt[keep], f[keep], g[keep]
            hist_f, hist_g = hist_f[keep], hist_g[keep]
    u[idx] = ua
    return chord.voltages(u[:, :n]), u[:, n:], converged, iters
