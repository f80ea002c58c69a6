"""Customers, protection devices and failure data for a radial feeder (documented rules).

The published feeders give loads but no customers, protection or failure statistics; the
reliability studies (``gat adms ...``) need all three. This module fills them with stated
typical values, the same for every shipped feeder:

**Customers** (:func:`customers_from_load`): ``customers = max(1, round(P / kw_per_customer))``
at every non-slack node with active load ``P`` (kW) > 0, 0 elsewhere; ``kw_per_customer``
defaults to 5 kW, a typical diversified peak demand of a residential customer.

**Lengths** (:func:`estimate_lengths`): where a feeder gives no line lengths (the MATPOWER
cases), ``length_km = R / r_per_km`` from the line's series resistance ``R`` (ohm) and a
typical overhead conductor of ``r_per_km = 0.35`` ohm/km. Lengths the source gives are kept.

**Devices** (:func:`generate_switching_devices`, table ``switching_devices``), from the
topology of the closed (normally energised) network:

* the *trunk* is the path from the slack node to the node with the most branches between it
  and the slack (ties broken by node order);
* a ``breaker`` (automated: re-closes 0.05 h, 3 minutes, after the fault is isolated) on the
  first ``line`` branch of the trunk: the feeder head, below the substation transformer and
  regulators when there are any; and one on every other line leaving the same node (each
  feeder out of the substation bus has its own breaker);
* a ``fuse`` (not remote-controlled: a crew replaces it, 1 h) on the first branch of every
  lateral, i.e. every closed branch that leaves a trunk node below the breaker towards a
  non-trunk node;
* a manual ``disconnect`` (1 h to operate: a crew drives there) on the trunk branches that
  split the trunk below the breaker into ``trunk_sections`` parts of equal branch count;
* a manual ``tie`` (normally open, 1 h to close) on every open branch of the source data.

The source's Thevenin equivalent (the ``Vsource.<name>`` line from the slack to the source
bus that the OpenDSS importer writes) is the upstream system, not feeder equipment: it gets
no device and no failure data, and the breaker goes on the first real line below it.

``operate_time_h`` is read as FLISR reads it (``gat adms flisr-sim``): the time from the fault
until the device has operated, or, for the protective device that tripped, until it is closed
again. These are the values of the hand-made case33bw tables in ``test_data/adms``.

**Failure data** (:func:`generate_reliability`, table ``reliability``), one row per closed
branch (an open tie carries no current and is not counted):

=================  ==============================  ===================
``branch_type``     failure rate                    repair time
=================  ==============================  ===================
``line``            0.065 per km per year           5 h
``transformer``     0.015 per year                  200 h
``switch``          0.006 per year                  4 h
=================  ==============================  ===================

The line and transformer values are those of the Roy Billinton reliability test system's
distribution data (R. N. Allan et al., IEEE Trans. Power Systems 6(2), 1991); the switch
value is a typical figure for a line switch.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError
from gat_schemas.network import Network

from ._loads import node_load_mw

__all__ = [
    "ReliabilityOptions",
    "customers_from_load",
    "estimate_lengths",
    "generate_reliability",
    "generate_switching_devices",
]


@dataclass(frozen=True)
class ReliabilityOptions:
    """Typical values of the reliability generator (see the module docstring).

    Parameters
    ----------
    kw_per_customer
        Active load per customer (kW).
    r_ohm_per_km
        Series resistance of the conductor used to estimate missing lengths (ohm/km).
    line_failure_per_km_yr, line_repair_h
        Overhead line failures per km per year (1/(km yr)) and repair time (h).
    transformer_failure_per_yr, transformer_repair_h
        Transformer (and regulator) failures per year (1/yr) and repair time (h).
    switch_failure_per_yr, switch_repair_h
        Line switch failures per year (1/yr) and repair time (h).
    manual_switch_h
        Time for a crew to operate a manual disconnect or tie, or to replace a fuse (h).
    automated_switch_h
        Time for the automated breaker to re-close after isolation (h).
    trunk_sections
        Number of trunk sections the disconnects split the trunk into (1 = no disconnect).
    """

    kw_per_customer: float = 5.0
    r_ohm_per_km: float = 0.35
    line_failure_per_km_yr: float = 0.065
    line_repair_h: float = 5.0
    transformer_failure_per_yr: float = 0.015
    transformer_repair_h: float = 200.0
    switch_failure_per_yr: float = 0.006
    switch_repair_h: float = 4.0
    manual_switch_h: float = 1.0
    automated_switch_h: float = 0.05
    trunk_sections: int = 3

    def __post_init__(self) -> None:
        for name in ("kw_per_customer", "r_ohm_per_km", "line_repair_h", "transformer_repair_h",
                     "switch_repair_h"):  # fmt: skip
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"ReliabilityOptions.{name} must be > 0, got {value}")
        for name in ("line_failure_per_km_yr", "transformer_failure_per_yr",
                     "switch_failure_per_yr", "manual_switch_h", "automated_switch_h"):  # fmt: skip
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"ReliabilityOptions.{name} must be >= 0, got {value}")
        if self.trunk_sections < 1:
            raise InputError(
                f"ReliabilityOptions.trunk_sections must be >= 1, got {self.trunk_sections}"
            )


def customers_from_load(net: Network, *, kw_per_customer: float = 5.0) -> pd.Series:
    """Customers at every node: ``max(1, round(P_kW / kw_per_customer))`` where P > 0.

    Returns
    -------
    pandas.Series
        int64 customers in ``dist_nodes`` order (index: node ids); 0 at the slack and at
        nodes without active load.
    """
    load_kw = node_load_mw(net).to_numpy() * 1000.0
    slack = net.nodes["type"].to_numpy() == "slack"
    count = np.where((load_kw > 0) & ~slack, np.maximum(1, np.round(load_kw / kw_per_customer)), 0)
    return pd.Series(count.astype(np.int64), index=net.nodes["node_id"].to_numpy())


def estimate_lengths(net: Network, *, r_ohm_per_km: float = 0.35) -> pd.Series:
    """Branch lengths (km): the given ``length_km``, else ``R / r_ohm_per_km`` for lines.

    ``R`` (ohm) is the per-unit ``r`` times the from node's impedance base
    (``base_kv^2 / base_mva``). Transformers and switches without a length get 0 km.
    """
    br = net.branches
    kv = net.nodes.set_index("node_id")["base_kv"].astype(float)
    z_base = kv.reindex(br["from_node"]).to_numpy() ** 2 / float(net.base_mva)
    estimate = br["r"].to_numpy(dtype=float) * z_base / r_ohm_per_km
    is_line = br.get("branch_type", pd.Series("line", index=br.index)).to_numpy() == "line"
    estimate = np.where(is_line, estimate, 0.0)
    given = (
        pd.to_numeric(br["length_km"]).to_numpy(dtype=float)
        if "length_km" in br.columns
        else np.full(len(br), np.nan)
    )
    return pd.Series(np.where(np.isnan(given), estimate, given), index=br["branch_id"].to_numpy())


#: Branch id prefix of a source's Thevenin equivalent written by the OpenDSS importer.
SOURCE_PREFIX = "Vsource."


def _is_source(branch_id: object) -> bool:
    """True for the Thevenin equivalent of a source (not feeder equipment)."""
    return str(branch_id).startswith(SOURCE_PREFIX)


def _tree(net: Network) -> tuple[str, dict[str, list[tuple[str, str]]], dict[str, tuple[str, str]]]:
    """BFS tree of the closed network from its slack: children and parent (branch, node)."""
    nodes, br = net.nodes, net.branches
    slack = nodes.loc[nodes["type"] == "slack", "node_id"].tolist()
    if len(slack) != 1:
        raise InputError(f"network {net.name}: the device rules need exactly one slack node")
    adj: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes["node_id"].tolist()}
    closed = br[br["status"] == "closed"]
    for bid, f, t in zip(closed["branch_id"], closed["from_node"], closed["to_node"], strict=True):
        adj[f].append((bid, t))
        adj[t].append((bid, f))
    root = slack[0]
    parent: dict[str, tuple[str, str]] = {}
    children: dict[str, list[tuple[str, str]]] = {n: [] for n in adj}
    seen, queue = {root}, deque([root])
    while queue:
        u = queue.popleft()
        for bid, v in adj[u]:
            if v in seen:
                # The branch to the parent, or one in parallel with it (single-phase
                # regulators of one bank), is not a loop.
                if parent.get(u, ("", ""))[1] != v and parent.get(v, ("", ""))[1] != u:
                    raise InputError(
                        f"network {net.name}: closed branch {bid} makes a loop; the device "
                        "rules need a radial feeder"
                    )
                continue
            seen.add(v)
            parent[v] = (bid, u)
            children[u].append((bid, v))
            queue.append(v)
    return root, children, parent


def _trunk(net: Network) -> tuple[list[str], list[str], dict[str, list[tuple[str, str]]]]:
    """Trunk nodes and branches (slack first), and the tree's children lists."""
    root, children, parent = _tree(net)
    depth = {root: 0}
    order = [root]
    for u in order:
        for _, v in children[u]:
            depth[v] = depth[u] + 1
            order.append(v)
    rank = {n: i for i, n in enumerate(net.nodes["node_id"].tolist())}
    far = max(depth, key=lambda n: (depth[n], -rank[n]))
    path_nodes, path_branches = [far], []
    while path_nodes[-1] != root:
        bid, up = parent[path_nodes[-1]]
        path_branches.append(bid)
        path_nodes.append(up)
    return path_nodes[::-1], path_branches[::-1], children


