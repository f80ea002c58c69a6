"""``dist_nodes``: one row per node (bus) of the network."""

from __future__ import annotations

from ._base import (
    NODE_TYPES,
    PHASES,
    TableSchema,
    between,
    column,
    finite,
    ge,
    gt,
    isin,
    make_schema,
)

__all__ = ["SCHEMA"]

SCHEMA = TableSchema(
    name="dist_nodes",
    description="One row per node (bus). Loads consume: load_p > 0 draws power from the network.",
    id_columns=("node_id",),
    required_in_network=True,
    schema=make_schema(
        "dist_nodes",
        {
            "node_id": column(str, unit="-", description="Node identifier (string, unique)."),
            "phase": column(
                str,
                unit="-",
                checks=[isin(PHASES)],
                description=(
                    "Phases present at the node: A, B, C, AB, BC, CA or ABC. A split-phase "
                    "(120/240 V) secondary fed by a center_tap transformer lists its two legs, "
                    "normally AB (leg 1, leg 2: opposite each other, not 120 degrees apart), "
                    "with base_kv 0.208 so each leg's base is 120 V to the grounded center tap."
                ),
            ),
            "type": column(
                str,
                unit="-",
                checks=[isin(NODE_TYPES)],
                description=(
                    "Node role: slack (feeder head, fixed voltage magnitude and angle), source "
                    "(generator holding v_set), load (PQ node) or DER_agg (aggregated DER, PQ)."
                ),
            ),
            "v_min": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                description="Lowest allowed voltage magnitude (pu of base_kv).",
            ),
            "v_max": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                description=(
                    "Highest allowed voltage magnitude (pu of base_kv); v_min < v_max, except "
                    "a slack node may have v_min == v_max."
                ),
            ),
            "load_p": column(
                "float64",
                unit="MW",
                checks=[finite()],
                description="Active load (MW); positive draws power from the network.",
            ),
            "load_q": column(
                "float64",
                unit="Mvar",
                checks=[finite()],
                description="Reactive load (Mvar); positive draws reactive power (inductive).",
            ),
            "feeder_id": column(
                str, unit="-", description="Feeder the node belongs to (one slack per feeder)."
            ),
            "base_kv": column(
                "float64",
                unit="kV",
                checks=[gt(0.0), finite()],
                description="Base voltage, line-to-line (kV).",
            ),
            "customers": column(
                "int64",
                unit="customers",
                checks=[ge(0)],
                required=False,
                default=0,
                description="Customers supplied at the node (for reliability indices).",
            ),
            "v_set": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                required=False,
                default=1.0,
                description="Voltage set point at slack and source nodes (pu); ignored elsewhere.",
            ),
            "va_set_deg": column(
                "float64",
                unit="deg",
                checks=[finite()],
                required=False,
                default=0.0,
                description=(
                    "Angle of the phase A line-to-neutral voltage at a slack node (deg); B and C "
                    "lag by 120 and 240 degrees. Ignored elsewhere."
                ),
            ),
            "gen_p": column(
                "float64",
                unit="MW",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Generation scheduled at the node (MW); positive injects power.",
            ),
            "gen_q": column(
                "float64",
                unit="Mvar",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Reactive generation at the node (Mvar); positive injects.",
            ),
            "q_min": column(
                "float64",
                unit="Mvar",
                nullable=True,
                required=False,
                default=None,
                description="Lower reactive limit of a source node (Mvar); NaN = unlimited.",
            ),
            "q_max": column(
                "float64",
                unit="Mvar",
                nullable=True,
                required=False,
                default=None,
                description="Upper reactive limit of a source node (Mvar); NaN = unlimited.",
            ),
            "gs_mw": column(
                "float64",
                unit="MW",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Shunt conductance as MW consumed at 1 pu voltage.",
            ),
            "bs_mvar": column(
                "float64",
                unit="Mvar",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Shunt susceptance as Mvar injected at 1 pu voltage (capacitive > 0).",
            ),
            "load_z_frac": column(
                "float64",
                unit="fraction",
                checks=[between(0.0, 1.0)],
                required=False,
                default=0.0,
                description="Constant-impedance share of the load (ZIP); constant power = 1 - z - i.",
            ),
            "x": column(
                "float64",
                unit="source unit",
                nullable=True,
                checks=[finite()],
                required=False,
                default=None,
                description=(
                    "Horizontal drawing coordinate, in the unit of the source file (OpenDSS "
                    "BusCoords give none: IEEE 123 uses feet); NaN = unknown. For maps and "
                    "plots only, never used in calculations."
                ),
            ),
            "y": column(
                "float64",
                unit="source unit",
                nullable=True,
                checks=[finite()],
                required=False,
                default=None,
                description=(
                    "Vertical drawing coordinate, same unit as x; NaN = unknown. For maps and "
                    "plots only."
                ),
            ),
            "load_i_frac": column(
                "float64",
                unit="fraction",
                checks=[between(0.0, 1.0)],
                required=False,
                default=0.0,
                description="Constant-current share of the load (ZIP); constant power = 1 - z - i.",
            ),
        },
    ),
)
