"""Volt/VAR optimisation: regulator taps, capacitor banks and DER reactive power, planned on
the linear three-phase (or balanced) model of the physics interface with a MILP, and
checked by the AC power flow of the exact discrete settings (issue 14).

- :func:`optimise_period`: one period (``gat dist opf --objective vvo``);
- :func:`plan_vvo`: day types of periods with operation limits (``gat adms vvo-plan``);
- :func:`day_types_from_shapes`: day types from a ``load_shapes`` table.

The design note is ``history/2026-12-04-vvo.md``.
"""

from .options import OBJECTIVES, VvoOptions, parse_objective
from .plan import DayType, VvoResult, optimise_period, plan_vvo
from .shapes import day_types_from_shapes

__all__ = [
    "OBJECTIVES",
    "DayType",
    "VvoOptions",
    "VvoResult",
    "day_types_from_shapes",
    "optimise_period",
    "parse_objective",
    "plan_vvo",
]
