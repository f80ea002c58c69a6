"""``dist_caps``: shunt capacitors (fixed or switched) and voltage regulators."""

from __future__ import annotations

from ._base import BRANCH_STATUSES, PHASES, TableSchema, column, finite, ge, gt, isin, make_schema

__all__ = ["CAP_KINDS", "SCHEMA"]

#: ``capacitor``: shunt at ``node_id``; ``regulator``: tap-changing regulator on ``branch_id``
#: holding the voltage at ``node_id``.
CAP_KINDS = ("capacitor", "regulator")

SCHEMA = TableSchema(
    name="dist_caps",
    description="One row per shunt capacitor bank or voltage regulator.",
    id_columns=("cap_id",),
    schema=make_schema(
        "dist_caps",
        {
            "cap_id": column(str, unit="-", description="Capacitor/regulator identifier (unique)."),
            "node_id": column(
                str,
                unit="-",
                foreign_key="dist_nodes.node_id",
                description="Node where the capacitor is connected, or the regulated node.",
            ),
            "phase": column(
                str, unit="-", checks=[isin(PHASES)], description="Connected phases (A..ABC)."
            ),
            "q_mvar": column(
                "float64",
                unit="Mvar",
                checks=[ge(0.0), finite()],
                description="Rated reactive injection at 1 pu voltage (Mvar); 0 for a regulator.",
            ),
            "status": column(
                str,
                unit="-",
                checks=[isin(BRANCH_STATUSES)],
                description="closed (in service) or open (disconnected).",
            ),
            "kind": column(
                str,
                unit="-",
                checks=[isin(CAP_KINDS)],
                required=False,
                default="capacitor",
                description="capacitor (shunt) or regulator (tap changer on branch_id).",
            ),
            "branch_id": column(
                str,
                unit="-",
                nullable=True,
                required=False,
                default=None,
                foreign_key="dist_branches.branch_id",
                description="Branch a regulator sits on; None for capacitors.",
            ),
            "steps": column(
                "int64",
                unit="steps",
                checks=[ge(1)],
                required=False,
                default=1,
                description="Switchable steps of a capacitor bank, or tap positions of a regulator.",
            ),
            "v_target": column(
                "float64",
                unit="pu",
                nullable=True,
                checks=[gt(0.0)],
                required=False,
                default=None,
                description="Voltage target of a switched bank or regulator (pu); NaN = fixed.",
            ),
            "band_pu": column(
                "float64",
                unit="pu",
                nullable=True,
                checks=[gt(0.0)],
                required=False,
                default=None,
                description="Control dead band around v_target (pu); NaN = none.",
            ),
            "connection": column(
                str,
                unit="-",
                checks=[isin(("wye", "delta"))],
                required=False,
                default="wye",
                description=(
                    "Three-phase model: wye (phase to neutral) or delta (phase to phase); q_mvar "
                    "is the bank total at nominal voltage, shared equally by its phases or legs."
                ),
            ),
        },
    ),
)
