"""The LP of one round of the three-phase OPF (Pyomo, solved by HiGHS).

Variables (per DER asset ``d``): ``p[d]``, ``q[d]`` (MW, Mvar, generation positive) and the
elastic slacks ``s_vm_lb[t]``, ``s_vm_ub[t]`` (pu), ``s_amp[c]`` (fraction of the ampacity), ``s_rev`` (MW), all
>= 0 and priced at ``PENALTY`` per unit in the objective: a limit the DER cannot meet (IEEE 13's
regulator output is above 1.05 pu at its published taps) stays as small as they can make it
instead of making the model infeasible; the AC check reports what is left.

The losses are modelled to second order in each asset's own set point (their gradient plus
the diagonal of their Hessian, as tangents ``ineq_curv_p``/``ineq_curv_q``), so the loss
model has an interior optimum instead of sending every step to the trust region's edge.

Constraints, linear in the step ``(p - p0, q - q0)`` from the linearisation point:

- ``ineq_vm_lb[t]``, ``ineq_vm_ub[t]``: ``v_lo + lo[t] <= vm0 + dvm (step) <= v_hi - hi[t]``
  on every terminal not fixed by a slack (``lo``, ``hi``: tightening from the AC rounds);
- ``ineq_amp[c]``: ``loading0 + dloading (step) <= 100 (shrink[c] + s_amp[c])`` (%) on
  rated conductors (each end's current over its own rating);
- ``ineq_rev``: ``head0 + dhead (step) >= -reverse_flow_limit`` (when a limit is set);
- ``ineq_der_s[d, k]``: the inverter circle as an inscribed polygon (``s_max_sides``);
- the trust region and the asset limits as variable bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from gat_dist.opf.options import Objective, OpfOptions

from .ac import Linear
from .data import Opf3Data

__all__ = ["PENALTY", "LpResult", "Tightening", "solve_round"]

#: Price of one unit of an elastic slack (pu of voltage, ampacity of current, MW of reverse flow),
#: in objective units: far above any objective, so limits come first.
PENALTY = 1e4
#: Tangents of each asset's loss curvature over the trust region.
_TANGENTS = 17
#: Voltage rows whose linear prediction stays this far inside both limits over the whole
#: trust region are left out of the LP (pu).
_FAR = 0.02


@dataclass
class Tightening:
    """Limits tightened where the AC check broke what the LP predicted (accumulating)."""

    lo: np.ndarray
    hi: np.ndarray
    shrink: np.ndarray


@dataclass(frozen=True)
class LpResult:
    """One LP solution: set points, predicted voltages/currents, objective (model units)."""

    p: np.ndarray
    q: np.ndarray
    vm: np.ndarray
    loading_pct: np.ndarray
    objective: float
    slack_total: float


def _curvature(m, lin: Linear, radius_mw: float) -> None:  # type: ignore[no-untyped-def]
    """``t_p[d] >= loss_hp[d] (p - p0)^2 / 2`` (and ``t_q``) by tangents over the trust region:
    the diagonal of the losses' Hessian, so the loss model has an interior optimum."""
    a = np.linspace(-radius_mw, radius_mw, _TANGENTS)
    m.K = pyo.Set(initialize=range(_TANGENTS), ordered=True)
    m.t_p = pyo.Var(m.D, bounds=(0.0, None), initialize=0.0)
    m.t_q = pyo.Var(m.D, bounds=(0.0, None), initialize=0.0)

    def rule(var, x, x0, h):  # type: ignore[no-untyped-def]
        def f(_m, d: int, k: int):  # type: ignore[no-untyped-def]
            hd, ak = float(h[d]), float(a[k])
            if hd == 0.0:
                return pyo.Constraint.Skip
            # Tangent of h/2 s^2 at s = a: h a s - h a^2 / 2.
            return var[d] >= hd * ak * (x[d] - float(x0[d])) - 0.5 * hd * ak * ak

        return f

    m.ineq_curv_p = pyo.Constraint(m.D, m.K, rule=rule(m.t_p, m.p, lin.p, lin.loss_hp))
    m.ineq_curv_q = pyo.Constraint(m.D, m.K, rule=rule(m.t_q, m.q, lin.q, lin.loss_hq))


