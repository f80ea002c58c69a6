"""OPF variables and mutable parameters (``declare_var_*``, ``declare_param_*``).

Units: per unit on ``base_mva``; ``v`` is the squared voltage magnitude (pu), ``l`` the
squared series current (pu). Elastic slack variables (``s_*``) have upper bound 0 in a
normal solve; the infeasibility diagnosis lifts one family's bound at a time.
"""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo

from .options import Formulation
from .sets import OpfData

__all__ = ["ELASTIC_FAMILIES", "declare_params", "declare_variables"]

#: Constraint families with elastic slacks, and the slack components of each.
ELASTIC_FAMILIES: dict[str, tuple[str, ...]] = {
    "voltage": ("s_vm_lb", "s_vm_ub"),
    "thermal": ("s_th",),
    "reverse_flow": ("s_rev",),
    "asset": ("s_der_p_lb", "s_der_p_ub", "s_der_q_lb", "s_der_q_ub"),
}


def _bound(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def declare_params(m: pyo.ConcreteModel, load_scale: float, loss_weight: float) -> None:
    """Mutable parameters changed between solves without rebuilding.

    ``load_scale`` multiplies every load (``load_scale_var``, a column held at the same
    value, carries it for the constant-power shares); ``loss_w`` weighs the losses in every objective but ``loss`` (raised by the solver when
    the ``socp`` relaxation is not tight).
    """
    m.loss_w = pyo.Param(mutable=True, initialize=float(loss_weight))
    m.load_scale = pyo.Param(mutable=True, initialize=float(load_scale))
    # The same factor as a column with equal bounds (multiplies the constant load shares).
    m.load_scale_var = pyo.Var(bounds=(float(load_scale), float(load_scale)))


def declare_var_v(m: pyo.ConcreteModel, data: OpfData) -> None:
    """Squared voltage magnitude ``v[b]`` (pu); fixed at ``v_set^2`` at slack and sources."""
    fixed = data.bus_slack | data.bus_source
    vset2 = data.bus_v_set**2

    def bounds(_m: pyo.ConcreteModel, b: int) -> tuple[float | None, float | None]:
        return (float(vset2[b]), float(vset2[b])) if fixed[b] else (0.0, None)

    m.v = pyo.Var(m.B, bounds=bounds, initialize=lambda _m, b: float(vset2[b]))


def declare_var_va(m: pyo.ConcreteModel, data: OpfData) -> None:
    """Voltage angle ``va[b]`` (rad, DC model); 0 at slack buses."""
    slack = data.bus_slack
    m.va = pyo.Var(
        m.B, bounds=lambda _m, b: (0.0, 0.0) if slack[b] else (None, None), initialize=0.0
    )


def declare_var_branch_flow(m: pyo.ConcreteModel, data: OpfData) -> None:
    """Branch flows: ``p_br[e]``, ``q_br[e]`` entering the series impedance at the parent
    end (pu) and ``l[e] >= 0`` the squared series current (pu; in ``lindistflow``/``dc`` a
    loss estimate ``l >= P^2 + Q^2`` at 1 pu, used only by the objective)."""
    m.p_br = pyo.Var(m.E, initialize=0.0)
    m.q_br = pyo.Var(m.E, initialize=0.0)
    m.l = pyo.Var(m.E, bounds=(0.0, None), initialize=0.0)


def declare_var_gen(m: pyo.ConcreteModel, data: OpfData) -> None:
    """Slack import ``p_slack[b]``, ``q_slack[b]`` (pu, free) and source-node reactive output
    ``q_src[b]`` within ``[q_min, q_max]`` (pu)."""
    m.p_slack = pyo.Var(m.B_slack, initialize=0.0)
    m.q_slack = pyo.Var(m.B_slack, initialize=0.0)
    lo, hi = data.bus_q_min, data.bus_q_max
    m.q_src = pyo.Var(m.B_src, bounds=lambda _m, b: (_bound(lo[b]), _bound(hi[b])))


def declare_var_der(m: pyo.ConcreteModel, data: OpfData, formulation: Formulation) -> None:
    """DER set points ``p_der[d]``, ``q_der[d]`` (pu, generation positive); their bounds are
    the elastic constraints ``ineq_der_*``. In ``dc``, ``q_der`` is fixed at the value of
    ``[q_min, q_max]`` nearest 0."""
    m.p_der = pyo.Var(m.D, initialize=lambda _m, d: float(np.clip(0.0, *_p_range(data, d))))
    if formulation is Formulation.DC:
        q0 = np.clip(0.0, data.der_q_min, data.der_q_max)
        m.q_der = pyo.Var(m.D, bounds=lambda _m, d: (float(q0[d]), float(q0[d])))
    else:
        m.q_der = pyo.Var(m.D, initialize=0.0)


def _p_range(data: OpfData, d: int) -> tuple[float, float]:
    return float(data.der_p_min[d]), float(data.der_p_max[d])


def declare_var_host(m: pyo.ConcreteModel) -> None:
    """Hosting injection ``p_host[b] >= 0`` (pu) at non-slack buses; upper bound 0 except at
    the bus being studied."""
    m.p_host = pyo.Var(m.B_ns, bounds=(0.0, 0.0), initialize=0.0)


def declare_var_elastic(m: pyo.ConcreteModel) -> None:
    """Elastic slacks of every family in :data:`ELASTIC_FAMILIES` (bounds ``[0, 0]``)."""
    zero = (0.0, 0.0)
    m.s_vm_lb = pyo.Var(m.B_ns, bounds=zero, initialize=0.0)
    m.s_vm_ub = pyo.Var(m.B_ns, bounds=zero, initialize=0.0)
    m.s_th = pyo.Var(m.E_rated, bounds=zero, initialize=0.0)
    m.s_rev = pyo.Var(bounds=zero, initialize=0.0)
    m.s_der_p_lb = pyo.Var(m.D, bounds=zero, initialize=0.0)
    m.s_der_p_ub = pyo.Var(m.D, bounds=zero, initialize=0.0)
    m.s_der_q_lb = pyo.Var(m.D, bounds=zero, initialize=0.0)
    m.s_der_q_ub = pyo.Var(m.D, bounds=zero, initialize=0.0)


def declare_variables(m: pyo.ConcreteModel, data: OpfData, formulation: Formulation) -> None:
    """Declare every variable of ``formulation``."""
    if formulation is Formulation.DC:
        declare_var_va(m, data)
    else:
        declare_var_v(m, data)
    declare_var_branch_flow(m, data)
    declare_var_gen(m, data)
    declare_var_der(m, data, formulation)
    declare_var_host(m)
    declare_var_elastic(m)
