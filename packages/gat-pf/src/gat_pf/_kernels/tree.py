"""Backward/forward sweep on a radial network, vectorised with an Euler tour (no loops).

Each bus except the island's slack (the root) has one parent branch, modelled as an ideal
transformer ``a`` in series with an impedance ``zeff``: ``v_c = a v_p - zeff j_c``, where
``j_c`` is the current the child's subtree draws through the branch; the parent then supplies
``conj(a) j_c``. Line charging and shunts are lagged current injections (their current at the
previous iterate), which is the classical sweep. With ``H`` the product of ``a`` along the path
from the root and the buses in depth-first preorder (so every subtree is a contiguous range
``[p, end_p)``):

* backward sweep: ``j_c = (1/conj(H_c)) * sum over the subtree of conj(H) * demand``, one
  cumulative sum and two gathers;
* forward sweep: ``v_c / H_c = v_root - sum over the root path of zeff j / H``, a root-path sum:
  with ``w = zeff j / H`` added at each position ``p`` and taken away again at ``end_p`` (a
  sparse 0/1 matrix product), the prefix sum in preorder is the root-path sum.

So one iteration is a fixed number of vector passes for any depth (two prefix sums, one gather,
one sparse product), and S scenarios are an ``(n, S)`` array with every pass down axis 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TreeSweep", "build_tree", "tree_sweep"]


@dataclass(frozen=True, eq=False)
class TreeSweep:
    """Precomputed tour of a radial network (positions = depth-first preorder).

    Attributes
    ----------
    order
        Bus at each position.
    end
        Exclusive end position of the subtree rooted at each position.
    leave
        Sparse complex 0/1 matrix (CSR, n x n) with a one at ``(end_p, p)`` for ``end_p < n``:
        ``w - leave @ w`` turns the prefix sum of ``w`` into a root-path sum.
    g, h
        ``conj(H)`` and ``H`` per position, or ``None`` when there are no transformers.
    zh
        ``zeff / H`` of each position's parent branch (0 at roots).
    hv0
        No-load voltage ``H v_root`` per position (pu).
    ysh
        Lagged shunt admittance per position (pu): node shunts, capacitors, line charging.
    root
        True at root (slack) positions.
    """

    order: np.ndarray
    end: np.ndarray
    leave: Any
    g: np.ndarray | None
    h: np.ndarray | None
    zh: np.ndarray
    hv0: np.ndarray
    ysh: np.ndarray
    root: np.ndarray


def _jump_product(parent: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Product of ``val`` along the path from each vertex up to its root (pointer jumping)."""
    val = val.copy()
    anc = parent.copy()
    live = anc >= 0
    while live.any():
        a = anc[live]
        new = val.copy()
        new[live] = val[live] * val[a]
        nanc = anc.copy()
        nanc[live] = anc[a]
        val, anc = new, nanc
        live = anc >= 0
    return val


def build_tree(
    order: np.ndarray,
    parent: np.ndarray,
    a: np.ndarray | None,
    zeff: np.ndarray,
    ysh: np.ndarray,
    v_set: np.ndarray,
) -> TreeSweep:
    """Precompute the tour.

    Parameters
    ----------
    order
        All buses in depth-first preorder of the forest (roots = slack buses).
    parent
        Parent bus of every bus (-1 at roots).
    a, zeff
        Complex ratio and series impedance (pu) of every bus's parent branch (ignored at
        roots); ``a`` is ``None`` when every ratio is 1 (no transformers).
    ysh
        Shunt admittance per bus, lagged in the sweep (pu).
    v_set
        Voltage per bus (pu, real or complex); only the roots' values are used.
    """
    import scipy.sparse as sp

    n = len(order)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    par = parent[order]
    root = par < 0
    par_pos = np.where(root, -1, pos[par])
    # Last descendant of each position: follow "last child" pointers to a leaf.
    last = np.arange(n)
    child = np.flatnonzero(~root)
    np.maximum.at(last, par_pos[child], child)
    while True:
        nxt = last[last]
        if np.array_equal(nxt, last):
            break
        last = nxt
    end = last + 1
    inner = np.flatnonzero(end < n)
    leave = sp.csr_matrix((np.ones(len(inner), dtype=complex), (end[inner], inner)), shape=(n, n))
    zh = zeff[order]
    zh[root] = 0.0
    # Root of each position: the last root at or before it in preorder.
    top = np.maximum.accumulate(np.where(root, np.arange(n), 0))
    hv0 = v_set[order[top]].astype(complex)
    h = g = None
    if a is not None:
        a_pos = a[order]
        a_pos[root] = 1.0
        if not np.all(a_pos == 1.0):
            h = _jump_product(par_pos, a_pos)
            g = np.conj(h)
            zh /= h
            hv0 *= h
    return TreeSweep(
        order=order,
        end=end,
        leave=leave,
        g=g,
        h=h,
        zh=zh,
        hv0=hv0,
        ysh=ysh[order].astype(complex),
        root=root,
    )


