"""OPF objectives (always minimised; ``hostcap`` minimises the negative injection)."""

from __future__ import annotations

import pyomo.environ as pyo

from .options import Formulation, Objective, OpfOptions
from .sets import OpfData

__all__ = ["declare_objective", "loss_expr", "uses_losses"]


def uses_losses(options: OpfOptions) -> bool:
    """True when the objective prices ``l`` (so its cuts must be tight)."""
    return (
        options.objective is Objective.LOSS
        or options.loss_weight > 0
        or options.formulation is Formulation.SOCP
    )


def loss_expr(m: pyo.ConcreteModel, data: OpfData):  # type: ignore[no-untyped-def]
    """Active losses ``sum r l`` (MW): exact in ``socp``, an estimate at 1 pu otherwise."""
    base = data.base_mva
    return sum(float(base * data.br_r[e]) * m.l[e] for e in m.E)


def declare_objective(m: pyo.ConcreteModel, data: OpfData, options: OpfOptions) -> None:
    """``obj``: losses (MW), cost (currency/h), curtailment (MW) or minus the hosting
    injection (MW), plus the mutable ``loss_w`` times the losses for all but ``loss``."""
    base = data.base_mva
    losses = loss_expr(m, data)
    kind = options.objective
    if kind is Objective.LOSS:
        expr = losses
    else:
        if kind is Objective.COST:
            expr = (
                sum(float(base * data.der_c1[d]) * m.p_der[d] for d in m.D)
                + float(data.der_c0.sum())
                + sum(float(base * options.import_price) * m.p_slack[b] for b in m.B_slack)
            )
        elif kind is Objective.CURTAILMENT:
            curt = data.der_curtailable
            expr = sum(
                float(base) * (float(data.der_p_max[d]) - m.p_der[d]) for d in m.D if curt[d]
            )
        else:
            # Only the studied node's p_host has a non-zero upper bound.
            expr = -float(base) * sum(m.p_host[b] for b in m.B_ns)
        if uses_losses(options):
            expr = expr + m.loss_w * losses
    m.obj = pyo.Objective(expr=expr, sense=pyo.minimize)
