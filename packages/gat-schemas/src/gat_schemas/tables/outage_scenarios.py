"""``outage_scenarios``: scripted outages (which elements fail, when, for how long)."""

from __future__ import annotations

from ._base import TableSchema, column, finite, ge, gt, make_schema

__all__ = ["SCHEMA"]

SCHEMA = TableSchema(
    name="outage_scenarios",
    description="One row per element outage of a scripted scenario (a scenario may have several).",
    id_columns=("scenario_id", "element_id"),
    schema=make_schema(
        "outage_scenarios",
        {
            "scenario_id": column(str, unit="-", description="Scenario identifier."),
            "element_id": column(
                str,
                unit="-",
                foreign_key="reliability.element_id",
                description="Failing element (a branch_id, node_id or device_id).",
            ),
            "start_h": column(
                "float64",
                unit="h",
                checks=[ge(0.0), finite()],
                description="Start of the outage (hours from the scenario start).",
            ),
            "duration_h": column(
                "float64",
                unit="h",
                checks=[gt(0.0), finite()],
                description="Outage duration until repair (h).",
            ),
        },
    ),
)
