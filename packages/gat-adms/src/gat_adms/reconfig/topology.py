"""Radial configurations as arrays: orientation, enumeration, branch exchange.

A configuration is an (E,) boolean vector of closed edges. It is *radial and complete*
when every node is connected to exactly one slack through closed edges: with
``N - n_slack`` closed edges and every node reached from a slack, each connected part is a
tree holding one slack (a part with ``k`` slacks and no cycle would need fewer edges).
A part fed only by DER is never accepted: reaching is from slack nodes only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import comb

import numpy as np

from gat_schemas.errors import InputError

from .grid import ReconfigGrid

__all__ = ["Trees", "enumerate_radial", "exchange_neighbours", "orient", "radial_count_bound"]


@dataclass(frozen=True, eq=False)
class Trees:
    """C configurations oriented from their slacks.

    Attributes
    ----------
    closed
        (C, E) closed edges.
    ok
        (C,) radial with every node fed by exactly one slack.
    parent
        (C, N) parent node (-1 at slacks and unreached nodes).
    pedge
        (C, N) edge to the parent (-1 at slacks and unreached nodes).
    depth
        (C, N) edges from the slack (-1 unreached).
    """

    closed: np.ndarray
    ok: np.ndarray
    parent: np.ndarray
    pedge: np.ndarray
    depth: np.ndarray


def orient(grid: ReconfigGrid, closed: np.ndarray) -> Trees:
    """Orient C configurations from the slack nodes, all at once (vectorised over C).

    Parameters
    ----------
    grid
        The array model.
    closed
        (C, E) bool closed edges.
    """
    closed = np.atleast_2d(np.asarray(closed, bool))
    c, n = closed.shape[0], grid.n_node
    if n > VECTOR_NODES:
        return _orient_each(grid, closed)
    f, t = grid.f, grid.t
    reached = np.broadcast_to(grid.is_slack, (c, n)).copy()
    parent = np.full((c, n), -1, np.int64)
    pedge = np.full((c, n), -1, np.int64)
    depth = np.where(reached, 0, -1).astype(np.int64)
    for step in range(1, n + 1):
        rf = reached[:, f]
        rt = reached[:, t]
        down = closed & rf & ~rt  # f reached, t not: t's parent is f
        up = closed & rt & ~rf
        if not (down.any() or up.any()):
            break
        for mask, src, dst in ((down, f, t), (up, t, f)):
            ci, ei = np.nonzero(mask)
            if len(ci):
                node = dst[ei]
                parent[ci, node] = src[ei]
                pedge[ci, node] = ei
                depth[ci, node] = step
        reached = depth >= 0
    n_slack = int(grid.is_slack.sum())
    ok = reached.all(axis=1) & (closed.sum(axis=1) == n - n_slack)
    return Trees(closed=closed, ok=ok, parent=parent, pedge=pedge, depth=depth)


#: Above this many nodes :func:`orient` searches each configuration with scipy's breadth-
#: first search instead of stepping all of them together (N vectorised steps of (C, E)).
VECTOR_NODES = 200


def _orient_each(grid: ReconfigGrid, closed: np.ndarray) -> Trees:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    c, n = closed.shape[0], grid.n_node
    slack = np.flatnonzero(grid.is_slack)
    parent = np.full((c, n), -1, np.int64)
    pedge = np.full((c, n), -1, np.int64)
    depth = np.full((c, n), -1, np.int64)
    ok = np.zeros(c, bool)
    n_slack = len(slack)
    # A virtual root (index n) joined to every slack node, so one search covers all feeders.
    root_f = np.full(n_slack, n)
    for i in range(c):
        e = np.flatnonzero(closed[i])
        rows = np.r_[grid.f[e], grid.t[e], root_f, slack]
        cols = np.r_[grid.t[e], grid.f[e], slack, root_f]
        data = np.r_[e, e, np.full(2 * n_slack, -1)] + 2  # edge index + 2 (0 means none)
        adj = sp.csr_matrix((data, (rows, cols)), shape=(n + 1, n + 1))
        order, pred = breadth_first_order(adj, n, directed=False, return_predecessors=True)
        reached = order[order < n]
        if len(reached) < n or len(e) != n - n_slack:
            continue
        ok[i] = True
        nodes = reached[~grid.is_slack[reached]]
        par = pred[nodes]
        parent[i, nodes] = par
        pedge[i, nodes] = np.asarray(adj[par, nodes]).ravel() - 2
        d = np.zeros(n + 1, np.int64)
        d[n] = -1
        for v in order[1:].tolist():
            d[v] = d[pred[v]] + 1
        depth[i] = d[:n]
    return Trees(closed=closed, ok=ok, parent=parent, pedge=pedge, depth=depth)


def _loop_edges(grid: ReconfigGrid) -> np.ndarray:
    """Switchable edges that lie on a cycle of the graph of all edges (the others are bridges:
    opening one cuts nodes off, so every complete radial configuration keeps it closed)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n, e = grid.n_node, grid.n_edge
    out = np.zeros(e, bool)
    base_components = connected_components(
        sp.coo_matrix((np.ones(e), (grid.f, grid.t)), shape=(n, n)), directed=False
    )[0]
    for k in np.flatnonzero(grid.switchable).tolist():
        keep = np.arange(e) != k
        adj = sp.coo_matrix((np.ones(e - 1), (grid.f[keep], grid.t[keep])), shape=(n, n))
        out[k] = connected_components(adj, directed=False)[0] == base_components
    return out


