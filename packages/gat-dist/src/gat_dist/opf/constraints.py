"""OPF constraints (``eq_*`` equalities, ``ineq_*`` inequalities).

Sign convention of the balances: generation minus consumption at a bus equals the power
leaving it through its branches (``p_br`` at the parent end, ``p_br - r l`` arriving at the
child end). Constants sit on the right-hand side where Pyomo keeps them.
"""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo

from .cuts import declare_seed_cuts
from .objective import uses_losses
from .options import Formulation, Objective, OpfOptions
from .sets import OpfData

__all__ = ["declare_constraints", "incidence"]


def incidence(data: OpfData) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """Per bus: branches it is the parent of, branches it is the child of, its DER assets."""
    down: list[list[int]] = [[] for _ in range(data.n_bus)]
    up: list[list[int]] = [[] for _ in range(data.n_bus)]
    der: list[list[int]] = [[] for _ in range(data.n_bus)]
    for e, (p, c) in enumerate(zip(data.br_parent.tolist(), data.br_child.tolist(), strict=True)):
        down[p].append(e)
        up[c].append(e)
    for d, b in enumerate(data.der_bus.tolist()):
        der[b].append(d)
    return down, up, der


def _injection(m: pyo.ConcreteModel, data: OpfData, b: int, der: list[int], q: bool, ratio: float):  # type: ignore[no-untyped-def]
    """Controllable and fixed generation at bus ``b`` (pu); the hosting injection absorbs
    ``ratio`` pu of reactive power per pu injected."""
    if q:
        expr = sum(m.q_der[d] for d in der)
        if data.bus_slack[b]:
            expr += m.q_slack[b]
        if data.bus_source[b]:
            expr += m.q_src[b]
        if ratio and not (data.bus_slack[b] or data.bus_source[b]):
            expr -= ratio * m.p_host[b]
        return expr
    expr = sum(m.p_der[d] for d in der) + float(data.bus_gen_p[b])
    if data.bus_slack[b]:
        expr += m.p_slack[b]
    if not (data.bus_slack[b] or data.bus_source[b]):
        expr += m.p_host[b]
    return expr


def _load(m: pyo.ConcreteModel, const: float, slope: float, shunt: float, b: int):  # type: ignore[no-untyped-def]
    """Consumption ``load_scale (const + slope v) + shunt v`` at bus ``b``; zero coefficients
    are left out so that HiGHS never receives an explicit zero."""
    # The constant share goes through the fixed column ``load_scale_var`` so that a new load
    # level is one column-bound change for the solver, not one row update per bus.
    expr = float(const) * m.load_scale_var
    if slope != 0:
        expr = expr + m.load_scale * float(slope) * m.v[b]
    if shunt != 0:
        expr = expr + float(shunt) * m.v[b]
    return expr


def declare_eq_balance(
    m: pyo.ConcreteModel, data: OpfData, formulation: Formulation, ratio: float = 0.0
) -> None:
    """``eq_p_balance[b]`` and (not ``dc``) ``eq_q_balance[b]``: nodal power balance
    (``ratio``: reactive absorption per MW of the hosting injection)."""
    down, up, der = incidence(data)
    r, x = data.br_r, data.br_x
    lossy = formulation is Formulation.SOCP
    dc = formulation is Formulation.DC

    def p_rule(m: pyo.ConcreteModel, b: int):  # type: ignore[no-untyped-def]
        if dc:
            # Flat voltage: ZIP loads and shunt conductance at 1 pu.
            cons = float(data.bus_load_p[b] + data.bus_load_pv[b]) * m.load_scale_var
            cons += float(data.bus_g[b])
        else:
            cons = _load(m, data.bus_load_p[b], data.bus_load_pv[b], data.bus_g[b], b)
        out = sum(m.p_br[e] for e in down[b]) - sum(
            m.p_br[e] - float(r[e]) * m.l[e] if lossy else m.p_br[e] for e in up[b]
        )
        return _injection(m, data, b, der[b], False, 0.0) - cons == out

    def q_rule(m: pyo.ConcreteModel, b: int):  # type: ignore[no-untyped-def]
        # Shunt susceptance (capacitors, line charging) injects b v.
        cons = _load(m, data.bus_load_q[b], data.bus_load_qv[b], -data.bus_b[b], b)
        out = sum(m.q_br[e] for e in down[b]) - sum(
            m.q_br[e] - float(x[e]) * m.l[e] if lossy else m.q_br[e] for e in up[b]
        )
        return _injection(m, data, b, der[b], True, ratio) - cons == out

    m.eq_p_balance = pyo.Constraint(m.B, rule=p_rule)
    if not dc:
        m.eq_q_balance = pyo.Constraint(m.B, rule=q_rule)


def declare_eq_branch(m: pyo.ConcreteModel, data: OpfData, formulation: Formulation) -> None:
    """``eq_v_drop[e]`` (branch-flow voltage drop) or ``eq_dc_flow[e]`` (B-theta flow)."""
    p, c, r, x = data.br_parent, data.br_child, data.br_r, data.br_x
    kp, kc = data.br_kp, data.br_kc
    if formulation is Formulation.DC:
        bdc, shift = data.br_bdc, data.br_shift

        def dc_rule(m: pyo.ConcreteModel, e: int):  # type: ignore[no-untyped-def]
            return m.p_br[e] == float(bdc[e]) * (m.va[p[e]] - m.va[c[e]] - float(shift[e]))

        m.eq_dc_flow = pyo.Constraint(m.E, rule=dc_rule)
        return
    lossy = formulation is Formulation.SOCP

    def drop_rule(m: pyo.ConcreteModel, e: int):  # type: ignore[no-untyped-def]
        rhs = float(kp[e]) * m.v[p[e]] - 2.0 * (float(r[e]) * m.p_br[e] + float(x[e]) * m.q_br[e])
        if lossy:
            rhs += float(r[e] ** 2 + x[e] ** 2) * m.l[e]
        return float(kc[e]) * m.v[c[e]] == rhs

    m.eq_v_drop = pyo.Constraint(m.E, rule=drop_rule)


