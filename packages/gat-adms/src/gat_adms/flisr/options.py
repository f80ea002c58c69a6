"""Settings of the FLISR simulation."""

from __future__ import annotations

from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["FlisrOptions"]


@dataclass(frozen=True, kw_only=True)
class FlisrOptions:
    """How faults are isolated and load is restored.

    Parameters
    ----------
    restore
        ``"milp"``: downstream load points are restored through normally-open ties by the
        switching MILP; ``"none"``: only isolation and upstream re-closing (no transfer).
    customer_weight
        Objective weight of one restored customer.
    load_weight_per_mw
        Objective weight of one MW of restored load (a tie-breaker: customers come first
        unless a node's load in MW times this weight rivals its customer count).
    switch_penalty
        Objective cost of each switching operation of a plan (a normally-open switch closed,
        or a normally-closed one opened next to an energised node); keeps plans minimal and
        must stay well below one customer's weight.
    thermal_sides
        Sides of the inscribed polygon that replaces each thermal circle in the MILP
        (the polygon never exceeds the rating and loses at most ``1 - cos(pi/sides)`` of it).
    ac_rounds
        Times a restoration whose AC check fails is re-solved with the MILP's voltage and
        thermal limits tightened by the AC-LinDistFlow difference found (0 = no re-solve).
    load_factor
        Average load over peak load: the energy not supplied uses ``load_p * load_factor``
        (MW); the switching MILP and the AC check use the full ``load_p``.
    mip_gap
        Relative MIP gap at which HiGHS stops (0 = proven optimal).
    time_limit_s
        Time limit of each MILP solve (s); ``None`` = none.
    """

    restore: str = "milp"
    customer_weight: float = 1.0
    load_weight_per_mw: float = 1.0
    switch_penalty: float = 1e-3
    thermal_sides: int = 16
    ac_rounds: int = 3
    load_factor: float = 1.0
    mip_gap: float = 0.0
    time_limit_s: float | None = 10.0

    def __post_init__(self) -> None:
        if self.restore not in ("milp", "none"):
            raise InputError(f"FlisrOptions.restore must be 'milp' or 'none', got {self.restore!r}")
        for name in ("customer_weight", "load_weight_per_mw", "switch_penalty", "mip_gap"):
            value = getattr(self, name)
            if not value >= 0:
                raise InputError(f"FlisrOptions.{name} must be >= 0, got {value}")
        if not self.customer_weight > 0:
            raise InputError("FlisrOptions.customer_weight must be > 0")
        if self.thermal_sides < 4:
            raise InputError(f"FlisrOptions.thermal_sides must be >= 4, got {self.thermal_sides}")
        if self.ac_rounds < 0:
            raise InputError(f"FlisrOptions.ac_rounds must be >= 0, got {self.ac_rounds}")
        if not 0 < self.load_factor <= 1:
            raise InputError(f"FlisrOptions.load_factor must be in (0, 1], got {self.load_factor}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputError(f"FlisrOptions.time_limit_s must be > 0, got {self.time_limit_s}")
