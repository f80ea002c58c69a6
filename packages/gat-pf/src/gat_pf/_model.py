"""The array model: a network's tables turned into contiguous, per-unit arrays, built once.

Nodes joined by a closed zero-impedance switch (``branch_type == "switch"``, ``r = x = 0``) are
merged into one electrical *bus*; the kernels work on buses, and results are reported for every
original node. Arrays named ``node_*`` are in node order (the order of ``dist_nodes``), arrays
named ``bus_*`` in bus order, arrays named ``branch_*`` in ``dist_branches`` order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._kernels.ybus import branch_admittances, make_ybus
from ._topology import Topology, analyse_topology

if TYPE_CHECKING:
    import scipy.sparse as sp

    from gat_schemas import Network

__all__ = ["BUS_PQ", "BUS_PV", "BUS_SLACK", "PowerFlowModel", "build_model"]

#: Bus type codes (``PowerFlowModel.bus_type``).
BUS_PQ, BUS_PV, BUS_SLACK = 0, 1, 2


@dataclass(frozen=True, eq=False)
class PowerFlowModel:
    """A network as arrays, ready for the kernels. Build it with :func:`build_model`.

    Power and admittance are per unit on ``base_mva``; voltages per unit of each node's
    ``base_kv``. Injections follow the generator convention (positive = into the network).

    Attributes
    ----------
    base_mva
        System power base (MVA).
    node_ids
        Node ids (str), in ``dist_nodes`` order ("model order"); length N.
    node_bus
        Bus index of each node (int, length N).
    node_type
        Bus type code of each node's own role (``BUS_PQ``, ``BUS_PV``, ``BUS_SLACK``).
    node_load
        Complex load at 1 pu voltage (pu, consumption positive): ``(load_p + j load_q) / base_mva``.
    node_gen
        Complex scheduled generation (pu, injection positive): ``(gen_p + j gen_q) / base_mva``.
        At slack nodes both parts are outputs; at PV (source) nodes the reactive part is.
    node_z_frac, node_i_frac
        ZIP shares of the load (constant impedance, constant current).
    node_q_min, node_q_max
        Reactive limits of source nodes (pu; ``-inf``/``inf`` when unlimited).
    node_shunt
        Shunt admittance at each node (pu): ``(gs_mw + j bs_mvar + j q_caps) / base_mva``.
    n_bus
        Number of electrical buses.
    bus_type
        Type code per bus (a bus holding a slack node is slack; else holding a source is PV).
    bus_v_set
        Voltage set point of slack and PV buses (pu); 1.0 elsewhere.
    ybus
        Bus admittance matrix (complex CSR, n_bus x n_bus, pu), shunts included.
    slack, nonslack, pv, pq
        Bus index arrays by type (``nonslack`` = PV and PQ buses, sorted).
    branch_ids, branch_from, branch_to
        Branch ids and end node ids (str arrays, ``dist_branches`` order).
    branch_f_node, branch_t_node
        Node index of each branch end.
    branch_f_bus, branch_t_bus
        Bus index of each branch end.
    branch_active
        True for closed branches that are in the Y-bus (not open, not merged switches).
    branch_merged
        True for closed zero-impedance switches (flow found from nodal balance).
    branch_y
        Two-port admittances ``(yff, yft, ytf, ytt)`` per branch (pu, zero when not active).
    branch_rating
        Thermal limit (MVA, NaN when unrated).
    topology
        Islands, radiality and the switch trees inside merged buses.
    buses_are_nodes
        True when no nodes were merged and bus ``i`` is node ``i``.
    """

    base_mva: float
    node_ids: np.ndarray
    node_bus: np.ndarray
    node_type: np.ndarray
    node_load: np.ndarray
    node_gen: np.ndarray
    node_z_frac: np.ndarray
    node_i_frac: np.ndarray
    node_q_min: np.ndarray
    node_q_max: np.ndarray
    node_shunt: np.ndarray
    n_bus: int
    bus_type: np.ndarray
    bus_v_set: np.ndarray
    ybus: sp.csr_matrix
    slack: np.ndarray
    nonslack: np.ndarray
    pv: np.ndarray
    pq: np.ndarray
    branch_ids: np.ndarray
    branch_from: np.ndarray
    branch_to: np.ndarray
    branch_f_node: np.ndarray
    branch_t_node: np.ndarray
    branch_f_bus: np.ndarray
    branch_t_bus: np.ndarray
    branch_active: np.ndarray
    branch_merged: np.ndarray
    branch_y: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    branch_rating: np.ndarray
    branch_r: np.ndarray
    branch_x: np.ndarray
    branch_b: np.ndarray
    branch_tap: np.ndarray
    branch_shift: np.ndarray
    topology: Topology
    buses_are_nodes: bool
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of original nodes N."""
        return len(self.node_ids)

    @property
    def is_radial(self) -> bool:
        """True when every island is a tree of active branches (after merging switches)."""
        return self.topology.is_radial

    @cached_property
    def node_to_bus(self) -> sp.csr_matrix:
        """Sparse 0/1 matrix (n_bus x N) that sums node quantities into their bus."""
        import scipy.sparse as sp

        n = self.n_nodes
        return sp.csr_matrix((np.ones(n), (self.node_bus, np.arange(n))), shape=(self.n_bus, n))

    def tree_sweep(self) -> Any:
        """Euler-tour data of the radial sweep (computed on first use and kept), or ``None``
        when the network is meshed or an island has several slack buses."""
        if "tree" not in self._cache:
            self._cache["tree"] = _tree_sweep(self)
        return self._cache["tree"]

    def sweep_factor(self) -> Any:
        """LU factors of the non-slack block of the Y-bus, computed on first use and kept.

        The sweep reuses these factors across iterations, scenarios and calls; building a
        new model (or calling this on a new one) is what "including factorisation" costs.
        """
        lu = self._cache.get("sweep_lu")
        if lu is None:
            from ._kernels.sweep import factorize

            tree = self.tree_sweep()
            lu = factorize(
                self.ybus,
                self.slack,
                self.nonslack,
                None if tree is None else tree.order,
                radial=tree is not None,
            )
            self._cache["sweep_lu"] = lu
        return lu