def generate_switching_devices(
    net: Network, *, options: ReliabilityOptions | None = None
) -> pd.DataFrame:
    """The ``switching_devices`` table of a radial feeder (rules in the module docstring).

    Raises
    ------
    InputError
        The network has no single slack, a loop of closed branches, or no line on its trunk.
    """
    opts = options if options is not None else ReliabilityOptions()
    br = net.branches.set_index("branch_id")
    kind = br["branch_type"] if "branch_type" in br.columns else pd.Series("line", index=br.index)
    trunk_nodes, trunk_branches, children = _trunk(net)
    heads = [i for i, b in enumerate(trunk_branches) if kind[b] == "line" and not _is_source(b)]
    if not heads:
        raise InputError(f"network {net.name}: no line on the trunk to place the breaker on")
    head = heads[0]
    rows: list[tuple[str, str, str, str, bool, float]] = []
    on_trunk = set(trunk_nodes)
    for bid, _ in children[trunk_nodes[head]]:
        if bid == trunk_branches[head] or kind[bid] == "line":
            rows.append((f"brk_{bid}", bid, "breaker", "closed", True, opts.automated_switch_h))
    below = trunk_branches[head:]
    n_sec = min(opts.trunk_sections, len(below))
    for k in range(1, n_sec):
        b = below[round(k * len(below) / n_sec)]
        rows.append((f"dsc_{b}", b, "disconnect", "closed", False, opts.manual_switch_h))
    for u in trunk_nodes[head + 1 :]:
        for bid, v in children[u]:
            if v not in on_trunk:
                rows.append((f"fuse_{bid}", bid, "fuse", "closed", False, opts.manual_switch_h))
    for bid in br.index[br["status"] == "open"]:
        rows.append((f"tie_{bid}", str(bid), "tie", "open", False, opts.manual_switch_h))
    order = {b: i for i, b in enumerate(br.index)}
    rows.sort(key=lambda r: (order[r[1]], r[2]))
    df = pd.DataFrame(
        rows,
        columns=[
            "device_id",
            "branch_id",
            "device_type",
            "normal_state",
            "automated",
            "operate_time_h",
        ],
    )
    df["automated"] = df["automated"].astype(bool)
    df["operate_time_h"] = df["operate_time_h"].astype(np.float64)
    return df


