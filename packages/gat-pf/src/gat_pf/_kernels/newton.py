"""Newton-Raphson power flow in polar coordinates with a sparse Jacobian, batched.

Unknowns per scenario are the angle and magnitude of every non-slack bus. Equations are the
active and reactive power mismatch, except that a PV bus's reactive equation is replaced by
``|V| - v_set = 0``. Every scenario has the same sparsity pattern (only values change when a PV
bus hits a reactive limit and becomes PQ), so S scenarios are solved as one block-diagonal
system whose CSC structure is computed once per call; each factorisation only rewrites the
values of that fixed structure in place.

Layout: the unknowns of bus ``p`` (in elimination order) are interleaved, ``x[2p] = theta``
and ``x[2p + 1] = |V|``, and so are its equations (``P``, then ``Q`` or the PV equation). The
Jacobian is then the non-slack block of the Y-bus with every entry widened to a dense 2 x 2
block. On a radial network, buses taken leaves first are eliminated into their parent without
fill-in, so the factorisation needs no ordering step (``order``); meshed networks are ordered
by COLAMD.

Factorisation reuse (chord steps): after a Newton step the next step reuses the same factors
(a chord step) as long as the mismatch keeps contracting fast; the Jacobian is refactorised
at the current iterate as soon as the contraction ratio is poor (above ``_CHORD_RATE``), the
steps it predicts to reach ``tol`` exceed ``_CHORD_STEPS``, or a chord step fails to reduce
the mismatch (that step is then undone and replaced by a Newton step). Every accepted step
reduces the mismatch, and the stopping test is the same as full Newton's, so the answer meets
the same tolerance; ``chord=False`` gives plain Newton-Raphson (a new Jacobian every step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NewtonResult", "newton"]

#: Chord steps continue while the mismatch shrinks at least this much per step ...
_CHORD_RATE = 0.5
#: ... and reaching ``tol`` at the observed rate takes at most this many more steps.
_CHORD_STEPS = 3.0


@dataclass(frozen=True, eq=False)
class NewtonResult:
    """Bus voltages ``v`` (S x n_bus), convergence facts, and the PV mask at the end.

    ``factorisations`` counts the Jacobian factorisations (equal to the iterations for plain
    Newton-Raphson, fewer with chord steps).
    """

    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray
    pv_active: np.ndarray
    s_spec: np.ndarray
    singular: bool
    factorisations: int = 0


class _Jacobian:
    """Fixed CSC structure of S block-diagonal Jacobians; values rewritten per factorisation.

    Attributes
    ----------
    unknown
        Bus of each unknown position ``p`` (elimination order).
    rb, cb, y
        Row bus, column bus and admittance of every Y-bus entry among the unknowns, in the
        CSC order of the permuted block (column by column).
    diag_k
        Entry index of each position's diagonal Y-bus entry.
    row_pos
        Position of each entry's row bus.
    dest
        ``(4, nnz)`` positions in one scenario's CSC data of the entry's ``dP/dtheta``,
        ``dQ/dtheta``, ``dP/d|V|`` and ``dQ/d|V|`` values.
    matrix
        The block-diagonal CSC matrix (its ``data`` is rewritten in place).
    """

    def __init__(self, ybus: Any, unknown: np.ndarray, n_scen: int) -> None:
        import scipy.sparse as sp

        m = len(unknown)
        block = ybus[unknown][:, unknown].tocoo()
        # Explicit (possibly zero) diagonal entries, so every position has a diagonal block.
        d = np.arange(m)
        rows = np.concatenate([block.row, d])
        cols = np.concatenate([block.col, d])
        vals = np.concatenate([block.data, np.zeros(m, dtype=complex)])
        yl = sp.csc_matrix((vals, (rows, cols)), shape=(m, m))
        yl.sum_duplicates()
        yl.sort_indices()
        indptr, row_pos = yl.indptr.astype(np.int64), yl.indices.astype(np.int64)
        nnz = len(row_pos)
        cnt = np.diff(indptr)
        col_pos = np.repeat(np.arange(m), cnt)
        base = 4 * indptr[col_pos] + 2 * (np.arange(nnz) - indptr[col_pos])
        second = base + 2 * cnt[col_pos]
        self.dest = np.stack([base, base + 1, second, second + 1])
        idx = np.empty(4 * nnz, dtype=np.int64)
        idx[self.dest[0]] = idx[self.dest[2]] = 2 * row_pos
        idx[self.dest[1]] = idx[self.dest[3]] = 2 * row_pos + 1
        indptr_j = np.concatenate([[0], np.cumsum(np.repeat(2 * cnt, 2))])
        self.unknown = unknown
        self.m, self.nnz, self.n_scen = m, nnz, n_scen
        self.rb, self.cb, self.y = unknown[row_pos], unknown[col_pos], yl.data
        self.row_pos = row_pos
        self.diag_k = np.flatnonzero(row_pos == col_pos)
        dim = 2 * m
        off = np.arange(n_scen)[:, None]
        indices = (idx[None, :] + off * dim).ravel()
        indptr_all = np.concatenate(
            [(indptr_j[:-1][None, :] + off * (4 * nnz)).ravel(), [n_scen * 4 * nnz]]
        )
        size = n_scen * dim
        idx_type = np.int32 if n_scen * 4 * nnz < 2**31 - 1 else np.int64
        self.matrix = sp.csc_matrix(
            (
                np.zeros(n_scen * 4 * nnz),
                indices.astype(idx_type, copy=False),
                indptr_all.astype(idx_type, copy=False),
            ),
            shape=(size, size),
        )

    def fill(self, v, vm, ibus, s_i, s_z, keep_q) -> Any:
        """Write the Jacobian values at ``v`` into ``matrix.data``; return ``matrix``.

        ``keep_q`` (S, m) is False at PV positions, whose reactive row becomes ``d|V| = dx``.
        """
        u, dk = self.unknown, self.diag_k
        tmp = v[:, self.rb] * np.conj(self.y[None, :] * v[:, self.cb])
        d_theta = -1j * tmp
        d_vm = tmp / vm[:, self.cb]
        vu = v[:, u]
        vi = vu * np.conj(ibus[:, u])
        d_theta[:, dk] += 1j * vi
        add = vi / vm[:, u]
        if s_i is not None:
            add = add - np.broadcast_to(s_i, v.shape)[:, u]
        if s_z is not None:
            add = add - 2.0 * np.broadcast_to(s_z, v.shape)[:, u] * vm[:, u]
        d_vm[:, dk] += add
        kq = keep_q[:, self.row_pos]
        q_theta = np.where(kq, d_theta.imag, 0.0)
        q_vm = np.where(kq, d_vm.imag, 0.0)
        q_vm[:, dk] += ~keep_q
        data = self.matrix.data.reshape(self.n_scen, 4 * self.nnz)
        data[:, self.dest[0]] = d_theta.real
        data[:, self.dest[1]] = q_theta
        data[:, self.dest[2]] = d_vm.real
        data[:, self.dest[3]] = q_vm
        return self.matrix


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


def _row(x: np.ndarray | None, r: int, v: np.ndarray) -> np.ndarray | None:
    """Row ``r`` of a ZIP part broadcast to ``v``'s shape, kept 2-D (or ``None``)."""
    return None if x is None else np.broadcast_to(x, v.shape)[r : r + 1]


