"""Batched backward/forward sweep over many radial configurations at once (balanced).

Every configuration has its own tree, so the matrix form of the sweep (one factorised
incidence matrix) does not batch across them. Instead the sweep runs depth level by depth
level: level ``d`` handles the nodes at depth ``d`` of every (configuration, scenario) pair
in one vectorised operation (the backward sweep sums siblings with one ``reduceat``), so a
batch of M pairs costs a few numpy operations per level whatever M is.

Branch model (the balanced contract): series impedance ``z = r + jx`` with an ideal ratio
``tap`` at the from end (``V_f / tap`` drives the series current) and total charging ``b``
split between the ends. When the parent of node ``n`` is the from end the child voltage
is ``V_p / tap - z J_n``; when it is the to end, ``tap V_p - tap^2 z J_n``; in both cases
the parent draws ``alpha J_n`` with ``alpha`` the voltage ratio. Loads are constant power
(consumption positive), the same as the balanced power flow's PQ nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SweepResult", "sweep_batch"]


@dataclass(frozen=True, eq=False)
class SweepResult:
    """M = C * S solutions (configuration-major: pair ``c * S + s``).

    Attributes
    ----------
    v
        (M, N) complex node voltages (pu).
    converged
        (M,) bool.
    iterations
        Sweeps done (the most any pair needed).
    loss_pu
        (M,) active losses (pu on the power base).
    loading
        (M,) highest branch loading (larger-end apparent power over the rating, a fraction;
        NaN when no closed branch is rated).
    """

    v: np.ndarray
    converged: np.ndarray
    iterations: int
    loss_pu: np.ndarray
    loading: np.ndarray


@dataclass(frozen=True, eq=False)
class _Level:
    """The (pair, node) entries at one depth, sorted by parent: flat node and parent
    indices into (M', N) arrays, their positions in the (M', steps) coefficient arrays, and
    the start of each parent's group with its flat index (for one reduceat per level)."""

    node: np.ndarray
    parent: np.ndarray
    pos: np.ndarray
    starts: np.ndarray
    parents: np.ndarray


def _levels(nk: np.ndarray, pk: np.ndarray, dep: np.ndarray, n: int) -> list[_Level]:
    ma = nk.shape[0]
    off = (np.arange(ma) * n)[:, None]
    node = (nk + off).ravel()
    parent = (pk + off).ravel()
    d = dep.ravel()
    order = np.lexsort((parent, d))
    node, parent, d = node[order], parent[order], d[order]
    bounds = np.flatnonzero(np.diff(d)) + 1
    out = []
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(d)], strict=True):
        par = parent[lo:hi]
        starts = np.r_[0, np.flatnonzero(np.diff(par)) + 1]
        out.append(_Level(node[lo:hi], par, order[lo:hi], starts, par[starts]))
    return out