def generate_reliability(
    net: Network, *, options: ReliabilityOptions | None = None
) -> pd.DataFrame:
    """The ``reliability`` table: one row per closed branch (rates in the module docstring),
    the source's Thevenin equivalent excepted.

    Lines get ``failure_rate_per_km_yr`` (their ``length_km`` must be known: see
    :func:`estimate_lengths`); transformers and switches a ``failure_rate_per_yr``.

    Raises
    ------
    InputError
        A closed line has no ``length_km``.
    """
    opts = options if options is not None else ReliabilityOptions()
    br = net.branches[net.branches["status"] == "closed"]
    br = br[~br["branch_id"].map(_is_source).to_numpy(dtype=bool)]
    kind = br["branch_type"].to_numpy() if "branch_type" in br.columns else np.full(len(br), "line")
    length = (
        pd.to_numeric(br["length_km"]).to_numpy(dtype=float)
        if "length_km" in br.columns
        else np.full(len(br), np.nan)
    )
    line = kind == "line"
    if (line & np.isnan(length)).any():
        missing = br["branch_id"].to_numpy()[line & np.isnan(length)][:5]
        raise InputError(
            f"network {net.name}: table dist_branches, column length_km: no length for "
            f"line(s) {', '.join(map(str, missing))} (per-km failure rates need it)"
        )
    per_yr = np.where(
        kind == "transformer", opts.transformer_failure_per_yr, opts.switch_failure_per_yr
    )
    repair = np.select(
        [line, kind == "transformer"],
        [opts.line_repair_h, opts.transformer_repair_h],
        default=opts.switch_repair_h,
    )
    return pd.DataFrame(
        {
            "element_id": br["branch_id"].astype(str).to_numpy(),
            "element_type": "branch",
            "failure_rate_per_yr": np.where(line, np.nan, per_yr).astype(np.float64),
            "failure_rate_per_km_yr": np.where(line, opts.line_failure_per_km_yr, np.nan).astype(
                np.float64
            ),
            "repair_time_h": repair.astype(np.float64),
        }
    )
