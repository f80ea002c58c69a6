"""Batched WLS with one constant gain matrix, in rectangular voltage coordinates.

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

with ``H_r`` the rectangular Jacobian of the original measurement functions (``H_r^T W r``
from :class:`gat_adms.se._rectops.RectOps`), ``K_ref`` the Gauss-Newton KKT matrix at a
reference estimate. Its fixed point is the WLS optimum of the original measurement
functions (``r`` and the gradient are exact), not the one of a linearised problem.

Rectangular state ``y`` (n,): real parts of the non-slack terminals, their imaginary parts,
then the magnitudes of the slack terminals (their angles are the reference).

Since the constraints are linear and constant, the iteration runs in their null space
(``y = T t``, :func:`gat_adms.se._rectops.null_basis`: Kron's elimination of the
zero-injection terminals) with the reduced gain ``T^T G T``: on the 1,000-node bench feeder
645 unknowns instead of a 3,353-row KKT matrix, 4,100 factor nonzeros instead of 52,000.
Where that basis is not available (a singular or ill-conditioned cluster of zero-injection
terminals, or too much fill), the constraints stay as KKT rows. Both give the same fixed
point: ``T^T grad = 0`` with ``C y = 0`` is the KKT stationarity. The measurement
functions and gradients are one sparse product each (:mod:`gat_adms.se._rectops`); arrays
are (rows, S), a column per snapshot.
"""

from __future__ import annotations

import numpy as np
import qdldl
import scipy.sparse as sp

from ._model import MeasArrays, SeModel
from ._pattern import JacobianPattern, pattern_for
from ._rectops import constraint_matrix, null_basis, rect_ops
from ._wls import SingularGainError

__all__ = ["RectChord", "solve_chord"]


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