def declare_ineq_vm(m: pyo.ConcreteModel, data: OpfData) -> None:
    """``ineq_vm_lb[b]``, ``ineq_vm_ub[b]``: ``v_min^2 <= v <= v_max^2`` (pu) at non-slack,
    non-source buses, each with its elastic slack."""
    lo, hi = data.bus_vmin**2, data.bus_vmax**2

    def lb(m: pyo.ConcreteModel, b: int):  # type: ignore[no-untyped-def]
        return m.v[b] + m.s_vm_lb[b] >= float(lo[b])

    def ub(m: pyo.ConcreteModel, b: int):  # type: ignore[no-untyped-def]
        return m.v[b] - m.s_vm_ub[b] <= float(hi[b])

    m.ineq_vm_lb = pyo.Constraint(m.B_ns, rule=lb)
    m.ineq_vm_ub = pyo.Constraint(m.B_ns, rule=ub)


def declare_ineq_der(m: pyo.ConcreteModel, data: OpfData, options: OpfOptions) -> None:
    """``ineq_der_p_lb/ub[d]``, ``ineq_der_q_lb/ub[d]``: asset limits (pu, elastic), and
    ``ineq_der_s_max[d, k]``: the inscribed polygon of the inverter circle."""
    pmin, pmax, qmin, qmax = data.der_p_min, data.der_p_max, data.der_q_min, data.der_q_max
    m.ineq_der_p_lb = pyo.Constraint(
        m.D, rule=lambda m, d: m.p_der[d] + m.s_der_p_lb[d] >= float(pmin[d])
    )
    m.ineq_der_p_ub = pyo.Constraint(
        m.D, rule=lambda m, d: m.p_der[d] - m.s_der_p_ub[d] <= float(pmax[d])
    )
    if options.formulation is not Formulation.DC:
        m.ineq_der_q_lb = pyo.Constraint(
            m.D, rule=lambda m, d: m.q_der[d] + m.s_der_q_lb[d] >= float(qmin[d])
        )
        m.ineq_der_q_ub = pyo.Constraint(
            m.D, rule=lambda m, d: m.q_der[d] - m.s_der_q_ub[d] <= float(qmax[d])
        )
    rated = [d for d in range(data.n_der) if math.isfinite(data.der_s_max[d])]
    k = options.s_max_sides
    if not rated or options.formulation is Formulation.DC:
        return
    # Tangents at radius s_max cos(pi/k): the polygon lies inside the circle.
    angle = 2.0 * np.pi * np.arange(k) / k
    cos, sin = np.cos(angle), np.sin(angle)
    inner = math.cos(math.pi / k)
    m.K_smax = pyo.Set(initialize=range(k), ordered=True)
    m.D_smax = pyo.Set(initialize=rated, ordered=True)
    m.ineq_der_s_max = pyo.Constraint(
        m.D_smax,
        m.K_smax,
        rule=lambda m, d, j: (
            float(cos[j]) * m.p_der[d] + float(sin[j]) * m.q_der[d]
            <= float(data.der_s_max[d] * inner)
        ),
    )


def declare_ineq_reverse_flow(m: pyo.ConcreteModel, options: OpfOptions, base_mva: float) -> None:
    """``ineq_reverse_flow[b]``: slack import ``>= -limit`` (pu), elastic."""
    if options.reverse_flow_limit_mw is None:
        return
    limit = options.reverse_flow_limit_mw / base_mva
    m.ineq_reverse_flow = pyo.Constraint(
        m.B_slack, rule=lambda m, b: m.p_slack[b] + m.s_rev >= -limit
    )


def declare_ineq_thermal_dc(m: pyo.ConcreteModel, data: OpfData) -> None:
    """``ineq_p_thermal_lb/ub[e]``: ``|p_br| <= thermal_limit`` (pu) in the DC model."""
    s = data.br_rating
    m.ineq_p_thermal_ub = pyo.Constraint(
        m.E_rated, rule=lambda m, e: m.p_br[e] - m.s_th[e] <= float(s[e])
    )
    m.ineq_p_thermal_lb = pyo.Constraint(
        m.E_rated, rule=lambda m, e: m.p_br[e] + m.s_th[e] >= -float(s[e])
    )


def declare_constraints(m: pyo.ConcreteModel, data: OpfData, options: OpfOptions) -> None:
    """Declare every constraint of the formulation, plus the (empty) cut lists
    block ``cuts`` that the solve loop fills (one indexed constraint per batch of cuts)."""
    f = options.formulation
    ratio = options.host_q_ratio if options.objective is Objective.HOSTCAP else 0.0
    declare_eq_balance(m, data, f, ratio)
    declare_eq_branch(m, data, f)
    if f is not Formulation.DC:
        declare_ineq_vm(m, data)
    declare_ineq_der(m, data, options)
    declare_ineq_reverse_flow(m, options, data.base_mva)
    if f is Formulation.DC and options.enforce_thermal:
        declare_ineq_thermal_dc(m, data)
    m.cuts = pyo.Block()
    if f is Formulation.SOCP or uses_losses(options):
        declare_seed_cuts(m, data, f)
