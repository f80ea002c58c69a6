"""Power-flow result tables: ``pf_nodes``, ``pf_branches``, ``pf_summary``.

Batch runs add a ``scenario_id`` column (and are partitioned by it on disk); a single
power flow omits it.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema

__all__ = [
    "PF_BRANCHES",
    "PF_NODES",
    "PF_SUMMARY",
    "VIOLATIONS",
    "limit_columns",
    "loading_columns",
    "violation_count_columns",
]

#: ``violation`` values: below the band, above it, within it (empty string).
VIOLATIONS = ("under", "over", "")


def _scenario() -> Column:
    return column(
        None,
        unit="-",
        required=False,
        description="Scenario identifier (batch runs only; str or int).",
    )


def limit_columns(what: str) -> dict[str, Column]:
    """``v_min``, ``v_max``, ``violation``, ``v_violation_pu`` of a voltage ``what``."""
    return {
        "v_min": float_column(
            "pu",
            f"Lowest allowed {what} (dist_nodes.v_min, pu); NaN = no lower limit.",
            nullable=True,
        ),
        "v_max": float_column(
            "pu",
            f"Highest allowed {what} (dist_nodes.v_max, pu); NaN = no upper limit.",
            nullable=True,
        ),
        "violation": column(
            str,
            unit="-",
            checks=[isin(VIOLATIONS)],
            description=(
                "under: vm_pu below v_min, over: vm_pu above v_max (by more than 1e-9 pu); "
                "empty string within the limits."
            ),
        ),
        "v_violation_pu": float_column(
            "pu",
            "How far vm_pu is outside [v_min, v_max] (pu): v_min - vm_pu below, vm_pu - v_max "
            "above, 0 within.",
            checks=[ge(0.0)],
        ),
    }


def loading_columns(what: str) -> dict[str, Column]:
    """``loading_pct`` and ``overloaded`` of a ``what`` (branch or conductor)."""
    return {
        "loading_pct": float_column(
            "%",
            f"Loading of the {what} (%, see the table description); NaN = unrated or open.",
            nullable=True,
            checks=[ge(0.0)],
        ),
        "overloaded": column(
            "bool", unit="-", description=f"True when the {what} is loaded above 100 %."
        ),
    }


def violation_count_columns(nodes: str) -> dict[str, Column]:
    """Per-run violation counts and the worst loading (``nodes``: what a node count counts)."""
    return {
        "n_under_v_min": column(
            "int64", unit="-", checks=[ge(0)], description=f"Number of {nodes} below v_min."
        ),
        "n_over_v_max": column(
            "int64", unit="-", checks=[ge(0)], description=f"Number of {nodes} above v_max."
        ),
        "n_overloaded": column(
            "int64",
            unit="-",
            checks=[ge(0)],
            description="Number of branches loaded above 100 % of their rating.",
        ),
        "loading_max_pct": float_column(
            "%",
            "Highest branch loading (%); NaN when no closed branch is rated.",
            nullable=True,
            checks=[ge(0.0)],
        ),
        "loading_max_branch": column(
            str,
            unit="-",
            nullable=True,
            description="Branch with the highest loading; null when no closed branch is rated.",
        ),
    }


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
            **limit_columns("voltage magnitude"),
        },
    ),
)

PF_BRANCHES = TableSchema(
    name="pf_branches",
    kind="output",
    description=(
        "Power-flow branch flows; p_from_mw = power leaving the from node into the branch. "
        "loading_pct = larger of the two ends' apparent power / rating_mva x 100."
    ),
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
            "rating_mva": float_column(
                "MVA",
                "Thermal rating (dist_branches.thermal_limit, MVA); NaN = unrated.",
                nullable=True,
            ),
            **loading_columns("branch"),
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
            **violation_count_columns("nodes"),
        },
    ),
)
