"""``dist_regulators``: step-voltage regulators (tap changers) on transformer branches."""

from __future__ import annotations

from ._base import PHASES, Column, TableSchema, column, finite, ge, gt, isin, make_schema

__all__ = ["REGULATOR_MODES", "SCHEMA"]

#: ``fixed``: the tap stays at ``tap``; ``auto``: the three-phase power flow moves it
#: (line-drop compensator and band, see ``gat_pf.run_power_flow_3ph``).
REGULATOR_MODES = ("fixed", "auto")


def _optional_volts(description: str) -> Column:
    return column(
        "float64",
        unit="V",
        nullable=True,
        checks=[gt(0.0)],
        required=False,
        default=None,
        description=description,
    )


SCHEMA = TableSchema(
    name="dist_regulators",
    description=(
        "One row per regulator: a single-phase regulator (phase is one letter) or a ganged "
        "regulator (phase lists several of the branch's phases, e.g. ABC: one tap moves them "
        "all, one control measures pt_phase). The tap scales the to-winding voltage of its "
        "phases by 1 + tap * step_pu; the control measures at the to side."
    ),
    id_columns=("regulator_id",),
    schema=make_schema(
        "dist_regulators",
        {
            "regulator_id": column(str, unit="-", description="Regulator identifier (unique)."),
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="Transformer branch the regulator acts on (branch_type transformer).",
            ),
            "phase": column(
                str,
                unit="-",
                checks=[isin(PHASES)],
                description=(
                    "Phases whose tap it moves, within the branch's phases: one letter for a "
                    "single-phase regulator, several (AB, BC, CA, ABC) for a ganged one."
                ),
            ),
            "pt_phase": column(
                str,
                unit="-",
                nullable=True,
                checks=[isin(("A", "B", "C"))],
                required=False,
                default=None,
                description=(
                    "Phase the potential and current transformers measure, one of phase "
                    "(OpenDSS ptphase); default (empty) the first letter of phase."
                ),
            ),
            "tap": column(
                "int64",
                unit="steps",
                description="Tap position (steps from neutral): fixed, or the start for auto.",
            ),
            "tap_min": column(
                "int64",
                unit="steps",
                required=False,
                default=-16,
                description="Lowest tap position (steps).",
            ),
            "tap_max": column(
                "int64",
                unit="steps",
                required=False,
                default=16,
                description="Highest tap position (steps).",
            ),
            "step_pu": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                required=False,
                default=0.00625,
                description="Voltage change per tap step (pu of the rated to-winding voltage).",
            ),
            "mode": column(
                str,
                unit="-",
                checks=[isin(REGULATOR_MODES)],
                required=False,
                default="fixed",
                description="fixed (tap as given) or auto (tap moved to hold v_set_v).",
            ),
            "v_set_v": _optional_volts(
                "Voltage set point on the PT secondary (V, e.g. 120 base); auto mode only."
            ),
            "band_v": column(
                "float64",
                unit="V",
                nullable=True,
                checks=[gt(0.0)],
                required=False,
                default=None,
                description="Width of the dead band centred on v_set_v (V); auto mode only.",
            ),
            "pt_ratio": column(
                "float64",
                unit="-",
                nullable=True,
                checks=[gt(0.0)],
                required=False,
                default=None,
                description=(
                    "Potential-transformer ratio: line-to-neutral primary volts per secondary "
                    "volt; auto mode only."
                ),
            ),
            "ct_primary_a": column(
                "float64",
                unit="A",
                nullable=True,
                checks=[gt(0.0)],
                required=False,
                default=None,
                description=(
                    "Current-transformer primary rating (A; the compensator's current is "
                    "line current / ct_primary_a); needed when r_comp_v or x_comp_v is not 0."
                ),
            ),
            "r_comp_v": column(
                "float64",
                unit="V",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Line-drop compensator resistance setting (V at rated CT current).",
            ),
            "x_comp_v": column(
                "float64",
                unit="V",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Line-drop compensator reactance setting (V at rated CT current).",
            ),
            "delay_s": column(
                "float64",
                unit="s",
                checks=[ge(0.0), finite()],
                required=False,
                default=15.0,
                description="Time the control voltage must stay outside the band before the "
                "tap moves (s; OpenDSS delay, 15 s by default). Used by time-series studies "
                "in time mode; the snapshot power flow and static mode ignore it.",
            ),
            "max_tap_change": column(
                "int64",
                unit="steps",
                checks=[ge(0)],
                required=False,
                default=16,
                description="Largest tap move in one time step of a time-series study "
                "(steps; OpenDSS maxtapchange, 16 by default; 0 locks the tap, which the "
                "importer writes as mode fixed).",
            ),
        },
    ),
)
