"""``dist_switches``: switching elements placed on branches."""

from __future__ import annotations

from ._base import BRANCH_STATUSES, TableSchema, column, finite, ge, isin, make_schema

__all__ = ["SCHEMA", "SWITCH_TYPES"]

#: Kinds of switching element.
SWITCH_TYPES = ("breaker", "recloser", "fuse", "sectionalizer", "disconnect", "tie")

SCHEMA = TableSchema(
    name="dist_switches",
    description="One row per switching element (sectionalizer, tie, breaker, fuse, ...).",
    id_columns=("switch_id",),
    schema=make_schema(
        "dist_switches",
        {
            "switch_id": column(str, unit="-", description="Switch identifier (unique)."),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Branch the switch opens or closes.",
            ),
            "switch_type": column(
                str,
                unit="-",
                checks=[isin(SWITCH_TYPES)],
                description="breaker, recloser, fuse, sectionalizer, disconnect or tie.",
            ),
            "status": column(
                str,
                unit="-",
                checks=[isin(BRANCH_STATUSES)],
                description="Present state: closed or open.",
            ),
            "automated": column(
                "bool",
                unit="-",
                required=False,
                default=False,
                description="True when operable remotely (SCADA); False = manual.",
            ),
            "operate_time_h": column(
                "float64",
                unit="h",
                checks=[ge(0.0), finite()],
                required=False,
                default=0.0,
                description="Time to operate the switch (h).",
            ),
        },
    ),
)
