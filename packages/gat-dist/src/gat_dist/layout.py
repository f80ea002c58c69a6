"""Where to draw a feeder: node coordinates, distance from the source, branch segments.

:func:`feeder_layout` gives one row per node of ``dist_nodes``: drawing coordinates and
the distance from the feeder source along the closed network (km). :func:`feeder_segments`
gives one row per branch of ``dist_branches``: the coordinates of both ends, whether the
branch is open and whether it is a switch or a tie. Plots (``gat plot``) and the terminal
UI (``gat tui``) draw from these two tables; no calculation uses them.

Coordinates come from the data (``dist_nodes`` ``x``, ``y``: the OpenDSS importer fills
them from ``BusCoords``) when at least half of the nodes have them; nodes without them are
then placed beside their parent. Otherwise every node gets a computed tree layout (see
:func:`feeder_layout`). Results are cached in memory by a digest of the tables they depend
on; nothing is ever written to the network folder.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd

from gat_schemas import Network

__all__ = ["LINE_OHM_PER_KM", "SOURCE_PREFIX", "feeder_layout", "feeder_segments", "layout_digest"]

#: Series resistance (ohm/km) that turns a line without ``length_km`` into a length for
#: ``distance_km`` (a typical overhead distribution conductor; the dataset generator uses the
#: same figure). Such distances are flagged ``distance_estimated``.
LINE_OHM_PER_KM = 0.35

#: Branch id prefix of a source's Thevenin equivalent (the OpenDSS importer writes
#: ``Vsource.source`` with a nominal 1 km length): not feeder, so it counts 0 km.
SOURCE_PREFIX = "Vsource."

#: Share of nodes that must carry ``x``, ``y`` for the data coordinates to be used.
_DATA_SHARE = 0.5

_CACHE_SIZE = 8
_cache: OrderedDict[tuple[str, str], pd.DataFrame] = OrderedDict()


def layout_digest(network: Network) -> str:
    """Digest of the tables a layout depends on (nodes, branches, switches).

    Parameters
    ----------
    network
        The network.

    Returns
    -------
    str
        Hex digest; equal networks (same rows, same values) give equal digests.
    """
    h = hashlib.sha256()
    for name in ("dist_nodes", "dist_branches", "dist_switches", "switching_devices"):
        table = network.table(name)
        h.update(name.encode())
        if table is None:
            continue
        h.update(",".join(map(str, table.columns)).encode())
        h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _cached(key: tuple[str, str]) -> pd.DataFrame | None:
    hit = _cache.get(key)
    if hit is None:
        return None
    _cache.move_to_end(key)
    return hit.copy()


def _store(key: tuple[str, str], frame: pd.DataFrame) -> pd.DataFrame:
    _cache[key] = frame
    _cache.move_to_end(key)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return frame.copy()


def _float_column(table: pd.DataFrame, name: str) -> np.ndarray:
    if name not in table.columns:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)


def _branch_lengths(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Length (km) of every branch and whether it was estimated.

    ``length_km`` where given; a line without it: ``R / LINE_OHM_PER_KM`` (R in ohm from
    the per-unit ``r`` and the from node's impedance base); a transformer or switch
    without it: 0 km (not flagged: such equipment has no length to speak of); a source's
    Thevenin equivalent (``SOURCE_PREFIX``): 0 km.
    """
    nodes, br = network.nodes, network.branches
    given = _float_column(br, "length_km")
    kv = nodes.set_index("node_id")["base_kv"].astype(float) if "base_kv" in nodes else None
    if kv is None:
        z_base = np.full(len(br), np.nan)
    else:
        z_base = kv.reindex(br["from_node"].to_numpy()).to_numpy() ** 2 / float(network.base_mva)
    r = _float_column(br, "r")
    estimate = np.abs(r) * z_base / LINE_OHM_PER_KM
    kind = (
        br["branch_type"].to_numpy(dtype=object)
        if "branch_type" in br.columns
        else np.full(len(br), "line", dtype=object)
    )
    is_line = kind == "line"
    source = br["branch_id"].astype(str).str.startswith(SOURCE_PREFIX).to_numpy()
    given = np.where(source, 0.0, given)
    missing = np.isnan(given)
    estimate = np.where(is_line, np.nan_to_num(estimate, nan=0.0), 0.0)
    return np.where(missing, estimate, given), missing & is_line


