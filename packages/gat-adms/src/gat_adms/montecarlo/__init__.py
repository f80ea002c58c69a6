"""Outage Monte Carlo: simulated years of failures, priced by the FLISR outcome of each element.

::

    impacts = simulate_flisr(...).impacts            # switching outcome, once per element
    result = outage_monte_carlo(impacts, options=MonteCarloOptions(years=10_000, seed=1))
    result.stats                                     # mean, std, sem, p5/p50/p95 per index
"""

from __future__ import annotations

from ._api import (
    INDEX_UNITS,
    OutageMonteCarloResult,
    block_generator,
    outage_block,
    outage_monte_carlo,
    outage_shards,
    outage_stats,
    reduce_outage_mc,
)
from ._options import HOURS_PER_YEAR, MonteCarloOptions, RepairDistribution
from ._sampling import ElementEffects, check_impacts, element_effects, repair_times, sample_events

__all__ = [
    "HOURS_PER_YEAR",
    "INDEX_UNITS",
    "ElementEffects",
    "MonteCarloOptions",
    "OutageMonteCarloResult",
    "RepairDistribution",
    "block_generator",
    "check_impacts",
    "element_effects",
    "outage_block",
    "outage_monte_carlo",
    "outage_shards",
    "outage_stats",
    "reduce_outage_mc",
    "repair_times",
    "sample_events",
]