def _tree_sweep(model: PowerFlowModel) -> Any:
    """Depth-first tour of a radial model for :mod:`._kernels.tree`, or ``None``."""
    from scipy.sparse.csgraph import depth_first_order

    from ._kernels.tree import build_tree
    from ._topology import _graph

    topo = model.topology
    n_isl = int(topo.bus_island.max()) + 1 if model.n_bus else 0
    if not topo.is_radial or not np.array_equal(
        np.bincount(topo.bus_island[model.slack], minlength=n_isl), np.ones(n_isl, int)
    ):
        return None
    a = np.flatnonzero(model.branch_active)
    fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
    n = model.n_bus
    sup = np.full(len(model.slack), n)
    g = _graph(n + 1, np.concatenate([fb, sup]), np.concatenate([tb, model.slack]))
    order, pred = depth_first_order(g, n, directed=False, return_predecessors=True)
    order = order[1:].astype(np.int64)
    parent = pred[:n].astype(np.int64)
    parent[(parent == n) | (parent < 0)] = -1
    # Parent branch of every non-root bus (the tree has no parallel branches).
    child = np.flatnonzero(parent >= 0)
    lookup = _graph_data(n, fb, tb, a + 1)
    k = np.asarray(lookup[child, parent[child]]).ravel().astype(np.int64) - 1
    r_ = model.branch_r[k]
    ys = 1.0 / (r_ + 1j * model.branch_x[k])
    t = model.branch_tap[k] * np.exp(1j * model.branch_shift[k])
    from_is_parent = model.branch_f_bus[k] == parent[child]
    ratio = np.ones(n, dtype=complex)
    zeff = np.zeros(n, dtype=complex)
    ratio[child] = np.where(from_is_parent, 1.0 / t, t)
    zeff[child] = np.where(from_is_parent, 1.0, np.abs(t) ** 2) / ys
    # Lagged shunts: node shunts, capacitors, and line charging (from end behind the tap).
    b_half = 0.5j * model.branch_b[a]
    ysh = np.bincount(model.node_bus, weights=model.node_shunt.real, minlength=n) + 1j * (
        np.bincount(model.node_bus, weights=model.node_shunt.imag, minlength=n)
        + np.bincount(fb, weights=(b_half / model.branch_tap[a] ** 2).imag, minlength=n)
        + np.bincount(tb, weights=b_half.imag, minlength=n)
    )
    v_set = model.bus_v_set.astype(complex)
    return build_tree(order, parent, ratio, zeff, ysh, v_set)


def _graph_data(n: int, f: np.ndarray, t: np.ndarray, data: np.ndarray) -> Any:
    import scipy.sparse as sp

    return sp.csr_matrix(
        (np.concatenate([data, data]), (np.concatenate([f, t]), np.concatenate([t, f]))),
        shape=(n, n),
    )


