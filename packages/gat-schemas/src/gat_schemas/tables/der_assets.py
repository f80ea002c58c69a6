"""``der_assets``: distributed energy resources (PV, batteries, EVs, flexible loads, ...)."""

from __future__ import annotations

from ._base import PHASES, TableSchema, between, column, finite, ge, gt, isin, make_schema
from .dist_loads import shape_link

__all__ = ["ASSET_TYPES", "SCHEMA", "STORAGE_TYPES"]

#: Asset technologies.
ASSET_TYPES = ("pv", "battery", "ev", "flex_load", "wind", "genset")
#: Technologies that store energy (energy_cap > 0 required).
STORAGE_TYPES = ("battery", "ev")

SCHEMA = TableSchema(
    name="der_assets",
    description=(
        "One row per DER asset; p positive = generation (injection), negative = consumption."
    ),
    id_columns=("asset_id",),
    schema=make_schema(
        "der_assets",
        {
            "asset_id": column(str, unit="-", description="Asset identifier (unique)."),
            "bus_id": column(
                str,
                unit="-",
                foreign_key="dist_nodes.node_id",
                description="Node (node_id) the asset is connected to.",
            ),
            "phase": column(
                str, unit="-", checks=[isin(PHASES)], description="Connected phases (A..ABC)."
            ),
            "asset_type": column(
                str,
                unit="-",
                checks=[isin(ASSET_TYPES)],
                description="pv, battery, ev, flex_load, wind or genset.",
            ),
            "p_min": column(
                "float64",
                unit="MW",
                checks=[finite()],
                description="Lowest active power (MW, generation positive; < 0 = charging).",
            ),
            "p_max": column(
                "float64",
                unit="MW",
                checks=[finite()],
                description="Highest active power (MW, generation positive); p_min <= p_max.",
            ),
            "q_min": column(
                "float64",
                unit="Mvar",
                checks=[finite()],
                description="Lowest reactive power (Mvar, injection positive).",
            ),
            "q_max": column(
                "float64",
                unit="Mvar",
                checks=[finite()],
                description="Highest reactive power (Mvar, injection positive); q_min <= q_max.",
            ),
            "ramp_up": column(
                "float64",
                unit="MW/h",
                nullable=True,
                checks=[ge(0.0)],
                description="Largest increase of p per hour (MW/h); NaN = no ramp limit.",
            ),
            "ramp_down": column(
                "float64",
                unit="MW/h",
                nullable=True,
                checks=[ge(0.0)],
                description="Largest decrease of p per hour (MW/h); NaN = no ramp limit.",
            ),
            "energy_cap": column(
                "float64",
                unit="MWh",
                nullable=True,
                checks=[ge(0.0)],
                description="Usable energy capacity (MWh); > 0 for battery and ev, NaN otherwise.",
            ),
            "soc_min": column(
                "float64",
                unit="fraction",
                nullable=True,
                checks=[between(0.0, 1.0)],
                description="Lowest state of charge (fraction of energy_cap); NaN if not storage.",
            ),
            "soc_max": column(
                "float64",
                unit="fraction",
                nullable=True,
                checks=[between(0.0, 1.0)],
                description="Highest state of charge (fraction of energy_cap); soc_min <= soc_max.",
            ),
            "efficiency": column(
                "float64",
                unit="fraction",
                checks=[between(0.0, 1.0, include_lo=False)],
                description="One-way conversion efficiency in (0, 1] (charge and discharge alike).",
            ),
            "owner_id": column(
                str, unit="-", nullable=True, description="Owner identifier; None = unknown."
            ),
            "agg_id": column(
                str,
                unit="-",
                nullable=True,
                description="Aggregator (portfolio) identifier; None = not aggregated.",
            ),
            "priority": column(
                "int64",
                unit="rank",
                checks=[ge(0)],
                description="Dispatch priority rank; a smaller number is dispatched first.",
            ),
            "cost_curve_id": column(
                str,
                unit="-",
                nullable=True,
                foreign_key="der_cost_curves.cost_curve_id",
                description="Cost curve identifier; None = no cost.",
            ),
            "telemetry_id": column(
                str,
                unit="-",
                nullable=True,
                required=False,
                default=None,
                description="Telemetry point identifier; None = not metered.",
            ),
            "s_max": column(
                "float64",
                unit="MVA",
                nullable=True,
                checks=[gt(0.0)],
                required=False,
                default=None,
                description="Inverter apparent-power rating (MVA); NaN = no circle limit.",
            ),
            **{kind: shape_link(kind) for kind in ("daily", "yearly", "duty")},
        },
    ),
)
