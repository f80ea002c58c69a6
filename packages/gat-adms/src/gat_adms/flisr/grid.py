"""The array model of FLISR: nodes, branches, devices and the normal radial tree, built once.

Device position convention: a device sits at the upstream end of its branch (the end
nearer the source in the normal configuration). Opening it de-energises the branch and
everything below it; a fault on the branch itself is cleared by it.

Three-phase networks (holding ``dist_loads``, ``dist_transformers``, ``dist_regulators`` or
``dist_linecodes``) use the same model: zones, protection and switching are phase-agnostic
(every device operates all the phases of its branch, a fault on any phase of a section
interrupts every node below its device), so the tree is the one of the node graph whatever
each branch's phases. A node's load is ``load_p``/``load_q`` plus the sum over the phases
(or delta legs) of its ``dist_loads`` rows at nominal voltage. Closed branches between the
same two nodes (the single-phase units of a regulator bank) form one *bundle* that acts as
one branch; ``r``, ``x``, ``tap`` are the contract's positive-sequence per-unit values of
each branch, and a bundle's representative carries the equivalent of its members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas import Network, apply_defaults, conform_table
from gat_schemas.errors import InputError

__all__ = ["PROTECTIVE", "FlisrGrid", "build_grid"]

#: Device kinds that trip on a fault (the others are opened by command or by hand).
PROTECTIVE = ("breaker", "recloser", "fuse")


@dataclass(frozen=True, eq=False)
class FlisrGrid:
    """A network with its switching devices, as arrays (N nodes, B branches).

    Attributes
    ----------
    name, base_mva
        Network name and power base (MVA).
    node_ids
        Node ids, ``dist_nodes`` order.
    customers
        Customers per node (int).
    load_p_mw, load_q_mvar
        Net load per node (load minus scheduled generation; MW, Mvar; consumption positive).
    is_slack
        Slack nodes: the supply points of restoration.
    v_min, v_max, v_set
        Voltage limits and slack set point (pu).
    branch_ids, f, t
        Branch ids and end node indices (``dist_branches`` order).
    r, x, tap
        Series impedance (pu) and off-nominal ratio (pu).
    rating_pu
        Thermal limit (pu on ``base_mva``), NaN when unrated.
    closed
        Branch closed in the normal configuration.
    has_device
        Branch carries at least one switching device (it can be opened and closed).
    protective
        Branch carries a breaker, recloser or fuse.
    op_time_h
        Fastest operating time of the branch's devices (h), ``inf`` without device.
    op_device
        Id of that fastest device ("" without device).
    protect_device, protect_time_h
        The branch's protective device and its operating (re-closing) time (h).
    automated
        The fastest device of the branch is automated.
    parent, parent_branch
        Parent node and the branch to it in the normal tree (-1 at slack nodes).
    root
        Slack node index feeding each node in the normal configuration.
    tin, tout
        Pre-order interval of each node: ``m`` lies below ``n`` iff
        ``tin[n] <= tin[m] < tout[n]``.
    bundle
        Representative of each branch's bundle: the tree branch a closed branch runs in
        parallel with, its own index otherwise. Only representatives take part in the
        switching MILP; the other members follow their state. A representative's ``r``,
        ``x``, ``tap`` and ``rating_pu`` are those of the bundle: the mean of its members when
        their phases are disjoint (one single-phase unit per phase: the positive sequence
        sees one of them), their parallel combination otherwise; ratings add up.
    demand_mw
        Consumption per node (MW): ``load_p`` plus the node's ``dist_loads``, without
        generation; the energy not supplied is counted from it.
    three_phase
        The network holds three-phase tables: the AC check is a three-phase power flow.
    """

    name: str
    base_mva: float
    node_ids: np.ndarray
    customers: np.ndarray
    load_p_mw: np.ndarray
    load_q_mvar: np.ndarray
    is_slack: np.ndarray
    v_min: np.ndarray
    v_max: np.ndarray
    v_set: np.ndarray
    branch_ids: np.ndarray
    f: np.ndarray
    t: np.ndarray
    r: np.ndarray
    x: np.ndarray
    tap: np.ndarray
    rating_pu: np.ndarray
    closed: np.ndarray
    has_device: np.ndarray
    protective: np.ndarray
    op_time_h: np.ndarray
    op_device: np.ndarray
    protect_device: np.ndarray
    protect_time_h: np.ndarray
    automated: np.ndarray
    parent: np.ndarray
    parent_branch: np.ndarray
    root: np.ndarray
    tin: np.ndarray
    tout: np.ndarray
    bundle: np.ndarray
    demand_mw: np.ndarray
    three_phase: bool

    @property
    def n_node(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_branch(self) -> int:
        """Number of branches."""
        return len(self.branch_ids)

    def below(self, n: int) -> np.ndarray:
        """Mask of the nodes at or below node ``n`` in the normal tree."""
        return (self.tin >= self.tin[n]) & (self.tin < self.tout[n])

    def child(self, b: int) -> int:
        """Downstream node of a closed branch in the normal tree."""
        b = int(self.bundle[b])
        return int(self.t[b]) if self.parent_branch[self.t[b]] == b else int(self.f[b])


def _float(df: pd.DataFrame, col: str, default: float) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default)
    return pd.to_numeric(df[col], errors="coerce").fillna(default).to_numpy(dtype=float)


def _device_arrays(branch_ids: np.ndarray, devices: pd.DataFrame) -> tuple[np.ndarray, ...]:
    nb = len(branch_ids)
    index = pd.Index(branch_ids)
    has = np.zeros(nb, bool)
    protective = np.zeros(nb, bool)
    op_time = np.full(nb, np.inf)
    op_dev = np.full(nb, "", dtype=object)
    prot_dev = np.full(nb, "", dtype=object)
    prot_time = np.full(nb, np.inf)
    auto = np.zeros(nb, bool)
    pos = index.get_indexer(devices["branch_id"])
    if (pos < 0).any():
        bad = devices["device_id"].to_numpy()[pos < 0]
        raise InputError(
            f"switching_devices: device(s) {', '.join(map(str, bad[:5]))} sit on branches "
            "that are not in dist_branches"
        )
    times = devices["operate_time_h"].to_numpy(dtype=float)
    kinds = devices["device_type"].to_numpy()
    ids = devices["device_id"].to_numpy()
    autos = devices["automated"].to_numpy(dtype=bool)
    # Sorted by time then id, the first device seen per branch is the fastest.
    order = np.lexsort((ids.astype(str), times))
    for i in order.tolist():
        b = pos[i]
        if not has[b]:
            has[b] = True
            op_time[b], op_dev[b], auto[b] = times[i], ids[i], autos[i]
        if kinds[i] in PROTECTIVE and not protective[b]:
            protective[b] = True
            prot_dev[b], prot_time[b] = ids[i], times[i]
    return has, protective, op_time, op_dev, prot_dev, prot_time, auto


def _loop_message(
    u: int, v: int, b: int, parent: np.ndarray, pbranch: np.ndarray, branch_ids: np.ndarray
) -> str:
    """The closed branches of the loop that branch ``b`` (u-v) closes back to ``v``, an
    ancestor of ``u`` in the depth-first tree."""
    loop = [b]
    while u != v and u >= 0:
        loop.append(int(pbranch[u]))
        u = int(parent[u])
    ids = [str(i) for i in branch_ids[sorted(loop)]]  # dist_branches order
    shown = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
    return (
        f"dist_branches: the normal configuration is not radial: closed branches {shown} "
        "form a loop (FLISR needs a radial normal state: mark one of them open, as a "
        "normally-open tie)"
    )


def _tree(
    n: int,
    f: np.ndarray,
    t: np.ndarray,
    closed: np.ndarray,
    slack: np.ndarray,
    node_ids: np.ndarray,
    branch_ids: np.ndarray,
) -> tuple[np.ndarray, ...]:
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for b in np.flatnonzero(closed).tolist():
        adj[f[b]].append((t[b], b))
        adj[t[b]].append((f[b], b))
    parent = np.full(n, -1, np.int64)
    pbranch = np.full(n, -1, np.int64)
    bundle = np.arange(len(f), dtype=np.int64)
    root = np.full(n, -1, np.int64)
    tin = np.zeros(n, np.int64)
    tout = np.zeros(n, np.int64)
    clock = 0
    for s in np.flatnonzero(slack).tolist():
        if root[s] >= 0:
            raise InputError(
                f"normal configuration: slack nodes {node_ids[root[s]]} and {node_ids[s]} "
                "are connected through closed branches (FLISR needs one source per feeder)"
            )
        root[s] = s
        stack = [(s, 0)]
        tin[s] = clock
        clock += 1
        while stack:
            u, k = stack[-1]
            if k < len(adj[u]):
                stack[-1] = (u, k + 1)
                v, b = adj[u][k]
                if b == pbranch[u]:
                    continue
                if root[v] >= 0:
                    # A second branch between a node and its parent is a bundle, not a loop.
                    if parent[u] == v:
                        bundle[b] = pbranch[u]
                        continue
                    if parent[v] == u:
                        bundle[b] = pbranch[v]
                        continue
                    raise InputError(_loop_message(u, v, b, parent, pbranch, branch_ids))
                root[v], parent[v], pbranch[v] = s, u, b
                tin[v] = clock
                clock += 1
                stack.append((v, 0))
            else:
                tout[u] = clock
                stack.pop()
    unfed = np.flatnonzero(root < 0)
    if len(unfed):
        shown = ", ".join(map(str, node_ids[unfed[:5]]))
        raise InputError(
            f"normal configuration: {len(unfed)} node(s) ({shown}) are not connected to a "
            "slack node through closed branches"
        )
    return parent, pbranch, root, tin, tout, bundle


def _node_loads(network: Network, node_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P (MW) and Q (Mvar) of each node's ``dist_loads`` rows (0 without the table)."""
    p = np.zeros(len(node_ids))
    q = np.zeros(len(node_ids))
    loads = network.table("dist_loads")
    if loads is None or not len(loads):
        return p, q
    at = pd.Index(node_ids).get_indexer(loads["node_id"].astype(str))
    if (at < 0).any():
        raise InputError("dist_loads: a load's node_id is not in dist_nodes (run gat validate)")
    for total, cols in (
        (p, ("p_a_mw", "p_b_mw", "p_c_mw")),
        (q, ("q_a_mvar", "q_b_mvar", "q_c_mvar")),
    ):
        per_row = sum(_float(loads, c, 0.0) for c in cols)
        np.add.at(total, at, per_row)
    return p, q


