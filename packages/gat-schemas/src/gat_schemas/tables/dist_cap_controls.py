"""``dist_cap_controls``: switching controls of shunt capacitors (OpenDSS ``CapControl``)."""

from __future__ import annotations

from ._base import TableSchema, between, column, finite, ge, gt, isin, make_schema

__all__ = ["CAP_CONTROL_TYPES", "SCHEMA"]

#: What the control measures: line current, voltage, reactive power, power factor, time.
CAP_CONTROL_TYPES = ("current", "voltage", "kvar", "pf", "time")

SCHEMA = TableSchema(
    name="dist_cap_controls",
    description=(
        "One row per capacitor control: it measures at one terminal of a branch and switches "
        "its capacitor (dist_caps) in when the measured value passes on_setting and out when "
        "it passes off_setting, after the delays. Settings are in the units of control_type: "
        "current A on the CT secondary (line amperes / ct_ratio), voltage V on the PT "
        "secondary (line-to-neutral volts / pt_ratio), kvar the branch's reactive flow (kvar, "
        "into the branch at the terminal), pf the power factor, time the hour of the day "
        "(h). Data for studies with switching (QSTS, Volt/VAR): the snapshot power flow uses "
        "the capacitor's dist_caps status."
    ),
    id_columns=("control_id",),
    schema=make_schema(
        "dist_cap_controls",
        {
            "control_id": column(str, unit="-", description="Control identifier (unique)."),
            "cap_id": column(
                str,
                unit="-",
                foreign_key="dist_caps.cap_id",
                description="Capacitor the control switches.",
            ),
            "control_type": column(
                str,
                unit="-",
                checks=[isin(CAP_CONTROL_TYPES)],
                description="current, voltage, kvar, pf or time: what is measured.",
            ),
            "element_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Branch whose terminal is measured.",
            ),
            "terminal": column(
                "int64",
                unit="-",
                checks=[between(1, 2)],
                description="Measured end of the branch: 1 = from_node, 2 = to_node.",
            ),
            "on_setting": column(
                "float64",
                unit="-",
                checks=[finite()],
                description=(
                    "Value that switches the capacitor in (A, V, kvar, pf or h by "
                    "control_type; see the table description)."
                ),
            ),
            "off_setting": column(
                "float64",
                unit="-",
                checks=[finite()],
                description="Value that switches the capacitor out (same unit as on_setting).",
            ),
            "pt_ratio": column(
                "float64",
                unit="-",
                checks=[gt(0.0)],
                description="Potential-transformer ratio (primary volts per secondary volt).",
            ),
            "ct_ratio": column(
                "float64",
                unit="-",
                checks=[gt(0.0)],
                description="Current-transformer ratio (primary amperes per secondary ampere).",
            ),
            "delay_s": column(
                "float64",
                unit="s",
                checks=[ge(0.0)],
                description="Time the on condition must last before switching in (s).",
            ),
            "delay_off_s": column(
                "float64",
                unit="s",
                checks=[ge(0.0)],
                description="Time the off condition must last before switching out (s).",
            ),
            "dead_time_s": column(
                "float64",
                unit="s",
                checks=[ge(0.0)],
                description="Time after switching out before the bank may switch in again (s).",
            ),
            "volt_override": column(
                "bool",
                unit="-",
                description=(
                    "True: the voltage limits v_min_v/v_max_v switch the bank whatever the "
                    "control type."
                ),
            ),
            "v_min_v": column(
                "float64",
                unit="V",
                checks=[gt(0.0)],
                description="Voltage override: switch in below this (V, PT secondary).",
            ),
            "v_max_v": column(
                "float64",
                unit="V",
                checks=[gt(0.0)],
                description="Voltage override: switch out above this (V, PT secondary).",
            ),
            "pt_phase": column(
                str,
                unit="-",
                description=(
                    "Phase whose voltage is measured (A, B or C), or avg, max, min over the "
                    "terminal's phases."
                ),
            ),
            "ct_phase": column(
                str,
                unit="-",
                description=(
                    "Phase whose current is measured (A, B or C), or avg, max, min over the "
                    "terminal's phases."
                ),
            ),
        },
    ),
)
