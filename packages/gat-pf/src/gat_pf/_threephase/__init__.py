"""Unbalanced three-phase power flow in phase coordinates (private; see ``gat_pf``)."""

from __future__ import annotations

from ._api import (
    ThreePhaseBatch,
    ThreePhaseOptions,
    ThreePhaseResult,
    batch_tables_3ph,
    floating_hint_3ph,
    run_power_flow_3ph,
    solve_batch_3ph,
)
from ._model import ThreePhaseModel
from ._ratings import build_model_3ph
from ._scenarios import scenario_scales_3ph

__all__ = [
    "ThreePhaseBatch",
    "ThreePhaseModel",
    "ThreePhaseOptions",
    "ThreePhaseResult",
    "batch_tables_3ph",
    "build_model_3ph",
    "floating_hint_3ph",
    "run_power_flow_3ph",
    "scenario_scales_3ph",
    "solve_batch_3ph",
]
