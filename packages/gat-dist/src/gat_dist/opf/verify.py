"""AC verification: OPF set points re-solved with the gat-pf AC power flow.

Every OPF answer is checked this way; several answers (one per hosting-capacity node, say)
are checked in one batched power flow. Injections are in MW/Mvar, generation positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import NotConvergedError

from .cuts import BranchValues
from .sets import OpfData

__all__ = ["AcCheck", "ac_branch_point", "ac_check"]

_FIXED = (1, 2)  # source and slack node types: their voltage is held, not limited


@dataclass(frozen=True, eq=False)
class AcCheck:
    """AC power-flow results of S operating points (arrays; NaN where not converged).

    Attributes
    ----------
    converged
        (S,) bool.
    vm, va_deg
        Node voltage magnitude (pu) and angle (deg), (S, N) in ``dist_nodes`` order.
    p_from, q_from, p_to, q_to
        Flows entering each OPF branch at its from/to end (MW, Mvar), (S, E).
    loading_pct
        ``max(|S_from|, |S_to|) / thermal_limit * 100`` (%), NaN when unrated, (S, E).
    p_loss_mw
        Total active losses (MW), (S,).
    vm_violation_pu, vm_violation_node
        Largest ``max(v_min - vm, vm - v_max, 0)`` over non-slack, non-source nodes (pu)
        and the node where it occurs, (S,).
    thermal_violation_pct, thermal_violation_branch
        Largest ``max(loading_pct - 100, 0)`` over rated branches (%) and the branch, (S,).
    """

    converged: np.ndarray
    vm: np.ndarray
    va_deg: np.ndarray
    p_from: np.ndarray
    q_from: np.ndarray
    p_to: np.ndarray
    q_to: np.ndarray
    loading_pct: np.ndarray
    p_loss_mw: np.ndarray
    vm_violation_pu: np.ndarray
    vm_violation_node: np.ndarray
    thermal_violation_pct: np.ndarray
    thermal_violation_branch: np.ndarray


def _solve(data: OpfData, gen_p: np.ndarray, gen_q: np.ndarray, load_scale: float):  # type: ignore[no-untyped-def]
    import gat_pf

    pf = data.pf
    try:
        batch = gat_pf.solve_batch(pf, gen_p_mw=gen_p, gen_q_mvar=gen_q, load_scale=load_scale)
        return batch.voltages, batch.converged
    except NotConvergedError:
        # One scenario failing must not hide the others: solve them one by one.
        v = np.full(gen_p.shape, np.nan, dtype=complex)
        ok = np.zeros(gen_p.shape[0], dtype=bool)
        for s in range(gen_p.shape[0]):
            try:
                b = gat_pf.solve_batch(
                    pf, gen_p_mw=gen_p[s], gen_q_mvar=gen_q[s], load_scale=load_scale
                )
                v[s], ok[s] = b.voltages[0], True
            except NotConvergedError:
                pass
        return v, ok


def ac_check(
    data: OpfData, p_inj_mw: np.ndarray, q_inj_mvar: np.ndarray, *, load_scale: float = 1.0
) -> AcCheck:
    """Solve S AC power flows with extra node injections and measure the violations.

    Parameters
    ----------
    data
        OPF array model (holds the power-flow model).
    p_inj_mw, q_inj_mvar
        Injections added to each node's own generation (MW, Mvar; generation positive),
        (S, N) in ``dist_nodes`` order. Ignored at slack nodes, and ``q`` at source nodes
        (the power flow holds their voltage).
    load_scale
        Factor on every load, as in the OPF.
    """
    pf = data.pf
    base_gen = pf.node_gen * pf.base_mva
    gen_p = np.atleast_2d(p_inj_mw) + base_gen.real
    gen_q = np.atleast_2d(q_inj_mvar) + base_gen.imag
    v_node, ok = _solve(data, gen_p, gen_q, load_scale)
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    v_bus = v_node[:, first]
    rows = data.br_row
    yff, yft, ytf, ytt = (y[rows] for y in pf.branch_y)
    vf, vt = v_bus[:, pf.branch_f_bus[rows]], v_bus[:, pf.branch_t_bus[rows]]
    s_from = vf * np.conj(yff * vf + yft * vt) * pf.base_mva
    s_to = vt * np.conj(ytf * vf + ytt * vt) * pf.base_mva
    rating = pf.branch_rating[rows]
    loading = np.maximum(np.abs(s_from), np.abs(s_to)) / rating * 100.0
    vm = np.abs(v_node)
    limited = ~np.isin(pf.node_type, _FIXED)
    excess = np.maximum(data.node_vmin - vm, vm - data.node_vmax)
    excess = np.where(limited, np.maximum(excess, 0.0), 0.0)
    worst_node = np.argmax(np.nan_to_num(excess, nan=-1.0), axis=1)
    over = np.nan_to_num(np.maximum(loading - 100.0, 0.0), nan=0.0)
    over = np.where(ok[:, None], over, np.nan)
    if rows.size:
        worst_br = np.argmax(np.nan_to_num(over, nan=-1.0), axis=1)
        th_val = np.take_along_axis(over, worst_br[:, None], axis=1)[:, 0]
        th_name = pf.branch_ids[rows][worst_br].astype(object)
    else:
        th_val, th_name = np.zeros(len(ok)), np.full(len(ok), "", dtype=object)
    return AcCheck(
        converged=ok,
        vm=vm,
        va_deg=np.rad2deg(np.angle(v_node)),
        p_from=s_from.real,
        q_from=s_from.imag,
        p_to=s_to.real,
        q_to=s_to.imag,
        loading_pct=loading,
        p_loss_mw=(s_from + s_to).real.sum(axis=1),
        vm_violation_pu=np.take_along_axis(excess, worst_node[:, None], axis=1)[:, 0],
        vm_violation_node=pf.node_ids[worst_node].astype(object),
        thermal_violation_pct=th_val,
        thermal_violation_branch=th_name,
    )


def ac_branch_point(data: OpfData, v_node: np.ndarray) -> BranchValues:
    """Branch-flow quantities (parent-end series flow, ``w = kp v``, ``l``) of an AC
    solution with node voltages ``v_node`` (complex pu, N): a point on the cone."""
    pf = data.pf
    rows = data.br_row
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    v_bus = v_node[first]
    vf, vt = v_bus[pf.branch_f_bus[rows]], v_bus[pf.branch_t_bus[rows]]
    tap = data.pf.branch_tap[rows] * np.exp(1j * data.br_shift)
    current = (vf / tap - vt) / (data.br_r + 1j * data.br_x)
    s_par = np.where(data.br_from_is_parent, vf / tap * np.conj(current), vt * np.conj(-current))
    w = np.where(data.br_from_is_parent, np.abs(vf / tap) ** 2, np.abs(vt) ** 2)
    return BranchValues(s_par.real, s_par.imag, w, np.abs(current) ** 2)