def _bfs(n: int, a: np.ndarray, b: np.ndarray, slack: np.ndarray) -> tuple[np.ndarray, ...]:
    """Breadth-first forest of the graph (edges a[k]-b[k] both ways listed) from the slack
    nodes, then from the first unreached node of each island without one.

    Node ``n`` is a virtual root whose children are those island roots. Plain Python over
    adjacency lists (no scipy: ``gat plot`` starts faster without it); one pass.

    Returns
    -------
    tuple of numpy.ndarray
        ``order`` (n+1,) nodes in visiting order (the virtual root first) and ``parent``
        (n+1,) the node each was reached from (-1 for the virtual root).
    """
    by = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    ptr, nbr = indptr.tolist(), b[by].tolist()
    parent = [-1] * (n + 1)
    seen = [False] * (n + 1)
    seen[n] = True
    order = [n]

    def grow(roots: list[int]) -> None:
        head = len(order)
        for r in roots:
            if not seen[r]:
                seen[r] = True
                parent[r] = n
                order.append(r)
        while head < len(order):
            u = order[head]
            head += 1
            for w in nbr[ptr[u] : ptr[u + 1]]:
                if not seen[w]:
                    seen[w] = True
                    parent[w] = u
                    order.append(w)

    grow([int(s) for s in slack])
    for i in range(n):
        if not seen[i]:
            grow([i])
    return np.asarray(order, dtype=np.int64), np.asarray(parent, dtype=np.int64)


class _Tree:
    """A spanning forest of the closed network, rooted at the slack nodes.

    Node N is a virtual root joining every island's root, so the forest is one tree.
    ``parent`` (N+1,) int (-1 for the virtual root), ``parent_branch`` (N+1,) int row of
    ``dist_branches`` (-1 for roots), ``depth`` (N+1,) int hops from the virtual root,
    ``order`` breadth-first order (parents before children, the virtual root first).
    """

    def __init__(self, network: Network) -> None:
        nodes, br = network.nodes, network.branches
        n = len(nodes)
        ids = nodes["node_id"].astype(str).to_numpy()
        index = pd.Index(ids)
        f = index.get_indexer(br["from_node"].astype(str).to_numpy())
        t = index.get_indexer(br["to_node"].astype(str).to_numpy())
        closed = (br["status"].to_numpy(dtype=object) != "open") & (f >= 0) & (t >= 0) & (f != t)
        slack = np.flatnonzero(nodes["type"].to_numpy(dtype=object) == "slack")
        rows = np.concatenate([f[closed], t[closed]])
        cols = np.concatenate([t[closed], f[closed]])
        order, parent = _bfs(n, rows, cols, slack)
        # The branch joining each node to its parent (the first closed one listed).
        key = np.concatenate([f[closed] * (n + 1) + t[closed], t[closed] * (n + 1) + f[closed]])
        rows_closed = np.flatnonzero(closed)
        brow = np.concatenate([rows_closed, rows_closed])
        first = pd.Series(brow).groupby(key).first()
        child = np.arange(n + 1)
        want = parent * (n + 1) + child
        has_branch = (parent >= 0) & (parent < n)
        parent_branch = np.full(n + 1, -1, dtype=np.int64)
        parent_branch[has_branch] = first.reindex(want[has_branch]).to_numpy(dtype=np.int64)
        # Walks along the BFS order are plain Python over lists: one pass whatever the
        # depth (per-level numpy costs a few calls per level, slow on long feeders).
        plist = parent.tolist()
        depth = [0] * (n + 1)
        for node in order[1:].tolist():
            depth[node] = depth[plist[node]] + 1
        self.n = n
        self.ids = ids
        self.order = order
        self.parent = parent
        self.parent_branch = parent_branch
        self.depth = np.asarray(depth, dtype=np.int64)


def _distances(tree: _Tree, length: np.ndarray, estimated: np.ndarray) -> tuple[np.ndarray, ...]:
    m = tree.n + 1
    step = np.zeros(m)
    flag = np.zeros(m, dtype=bool)
    has = tree.parent_branch >= 0
    step[has] = length[tree.parent_branch[has]]
    flag[has] = estimated[tree.parent_branch[has]]
    parent, step_l, flag_l = tree.parent.tolist(), step.tolist(), flag.tolist()
    dist = [0.0] * m
    est = [False] * m
    for node in tree.order[1:].tolist():
        p = parent[node]
        dist[node] = dist[p] + step_l[node]
        est[node] = est[p] or flag_l[node]
    return np.asarray(dist[: tree.n]), np.asarray(est[: tree.n], dtype=bool)


