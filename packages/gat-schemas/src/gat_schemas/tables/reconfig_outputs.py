"""Network reconfiguration result tables: ``reconfig_switches``, ``reconfig_summary``."""

from __future__ import annotations

from ._base import BRANCH_STATUSES, TableSchema, column, float_column, ge, isin, make_schema

__all__ = ["RECONFIG_METHODS", "RECONFIG_OBJECTIVES", "RECONFIG_SUMMARY", "RECONFIG_SWITCHES"]

#: What the reconfiguration optimises.
RECONFIG_OBJECTIVES = ("loss", "max-min-voltage", "balance")
#: How configurations were searched.
RECONFIG_METHODS = ("milp", "exhaustive")
#: How the MILP ended (``not_used`` with the exhaustive method).
_MILP_STATUSES = ("optimal", "time_limit", "not_used")


def _status(description: str):  # type: ignore[no-untyped-def]
    return column(str, unit="-", checks=[isin(BRANCH_STATUSES)], description=description)


RECONFIG_SWITCHES = TableSchema(
    name="reconfig_switches",
    kind="output",
    description=(
        "One row per switchable branch (per scenario with one configuration per scenario): "
        "its state before and after reconfiguration."
    ),
    id_columns=("scenario_id", "branch_id"),
    schema=make_schema(
        "reconfig_switches",
        {
            "scenario_id": column(
                str,
                unit="-",
                description="Scenario the configuration is for; 'all' when one configuration "
                "serves every scenario (weighted sum).",
            ),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Switchable branch.",
            ),
            "from_node": column(str, unit="-", description="Branch from node."),
            "to_node": column(str, unit="-", description="Branch to node."),
            "status_before": _status("State in the input network: closed or open."),
            "status_after": _status("State chosen: closed or open."),
            "operated": column(
                "bool", unit="-", description="True when the state changes (one switch operation)."
            ),
        },
    ),
)


RECONFIG_SUMMARY = TableSchema(
    name="reconfig_summary",
    kind="output",
    description=(
        "One row per load scenario: losses before and after (AC power flow and the relaxed "
        "LinDistFlow model), lowest voltage, highest loading, switch operations, how the "
        "search went."
    ),
    id_columns=("scenario_id",),
    schema=make_schema(
        "reconfig_summary",
        {
            "scenario_id": column(str, unit="-", description="Load scenario."),
            "load_scale": float_column("-", "Factor on every load (P and Q).", checks=[ge(0.0)]),
            "weight": float_column(
                "-", "Weight of the scenario in the objective.", checks=[ge(0.0)]
            ),
            "objective": column(
                str,
                unit="-",
                checks=[isin(RECONFIG_OBJECTIVES)],
                description="loss, max-min-voltage or balance.",
            ),
            "method": column(
                str, unit="-", checks=[isin(RECONFIG_METHODS)], description="milp or exhaustive."
            ),
            "loss_before_ac_mw": float_column(
                "MW", "Active losses of the input configuration, AC power flow.", nullable=True
            ),
            "loss_after_ac_mw": float_column(
                "MW", "Active losses of the chosen configuration, AC power flow.", nullable=True
            ),
            "loss_before_relaxed_mw": float_column(
                "MW",
                "Losses the relaxed model gives the input configuration: sum of r (P^2 + Q^2) "
                "with LinDistFlow (lossless) flows, flat voltage.",
            ),
            "loss_after_relaxed_mw": float_column("MW", "Same for the chosen configuration."),
            "loss_gap_mw": float_column(
                "MW",
                "AC minus relaxed losses of the chosen configuration (what the relaxation misses).",
                nullable=True,
            ),
            "v_min_before_pu": float_column(
                "pu",
                "Lowest non-slack voltage (node-phase on three-phase networks) before.",
                nullable=True,
            ),
            "v_min_after_pu": float_column("pu", "Lowest non-slack voltage after.", nullable=True),
            "loading_max_before_pct": float_column(
                "%",
                "Highest branch loading before (larger-end |S| over thermal_limit; conductor "
                "current over ampacity on three-phase networks); NaN when nothing is rated.",
                nullable=True,
            ),
            "loading_max_after_pct": float_column(
                "%", "Highest branch loading after; NaN when nothing is rated.", nullable=True
            ),
            "limits_ok_after": column(
                "bool",
                unit="-",
                description="The chosen configuration keeps every voltage within v_min..v_max "
                "and every rated branch within 100 % in AC.",
            ),
            "switch_ops": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Switchable branches whose state changes.",
            ),
            "milp_status": column(
                str,
                unit="-",
                checks=[isin(_MILP_STATUSES)],
                description="optimal (within the MIP gap), time_limit, or not_used (exhaustive).",
            ),
            "milp_gap": float_column(
                "-",
                "Relative MIP gap at the end of the first MILP solve; NaN when not used.",
                nullable=True,
            ),
            "milp_solves": column("int64", unit="-", checks=[ge(0)], description="MILP solves."),
            "pool_rank": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Rank of the chosen configuration in the MILP pool (1 = the MILP "
                "optimum); 0 = found by branch exchange or enumeration.",
            ),
            "configurations_evaluated": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Radial configurations solved by the AC power flow.",
            ),
            "ac_batches": column(
                "int64", unit="-", checks=[ge(0)], description="Batched AC solves they took."
            ),
            "solve_time_s": float_column("s", "Wall time of the search.", checks=[ge(0.0)]),
        },
    ),
)
