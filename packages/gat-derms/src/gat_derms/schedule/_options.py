"""Options of a DER schedule."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["OBJECTIVES", "ScheduleOptions"]

#: ``cost``: price x head import + asset cost curves. ``curtailment``: least curtailed
#: energy first, then least cost (two solves of the same model).
OBJECTIVES = ("cost", "curtailment")


@dataclass(frozen=True, kw_only=True)
class ScheduleOptions:
    """Settings of a schedule.

    Parameters
    ----------
    objective
        ``cost`` or ``curtailment`` (lexicographic: the least curtailed energy (MWh) is
        found first, then held (``curtailment_tol``) while the cost is minimised).
    dt_hours
        Period length (h); default: the spacing of the price series' timestamps.
    v_min, v_max
        Voltage limits (pu) at every limited node instead of each node's own; ``None``
        keeps the nodes' values.
    ac_corrections
        Largest number of LP re-solves after the AC check finds violations beyond the
        tolerances (``None``: 2 on balanced networks, 8 on three-phase ones, where a secant
        cut per broken (period, limit) is added each round). Balanced networks: each re-solve shifts every period's voltage limits by the difference
        between the AC and LinDistFlow squared voltages at the last schedule (the
        linear model ignores losses, so its voltages are a little optimistic).
    v_tol_pu
        Tolerance (pu) of the AC voltage-violation count.
    thermal_tol_pct
        Tolerance (percentage points above 100 %) of the AC thermal-violation count.
    undelivered_penalty
        Objective weight of energy needs not met (currency/MWh, or per MWh with the
        curtailment objective); far above any price, so needs are met whenever the
        asset and network limits allow.
    held_tol_pu
        Three-phase networks: a limit the period breaks with every DER at zero is held at
        that value and counts as violated only when the DER makes it worse by more than
        this (pu of voltage; the same fraction of a rating for loading, percentage points
        = 100 x this); see :mod:`gat_dist.held_limits`.
    curtailment_tol
        Relative slack on the least curtailed energy in the second solve of the
        ``curtailment`` objective (1e-6: at most 1e-6 x the optimum, or 1e-6 MWh, more).
    """

    objective: str = "cost"
    dt_hours: float | None = None
    v_min: float | None = None
    v_max: float | None = None
    ac_corrections: int | None = None
    v_tol_pu: float = 0.002
    thermal_tol_pct: float = 1.0
    undelivered_penalty: float = 1e4
    curtailment_tol: float = 1e-6
    held_tol_pu: float = 1e-3

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(
                f"unknown schedule objective {self.objective!r} (use {', '.join(OBJECTIVES)})"
            )
        for name in ("dt_hours", "v_min", "v_max", "v_tol_pu", "thermal_tol_pct", "held_tol_pu"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise InputError(f"ScheduleOptions.{name} must be a finite number, got {value!r}")
        checks = (
            ("dt_hours", self.dt_hours is None or self.dt_hours > 0),
            ("ac_corrections", self.ac_corrections is None or self.ac_corrections >= 0),
            ("v_tol_pu", self.v_tol_pu >= 0),
            ("thermal_tol_pct", self.thermal_tol_pct >= 0),
            ("undelivered_penalty", self.undelivered_penalty > 0),
            ("curtailment_tol", self.curtailment_tol >= 0),
            ("held_tol_pu", self.held_tol_pu >= 0),
            ("v_min", self.v_min is None or self.v_min > 0),
            ("v_max", self.v_max is None or self.v_max > 0),
        )
        for name, ok in checks:
            if not ok:
                raise InputError(f"ScheduleOptions.{name} out of range: {getattr(self, name)!r}")
        if self.v_min is not None and self.v_max is not None and not self.v_min < self.v_max:
            raise InputError(f"ScheduleOptions: v_min {self.v_min} must be < v_max {self.v_max}")
