"""Quasi-static time-series result tables: ``qsts_steps``, ``qsts_meters``, ``qsts_controls``,
``qsts_voltages``.

``qsts_voltages`` (``--save-voltages``) is written partitioned by block of steps
(``qsts_voltages/block=<k>/part-0.parquet``), so ``block`` is absent from the partition files
and present when the dataset is read as a whole.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, finite, ge, gt, isin, make_schema

__all__ = [
    "DEVICE_KINDS",
    "HOSTCAP_TIMESERIES",
    "QSTS_CONTROLS",
    "QSTS_METERS",
    "QSTS_STEPS",
    "QSTS_VOLTAGES",
    "TS_LIMITS",
]

#: What stops a time-series hosting capacity from growing.
TS_LIMITS = ("voltage", "thermal", "not_converged", "search_cap")

#: What a row of ``qsts_controls`` describes.
DEVICE_KINDS = ("regulator", "capacitor")


def _step() -> Column:
    return column(
        "int64",
        unit="-",
        checks=[ge(0)],
        description="Step number, 0 to steps - 1.",
    )


def _pu(what: str) -> Column:
    return column(
        "float64",
        unit="pu",
        nullable=True,
        checks=[gt(0.0)],
        description=f"{what} (pu of the line-to-neutral base; at a node of an ungrounded "
        "three-wire section the line-to-line magnitude in pu of the line-to-line base, the "
        "measure pf3_nodes.v_judged names; a balanced network's positive-sequence voltage "
        "stands for every phase); NaN when the step did not converge or the network has no "
        "node on that phase.",
    )


def _count(what: str) -> Column:
    return column("int64", unit="-", checks=[ge(0)], description=what)


def _mw(what: str, *, nullable: bool = False) -> Column:
    return column("float64", unit="MW", nullable=nullable, description=what)


QSTS_STEPS = TableSchema(
    name="qsts_steps",
    kind="output",
    description="One row per time step of a quasi-static time series: feeder power, losses, "
    "voltage extremes per phase, violations and convergence. A step whose power flow did "
    "not converge keeps converged false and NaN results: it is never filled from another "
    "step.",
    id_columns=("step",),
    schema=make_schema(
        "qsts_steps",
        {
            "step": _step(),
            "time_h": column(
                "float64",
                unit="h",
                checks=[ge(0.0), finite()],
                description="Time of the step from the start of the study (h): (step + 1) x "
                "step length, as OpenDSS stamps its daily and yearly solutions.",
            ),
            "converged": column(
                "bool", unit="-", description="The step's power flow met the tolerance."
            ),
            "controls_settled": column(
                "bool",
                unit="-",
                description="The controls came to rest (static mode) within the round limit.",
            ),
            "control_rounds": _count("Power flows solved for the step (1 = no control acted)."),
            "head_p_mw": _mw(
                "Active power from the feeder head(s) into the network (MW; negative = "
                "reverse flow).",
                nullable=True,
            ),
            "head_q_mvar": column(
                "float64",
                unit="Mvar",
                nullable=True,
                description="Reactive power from the feeder head(s) into the network (Mvar).",
            ),
            "losses_mw": _mw(
                "Active power lost in lines, transformers and regulators (MW).", nullable=True
            ),
            "load_p_mw": _mw(
                "Scheduled load: rated active load times its multiplier, at nominal voltage "
                "(MW; voltage-dependent loads draw somewhat different power)."
            ),
            "der_p_mw": _mw("DER active output (MW, generation positive)."),
            **{
                f"v_{end}_{ph}_pu": _pu(
                    f"{'Lowest' if end == 'min' else 'Highest'} voltage on phase {ph.upper()}"
                )
                for end in ("min", "max")
                for ph in "abc"
            },
            "n_under": _count("Node phases (non-slack) below their v_min at this step."),
            "n_over": _count("Node phases (non-slack) above their v_max at this step."),
        },
    ),
)

QSTS_METERS = TableSchema(
    name="qsts_meters",
    kind="output",
    description="Energy meter of a quasi-static time series over the whole run (one row for "
    "the feeder): energy delivered, losses, peak demand, time outside voltage limits, "
    "control operations. Steps that did not converge are left out of the sums and counted.",
    id_columns=("meter",),
    schema=make_schema(
        "qsts_meters",
        {
            "meter": column(str, unit="-", description="Meter name (feeder: the whole network)."),
            "steps": _count("Steps in the run."),
            "step_h": column("float64", unit="h", checks=[gt(0.0)], description="Step length (h)."),
            "steps_not_converged": _count("Steps whose power flow did not converge."),
            "energy_mwh": column(
                "float64",
                unit="MWh",
                description="Energy delivered from the feeder head(s) (MWh; reverse flow "
                "subtracts).",
            ),
            "reverse_energy_mwh": column(
                "float64",
                unit="MWh",
                checks=[ge(0.0)],
                description="Energy flowing back out through the feeder head(s) (MWh).",
            ),
            "losses_mwh": column(
                "float64", unit="MWh", description="Energy lost in branches (MWh)."
            ),
            "losses_pct": column(
                "float64",
                unit="%",
                nullable=True,
                description="Losses over energy delivered plus DER energy (%).",
            ),
            "load_mwh": column(
                "float64", unit="MWh", description="Scheduled load energy at nominal voltage (MWh)."
            ),
            "der_mwh": column("float64", unit="MWh", description="DER energy (MWh)."),
            "peak_demand_mw": _mw("Largest head active power of any step (MW).", nullable=True),
            "peak_step": column(
                "int64", unit="-", description="Step of the peak demand (-1 when none)."
            ),
            "hours_under": column(
                "float64",
                unit="h",
                checks=[ge(0.0)],
                description="Hours with some node phase below its v_min.",
            ),
            "hours_over": column(
                "float64",
                unit="h",
                checks=[ge(0.0)],
                description="Hours with some node phase above its v_max.",
            ),
            "node_hours_under": column(
                "float64",
                unit="h",
                checks=[ge(0.0)],
                description="Sum over node phases of the hours each spent below v_min.",
            ),
            "node_hours_over": column(
                "float64",
                unit="h",
                checks=[ge(0.0)],
                description="Sum over node phases of the hours each spent above v_max.",
            ),
            "v_min_pu": _pu("Lowest node-phase voltage of the run"),
            "v_max_pu": _pu("Highest node-phase voltage of the run"),
            "tap_operations": _count(
                "Regulator operations: steps at which a regulator's tap moved, summed over "
                "regulators."
            ),
            "tap_steps": _count("Tap steps moved, summed over regulators."),
            "cap_operations": _count("Capacitor switchings, summed over capacitors."),
        },
    ),
)

QSTS_CONTROLS = TableSchema(
    name="qsts_controls",
    kind="output",
    description="State of every regulator and switched capacitor that moved during the run, "
    "one row per device and step (devices that never moved have no rows; qsts_meters "
    "counts every operation).",
    id_columns=("device_id", "step"),
    schema=make_schema(
        "qsts_controls",
        {
            "device_id": column(
                str,
                unit="-",
                description="Regulator id (dist_regulators) or capacitor id (dist_caps).",
            ),
            "device_kind": column(
                str, unit="-", checks=[isin(DEVICE_KINDS)], description="regulator or capacitor."
            ),
            "step": _step(),
            "state": column(
                "int64",
                unit="steps",
                description="Tap position at the end of the step (steps from neutral), or "
                "capacitor in service (1) or out (0).",
            ),
            "changed": column(
                "bool", unit="-", description="The state differs from the step before."
            ),
            "operations": _count("Operations of this device up to and including this step."),
        },
    ),
)

QSTS_VOLTAGES = TableSchema(
    name="qsts_voltages",
    kind="output",
    description="Voltage of every node phase at every step (--save-voltages), partitioned by "
    "block of steps.",
    id_columns=("step", "node_id", "phase"),
    schema=make_schema(
        "qsts_voltages",
        {
            "step": _step(),
            "node_id": column(str, unit="-", foreign_key="dist_nodes.node_id", description="Node."),
            "phase": column(str, unit="-", description="A, B or C (ABC on a balanced network)."),
            "vm_pu": column(
                "float64",
                unit="pu",
                nullable=True,
                description="Voltage magnitude the band is judged on (pu of the "
                "line-to-neutral base, or line to line in pu of the line-to-line base at a node "
                "of an ungrounded three-wire section, as pf3_nodes.v_judged; NaN when the step "
                "did not converge).",
            ),
        },
    ),
)

HOSTCAP_TIMESERIES = TableSchema(
    name="hostcap_timeseries",
    kind="output",
    description="Time-series hosting capacity (gat dist hostcap --pv-shape): per candidate, the "
    "largest PV (rated MW, output following the PV shape) with no violation at any step of "
    "the series, regulators acting.",
    id_columns=("bus_id", "phase"),
    schema=make_schema(
        "hostcap_timeseries",
        {
            "bus_id": column(
                str, unit="-", foreign_key="dist_nodes.node_id", description="Candidate node."
            ),
            "phase": column(
                str,
                unit="-",
                description="Phases the PV connects to (ABC, the node's phases, or one phase).",
            ),
            "hosting_capacity_mw": column(
                "float64",
                unit="MW",
                checks=[ge(0.0), finite()],
                description="Largest PV rating (MW, generation positive, unity power factor) "
                "with no violation at any step, within the search tolerance below the exact "
                "value; the search's upper end when limiting_constraint is search_cap.",
            ),
            "limiting_constraint": column(
                str,
                unit="-",
                checks=[isin(TS_LIMITS)],
                description="What breaks just above the capacity: voltage, thermal, "
                "not_converged (a step without solution) or search_cap (nothing up to the "
                "search's upper end).",
            ),
            "limiting_step": column(
                "int64",
                unit="-",
                description="First step that breaks just above the capacity (-1 for search_cap).",
            ),
            "vm_max_pu_at_hc": column(
                "float64",
                unit="pu",
                nullable=True,
                checks=[gt(0.0)],
                description="Highest node-phase voltage of the series with the capacity "
                "installed (pu).",
            ),
            "limiting_element": column(
                str,
                unit="-",
                nullable=True,
                required=False,
                description="Node phase (node.phase) or conductor (branch.phase) that breaks "
                "its limit most at limiting_step just above the capacity; null for "
                "not_converged and search_cap.",
            ),
            "limiting_limit": column(
                str,
                unit="-",
                nullable=True,
                required=False,
                description="The limit it breaks: v_min, v_max or rating; prefixed held_ when "
                "the series without the PV already breaks it there (held at that value plus "
                "held_tol).",
            ),
            "limiting_value": column(
                "float64",
                unit="pu or %",
                nullable=True,
                required=False,
                description="Its value at that step: voltage (pu) for v_min/v_max, loading "
                "(% of rating) for rating.",
            ),
        },
    ),
)
