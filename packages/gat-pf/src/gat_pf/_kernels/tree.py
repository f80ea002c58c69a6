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
* forward sweep: ``v_c / H_c = v_root - sum over the root path of zeff j / H``, a root-path sum
  computed as (cumsum in preorder) - (cumsum of the subtrees already closed), again one pass.

So one iteration is a fixed number of vector passes for any depth, and S scenarios are an
``(S, n)`` array with every pass along axis 1.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    endsort, closed
        Positions sorted by ``end``, and for each position ``p`` the number of positions whose
        subtree ends at or before ``p`` (both for the root-path sum).
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
    endsort: np.ndarray
    closed: np.ndarray
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
    endsort = np.argsort(end, kind="stable")
    closed = np.cumsum(np.bincount(end, minlength=n + 1))[:n]
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
        endsort=endsort,
        closed=closed,
        g=g,
        h=h,
        zh=zh,
        hv0=hv0,
        ysh=ysh[order].astype(complex),
        root=root,
    )


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

    Returns ``(v, converged, iterations, mismatch)`` with ``v`` (S, n) in tour positions. The
    mismatch is the largest |dP| or |dQ| per scenario at non-root positions (pu).

    Internally arrays are (n, S): gathers then move whole rows and the cumulative sums run
    down axis 0 over contiguous rows, which is what makes wide batches fast.
    """
    n_s = max(x.shape[0] for x in (s_const, s_i, s_z) if x is not None)
    n = len(tree.order)

    def col(x):
        return None if x is None else np.ascontiguousarray(np.conj(x).T)

    sc_conj, si_conj, sz_conj = col(s_const), col(s_i), col(s_z)
    zip_ = si_conj is not None or sz_conj is not None

    def inj_current(v):
        # conj(S / v) = conj(S) v / |v|^2: avoids complex division, which is several times
        # slower than multiplication in numpy.
        vm2 = v.real * v.real
        vm2 += v.imag * v.imag
        np.reciprocal(vm2, out=vm2)
        s = sc_conj
        if zip_:
            vm = np.sqrt(vm2)  # 1 / |v|
            if si_conj is not None:
                s = s + si_conj / vm
            if sz_conj is not None:
                s = s + sz_conj / (vm * vm)
        out = v * vm2
        out *= s
        return out

    g = None if tree.g is None else tree.g[:, None]
    h = None if tree.h is None else tree.h[:, None]
    ysh, zh, hv0 = tree.ysh[:, None], tree.zh[:, None], tree.hv0[:, None]
    v = np.repeat(hv0, n_s, axis=1)
    inj = np.broadcast_to(inj_current(v), (n, n_s))
    iterations = np.full(n_s, max_iter, dtype=np.int64)
    done = np.zeros(n_s, dtype=bool)
    mis = np.full(n_s, np.inf)
    csum = np.zeros((n + 1, n_s), dtype=complex)
    end, endsort, closed = tree.end, tree.endsort, tree.closed
    for k in range(1, max_iter + 1):
        d = ysh * v
        d -= inj
        if g is not None:
            d *= g
        np.cumsum(d, axis=0, out=csum[1:])
        j = np.take(csum, end, axis=0)
        j -= csum[:-1]
        if g is not None:
            j /= g
        j *= zh
        c1 = np.cumsum(j, axis=0)
        np.cumsum(np.take(j, endsort, axis=0), axis=0, out=csum[1:])
        c1 -= np.take(csum, closed, axis=0)
        if h is not None:
            c1 *= h
        v_new = hv0 - c1
        inj_new = inj_current(v_new)
        # S_calc - S_spec at v_new: v_new conj(inj_old - inj_new + ysh (v_new - v_old)).
        diff = v_new - v
        diff *= ysh
        diff += inj
        diff -= inj_new
        np.conjugate(diff, out=diff)
        diff *= v_new
        mis = np.abs(diff.view(np.float64)).reshape(n, n_s, 2).max(axis=(0, 2))
        v, inj = v_new, inj_new
        newly = (mis <= tol) & ~done
        iterations[newly] = k
        done |= newly
        if done.all() or not np.isfinite(mis).all():
            break
    return np.ascontiguousarray(v.T), mis <= tol, iterations, mis