def _phase_sets(
    branches: pd.DataFrame, nodes: pd.DataFrame, f: np.ndarray, t: np.ndarray
) -> list[set[str]]:
    """Conductors of each branch: ``phases``, else the phases common to both end nodes."""
    node_ph = nodes["phase"].astype(str).to_numpy()
    given = (
        branches["phases"]
        if "phases" in branches.columns
        else pd.Series(None, index=branches.index)
    )
    out = []
    for k, ph in enumerate(given.tolist()):
        if isinstance(ph, str) and ph:
            out.append(set(ph))
        else:
            out.append(set(node_ph[f[k]]) & set(node_ph[t[k]]))
    return out


def _bundle_values(
    bundle: np.ndarray,
    phases: list[set[str]],
    r: np.ndarray,
    x: np.ndarray,
    tap: np.ndarray,
    rating: np.ndarray,
) -> None:
    """Give each bundle's representative the bundle's equivalent r, x, tap, rating (in place)."""
    for rep in np.unique(bundle[bundle != np.arange(len(bundle))]).tolist():
        members = np.flatnonzero(bundle == rep)
        sets = [phases[m] for m in members.tolist()]
        disjoint = sum(len(s) for s in sets) == len(set().union(*sets))
        if disjoint:
            r[rep], x[rep] = r[members].mean(), x[members].mean()
        else:
            y = 1.0 / (r[members] + 1j * x[members])
            z = 1.0 / y.sum()
            r[rep], x[rep] = z.real, z.imag
        tap[rep] = tap[members].mean()
        rating[rep] = rating[members].sum()


