"""Limits the network already breaks without the DER, held at their base-case values.

The envelope asks what the assets can deliver without breaking the network. A node that is
below ``v_min`` (or above ``v_max``) or a branch above ``thermal_limit`` before any asset
moves would make every support LP infeasible and the envelope empty, which answers no
aggregator's question. As in ``gat dist hostcap``, such a limit is moved to its base-case
value: the assets must not make it worse. The base case is every asset at its zero point
(:func:`gat_derms.envelope.model.zero_point`), solved by the AC power flow and, when the
LP model disagrees with it, by the LP model too (the looser of the two is held).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_schemas import Network
from gat_schemas.errors import InputError, NotConvergedError

if TYPE_CHECKING:
    from .options import EnvelopeOptions

__all__ = ["HELD_COLUMNS", "hold_broken_limits"]

#: Columns of the held-limits table.
HELD_COLUMNS = ("element", "limit", "value", "held_at")
_FIXED_TYPES = ("slack", "source")


def _base_flows(pf, v_node: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Largest end flow |S| (MVA) of every power-flow branch at node voltages ``v_node``."""
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    v_bus = v_node[first]
    yff, yft, ytf, ytt = pf.branch_y
    vf, vt = v_bus[pf.branch_f_bus], v_bus[pf.branch_t_bus]
    s_from = vf * np.conj(yff * vf + yft * vt)
    s_to = vt * np.conj(ytf * vf + ytt * vt)
    s = np.maximum(np.abs(s_from), np.abs(s_to)) * pf.base_mva
    return np.where(pf.branch_active, s, 0.0)


def _ac_base(network: Network, assets: pd.DataFrame, load_scale: float):  # type: ignore[no-untyped-def]
    """AC base case: node |V| (pu) and branch |S| (MVA) by branch id; ``None`` if it fails."""
    import gat_pf

    pf = gat_pf.build_model(network)
    index = {str(n): i for i, n in enumerate(pf.node_ids)}
    nodes = np.array([index[str(b)] for b in assets["bus_id"]], dtype=np.int64)
    p0 = np.clip(0.0, assets["p_min"].to_numpy(float), assets["p_max"].to_numpy(float))
    q0 = np.clip(0.0, assets["q_min"].to_numpy(float), assets["q_max"].to_numpy(float))
    base = pf.node_gen * pf.base_mva
    gen_p = base.real + np.bincount(nodes, weights=p0, minlength=pf.n_nodes)
    gen_q = base.imag + np.bincount(nodes, weights=q0, minlength=pf.n_nodes)
    try:
        batch = gat_pf.solve_batch(
            pf, gen_p_mw=gen_p[None, :], gen_q_mvar=gen_q[None, :], load_scale=load_scale
        )
    except NotConvergedError:
        return None
    v = batch.voltages[0]
    vm = pd.Series(np.abs(v), index=pf.node_ids.astype(str))
    s = pd.Series(_base_flows(pf, v), index=pf.branch_ids.astype(str))
    return vm, s


def _check_band(nodes: pd.DataFrame, options: EnvelopeOptions) -> None:
    """Every limited node keeps a voltage band (v_min < v_max) under the overrides; a band
    the overrides close is an input error, not a limit to hold."""
    free = ~nodes["type"].astype(str).isin(_FIXED_TYPES).to_numpy()
    lo, hi = nodes["v_min"].to_numpy(dtype=float), nodes["v_max"].to_numpy(dtype=float)
    bad = free & np.isfinite(lo) & np.isfinite(hi) & (lo >= hi)
    if not bad.any():
        return
    ids = nodes["node_id"].astype(str).to_numpy()[bad].tolist()
    where = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    if options.v_min is not None and options.v_max is None:
        what = f"the v_min {options.v_min:g} pu given for every node is not below v_max"
    elif options.v_max is not None and options.v_min is None:
        what = f"the v_max {options.v_max:g} pu given for every node is not above v_min"
    else:
        what = "v_min is not below v_max"
    raise InputError(f"table dist_nodes: {what} at node(s) {where}")


