"""The three-phase array model: a network's tables in phase coordinates, built once.

Per unit: every node phase has the line-to-neutral base ``base_kv / sqrt 3`` (kV); the
power base of one phase is ``base_mva / 3`` (MVA). Impedance bases then equal the balanced
ones (``base_kv^2 / base_mva``), so a balanced network has the same per-unit numbers in
both models and a balanced load of P MW puts P/3 MW on each phase.

A *phase node* is one phase present at a node (``dist_nodes.phase``). Phase nodes joined by a
closed zero-impedance switch (``branch_type == "switch"``, ``r = x = 0``) are merged into one
*bus phase*; the kernels work on bus phases. Arrays ``pn_*`` are per phase node (node order,
then A, B, C), ``bp_*`` per bus phase, ``branch_*`` in ``dist_branches`` order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._branches import BranchBlocks, branch_blocks
from ._loads import LoadElements, load_elements
from ._table_utils import column, few, ids, index_of, strings

if TYPE_CHECKING:
    import scipy.sparse as sp

    from gat_schemas import Network

__all__ = ["ThreePhaseModel", "build_model_3ph"]

PHASE_LETTERS = "ABC"
_A = np.exp(-2j * np.pi / 3)  # phase B lags A by 120 degrees


@dataclass(frozen=True, eq=False)
class ThreePhaseModel:
    """A network in phase coordinates, ready for the three-phase kernels.

    Build it with :func:`build_model_3ph`. Voltages are per unit of each node's
    line-to-neutral base; powers per unit of ``base_mva / 3``.

    Attributes
    ----------
    base_mva
        System power base (MVA); one phase's base is a third of it.
    node_ids
        Node ids in ``dist_nodes`` order (N).
    node_type
        ``dist_nodes.type`` of every node (str).
    node_base_kv
        Line-to-line base voltage of every node (kV).
    node_v_min, node_v_max
        Allowed band of every node's line-to-neutral voltages (pu; ``dist_nodes.v_min``/
        ``v_max``, NaN when absent). Used only to report violations.
    pn_node, pn_phase
        Node index and phase (0, 1, 2 for A, B, C) of every phase node (M).
    pn_index
        (N, 3) phase-node index of every node phase (-1 where the node lacks the phase).
    pn_bus
        Bus-phase index of every phase node.
    n_bp
        Number of bus phases.
    bp_slack
        Bus phases with a fixed voltage (a slack node's phases), sorted.
    bp_unknown
        The other bus phases, sorted.
    v_slack
        Complex slack voltages (pu), one per ``bp_slack``.
    y_static
        Admittance (CSR, n_bp x n_bp, pu) of every branch without a regulator plus all
        shunts (capacitors, node shunts, line charging).
    branch_ids
        Branch ids in ``dist_branches`` order.
    branch_rating_mva
        ``dist_branches.thermal_limit`` (MVA, all conductors together; NaN = unrated).
    branches
        Per-branch primitives (:class:`BranchBlocks`): terminals and per-unit blocks.
    loads
        Load elements (:class:`LoadElements`): wye/delta, ZIP, per scenario scalable.
    shunt_pn
        Shunt admittance entries ``(rows, cols, values)`` in phase-node indices (pu).
    regulators
        Regulator rows as arrays (see :mod:`._regulators`), or ``None``.
    """

    base_mva: float
    node_ids: np.ndarray
    node_type: np.ndarray
    node_base_kv: np.ndarray
    node_v_min: np.ndarray
    node_v_max: np.ndarray
    pn_node: np.ndarray
    pn_phase: np.ndarray
    pn_index: np.ndarray
    pn_bus: np.ndarray
    n_bp: int
    bp_slack: np.ndarray
    bp_unknown: np.ndarray
    v_slack: np.ndarray
    y_static: Any
    branch_ids: np.ndarray
    branch_rating_mva: np.ndarray
    branches: BranchBlocks
    loads: LoadElements
    shunt_pn: tuple[np.ndarray, np.ndarray, np.ndarray]
    regulators: Any
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_pn(self) -> int:
        """Number of phase nodes M."""
        return len(self.pn_node)

    @property
    def pn_vbase_kv(self) -> np.ndarray:
        """Line-to-neutral base voltage of every phase node (kV)."""
        return self.node_base_kv[self.pn_node] / np.sqrt(3.0)

    def pn_labels(self) -> np.ndarray:
        """``node.phase`` label of every phase node (for messages and summaries)."""
        letters = np.array(list(PHASE_LETTERS), dtype=object)
        return self.node_ids[self.pn_node].astype(str) + "." + letters[self.pn_phase]

    def elimination_order(self) -> np.ndarray | None:
        """Unknown bus phases leaves first, or ``None`` when the network is meshed.

        Breadth-first from the slack phases over the admittance pattern, reversed (kept).
        """
        if "order" not in self._cache:
            self._cache["order"] = _leaves_first(self)
        return self._cache["order"]

    def floating_loads(self) -> np.ndarray:
        """Ids of nodes with phase-to-neutral loads in a region without a ground.

        A region is a set of nodes joined by lines and switches; it has a ground when it
        holds a slack or a grounded-wye transformer winding. Wye loads there return their
        current through the other phases only: the neutral floats, and a power flow may have
        no solution (one loaded phase) or need Newton-Raphson (all phases loaded).
        """
        ld = self.loads
        wye = (ld.pn_b < 0) & ((ld.s_p != 0) | (ld.s_i != 0) | (ld.s_z != 0))
        nodes = np.unique(self.pn_node[ld.pn_a[wye]])
        return self.node_ids[nodes[~self.grounded_nodes()[nodes]]]

    def grounded_nodes(self) -> np.ndarray:
        """(N,) whether each node's region has a ground (see :meth:`floating_loads`): a slack
        or a grounded-wye winding among the nodes joined to it by lines and switches."""
        if "grounded" in self._cache:
            return self._cache["grounded"]
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        br = self.branches
        n = len(self.node_ids)
        link = (br.active | br.merged) & ~br.transformer
        g = coo_matrix((np.ones(int(link.sum())), (br.f_node[link], br.t_node[link])), (n, n))
        _, region = connected_components(g, directed=False)
        grounded = np.zeros(region.max() + 1 if n else 0, dtype=bool)
        grounded[region[self.node_type == "slack"]] = True
        xf = br.transformer & br.active
        grounded[region[br.f_node[xf & br.side_grounded[:, 0]]]] = True
        grounded[region[br.t_node[xf & br.side_grounded[:, 1]]]] = True
        self._cache["grounded"] = out = grounded[region]
        return out

    def ybus(self, taps: np.ndarray | None = None) -> sp.csr_matrix:
        """Bus-phase admittance matrix (CSR, pu) with regulator ``taps`` (steps) applied."""
        from ._branches import regulator_blocks

        if self.regulators is None:
            return self.y_static
        return self.y_static + regulator_blocks(self, taps)


def _phase_nodes(
    nodes: Any, n: int, network: Any = None, node_ids: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = strings(nodes, "phase") if "phase" in nodes.columns else np.full(n, "ABC", object)
    has = np.zeros((n, 3), dtype=bool)
    for k, letter in enumerate(PHASE_LETTERS):
        has[:, k] = np.fromiter((letter in str(p) for p in text), dtype=bool, count=n)
    if network is not None:
        has &= ~_open_only(network, node_ids, has)
    node, phase = np.nonzero(has)
    index = np.full((n, 3), -1, dtype=np.int64)
    index[node, phase] = np.arange(len(node))
    return node.astype(np.int64), phase.astype(np.int64), index


def _open_only(network: Any, node_ids: np.ndarray, has: np.ndarray) -> np.ndarray:
    """(N, 3) node phases that only open branches reach (de-energised: left out of the model).

    OpenDSS leaves such a phase dead (the far side of a normally open tie switch); GAT drops
    it instead of refusing the network. A phase with a load, a capacitor or a closed branch
    is kept (and still refused when nothing feeds it).
    """
    out = np.zeros_like(has)
    br = network.branches
    if "status" not in br.columns:
        return out
    is_open = strings(br, "status") == "open"
    if not is_open.any():
        return out
    ends = index_of(node_ids, np.concatenate([ids(br, "from_node"), ids(br, "to_node")]))
    nbr = len(br)
    f, t = ends[:nbr], ends[nbr:]
    cand = np.unique(np.concatenate([f[is_open], t[is_open]]))
    cand = cand[cand >= 0]
    near = np.flatnonzero(np.isin(f, cand) | np.isin(t, cand))  # branches at those nodes
    given = br["phases"].to_numpy(dtype=object) if "phases" in br.columns else None
    sides: dict[int, tuple[str, str]] = {}
    tr = network.table("dist_transformers")
    if tr is not None and len(tr):
        at = index_of(ids(br, "branch_id"), ids(tr, "branch_id"))
        to = tr["phases_to"].tolist() if "phases_to" in tr.columns else [None] * len(tr)
        for i, p, q in zip(at.tolist(), tr["phases"].tolist(), to, strict=True):
            if i >= 0:
                sides[i] = (str(p), str(q) if isinstance(q, str) else str(p))
    reached = {True: np.zeros_like(has), False: np.zeros_like(has)}
    for i in near.tolist():
        if f[i] < 0 or t[i] < 0:
            continue
        p = given[i] if given is not None and isinstance(given[i], str) else None
        pf, pt = sides.get(i, (p, p))
        for node, letters in ((f[i], pf), (t[i], pt)):
            if letters:
                cols = [PHASE_LETTERS.index(c) for c in letters]
            else:
                cols = np.flatnonzero(has[f[i]] & has[t[i]]).tolist()
            reached[bool(is_open[i])][node, cols] = True
    keep = reached[False]
    for table in ("dist_loads", "dist_caps"):
        df = network.table(table)
        if df is not None and len(df) and "node_id" in df.columns:
            at = index_of(node_ids, ids(df, "node_id"))
            keep[at[at >= 0]] = True
    return has & reached[True] & ~keep


def _merge(m: int, pairs: np.ndarray) -> tuple[np.ndarray, int]:
    """Bus-phase label of every phase node after merging the ``(k, 2)`` switch pairs."""
    if len(pairs) == 0:
        return np.arange(m, dtype=np.int64), m
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    g = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    n_comp, label = connected_components(g, directed=False)
    # Relabel in order of first appearance so unmerged models keep bus phase == phase node.
    _, first = np.unique(label, return_index=True)
    rank = np.empty(n_comp, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(n_comp)
    return rank[label], n_comp


def build_model_3ph(network: Network) -> ThreePhaseModel:
    """Build the three-phase array model of a network (once; every solve reuses it).

    Parameters
    ----------
    network
        A :class:`gat_schemas.Network`. The three-phase tables (``dist_linecodes``,
        ``dist_transformers``, ``dist_regulators``, ``dist_loads``) and columns
        (``dist_branches.phases``/``linecode_id``, ``dist_nodes.va_set_deg``,
        ``dist_caps.connection``) are optional: without them every branch is modelled on
        each of its phases from ``r``, ``x``, ``b``, ``tap``, ``shift_deg`` without mutual
        coupling, node loads are spread equally over the node's phases (wye, with the node's
        ZIP fractions) and capacitors are wye.

    Returns
    -------
    ThreePhaseModel

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown references, a branch whose phases are missing at an end, a ``source``
        node (voltage-controlled generators are not modelled in three-phase), or a bus
        phase not connected to any slack phase.
    """
    nodes, br = network.nodes, network.branches
    base = float(network.base_mva)
    if not base > 0:
        raise InputError(f"network {network.name}: base_mva must be > 0, got {base}")
    node_ids = ids(nodes, "node_id")
    n = len(node_ids)
    node_type = strings(nodes, "type")
    if (node_type == "source").any():
        raise InputError(
            "table dist_nodes, column type: the three-phase power flow does not hold "
            f"source-node voltages (source nodes {few(node_ids[node_type == 'source'])}); "
            "make them load nodes with gen_p/gen_q or use the balanced power flow"
        )
    base_kv = column(nodes, "base_kv", np.nan)
    if not np.isfinite(base_kv).all() or (base_kv <= 0).any():
        raise InputError("table dist_nodes, column base_kv: every node needs base_kv > 0")
    pn_node, pn_phase, pn_index = _phase_nodes(nodes, n, network, node_ids)
    blocks = branch_blocks(network, node_ids, pn_index, base)
    pn_bus, n_bp = _merge(len(pn_node), blocks.merged_pairs)

    slack_nodes = np.flatnonzero(node_type == "slack")
    slack_pn = pn_index[slack_nodes].ravel()
    slack_pn = slack_pn[slack_pn >= 0]
    v_set = column(nodes, "v_set", 1.0)
    va = np.deg2rad(column(nodes, "va_set_deg", 0.0))
    rot = _A ** pn_phase[slack_pn]
    v_pn_slack = v_set[pn_node[slack_pn]] * np.exp(1j * va[pn_node[slack_pn]]) * rot
    bp_slack, first = np.unique(pn_bus[slack_pn], return_index=True)
    v_slack = v_pn_slack[first]
    is_slack = np.zeros(n_bp, dtype=bool)
    is_slack[bp_slack] = True
    bp_unknown = np.flatnonzero(~is_slack)

    loads = load_elements(network, node_ids, pn_index, pn_bus, base)
    shunt = _shunts(network, node_ids, pn_index, base)
    model = ThreePhaseModel(
        base_mva=base,
        node_ids=node_ids,
        node_type=node_type,
        node_base_kv=base_kv,
        node_v_min=column(nodes, "v_min", np.nan),
        node_v_max=column(nodes, "v_max", np.nan),
        pn_node=pn_node,
        pn_phase=pn_phase,
        pn_index=pn_index,
        pn_bus=pn_bus,
        n_bp=n_bp,
        bp_slack=bp_slack,
        bp_unknown=bp_unknown,
        v_slack=v_slack,
        y_static=None,
        branch_ids=ids(br, "branch_id"),
        branch_rating_mva=column(br, "thermal_limit", np.nan),
        branches=blocks,
        loads=loads,
        shunt_pn=shunt,
        regulators=blocks.regulators,
    )
    y_static = _assemble_static(model)
    object.__setattr__(model, "y_static", y_static)
    _check_energised(model)
    return model


def _assemble_static(model: ThreePhaseModel) -> Any:
    import scipy.sparse as sp

    rows, cols, vals = model.branches.static_coo
    sr, sc, sv = model.shunt_pn
    r = model.pn_bus[np.concatenate([rows, sr])]
    c = model.pn_bus[np.concatenate([cols, sc])]
    v = np.concatenate([vals, sv])
    y = sp.coo_matrix((v, (r, c)), shape=(model.n_bp, model.n_bp)).tocsr()
    y.sum_duplicates()
    return y


def _leaves_first(model: ThreePhaseModel) -> np.ndarray | None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    br = model.branches
    used = br.active | br.merged
    f, t = br.f_node[used], br.t_node[used]
    n_nodes = len(model.node_ids)
    # Distinct node pairs (parallel branches count once), as sorted integer keys.
    key = np.sort(np.minimum(f, t) * n_nodes + np.maximum(f, t))
    n_pairs = int(np.count_nonzero(np.diff(key))) + 1 if len(key) else 0
    slack_nodes = np.unique(model.pn_node[np.isin(model.pn_bus, model.bp_slack)])
    if n_pairs > n_nodes - len(slack_nodes):
        return None  # a loop between nodes
    n = model.n_bp
    taps = None if model.regulators is None else model.regulators.tap0
    # The admittance pattern plus a root (index n) joined to every slack phase, assembled
    # in one COO pass (sorted CSR rows, so the breadth-first visit order is the pattern's).
    y = model.ybus(taps).tocoo()
    nz = y.data != 0
    k = len(model.bp_slack)
    root = np.full(k, n, dtype=np.int64)
    rows = np.concatenate([y.row[nz], model.bp_slack, root])
    cols = np.concatenate([y.col[nz], root, model.bp_slack])
    g = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(g, n, directed=False, return_predecessors=False)
    order = order[order < n][::-1]
    unknown = np.zeros(n, dtype=bool)
    unknown[model.bp_unknown] = True
    return order[unknown[order]]


def _check_energised(model: ThreePhaseModel) -> None:
    from scipy.sparse.csgraph import connected_components

    y = model.ybus(model.regulators.tap0 if model.regulators is not None else None)
    pattern = (y != 0).astype(np.int8)
    _, label = connected_components(pattern, directed=False)
    fed = np.isin(label, label[model.bp_slack])
    if fed.all():
        return
    dead_pn = np.flatnonzero(~fed[model.pn_bus])
    raise InputError(
        "the three-phase network has node phases not connected to any slack phase "
        f"(check dist_nodes.phase and branch phases): {few(model.pn_labels()[dead_pn])}"
    )


def _shunts(
    network: Network, node_ids: np.ndarray, pn_index: np.ndarray, base: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacitor banks and node shunts as phase-node admittance entries (pu)."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    s_phase = base / 3.0
    nodes = network.nodes
    gs, bs = column(nodes, "gs_mw", 0.0), column(nodes, "bs_mvar", 0.0)
    nph = (pn_index >= 0).sum(axis=1)
    y_node = np.divide(gs + 1j * bs, nph * s_phase, out=np.zeros(len(gs), complex), where=nph > 0)
    # A node shunt (y = g + j b: consumes gs_mw, injects bs_mvar at 1 pu) is spread over
    # the node's phases, phase to neutral.
    has = pn_index >= 0
    for k in range(3):
        sel = has[:, k] & (y_node != 0)
        idx = pn_index[sel, k]
        rows.append(idx)
        cols.append(idx)
        vals.append(y_node[sel])
    caps = network.table("dist_caps")
    if caps is not None and len(caps):
        r, c, v = _capacitors(caps, node_ids, pn_index, s_phase)
        rows.append(r)
        cols.append(c)
        vals.append(v)
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(vals).astype(complex),
    )


def _capacitors(
    caps: Any, node_ids: np.ndarray, pn_index: np.ndarray, s_phase: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    use = strings(caps, "status") == "closed"
    if "kind" in caps.columns:
        use &= strings(caps, "kind") == "capacitor"
    cap_ids = ids(caps, "cap_id")
    at = index_of(node_ids, ids(caps, "node_id"))
    if (at[use] < 0).any():
        raise InputError(
            f"table dist_caps, column node_id: unknown node id(s) on {few(cap_ids[use & (at < 0)])}"
        )
    conn = strings(caps, "connection") if "connection" in caps.columns else None
    phase = strings(caps, "phase")
    q = caps["q_mvar"].to_numpy(dtype=float)
    rows, cols, vals = [], [], []
    for i in np.flatnonzero(use):
        ph = [PHASE_LETTERS.index(p) for p in PHASE_LETTERS if p in str(phase[i])]
        pns = pn_index[at[i], ph]
        if (pns < 0).any():
            raise InputError(
                f"table dist_caps, column phase: capacitor {cap_ids[i]} has phase(s) "
                f"{phase[i]} not all present at node {node_ids[at[i]]}"
            )
        delta = conn is not None and conn[i] == "delta"
        if not delta:
            b = q[i] / len(ph) / s_phase  # per phase at 1 pu
            rows.append(pns)
            cols.append(pns)
            vals.append(np.full(len(ph), 1j * b))
            continue
        if len(ph) < 2:
            raise InputError(
                f"table dist_caps, column connection: delta capacitor {cap_ids[i]} needs two "
                "or three phases"
            )
        legs = [(0, 1)] if len(ph) == 2 else [(0, 1), (1, 2), (2, 0)]
        b = q[i] / len(legs) / s_phase / 3.0  # per leg at sqrt 3 pu line to line
        for a, c in legs:
            pa, pc = pns[a], pns[c]
            rows.append(np.array([pa, pa, pc, pc]))
            cols.append(np.array([pa, pc, pa, pc]))
            vals.append(1j * b * np.array([1.0, -1.0, -1.0, 1.0]))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, complex)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
