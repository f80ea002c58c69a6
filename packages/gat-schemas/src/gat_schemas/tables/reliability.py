"""``reliability``: failure rates and repair times of network elements."""

from __future__ import annotations

from ._base import TableSchema, column, finite, ge, gt, isin, make_schema

__all__ = ["ELEMENT_TYPES", "SCHEMA"]

#: What ``element_id`` refers to: a ``dist_branches`` branch, a ``dist_nodes`` node
#: (bus fault) or a ``switching_devices`` device.
ELEMENT_TYPES = ("branch", "node", "device")

SCHEMA = TableSchema(
    name="reliability",
    description=(
        "One row per element that can fail: failure_rate_per_yr, or failure_rate_per_km_yr "
        "times the branch length_km, and the repair time."
    ),
    id_columns=("element_id",),
    schema=make_schema(
        "reliability",
        {
            "element_id": column(
                str,
                unit="-",
                description="Failing element: a branch_id, node_id or device_id (by element_type).",
            ),
            "element_type": column(
                str,
                unit="-",
                checks=[isin(ELEMENT_TYPES)],
                description="branch, node or device.",
            ),
            "failure_rate_per_yr": column(
                "float64",
                unit="1/yr",
                nullable=True,
                checks=[ge(0.0)],
                required=False,
                default=None,
                description=(
                    "Permanent failures per year; NaN = use failure_rate_per_km_yr x length_km."
                ),
            ),
            "failure_rate_per_km_yr": column(
                "float64",
                unit="1/(km yr)",
                nullable=True,
                checks=[ge(0.0)],
                required=False,
                default=None,
                description="Failures per km per year of a branch (needs its length_km); NaN = unused.",
            ),
            "repair_time_h": column(
                "float64",
                unit="h",
                checks=[gt(0.0), finite()],
                description="Mean time to repair (h).",
            ),
        },
    ),
)