def hold_broken_limits(
    network: Network,
    assets: pd.DataFrame,
    options: EnvelopeOptions,
    *,
    lp_vm: pd.Series | None = None,
    lp_s: pd.Series | None = None,
) -> tuple[Network, pd.DataFrame]:
    """The network with its limits as the envelope LPs use them.

    The ``v_min``/``v_max`` overrides of ``options`` are written into ``dist_nodes``; every
    voltage limit that the base case breaks moves to the base-case voltage less or plus
    ``options.held_tol_pu``, every thermal limit it breaks to the base-case flow plus
    ``held_tol_pu`` times the rating (:mod:`gat_dist.held_limits`: the DER may not make
    them worse by more than that). Slack and source nodes keep theirs (their voltage is set).

    Parameters
    ----------
    network, assets, options
        As in :func:`gat_derms.envelope.compute_envelopes`.
    lp_vm, lp_s
        Node voltages (pu, by node id) and branch flows (MVA, by branch id) of the LP model at
        the base case, when known; the looser of the AC and LP value is held.

    Raises
    ------
    gat_schemas.errors.InputError
        An override leaves a node with ``v_min >= v_max`` (the nodes are named).

    Returns
    -------
    network, held
        The network to build the LPs on, and one row per held limit (``element``: node or
        branch id, ``limit``: v_min, v_max or thermal_limit, ``value``: the limit, ``held_at``:
        the value used).
    """
    nodes = network.nodes.copy()
    if options.v_min is not None:
        nodes["v_min"] = float(options.v_min)
    if options.v_max is not None:
        nodes["v_max"] = float(options.v_max)
    _check_band(nodes, options)
    branches = network.branches.copy()
    held: list[dict[str, object]] = []
    ac = _ac_base(network, assets, options.load_scale) if options.network_limits else None
    if ac is not None:
        vm, s = ac
        ids = nodes["node_id"].astype(str)
        lo_v, hi_v = vm.reindex(ids).to_numpy(), vm.reindex(ids).to_numpy()
        if lp_vm is not None:
            lp = lp_vm.reindex(ids).to_numpy()
            lo_v, hi_v = np.fmin(lo_v, lp), np.fmax(hi_v, lp)
        free = ~nodes["type"].astype(str).isin(_FIXED_TYPES).to_numpy()
        for col, base, below in (("v_min", lo_v, True), ("v_max", hi_v, False)):
            limit = nodes[col].to_numpy(dtype=float)
            broken = free & np.isfinite(base) & ((base < limit) if below else (base > limit))
            tol = options.held_tol_pu
            new = base - tol if below else base + tol
            for i in np.flatnonzero(broken):
                held.append({"element": ids.iloc[i], "limit": col, "value": limit[i],
                             "held_at": float(new[i])})  # fmt: skip
            nodes[col] = np.where(broken, new, limit)
        if "thermal_limit" in branches.columns:
            bids = branches["branch_id"].astype(str)
            flow = s.reindex(bids).to_numpy()
            if lp_s is not None:
                flow = np.fmax(flow, lp_s.reindex(bids).to_numpy())
            rating = branches["thermal_limit"].to_numpy(dtype=float)
            broken = np.isfinite(rating) & np.isfinite(flow) & (flow > rating)
            new = flow + options.held_tol_pu * rating
            for i in np.flatnonzero(broken):
                held.append({"element": bids.iloc[i], "limit": "thermal_limit",
                             "value": rating[i], "held_at": float(new[i])})  # fmt: skip
            branches["thermal_limit"] = np.where(broken, new, rating)
    tables = dict(network.tables) | {"dist_nodes": nodes, "dist_branches": branches}
    out = Network(network.name, network.base_mva, tables, network.frequency_hz, network.source)
    return out, pd.DataFrame(held, columns=list(HELD_COLUMNS))