class SpdFactor:
    """LDL^T (qdldl, its own AMD ordering) of a symmetric positive definite matrix, the
    reduced gain, scaled to a unit diagonal (``D A D``, ``D = diag(A)^-1/2``); a definite
    matrix needs no pivoting. Raises :class:`SingularGainError` when a pivot is not positive
    or below 1e-13 of the largest (the scaled pivots are at most 1).

    Why qdldl rather than SuperLU: on the bench feeder's reduced gain (645 rows) its factor
    has 4,100 nonzeros against SuperLU's 9,700 (symmetric mode); solving 100 right-hand
    sides one by one took the same time as SuperLU's block solve with single-threaded BLAS,
    and the whole batch ran 2.9x faster with the default multithreaded OpenBLAS on two
    shared cores, where SuperLU's block solves stall (qdldl uses no BLAS).
    """

    def __init__(self, mat: sp.spmatrix) -> None:
        mat = sp.csc_matrix(mat)
        diag = mat.diagonal()
        if not (np.isfinite(diag).all() and (diag > 0).all()):
            raise SingularGainError("gain matrix has an empty row")
        self.d = 1.0 / np.sqrt(diag)
        scaled = sp.csc_matrix(sp.diags(self.d) @ mat @ sp.diags(self.d))
        scaled.sort_indices()
        try:
            self.ldl = qdldl.Solver(scaled)
        except RuntimeError as exc:
            raise SingularGainError(f"gain matrix is singular ({exc})") from None
        piv = self.ldl.factors()[1]
        if not np.isfinite(piv).all() or piv.min() <= 1e-13 * np.abs(piv).max():
            raise SingularGainError("gain matrix is numerically singular")

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solve ``A x = rhs`` (rhs (n,) or (n, k))."""
        if rhs.ndim == 1:
            return self.d * self.ldl.solve(self.d * rhs)
        cols = np.ascontiguousarray((self.d[:, None] * rhs).T)
        for j in range(cols.shape[0]):
            cols[j] = self.ldl.solve(cols[j])
        return self.d[:, None] * cols.T


class RectChord:
    """The constant gain of one measurement set and its chord map, for S snapshots.

    Parameters
    ----------
    model, meas, zero
        Measurement model, the M measurements, zero-injection terminals.
    v_ref
        (E,) voltages of the reference estimate (the matrix is the Gauss-Newton gain
        there, in rectangular coordinates).
    factor
        The factorisation routine (:func:`gat_adms.se._wls.factor`).
    pattern
        The measurement set's Jacobian pattern (built when omitted).
    reduce
        Iterate in the constraints' null space when the basis is available (default);
        False keeps the constraints as KKT rows.

    The iterate ``u`` (N, S) is ``t`` (reduced) or ``[y; lam]`` (KKT rows).
    """

    def __init__(
        self,
        model: SeModel,
        meas: MeasArrays,
        zero: np.ndarray,
        v_ref: np.ndarray,
        factor: object,
        pattern: JacobianPattern | None = None,
        reduce: bool = True,
    ) -> None:
        self.model, self.meas, self.zero = model, meas, np.asarray(zero, dtype=np.int64)
        pattern = pattern or pattern_for(model, meas, zero)
        h, _ = pattern.fill(v_ref)
        h_r = (h @ _polar_of_rect(model, v_ref)).tocsr()
        weight = 1.0 / meas.sigma**2
        self.ops = rect_ops(model, meas)
        self.c_r = constraint_matrix(model, self.zero)
        self.nz = self.c_r.shape[0]
        diag_g = np.asarray(h_r.multiply(h_r).T @ weight).ravel()
        self.scale = float(np.sqrt(diag_g.max() or 1.0) / abs(self.c_r).max()) if self.nz else 1.0
        self.basis = null_basis(model, self.zero) if reduce else None
        if self.basis is not None:
            jac = (h_r @ self.basis.t).tocsr()
            self.f = (self.ops.f0 @ self.basis.t).tocsr()
            self.ft = self.f.T.tocsr()
            self.lu: object = SpdFactor(jac.T @ sp.diags(weight) @ jac)
            return
        g = (h_r.T @ sp.diags(weight) @ h_r).tocsc()
        if self.nz:
            cs = self.c_r * self.scale
            mat = sp.bmat([[g, cs.T], [cs, None]], format="csc")
        else:
            mat = g
        self.f = self.ops.f0
        self.ft = self.f.T.tocsr()
        self.lu = factor(mat)  # type: ignore[operator]

    def to_rect(self, v: np.ndarray) -> np.ndarray:
        """(n, S) rectangular states of (S, E) voltages."""
        ns, sl = self.model.ns, self.model.slack
        return np.concatenate([v[:, ns].real.T, v[:, ns].imag.T, np.abs(v[:, sl]).T])

    def voltages(self, y: np.ndarray) -> np.ndarray:
        """(S, E) voltages of (n, S) rectangular states."""
        m = self.model
        n_ns = len(m.ns)
        v = np.empty((y.shape[1], m.n_elec), dtype=complex)
        v[:, m.ns] = (y[:n_ns] + 1j * y[n_ns : 2 * n_ns]).T
        v[:, m.slack] = (y[2 * n_ns :] * np.exp(1j * m.theta_slack[m.slack])[:, None]).T
        return v

    def start(self, v0: np.ndarray) -> np.ndarray:
        """(N, S) iterate at (S, E) voltages (projected on the constraints' null space
        when reduced: the free states are kept); one row of ``v0`` is used for all S."""
        y = self.to_rect(v0)
        if self.basis is not None:
            return np.ascontiguousarray(y[self.basis.free])
        return np.concatenate([y, np.zeros((self.nz, y.shape[1]))])

    def image(
        self, u: np.ndarray, z: np.ndarray, weight: np.ndarray, tol: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """The chord map: its image (N, S) of ``u`` and the largest state update (S,) (pu;
        exact where it is below ``tol``, a lower bound elsewhere).

        ``z``, ``weight`` (M, S): readings and ``1 / sigma^2``; the gradient is each
        snapshot's own, so a snapshot whose sigmas differ from the matrix's still converges
        to its own optimum.
        """
        n = self.model.n_state
        if self.basis is not None:
            du = self.lu.solve(self.ft @ self.ops.adjoint(self.f @ u, z, weight))  # type: ignore[attr-defined]
            # T holds the identity on the free states: |T du| >= |du|, so only the
            # candidates need the eliminated states' update.
            size = np.abs(du).max(axis=0)
            cand = np.flatnonzero(size < tol)
            if len(cand):
                size[cand] = np.abs(self.basis.t @ du[:, cand]).max(axis=0)
            return u + du, size
        y = u[:n]
        c = self.ops.adjoint(self.f @ y, z, weight)
        top = self.ft @ c
        if self.nz:
            lam = u[n:]
            top -= self.c_r.T @ (lam * self.scale)
            rhs = np.concatenate([top, -(self.c_r @ y) * self.scale])
        else:
            rhs = top
        du = self.lu.solve(rhs)  # type: ignore[attr-defined]
        return u + du, np.abs(du[:n]).max(axis=0)

    def finish(
        self, u: np.ndarray, z: np.ndarray, weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Voltages (S, E) and the constraints' multipliers (S, 2Z) of iterates ``u``.

        The multipliers are those of the KKT rows (``scale * C^T lam = H_y^T W r`` at the
        optimum); in the reduced iteration they follow from the zero-injection states' rows.
        """
        n = self.model.n_state
        if self.basis is None:
            return self.voltages(u[:n]), u[n:].T.copy()
        y = self.basis.t @ u
        if not self.nz:
            return self.voltages(y), np.zeros((u.shape[1], 0))
        grad = self.ops.f0.T @ self.ops.adjoint(self.ops.f0 @ y, z, weight)
        lam = self.basis.c_z_t.solve(np.ascontiguousarray(grad[self.basis.zc]))  # type: ignore[attr-defined]
        return self.voltages(y), (lam / self.scale).T.copy()


