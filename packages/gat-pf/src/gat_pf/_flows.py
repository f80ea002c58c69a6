"""Branch flows and node injections of solved scenarios, as arrays (S x ...), in pu."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._model import BUS_PQ, BUS_PV, PowerFlowModel
from ._options import Method

__all__ = ["FlowArrays", "flow_arrays"]


@dataclass(frozen=True, eq=False)
class FlowArrays:
    """Everything the result tables show, for S scenarios (complex pu unless stated).

    Attributes
    ----------
    v_node
        Node voltages (S, N).
    s_node
        Net injection into the network at each node (S, N): generation - load - shunt use.
    load
        Load drawn at each node at its solved voltage (S, N), consumption positive.
    shunt
        Power consumed by node shunts and capacitors at the solved voltage (S, N).
    s_from, s_to
        Power entering each branch at its from and to end (S, n_branch); 0 when open.
    """

    v_node: np.ndarray
    s_node: np.ndarray
    load: np.ndarray
    shunt: np.ndarray
    s_from: np.ndarray
    s_to: np.ndarray


def _scatter_sum(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Column sums ``out[:, k] = sum(values[:, idx == k])`` for 2-D complex ``values``."""
    import scipy.sparse as sp

    m = sp.csr_matrix((np.ones(len(idx)), (idx, np.arange(len(idx)))), shape=(n, len(idx)))
    return np.asarray((m @ values.T).T)


def flow_arrays(
    model: PowerFlowModel, method: Method, v_bus: np.ndarray, load: np.ndarray, gen: np.ndarray
) -> FlowArrays:
    """Compute flows and injections from solved bus voltages.

    Parameters
    ----------
    model
        The array model.
    method
        Method that produced ``v_bus`` (DC flows are computed from angles only).
    v_bus
        Bus voltages (S, n_bus) (for DC: ``exp(j theta)``).
    load, gen
        Node loads at 1 pu and scheduled generation (S, N) or broadcastable (pu).

    Notes
    -----
    Slack and source nodes take the part of their bus's branch outflow that the other nodes
    of the bus do not account for (shared equally when one bus holds several). Flows through
    merged zero-impedance switches follow from the nodal balance along the switch tree (a
    switch that closes a loop of switches carries no flow). DC runs report the specified
    reactive injection at PQ nodes, zero at slack and source nodes, and no reactive flows.
    """
    n_s = v_bus.shape[0]
    n = model.n_nodes
    t = model.node_type
    v_node = v_bus[:, model.node_bus]
    vm = np.abs(v_node)
    gen_eff = np.where(t == BUS_PQ, gen, np.where(t == BUS_PV, gen.real + 0j, 0j))
    a = np.flatnonzero(model.branch_active)
    fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
    s_from = np.zeros((n_s, len(model.branch_ids)), dtype=complex)
    s_to = np.zeros_like(s_from)
    if method is Method.DC:
        from ._dc import dc_branch_flows

        pf = dc_branch_flows(model, np.angle(v_bus))
        s_from[:] = pf
        s_to[:] = -pf
        load_v = np.broadcast_to(load.real + 0j, (n_s, n))
        shunt = np.broadcast_to(model.node_shunt.real + 0j, (n_s, n))
        spec = gen_eff - load
        fixed = np.where(t == BUS_PQ, spec, spec.real + 0j) - shunt
    else:
        yff, yft, ytf, ytt = (y[a] for y in model.branch_y)
        vf, vt = v_bus[:, fb], v_bus[:, tb]
        s_from[:, a] = vf * np.conj(yff * vf + yft * vt)
        s_to[:, a] = vt * np.conj(ytf * vf + ytt * vt)
        zf, if_ = model.node_z_frac, model.node_i_frac
        load_v = load * ((1.0 - zf - if_) + if_ * vm + zf * vm * vm)
        shunt = np.conj(model.node_shunt) * (vm * vm)
        fixed = gen_eff - load_v - shunt
    outflow_bus = _scatter_sum(
        np.concatenate([fb, tb]), np.concatenate([s_from[:, a], s_to[:, a]], axis=1), model.n_bus
    )
    fixed = np.array(np.broadcast_to(fixed, (n_s, n)))
    if model.buses_are_nodes:
        fixed_bus = fixed
    else:
        fixed_bus = np.asarray((model.node_to_bus @ fixed.T).T)
    ctrl = np.flatnonzero(t != BUS_PQ)
    n_ctrl = np.bincount(model.node_bus[ctrl], minlength=model.n_bus)
    s_node = fixed
    cb = model.node_bus[ctrl]
    share = (outflow_bus - fixed_bus)[:, cb] / n_ctrl[cb]
    if method is Method.DC:
        share = share.real + 0j
    s_node[:, ctrl] += share
    if model.branch_merged.any():
        _switch_flows(model, s_node, s_from, s_to, a)
    return FlowArrays(
        v_node=v_node,
        s_node=s_node,
        load=np.broadcast_to(load_v, (n_s, n)),
        shunt=np.broadcast_to(shunt, (n_s, n)),
        s_from=s_from,
        s_to=s_to,
    )


def _switch_flows(model, s_node, s_from, s_to, a) -> None:
    """Fill flows of merged switches from the nodal balance along each switch tree."""
    n = model.n_nodes
    fn, tn = model.branch_f_node[a], model.branch_t_node[a]
    out_node = _scatter_sum(
        np.concatenate([fn, tn]), np.concatenate([s_from[:, a], s_to[:, a]], axis=1), n
    )
    sub = s_node - out_node  # what each node pushes into its switches
    topo = model.topology
    for level in reversed(topo.switch_levels):
        parent = topo.switch_parent_node[level]
        np.add.at(sub, (slice(None), parent), sub[:, level])
    child = np.flatnonzero(topo.switch_parent_branch >= 0)
    br = topo.switch_parent_branch[child]
    sign = np.where(model.branch_f_node[br] == child, 1.0, -1.0)
    s_from[:, br] = sign * sub[:, child]
    s_to[:, br] = -sign * sub[:, child]
