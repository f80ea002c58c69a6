"""The batch's measurement operator in rectangular coordinates, and the zero-injection
null space.

Every measurement function is local in a few complex quantities that are linear in the
voltages: a current ``I_k = R_k V`` (a row of ``Y`` for an injection, of ``Y_f``/``Y_t``
for a flow or a current magnitude) and the voltage ``V_a`` of the terminal it is read at
(``S = V_a conj(I_k)``, ``|I_k|``, ``|V_a|``, ``angle V_a``). With ``Q`` the stacked rows
(currents, then terminal selections), ``q = Q V`` and, by the chain rule,
``H^T u = Q^T c`` with a local ``c`` per row. In real arithmetic on the rectangular state
``y`` (``[e; f] = E y``) both are one real sparse product with ``F = Qre E`` and its
transpose: ``[Re q; Im q] = F y`` and ``H_y^T u = F^T [Re c; -Im c]`` (for a complex
gradient ``g`` with ``df = Re(g^T dV)``, ``df/de = Re g`` and ``df/df = -Im g``). Arrays are
(rows, S): one column per snapshot, so the sparse products need no transposed copies.

Zero injections (``Y_Z V = 0``) are linear in rectangular coordinates: with ``C_Z`` the
constraint columns of the zero-injection terminals' own ``e``, ``f`` and ``C_B`` the rest,
``y = T t``, ``T = [-C_Z^-1 C_B; I]`` (rows in state order) spans the constraints' null
space and ``t`` (the other states) is free: Kron's elimination of the zero-injection nodes.
``C_Z`` is block diagonal over the connected clusters of zero-injection terminals, so ``T``
is dense only within a cluster and its boundary (:func:`null_basis`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

from ._model import I_MAG, P_FLOW, P_INJ, Q_FLOW, Q_INJ, V_ANG, V_MAG, MeasArrays, SeModel

__all__ = ["NullBasis", "RectOps", "constraint_matrix", "null_basis", "rect_map", "rect_ops"]

#: The null-space basis is used while its nonzeros stay below this many per state
#: (clusters of zero-injection terminals with many boundary terminals fill it densely).
BASIS_FILL = 40.0
#: ... and its entries below this (an ill-conditioned cluster: the full KKT system then).
BASIS_MAX = 1e6
#: Clusters of up to this many eliminated states are solved dense, larger ones by SuperLU
#: (a long chain of zero-injection terminals has a sparse block but few boundary states).
DENSE_CLUSTER = 200

_BASIS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_OPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rect_map(model: SeModel) -> sp.csr_matrix:
    """(2E, n) real map of the rectangular state ``y`` to ``[e; f]`` (pu).

    ``y`` = real parts of the non-slack terminals, their imaginary parts, then the slack
    terminals' magnitudes (their angles are the reference).
    """
    n_e, ns = model.n_elec, model.ns
    n_ns = len(ns)
    sl = np.flatnonzero(model.slack)
    th = model.theta_slack[sl]
    k = 2 * n_ns + np.arange(len(sl))
    rows = np.concatenate([ns, n_e + ns, sl, n_e + sl])
    cols = np.concatenate([np.arange(n_ns), n_ns + np.arange(n_ns), k, k])
    vals = np.concatenate([np.ones(2 * n_ns), np.cos(th), np.sin(th)])
    return sp.csr_matrix((vals, (rows, cols)), (2 * n_e, model.n_state))


def _real(q: sp.csr_matrix) -> sp.csr_matrix:
    """``[[Re q, -Im q], [Im q, Re q]]``: a complex matrix acting on ``[Re x; Im x]``."""
    re, im = q.real, q.imag
    return sp.bmat([[re, -im], [im, re]], format="csr")


def constraint_matrix(model: SeModel, zero: np.ndarray) -> sp.csr_matrix:
    """(2Z, n) the zero-injection constraints ``[Re; Im] Y_Z V = 0`` on ``y`` (cached per
    model and zero set)."""
    zero = np.asarray(zero, dtype=np.int64)
    per_model = _CONS.setdefault(model, {})
    key = zero.tobytes()
    if key not in per_model:
        per_model[key] = _constraint_matrix(model, zero)
    return per_model[key]


def _constraint_matrix(model: SeModel, zero: np.ndarray) -> sp.csr_matrix:
    n_z = len(zero)
    sel = sp.csr_matrix((np.ones(n_z), (np.arange(n_z), zero)), (n_z, model.n_elec))
    return (_real(sel @ model.y) @ rect_map(model)).tocsr()


@dataclass(frozen=True, eq=False)
class NullBasis:
    """``t`` (n, n - 2Z) basis of the constraints' null space (``C t = 0``, CSR), ``zc``
    (2Z,) the eliminated states (the zero-injection terminals' ``e``, then ``f``), ``free``
    (n - 2Z,) the others (``y[free]`` is the reduced state), ``c_z_t`` the factorisation of
    ``C[:, zc]^T`` (for the multipliers)."""

    t: sp.csr_matrix
    zc: np.ndarray
    free: np.ndarray
    c_z_t: object


def null_basis(model: SeModel, zero: np.ndarray) -> NullBasis | None:
    """The basis ``T`` (n, n - 2Z) of the constraints' null space (``C T = 0``), or None.

    The zero-injection terminals' ``e``, ``f`` are eliminated cluster by cluster (connected
    zero-injection terminals): ``y_Z = -C_Z^-1 C_B t``. None when a cluster's block is
    singular or ill-conditioned (entries above ``BASIS_MAX``) or when ``T`` would hold more
    than ``BASIS_FILL`` nonzeros per state; the caller then keeps the constraints as KKT
    rows. Cached per model and zero set.
    """
    zero = np.asarray(zero, dtype=np.int64)
    key = zero.tobytes()
    per_model = _BASIS.setdefault(model, {})
    if key in per_model:
        return per_model[key]
    per_model[key] = basis = _null_basis(model, zero)
    return basis


def _null_basis(model: SeModel, zero: np.ndarray) -> NullBasis | None:
    n = model.n_state
    n_z = len(zero)
    if n_z == 0:
        return NullBasis(sp.identity(n, format="csr"), np.zeros(0, int), np.arange(n), None)
    n_ns = len(model.ns)
    pos = np.full(model.n_elec, -1)
    pos[model.ns] = np.arange(n_ns)
    if (pos[zero] < 0).any():
        return None
    zc = np.concatenate([pos[zero], n_ns + pos[zero]])
    free = np.ones(n, dtype=bool)
    free[zc] = False
    bc = np.flatnonzero(free)
    c = constraint_matrix(model, zero).tocsc()
    c_z = c[:, zc].tocsr()
    c_b = c[:, bc].tocsr()
    yzz = model.y[zero][:, zero]
    n_comp, label = connected_components(abs(yzz) > 0, directed=False)
    lab2 = np.concatenate([label, label])  # rows (P, Q) and columns (e, f) per terminal
    order = np.argsort(lab2, kind="stable")
    bounds = np.searchsorted(lab2[order], np.arange(n_comp + 1))
    rows_t: list[np.ndarray] = []
    cols_t: list[np.ndarray] = []
    vals_t: list[np.ndarray] = []
    fill = 0
    for k in range(n_comp):
        idx = order[bounds[k] : bounds[k + 1]]
        blk_b = c_b[idx]
        bcols = np.unique(blk_b.indices)
        fill += len(idx) * len(bcols)
        if fill > BASIS_FILL * n:
            return None
        block = c_z[idx][:, idx]
        try:
            if len(idx) <= DENSE_CLUSTER:
                sol = np.linalg.solve(block.toarray(), blk_b[:, bcols].toarray())
            else:
                sol = spla.splu(block.tocsc()).solve(blk_b[:, bcols].toarray())
        except (np.linalg.LinAlgError, RuntimeError):
            return None
        if not np.isfinite(sol).all() or (len(sol) and np.abs(sol).max() > BASIS_MAX):
            return None
        rr, cc = np.nonzero(sol)
        rows_t.append(zc[idx[rr]])
        cols_t.append(bcols[cc])
        vals_t.append(-sol[rr, cc])
    rows = np.concatenate([*rows_t, bc])
    cols = np.concatenate([*cols_t, np.arange(len(bc))])
    vals = np.concatenate([*vals_t, np.ones(len(bc))])
    basis = sp.csr_matrix((vals, (rows, cols)), (n, len(bc)))
    return NullBasis(basis, zc, bc, spla.splu(c_z.T.tocsc()))


class RectOps:
    """The fused measurement operator of one measurement set (see the module doc).

    ``f`` (2Q, n) and ``ft`` its transpose (CSR both): ``[Re q; Im q] = f y`` for the
    Q rows ``q``: K currents, then K + Mv + Ma terminal voltages (the K currents' own
    terminals, the ``v_mag`` and the ``v_ang`` terminals).
    """

    def __init__(self, model: SeModel, meas: MeasArrays) -> None:
        k = meas.kind
        pq = np.flatnonzero(np.isin(k, (P_INJ, Q_INJ, P_FLOW, Q_FLOW, I_MAG)))
        inj = np.isin(k[pq], (P_INJ, Q_INJ))
        # One current row per injection terminal and per conductor end.
        key = np.where(inj, meas.elec[pq], model.n_elec + 2 * meas.cond[pq] + meas.to_side[pq])
        ukey, row_of = np.unique(key, return_inverse=True)
        n_k = len(ukey)
        is_inj = ukey < model.n_elec
        cond = (ukey - model.n_elec) // 2
        side = (ukey - model.n_elec) % 2 == 1
        ends = sp.vstack([model.yf, model.yt]).tocsr()
        end_term = np.asarray(sp.vstack([model.af, model.at]).tocsr().argmax(axis=1)).ravel()
        n_c = model.yf.shape[0]
        src = np.where(is_inj, 0, cond + np.where(side, n_c, 0))
        r_inj = model.y[np.where(is_inj, ukey, 0)]
        r_end = ends[src]
        keep_i = sp.diags(is_inj.astype(float))
        keep_e = sp.diags((~is_inj).astype(float))
        rmat = (keep_i @ r_inj + keep_e @ r_end).tocsr()
        term = np.where(is_inj, ukey, end_term[src])
        vm = np.flatnonzero(k == V_MAG)
        va = np.flatnonzero(k == V_ANG)
        sel_t = np.concatenate([term, meas.elec[vm], meas.elec[va]])
        n_sel = len(sel_t)
        sel = sp.csr_matrix((np.ones(n_sel), (np.arange(n_sel), sel_t)), (n_sel, model.n_elec))
        q = sp.vstack([rmat, sel]).tocsr()
        self.n_k, self.n_q = n_k, n_k + n_sel
        self.f0 = (_real(q) @ rect_map(model)).tocsr()
        kinds = k[pq]
        m = len(meas)
        self.m = m

        def scatter(mask: np.ndarray) -> sp.csr_matrix:
            return sp.csr_matrix((np.ones(int(mask.sum())), (row_of[mask], pq[mask])), (n_k, m))

        self.s_p = scatter(np.isin(kinds, (P_INJ, P_FLOW)))
        self.s_q = scatter(np.isin(kinds, (Q_INJ, Q_FLOW)))
        self.s_i = scatter(kinds == I_MAG)
        self.has_i = bool(self.s_i.nnz)
        self.m_p = pq[np.isin(kinds, (P_INJ, P_FLOW))]
        self.k_p = row_of[np.isin(kinds, (P_INJ, P_FLOW))]
        self.m_q = pq[np.isin(kinds, (Q_INJ, Q_FLOW))]
        self.k_q = row_of[np.isin(kinds, (Q_INJ, Q_FLOW))]
        self.m_i = pq[kinds == I_MAG]
        self.k_i = row_of[kinds == I_MAG]
        self.m_v, self.m_a = vm, va
        self.ang = k == V_ANG

    def residual(self, q: np.ndarray, z: np.ndarray, mag: np.ndarray | None = None) -> np.ndarray:
        """``z - h`` (M, S) at ``q = f y`` (2Q, S), angle rows wrapped into [-pi, pi)
        (``mag``: the terminal rows' ``|V|``, when known)."""
        nk, nq = self.n_k, self.n_q
        nv = len(self.m_v)
        ir, ii = q[:nk], q[nq : nq + nk]
        er, ei = q[nk : 2 * nk], q[nq + nk : nq + 2 * nk]
        vr, vi = q[2 * nk : nq], q[nq + 2 * nk :]
        h = np.empty_like(z)
        h[self.m_p] = (er * ir + ei * ii)[self.k_p]
        h[self.m_q] = (ei * ir - er * ii)[self.k_q]
        if mag is None:
            mag = np.hypot(vr, vi)
        h[self.m_v] = mag[:nv]
        h[self.m_a] = np.arctan2(vi[nv:], vr[nv:])
        if self.has_i:
            h[self.m_i] = np.hypot(ir, ii)[self.k_i]
        r = np.subtract(z, h, out=h)
        if len(self.m_a):
            r[self.ang] = (r[self.ang] + np.pi) % (2.0 * np.pi) - np.pi
        return r

    def adjoint(self, q: np.ndarray, z: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """``[Re c; -Im c]`` (2Q, S) at ``q = f y`` (2Q, S), so that
        ``f^T [Re c; -Im c] = H_y^T (weight (z - h))``; ``z``, ``weight`` (M, S).

        Real arithmetic on views of ``q`` (``I = ir + j ii``, ``V = er + j ei``), written
        into one output array: ``c = w conj(V_a)`` on the current rows and
        ``conj(w I)`` on their terminals (``w = u_P + j u_Q``), ``u I / |I|`` for current
        magnitudes, ``u V / |V|`` and ``j u V / |V|^2`` (conjugated) for ``v_mag`` and
        ``v_ang``.
        """
        nk, nq = self.n_k, self.n_q
        nv = len(self.m_v)
        ir, ii = q[:nk], q[nq : nq + nk]
        er, ei = q[nk : 2 * nk], q[nq + nk : nq + 2 * nk]
        vr, vi = q[2 * nk : nq], q[nq + 2 * nk :]
        mag2 = vr * vr + vi * vi
        mag = np.sqrt(mag2)
        r = self.residual(q, z, mag)
        u = np.multiply(weight, r, out=r)
        wp = self.s_p @ u
        wq = self.s_q @ u
        out = np.empty((2 * nq, z.shape[1]))
        re, mi = out[:nq], out[nq:]
        re[:nk] = wp * er + wq * ei
        mi[:nk] = wp * ei - wq * er
        if self.has_i:
            ui = (self.s_i @ u) / np.maximum(np.hypot(ir, ii), 1e-12)
            re[:nk] += ui * ir
            mi[:nk] += ui * ii
        re[nk : 2 * nk] = wp * ir - wq * ii
        mi[nk : 2 * nk] = wp * ii + wq * ir
        uv = u[self.m_v] / mag[:nv]
        re[2 * nk : 2 * nk + nv] = uv * vr[:nv]
        mi[2 * nk : 2 * nk + nv] = uv * vi[:nv]
        ua = u[self.m_a] / mag2[nv:]
        re[2 * nk + nv :] = -ua * vi[nv:]
        mi[2 * nk + nv :] = ua * vr[nv:]
        return out


def rect_ops(model: SeModel, meas: MeasArrays) -> RectOps:
    """The :class:`RectOps` of ``meas`` on ``model``, cached per model and measurement set
    (kinds, elements, sides; the sigmas do not enter it)."""
    key = b"".join(
        np.ascontiguousarray(a, dtype=np.int64).tobytes()
        for a in (meas.kind, meas.elec, meas.cond, meas.to_side)
    )
    per_model = _OPS.setdefault(model, {})
    if key not in per_model:
        per_model[key] = RectOps(model, meas)
    return per_model[key]