def _tree_xy(tree: _Tree) -> tuple[np.ndarray, np.ndarray]:
    """Tidy tree layout: x = hops from the source, y = leaf slots.

    Every node lies on the row of its largest child (the trunk runs straight); a node's
    other children sit alternately on either side of that child, so laterals spread both
    ways (the first lateral above the trunk at even depths, below at odd ones). Leaves get
    distinct rows in depth-first order, so two nodes at the same depth
    never share a row: no two nodes overlap.
    """
    m = tree.n + 1
    order = tree.order.tolist()
    parent = tree.parent.tolist()
    leaves = [0] * m
    for node in reversed(order[1:]):
        leaves[node] = leaves[node] or 1  # a node nobody hangs from is a leaf
        leaves[parent[node]] += leaves[node]
    leaf_arr = np.asarray(leaves, dtype=np.int64)
    # Sibling order: largest child in the middle, others alternating around it.
    cs = tree.order[1:]
    ps = tree.parent[cs]
    o = np.lexsort((cs, -leaf_arr[cs], ps))
    ps, cs = ps[o], cs[o]
    first = np.r_[True, ps[1:] != ps[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(ps)), 0))
    rank = np.arange(len(ps)) - group_start
    heavy = np.full(m, -1, dtype=np.int64)
    heavy[ps[first]] = cs[first]
    # The first lateral goes above on even depths, below on odd ones, so single
    # laterals along a trunk alternate sides.
    flip = np.where(tree.depth[ps] % 2 == 0, 1, -1)
    side = flip * np.where(rank % 2 == 1, -1, 1) * ((rank + 1) // 2)
    o2 = np.lexsort((side, ps))
    ps2, cs2 = ps[o2], cs[o2]
    first2 = np.r_[True, ps2[1:] != ps2[:-1]]
    cum = np.cumsum(leaf_arr[cs2])
    base = np.maximum.accumulate(np.where(first2, cum - leaf_arr[cs2], 0))
    offset = np.zeros(m, dtype=np.int64)
    offset[cs2] = cum - leaf_arr[cs2] - base
    off = offset.tolist()
    start = [0] * m
    for node in order[1:]:
        start[node] = start[parent[node]] + off[node]
    row = [float(v) for v in start]
    heavy_l = heavy.tolist()
    for node in reversed(order):
        h = heavy_l[node]
        if h >= 0:
            row[node] = row[h]
    row_arr = np.asarray(row)
    x = (tree.depth - 1).astype(float)
    return x[: tree.n], 0.0 - row_arr[: tree.n]


def _fill_missing(tree: _Tree, x: np.ndarray, y: np.ndarray, known: np.ndarray) -> None:
    """Place nodes without coordinates beside their parent (in place, BFS order)."""
    parent = tree.parent[: tree.n]
    inner = parent < tree.n
    seg = np.hypot(x[parent[inner]] - x[inner], y[parent[inner]] - y[inner])
    seg = seg[np.isfinite(seg) & (seg > 0)]
    step = 0.5 * float(np.median(seg)) if len(seg) else 1.0
    placed = known.copy()
    count: dict[int, int] = {}
    for node in tree.order[1:]:
        if node >= tree.n or placed[node]:
            continue
        p = tree.parent[node]
        if p < tree.n and placed[p]:
            k = count.get(int(p), 0)
            count[int(p)] = k + 1
            angle = -np.pi / 4 + k * np.pi / 6
            x[node] = x[p] + step * np.cos(angle)
            y[node] = y[p] + step * np.sin(angle)
        else:
            x[node] = np.nanmin(x) - step if np.isfinite(np.nanmin(x)) else 0.0
            y[node] = np.nanmin(y) - step * (1 + len(count)) if np.isfinite(np.nanmin(y)) else 0.0
            count[-1 - int(node)] = 0
        placed[node] = True


def feeder_layout(network: Network) -> pd.DataFrame:
    """Drawing coordinates and distance from the source of every node.

    Parameters
    ----------
    network
        The network (``dist_nodes``, ``dist_branches``; ``x``, ``y`` optional).

    Returns
    -------
    pandas.DataFrame
        One row per ``dist_nodes`` row, same order, columns:

        - ``node_id`` (str);
        - ``x``, ``y`` (float): drawing coordinates. ``source`` "data": the unit of the
          source file (OpenDSS BusCoords: often feet); ``source`` "computed": ``x`` in
          branches (hops) from the source, ``y`` in leaf rows (a tidy tree, source at the
          left, the trunk on one row, laterals above and below it);
        - ``source`` (str): "data" (from ``dist_nodes`` ``x``, ``y``) or "computed";
        - ``distance_km`` (float, km): length of the path from the node's source (its
          slack node, or the first node of an island without one) along closed branches;
          the path is the breadth-first tree, the only path on a radial feeder;
        - ``distance_estimated`` (bool): a line on the path has no ``length_km``; its length
          was taken as ``R / LINE_OHM_PER_KM`` (transformers and switches without a length
          count 0 km and are not flagged; so does a source's Thevenin equivalent,
          ``Vsource.source`` of an OpenDSS import, whatever its nominal length);
        - ``depth`` (int): branches from the source;
        - ``parent_node`` (str, "" at a source): the next node towards the source.

    Notes
    -----
    Data coordinates are used when at least half of the nodes have finite ``x`` and ``y``
    (a node at exactly (0, 0) counts as unknown, the OpenDSS default); the rest are then
    placed half a typical segment from their parent (``source`` "computed"). Otherwise
    every node is computed. Open branches do not join the tree: an island behind an open
    tie is drawn as a tree of its own below the others. Cached in memory by
    :func:`layout_digest`; the caller gets a copy.
    """
    key = ("layout", layout_digest(network))
    hit = _cached(key)
    if hit is not None:
        return hit
    nodes = network.nodes
    tree = _Tree(network)
    length, estimated = _branch_lengths(network)
    dist, est = _distances(tree, length, estimated)
    x = _float_column(nodes, "x")
    y = _float_column(nodes, "y")
    known = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
    n = tree.n
    if n and known.sum() >= _DATA_SHARE * n:
        x = np.where(known, x, np.nan)
        y = np.where(known, y, np.nan)
        _fill_missing(tree, x, y, known)
        source = np.where(known, "data", "computed")
    else:
        x, y = _tree_xy(tree)
        source = np.full(n, "computed")
    parent = tree.parent[:n]
    parent_id = np.where(parent < n, tree.ids[np.minimum(parent, n - 1)], "") if n else parent
    frame = pd.DataFrame(
        {
            "node_id": tree.ids,
            "x": x.astype(float),
            "y": y.astype(float),
            "source": source.astype(object),
            "distance_km": dist,
            "distance_estimated": est,
            "depth": (tree.depth[:n] - 1).astype(np.int64),
            "parent_node": np.asarray(parent_id, dtype=object),
        }
    )
    return _store(key, frame)


def feeder_segments(network: Network, layout: pd.DataFrame | None = None) -> pd.DataFrame:
    """The branches as drawable segments.

    Parameters
    ----------
    network
        The network.
    layout
        :func:`feeder_layout` of ``network`` (computed when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per ``dist_branches`` row, same order, columns ``branch_id``,
        ``from_node``, ``to_node``, ``x0``, ``y0`` (from end), ``x1``, ``y1`` (to end) in the
        layout's coordinates; ``status`` "closed" | "open" (open when ``dist_branches``
        or a ``dist_switches`` row says so); ``is_switch`` (``branch_type`` "switch" or a
        ``dist_switches`` / ``switching_devices`` row on the branch); ``is_tie`` (a
        switching device of type tie, or normally open); ``branch_type``.
    """
    key = ("segments", layout_digest(network))
    if layout is None:
        hit = _cached(key)
        if hit is not None:
            return hit
        layout = feeder_layout(network)
    br = network.branches
    pos = layout.set_index("node_id")
    f = pos.reindex(br["from_node"].astype(str).to_numpy())
    t = pos.reindex(br["to_node"].astype(str).to_numpy())
    bid = br["branch_id"].astype(str).to_numpy()
    kind = (
        br["branch_type"].astype(str).to_numpy(dtype=object)
        if "branch_type" in br.columns
        else np.full(len(br), "line", dtype=object)
    )
    is_open = br["status"].to_numpy(dtype=object) == "open"
    is_switch = kind == "switch"
    is_tie = np.zeros(len(br), dtype=bool)
    sw = network.table("dist_switches")
    if sw is not None and len(sw):
        on = np.isin(bid, sw["branch_id"].astype(str).to_numpy())
        is_switch |= on
        opened = sw.loc[sw["status"] == "open", "branch_id"].astype(str).to_numpy()
        is_open |= np.isin(bid, opened)
        ties = sw.loc[sw["switch_type"] == "tie", "branch_id"].astype(str).to_numpy()
        is_tie |= np.isin(bid, ties)
    dev = network.table("switching_devices")
    if dev is not None and len(dev):
        is_switch |= np.isin(bid, dev["branch_id"].astype(str).to_numpy())
        tie = (dev["device_type"] == "tie") | (dev["normal_state"] == "open")
        is_tie |= np.isin(bid, dev.loc[tie, "branch_id"].astype(str).to_numpy())
    frame = pd.DataFrame(
        {
            "branch_id": bid,
            "from_node": br["from_node"].astype(str).to_numpy(),
            "to_node": br["to_node"].astype(str).to_numpy(),
            "x0": f["x"].to_numpy(dtype=float),
            "y0": f["y"].to_numpy(dtype=float),
            "x1": t["x"].to_numpy(dtype=float),
            "y1": t["y"].to_numpy(dtype=float),
            "status": np.where(is_open, "open", "closed").astype(object),
            "is_switch": is_switch,
            "is_tie": is_tie,
            "branch_type": kind,
        }
    )
    return _store(key, frame)
