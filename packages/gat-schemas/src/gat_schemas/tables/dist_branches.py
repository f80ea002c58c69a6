"""``dist_branches``: one row per line, transformer or switchable branch."""

from __future__ import annotations

from ._base import (
    BRANCH_STATUSES,
    BRANCH_TYPES,
    TableSchema,
    column,
    finite,
    ge,
    gt,
    isin,
    make_schema,
    phase_order,
)

__all__ = ["SCHEMA"]

_NODE_FK = "dist_nodes.node_id"

SCHEMA = TableSchema(
    name="dist_branches",
    description=(
        "One row per line, transformer or switchable branch; r, x, b are per unit on the "
        "network base_mva and the from-node base_kv."
    ),
    id_columns=("branch_id",),
    required_in_network=True,
    schema=make_schema(
        "dist_branches",
        {
            "branch_id": column(str, unit="-", description="Branch identifier (string, unique)."),
            "from_node": column(
                str, unit="-", foreign_key=_NODE_FK, description="Node at the from end."
            ),
            "to_node": column(
                str, unit="-", foreign_key=_NODE_FK, description="Node at the to end."
            ),
            "r": column(
                "float64",
                unit="pu",
                checks=[ge(0.0), finite()],
                description="Series resistance (pu on base_mva and the from-node base_kv).",
            ),
            "x": column(
                "float64",
                unit="pu",
                checks=[finite()],
                description=(
                    "Series reactance (pu on base_mva and the from-node base_kv); negative for "
                    "series capacitors."
                ),
            ),
            "b": column(
                "float64",
                unit="pu",
                checks=[finite()],
                description="Total line-charging susceptance (pu), half at each end.",
            ),
            "tap": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                description="Off-nominal turns ratio at the from end (pu); 1.0 for lines.",
            ),
            "status": column(
                str,
                unit="-",
                checks=[isin(BRANCH_STATUSES)],
                description="closed (in service) or open (out of service, e.g. a normally-open tie).",
            ),
            "thermal_limit": column(
                "float64",
                unit="MVA",
                nullable=True,
                checks=[gt(0.0)],
                description="Thermal rating (MVA); NaN = no rating given (MATPOWER rateA = 0).",
            ),
            "shift_deg": column(
                "float64",
                unit="deg",
                checks=[finite()],
                required=False,
                default=0.0,
                description="Phase-shift angle of a transformer (degrees), positive = delay.",
            ),
            "branch_type": column(
                str,
                unit="-",
                checks=[isin(BRANCH_TYPES)],
                required=False,
                default="line",
                description="line, transformer or switch; r = x = 0 is allowed only on a switch.",
            ),
            "length_km": column(
                "float64",
                unit="km",
                nullable=True,
                checks=[ge(0.0)],
                required=False,
                default=None,
                description=(
                    "Length (km), used by per-km failure rates and, with linecode_id, by the "
                    "three-phase line model; NaN = unknown."
                ),
            ),
            "phases": column(
                str,
                unit="-",
                nullable=True,
                checks=[phase_order()],
                required=False,
                default=None,
                description=(
                    "Ordered conductors of the branch for the three-phase model: 1 to 3 distinct "
                    "letters of ABC in any order (CB is allowed); conductor i is row/column i of "
                    "the line code matrices. None = the phases common to both end nodes, in ABC "
                    "order."
                ),
            ),
            "linecode_id": column(
                str,
                unit="-",
                nullable=True,
                required=False,
                default=None,
                foreign_key="dist_linecodes.linecode_id",
                description=(
                    "Line code giving the phase impedance per km (times length_km); None = the "
                    "three-phase model uses r, x, b on every phase without mutual coupling."
                ),
            ),
            "normamps": column(
                "float64",
                unit="A",
                nullable=True,
                checks=[ge(0.0)],
                required=False,
                default=None,
                description=(
                    "Normal rated current of each conductor (A), overriding the line code's "
                    "normamps; NaN = the line code's, else thermal_limit. The three-phase "
                    "loading (pf3_branches, hosting capacity) is current over this ampacity."
                ),
            ),
            "emergamps": column(
                "float64",
                unit="A",
                nullable=True,
                checks=[ge(0.0)],
                required=False,
                default=None,
                description=(
                    "Emergency rated current of each conductor (A), overriding the line code's "
                    "emergamps; NaN = the line code's. Recorded for studies of emergency "
                    "ratings (not checked by the power flow)."
                ),
            ),
        },
    ),
)