def _objective(m, data: Opf3Data, lin: Linear, options: OpfOptions):  # type: ignore[no-untyped-def]
    dp = {d: m.p[d] - float(lin.p[d]) for d in m.D}
    dq = {d: m.q[d] - float(lin.q[d]) for d in m.D}
    loss = (
        lin.loss_mw
        + sum(m.t_p[d] + m.t_q[d] for d in m.D)
        + sum(float(lin.loss_dp[d]) * dp[d] + float(lin.loss_dq[d]) * dq[d] for d in m.D)
    )
    kind = options.objective
    if kind is Objective.LOSS:
        return loss
    if kind is Objective.COST:
        head = lin.head_p_mw + sum(
            float(lin.head_dp[d]) * dp[d] + float(lin.head_dq[d]) * dq[d] for d in m.D
        )
        expr = (
            sum(float(data.der_c1[d]) * m.p[d] for d in m.D)
            + float(data.der_c0.sum())
            + float(options.import_price) * head
        )
    else:
        curt = data.der_curtailable
        expr = sum(float(data.der_p_max[d]) - m.p[d] for d in m.D if curt[d])
    return expr + float(options.loss_weight) * loss


def true_objective(
    data: Opf3Data, options: OpfOptions, p: np.ndarray, loss_mw: float, head_p_mw: float
) -> float:
    """The objective at AC values (same units as the LP's)."""
    kind = options.objective
    if kind is Objective.LOSS:
        return float(loss_mw)
    if kind is Objective.COST:
        value = float(data.der_c1 @ p + data.der_c0.sum() + options.import_price * head_p_mw)
    else:
        value = float(np.sum((data.der_p_max - p)[data.der_curtailable]))
    return value + options.loss_weight * float(loss_mw)