def radial_count_bound(grid: ReconfigGrid) -> tuple[int, int, int]:
    """(edges that may open, edges to open, combinations to test) for :func:`enumerate_radial`."""
    n_slack = int(grid.is_slack.sum())
    fixed_open = ~grid.switchable & ~grid.closed0
    to_open = grid.n_edge - int(fixed_open.sum()) - (grid.n_node - n_slack)
    loop = _loop_edges(grid)
    return int(loop.sum()), int(to_open), comb(int(loop.sum()), max(int(to_open), 0))


def enumerate_radial(
    grid: ReconfigGrid, *, max_configurations: int = 2_000_000, chunk: int = 20_000
) -> np.ndarray:
    """Every radial configuration that feeds every node from exactly one slack.

    Open ``k = E - (N - n_slack)`` edges among the switchable edges on cycles (bridges
    stay closed); each combination is checked by :func:`orient`, in chunks.

    Returns
    -------
    numpy.ndarray
        (C, E) bool closed edges, in lexicographic order of the opened edges.

    Raises
    ------
    gat_schemas.errors.InputError
        More than ``max_configurations`` combinations to test, or none radial.
    """
    n_loop, k, total = radial_count_bound(grid)
    if k < 0:
        raise InputError("reconfiguration: fewer closable branches than a tree needs")
    if total > max_configurations:
        raise InputError(
            f"exhaustive reconfiguration: {total:,} combinations of {k} open branches among "
            f"{n_loop} to test (limit {max_configurations:,}); use --method milp"
        )
    loop = np.flatnonzero(_loop_edges(grid))
    base = grid.closed0 | grid.switchable  # every edge that can be closed
    found = []
    combos = itertools.combinations(loop.tolist(), k)
    while True:
        block = np.array(list(itertools.islice(combos, chunk)), dtype=np.int64).reshape(-1, k)
        if not len(block):
            break
        closed = np.broadcast_to(base, (len(block), grid.n_edge)).copy()
        rows = np.repeat(np.arange(len(block)), k)
        closed[rows, block.ravel()] = False
        trees = orient(grid, closed)
        found.append(closed[trees.ok])
    out = np.concatenate(found) if found else np.zeros((0, grid.n_edge), bool)
    if not len(out):
        raise InputError("reconfiguration: no radial configuration feeds every node")
    return out


def exchange_neighbours(
    grid: ReconfigGrid,
    trees: Trees,
    index: int,
    *,
    start: np.ndarray,
    max_ops: int | None,
    nearest: bool = False,
) -> np.ndarray:
    """Branch exchanges of configuration ``index``: close one open switchable edge, open one
    switchable edge of the loop it closes.

    Parameters
    ----------
    start
        (E,) the present state (switch operations are counted from it).
    max_ops
        Most edges whose state differs from ``start``; ``None`` = no limit.
    nearest
        Only the switchable edge nearest to the closed one on each side of the loop (the
        open point moves one switch either way), instead of every switchable loop edge.

    Returns
    -------
    numpy.ndarray
        (K, E) bool closed edges of the neighbours (each radial and complete).
    """
    closed = trees.closed[index]
    parent, pedge, depth = trees.parent[index], trees.pedge[index], trees.depth[index]
    out = []
    for e in np.flatnonzero(~closed & grid.switchable).tolist():
        u, v = int(grid.f[e]), int(grid.t[e])
        side_u: list[int] = []
        side_v: list[int] = []
        while u != v:
            # Walk the deeper end up until the two meet (or both reach different slacks).
            if depth[u] >= depth[v]:
                if parent[u] < 0:
                    break
                side_u.append(int(pedge[u]))
                u = int(parent[u])
            else:
                if parent[v] < 0:
                    break
                side_v.append(int(pedge[v]))
                v = int(parent[v])
        if u != v:  # different slacks: the path runs through both feeders' heads
            while parent[u] >= 0:
                side_u.append(int(pedge[u]))
                u = int(parent[u])
            while parent[v] >= 0:
                side_v.append(int(pedge[v]))
                v = int(parent[v])
        sides = [[d for d in side if grid.switchable[d]] for side in (side_u, side_v)]
        if nearest:
            sides = [side[:1] for side in sides]
        for d in sides[0] + sides[1]:
            new = closed.copy()
            new[e] = True
            new[d] = False
            out.append(new)
    if not out:
        return np.zeros((0, grid.n_edge), bool)
    cand = np.array(out)
    if max_ops is not None:
        cand = cand[(cand != start).sum(axis=1) <= max_ops]
    return cand