#: From this many scenarios on, prefix sums run as a loop over rows (positions): each step
#: adds two contiguous rows of S values, which beats numpy's strided accumulate down axis 0.
_WIDE = 64


def _prefix_sum(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``x`` (n, S) down axis 0 into ``out``."""
    if x.shape[1] < _WIDE or x.shape[0] < 2:
        return np.cumsum(x, axis=0, out=out)
    out[0] = x[0]
    add = np.add
    for i in range(1, x.shape[0]):
        add(out[i - 1], x[i], out=out[i])
    return out


def _current(v, sc_conj, si_conj, sz_conj, out, vm2):
    """Conjugate load current ``conj(S(v) / v)`` into ``out`` (pu), generation positive.

    ``conj(S / v) = conj(S) v / |v|^2``: products instead of complex division, which is
    several times slower in numpy. ``vm2`` is a real work array of ``v``'s shape.
    """
    parts = out.view(np.float64)
    np.square(v.view(np.float64), out=parts)
    np.add(out.real, out.imag, out=vm2)
    np.reciprocal(vm2, out=vm2)  # 1 / |v|^2
    s = sc_conj
    if si_conj is not None or sz_conj is not None:
        inv_vm = np.sqrt(vm2)
        if si_conj is not None:
            s = s + si_conj / inv_vm
        if sz_conj is not None:
            s = s + sz_conj / (inv_vm * inv_vm)
    np.multiply(v, s, out=out)
    np.multiply(out, vm2, out=out)
    return out


#: A scenario whose mismatch has not fallen 10 % below its best in this many iterations is
#: given up (not converged). The sweep is a fixed-point iteration: its mismatch shrinks by a
#: nearly constant factor per iteration once close, and converging within 500 iterations
#: from a mismatch of 1 pu to 1e-8 needs a factor below 0.964 (10 % in 3 iterations); a
#: scenario making less progress than 10 % in 30 iterations is oscillating or diverging.
STALL_ITERATIONS = 30
_PROGRESS = 0.9


def tree_sweep(
    tree: TreeSweep,
    s_const: np.ndarray,
    s_i: np.ndarray | None,
    s_z: np.ndarray | None,
    *,
    tol: float,
    max_iter: int,
):
    """Solve S radial power flows; injections (S, n) in tour positions (pu, generation +).

    Returns ``(v, converged, iterations, mismatch)`` with ``v`` (n, S) in tour positions (the
    transpose of the inputs' layout). The mismatch is the largest |dP| or |dQ| per scenario
    at non-root positions (pu). A scenario's ``iterations`` is the first iteration at which
    its mismatch met ``tol``; for one that did not converge, the iteration it stopped at.

    Scenarios are iterated together until every one has converged (a converged one goes on
    with the others, as it always did). A scenario whose mismatch is not finite, or has not
    fallen 10 % below its best in :data:`STALL_ITERATIONS` iterations, is given up (not
    converged) and leaves the batch at once; the others go on as if it had never been there
    (every pass works column by column). So one diverging scenario (a hosting-capacity trial
    far beyond the capacity) no longer keeps the whole batch iterating to ``max_iter``, nor
    stops the others before they converge when its mismatch overflows.

    Internally arrays are (n, S): gathers then move whole rows and the prefix sums run down
    axis 0 over contiguous rows, which is what makes wide batches fast. Work arrays are
    allocated once, and again when given-up scenarios leave the batch.
    """
    n_s = max(x.shape[0] for x in (s_const, s_i, s_z) if x is not None)
    n = len(tree.order)

    def col(x):
        return None if x is None else np.ascontiguousarray(np.conj(x).T)

    sc_conj, si_conj, sz_conj = col(s_const), col(s_i), col(s_z)
    g = None if tree.g is None else tree.g[:, None]
    h = None if tree.h is None else tree.h[:, None]
    ysh, zh, hv0 = tree.ysh[:, None], tree.zh[:, None], tree.hv0[:, None]

    def work(width: int):
        shape = (n, width)
        arrays = tuple(np.empty(shape, dtype=complex) for _ in range(3))
        return (*arrays, np.zeros((n + 1, width), dtype=complex), np.empty(shape))

    v = np.repeat(hv0, n_s, axis=1)
    d = np.empty((n, n_s), dtype=complex)
    v_new, inj, d_new, csum, vm2 = work(n_s)
    # Demand of every position: lagged shunt current minus load current (pu).
    _current(v, sc_conj, si_conj, sz_conj, inj, vm2)
    np.multiply(ysh, v, out=d)
    d -= inj
    iterations = np.full(n_s, max_iter, dtype=np.int64)
    done = np.zeros(n_s, dtype=bool)
    mis = np.full(n_s, np.inf)
    # Scenarios still in the batch (columns of the work arrays) and the answers of those
    # given up.
    cols = np.arange(n_s)
    v_out = np.empty((n, n_s), dtype=complex)
    mis_out = np.full(n_s, np.inf)
    best, best_at = np.full(n_s, np.inf), np.zeros(n_s, dtype=np.int64)
    end, leave = tree.end, tree.leave
    for k in range(1, max_iter + 1):
        # Backward sweep: branch currents are subtree sums of the demand.
        _prefix_sum(d if g is None else d * g, csum[1:])
        w = csum[end]  # (numpy's take with out= is several times slower)
        w -= csum[:-1]
        if g is not None:
            w /= g
        w *= zh
        # Forward sweep: voltage drops summed along the root path.
        e = leave @ w
        np.subtract(w, e, out=e)
        u = _prefix_sum(e, w)
        if h is not None:
            u *= h
        np.subtract(hv0, u, out=v_new)
        _current(v_new, sc_conj, si_conj, sz_conj, inj, vm2)
        np.multiply(ysh, v_new, out=d_new)
        d_new -= inj
        # S_calc - S_spec at v_new: v_new conj(demand at v_new - demand the sweep used).
        np.subtract(d_new, d, out=w)
        np.conjugate(w, out=w)
        w *= v_new
        parts = w.view(np.float64)
        np.abs(parts, out=parts)
        if len(cols) == 1:  # one contiguous reduction; down axis 0 it would be a strided one
            mis = parts.max(initial=0.0, keepdims=True)[0]
        else:
            mis = parts.max(axis=0, initial=0.0).reshape(len(cols), 2).max(axis=1)
        v, v_new = v_new, v
        d, d_new = d_new, d
        newly = (mis <= tol) & ~done
        iterations[cols[newly]] = k
        done |= newly
        if done.all():
            break
        with np.errstate(invalid="ignore"):
            better = mis < _PROGRESS * best
        best, best_at = np.where(better, mis, best), np.where(better, k, best_at)
        quit_ = ~done & (~np.isfinite(mis) | (k - best_at >= STALL_ITERATIONS))
        if quit_.any():
            gone = cols[quit_]
            v_out[:, gone], mis_out[gone], iterations[gone] = v[:, quit_], mis[quit_], k
            keep = ~quit_
            cols, done, mis, best, best_at = (x[keep] for x in (cols, done, mis, best, best_at))
            v, d = np.ascontiguousarray(v[:, keep]), np.ascontiguousarray(d[:, keep])
            if done.all():  # also when none is left
                break
            sc_conj, si_conj, sz_conj = (
                x if x is None or x.shape[1] == 1 else np.ascontiguousarray(x[:, keep])
                for x in (sc_conj, si_conj, sz_conj)
            )
            v_new, inj, d_new, csum, vm2 = work(len(cols))
    v_out[:, cols], mis_out[cols] = v, mis
    return v_out, mis_out <= tol, iterations, mis_out
