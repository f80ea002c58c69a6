"""Quasi-static time series (QSTS): a day or a year of power flows with controls that keep
their state between steps.

:func:`simulate` solves S steps of load (and DER) multipliers on a network (balanced or
three-phase, through :func:`gat_pf.physics_model`): regulators (band, set point, line-drop
compensation, delays, tap limits, largest move per step) and switched capacitors
(``dist_cap_controls``) act between steps; steps at an unchanged control state are solved
as one batch. Typical use::

    from gat_dist.qsts import Multipliers, QstsOptions, simulate
    res = simulate(network, Multipliers(load=hourly), QstsOptions(step_h=1.0))
    res.head_p_mw, res.losses_mw, res.taps, res.tap_ops, res.converged

The design note is ``history/2026-12-04-qsts.md``.
"""

from __future__ import annotations

from ._engine import simulate
from ._hostcap import TimeseriesHostcapOptions, timeseries_hosting_capacity
from ._run import QstsTables, run_qsts
from ._shapes import SHAPE_KINDS, shape_multipliers, shape_values
from ._types import CONTROL_MODES, Multipliers, QstsOptions, QstsResult, QstsState

__all__ = [
    "CONTROL_MODES",
    "SHAPE_KINDS",
    "Multipliers",
    "QstsOptions",
    "QstsResult",
    "QstsState",
    "QstsTables",
    "TimeseriesHostcapOptions",
    "run_qsts",
    "shape_multipliers",
    "shape_values",
    "simulate",
    "timeseries_hosting_capacity",
]