def sweep_batch(
    *,
    parent: np.ndarray,
    pedge: np.ndarray,
    depth: np.ndarray,
    closed: np.ndarray,
    f: np.ndarray,
    t: np.ndarray,
    z: np.ndarray,
    b: np.ndarray,
    tap: np.ndarray,
    rating: np.ndarray,
    is_slack: np.ndarray,
    v_slack: np.ndarray,
    y_node: np.ndarray,
    s_load: np.ndarray,
    tol: float = 1e-10,
    max_iter: int = 60,
    v_collapse: float = 0.3,
) -> SweepResult:
    """Solve every radial configuration for every load scenario.

    Parameters
    ----------
    parent, pedge, depth
        (C, N) trees from :func:`gat_adms.reconfig.topology.orient` (all radial).
    closed
        (C, E) closed edges (for line charging).
    f, t, z, b, tap, rating
        (E,) edge ends, series impedance (pu), total charging (pu), ratio, rating (pu, NaN
        unrated).
    is_slack, v_slack
        (N,) slack nodes and their complex voltage (pu; other entries ignored).
    y_node
        (N,) complex node shunt admittance (pu; draws ``y V``).
    s_load
        (S, N) complex net load per scenario (pu, consumption positive).
    tol, max_iter
        Largest voltage change (pu) between sweeps at convergence, and sweep limit.
    v_collapse
        A pair whose lowest voltage falls below this (pu) stops iterating, not converged:
        its load cannot be carried through that tree (voltage collapse; Newton-Raphson
        fails on the same configurations).
    """
    c, n = parent.shape
    s = s_load.shape[0]
    m = c * s
    order = np.argsort(np.where(depth < 0, n, depth), axis=1, kind="stable")
    n_slack = int(is_slack.sum())
    rows = np.arange(c)[:, None]
    node_k = order[:, n_slack:]  # (C, N - n_slack) non-slack nodes by depth
    dep_k = depth[rows, node_k]
    par_k = parent[rows, node_k]
    edge_k = pedge[rows, node_k]
    fwd = f[edge_k] == par_k  # parent is the from end
    a = tap[edge_k]
    alpha = np.where(fwd, 1.0 / a, a)
    zeff = np.where(fwd, z[edge_k], a * a * z[edge_k])
    # Charging: b/2 at both ends of every closed edge.
    ysh = np.broadcast_to(np.asarray(y_node, complex), (c, n)).copy()
    half = 0.5j * b
    cc, ee = np.nonzero(closed & (b != 0)[None, :])
    np.add.at(ysh, (cc, f[ee]), half[ee])
    np.add.at(ysh, (cc, t[ee]), half[ee])

    # Expand to M pairs. Each sweep works on the pairs still iterating (converged ones
    # and collapsed ones, |V| < v_collapse, leave the batch), with flat indices into their
    # (M', N) arrays, one column per depth position.
    cm = np.repeat(np.arange(c), s)
    sm = np.tile(np.arange(s), c)
    nk_all, pk_all, dep_all = node_k[cm], par_k[cm], dep_k[cm]
    al_all, ze_all = alpha[cm], zeff[cm]
    load_all = s_load[sm]
    ysh_all = ysh[cm]
    v0 = np.where(is_slack, v_slack, v_slack[is_slack][0] if n_slack else 1.0)
    v_all = np.broadcast_to(v0, (m, n)).astype(complex).copy()
    j_all = np.zeros((m, n), complex)
    converged = np.zeros(m, bool)
    active = np.arange(m)
    it = 0
    while len(active) and it < max_iter:
        ma = len(active)
        levels = _levels(nk_all[active], pk_all[active], dep_all[active], n)
        al_f = al_all[active].ravel()
        ze_f = ze_all[active].ravel()
        load, ysh_m, v = load_all[active], ysh_all[active], v_all[active]
        done = np.zeros(ma, bool)
        for _ in range(8):  # sweeps between compactions
            it += 1
            jflat = (np.conj(load / v) + ysh_m * v).ravel()
            for lv in reversed(levels):  # deepest level first: children before parents
                vals = al_f[lv.pos] * jflat[lv.node]
                jflat[lv.parents] += np.add.reduceat(vals, lv.starts)
            vflat = v.ravel().copy()
            for lv in levels:  # shallowest first: parents before children
                vflat[lv.node] = al_f[lv.pos] * vflat[lv.parent] - ze_f[lv.pos] * jflat[lv.node]
            v_new = vflat.reshape(ma, n)
            change = np.abs(v_new - v).max(axis=1)
            v = v_new
            conv = change < tol
            collapsed = np.abs(v).min(axis=1) < v_collapse
            done = conv | collapsed
            if done.all() or it >= max_iter:
                break
        v_all[active] = v
        j_all[active] = jflat.reshape(ma, n)
        converged[active[conv & ~collapsed]] = True
        active = active[~done]
    v = v_all
    load = load_all
    p_in = (v[:, is_slack] * np.conj(j_all[:, is_slack])).real.sum(axis=1)
    # Losses are in the branches: node shunt conductance consumes, it does not lose.
    loss = p_in - load.real.sum(axis=1) - (np.abs(v) ** 2) @ np.asarray(y_node, complex).real
    # Branch loading at both ends, per non-slack node's parent edge.
    rows_m = np.arange(m)[:, None]
    jn = j_all[rows_m, nk_all]  # (M, steps)
    vn = v[rows_m, nk_all]
    vp = v[rows_m, pk_all]
    alm = al_all
    s_end = np.maximum(np.abs(vn * np.conj(jn)), np.abs(vp * np.conj(alm * jn)))
    rate = rating[edge_k][cm]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.isfinite(rate) & (rate > 0), s_end / rate, np.nan)
    loading = np.full(m, np.nan)
    has = np.isfinite(ratio).any(axis=1)
    loading[has] = np.nanmax(ratio[has], axis=1)
    return SweepResult(v=v, converged=converged, iterations=it, loss_pu=loss, loading=loading)
