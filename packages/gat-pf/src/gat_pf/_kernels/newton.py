"""Newton-Raphson power flow in polar coordinates with a sparse Jacobian, batched.

Unknowns per scenario are the angle and magnitude of every non-slack bus. Equations are the
active and reactive power mismatch, except that a PV bus's reactive equation is replaced by
``|V| - v_set = 0``. Because every scenario then has the same sparsity pattern (only values
change when a PV bus hits a reactive limit and becomes PQ), S scenarios are solved as one
block-diagonal system whose CSC structure is computed once per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NewtonResult", "newton"]


@dataclass(frozen=True, eq=False)
class NewtonResult:
    """Bus voltages ``v`` (S x n_bus), convergence facts, and the PV mask at the end."""

    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray
    pv_active: np.ndarray
    s_spec: np.ndarray
    singular: bool


class _Pattern:
    """Jacobian sparsity for one scenario and its block-diagonal CSC layout for S of them."""

    def __init__(self, ybus: Any, nonslack: np.ndarray, n_scen: int) -> None:
        n_bus = ybus.shape[0]
        m = len(nonslack)
        pos = np.full(n_bus, -1, dtype=np.int64)
        pos[nonslack] = np.arange(m)
        coo = ybus.tocoo()
        keep = (pos[coo.row] >= 0) & (pos[coo.col] >= 0)
        self.rb, self.cb, self.y = coo.row[keep], coo.col[keep], coo.data[keep]
        r, c = pos[self.rb], pos[self.cb]
        d = np.arange(m)
        e0 = len(r)
        # Entry groups (values filled per iteration in this order):
        # P-theta (pattern, diag), P-Vm (pattern, diag), Q-theta (pattern, diag),
        # Q-Vm (pattern, diag), PV identity (diag).
        rows = np.concatenate([r, d, r, d, r + m, d + m, r + m, d + m, d + m])
        cols = np.concatenate([c, d, c + m, d + m, c, d, c + m, d + m, d + m])
        dim = 2 * m
        lin = cols * dim + rows
        uniq, self.inv = np.unique(lin, return_inverse=True)
        nnz = len(uniq)
        counts = np.bincount(uniq // dim, minlength=dim)
        indptr1 = np.concatenate([[0], np.cumsum(counts)])
        indices1 = uniq % dim
        self.m, self.e0, self.nnz, self.dim, self.n_scen = m, e0, nnz, dim, n_scen
        self.q_rows_pat = r  # pattern rows of Q-blocks (position among non-slack)
        off = np.arange(n_scen)[:, None]
        self.indices = (indices1[None, :] + off * dim).ravel()
        self.indptr = np.concatenate([(indptr1[:-1][None, :] + off * nnz).ravel(), [n_scen * nnz]])
        self.flat_inv = (self.inv[None, :] + off * nnz).ravel()

    def matrix(self, values: np.ndarray) -> Any:
        """CSC block-diagonal Jacobian from per-scenario entry values ``(S, n_entries)``."""
        import scipy.sparse as sp

        data = np.bincount(self.flat_inv, weights=values.ravel(), minlength=self.n_scen * self.nnz)
        size = self.n_scen * self.dim
        return sp.csc_matrix((data, self.indices, self.indptr), shape=(size, size))


def _injections(v, ybus, s_const, s_i, s_z):
    vm = np.abs(v)
    ibus = (ybus @ v.T).T
    s_calc = v * np.conj(ibus)
    spec = s_const
    if s_i is not None:
        spec = spec + s_i * vm
    if s_z is not None:
        spec = spec + s_z * vm * vm
    return vm, ibus, s_calc, spec


def newton(
    ybus: Any,
    nonslack: np.ndarray,
    v0: np.ndarray,
    v_set: np.ndarray,
    pv_active: np.ndarray,
    s_const: np.ndarray,
    s_i: np.ndarray | None,
    s_z: np.ndarray | None,
    *,
    tol: float,
    max_iter: int,
) -> NewtonResult:
    """Solve S power flows by Newton-Raphson (one block-diagonal system per iteration).

    Parameters
    ----------
    ybus
        Complex CSR bus admittance matrix (pu).
    nonslack
        Indices of the non-slack buses (the unknowns).
    v0
        Initial complex bus voltages (S, n_bus); slack entries are kept fixed.
    v_set
        Voltage magnitude set points (n_bus,) used at PV buses.
    pv_active
        Bool (S, n_bus): buses whose voltage magnitude is held (PV).
    s_const, s_i, s_z
        Specified bus injections (S, n_bus) or broadcastable (pu, generation positive):
        constant power, constant current (times |V|), constant impedance (times |V|^2).
    tol, max_iter
        Tolerance on the largest |dP| or |dQ| (pu) and the iteration limit.
    """
    import scipy.sparse.linalg as spla

    n_scen = v0.shape[0]
    pat = _Pattern(ybus, nonslack, n_scen)
    m = pat.m
    ns = nonslack
    v = v0.astype(complex, copy=True)
    pv_ns = pv_active[:, ns]
    keep_q = ~pv_ns  # Q equation rows that remain power equations
    va = np.angle(v[:, ns])
    vm_ns = np.abs(v[:, ns])
    vm_ns = np.where(pv_ns, v_set[ns][None, :], vm_ns)
    v[:, ns] = vm_ns * np.exp(1j * va)
    iterations = np.full(n_scen, max_iter, dtype=np.int64)
    done = np.zeros(n_scen, dtype=bool)
    singular = False

    def residual(v):
        vm, ibus, s_calc, spec = _injections(v, ybus, s_const, s_i, s_z)
        d = (s_calc - spec)[:, ns]
        fq = np.where(keep_q, d.imag, vm[:, ns] - v_set[ns][None, :])
        mis_q = np.where(keep_q, np.abs(d.imag), 0.0)
        mis = np.maximum(np.abs(d.real).max(axis=1, initial=0.0), mis_q.max(axis=1, initial=0.0))
        return vm, ibus, np.concatenate([d.real, fq], axis=1), mis

    vm, ibus, f, mis = residual(v)
    newly = mis <= tol
    iterations[newly] = 0
    done |= newly
    k = 0
    while not done.all() and k < max_iter and np.isfinite(mis).all():
        k += 1
        vals = _jacobian_values(pat, v, vm, ibus, s_i, s_z, ns, keep_q)
        try:
            lu = spla.splu(pat.matrix(vals), permc_spec="COLAMD")
        except RuntimeError:
            singular = True
            break
        dx = lu.solve(-f.ravel()).reshape(n_scen, 2 * m)
        va = va + dx[:, :m]
        vm_ns = vm_ns + dx[:, m:]
        v[:, ns] = vm_ns * np.exp(1j * va)
        vm, ibus, f, mis = residual(v)
        newly = (mis <= tol) & ~done
        iterations[newly] = k
        done |= newly
    spec = _injections(v, ybus, s_const, s_i, s_z)[3]
    return NewtonResult(
        v=v,
        converged=mis <= tol,
        iterations=np.where(done, iterations, k),
        mismatch=mis,
        pv_active=pv_active,
        s_spec=np.broadcast_to(spec, v.shape),
        singular=singular,
    )


def _jacobian_values(pat, v, vm, ibus, s_i, s_z, ns, keep_q):
    """Entry values of every scenario's Jacobian, in the order of ``_Pattern``."""
    vr, vc = v[:, pat.rb], v[:, pat.cb]
    tmp = vr * np.conj(pat.y[None, :] * vc)
    dsa_p = -1j * tmp
    dsm_p = tmp / vm[:, pat.cb]
    vn = v[:, ns]
    i_ns = np.conj(ibus[:, ns])
    dsa_d = 1j * vn * i_ns
    dsm_d = i_ns * vn / vm[:, ns]
    if s_i is not None:
        dsm_d = dsm_d - np.broadcast_to(s_i, v.shape)[:, ns]
    if s_z is not None:
        dsm_d = dsm_d - 2.0 * np.broadcast_to(s_z, v.shape)[:, ns] * vm[:, ns]
    kq_pat = keep_q[:, pat.q_rows_pat]
    pv = (~keep_q).astype(float)
    kq = keep_q.astype(float)
    return np.concatenate(
        [
            dsa_p.real,
            dsa_d.real,
            dsm_p.real,
            dsm_d.real,
            dsa_p.imag * kq_pat,
            dsa_d.imag * kq,
            dsm_p.imag * kq_pat,
            dsm_d.imag * kq,
            pv,
        ],
        axis=1,
    )
