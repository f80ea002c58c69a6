"""GAT distribution management: reliability, FLISR, outage Monte Carlo.

Importing this package is cheap: the FLISR simulation (Pyomo, HiGHS, the power flow) and
the Monte Carlo load when one of their names is first used (PEP 562 module
``__getattr__``), so process-pool and Dask workers that only sample years never import
Pyomo.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gat_adms.impacts import (
    MOMENTARY_H,
    FaultImpacts,
    Indices,
    expected_indices,
    interruption_hours,
)

if TYPE_CHECKING:
    from gat_adms.flisr import FlisrOptions, FlisrResult, simulate_flisr
    from gat_adms.indices import index_tables, load_point_table, system_table
    from gat_adms.montecarlo import (
        MonteCarloOptions,
        OutageMonteCarloResult,
        RepairDistribution,
        outage_monte_carlo,
    )
    from gat_adms.reliability_data import element_rates, validate_reliability

__all__: list[str] = [
    "MOMENTARY_H",
    "FaultImpacts",
    "FlisrOptions",
    "FlisrResult",
    "Indices",
    "MonteCarloOptions",
    "OutageMonteCarloResult",
    "RepairDistribution",
    "element_rates",
    "expected_indices",
    "index_tables",
    "interruption_hours",
    "load_point_table",
    "outage_monte_carlo",
    "simulate_flisr",
    "system_table",
    "validate_reliability",
]

_LAZY = {
    "FlisrOptions": "gat_adms.flisr",
    "FlisrResult": "gat_adms.flisr",
    "simulate_flisr": "gat_adms.flisr",
    "index_tables": "gat_adms.indices",
    "load_point_table": "gat_adms.indices",
    "system_table": "gat_adms.indices",
    "MonteCarloOptions": "gat_adms.montecarlo",
    "OutageMonteCarloResult": "gat_adms.montecarlo",
    "RepairDistribution": "gat_adms.montecarlo",
    "outage_monte_carlo": "gat_adms.montecarlo",
    "element_rates": "gat_adms.reliability_data",
    "validate_reliability": "gat_adms.reliability_data",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gat_adms' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
