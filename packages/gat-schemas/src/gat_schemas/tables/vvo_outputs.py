"""Volt/VAR optimisation result tables: ``vvo_settings``, ``vvo_periods``, ``vvo_summary``.

Written by ``gat adms vvo-plan`` (day types of periods) and ``gat dist opf --objective vvo``
(one period, day type ``period``). ``case`` is ``optimised`` (the plan, AC-checked at its
exact discrete settings) or ``baseline`` (the feeder's own rule-based controls on the same
periods). Powers at the head flow from the slack into the feeder (MW, Mvar).
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema

__all__ = ["VVO_CASES", "VVO_KINDS", "VVO_PERIODS", "VVO_SETTINGS", "VVO_SUMMARY"]

VVO_KINDS = ("regulator", "transformer", "substation", "capacitor", "der")
VVO_CASES = ("optimised", "baseline")


def _text(description: str, *, nullable: bool = False) -> Column:
    return column(str, unit="-", nullable=nullable, description=description)


def _day() -> dict[str, Column]:
    return {
        "day_type": _text("Day type (a load shape, or 'period' for a one-period run)."),
        "period": column(
            "int64", unit="-", checks=[ge(0)], description="Period of the day, from 0."
        ),
    }


VVO_SETTINGS = TableSchema(
    name="vvo_settings",
    kind="output",
    description="Setting of every Volt/VAR control in every period: optimised and baseline.",
    id_columns=("day_type", "period", "device_id"),
    schema=make_schema(
        "vvo_settings",
        {
            **_day(),
            "device_id": _text(
                "Control: dist_regulators.regulator_id, dist_branches.branch_id (balanced "
                "transformer), dist_nodes.node_id (substation set point), dist_caps.cap_id or "
                "der_assets.asset_id."
            ),
            "kind": column(
                str,
                unit="-",
                checks=[isin(VVO_KINDS)],
                description="regulator, transformer (balanced tap), substation (slack set "
                "point), capacitor or der.",
            ),
            "setting": float_column(
                "mixed",
                "Optimised setting: tap position (steps) for regulator/transformer, voltage set "
                "point (pu) for substation, 1 = closed / 0 = open for capacitor, reactive power "
                "(Mvar, generation positive) for der.",
            ),
            "baseline": float_column(
                "mixed", "The baseline's setting in the same units.", nullable=True
            ),
            "p_mw": float_column(
                "MW",
                "der only: active power of the period (p_max times the PV shape; generation "
                "positive); NaN for other kinds.",
                nullable=True,
            ),
        },
    ),
)

_PER_PHASE = {
    f"v_{k}_{ph}_pu": float_column(
        "pu",
        f"{'Lowest' if k == 'min' else 'Highest'} voltage on phase {ph.upper()} over the "
        "terminals with limits (pu; NaN when the network has no such phase or the AC power "
        "flow did not converge). Balanced networks report their node voltages as phase a.",
        nullable=True,
    )
    for k in ("min", "max")
    for ph in ("a", "b", "c")
}

VVO_PERIODS = TableSchema(
    name="vvo_periods",
    kind="output",
    description="AC power flow of every period at the optimised and at the baseline settings.",
    id_columns=("day_type", "period", "case"),
    schema=make_schema(
        "vvo_periods",
        {
            **_day(),
            "case": column(
                str, unit="-", checks=[isin(VVO_CASES)], description="optimised or baseline."
            ),
            "hour": float_column("h", "Start of the period from the start of the day (h)."),
            "hours": float_column("h", "Length of the period (h).", checks=[ge(0.0)]),
            "load_scale": float_column("pu", "Multiplier on every load in this period (pu)."),
            "objective": float_column(
                "mixed",
                "Objective of the period: sum of weight * term (losses and head demand in MW, "
                "voltage deviation in pu); NaN when not converged.",
                nullable=True,
            ),
            "loss_mw": float_column("MW", "Active losses of all branches.", nullable=True),
            "head_p_mw": float_column(
                "MW", "Active power imported at the feeder head(s).", nullable=True
            ),
            "head_q_mvar": float_column(
                "Mvar", "Reactive power imported at the feeder head(s).", nullable=True
            ),
            "demand_mw": float_column(
                "MW",
                "Head demand with the CVR factor applied to constant-power loads (MW; the cvr "
                "objective term).",
                nullable=True,
            ),
            "vdev_pu": float_column(
                "pu", "Mean |V - v_ref| over the terminals with limits (pu).", nullable=True
            ),
            **_PER_PHASE,
            "violation_pu": float_column(
                "pu",
                "Largest voltage excursion outside [v_min, v_max] (pu; 0 inside).",
                nullable=True,
            ),
            "ac_converged": column("bool", unit="-", description="The AC power flow converged."),
            "ac_ok": column(
                "bool",
                unit="-",
                description="Converged and every voltage within its band up to the AC tolerance.",
            ),
        },
    ),
)

VVO_SUMMARY = TableSchema(
    name="vvo_summary",
    kind="output",
    description="Optimised plan against the baseline, per day type.",
    id_columns=("day_type", "case"),
    schema=make_schema(
        "vvo_summary",
        {
            "day_type": _text("Day type."),
            "case": column(
                str, unit="-", checks=[isin(VVO_CASES)], description="optimised or baseline."
            ),
            "objective_terms": _text("Objective as weighted terms, e.g. 'loss=1'."),
            "objective": float_column(
                "mixed", "Sum over periods of objective * hours (MWh or pu h).", nullable=True
            ),
            "energy_mwh": float_column(
                "MWh", "Energy imported at the head over the day.", nullable=True
            ),
            "peak_mw": float_column("MW", "Largest head active power of the day.", nullable=True),
            "loss_mwh": float_column(
                "MWh", "Energy lost in the branches over the day.", nullable=True
            ),
            "v_min_pu": float_column(
                "pu", "Lowest terminal voltage of the day (pu).", nullable=True
            ),
            "v_max_pu": float_column(
                "pu", "Highest terminal voltage of the day (pu).", nullable=True
            ),
            "hours_outside": float_column(
                "h", "Hours of periods with a voltage outside its band (beyond the AC tolerance)."
            ),
            "tap_ops": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Tap steps moved over the day (all regulators).",
            ),
            "cap_ops": column(
                "int64", unit="-", checks=[ge(0)], description="Capacitor switchings over the day."
            ),
            "periods": column("int64", unit="-", checks=[ge(0)], description="Periods of the day."),
            "periods_ac_ok": column(
                "int64", unit="-", checks=[ge(0)], description="Periods passing the AC check."
            ),
            "status": _text(
                "optimised: optimal (converged, every period passes the AC check), round_limit "
                "(every period passes, but the rounds stopped at max_rounds before converging), "
                "violations (the best settings found leave an excursion; see message) or "
                "not_converged; baseline: baseline."
            ),
            "rounds": column(
                "int64", unit="-", checks=[ge(0)], description="Linearise / MILP / AC-check rounds."
            ),
            "message": _text("Why the plan stopped, in words.", nullable=True),
        },
    ),
)
