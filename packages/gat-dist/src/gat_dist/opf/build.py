"""Build the Pyomo OPF model from the array model (one call, reused across solves)."""

from __future__ import annotations

import pyomo.environ as pyo

from .constraints import declare_constraints
from .objective import declare_objective
from .options import OpfOptions
from .sets import OpfData, declare_sets
from .variables import declare_params, declare_variables

__all__ = ["build_pyomo_model"]


def build_pyomo_model(data: OpfData, options: OpfOptions) -> pyo.ConcreteModel:
    """Return the OPF ``ConcreteModel`` of ``data`` (sets, parameters, variables,
    constraints, objective; the cut lists start empty).

    Components are named as in Egret: ``v``, ``p_br``, ``l``, ``p_der`` ...;
    ``eq_p_balance``, ``eq_v_drop``, ``ineq_vm_lb`` ...; see :mod:`.variables` and
    :mod:`.constraints`.
    """
    m = pyo.ConcreteModel(name=f"opf_{options.formulation.value}_{data.network_name}")
    declare_sets(m, data)
    declare_params(m, options.load_scale, options.loss_weight)
    declare_variables(m, data, options.formulation)
    declare_constraints(m, data, options)
    declare_objective(m, data, options)
    return m
