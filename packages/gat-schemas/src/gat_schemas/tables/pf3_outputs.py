"""Three-phase power-flow result tables: ``pf3_nodes``, ``pf3_branches``, ``pf3_regulators``,
``pf3_summary``.

Batch runs add a ``scenario_id`` column; a single power flow omits it. Sign conventions as in
the balanced tables: ``p_mw`` at a node is net injection (generation - load); ``p_from_mw``
enters the branch at its from end.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema
from .pf_outputs import VIOLATIONS, limit_columns, loading_columns, violation_count_columns

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


#: What the voltage band of a node phase is judged on: its line-to-neutral magnitude, or (in a
#: section nothing grounds: three-wire delta) its line-to-line magnitude.
_JUDGED = (
    "judged voltage magnitude (v_judged: vm_pu, or vll_pu where the node's section is ungrounded)"
)


def _pf3_limit_columns() -> dict[str, Column]:
    cols = limit_columns(_JUDGED)
    cols["violation"] = column(
        str,
        unit="-",
        checks=[isin(VIOLATIONS)],
        description=(
            f"under: the {_JUDGED} below v_min, over: above v_max (by more than 1e-9 pu); empty "
            "string within the limits."
        ),
    )
    cols["v_violation_pu"] = float_column(
        "pu",
        f"How far the {_JUDGED} is outside [v_min, v_max] (pu); 0 within.",
        checks=[ge(0.0)],
    )
    return cols


def _ll_columns() -> dict[str, Column]:
    return {
        "vll_pu": column(
            "float64",
            unit="pu",
            required=False,
            nullable=True,
            checks=[ge(0.0)],
            description=(
                "Line-to-line voltage magnitude from this phase to the next phase present at "
                "the node (A-B, B-C, C-A; the one pair of a two-phase node), pu of the "
                "line-to-line base base_kv: |V_p - V_q| / (sqrt 3 x base_kv / sqrt 3); NaN on "
                "one-phase nodes."
            ),
        ),
        "vll_phases": column(
            str,
            unit="-",
            required=False,
            description="Phase pair of vll_pu (AB, BC, CA, ...); empty on one-phase nodes.",
        ),
        "v_judged": column(
            str,
            unit="-",
            required=False,
            checks=[isin(("ln", "ll"))],
            description=(
                "Which magnitude the band [v_min, v_max] is judged on: ln = vm_pu (line to "
                "neutral), ll = vll_pu (line to line), used where nothing grounds the node's "
                "section (no slack, grounded-wye winding, wye load or generation, or shunt to "
                "ground among the nodes joined to it by lines and switches; only line "
                "capacitance and anti-floating shunts hold its common-mode voltage)."
            ),
        ),
    }


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
            **_pf3_limit_columns(),
            **_ll_columns(),
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
                "pu",
                "Lowest judged voltage magnitude (pu): line to neutral, or line to line (pu of "
                "the line-to-line base) at node phases of ungrounded sections (pf3_nodes "
                "v_judged).",
                checks=[ge(0.0)],
            ),
            "vm_min_node": column(
                str,
                unit="-",
                description=(
                    "Node.phase with the lowest judged voltage; node.AB (the phase pair) when "
                    "it is a line-to-line magnitude."
                ),
            ),
            "vm_max_pu": float_column(
                "pu",
                "Highest judged voltage magnitude (pu), as vm_min_pu.",
                checks=[ge(0.0)],
            ),
            "vm_max_node": column(
                str,
                unit="-",
                description="Node.phase (node.AB when line to line) with the highest voltage.",
            ),
            "n_judged_ll": column(
                "int64",
                unit="-",
                required=False,
                checks=[ge(0)],
                description=(
                    "Number of node phases judged line to line (ungrounded sections); 0 on a "
                    "grounded network."
                ),
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
