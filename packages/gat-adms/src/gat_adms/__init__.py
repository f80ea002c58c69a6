"""GAT distribution management: reliability, FLISR, outage Monte Carlo."""

from gat_adms.flisr import FlisrOptions, FlisrResult, simulate_flisr
from gat_adms.impacts import (
    MOMENTARY_H,
    FaultImpacts,
    Indices,
    expected_indices,
    interruption_hours,
)
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
