"""AC verification of envelope vertices: every vertex's asset set points, all groups in one
batched gat-pf AC power flow, checked against the voltage and thermal limits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_dist.opf.sets import OpfData
from gat_dist.opf.verify import ac_check

from .groups import Group

__all__ = ["VertexCheck", "verify_vertices"]


@dataclass(frozen=True, eq=False)
class VertexCheck:
    """AC power flow of S vertices (arrays of length S).

    Attributes
    ----------
    converged
        The power flow converged.
    p_ac_mw, q_ac_mvar
        The group's exchange in the AC solution (MW, Mvar; export positive). For asset
        groups the sum of the set points (the power flow injects them as given); for feeder
        groups the AC exchange at the head, losses included. NaN when not converged.
    vm_min_pu, vm_max_pu
        Lowest and highest node voltage (pu).
    vm_violation_pu
        Largest voltage-limit violation over non-slack, non-source nodes (pu, >= 0).
    thermal_violation_pct
        Largest loading above 100 % of ``thermal_limit`` (percentage points, >= 0).
    vm
        Node voltage magnitudes (pu), (S, N) in ``dist_nodes`` order; NaN if not converged.
    loading_pct
        Loading of each OPF branch (% of ``thermal_limit``; NaN when unrated), (S, E).
    """

    converged: np.ndarray
    p_ac_mw: np.ndarray
    q_ac_mvar: np.ndarray
    vm_min_pu: np.ndarray
    vm_max_pu: np.ndarray
    vm_violation_pu: np.ndarray
    thermal_violation_pct: np.ndarray
    vm: np.ndarray
    loading_pct: np.ndarray


def verify_vertices(
    data: OpfData,
    groups: list[Group],
    p_der_mw: np.ndarray,
    q_der_mvar: np.ndarray,
    *,
    load_scale: float,
) -> VertexCheck:
    """AC-check S vertices in one batched power flow.

    Parameters
    ----------
    data
        OPF array model (network, assets, limits).
    groups
        The group of each vertex (S).
    p_der_mw, q_der_mvar
        (S, D) set points of every asset at each vertex (MW, Mvar; generation positive).
    load_scale
        Factor on every load, as in the LPs.
    """
    pf = data.pf
    s = len(groups)
    n = pf.n_nodes
    p_inj = np.zeros((s, n))
    q_inj = np.zeros((s, n))
    for k in range(s):
        p_inj[k] = np.bincount(data.der_node, weights=p_der_mw[k], minlength=n)
        q_inj[k] = np.bincount(data.der_node, weights=q_der_mvar[k], minlength=n)
    ac = ac_check(data, p_inj, q_inj, load_scale=load_scale)
    ok = np.asarray(ac.converged, dtype=bool)
    p_ac = np.full(s, np.nan)
    q_ac = np.full(s, np.nan)
    feeder = [g.feeder for g in groups]
    if any(feeder):
        head = _feeder_exchange(data, ac, p_inj, q_inj, groups, load_scale)
    for k, g in enumerate(groups):
        if not ok[k]:
            continue
        if g.feeder:
            p_ac[k], q_ac[k] = head[k].real, head[k].imag
        else:
            p_ac[k] = float(p_der_mw[k, g.assets].sum())
            q_ac[k] = float(q_der_mvar[k, g.assets].sum())
    vm = np.where(ok[:, None], np.nan_to_num(ac.vm, nan=1.0), 1.0)
    return VertexCheck(
        converged=ok,
        p_ac_mw=p_ac,
        q_ac_mvar=q_ac,
        vm_min_pu=np.where(ok, vm.min(axis=1, initial=np.inf), np.nan),
        vm_max_pu=np.where(ok, vm.max(axis=1, initial=-np.inf), np.nan),
        vm_violation_pu=np.where(ok, ac.vm_violation_pu, np.nan),
        thermal_violation_pct=np.where(ok, np.nan_to_num(ac.thermal_violation_pct), np.nan),
        vm=np.where(ok[:, None], ac.vm, np.nan),
        loading_pct=np.where(ok[:, None], ac.loading_pct, np.nan),
    )


def _feeder_exchange(data, ac, p_inj, q_inj, groups, load_scale) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Complex export (MVA) of each feeder vertex: what leaves the feeder through its
    boundary branches minus what its slack buses import from outside (S,)."""
    pf = data.pf
    base = pf.base_mva
    vm = np.nan_to_num(ac.vm)
    v_node = vm * np.exp(1j * np.deg2rad(np.nan_to_num(ac.va_deg)))
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    v_bus = v_node[:, first]
    # Net bus injection of the solution (generation - load - shunts), MVA.
    s_bus = v_bus * np.conj((pf.ybus @ v_bus.T).T) * base
    z, i = pf.node_z_frac, pf.node_i_frac
    load_node = pf.node_load[None, :] * load_scale * ((1.0 - z - i) + z * vm**2 + i * vm) * base
    der_node = p_inj + 1j * q_inj
    out = np.zeros(len(groups), dtype=complex)
    s_from = ac.p_from + 1j * ac.q_from
    s_to = ac.p_to + 1j * ac.q_to
    for k, g in enumerate(groups):
        if not g.feeder:
            continue
        total = 0.0 + 0.0j
        for b in g.slack_buses.tolist():
            nodes = np.flatnonzero(pf.node_bus == b)
            # Slack import = net injection + load served there - DER connected there.
            gen = s_bus[k, b] + load_node[k, nodes].sum() - der_node[k, nodes].sum()
            total -= gen
        fp = data.br_from_is_parent
        for e in g.branches_in.tolist():
            total += s_to[k, e] if fp[e] else s_from[k, e]
        for e in g.branches_out.tolist():
            total += s_from[k, e] if fp[e] else s_to[k, e]
        out[k] = total
    return out
