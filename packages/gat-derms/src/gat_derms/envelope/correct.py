"""AC correction of the LinDistFlow envelope: limits tightened by what the AC check finds.

LinDistFlow ignores losses, so at heavy import its voltages come out a little high and its
flows a little low. After a group's support LPs, its vertices go through the AC power flow;
where a vertex breaks a limit, the LP limits are tightened by the error seen there and the
group's LPs run again (same model, same basis):

- voltage: the lower bound of ``v = |V|^2`` at every bus rises by the largest amount the LP
  overestimated ``v`` at that bus over the vertices that broke a lower limit (the upper
  bound, symmetrically, for vertices above ``v_max``), plus ``V_MARGIN`` (pu^2);
- thermal: the rating of a branch the AC flow overloads shrinks by ``100 / loading``.

Corrections only ever tighten (they accumulate over rounds) and are undone before the next
group: the voltage bounds are column bounds, and the thermal cuts added under a shrunk
rating are removed from the model and the solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from .model import SupportModel, SupportPoint
from .verify import VertexCheck

__all__ = ["Correction", "apply_correction", "clear_correction", "next_correction"]

#: Extra tightening of the squared-voltage bounds (pu^2), so that corrected points land
#: inside the limit rather than on it.
V_MARGIN = 2e-4


@dataclass
class Correction:
    """Accumulated tightening of one group's LP limits (see module doc)."""

    v_lo: np.ndarray
    v_hi: np.ndarray
    rating: np.ndarray
    cuts_before: set[str] = field(default_factory=set)
    rounds: int = 0


def next_correction(
    model: SupportModel,
    points: list[SupportPoint],
    check: VertexCheck,
    tol_pu: float,
    tol_pct: float,
    previous: Correction | None,
) -> Correction | None:
    """The correction after an AC check of ``points``, or ``None`` when none is needed."""
    d = model.data
    first = np.zeros(d.n_bus, dtype=np.int64)
    first[d.pf.node_bus[::-1]] = np.arange(d.pf.n_nodes)[::-1]
    ok = check.converged
    vm_ac = np.where(ok[:, None], check.vm[:, first], np.nan)
    v_lp = np.array([p.v_sq for p in points])
    low = ok & np.any(check.vm[:, :] < d.node_vmin[None, :] - tol_pu, axis=1)
    high = ok & np.any(check.vm[:, :] > d.node_vmax[None, :] + tol_pu, axis=1)
    hot = np.nan_to_num(check.loading_pct, nan=0.0) > 100.0 + tol_pct
    if not (low.any() or high.any() or hot.any()):
        return None
    n_br = d.n_branch
    corr = previous or Correction(np.zeros(d.n_bus), np.zeros(d.n_bus), np.ones(n_br))
    if low.any():
        err = np.nanmax(v_lp[low] - vm_ac[low] ** 2, axis=0)
        corr.v_lo = np.maximum(corr.v_lo, np.nan_to_num(err, nan=0.0).clip(0.0) + V_MARGIN)
    if high.any():
        err = np.nanmax(vm_ac[high] ** 2 - v_lp[high], axis=0)
        corr.v_hi = np.maximum(corr.v_hi, np.nan_to_num(err, nan=0.0).clip(0.0) + V_MARGIN)
    if hot.any():
        loading = np.where(hot, check.loading_pct, 100.0)
        corr.rating = corr.rating * np.min(100.0 / loading, axis=0)
    corr.rounds += 1
    return corr


def apply_correction(model: SupportModel, corr: Correction) -> None:
    """Tighten the model's limits by ``corr`` (voltage column bounds, thermal ratings)."""
    m, d = model.model, model.data
    if corr.rounds == 1:
        corr.cuts_before = _cut_names(m)
    changed = []
    lo2, hi2 = d.bus_vmin**2, d.bus_vmax**2
    for b in m.B_ns:
        var = m.v[b]
        lb = float(lo2[b] + corr.v_lo[b]) if corr.v_lo[b] > 0 and np.isfinite(lo2[b]) else 0.0
        ub = float(hi2[b] - corr.v_hi[b]) if corr.v_hi[b] > 0 and np.isfinite(hi2[b]) else None
        if (var.lb, var.ub) != (lb, ub):
            var.setlb(lb)
            var.setub(ub)
            changed.append(var)
    if changed:
        model.solver.update_variables(changed)
    # The cut loop reads the ratings from the array model (its own; restored by
    # ``clear_correction``).
    d.br_rating[:] = model.rating0 * corr.rating


def clear_correction(model: SupportModel, corr: Correction) -> None:
    """Undo ``corr``: voltage bounds back to ``[0, inf)``, ratings restored, and the thermal
    cuts made under the shrunk ratings removed."""
    m, d = model.model, model.data
    changed = []
    for b in m.B_ns:
        var = m.v[b]
        if (var.lb, var.ub) != (0.0, None):
            var.setlb(0.0)
            var.setub(None)
            changed.append(var)
    if changed:
        model.solver.update_variables(changed)
    d.br_rating[:] = model.rating0
    removed: set[int] = set()
    for comp in list(m.cuts.component_objects(pyo.Constraint, descend_into=False)):
        if comp.local_name in corr.cuts_before:
            continue
        rows = list(comp.values())
        model.solver.opt.remove_constraints(rows)
        model.solver.total_cuts -= len(rows)
        removed.update(id(r) for r in rows)
        m.cuts.del_component(comp)
    model.solver.cone_cuts = [c for c in model.solver.cone_cuts if id(c) not in removed]


def _cut_names(m: pyo.ConcreteModel) -> set[str]:
    return {c.local_name for c in m.cuts.component_objects(pyo.Constraint, descend_into=False)}
