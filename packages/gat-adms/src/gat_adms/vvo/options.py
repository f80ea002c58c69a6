"""Options of the Volt/VAR optimisation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gat_schemas.errors import InputError

__all__ = ["OBJECTIVES", "VvoOptions", "parse_objective"]

#: Objective terms: losses (MW), head demand with load voltage dependence (MW), mean
#: absolute voltage deviation from ``v_ref`` over the terminals with limits (pu).
OBJECTIVES = ("loss", "cvr", "voltage-deviation")


def parse_objective(text: str) -> dict[str, float]:
    """``"loss"``, ``"cvr"``, ``"voltage-deviation"`` or weighted terms
    ``"loss=1,voltage-deviation=0.5"`` -> {term: weight}.

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown term, a weight that is not a finite number >= 0, or all weights 0.
    """
    weights: dict[str, float] = {}
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in OBJECTIVES:
            raise InputError(
                f"VVO objective: unknown term {name!r} (use {', '.join(OBJECTIVES)}, or "
                "weighted terms such as loss=1,voltage-deviation=0.5)"
            )
        try:
            w = float(value) if value.strip() else 1.0
        except ValueError:
            raise InputError(
                f"VVO objective: weight of {name} is not a number: {value!r}"
            ) from None
        if not (math.isfinite(w) and w >= 0):
            raise InputError(f"VVO objective: weight of {name} must be finite and >= 0, got {w}")
        weights[name] = weights.get(name, 0.0) + w
    if not weights or not any(weights.values()):
        raise InputError(f"VVO objective: no term with a positive weight in {text!r}")
    return weights


@dataclass(frozen=True, kw_only=True)
class VvoOptions:
    """Settings of a Volt/VAR optimisation.

    Parameters
    ----------
    objective
        {term: weight} (see :func:`parse_objective`); the objective of a period is
        ``sum weight * term`` (MW or pu), of a day the sum over periods times their length (h).
    v_min, v_max
        Voltage band for every terminal (pu); ``None`` = ``dist_nodes.v_min``/``v_max``.
    v_ref
        Reference of the ``voltage-deviation`` term (pu).
    cvr_factor
        Change of a constant-power load's active power per change of its voltage
        (``dP/P = cvr_factor * dV/V``, dimensionless) in the ``cvr`` term; loads modelled as
        ZIP, constant current or impedance carry their own dependence. 0.8 is a typical
        measured value for residential feeders (Schneider et al., PNNL-19596, 2010, report
        0.5-1.0).
    tap_window
        Largest tap move (steps) per regulator from the linearisation point in one round
        (trust region of the linear model); halved when a round does not improve.
    max_rounds
        Largest number of linearise / MILP / AC-check rounds (12: IEEE 13's cvr plan needs
        9). A plan that reaches it has status ``round_limit``, not ``optimal``.
    rel_tol
        Stop when an accepted round improves the AC merit by less than this fraction.
    max_tap_ops, max_cap_ops
        Largest number of tap steps per regulator and of switchings per capacitor over a
        day (``None`` = no limit; a one-period run ignores them).
    der_q
        Optimise DER reactive power (``False``: DER stay at zero reactive power).
    substation
        Optimise the substation voltage set point too (every slack node's ``v_set``, in
        steps of 0.625 % within +-5 % of its data value).
    ac_tol_pu
        Voltage excursion (pu) allowed by the AC check.
    violation_cost
        Penalty per pu of voltage excursion (per terminal and period, in objective units).
    mip_gap
        Relative MIP gap of HiGHS (relative to the day's objective, constants included).
    time_limit_s
        HiGHS time limit per MILP (s; ``None`` = none); at the limit the best integer
        solution found is used (every candidate is AC-checked anyway).
    """

    objective: dict[str, float] = field(default_factory=lambda: {"loss": 1.0})
    v_min: float | None = None
    v_max: float | None = None
    v_ref: float = 1.0
    cvr_factor: float = 0.8
    tap_window: int = 4
    max_rounds: int = 12
    rel_tol: float = 1e-3
    max_tap_ops: int | None = None
    max_cap_ops: int | None = None
    der_q: bool = True
    substation: bool = False
    ac_tol_pu: float = 1e-4
    violation_cost: float = 1e3
    mip_gap: float = 2e-3
    time_limit_s: float | None = 20.0

    def __post_init__(self) -> None:
        obj = self.objective
        if isinstance(obj, str):
            obj = parse_objective(obj)
        else:
            obj = parse_objective(",".join(f"{k}={v}" for k, v in dict(obj).items()))
        object.__setattr__(self, "objective", obj)
        for name in ("v_ref", "cvr_factor", "ac_tol_pu", "violation_cost", "mip_gap", "rel_tol"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"VvoOptions.{name} must be finite and >= 0, got {value!r}")
        for name in ("v_min", "v_max"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0.5 <= value <= 1.5):
                raise InputError(f"VvoOptions.{name} must be within [0.5, 1.5] pu, got {value!r}")
        if self.v_min is not None and self.v_max is not None and not self.v_min < self.v_max:
            raise InputError("VvoOptions: v_min must be below v_max")
        if self.tap_window < 1 or self.max_rounds < 1:
            raise InputError("VvoOptions: tap_window and max_rounds must be >= 1")
        for name in ("max_tap_ops", "max_cap_ops"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InputError(f"VvoOptions.{name} must be >= 0, got {value}")

    def weight(self, term: str) -> float:
        """Weight of objective term ``term`` (0 when absent)."""
        return float(self.objective.get(term, 0.0))
