"""``dist_transformers``: winding data of transformer branches for the three-phase model."""

from __future__ import annotations

from ._base import TableSchema, column, finite, ge, gt, isin, make_schema, phase_order

__all__ = ["SCHEMA", "TO_CONNECTIONS", "WINDING_CONNECTIONS"]

#: Winding connections: grounded wye, ungrounded wye, delta.
WINDING_CONNECTIONS = ("wye_g", "wye", "delta")
#: The to side may also be a center-tapped (split-phase, 120/240 V) secondary.
TO_CONNECTIONS = (*WINDING_CONNECTIONS, "center_tap")

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
                    "Ordered phases (1 to 3 distinct letters of ABC) of the from winding, and "
                    "of the to winding too unless phases_to gives its own. One letter on a wye "
                    "or wye_g side: a single-phase unit from that phase to neutral. Two letters "
                    "on a delta side: a single-phase winding between those two phases (in that "
                    "order). Three letters: a three-phase bank. Both windings wind the same "
                    "number of cores (an open-wye/open-delta unit: phases A wye_g, phases_to AB "
                    "delta)."
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
                checks=[isin(TO_CONNECTIONS)],
                description=(
                    "Connection of the to winding: wye_g, wye (ungrounded), delta, or "
                    "center_tap: a single-phase unit (one letter in phases, from phase to "
                    "neutral) whose secondary is two series halves with the grounded center "
                    "tap between them, feeding the two legs named in phases_to (split phase: "
                    "each leg kv_to to neutral, 2 kv_to between the legs; leg 2 opposite leg 1)."
                ),
            ),
            "phases_to": column(
                str,
                unit="-",
                nullable=True,
                required=False,
                default=None,
                description=(
                    "Phases of the to winding when they differ from phases (null = phases), "
                    "read as phases is: e.g. AB delta for the secondary of a unit wound A to "
                    "neutral on the from side. The branch's conductors are phases then the "
                    "letters of phases_to not in it; the to node lists these letters in "
                    "dist_nodes.phase. For a center_tap unit: its two secondary legs as two "
                    "letters of ABC, leg 1 (in phase with the primary winding) first; the "
                    "importer writes AB."
                ),
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
            "x_ht_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                nullable=True,
                required=False,
                default=None,
                description=(
                    "center_tap units: leakage reactance between the primary and secondary "
                    "leg 2 (% on s_rated_mva); x_pct is primary to leg 1. Null otherwise."
                ),
            ),
            "x_lt_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                nullable=True,
                required=False,
                default=None,
                description=(
                    "center_tap units: leakage reactance between the two secondary halves "
                    "(% on s_rated_mva). Null otherwise."
                ),
            ),
            "r_lt_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                nullable=True,
                required=False,
                default=None,
                description=(
                    "center_tap units: resistance of both secondary halves together (% on "
                    "s_rated_mva; the halves are equal). r_pct is then the primary winding plus "
                    "one half (the primary-to-leg short-circuit resistance). Null otherwise."
                ),
            ),
            "noload_loss_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                required=False,
                default=0.0,
                description=(
                    "Core (no-load) loss at rated voltage (% of s_rated_mva), a shunt "
                    "conductance across the to winding (winding 2) of every core, where OpenDSS "
                    "puts it: phase to neutral on a wye side, phase to phase on a delta side, "
                    "leg 1 to center tap on a center_tap unit; per core noload_loss_pct / 100 "
                    "* (s_rated_mva / cores) / (winding-2 voltage * tap_to)^2 siemens."
                ),
            ),
            "imag_pct": column(
                "float64",
                unit="%",
                checks=[ge(0.0), finite()],
                required=False,
                default=0.0,
                description=(
                    "Magnetising current at rated voltage (% of rated current), a shunt "
                    "susceptance (inductive) placed and scaled as noload_loss_pct."
                ),
            ),
            "ppm_antifloat": column(
                "float64",
                unit="ppm",
                checks=[finite()],
                required=False,
                default=1.0,
                description=(
                    "Anti-floating shunt (OpenDSS ppm_antifloat, parts per million): from each "
                    "end of each core's winding to ground a reactance whose admittance is ppm "
                    "* 1e-6 * (s_rated_mva / cores) / (winding voltage)^2 / 2 (winding voltage "
                    "= kv line to line for delta, kv / sqrt 3 for a three-phase wye, kv for a "
                    "single-phase unit; a three-phase delta terminal has two ends, a wye phase "
                    "one, as OpenDSS's Yprim); positive inductive, negative capacitive, 0 none. It "
                    "keeps an ungrounded (delta, wye) side referenced to ground. Not applied "
                    "to center_tap units."
                ),
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