def _column(df: Any, name: str, default: float) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), default, dtype=float)
    values = df[name].to_numpy(dtype=float, na_value=np.nan)
    return values


def _ids(df: Any, name: str) -> np.ndarray:
    col = df[name]
    if col.dtype == object:
        return col.to_numpy()
    return col.astype(str).to_numpy(dtype=object)


def _require(df: Any, table: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"table {table}: missing required column(s) {', '.join(missing)}")


def build_model(network: Network) -> PowerFlowModel:
    """Build the array model of a network (once; every kernel call reuses it).

    Parameters
    ----------
    network
        A :class:`gat_schemas.Network`. Optional columns that are absent take their schema
        defaults (``v_set`` 1.0 pu, ``gen_p``/``gen_q``/``gs_mw``/``bs_mvar``/ZIP fractions 0,
        ``q_min``/``q_max`` unlimited, ``shift_deg`` 0, ``branch_type`` line). Closed
        capacitors of ``dist_caps`` (``kind == "capacitor"``) add ``q_mvar`` of constant-
        impedance reactive injection at 1 pu; regulators keep their branch's fixed ``tap``.

    Returns
    -------
    PowerFlowModel

    Raises
    ------
    gat_schemas.errors.InputError
        On unknown node references, zero-impedance non-switch branches, or islands that
        hold no slack or source node.
    """
    import pandas as pd

    nodes, branches = network.nodes, network.branches
    _require(nodes, "dist_nodes", ("node_id", "type", "load_p", "load_q"))
    _require(branches, "dist_branches", ("branch_id", "from_node", "to_node", "r", "x", "b", "tap"))
    base = float(network.base_mva)
    if not base > 0:
        raise InputError(f"network {network.name}: base_mva must be > 0, got {base}")

    node_ids = _ids(nodes, "node_id")
    n = len(node_ids)
    index = pd.Index(node_ids, dtype=object)
    types = nodes["type"].astype(str).to_numpy()
    node_type = np.full(n, BUS_PQ, dtype=np.int8)
    node_type[types == "source"] = BUS_PV
    node_type[types == "slack"] = BUS_SLACK

    br_ids = _ids(branches, "branch_id")
    br_from, br_to = _ids(branches, "from_node"), _ids(branches, "to_node")
    ends = _lookup(index, np.concatenate([br_from, br_to]), np.tile(br_ids, 2), "from/to_node")
    f_node, t_node = ends[: len(br_ids)], ends[len(br_ids) :]
    r, x = _column(branches, "r", 0.0), _column(branches, "x", 0.0)
    b, tap = _column(branches, "b", 0.0), _column(branches, "tap", 1.0)
    shift = np.deg2rad(_column(branches, "shift_deg", 0.0))
    closed = (
        branches["status"].astype(str).to_numpy() == "closed"
        if "status" in branches.columns
        else np.ones(len(br_ids), dtype=bool)
    )
    is_switch = (
        branches["branch_type"].astype(str).to_numpy() == "switch"
        if "branch_type" in branches.columns
        else np.zeros(len(br_ids), dtype=bool)
    )
    zero_z = (r == 0) & (x == 0)
    bad = closed & zero_z & ~is_switch
    if bad.any():
        raise InputError(
            f"table dist_branches, column r/x: closed non-switch branch(es) with r = x = 0: "
            f"{_few(br_ids[bad])}"
        )
    if closed.any() and not (tap[closed] > 0).all():
        raise InputError(
            f"table dist_branches, column tap: must be > 0 on branch(es) "
            f"{_few(br_ids[closed & ~(tap > 0)])}"
        )
    merged = closed & zero_z & is_switch
    active = closed & ~zero_z

    topo = analyse_topology(n, node_type, f_node, t_node, active, merged, node_ids)
    node_bus, n_bus = topo.node_bus, topo.n_bus

    bus_type = np.zeros(n_bus, dtype=np.int8)
    np.maximum.at(bus_type, node_bus, node_type)
    bus_type[topo.promoted] = BUS_SLACK
    v_set_node = _column(nodes, "v_set", 1.0)
    bus_v_set = np.ones(n_bus)
    # Set points of controlling nodes only; a slack node's v_set wins over a source's.
    for code in (BUS_PV, BUS_SLACK):
        ctl = node_type == code
        bus_v_set[node_bus[ctl]] = v_set_node[ctl]

    load = (_column(nodes, "load_p", 0.0) + 1j * _column(nodes, "load_q", 0.0)) / base
    gen = (_column(nodes, "gen_p", 0.0) + 1j * _column(nodes, "gen_q", 0.0)) / base
    q_min = _column(nodes, "q_min", np.nan) / base
    q_max = _column(nodes, "q_max", np.nan) / base
    q_min[np.isnan(q_min)] = -np.inf
    q_max[np.isnan(q_max)] = np.inf
    # y = g + j b: consumes gs_mw and injects bs_mvar (and capacitor q_mvar) at 1 pu.
    shunt = (_column(nodes, "gs_mw", 0.0) + 1j * _column(nodes, "bs_mvar", 0.0)) / base
    shunt = shunt + 1j * _capacitors(network, index) / base

    f_bus, t_bus = node_bus[f_node], node_bus[t_node]
    yff, yft, ytf, ytt = branch_admittances(r, x, b, tap, shift, active)
    bus_shunt = np.bincount(node_bus, weights=shunt.real, minlength=n_bus) + 1j * np.bincount(
        node_bus, weights=shunt.imag, minlength=n_bus
    )
    ybus = make_ybus(
        n_bus,
        f_bus[active],
        t_bus[active],
        yff[active],
        yft[active],
        ytf[active],
        ytt[active],
        bus_shunt,
    )

    slack = np.flatnonzero(bus_type == BUS_SLACK)
    nonslack = np.flatnonzero(bus_type != BUS_SLACK)
    rating = _column(branches, "thermal_limit", np.nan)
    return PowerFlowModel(
        base_mva=base,
        node_ids=node_ids,
        node_bus=node_bus,
        node_type=node_type,
        node_load=load,
        node_gen=gen,
        node_z_frac=_column(nodes, "load_z_frac", 0.0),
        node_i_frac=_column(nodes, "load_i_frac", 0.0),
        node_q_min=q_min,
        node_q_max=q_max,
        node_shunt=shunt,
        n_bus=n_bus,
        bus_type=bus_type,
        bus_v_set=bus_v_set,
        ybus=ybus,
        slack=slack,
        nonslack=nonslack,
        pv=np.flatnonzero(bus_type == BUS_PV),
        pq=np.flatnonzero(bus_type == BUS_PQ),
        branch_ids=br_ids,
        branch_from=br_from,
        branch_to=br_to,
        branch_f_node=f_node,
        branch_t_node=t_node,
        branch_f_bus=f_bus,
        branch_t_bus=t_bus,
        branch_active=active,
        branch_merged=merged,
        branch_y=(yff, yft, ytf, ytt),
        branch_rating=rating,
        branch_r=r,
        branch_x=x,
        branch_b=b,
        branch_tap=tap,
        branch_shift=shift,
        topology=topo,
        buses_are_nodes=bool(n_bus == n and np.array_equal(node_bus, np.arange(n))),
    )


