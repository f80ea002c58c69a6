"""OPF result tables: ``opf_nodes``, ``opf_branches``, ``opf_der``, ``opf_summary``.

Every OPF answer is re-solved with the AC power flow; columns ending in ``_ac_*`` or starting
with ``ac_`` hold that check. Sign conventions as in the power-flow tables: ``p_mw`` at a node
is net injection (generation - load); ``p_from_mw`` enters the branch at its from end.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, make_schema

__all__ = ["OPF_BRANCHES", "OPF_DER", "OPF_NODES", "OPF_SUMMARY"]


def _text(description: str, *, nullable: bool = False, fk: str | None = None) -> Column:
    return column(str, unit="-", nullable=nullable, foreign_key=fk, description=description)


OPF_NODES = TableSchema(
    name="opf_nodes",
    kind="output",
    description="OPF solution per node, with the AC power flow of the same set points.",
    id_columns=("node_id", "phase"),
    schema=make_schema(
        "opf_nodes",
        {
            "node_id": _text("Node identifier.", fk="dist_nodes.node_id"),
            "phase": column(
                str,
                unit="-",
                required=False,
                description="Three-phase networks only: the phase (A, B or C) of the row; "
                "absent for balanced networks.",
            ),
            "vm_pu": float_column(
                "pu", "OPF voltage magnitude (pu; 1 in the dc formulation).", checks=[ge(0.0)]
            ),
            "va_deg": float_column(
                "deg", "OPF voltage angle (deg; dc only, NaN otherwise).", nullable=True
            ),
            "p_mw": float_column("MW", "OPF net active injection (generation - load)."),
            "q_mvar": float_column(
                "Mvar", "OPF net reactive injection (generation - load); NaN in dc.", nullable=True
            ),
            "v_min_pu": float_column("pu", "Lower voltage limit applied (pu)."),
            "v_max_pu": float_column("pu", "Upper voltage limit applied (pu)."),
            "vm_ac_pu": float_column(
                "pu", "AC power-flow voltage magnitude at the OPF set points (pu).", nullable=True
            ),
            "va_ac_deg": float_column(
                "deg", "AC power-flow voltage angle at the OPF set points (deg).", nullable=True
            ),
        },
    ),
)

OPF_BRANCHES = TableSchema(
    name="opf_branches",
    kind="output",
    description="OPF flows per closed branch with impedance, with the AC check's flows.",
    id_columns=("branch_id", "phase"),
    schema=make_schema(
        "opf_branches",
        {
            "branch_id": _text("Branch identifier.", fk="dist_branches.branch_id"),
            "phase": column(
                str,
                unit="-",
                required=False,
                description="Three-phase networks only: the conductor's phase (A, B or C; its from-end phase); "
                "absent for balanced networks.",
            ),
            "from_node": _text("From node.", fk="dist_nodes.node_id"),
            "to_node": _text("To node.", fk="dist_nodes.node_id"),
            "p_from_mw": float_column(
                "MW", "OPF active power entering the branch at the from end."
            ),
            "q_from_mvar": float_column(
                "Mvar", "OPF reactive power entering at the from end; NaN in dc.", nullable=True
            ),
            "p_to_mw": float_column("MW", "OPF active power entering the branch at the to end."),
            "q_to_mvar": float_column(
                "Mvar", "OPF reactive power entering at the to end; NaN in dc.", nullable=True
            ),
            "p_loss_mw": float_column(
                "MW", "OPF active losses (p_from_mw + p_to_mw; 0 if lossless)."
            ),
            "i_sq_pu": float_column(
                "pu", "Squared series current l (pu; socp only, NaN otherwise).", nullable=True
            ),
            "cone_gap_pu": float_column(
                "pu",
                "Relaxation gap l - (P^2 + Q^2) / v (pu; socp only; 0 when the relaxation is "
                "exact).",
                nullable=True,
            ),
            "loading_pct": float_column(
                "%",
                "OPF largest end apparent power over thermal_limit (%); NaN = unrated.",
                nullable=True,
            ),
            "p_from_ac_mw": float_column(
                "MW", "AC check: active power entering at the from end.", nullable=True
            ),
            "q_from_ac_mvar": float_column(
                "Mvar", "AC check: reactive power entering at the from end.", nullable=True
            ),
            "loading_ac_pct": float_column(
                "%", "AC check: loading over thermal_limit (%); NaN = unrated.", nullable=True
            ),
        },
    ),
)

OPF_DER = TableSchema(
    name="opf_der",
    kind="output",
    description="OPF set point of every DER asset (generation positive).",
    id_columns=("asset_id",),
    schema=make_schema(
        "opf_der",
        {
            "asset_id": _text("Asset identifier.", fk="der_assets.asset_id"),
            "bus_id": _text("Node the asset is connected to.", fk="dist_nodes.node_id"),
            "phase": column(
                str,
                unit="-",
                required=False,
                description="Three-phase networks only: the node phases the asset injects into "
                "(equal shares).",
            ),
            "asset_type": _text("pv, battery, ev, flex_load, wind or genset."),
            "p_mw": float_column("MW", "Active power set point (generation positive)."),
            "q_mvar": float_column("Mvar", "Reactive power set point (injection positive)."),
            "p_min_mw": float_column("MW", "Lower active limit (p_min)."),
            "p_max_mw": float_column(
                "MW", "Upper active limit (p_max; available power for pv/wind)."
            ),
            "curtailment_mw": float_column(
                "MW", "Curtailed power p_max - p (pv and wind; 0 for others).", checks=[ge(0.0)]
            ),
            "s_mva": float_column("MVA", "Apparent power of the set point.", checks=[ge(0.0)]),
            "cost_per_h": float_column(
                "currency/h", "Cost c1 p + c0 from der_cost_curves (0 if none)."
            ),
        },
    ),
)

OPF_SUMMARY = TableSchema(
    name="opf_summary",
    kind="output",
    description="One row per OPF: objective, solver facts, times, relaxation gap, AC check.",
    id_columns=("network",),
    schema=make_schema(
        "opf_summary",
        {
            "network": _text("Network name."),
            "formulation": _text(
                "socp, lindistflow or dc; slp3ph for three-phase networks (sequential LPs on "
                "the three-phase AC power flow's sensitivities)."
            ),
            "objective": _text("loss, cost or curtailment."),
            "objective_value": float_column(
                "MW or currency/h", "Objective value (MW; currency/h for cost)."
            ),
            "status": _text(
                "optimal, or cut_limit when max_cut_rounds stopped the cut loop; slp3ph also "
                "round_limit (max_ac_rounds reached) and elastic (converged, but a limit the "
                "DER cannot meet is still broken: see the ac_* columns)."
            ),
            "build_s": float_column("s", "Model build time (s).", checks=[ge(0.0)]),
            "solve_s": float_column("s", "Solve time, all cut rounds (s).", checks=[ge(0.0)]),
            "verify_s": float_column("s", "AC verification time (s).", checks=[ge(0.0)]),
            "cut_rounds": column("int64", unit="-", checks=[ge(0)], description="LP solves."),
            "cuts": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Cone and thermal cuts in the model (slp3ph: rounds that tightened a limit).",
            ),
            "cone_violation": float_column(
                "-", "Largest relative cone violation left (below cone_tol).", checks=[ge(0.0)]
            ),
            "loss_weight": float_column(
                "objective units/MW",
                "Weight of the losses in the objective at the final solve (0 for loss).",
                checks=[ge(0.0)],
            ),
            "relaxation_gap_pu": float_column(
                "pu",
                "Largest |l - (P^2 + Q^2) / v| over branches (socp; NaN otherwise).",
                nullable=True,
            ),
            "import_mw": float_column("MW", "Power imported at the feeder head(s)."),
            "p_loss_mw": float_column(
                "MW", "OPF losses (socp: exact model; lindistflow/dc: r (P^2 + Q^2) at 1 pu)."
            ),
            "der_p_mw": float_column("MW", "Total DER active power."),
            "curtailment_mw": float_column("MW", "Total pv/wind curtailment.", checks=[ge(0.0)]),
            "vm_min_pu": float_column("pu", "Lowest OPF voltage (pu)."),
            "vm_max_pu": float_column("pu", "Highest OPF voltage (pu)."),
            "ac_converged": column(
                "bool", unit="-", description="True when the AC check's power flow converged."
            ),
            "ac_p_loss_mw": float_column("MW", "AC check: total losses.", nullable=True),
            "ac_vm_min_pu": float_column("pu", "AC check: lowest voltage.", nullable=True),
            "ac_vm_max_pu": float_column("pu", "AC check: highest voltage.", nullable=True),
            "ac_vm_violation_pu": float_column(
                "pu",
                "AC check: largest voltage-limit violation (pu; 0 = none).",
                nullable=True,
            ),
            "ac_vm_violation_node": _text(
                "Node of the largest AC voltage violation; None = none.", nullable=True
            ),
            "ac_thermal_violation_pct": float_column(
                "%", "AC check: largest loading above 100 % (percentage points).", nullable=True
            ),
            "ac_thermal_violation_branch": _text(
                "Branch of the largest AC thermal violation; None = none.", nullable=True
            ),
            "vm_error_max_pu": float_column(
                "pu",
                "Largest |vm_opf - vm_ac| over nodes (pu; NaN for dc): the model's voltage error.",
                nullable=True,
            ),
            "model": column(
                str,
                unit="-",
                required=False,
                description="Network model: three_phase (absent for balanced networks).",
            ),
            "ac_rounds": column(
                "int64",
                unit="-",
                required=False,
                checks=[ge(0)],
                description="slp3ph: linearise / LP / AC-check rounds run.",
            ),
        },
    ),
)