def _anderson(
    u: np.ndarray, g: np.ndarray, hist_f: np.ndarray, hist_g: np.ndarray, filled: int
) -> np.ndarray:
    """Anderson mixing of the fixed-point map ``u -> g`` for S snapshots (columns) at once.

    ``hist_f``/``hist_g`` (m, N, S): differences of the last ``filled`` steps ``f = g - u``
    and images ``g``. Returns ``g - dG gamma`` with ``gamma`` minimising ``|f - dF gamma|``
    per snapshot (normal equations, regularised).
    """
    if not filled:
        return g
    f = g - u
    df = hist_f[:filled]
    dg = hist_g[:filled]
    a = np.einsum("kns,lns->skl", df, df)
    b = np.einsum("kns,ns->sk", df, f)
    reg = 1e-12 * np.abs(np.einsum("sii->si", a)).max(axis=1) + 1e-300
    a = a + reg[:, None, None] * np.eye(filled)
    gamma = np.linalg.solve(a, b[:, :, None])[:, :, 0]
    return g - np.einsum("kns,sk->ns", dg, gamma)


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
    (S, E) or (1, E) for all; ``weight`` (S, M): each snapshot's ``1 / sigma^2`` (default: the matrix's).
    Converged when the largest update of the rectangular state is below ``tol`` (pu); a
    snapshot whose update exceeds 1 pu or is not finite stops (not converged).

    Returns voltages (S, E), multipliers (S, 2Z), converged (S,), iterations (S,).
    """
    n_s = z.shape[0]
    zt = np.ascontiguousarray(z.T)
    if weight is None:
        wt = np.repeat((1.0 / chord.meas.sigma**2)[:, None], n_s, axis=1)
    else:
        wt = np.ascontiguousarray(weight.T)
    u = chord.start(v0)
    if u.shape[1] != n_s:
        u = np.repeat(u, n_s, axis=1)
    converged = np.zeros(n_s, dtype=bool)
    iters = np.zeros(n_s, dtype=np.int64)
    idx = np.arange(n_s)
    ua = u.copy()
    hist_f = np.zeros((memory, *u.shape))
    hist_g = np.zeros_like(hist_f)
    f_old = g_old = None
    n_hist = 0
    for it in range(max_iter):
        if not len(idx):
            break
        g, size = chord.image(ua, zt[:, idx], wt[:, idx], tol)
        iters[idx] = it + 1
        done = size < tol
        bad = ~np.isfinite(size) | (size > 1.0)
        u[:, idx[done]] = g[:, done]
        converged[idx[done]] = True
        keep = ~(done | bad)
        f = g - ua
        if f_old is not None:
            # A ring buffer: the order of the differences does not matter to the mixing.
            slot = n_hist % memory
            hist_f[slot] = f - f_old
            hist_g[slot] = g - g_old
            n_hist += 1
        nxt = _anderson(ua, g, hist_f, hist_g, min(n_hist, memory))
        if keep.all():
            ua, f_old, g_old = nxt, f, g
        else:
            idx, ua, f_old, g_old = idx[keep], nxt[:, keep], f[:, keep], g[:, keep]
            hist_f, hist_g = hist_f[:, :, keep], hist_g[:, :, keep]
    u[:, idx] = ua
    v, lam = chord.finish(u, zt, wt)
    return v, lam, converged, iters