def build_grid(network: Network, devices: pd.DataFrame) -> FlisrGrid:
    """Build the FLISR array model.

    Parameters
    ----------
    network
        The network (``dist_nodes``, ``dist_branches``); its normal configuration (closed
        branches) must be radial with one slack node per connected part.
    devices
        ``switching_devices`` table.

    Raises
    ------
    gat_schemas.errors.InputError
        Meshed normal configuration, nodes without supply, unknown device branches.
    """
    nodes, _ = apply_defaults("dist_nodes", conform_table("dist_nodes", network.nodes))
    branches, _ = apply_defaults("dist_branches", conform_table("dist_branches", network.branches))
    devices = conform_table("switching_devices", devices)
    node_ids = nodes["node_id"].astype(str).to_numpy()
    index = pd.Index(node_ids)
    f = index.get_indexer(branches["from_node"].astype(str))
    t = index.get_indexer(branches["to_node"].astype(str))
    if (f < 0).any() or (t < 0).any():
        raise InputError("dist_branches: a branch end is not in dist_nodes (run gat validate)")
    base = float(network.base_mva)
    branch_ids = branches["branch_id"].astype(str).to_numpy()
    closed = (branches["status"] == "closed").to_numpy()
    slack = (nodes["type"] == "slack").to_numpy()
    parent, pbranch, root, tin, tout, bundle = _tree(
        len(nodes), f, t, closed, slack, node_ids, branch_ids
    )
    has, protective, op_time, op_dev, prot_dev, prot_time, auto = _device_arrays(
        branch_ids, devices
    )
    bundled = bundle != np.arange(len(bundle))
    if bundled.any():
        in_bundle = bundled.copy()
        in_bundle[bundle[bundled]] = True
        if (has & in_bundle).any():
            bad = ", ".join(map(str, branch_ids[has & in_bundle][:5]))
            raise InputError(
                f"switching_devices: device(s) on branch(es) {bad}, which run in parallel with "
                "another closed branch between the same nodes (a device cannot open one of "
                "them alone: put it on a branch in series)"
            )
    r = _float(branches, "r", 0.0)
    x = _float(branches, "x", 0.0)
    tap = _float(branches, "tap", 1.0)
    rating = pd.to_numeric(branches["thermal_limit"], errors="coerce").to_numpy(float) / base
    if bundled.any():
        _bundle_values(bundle, _phase_sets(branches, nodes, f, t), r, x, tap, rating)
    from gat_pf.physics import is_three_phase  # the one rule of which model a network needs

    three_phase = is_three_phase(network)
    extra_p, extra_q = _node_loads(network, node_ids)
    load_p = _float(nodes, "load_p", 0.0) + extra_p
    load_q = _float(nodes, "load_q", 0.0) + extra_q
    gen_p = _float(nodes, "gen_p", 0.0) * ~slack
    gen_q = _float(nodes, "gen_q", 0.0) * ~slack
    return FlisrGrid(
        name=network.name,
        base_mva=base,
        node_ids=node_ids,
        customers=nodes["customers"].to_numpy(dtype=np.int64),
        load_p_mw=load_p - gen_p,
        load_q_mvar=load_q - gen_q,
        is_slack=slack,
        v_min=_float(nodes, "v_min", 0.0),
        v_max=_float(nodes, "v_max", 2.0),
        v_set=_float(nodes, "v_set", 1.0),
        branch_ids=branch_ids,
        f=f.astype(np.int64),
        t=t.astype(np.int64),
        r=r,
        x=x,
        tap=tap,
        rating_pu=rating,
        closed=closed,
        has_device=has,
        protective=protective,
        op_time_h=op_time,
        op_device=op_dev,
        protect_device=prot_dev,
        protect_time_h=prot_time,
        automated=auto,
        parent=parent,
        parent_branch=pbranch,
        root=root,
        tin=tin,
        tout=tout,
        bundle=bundle,
        demand_mw=load_p,
        three_phase=three_phase,
    )
