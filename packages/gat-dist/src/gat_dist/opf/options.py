"""OPF options: formulation and objective enums, and the keyword-only options record."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["Formulation", "Objective", "OpfOptions"]


class Formulation(enum.Enum):
    """Network model of the OPF.

    ``SOCP`` is the branch-flow model (P, Q, squared current l, squared voltage v) with the
    cone ``P^2 + Q^2 <= v l`` relaxed and enforced by tangent cuts (radial networks only).
    ``LINDISTFLOW`` drops the losses from the branch-flow model (linear; radial only).
    ``DC`` is the B-theta model (lossless, flat voltage; meshed networks allowed).
    """

    SOCP = "socp"
    LINDISTFLOW = "lindistflow"
    DC = "dc"


class Objective(enum.Enum):
    """What the OPF minimises (or, for ``HOSTCAP``, maximises).

    ``LOSS``: active losses (MW). ``COST``: asset cost curves plus the import price
    (currency/h). ``CURTAILMENT``: curtailed pv and wind power, ``p_max - p`` (MW).
    ``HOSTCAP``: injection at one chosen node (MW), see :func:`gat_dist.opf.hostcap_opf`.
    """

    LOSS = "loss"
    COST = "cost"
    CURTAILMENT = "curtailment"
    HOSTCAP = "hostcap"


def _enum(cls: type[enum.Enum], value: object, what: str) -> enum.Enum:
    if isinstance(value, cls):
        return value
    try:
        return cls(str(value).lower())
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise InputError(f"unknown OPF {what} {value!r} (use {choices})") from None


@dataclass(frozen=True, kw_only=True)
class OpfOptions:
    """Settings of one OPF.

    Parameters
    ----------
    formulation
        Network model (see :class:`Formulation`).
    objective
        What to optimise (see :class:`Objective`).
    import_price
        Price of power imported at the feeder head (currency/MWh; export earns it), used by
        the ``cost`` objective.
    loss_weight
        Starting weight of the active losses (per MW, in objective units) added to the
        ``cost``, ``curtailment`` and ``hostcap`` objectives. A positive value keeps the
        ``socp`` relaxation tight when nothing else prices the losses.
    gap_tol, max_loss_weight
        ``socp`` with an objective other than ``loss``: while the relaxation gap
        ``max(l - (P^2 + Q^2) / v)`` exceeds ``gap_tol`` (pu), the loss weight is doubled
        (from at least 0.25, up to ``max_loss_weight``) and the model re-solved: a
        penalised relaxation. Doubling stops at the first tight weight, which keeps the
        distortion of the objective small; the weight used is reported.
    v_min, v_max
        Voltage limits (pu) applied at every non-slack node instead of the node's own
        ``v_min``/``v_max``; ``None`` keeps the node values.
    enforce_thermal
        Enforce ``thermal_limit`` (MVA) on rated branches, at both branch ends.
    reverse_flow_limit_mw
        Largest power allowed to flow back through the feeder head (MW, >= 0; 0 forbids
        reverse flow); ``None`` means no limit.
    load_scale
        Factor applied to every load (P and Q).
    host_power_factor
        ``hostcap`` only: power factor of the hosting injection, in (0, 1]; below 1 the
        injection absorbs ``tan(acos(pf))`` Mvar per MW (as inverters do against voltage
        rise).
    cone_tol
        Stop adding cone cuts when the largest relative violation
        ``(||(2P, 2Q, v - l)|| - (v + l)) / (v + l)`` of any branch is below this.
    thermal_tol
        Relative tolerance of the thermal limits (cuts are added until every rated branch
        satisfies ``|S| <= thermal_limit (1 + thermal_tol)``).
    max_cut_rounds
        Largest number of LP re-solves with new cuts per OPF solve.
    s_max_sides
        Sides of the polygon that replaces each inverter circle ``p^2 + q^2 <= s_max^2``.
        The polygon is inscribed, so ``|S| <= s_max`` always holds and at most a fraction
        ``1 - cos(pi / s_max_sides)`` of the rating is lost (0.48 % for 32 sides).
    time_limit_s
        HiGHS time limit per LP solve (s); ``None`` means none.
    seed_cuts
        Start with cone cuts at the AC power flow of the starting point (DER at the value
        of their range nearest 0); off, the cut loop starts from no cut at all.
    verify
        Re-solve the OPF operating point with the AC power flow (always on in the CLI).
    max_ac_rounds
        Three-phase networks: largest number of linearise / LP / AC-check rounds (see
        :mod:`gat_dist.opf.threephase`).
    held_tol_pu
        Three-phase networks: a limit broken with every DER at the point of its range
        nearest 0 is held at that value and may get worse by at most this (pu of voltage;
        the same fraction of the rating for loading); see :mod:`gat_dist.held_limits`.
    """

    formulation: Formulation = Formulation.SOCP
    objective: Objective = Objective.LOSS
    import_price: float = 0.0
    loss_weight: float = 1e-3
    gap_tol: float = 1e-6
    max_loss_weight: float = 8.0
    v_min: float | None = None
    v_max: float | None = None
    enforce_thermal: bool = True
    reverse_flow_limit_mw: float | None = None
    load_scale: float = 1.0
    host_power_factor: float = 1.0
    cone_tol: float = 1e-7
    thermal_tol: float = 1e-6
    max_cut_rounds: int = 200
    s_max_sides: int = 32
    time_limit_s: float | None = None
    seed_cuts: bool = True
    verify: bool = True
    max_ac_rounds: int = 30
    held_tol_pu: float = 1e-3

    def __post_init__(self) -> None:
        object.__setattr__(self, "formulation", _enum(Formulation, self.formulation, "formulation"))
        object.__setattr__(self, "objective", _enum(Objective, self.objective, "objective"))

        numbers = {
            "import_price": self.import_price,
            "loss_weight": self.loss_weight,
            "load_scale": self.load_scale,
            "v_min": self.v_min,
            "v_max": self.v_max,
            "reverse_flow_limit_mw": self.reverse_flow_limit_mw,
        }
        for name, value in numbers.items():
            if value is not None and not math.isfinite(value):
                raise InputError(f"OpfOptions.{name} must be a finite number, got {value!r}")
        checks = (
            ("loss_weight", self.loss_weight >= 0),
            ("load_scale", self.load_scale >= 0),
            ("host_power_factor", 0 < self.host_power_factor <= 1),
            ("cone_tol", self.cone_tol > 0),
            ("thermal_tol", self.thermal_tol > 0),
            ("gap_tol", self.gap_tol > 0),
            ("max_loss_weight", self.max_loss_weight >= 0),
            ("max_cut_rounds", self.max_cut_rounds >= 1),
            ("s_max_sides", self.s_max_sides >= 4),
            ("max_ac_rounds", self.max_ac_rounds >= 1),
            ("held_tol_pu", math.isfinite(self.held_tol_pu) and 0 <= self.held_tol_pu < 1),
        )
        for name, ok in checks:
            if not ok:
                raise InputError(f"OpfOptions.{name} out of range: {getattr(self, name)!r}")
        if self.reverse_flow_limit_mw is not None and not self.reverse_flow_limit_mw >= 0:
            raise InputError(
                f"OpfOptions.reverse_flow_limit_mw must be >= 0, got {self.reverse_flow_limit_mw}"
            )
        if self.v_min is not None and self.v_max is not None and not self.v_min < self.v_max:
            raise InputError(f"OpfOptions: v_min {self.v_min} must be < v_max {self.v_max}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputError(f"OpfOptions.time_limit_s must be > 0, got {self.time_limit_s}")

    @property
    def host_q_ratio(self) -> float:
        """Reactive absorption of the hosting injection per MW (``tan(acos(pf))``)."""
        return math.tan(math.acos(self.host_power_factor))
