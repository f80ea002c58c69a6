"""``switching_devices``: protection and switching devices used by reliability studies."""

from __future__ import annotations

from ._base import BRANCH_STATUSES, TableSchema, column, finite, ge, isin, make_schema

__all__ = ["DEVICE_TYPES", "SCHEMA"]

#: Device kinds; breakers, reclosers and fuses are protective (they trip on a fault).
DEVICE_TYPES = ("breaker", "recloser", "fuse", "sectionalizer", "disconnect", "tie")

SCHEMA = TableSchema(
    name="switching_devices",
    description="One row per switching or protective device on a branch.",
    id_columns=("device_id",),
    schema=make_schema(
        "switching_devices",
        {
            "device_id": column(str, unit="-", description="Device identifier (unique)."),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Branch the device sits on.",
            ),
            "device_type": column(
                str,
                unit="-",
                checks=[isin(DEVICE_TYPES)],
                description="breaker, recloser, fuse, sectionalizer, disconnect or tie.",
            ),
            "normal_state": column(
                str,
                unit="-",
                checks=[isin(BRANCH_STATUSES)],
                description="State in normal operation: closed, or open (normally-open tie).",
            ),
            "automated": column(
                "bool",
                unit="-",
                description="True when operated remotely (automatic), False = manual crew.",
            ),
            "operate_time_h": column(
                "float64",
                unit="h",
                checks=[ge(0.0), finite()],
                description="Time from fault to the device operation (h).",
            ),
        },
    ),
)
