"""The array model: a network's tables turned into contiguous, per-unit arrays, built once.

Nodes joined by a closed zero-impedance switch (``branch_type == "switch"``, ``r = x = 0``) are
merged into one electrical *bus*; the kernels work on buses, and results are reported for every
original node. Arrays named ``node_*`` are in node order (the order of ``dist_nodes``), arrays
named ``bus_*`` in bus order, arrays named ``branch_*`` in ``dist_branches`` order.

The column readers the builders share live in :mod:`gat_pf._table_read` (imported here under
their former private names, which :mod:`gat_pf._threephase._table_utils` still uses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._kernels.ybus import branch_admittances, make_ybus
from ._table_read import column as _column
from ._table_read import few as _few
from ._table_read import ids as _ids
from ._table_read import index_of as _index_of
from ._table_read import require as _require
from ._table_read import strings as _strings
from ._table_read import to_pu_complex as _complex
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
    node_v_min, node_v_max
        Allowed voltage band of each node (pu of ``base_kv``; ``dist_nodes.v_min``/``v_max``,
        NaN when the column is absent). Used only to report violations.
    n_bus
        Number of electrical buses.
    bus_type
        Type code per bus (a bus holding a slack node is slack; else holding a source is PV).
    bus_v_set
        Voltage set point of slack and PV buses (pu); 1.0 elsewhere.
    bus_shunt
        Shunt admittance summed per bus (pu).
    ybus
        Bus admittance matrix (complex CSR, n_bus x n_bus, pu), shunts included; assembled on
        first use (the radial sweep does not need it).
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
    node_v_min: np.ndarray
    node_v_max: np.ndarray
    n_bus: int
    bus_type: np.ndarray
    bus_v_set: np.ndarray
    bus_shunt: np.ndarray
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

    @property
    def ybus(self) -> sp.csr_matrix:
        """Bus admittance matrix (complex CSR, pu), assembled on first use and kept."""
        y = self._cache.get("ybus")
        if y is None:
            a = self.branch_active
            yff, yft, ytf, ytt = (v[a] for v in self.branch_y)
            f, t = self.branch_f_bus[a], self.branch_t_bus[a]
            y = make_ybus(self.n_bus, f, t, yff, yft, ytf, ytt, self.bus_shunt)
            self._cache["ybus"] = y
        return y

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
    from ._kernels.tree import build_tree
    from ._topology import preorder

    topo = model.topology
    n = model.n_bus
    n_isl = int(topo.bus_island.max()) + 1 if n else 0
    if not topo.is_radial or not np.array_equal(
        np.bincount(topo.bus_island[model.slack], minlength=n_isl), np.ones(n_isl, int)
    ):
        return None
    a = np.flatnonzero(model.branch_active)
    fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
    # Every island is a tree with one slack bus: a depth-first preorder from the slacks.
    order, parent = preorder(topo.bus_graph, model.slack)
    # Each active branch is the parent branch of exactly one of its ends (a tree).
    to_is_child = parent[tb] == fb
    child = np.where(to_is_child, tb, fb)
    zeff = np.zeros(n, dtype=complex)
    zeff.real[child] = model.branch_r[a]
    zeff.imag[child] = model.branch_x[a]
    tap, shift = model.branch_tap[a], model.branch_shift[a]
    ratio = None
    if (tap != 1.0).any() or (shift != 0.0).any():
        # v_child = ratio v_parent - zeff j_child, with the ideal transformer at the from end.
        t = tap * np.exp(1j * shift)
        ratio = np.ones(n, dtype=complex)
        ratio[child] = np.where(to_is_child, 1.0 / t, t)
        zeff[child] *= np.where(to_is_child, 1.0, tap * tap)
    # Lagged shunts: node shunts, capacitors, and line charging (from end behind the tap).
    half_b = 0.5 * model.branch_b[a]
    ysh = model.bus_shunt.astype(complex, copy=True)
    ysh.imag += np.bincount(fb, weights=half_b / (tap * tap), minlength=n)
    ysh.imag += np.bincount(tb, weights=half_b, minlength=n)
    return build_tree(order, parent, ratio, zeff, ysh, model.bus_v_set)


#: Tables only the three-phase model represents (per-phase loads, transformer connections,
#: regulators, coupled line codes): a balanced model of them would drop loads silently.
THREE_PHASE_TABLES = ("dist_loads", "dist_transformers", "dist_regulators", "dist_linecodes")


def require_balanced(
    network: Network, what: str = "the balanced (positive-sequence) model"
) -> None:
    """Raise when ``network`` holds tables only the three-phase model represents.

    Parameters
    ----------
    network
        The network to check.
    what
        The tool that needs a balanced network, named in the message.

    Raises
    ------
    gat_schemas.errors.InputError
        When a table of :data:`THREE_PHASE_TABLES` has rows.
    """
    held = [t for t in THREE_PHASE_TABLES if (df := network.table(t)) is not None and len(df)]
    if held:
        raise InputError(
            f"network {network.name}: holds three-phase tables ({', '.join(held)}) that "
            f"{what} cannot represent; it needs a balanced network (the three-phase power "
            "flow, gat dist pf --unbalanced or gat_pf.run_power_flow_3ph, solves this one)"
        )


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
        On unknown node references, zero-impedance non-switch branches, islands that
        hold no slack or source node, or a network with three-phase tables
        (:data:`THREE_PHASE_TABLES`), which only the three-phase model represents.
    """
    require_balanced(network)
    nodes, branches = network.nodes, network.branches
    _require(nodes, "dist_nodes", ("node_id", "type", "load_p", "load_q"))
    _require(branches, "dist_branches", ("branch_id", "from_node", "to_node", "r", "x", "b", "tap"))
    base = float(network.base_mva)
    if not base > 0:
        raise InputError(f"network {network.name}: base_mva must be > 0, got {base}")

    node_ids = _ids(nodes, "node_id")
    n = len(node_ids)
    types = _strings(nodes, "type")
    node_type = np.full(n, BUS_PQ, dtype=np.int8)
    node_type[types == "source"] = BUS_PV
    node_type[types == "slack"] = BUS_SLACK

    br_ids = _ids(branches, "branch_id")
    nbr = len(br_ids)
    br_from, br_to = _ids(branches, "from_node"), _ids(branches, "to_node")
    caps = network.table("dist_caps")
    cap_nodes = _ids(caps, "node_id") if caps is not None and len(caps) else br_ids[:0]
    ends = _index_of(node_ids, np.concatenate([br_from, br_to, cap_nodes]))
    f_node, t_node, cap_at = ends[:nbr], ends[nbr : 2 * nbr], ends[2 * nbr :]
    if (ends[: 2 * nbr] < 0).any():
        bad_end = (f_node < 0) | (t_node < 0)
        raise InputError(
            f"table dist_branches, column from/to_node: unknown node id(s) on branch(es) "
            f"{_few(br_ids[bad_end])}"
        )
    r, x = _column(branches, "r", 0.0), _column(branches, "x", 0.0)
    b, tap = _column(branches, "b", 0.0), _column(branches, "tap", 1.0)
    shift = np.deg2rad(_column(branches, "shift_deg", 0.0))
    closed = (
        _strings(branches, "status") == "closed"
        if "status" in branches.columns
        else np.ones(nbr, dtype=bool)
    )
    is_switch = (
        _strings(branches, "branch_type") == "switch"
        if "branch_type" in branches.columns
        else np.zeros(nbr, dtype=bool)
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

    load = _complex(_column(nodes, "load_p", 0.0), _column(nodes, "load_q", 0.0), base)
    gen = _complex(_column(nodes, "gen_p", 0.0), _column(nodes, "gen_q", 0.0), base)
    q_min = _column(nodes, "q_min", np.nan) / base
    q_max = _column(nodes, "q_max", np.nan) / base
    q_min[np.isnan(q_min)] = -np.inf
    q_max[np.isnan(q_max)] = np.inf
    # y = g + j b: consumes gs_mw and injects bs_mvar (and capacitor q_mvar) at 1 pu.
    bs = _column(nodes, "bs_mvar", 0.0)
    if len(cap_nodes):
        bs = bs + _capacitors(caps, cap_at, n)
    shunt = _complex(_column(nodes, "gs_mw", 0.0), bs, base)

    f_bus, t_bus = node_bus[f_node], node_bus[t_node]
    branch_y = branch_admittances(r, x, b, tap, shift, active)
    if topo.buses_are_nodes:
        bus_shunt = shunt
    else:
        bus_shunt = np.bincount(node_bus, weights=shunt.real, minlength=n_bus) + 1j * np.bincount(
            node_bus, weights=shunt.imag, minlength=n_bus
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
        node_v_min=_column(nodes, "v_min", np.nan),
        node_v_max=_column(nodes, "v_max", np.nan),
        n_bus=n_bus,
        bus_type=bus_type,
        bus_v_set=bus_v_set,
        bus_shunt=bus_shunt,
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
        branch_y=branch_y,
        branch_rating=rating,
        branch_r=r,
        branch_x=x,
        branch_b=b,
        branch_tap=tap,
        branch_shift=shift,
        topology=topo,
        buses_are_nodes=topo.buses_are_nodes,
    )


def _capacitors(caps: Any, at: np.ndarray, n: int) -> np.ndarray:
    """Per-node capacitor reactive injection at 1 pu (Mvar) from ``dist_caps``.

    ``at`` is the node index of every capacitor row (-1 for unknown node ids).
    """
    q = np.zeros(n)
    use = _strings(caps, "status") == "closed"
    if "kind" in caps.columns:
        use &= _strings(caps, "kind") == "capacitor"
    if (at[use] < 0).any():
        cap_ids = _ids(caps, "cap_id")
        raise InputError(
            f"table dist_caps, column node_id: unknown node id(s) on {_few(cap_ids[use & (at < 0)])}"
        )
    np.add.at(q, at[use], caps["q_mvar"].to_numpy(dtype=float)[use])
    return q
