"""Envelope options: how assets are grouped, the network model, directions, AC tolerances."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["DIRECTION_OFFSET_RAD", "EnvelopeModel", "EnvelopeOptions", "GroupBy"]

#: Every direction set is turned by this angle (rad). A support LP whose direction is exactly
#: normal to a face of the feasible region (a box edge, say) may return any point of that
#: face; turned by a small angle, it returns the face's corner instead, so the hull of the
#: support points has the true corners and nested direction sets give nested hulls.
DIRECTION_OFFSET_RAD = 1e-3


class GroupBy(enum.Enum):
    """How assets are grouped into envelopes.

    ``AGG_ID``: one group per ``der_assets.agg_id`` (assets without one belong to no group).
    ``BUS_ID``: one group per connection node. ``FEEDER``: one group per ``feeder_id`` of the
    asset's node; its envelope is the exchange at the feeder head, loads and losses included.
    """

    AGG_ID = "agg_id"
    BUS_ID = "bus_id"
    FEEDER = "feeder"


class EnvelopeModel(enum.Enum):
    """Network model of the support-function LPs (the gat-dist OPF formulations).

    ``SOCP`` (default): branch flow with losses, the cone relaxed and enforced by tangent
    cuts (a few LPs per direction); its vertices pass the AC check to about 1e-6.
    ``LINDISTFLOW``: linear branch flow without losses (one LP per direction, about twice as
    fast); it ignores losses, so at heavy import the AC check finds voltages about 0.5 %
    below ``v_min`` and flows a few % above ``thermal_limit``, and a feeder's head exchange
    differs from the AC one by the losses.
    """

    LINDISTFLOW = "lindistflow"
    SOCP = "socp"


def _enum(cls: type[enum.Enum], value: object, what: str) -> enum.Enum:
    if isinstance(value, cls):
        return value
    try:
        return cls(str(value).lower())
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise InputError(f"unknown envelope {what} {value!r} (use {choices})") from None


@dataclass(frozen=True, kw_only=True)
class EnvelopeOptions:
    """Settings of :func:`gat_derms.envelope.compute_envelopes`.

    Parameters
    ----------
    group_by
        Grouping of the assets (see :class:`GroupBy`; default ``agg_id``, as the CLI).
    directions
        Number K >= 3 of support directions ``theta_k = 2 pi k / K + DIRECTION_OFFSET_RAD``
        (k = 0..K-1); each is one LP maximising ``cos(theta) P + sin(theta) Q`` of the group's
        aggregate injection.
    model
        Network model of the LPs (see :class:`EnvelopeModel`).
    network_limits
        Enforce the voltage limits (``v_min``/``v_max`` of the nodes, or the overrides below)
        and the thermal limits (``thermal_limit``, MVA). Off, the network only carries the
        power (the envelope of an asset group is then the Minkowski sum of its asset sets).
    v_min, v_max
        Voltage limits (pu, finite and > 0) for every non-slack node instead of the node's
        own; ``None`` keeps the node values.
    load_scale
        Factor on every load (P and Q) of the network.
    s_max_sides
        Sides of the inscribed polygon that stands for each inverter circle
        ``p^2 + q^2 <= s_max^2`` (32: at most 0.48 % of the rating is lost).
    vm_tol_pu
        AC check: a vertex passes when its AC power flow converges and no voltage is more
        than this outside its limits (pu).
    thermal_tol_pct
        AC check: largest loading above 100 % accepted (percentage points).
    time_limit_s
        HiGHS time limit per LP (s); ``None`` means none.
    ac_corrections
        ``lindistflow`` only: rounds of AC correction per group (see
        :mod:`gat_derms.envelope.correct`): while a vertex breaks a limit in the AC check,
        tighten the LP limits by the error found and solve the group's LPs again. 0 keeps
        the plain LinDistFlow envelope. Three-phase networks: rounds of secant cuts.
        ``None``: 2 on balanced networks, 8 on three-phase ones (a limit held at its
        base-case value plus ``held_tol_pu`` is cut close to the base point, which can take
        a few rounds: IEEE 13's shipped aggregator needs 7). Rounds stop as soon as every
        vertex passes, so the default costs nothing where fewer suffice.
    held_tol_pu
        A limit the base case (every asset at its zero point) already breaks is held at its
        base value and may get worse by at most this: pu of voltage, the same fraction of
        the rating for loading (see :mod:`gat_dist.held_limits`).
    """

    group_by: GroupBy = GroupBy.AGG_ID
    directions: int = 32
    model: EnvelopeModel = EnvelopeModel.SOCP
    network_limits: bool = True
    v_min: float | None = None
    v_max: float | None = None
    load_scale: float = 1.0
    s_max_sides: int = 32
    vm_tol_pu: float = 1e-3
    thermal_tol_pct: float = 0.1
    time_limit_s: float | None = None
    ac_corrections: int | None = None
    held_tol_pu: float = 1e-3

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_by", _enum(GroupBy, self.group_by, "grouping"))
        object.__setattr__(self, "model", _enum(EnvelopeModel, self.model, "model"))
        checks = (
            ("directions", isinstance(self.directions, int) and 3 <= self.directions <= 3600),
            ("load_scale", math.isfinite(self.load_scale) and self.load_scale >= 0),
            ("s_max_sides", self.s_max_sides >= 4),
            ("vm_tol_pu", math.isfinite(self.vm_tol_pu) and self.vm_tol_pu >= 0),
            ("thermal_tol_pct", math.isfinite(self.thermal_tol_pct) and self.thermal_tol_pct >= 0),
            ("v_min", self.v_min is None or (math.isfinite(self.v_min) and self.v_min > 0)),
            ("v_max", self.v_max is None or (math.isfinite(self.v_max) and self.v_max > 0)),
            (
                "ac_corrections",
                self.ac_corrections is None
                or (isinstance(self.ac_corrections, int) and self.ac_corrections >= 0),
            ),
            ("held_tol_pu", math.isfinite(self.held_tol_pu) and 0 <= self.held_tol_pu < 1),
        )
        for name, ok in checks:
            if not ok:
                raise InputError(f"EnvelopeOptions.{name} out of range: {getattr(self, name)!r}")
        if self.v_min is not None and self.v_max is not None and not self.v_min < self.v_max:
            raise InputError(f"EnvelopeOptions: v_min {self.v_min} must be < v_max {self.v_max}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputError(f"EnvelopeOptions.time_limit_s must be > 0, got {self.time_limit_s}")

    def corrections(self, three_phase: bool) -> int:
        """Rounds of AC correction: ``ac_corrections``, or its per-model default."""
        if self.ac_corrections is not None:
            return self.ac_corrections
        return 8 if three_phase else 2

    @property
    def angles(self) -> list[float]:
        """The K support directions (rad), counter-clockwise from the +P axis."""
        k = self.directions
        return [2.0 * math.pi * i / k + DIRECTION_OFFSET_RAD for i in range(k)]
