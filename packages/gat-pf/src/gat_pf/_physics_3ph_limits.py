"""Limit arrays of the three-phase physics model: judged voltages and their margins,
conductor currents and loading, unbalance, head and regulator flows."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._physics_3ph_currents import linear_currents
from ._physics_3ph_parts import _with_injections
from ._threephase._tables import flows_3ph
from .physics import LimitArrays, Solution, judged_vm, vuf_pct

__all__ = ["limits_3ph"]


def limits_3ph(phys: Any, solution: Solution) -> LimitArrays:
    """Limit arrays of a three-phase solution (see :class:`~gat_pf.physics.LimitArrays`);
    ``phys`` is the :class:`~gat_pf._physics_3ph.ThreePhasePhysics`.

    Conductor currents are linear in the terminal voltages at given taps; when every
    scenario has the same taps and no ideal switch merges phase nodes (whose currents
    depend on the loads), they come from two sparse matrices built once per tap setting
    (:func:`~gat_pf._physics_3ph_currents.linear_currents`) instead of :func:`flows_3ph`.
    """
    m = phys.model
    v = solution.v
    n_s = v.shape[0]
    s_phase = m.base_mva / 3.0
    vb = m.pn_vbase_kv
    lin = linear_currents(phys, solution.taps)
    if lin is not None:
        mat_f, mat_t, mat_head = lin
        vt = np.ascontiguousarray(v.T)
        i_f = (mat_f @ vt).T
        i_t = (mat_t @ vt).T
        i_head = (mat_head @ vt).T
        s_head = v[:, np.concatenate(phys.head_pn)] * np.conj(i_head) if phys.head_pn else None
    else:
        inj = solution.injection
        model = _with_injections(m, None if inj is None else inj.terms)
        taps = solution.taps if m.regulators is not None else None
        fl = flows_3ph(model, v, taps, solution.state.get("scale"))
        i_f = fl.i_from[:, phys.cond_cols]
        i_t = fl.i_to[:, phys.cond_cols]
        s_head = fl.s_node[:, np.concatenate(phys.head_pn)] if phys.head_pn else None
    a_f = np.abs(i_f) * (s_phase / vb[phys.cond_pf]) * 1e3
    a_t = np.abs(i_t) * (s_phase / vb[phys.cond_pt]) * 1e3
    with np.errstate(invalid="ignore", divide="ignore"):
        loading = np.maximum(a_f / phys.amp_from, a_t / phys.amp_to) * 100.0
        vm_ln = np.abs(v)
        vm = judged_vm(phys, v)
        margin = np.minimum(phys.term_v_max - vm, vm - phys.term_v_min)
    margin[:, phys.term_slack] = np.nan
    head = np.zeros((n_s, 0))
    if s_head is not None:
        ends = np.cumsum([len(pn) for pn in phys.head_pn])[:-1]
        head = np.stack(
            [part.real.sum(axis=1) * s_phase for part in np.split(s_head, ends, axis=1)],
            axis=1,
        )
    reg_p = np.zeros((n_s, 0))
    if len(phys.reg_col):
        cols = phys.reg_col
        reg_p = (v[:, phys.cond_pf[cols]] * np.conj(i_f[:, cols])).real * s_phase
    return LimitArrays(
        vm_pu=vm,
        v_margin_pu=margin,
        current_a=np.maximum(a_f, a_t),
        loading_pct=loading,
        vuf_pct=vuf_pct(v[:, phys.vuf_index]) if len(phys.vuf_index) else np.zeros((n_s, 0)),
        head_p_mw=head,
        regulator_p_mw=reg_p,
        vm_ln_pu=vm_ln,
    )
