"""Topology of the array model: merged buses, islands, radiality and search orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gat_schemas.errors import InputError

__all__ = ["Topology", "analyse_topology", "preorder"]


@dataclass(frozen=True, eq=False)
class Topology:
    """What the kernels and the result tables need to know about connectivity.

    Attributes
    ----------
    node_bus
        Bus index of every node (nodes joined by closed zero-impedance switches share one).
    n_bus
        Number of buses.
    bus_island
        Island label of every bus (islands are connected by active branches).
    promoted
        Buses of islands without a slack node whose first source bus became the island's
        angle reference (treated as slack, holding its ``v_set``).
    is_radial
        True when every island's active branches form a tree (no loops, no parallel branches).
    switch_parent_node, switch_parent_branch
        Spanning forest of the merged (closed zero-impedance) switches: the parent node of
        every node and the branch joining it to its parent; ``-1`` at tree roots and at nodes
        touched by no merged switch.
    switch_levels
        Nodes that have a switch parent, grouped by depth (shallowest first).
    buses_are_nodes
        True when no nodes were merged (bus ``i`` is node ``i``).
    bus_graph
        Symmetric 0/1 CSR adjacency of the buses through active branches (reused for the
        sweep's search order).
    """

    node_bus: np.ndarray
    n_bus: int
    bus_island: np.ndarray
    promoted: np.ndarray
    is_radial: bool
    switch_parent_node: np.ndarray
    switch_parent_branch: np.ndarray
    switch_levels: tuple[np.ndarray, ...]
    buses_are_nodes: bool
    bus_graph: Any


def _graph(n: int, f: np.ndarray, t: np.ndarray):
    import scipy.sparse as sp

    data = np.ones(2 * len(f))
    return sp.csr_matrix((data, (np.concatenate([f, t]), np.concatenate([t, f]))), shape=(n, n))


def _components(n: int, f: np.ndarray, t: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the undirected graph with edges ``(f, t)`` on ``n`` vertices.

    Returns ``(count, label)``, labels numbered in the order of each component's smallest
    vertex (the numbering of ``scipy.sparse.csgraph.connected_components``). Uses the
    union-find of the validation's island check, so the sweep's path needs no
    ``scipy.sparse.csgraph`` (whose import pulls in ``scipy.sparse.linalg`` and
    ``scipy.linalg``).
    """
    from gat_schemas._graph import components

    root = components(n, f, t)  # the smallest vertex of each component; roots point at self
    is_root = root == np.arange(n)
    number = np.cumsum(is_root) - 1
    return int(is_root.sum()), number[root].astype(np.int64)


def preorder(graph: Any, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth-first preorder of a forest from ``roots``, without a per-vertex Python loop.

    Parameters
    ----------
    graph
        Symmetric CSR adjacency (``_graph``) of a forest: no cycles, no parallel edges.
    roots
        One root per tree to visit, in the order the trees are to be visited.

    Returns
    -------
    (order, parent)
        ``order``: the vertices reached, each tree in depth-first preorder, trees in
        ``roots`` order; ``parent``: parent vertex (-1 at roots and unreached vertices).

    Notes
    -----
    The order is the one ``scipy.sparse.csgraph.depth_first_order`` gives (from each root in
    turn; one search through a virtual vertex joined to every root for several): children
    are visited in the order of their entries in the parent's CSR row. It is computed in
    whole-array passes: a breadth-first search level by level records each vertex's parent,
    depth and CSR entry; subtree sizes are summed from the deepest level up; and each child
    is placed after its parent and the subtrees of the siblings that precede it in the row.
    """
    indptr = graph.indptr.astype(np.int64)
    indices = graph.indices.astype(np.int64)
    n = graph.shape[0]
    parent = np.full(n, -1, dtype=np.int64)
    entry = np.full(n, -1, dtype=np.int64)  # CSR position of the edge from the parent
    seen = np.zeros(n, dtype=bool)
    roots = np.asarray(roots, dtype=np.int64)
    seen[roots] = True
    levels = [roots]
    front = roots
    while len(front):
        begin = indptr[front]
        count = indptr[front + 1] - begin
        ends = np.cumsum(count)
        if len(ends) == 0 or ends[-1] == 0:
            break
        k = np.repeat(begin - (ends - count), count) + np.arange(ends[-1])  # CSR entries
        nb = indices[k]
        new = ~seen[nb]
        nb = nb[new]
        seen[nb] = True
        parent[nb] = np.repeat(front, count)[new]
        entry[nb] = k[new]
        levels.append(nb)
        front = nb
    size = np.ones(n, dtype=np.int64)
    for lvl in reversed(levels[1:]):
        np.add.at(size, parent[lvl], size[lvl])
    # Offset of each child after its parent: 1 + the subtrees of the siblings ahead of it
    # in the parent's CSR row (the rows are contiguous, so sorting by entry groups siblings).
    slot = np.full(len(indices), -1, dtype=np.int64)
    has = entry >= 0
    slot[entry[has]] = np.flatnonzero(has)
    kid = slot[slot >= 0]  # children in CSR entry order (each entry names one child)
    par = parent[kid]
    before = np.cumsum(size[kid]) - size[kid]
    first = np.r_[True, par[1:] != par[:-1]] if len(kid) else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(kid)), 0))
    offset = np.zeros(n, dtype=np.int64)
    offset[kid] = 1 + before - before[group_start]
    pos = np.full(n, -1, dtype=np.int64)
    pos[roots] = np.concatenate([[0], np.cumsum(size[roots])[:-1]])
    for lvl in levels[1:]:
        pos[lvl] = pos[parent[lvl]] + offset[lvl]
    reached = np.flatnonzero(pos >= 0)
    order = np.empty(len(reached), dtype=np.int64)
    order[pos[reached]] = reached
    return order, parent


def _forest_bfs(n: int, f: np.ndarray, t: np.ndarray, roots: np.ndarray):
    """Breadth-first search from several roots at once, through a virtual super-root.

    Returns ``(order, parent)``: vertices reached (roots first), parent vertex (-1 at roots
    and unreached vertices).
    """
    from scipy.sparse.csgraph import breadth_first_order

    sup = np.full(len(roots), n)
    g = _graph(n + 1, np.concatenate([f, sup]), np.concatenate([t, roots]))
    order, pred = breadth_first_order(g, n, directed=False, return_predecessors=True)
    parent = pred[:n].astype(np.int64)
    parent[(parent == n) | (parent < 0)] = -1
    return order[1:], parent


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every vertex of a forest given its parent array (pointer jumping).

    Invariant: ``dist[v]`` is the number of edges from ``v`` up to ``anc[v]`` (or to its
    root once ``anc[v] == -1``); each round doubles the span, so rounds = log2(depth).
    """
    dist = (parent >= 0).astype(np.int64)
    anc = parent.copy()
    live = anc >= 0
    while live.any():
        a = anc[live]
        new_dist = dist.copy()
        new_dist[live] += dist[a]
        new_anc = anc.copy()
        new_anc[live] = anc[a]
        dist, anc = new_dist, new_anc
        live = anc >= 0
    return dist


def analyse_topology(
    n: int,
    node_type: np.ndarray,
    f_node: np.ndarray,
    t_node: np.ndarray,
    active: np.ndarray,
    merged: np.ndarray,
    node_ids: np.ndarray,
) -> Topology:
    """Merge switch-joined nodes into buses, find islands, check sources, order the buses.

    Parameters
    ----------
    n
        Number of nodes.
    node_type
        Bus type code per node (0 PQ, 1 PV/source, 2 slack).
    f_node, t_node
        Node index of each branch end.
    active
        Branches in the Y-bus (closed, non-zero impedance).
    merged
        Closed zero-impedance switches (their ends become one bus).
    node_ids
        Node ids, for error messages.

    Raises
    ------
    gat_schemas.errors.InputError
        When an island holds neither a slack nor a source node.
    """
    mf, mt = f_node[merged], t_node[merged]
    if len(mf):
        n_bus, node_bus = _components(n, mf, mt)
    else:
        n_bus, node_bus = n, np.arange(n, dtype=np.int64)

    bf, bt = node_bus[f_node[active]], node_bus[t_node[active]]
    graph = _graph(n_bus, bf, bt)
    n_isl, bus_island = _components(n_bus, bf, bt)

    bus_type = np.zeros(n_bus, dtype=np.int8)
    np.maximum.at(bus_type, node_bus, node_type)
    isl_best = np.zeros(n_isl, dtype=np.int8)
    np.maximum.at(isl_best, bus_island, bus_type)
    if (isl_best == 0).any():
        dead = np.flatnonzero(isl_best == 0)
        ids = node_ids[np.isin(bus_island[node_bus], dead)]
        shown = ", ".join(str(i) for i in ids[:5]) + (" ..." if len(ids) > 5 else "")
        raise InputError(
            f"table dist_nodes: {len(dead)} island(s) hold no slack or source node "
            f"(nodes {shown}); connect them or open their branches' far ends"
        )
    # Islands fed only by source nodes: the first source bus becomes the angle reference.
    need = np.flatnonzero(isl_best == 1)
    promoted = np.zeros(0, dtype=np.int64)
    if len(need):
        cand = np.flatnonzero((bus_type == 1) & np.isin(bus_island, need))
        _, first = np.unique(bus_island[cand], return_index=True)
        promoted = cand[first]

    sw_roots = np.flatnonzero(np.isin(node_bus, np.unique(node_bus[mf]))) if len(mf) else mf
    sw_parent_node, sw_parent_branch, levels = _switch_forest(
        n, node_bus, f_node, t_node, np.flatnonzero(merged), sw_roots
    )
    return Topology(
        node_bus=node_bus,
        n_bus=int(n_bus),
        bus_island=bus_island.astype(np.int64),
        promoted=promoted,
        is_radial=bool(active.sum() == n_bus - n_isl),
        switch_parent_node=sw_parent_node,
        switch_parent_branch=sw_parent_branch,
        switch_levels=levels,
        buses_are_nodes=bool(n_bus == n and np.array_equal(node_bus, np.arange(n))),
        bus_graph=graph,
    )


def _switch_forest(
    n: int,
    node_bus: np.ndarray,
    f_node: np.ndarray,
    t_node: np.ndarray,
    sw: np.ndarray,
    members: np.ndarray,
):
    parent_node = np.full(n, -1, dtype=np.int64)
    parent_branch = np.full(n, -1, dtype=np.int64)
    if len(sw) == 0:
        return parent_node, parent_branch, ()
    # Root of each merged bus: its first member node.
    _, first = np.unique(node_bus[members], return_index=True)
    roots = members[first]
    _, parent = _forest_bfs(n, f_node[sw], t_node[sw], roots)
    child = np.flatnonzero(parent >= 0)
    parent_node[child] = parent[child]
    # The switch joining each child to its parent (any one of parallel switches).
    key_sw = np.minimum(f_node[sw], t_node[sw]) * n + np.maximum(f_node[sw], t_node[sw])
    key_ch = np.minimum(child, parent[child]) * n + np.maximum(child, parent[child])
    srt = np.argsort(key_sw, kind="stable")
    pos = np.searchsorted(key_sw[srt], key_ch)
    parent_branch[child] = sw[srt[pos]]
    depth = _depths(parent_node)
    levels = tuple(np.flatnonzero(depth == d) for d in range(1, int(depth.max()) + 1))
    return parent_node, parent_branch, levels
