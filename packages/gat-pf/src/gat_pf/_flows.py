"""Branch flows and node injections of solved scenarios, as arrays (S x ...), in pu."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._model import BUS_PQ, BUS_PV, BUS_SLACK, PowerFlowModel
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
    if values.shape[0] == 1:
        out = np.empty((1, n), dtype=complex)
        out.real[0] = np.bincount(idx, weights=values.real[0], minlength=n)
        out.imag[0] = np.bincount(idx, weights=values.imag[0], minlength=n)
        return out
    import scipy.sparse as sp

    m = sp.csr_matrix((np.ones(len(idx)), (idx, np.arange(len(idx)))), shape=(n, len(idx)))
    return np.asarray((m @ values.T).T)


def _two_port(v_bus, fb, tb, y):
    """Power entering active branches at both ends, ``(S, n_active)`` each (pu)."""
    yff, yft, ytf, ytt = y
    vf, vt = v_bus[:, fb], v_bus[:, tb]
    i_f = yff * vf
    i_f += yft * vt
    np.conjugate(i_f, out=i_f)
    i_f *= vf
    i_t = ytt * vt
    i_t += ytf * vf
    np.conjugate(i_t, out=i_t)
    i_t *= vt
    return i_f, i_t


def _controlled_share(model, a, s_from_a, s_to_a, fixed):
    """What each slack/source node supplies beyond its own load: (S, n_ctrl) pu.

    A bus's branch outflow minus the fixed injections of its nodes, shared equally by its
    slack and source nodes. Only buses holding such nodes are summed.
    """
    t = model.node_type
    ctrl = np.flatnonzero(t != BUS_PQ)
    cb = model.node_bus[ctrl]
    ub, local = np.unique(cb, return_inverse=True)
    where = np.full(model.n_bus, -1, dtype=np.int64)
    where[ub] = np.arange(len(ub))
    fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
    kf, kt = np.flatnonzero(where[fb] >= 0), np.flatnonzero(where[tb] >= 0)
    outflow = _scatter_sum(
        np.concatenate([where[fb[kf]], where[tb[kt]]]),
        np.concatenate([s_from_a[:, kf], s_to_a[:, kt]], axis=1),
        len(ub),
    )
    members = np.flatnonzero(where[model.node_bus] >= 0)
    fixed_bus = _scatter_sum(where[model.node_bus[members]], fixed[:, members], len(ub))
    n_ctrl = np.bincount(local, minlength=len(ub))
    return ctrl, (outflow - fixed_bus)[:, local] / n_ctrl[local]


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
    v_node = v_bus if model.buses_are_nodes else v_bus[:, model.node_bus]
    vm = np.abs(v_node)
    a = np.flatnonzero(model.branch_active)
    nbr = len(model.branch_ids)
    if method is Method.DC:
        from ._dc import dc_branch_flows

        pf = dc_branch_flows(model, np.angle(v_bus))
        s_from = pf + 0j
        s_to = -s_from
        load_v = np.broadcast_to(load.real + 0j, (n_s, n))
        shunt = np.broadcast_to(model.node_shunt.real + 0j, (n_s, n))
        gen_eff = np.where(t == BUS_PQ, gen, np.where(t == BUS_PV, gen.real + 0j, 0j))
        spec = gen_eff - load
        fixed = np.where(t == BUS_PQ, spec, spec.real + 0j) - shunt
        s_from_a, s_to_a = s_from[:, a], s_to[:, a]
    else:
        fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
        s_from_a, s_to_a = _two_port(v_bus, fb, tb, [y[a] for y in model.branch_y])
        if len(a) == nbr:
            s_from, s_to = s_from_a, s_to_a
        else:
            s_from = np.zeros((n_s, nbr), dtype=complex)
            s_to = np.zeros_like(s_from)
            s_from[:, a], s_to[:, a] = s_from_a, s_to_a
        zf, if_ = model.node_z_frac, model.node_i_frac
        vm2 = vm * vm
        if zf.any() or if_.any():
            load_v = load * ((1.0 - zf - if_) + if_ * vm + zf * vm2)
        else:
            load_v = np.broadcast_to(load, (n_s, n))
        shunt = np.conj(model.node_shunt) * vm2
        # Scheduled generation counts at PQ nodes, its P at source nodes, none at slack.
        fixed = gen - load_v
        fixed -= shunt
        pv = np.flatnonzero(t == BUS_PV)
        sl = np.flatnonzero(t == BUS_SLACK)
        if len(pv):
            fixed[:, pv] -= 1j * np.broadcast_to(gen, (n_s, n))[:, pv].imag
        if len(sl):
            fixed[:, sl] -= np.broadcast_to(gen, (n_s, n))[:, sl]
    s_node = np.array(np.broadcast_to(fixed, (n_s, n)))
    ctrl, share = _controlled_share(model, a, s_from_a, s_to_a, s_node)
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
