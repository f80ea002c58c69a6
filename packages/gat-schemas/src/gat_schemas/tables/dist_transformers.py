"""``dist_transformers``: winding data of transformer branches for the three-phase model."""

from __future__ import annotations

from ._base import TableSchema, column, finite, ge, gt, isin, make_schema, phase_order

__all__ = ["SCHEMA", "WINDING_CONNECTIONS"]

#: Winding connections: grounded wye, ungrounded wye, delta.
WINDING_CONNECTIONS = ("wye_g", "wye", "delta")

SCHEMA = TableSchema(
    name="dist_transformers",
    description=(
        "One row per transformer branch (branch_type transformer) modelled in phase "
        "coordinates; a transformer branch without a row here is modelled three-phase as "
        "uncoupled per-phase r, x, tap from dist_branches."
    ),
    id_columns=("branch_id",),
    schema=make_schema(
        "dist_transformers",
        {
            "branch_id": column(
                str,
                unit="-",
                foreign_key="dist_branches.branch_id",
                description="The transformer branch (branch_type transformer); from = winding 1.",
            ),
            "phases": column(
                str,
                unit="-",
                checks=[phase_order()],
                description=(
                    "Ordered phases (1 to 3 distinct letters of ABC) on both sides. One letter: "
                    "a single-phase unit from that phase to neutral on both sides (wye or wye_g "
                    "both ends). Two letters with delta on a side: a single-phase winding between "
                    "those two phases. Three letters: a three-phase bank."
                ),
            ),
            "conn_from": column(
                str,
                unit="-",
                checks=[isin(WINDING_CONNECTIONS)],
                description="Connection of the from winding: wye_g, wye (ungrounded) or delta.",
            ),
            "conn_to": column(
                str,
                unit="-",
                checks=[isin(WINDING_CONNECTIONS)],
                description="Connection of the to winding: wye_g, wye (ungrounded) or delta.",
            ),
            "kv_from": column(
                "float64",
                unit="kV",
                checks=[gt(0.0), finite()],
                description=(
                    "Rated voltage of the from winding (kV): line-to-line for a three-phase "
                    "unit, the winding voltage for a single-phase unit."
                ),
            ),
            "kv_to": column(
                "float64",
                unit="kV",
                checks=[gt(0.0), finite()],
                description=(
                    "Rated voltage of the to winding (kV): line-to-line for a three-phase unit, "
                    "the winding voltage for a single-phase unit."
                ),
            ),
            "s_rated_mva": column(
                "float64",
                unit="MVA",
                checks=[gt(0.0), finite()],
                description="Rated power of the whole unit or bank (MVA).",
            ),
            "r_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                description="Series resistance of both windings together (% on s_rated_mva).",
            ),
            "x_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                description="Leakage reactance between the windings (% on s_rated_mva).",
            ),
            "tap_from": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                required=False,
                default=1.0,
                description="Tap of the from winding (pu of its rated voltage).",
            ),
            "tap_to": column(
                "float64",
                unit="pu",
                checks=[gt(0.0), finite()],
                required=False,
                default=1.0,
                description=(
                    "Tap of the to winding (pu of its rated voltage); a regulator's step "
                    "position multiplies it on its phase."
                ),
            ),
        },
    ),
)