def solve_round(
    data: Opf3Data,
    lin: Linear,
    options: OpfOptions,
    tight: Tightening,
    radius_mw: float,
) -> LpResult:
    """Build and solve the LP linearised at ``lin`` within ``radius_mw`` of its set points.

    Raises
    ------
    gat_schemas.errors.SolverError
        When HiGHS fails (the elastic slacks keep the LP feasible).
    """
    from gat_dist.opf.solve import persistent_highs
    from gat_schemas.errors import SolverError

    n_d = data.n_der
    m = pyo.ConcreteModel(name="opf3")
    m.D = pyo.Set(initialize=range(n_d), ordered=True)
    p_lo = np.maximum(data.der_p_min, lin.p - radius_mw)
    p_hi = np.minimum(data.der_p_max, lin.p + radius_mw)
    q_lo = np.maximum(data.der_q_min, lin.q - radius_mw)
    q_hi = np.minimum(data.der_q_max, lin.q + radius_mw)
    m.p = pyo.Var(m.D, bounds=lambda _m, d: (float(p_lo[d]), float(p_hi[d])))
    m.q = pyo.Var(m.D, bounds=lambda _m, d: (float(q_lo[d]), float(q_hi[d])))
    dp = {d: m.p[d] - float(lin.p[d]) for d in m.D}
    dq = {d: m.q[d] - float(lin.q[d]) for d in m.D}

    # Voltage rows that can bind somewhere in the trust region.
    reach = (np.abs(lin.vm_dp) + np.abs(lin.vm_dq)).sum(axis=1) * radius_mw if n_d else 0.0
    lo = data.v_lo + tight.lo
    hi = data.v_hi - tight.hi
    near = data.limited & ((lin.vm - reach < lo + _FAR) | (lin.vm + reach > hi - _FAR))
    rows_v = np.flatnonzero(near).tolist()
    m.T = pyo.Set(initialize=rows_v, ordered=True)
    m.s_vm_lb = pyo.Var(m.T, bounds=(0.0, None), initialize=0.0)
    m.s_vm_ub = pyo.Var(m.T, bounds=(0.0, None), initialize=0.0)

    def vm_expr(t: int):  # type: ignore[no-untyped-def]
        return float(lin.vm[t]) + sum(
            float(lin.vm_dp[t, d]) * dp[d] + float(lin.vm_dq[t, d]) * dq[d] for d in m.D
        )

    m.ineq_vm_lb = pyo.Constraint(m.T, rule=lambda _m, t: vm_expr(t) + m.s_vm_lb[t] >= float(lo[t]))
    m.ineq_vm_ub = pyo.Constraint(m.T, rule=lambda _m, t: vm_expr(t) - m.s_vm_ub[t] <= float(hi[t]))

    rows_c = np.flatnonzero(data.rated & options.enforce_thermal).tolist()
    m.C = pyo.Set(initialize=rows_c, ordered=True)
    m.s_amp = pyo.Var(m.C, bounds=(0.0, None), initialize=0.0)

    def amp_rule(_m, c: int):  # type: ignore[no-untyped-def]
        cur = float(lin.loading_pct[c]) + sum(
            float(lin.loading_dp[c, d]) * dp[d] + float(lin.loading_dq[c, d]) * dq[d] for d in m.D
        )
        return cur - 100.0 * m.s_amp[c] <= float(data.cap[c]) * float(tight.shrink[c])

    m.ineq_amp = pyo.Constraint(m.C, rule=amp_rule)
    m.s_rev = pyo.Var(bounds=(0.0, None), initialize=0.0)
    if options.reverse_flow_limit_mw is not None:
        head = lin.head_p_mw + sum(
            float(lin.head_dp[d]) * dp[d] + float(lin.head_dq[d]) * dq[d] for d in m.D
        )
        m.ineq_rev = pyo.Constraint(expr=head + m.s_rev >= -float(options.reverse_flow_limit_mw))

    sides = options.s_max_sides
    rated = [d for d in range(n_d) if math.isfinite(data.der_s_max[d])]
    m.DS = pyo.Set(initialize=[(d, k) for d in rated for k in range(sides)], dimen=2)
    shrink = math.cos(math.pi / sides)

    def s_rule(_m, d: int, k: int):  # type: ignore[no-untyped-def]
        a = 2.0 * math.pi * k / sides
        return math.cos(a) * m.p[d] + math.sin(a) * m.q[d] <= float(data.der_s_max[d]) * shrink

    m.ineq_der_s = pyo.Constraint(m.DS, rule=s_rule)
    slack = sum(m.s_vm_lb[t] + m.s_vm_ub[t] for t in m.T) + sum(m.s_amp[c] for c in m.C) + m.s_rev
    _curvature(m, lin, radius_mw)
    m.obj = pyo.Objective(expr=_objective(m, data, lin, options) + PENALTY * slack)
    opt = persistent_highs(m, {}, time_limit_s=options.time_limit_s)
    res = opt.solve(m)
    tc = res.termination_condition.name
    if tc != "optimal":
        raise SolverError(
            f"three-phase OPF (network {data.network_name}): HiGHS stopped with status {tc}"
        )
    res.solution_loader.load_vars()
    p = np.array([m.p[d].value or 0.0 for d in m.D], dtype=float)
    q = np.array([m.q[d].value or 0.0 for d in m.D], dtype=float)
    step_p, step_q = p - lin.p, q - lin.q
    vm = lin.vm + (lin.vm_dp @ step_p + lin.vm_dq @ step_q if n_d else 0.0)
    cur = lin.loading_pct + (lin.loading_dp @ step_p + lin.loading_dq @ step_q if n_d else 0.0)
    total = float(pyo.value(slack))
    return LpResult(
        p=p,
        q=q,
        vm=vm,
        loading_pct=cur,
        objective=float(res.best_feasible_objective) - PENALTY * total,
        slack_total=total,
    )
