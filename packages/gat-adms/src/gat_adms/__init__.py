"""GAT distribution management: reliability, FLISR, outage Monte Carlo."""

from gat_adms.montecarlo import (
    MonteCarloOptions,
    OutageMonteCarloResult,
    RepairDistribution,
    outage_monte_carlo,
)

__all__: list[str] = [
    "MonteCarloOptions",
    "OutageMonteCarloResult",
    "RepairDistribution",
    "outage_monte_carlo",
]