def _lookup(index: Any, ids: np.ndarray, br_ids: np.ndarray, col: str) -> np.ndarray:
    try:
        out = index.get_indexer(ids)
    except Exception:  # pandas refuses to index by a non-unique Index
        dup = index[index.duplicated()].to_numpy()
        raise InputError(f"table dist_nodes, column node_id: duplicate id(s) {_few(dup)}") from None
    if (out < 0).any():
        raise InputError(
            f"table dist_branches, column {col}: unknown node id(s) on branch(es) "
            f"{_few(br_ids[out < 0])}"
        )
    return out


def _capacitors(network: Network, index: Any) -> np.ndarray:
    """Per-node capacitor reactive injection at 1 pu (Mvar) from ``dist_caps``."""
    q = np.zeros(len(index))
    caps = network.table("dist_caps")
    if caps is None or len(caps) == 0:
        return q
    use = caps["status"].astype(str).to_numpy() == "closed"
    if "kind" in caps.columns:
        use &= caps["kind"].astype(str).to_numpy() == "capacitor"
    cap_ids, cap_nodes = _ids(caps, "cap_id"), _ids(caps, "node_id")
    at = index.get_indexer(cap_nodes)
    if (at[use] < 0).any():
        raise InputError(
            f"table dist_caps, column node_id: unknown node id(s) on {_few(cap_ids[use & (at < 0)])}"
        )
    np.add.at(q, at[use], caps["q_mvar"].to_numpy(dtype=float)[use])
    return q


def _few(ids: np.ndarray, k: int = 5) -> str:
    shown = ", ".join(str(i) for i in ids[:k])
    return shown + (f" (and {len(ids) - k} more)" if len(ids) > k else "")
