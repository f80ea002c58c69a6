"""Three-phase power-flow result tables: ``pf3_nodes``, ``pf3_branches``, ``pf3_regulators``,
``pf3_summary``.

Batch runs add a ``scenario_id`` column; a single power flow omits it. Sign conventions as in
the balanced tables: ``p_mw`` at a node is net injection (generation - load); ``p_from_mw``
enters the branch at its from end.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema
from .pf_outputs import limit_columns, loading_columns, violation_count_columns

__all__ = ["PF3_BRANCHES", "PF3_NODES", "PF3_REGULATORS", "PF3_SUMMARY"]


def _scenario() -> Column:
    return column(
        None,
        unit="-",
        required=False,
        description="Scenario identifier (batch runs only; str or int).",
    )


def _phase(description: str) -> Column:
    return column(str, unit="-", checks=[isin(("A", "B", "C"))], description=description)


PF3_NODES = TableSchema(
    name="pf3_nodes",
    kind="output",
    description=(
        "Three-phase power-flow solution per node and phase; p_mw/q_mvar = net injection of "
        "that phase (generation - load)."
    ),
    id_columns=("scenario_id", "node_id", "phase"),
    schema=make_schema(
        "pf3_nodes",
        {
            "scenario_id": _scenario(),
            "node_id": column(
                str, unit="-", foreign_key="dist_nodes.node_id", description="Node identifier."
            ),
            "phase": _phase("Phase (A, B or C) present at the node."),
            "vm_pu": float_column(
                "pu",
                "Line-to-neutral voltage magnitude (pu of base_kv / sqrt 3).",
                checks=[ge(0.0)],
            ),
            "va_deg": float_column("deg", "Line-to-neutral voltage angle (deg)."),
            "v_kv": float_column("kV", "Line-to-neutral voltage magnitude (kV).", checks=[ge(0.0)]),
            "p_mw": float_column(
                "MW", "Net active injection of the phase into the network (generation - load)."
            ),
            "q_mvar": float_column(
                "Mvar",
                "Net reactive injection of the phase into the network (generation - load).",
            ),
            **limit_columns("line-to-neutral voltage magnitude of the node's phases"),
        },
    ),
)

PF3_BRANCHES = TableSchema(
    name="pf3_branches",
    kind="output",
    description=(
        "Three-phase flows per branch conductor; p_from_mw = power leaving the from node into "
        "that conductor. For a delta winding a conductor's power is taken against neutral "
        "(ground), so a transformer's per-phase losses may differ in sign; their sum is exact. "
        "loading_pct = larger of i_from_a and i_to_a over the conductor's rated current at that "
        "end x 100, the rated current being rating_mva / (conductors of the branch x "
        "line-to-neutral base kV of that end)."
    ),
    id_columns=("scenario_id", "branch_id", "phase"),
    schema=make_schema(
        "pf3_branches",
        {
            "scenario_id": _scenario(),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Branch identifier.",
            ),
            "phase": _phase("Conductor (phase A, B or C) of the branch."),
            "i_from_a": float_column(
                "A", "Current magnitude entering at the from end (A).", checks=[ge(0.0)]
            ),
            "i_to_a": float_column(
                "A", "Current magnitude entering at the to end (A).", checks=[ge(0.0)]
            ),
            "p_from_mw": float_column("MW", "Active power entering the conductor at the from end."),
            "q_from_mvar": float_column(
                "Mvar", "Reactive power entering the conductor at the from end."
            ),
            "p_to_mw": float_column("MW", "Active power entering the conductor at the to end."),
            "q_to_mvar": float_column(
                "Mvar", "Reactive power entering the conductor at the to end."
            ),
            "loss_mw": float_column("MW", "Active losses of the conductor (p_from_mw + p_to_mw)."),
            "rating_mva": float_column(
                "MVA",
                "Thermal rating of the whole branch (dist_branches.thermal_limit, MVA); "
                "NaN = unrated.",
                nullable=True,
            ),
            "ampacity_a": float_column(
                "A",
                "Rated current of the conductor at the from end (A): rating_mva x 1000 / "
                "(conductors of the branch x line-to-neutral base kV); NaN = unrated.",
                nullable=True,
                checks=[ge(0.0)],
            ),
            **loading_columns("conductor"),
        },
    ),
)

PF3_REGULATORS = TableSchema(
    name="pf3_regulators",
    kind="output",
    description="Final tap and regulated voltage of every regulator (per phase).",
    id_columns=("scenario_id", "regulator_id"),
    schema=make_schema(
        "pf3_regulators",
        {
            "scenario_id": _scenario(),
            "regulator_id": column(
                str,
                unit="-",
                foreign_key="dist_regulators.regulator_id",
                description="Regulator identifier.",
            ),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Transformer branch of the regulator.",
            ),
            "phase": _phase("Regulated phase."),
            "tap": column("int64", unit="steps", description="Final tap position (steps)."),
            "v_regulated_v": float_column(
                "V",
                "Voltage the control sees on the PT secondary, after line-drop compensation "
                "(V); NaN for a fixed regulator without PT data.",
                nullable=True,
            ),
        },
    ),
)

PF3_SUMMARY = TableSchema(
    name="pf3_summary",
    kind="output",
    description="One row per three-phase power flow (per scenario in a batch).",
    id_columns=("scenario_id",),
    schema=make_schema(
        "pf3_summary",
        {
            "scenario_id": _scenario(),
            "method": column(
                str,
                unit="-",
                description=(
                    "Method that produced the answer: zbus (current-injection fixed point), "
                    "newton, or zbus+newton (Newton-Raphson after the fixed point did not settle)."
                ),
            ),
            "converged": column("bool", unit="-", description="True when the tolerance was met."),
            "iterations": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Power-flow iterations, summed over regulator rounds.",
            ),
            "regulator_rounds": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Outer regulator-control rounds (1 when every tap is fixed).",
            ),
            "max_mismatch_mva": float_column(
                "MVA", "Largest per-phase power mismatch at the last iterate (MVA).", nullable=True
            ),
            "total_load_mw": float_column("MW", "Total active load served (MW)."),
            "total_gen_mw": float_column("MW", "Total active generation including the slack (MW)."),
            "p_loss_mw": float_column("MW", "Total active losses (MW)."),
            "q_loss_mvar": float_column("Mvar", "Total reactive losses (Mvar)."),
            "vm_min_pu": float_column(
                "pu", "Lowest line-to-neutral voltage magnitude (pu).", checks=[ge(0.0)]
            ),
            "vm_min_node": column(str, unit="-", description="Node.phase with the lowest voltage."),
            "vm_max_pu": float_column(
                "pu", "Highest line-to-neutral voltage magnitude (pu).", checks=[ge(0.0)]
            ),
            "vm_max_node": column(
                str, unit="-", description="Node.phase with the highest voltage."
            ),
            "unbalance_max_pct": float_column(
                "%",
                "Largest voltage unbalance over three-phase nodes (IEEE: max deviation from the "
                "phase average over the phase average, %); 0 without three-phase nodes.",
                checks=[ge(0.0)],
            ),
            "unbalance_node": column(
                str,
                unit="-",
                nullable=True,
                description="Node with the largest unbalance; None without three-phase nodes.",
            ),
            **violation_count_columns("node phases"),
        },
    ),
)