def _factorise(matrix: Any, radial: bool) -> Any:
    import scipy.sparse.linalg as spla

    if radial:
        # Leaves first: no fill-in with diagonal pivots and no ordering step; the factors
        # have no supernodes worth relaxing, and narrow panels halve SuperLU's time here.
        return spla.splu(
            matrix,
            permc_spec="NATURAL",
            diag_pivot_thresh=0.1,
            relax=1,
            panel_size=2,
            options={"SymmetricMode": True},
        )
    return spla.splu(matrix, permc_spec="COLAMD")


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
    order: np.ndarray | None = None,
    chord: bool = True,
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
        Tolerance on the largest |dP| or |dQ| (pu) and the iteration limit (steps, chord
        steps included).
    order
        The non-slack buses leaves first (a radial network's elimination order without
        fill-in), or ``None`` to let COLAMD order a meshed network.
    chord
        Reuse the factors across steps while the mismatch contracts fast (see the module
        docstring); ``False`` refactorises the Jacobian at every step.
    """
    n_scen = v0.shape[0]
    unknown = np.asarray(nonslack if order is None else order, dtype=np.int64)
    m = len(unknown)
    u = unknown
    v = v0.astype(complex, copy=True)
    pv_u = pv_active[:, u]
    keep_q = ~pv_u  # Q equation rows that remain power equations
    vset_u = v_set[u][None, :]
    va = np.angle(v[:, u])
    vm_u = np.where(pv_u, vset_u, np.abs(v[:, u]))
    v[:, u] = vm_u * np.exp(1j * va)
    iterations = np.full(n_scen, max_iter, dtype=np.int64)
    done = np.zeros(n_scen, dtype=bool)
    singular = False

    def residual(v):
        vm, ibus, s_calc, spec = _injections(v, ybus, s_const, s_i, s_z)
        d = (s_calc - spec)[:, u]
        f = np.empty((n_scen, 2 * m))
        f[:, 0::2] = d.real
        f[:, 1::2] = np.where(keep_q, d.imag, vm[:, u] - vset_u)
        mis_q = np.where(keep_q, np.abs(d.imag), 0.0)
        mis = np.maximum(np.abs(d.real).max(axis=1, initial=0.0), mis_q.max(axis=1, initial=0.0))
        return vm, ibus, f, mis

    vm, ibus, f, mis = residual(v)
    newly = mis <= tol
    iterations[newly] = 0
    done |= newly
    k = 0
    n_fact = 0
    lu = None
    # Several scenarios with the same PV rows first share one Jacobian (one scenario's,
    # refactorised at the worst one when needed); if that contracts poorly, each scenario
    # gets its own block of a block-diagonal Jacobian.
    shared = chord and n_scen > 1 and bool((keep_q == keep_q[:1]).all())
    jacs: dict[bool, _Jacobian] = {}
    while not done.all() and k < max_iter and np.isfinite(mis).all():
        k += 1
        fresh = lu is None
        if fresh:
            jac = jacs.get(shared)
            if jac is None:
                jac = jacs[shared] = _Jacobian(ybus, unknown, 1 if shared else n_scen)
            if shared:
                r = int(np.argmax(np.where(done, -np.inf, mis)))
                at = slice(r, r + 1)
                mat = jac.fill(
                    v[at], vm[at], ibus[at], _row(s_i, r, v), _row(s_z, r, v), keep_q[at]
                )
            else:
                mat = jac.fill(v, vm, ibus, s_i, s_z, keep_q)
            try:
                lu = _factorise(mat, order is not None)
            except RuntimeError:
                singular = True
                break
            n_fact += 1
        if shared:
            dx = lu.solve(np.asfortranarray(-f.T)).T
        else:
            dx = lu.solve(-f.ravel()).reshape(n_scen, 2 * m)
        dx[done] = 0.0  # converged scenarios stay where they are
        new_va = va + dx[:, 0::2]
        new_vm = vm_u + dx[:, 1::2]
        v_new = v.copy()
        v_new[:, u] = new_vm * np.exp(1j * new_va)
        r_new = residual(v_new)
        act = ~done
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = float(np.max(r_new[3][act] / mis[act]))
        switched = shared and fresh and rate > _CHORD_RATE
        if switched:
            shared = False  # one Jacobian does not suit every scenario
            lu = None
            if not rate < 1.0:
                continue
        if not fresh and not rate < 1.0:
            lu = None  # the chord step did not help: undo it, take a Newton step instead
            continue
        va, vm_u, v = new_va, new_vm, v_new
        vm, ibus, f, mis = r_new
        newly = (mis <= tol) & ~done
        iterations[newly] = k
        done |= newly
        if not chord or switched:
            lu = None
        elif not fresh:
            worst = float(mis[~done].max(initial=tol))
            steps = np.log(tol / worst) / np.log(rate) if 0.0 < rate < 1.0 else np.inf
            if rate > _CHORD_RATE or steps > _CHORD_STEPS:
                lu = None
    spec = _injections(v, ybus, s_const, s_i, s_z)[3]
    return NewtonResult(
        v=v,
        converged=mis <= tol,
        iterations=np.where(done, iterations, k),
        mismatch=mis,
        pv_active=pv_active,
        s_spec=np.broadcast_to(spec, v.shape),
        singular=singular,
        factorisations=n_fact,
    )
