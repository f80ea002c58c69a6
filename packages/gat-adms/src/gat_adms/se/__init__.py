"""State estimation: AC weighted least squares, observability, bad data, measurement sets.

Typical use::

    from gat_adms.se import SeOptions, estimate_state, make_measurements, Placement
    meas = make_measurements(network, Placement(voltages="slack", flows="head"), seed=1)
    est = estimate_state(network, meas, options=SeOptions(max_removals=3))
    est.nodes, est.branches, est.measurements, est.summary   # the se_* tables

Written once against :mod:`gat_pf.physics` and :mod:`gat_pf.admittance`, so balanced and
three-phase networks go through the same code. The design note is
``history/2026-12-04-state-estimation.md``.
"""

from __future__ import annotations

from ._api import (
    PreparedGrid,
    SeOptions,
    StateEstimate,
    UnobservableError,
    estimate_state,
    prepare_grid,
)
from .corrective import network_at_estimate
from .generate import Placement, make_measurements

__all__ = [
    "Placement",
    "PreparedGrid",
    "SeOptions",
    "StateEstimate",
    "UnobservableError",
    "estimate_state",
    "make_measurements",
    "network_at_estimate",
    "prepare_grid",
]
