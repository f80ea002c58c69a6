"""``pf_scenarios``: load scenarios of a batched power flow (``gat dist pf --scenarios``)."""

from __future__ import annotations

from ._base import TableSchema, column, finite, ge, make_schema

__all__ = ["SCHEMA"]

SCHEMA = TableSchema(
    name="pf_scenarios",
    kind="input",
    description=(
        "Load scenarios solved as one batch. Three forms: scenario_id + scale (every load "
        "scaled); scenario_id + node_id + scale (per-node factors, other nodes keep 1); "
        "scenario_id + node_id + load_p [+ load_q] (listed nodes' loads, others keep theirs)."
    ),
    id_columns=("scenario_id", "node_id"),
    schema=make_schema(
        "pf_scenarios",
        {
            "scenario_id": column(
                str,
                unit="-",
                description="Scenario identifier; also names the output partition folder.",
            ),
            "node_id": column(
                str,
                unit="-",
                required=False,
                foreign_key="dist_nodes.node_id",
                description="Node whose load the row sets (absent: the row applies to all loads).",
            ),
            "scale": column(
                "float64",
                unit="-",
                required=False,
                checks=[ge(0.0), finite()],
                description="Load multiplier (P and Q) of the scenario or of the node.",
            ),
            "load_p": column(
                "float64",
                unit="MW",
                required=False,
                checks=[finite()],
                description="Active load of the node in the scenario (consumption positive).",
            ),
            "load_q": column(
                "float64",
                unit="Mvar",
                required=False,
                checks=[finite()],
                description="Reactive load of the node in the scenario (consumption positive); "
                "absent: the network's load_q.",
            ),
        },
    ),
)
