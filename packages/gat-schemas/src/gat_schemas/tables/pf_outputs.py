"""Power-flow result tables: ``pf_nodes``, ``pf_branches``, ``pf_summary``.

Batch runs add a ``scenario_id`` column (and are partitioned by it on disk); a single
power flow omits it.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, make_schema

__all__ = ["PF_BRANCHES", "PF_NODES", "PF_SUMMARY"]


def _scenario() -> Column:
    return column(
        None,
        unit="-",
        required=False,
        description="Scenario identifier (batch runs only; str or int).",
    )


PF_NODES = TableSchema(
    name="pf_nodes",
    kind="output",
    description="Power-flow solution per node; p_mw/q_mvar = net injection (generation - load).",
    id_columns=("scenario_id", "node_id"),
    schema=make_schema(
        "pf_nodes",
        {
            "scenario_id": _scenario(),
            "node_id": column(
                str, unit="-", foreign_key="dist_nodes.node_id", description="Node identifier."
            ),
            "vm_pu": float_column("pu", "Voltage magnitude (pu of base_kv).", checks=[ge(0.0)]),
            "va_deg": float_column("deg", "Voltage angle (degrees, slack = 0 unless v_set angle)."),
            "p_mw": float_column(
                "MW", "Net active injection into the network (generation - load)."
            ),
            "q_mvar": float_column(
                "Mvar", "Net reactive injection into the network (generation - load)."
            ),
        },
    ),
)

PF_BRANCHES = TableSchema(
    name="pf_branches",
    kind="output",
    description="Power-flow branch flows; p_from_mw = power leaving the from node into the branch.",
    id_columns=("scenario_id", "branch_id"),
    schema=make_schema(
        "pf_branches",
        {
            "scenario_id": _scenario(),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Branch identifier.",
            ),
            "from_node": column(
                str, unit="-", foreign_key="dist_nodes.node_id", description="From node."
            ),
            "to_node": column(
                str, unit="-", foreign_key="dist_nodes.node_id", description="To node."
            ),
            "p_from_mw": float_column("MW", "Active power entering the branch at the from end."),
            "q_from_mvar": float_column(
                "Mvar", "Reactive power entering the branch at the from end."
            ),
            "p_to_mw": float_column("MW", "Active power entering the branch at the to end."),
            "q_to_mvar": float_column("Mvar", "Reactive power entering the branch at the to end."),
            "p_loss_mw": float_column("MW", "Active losses (p_from_mw + p_to_mw)."),
            "q_loss_mvar": float_column("Mvar", "Reactive losses (q_from_mvar + q_to_mvar)."),
            "s_from_mva": float_column(
                "MVA", "Apparent power at the from end (MVA).", checks=[ge(0.0)]
            ),
            "loading_pct": float_column(
                "%",
                "Largest end apparent power over thermal_limit (%); NaN = unrated or open.",
                nullable=True,
                checks=[ge(0.0)],
            ),
        },
    ),
)

PF_SUMMARY = TableSchema(
    name="pf_summary",
    kind="output",
    description="One row per power flow (per scenario in a batch): convergence and totals.",
    id_columns=("scenario_id",),
    schema=make_schema(
        "pf_summary",
        {
            "scenario_id": _scenario(),
            "method": column(str, unit="-", description="Method used: nr, bfs or dc."),
            "converged": column("bool", unit="-", description="True when the tolerance was met."),
            "iterations": column(
                "int64", unit="-", checks=[ge(0)], description="Iterations performed."
            ),
            "max_mismatch_mva": float_column(
                "MVA",
                "Largest power mismatch at the last iterate (MVA); NaN for dc.",
                nullable=True,
            ),
            "total_load_mw": float_column("MW", "Total active load served (MW)."),
            "total_gen_mw": float_column("MW", "Total active generation including the slack (MW)."),
            "p_loss_mw": float_column("MW", "Total active losses (MW)."),
            "q_loss_mvar": float_column("Mvar", "Total reactive losses (Mvar)."),
            "vm_min_pu": float_column("pu", "Lowest voltage magnitude (pu).", checks=[ge(0.0)]),
            "vm_min_node": column(str, unit="-", description="Node with the lowest voltage."),
            "vm_max_pu": float_column("pu", "Highest voltage magnitude (pu).", checks=[ge(0.0)]),
            "vm_max_node": column(str, unit="-", description="Node with the highest voltage."),
        },
    ),
)
