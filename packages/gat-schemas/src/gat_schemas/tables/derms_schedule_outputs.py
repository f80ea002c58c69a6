"""DER schedule and stress-test result tables.

``schedule``, ``schedule_network`` and ``schedule_summary`` are written by
``gat derms schedule``; ``derms_stress_scenarios`` and ``derms_stress_summary`` by
``gat derms stress-test``. Powers: generation positive (a charging battery has p < 0);
``head_p_mw`` is the import at the feeder head (positive = drawn from the grid). Columns
without ``lp`` in their name come from the AC power flow of the scheduled set points (all
periods solved in one batch); ``*_lp_*`` columns are the LP's own values (LinDistFlow on
balanced networks; the linearised three-phase power flow, per node phase, on three-phase ones).
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema

__all__ = [
    "DERMS_STRESS_SCENARIOS",
    "DERMS_STRESS_SUMMARY",
    "SCHEDULE",
    "SCHEDULE_NETWORK",
    "SCHEDULE_SUMMARY",
    "STRESS_METRICS",
]

#: Per-scenario outcomes summarised by ``derms_stress_summary`` (one row each).
STRESS_METRICS = (
    "cost",
    "curtailed_mwh",
    "undelivered_mwh",
    "ac_voltage_violations",
    "ac_thermal_violations",
    "worst_v_violation_pu",
    "worst_loading_pct",
)


def _timestamp() -> Column:
    return column(None, unit="timestamp", description="Start of the period (timezone-aware).")


def _count(description: str) -> Column:
    return column("int64", unit="-", checks=[ge(0)], description=description)


SCHEDULE = TableSchema(
    name="schedule",
    kind="output",
    description="Set points of every DER asset in every period.",
    id_columns=("timestamp", "asset_id"),
    schema=make_schema(
        "schedule",
        {
            "timestamp": _timestamp(),
            "asset_id": column(
                str, unit="-", foreign_key="der_assets.asset_id", description="Asset."
            ),
            "asset_type": column(str, unit="-", description="Asset type (der_assets)."),
            "p_mw": float_column(
                "MW", "Active power (generation positive; charging or consuming negative)."
            ),
            "q_mvar": float_column("Mvar", "Reactive power (injection positive)."),
            "charge_mw": float_column(
                "MW",
                "Storage charging power drawn from the grid (>= 0); NaN if not storage.",
                nullable=True,
            ),
            "discharge_mw": float_column(
                "MW",
                "Storage discharging power delivered to the grid (>= 0); NaN if not storage.",
                nullable=True,
            ),
            "soc_mwh": float_column(
                "MWh",
                "Stored energy at the end of the period; NaN if not storage.",
                nullable=True,
            ),
            "curtailed_mw": float_column(
                "MW",
                "Available PV/wind power not produced (p_avail - p); 0 for other assets.",
                checks=[ge(-1e-6)],
            ),
        },
    ),
)

SCHEDULE_NETWORK = TableSchema(
    name="schedule_network",
    kind="output",
    description="Feeder-head power, voltage range and loading per period, AC-checked.",
    id_columns=("timestamp",),
    schema=make_schema(
        "schedule_network",
        {
            "timestamp": _timestamp(),
            "price": float_column("currency/MWh", "Energy price of the period."),
            "head_p_mw": float_column(
                "MW", "AC import at the feeder head (positive = from the grid).", nullable=True
            ),
            "head_q_mvar": float_column(
                "Mvar", "AC reactive import at the feeder head.", nullable=True
            ),
            "vm_min_pu": float_column(
                "pu", "Lowest AC voltage magnitude over the limited nodes.", nullable=True
            ),
            "vm_max_pu": float_column(
                "pu", "Highest AC voltage magnitude over the limited nodes.", nullable=True
            ),
            "loading_max_pct": float_column(
                "%",
                "Highest AC branch loading (|S| / thermal_limit); NaN if none rated.",
                nullable=True,
            ),
            "p_loss_mw": float_column("MW", "AC active losses.", nullable=True),
            "ac_converged": column(
                "bool", unit="-", description="Whether the period's AC power flow converged."
            ),
            "head_p_lp_mw": float_column(
                "MW", "Head import in the LP's network model (LinDistFlow; three-phase: linear)."
            ),
            "vm_min_lp_pu": float_column(
                "pu", "Lowest LP voltage (limited nodes; three-phase: node phases)."
            ),
            "vm_max_lp_pu": float_column(
                "pu", "Highest LP voltage (limited nodes; three-phase: node phases)."
            ),
        },
    ),
)

SCHEDULE_SUMMARY = TableSchema(
    name="schedule_summary",
    kind="output",
    description="One row: objective, cost, energy totals and the AC violations of a schedule.",
    id_columns=(),
    unique_ids=False,
    schema=make_schema(
        "schedule_summary",
        {
            "objective": column(
                str, unit="-", checks=[isin(("cost", "curtailment"))], description="Objective."
            ),
            "status": column(str, unit="-", description="HiGHS model status of the last LP."),
            "periods": _count("Number of periods."),
            "dt_hours": float_column("h", "Length of a period."),
            "assets": _count("Number of scheduled assets."),
            "cost": float_column(
                "currency",
                "Price x AC head import x dt plus asset cost curves (c1 p + c0) x dt; storage pays "
                "c1 per MWh discharged.",
                nullable=True,
            ),
            "cost_lp": float_column(
                "currency",
                "The same cost with the LP's head import (LinDistFlow, lossless; three-phase: "
                "the linearised AC import, corrected by the AC check).",
            ),
            "import_mwh": float_column(
                "MWh", "AC energy imported at the head (net).", nullable=True
            ),
            "curtailed_mwh": float_column("MWh", "Curtailed PV/wind energy.", checks=[ge(-1e-6)]),
            "undelivered_mwh": float_column(
                "MWh",
                "EV and flexible-load energy needs not met within their windows.",
                checks=[ge(-1e-6)],
            ),
            "lp_slack": float_column(
                "pu",
                "Largest elastic slack the LP needed on a voltage (pu of v^2; three-phase: pu "
                "of v) or thermal (pu of MVA on base_mva; three-phase: fraction of the "
                "conductor rating) limit; 0 when the limits could be met.",
                checks=[ge(0.0)],
            ),
            "ac_corrections": _count(
                "LP re-solves after the AC check (balanced: limits shifted by the AC-LinDistFlow "
                "difference; three-phase: cuts at the limits the AC check found broken)."
            ),
            "ac_converged_periods": _count("Periods whose AC power flow converged."),
            "ac_voltage_violations": _count(
                "(period, node) pairs (three-phase: node phases) whose AC voltage is outside "
                "[v_min - v_tol, v_max + v_tol] (three-phase: limits broken without DER held at "
                "their value -/+ held_tol)."
            ),
            "ac_thermal_violations": _count(
                "(period, branch) pairs (three-phase: conductors) whose AC loading exceeds "
                "100 % (three-phase: or its held value without DER) + thermal_tol_pct."
            ),
            "worst_vm_min_pu": float_column("pu", "Lowest AC voltage of the day.", nullable=True),
            "worst_vm_max_pu": float_column("pu", "Highest AC voltage of the day.", nullable=True),
            "worst_v_violation_pu": float_column(
                "pu", "Largest AC voltage excess beyond [v_min, v_max] (0 if none).", nullable=True
            ),
            "worst_loading_pct": float_column(
                "%", "Highest AC branch loading of the day.", nullable=True
            ),
            "v_tol_pu": float_column("pu", "Voltage tolerance of the violation count."),
            "thermal_tol_pct": float_column("%", "Loading tolerance of the violation count."),
            "build_s": float_column("s", "Time to build the LP."),
            "solve_s": float_column("s", "Time in HiGHS (every solve)."),
            "ac_s": float_column("s", "Time in the batched AC power flows."),
        },
    ),
)

DERMS_STRESS_SCENARIOS = TableSchema(
    name="derms_stress_scenarios",
    kind="output",
    description="One row per stress-test scenario: its perturbation and its schedule's outcome.",
    id_columns=("scenario_id",),
    schema=make_schema(
        "derms_stress_scenarios",
        {
            "scenario_id": column(str, unit="-", description="Scenario identifier."),
            "price_factor": float_column("-", "Multiplier of the whole price series."),
            "load_factor": float_column("-", "Multiplier of every load (mean over periods)."),
            "pv_factor": float_column("-", "Multiplier of PV availability (mean over periods)."),
            "cost": float_column("currency", "Schedule cost with AC head import.", nullable=True),
            "curtailed_mwh": float_column("MWh", "Curtailed PV/wind energy."),
            "undelivered_mwh": float_column(
                "MWh", "EV and flexible-load energy needs not met within their windows."
            ),
            "lp_slack": float_column("pu", "Largest elastic slack on a network limit in the LP."),
            "ac_voltage_violations": _count("(period, node) AC voltage violations."),
            "ac_thermal_violations": _count("(period, branch) AC thermal violations."),
            "worst_v_violation_pu": float_column(
                "pu", "Largest AC voltage excess beyond the limits.", nullable=True
            ),
            "worst_loading_pct": float_column("%", "Highest AC branch loading.", nullable=True),
            "worst_vm_min_pu": float_column("pu", "Lowest AC voltage.", nullable=True),
            "ac_converged_periods": _count("Periods whose AC power flow converged."),
        },
    ),
)

DERMS_STRESS_SUMMARY = TableSchema(
    name="derms_stress_summary",
    kind="output",
    description="Distribution of each scenario outcome over the scenarios.",
    id_columns=("metric",),
    schema=make_schema(
        "derms_stress_summary",
        {
            "metric": column(
                str,
                unit="-",
                checks=[isin(STRESS_METRICS)],
                description="derms_stress_scenarios column summarised (its unit applies).",
            ),
            "scenarios": _count("Scenarios with a finite value."),
            "mean": float_column("metric", "Mean.", nullable=True),
            "min": float_column("metric", "Smallest value.", nullable=True),
            "p05": float_column("metric", "5th percentile (linear interpolation).", nullable=True),
            "p50": float_column("metric", "Median.", nullable=True),
            "p95": float_column("metric", "95th percentile.", nullable=True),
            "max": float_column("metric", "Largest value.", nullable=True),
        },
    ),
)
