"""Stress tests of a DER schedule: many perturbed days, each scheduled and AC-checked.

Scenarios are random (prices, loads and PV availability perturbed with the distributions
of :mod:`gat_derms.stress._scenarios`, each scenario from its own generator spawned from
the seed) or scripted (a ``derms_stress_spec`` table of factors). Blocks of scenarios are
shards of :func:`gat_dist.fanout.run_shards` (local, process pool or Dask; resumable).

Per scenario: cost, curtailed energy, undelivered flexibility (energy that EVs and
flexible loads needed within their windows but did not get, MWh) and the AC violations;
``derms_stress_summary`` gives their mean, min, 5th / 50th / 95th percentiles and max.

Typical use::

    from gat_derms.stress import run_stress
    result = run_stress(net, assets, prices, loads=loads, pv=pv, scenarios=50, seed=7)
    result.summary
"""

from __future__ import annotations

from ._api import StressResult, reduce_stress, run_stress, stress_shard, stress_summary
from ._scenarios import Perturbation, StressDistributions, random_scenarios, spec_scenarios

__all__ = [
    "Perturbation",
    "StressDistributions",
    "StressResult",
    "random_scenarios",
    "reduce_stress",
    "run_stress",
    "spec_scenarios",
    "stress_shard",
    "stress_summary",
]
