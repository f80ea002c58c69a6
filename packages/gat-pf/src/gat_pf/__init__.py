"""GAT power-flow kernels: sparse Newton-Raphson, backward/forward sweep, DC; batched.

Typical use::

    import gat_pf
    model = gat_pf.build_model(network)          # once
    result = gat_pf.run_power_flow(model)        # tables: result.nodes, .branches, .summary
    batch = gat_pf.solve_batch(model, load_scale=[0.5, 1.0, 1.5])   # (S, N) voltages

    model3 = gat_pf.build_model_3ph(network)    # unbalanced, in phase coordinates
    result3 = gat_pf.run_power_flow_3ph(model3) # tables: .nodes, .branches, .regulators, .summary

    phys = gat_pf.physics_model(network)        # balanced or three-phase, from the tables
    sol = phys.solve(injection)                  # batched AC solve, extra injections per terminal
    lim = phys.limits(sol)                       # voltage, loading, unbalance, reverse flow

Importing this package is cheap (a few milliseconds): numpy, pandas, scipy and the kernels
load when a name other than the options is first used (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._options import Method, PowerFlowOptions

if TYPE_CHECKING:
    from ._api import BatchResult, PowerFlowResult, batch_tables, run_power_flow, solve_batch
    from ._model import THREE_PHASE_TABLES, PowerFlowModel, build_model, require_balanced
    from ._physics_controls import (
        PowerTotals,
        RegulatorSettings,
        conductor_current_a,
        conductor_power,
        nodal_switch_currents,
        physics_like,
        power_totals,
        regulator_control_v,
        regulator_settings,
        term_base_kv,
    )
    from ._physics_loads import constant_power_load_mw
    from ._scenarios import ScenarioArrays, scenario_arrays
    from ._threephase import (
        ThreePhaseBatch,
        ThreePhaseModel,
        ThreePhaseOptions,
        ThreePhaseResult,
        batch_tables_3ph,
        build_model_3ph,
        floating_hint_3ph,
        run_power_flow_3ph,
        scenario_scales_3ph,
        solve_batch_3ph,
    )
    from .physics import (
        Injection,
        InjectionPoints,
        LimitArrays,
        PhysicsModel,
        Sensitivities,
        Solution,
        judged_labels,
        judged_vm,
        physics_model,
        sensitivities,
    )

__all__ = [
    "THREE_PHASE_TABLES",
    "BatchResult",
    "Injection",
    "InjectionPoints",
    "LimitArrays",
    "Method",
    "PhysicsModel",
    "PowerFlowModel",
    "PowerFlowOptions",
    "PowerFlowResult",
    "PowerTotals",
    "RegulatorSettings",
    "ScenarioArrays",
    "Sensitivities",
    "Solution",
    "ThreePhaseBatch",
    "ThreePhaseModel",
    "ThreePhaseOptions",
    "ThreePhaseResult",
    "batch_tables",
    "batch_tables_3ph",
    "build_model",
    "build_model_3ph",
    "conductor_current_a",
    "conductor_power",
    "constant_power_load_mw",
    "floating_hint_3ph",
    "judged_labels",
    "judged_vm",
    "nodal_switch_currents",
    "physics_like",
    "physics_model",
    "power_totals",
    "regulator_control_v",
    "regulator_settings",
    "require_balanced",
    "run_power_flow",
    "run_power_flow_3ph",
    "scenario_arrays",
    "scenario_scales_3ph",
    "sensitivities",
    "solve_batch",
    "solve_batch_3ph",
    "term_base_kv",
]

_LAZY = {
    "BatchResult": "._api",
    "PowerFlowResult": "._api",
    "batch_tables": "._api",
    "run_power_flow": "._api",
    "solve_batch": "._api",
    "PowerFlowModel": "._model",
    "build_model": "._model",
    "require_balanced": "._model",
    "THREE_PHASE_TABLES": "._model",
    "ScenarioArrays": "._scenarios",
    "scenario_arrays": "._scenarios",
    "ThreePhaseBatch": "._threephase",
    "ThreePhaseModel": "._threephase",
    "ThreePhaseOptions": "._threephase",
    "ThreePhaseResult": "._threephase",
    "batch_tables_3ph": "._threephase",
    "build_model_3ph": "._threephase",
    "floating_hint_3ph": "._threephase",
    "run_power_flow_3ph": "._threephase",
    "solve_batch_3ph": "._threephase",
    "scenario_scales_3ph": "._threephase",
    "Injection": ".physics",
    "InjectionPoints": ".physics",
    "LimitArrays": ".physics",
    "PhysicsModel": ".physics",
    "PowerTotals": "._physics_controls",
    "RegulatorSettings": "._physics_controls",
    "power_totals": "._physics_controls",
    "constant_power_load_mw": "._physics_loads",
    "regulator_control_v": "._physics_controls",
    "regulator_settings": "._physics_controls",
    "conductor_current_a": "._physics_controls",
    "conductor_power": "._physics_controls",
    "nodal_switch_currents": "._physics_controls",
    "physics_like": "._physics_controls",
    "term_base_kv": "._physics_controls",
    "Sensitivities": ".physics",
    "Solution": ".physics",
    "judged_labels": ".physics",
    "judged_vm": ".physics",
    "physics_model": ".physics",
    "sensitivities": ".physics",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gat_pf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
