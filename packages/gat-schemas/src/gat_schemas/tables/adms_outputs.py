"""FLISR and reliability-index result tables: ``flisr_runs``, ``load_point_indices``,
``reliability_indices``.

Index definitions follow IEEE Std 1366: an interruption of 5 minutes or less is momentary
and not counted; SAIFI = sum(lambda_l N_l) / sum(N_l), SAIDI = sum(U_l N_l) / sum(N_l),
CAIDI = SAIDI / SAIFI, ASAI = 1 - SAIDI / 8760, ENS = sum(U_l L_l), AENS = ENS / sum(N_l)
(``N_l`` customers and ``L_l`` average load of load point ``l``).
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema

__all__ = [
    "ELEMENT_KINDS",
    "FLISR_RUNS",
    "LOAD_POINT_INDICES",
    "MILP_STATUSES",
    "RELIABILITY_INDICES",
    "TRANSFER_STATUSES",
]

#: Kinds of fault element (as in ``reliability.element_type``).
ELEMENT_KINDS = ("branch", "node", "device")
#: How the restoration MILP ended for a fault.
MILP_STATUSES = ("optimal", "time_limit", "infeasible", "not_needed", "disabled")
#: What the transfer through ties achieved for the load points below the isolated zone.
TRANSFER_STATUSES = (
    "full",
    "partial",
    "none",
    "infeasible",
    "ac_rejected",
    "not_needed",
    "disabled",
)


def _count(description: str) -> Column:
    return column("int64", unit="customers", checks=[ge(0)], description=description)


def _text(description: str, *, nullable: bool = False) -> Column:
    return column(str, unit="-", nullable=nullable, description=description)


FLISR_RUNS = TableSchema(
    name="flisr_runs",
    kind="output",
    description=(
        "One row per simulated fault (per outage scenario with --scenarios FILE): what tripped, "
        "which devices were switched, who was interrupted and restored, and the AC check."
    ),
    id_columns=("scenario_id", "fault_element"),
    schema=make_schema(
        "flisr_runs",
        {
            "scenario_id": column(
                str,
                unit="-",
                required=False,
                description="Outage scenario (only when scripted scenarios were simulated).",
            ),
            "fault_element": _text("Failed element: a branch_id, node_id or device_id."),
            "element_type": column(
                str, unit="-", checks=[isin(ELEMENT_KINDS)], description="branch, node or device."
            ),
            "failure_rate_per_yr": float_column(
                "1/yr", "Permanent failure rate of the element.", checks=[ge(0.0)]
            ),
            "repair_time_h": float_column(
                "h", "Repair time used (mean, or the scenario's duration_h).", checks=[ge(0.0)]
            ),
            "tripped_device": _text(
                "Protective device that trips; null = the implicit source breaker (no "
                "protective device upstream) or nothing interrupted.",
                nullable=True,
            ),
            "opened_devices": _text(
                "Devices opened, comma-separated: the upstream isolation device, then those "
                "opened by the restoration plan (downstream isolation, load transfer); '' = none."
            ),
            "closed_ties": _text(
                "Normally-open devices closed by the restoration plan, comma-separated; '' = none."
            ),
            "customers_interrupted": _count("Customers with a sustained interruption (> 5 min)."),
            "customers_momentary": _count(
                "Interrupted customers restored within 5 min (momentary, not in SAIFI)."
            ),
            "customers_restored_by_switching": _count(
                "Customers with a sustained interruption restored before the repair, by "
                "upstream re-closing or by transfer through ties."
            ),
            "customers_transferred": _count(
                "Of those, customers restored through ties (below the isolated zone)."
            ),
            "customers_awaiting_repair": _count(
                "Customers with a sustained interruption lasting until the repair."
            ),
            "customers_blocked_by_limits": _count(
                "Customers below the isolated zone that a tie path could reach but the voltage "
                "or thermal limits (or the AC correction) kept out: the infeasible part of the "
                "restoration."
            ),
            "restoration_time_h": float_column(
                "h",
                "Hours from the fault until the last switching restoration; NaN when nobody "
                "is restored by switching.",
                nullable=True,
            ),
            "unserved_mwh": float_column(
                "MWh",
                "Energy not supplied to load points by this occurrence (average load times "
                "sustained interruption hours).",
                checks=[ge(0.0)],
            ),
            "transfer_status": column(
                str,
                unit="-",
                checks=[isin(TRANSFER_STATUSES)],
                description=(
                    "full / partial / none of the load below the isolated zone restored through "
                    "ties; infeasible (no plan), ac_rejected (the plan still broke a limit in "
                    "the AC check after the correction rounds, so it was not carried out), "
                    "not_needed (nothing below the zone), disabled (--restore none)."
                ),
            ),
            "milp_status": column(
                str,
                unit="-",
                checks=[isin(MILP_STATUSES)],
                description="Restoration MILP outcome (optimal within the MIP gap, time_limit: "
                "best plan found, infeasible, not_needed, disabled).",
            ),
            "ac_check_ok": column(
                "bool",
                unit="-",
                description="The AC power flow of the final configuration converged with no "
                "voltage or thermal violation worse than in the normal state.",
            ),
            "ac_v_min_pu": float_column(
                "pu",
                "Lowest energised node voltage in the AC check (pu); NaN when not converged.",
                nullable=True,
            ),
            "ac_max_loading_pct": float_column(
                "%",
                "Highest branch loading in the AC check (% of thermal_limit); NaN when no rated "
                "branch carries flow or not converged.",
                nullable=True,
            ),
            "ac_rounds": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="MILP re-solves with limits tightened after a failed AC check.",
            ),
        },
    ),
)

LOAD_POINT_INDICES = TableSchema(
    name="load_point_indices",
    kind="output",
    description="Expected annual reliability of each load point (node with customers > 0).",
    id_columns=("node_id",),
    schema=make_schema(
        "load_point_indices",
        {
            "node_id": column(
                str, unit="-", foreign_key="dist_nodes.node_id", description="Load point node."
            ),
            "customers": column(
                "int64", unit="customers", checks=[ge(0)], description="Customers at the node."
            ),
            "load_mw": float_column("MW", "Average load used for energy.", checks=[ge(0.0)]),
            "lambda_per_yr": float_column(
                "1/yr", "Sustained interruptions per year.", checks=[ge(0.0)]
            ),
            "r_h": float_column(
                "h", "Average interruption duration (h); NaN when lambda is 0.", nullable=True
            ),
            "u_h_per_yr": float_column(
                "h/yr", "Annual unavailability (interruption hours per year).", checks=[ge(0.0)]
            ),
            "ens_mwh_per_yr": float_column(
                "MWh/yr", "Energy not supplied per year.", checks=[ge(0.0)]
            ),
        },
    ),
)

RELIABILITY_INDICES = TableSchema(
    name="reliability_indices",
    kind="output",
    description="IEEE 1366 system indices, one row (expected annual values).",
    id_columns=("method",),
    schema=make_schema(
        "reliability_indices",
        {
            "method": column(
                str,
                unit="-",
                description="How the values were obtained: analytical (failure rates and "
                "mean repair times).",
            ),
            "customers": column(
                "int64", unit="customers", checks=[ge(0)], description="Customers served."
            ),
            "SAIFI": float_column(
                "1/yr", "Sustained interruptions per customer per year.", checks=[ge(0.0)]
            ),
            "SAIDI": float_column(
                "h/yr", "Interruption hours per customer per year.", checks=[ge(0.0)]
            ),
            "CAIDI": float_column(
                "h", "Hours per customer interruption; NaN when SAIFI is 0.", nullable=True
            ),
            "ASAI": float_column("-", "Average service availability (fraction of 8760 h)."),
            "ENS": float_column("MWh/yr", "Energy not supplied per year.", checks=[ge(0.0)]),
            "AENS": float_column(
                "MWh/(customer yr)",
                "Energy not supplied per customer per year.",
                checks=[ge(0.0)],
            ),
        },
    ),
)
