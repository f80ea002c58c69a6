"""``measurements``: what sensors report, the input of ``gat adms state-estimation``.

One row per measurement (and per snapshot when the table holds several). Units by kind:
``v_mag`` pu of the node's line-to-neutral base, ``v_ang`` degrees (PMU, relative to the
slack's phase A / positive-sequence angle), ``p_inj``/``p_flow`` MW, ``q_inj``/``q_flow``
Mvar, ``i_mag`` A. Injections are generation positive (a load is negative); a flow is
the power entering the branch at the measured ``side``. On a balanced network a power is
the three-phase total and ``phase`` is ``ABC``; on a three-phase network each row is one
phase (``A``, ``B`` or ``C``) and a power is that phase's.
"""

from __future__ import annotations

from ._base import TableSchema, column, finite, gt, isin, make_schema

__all__ = ["MEASUREMENT_KINDS", "NODE_KINDS", "SCHEMA"]

#: Measured quantities.
MEASUREMENT_KINDS = ("v_mag", "v_ang", "p_inj", "q_inj", "p_flow", "q_flow", "i_mag")
#: Kinds whose element is a node (the others name a branch and a side).
NODE_KINDS = ("v_mag", "v_ang", "p_inj", "q_inj")

SCHEMA = TableSchema(
    name="measurements",
    kind="input",
    description=(
        "Sensor readings for state estimation: one row per measurement (per snapshot). "
        "Units by kind: v_mag pu, v_ang degrees, p_* MW, q_* Mvar, i_mag A."
    ),
    id_columns=("measurement_id", "snapshot"),
    schema=make_schema(
        "measurements",
        {
            "measurement_id": column(
                str,
                unit="-",
                description="Measurement identifier (unique within a snapshot).",
            ),
            "kind": column(
                str,
                unit="-",
                checks=[isin(MEASUREMENT_KINDS)],
                description="v_mag, v_ang (PMU), p_inj, q_inj, p_flow, q_flow or i_mag.",
            ),
            "element_id": column(
                str,
                unit="-",
                description="A node_id for v_mag, v_ang, p_inj, q_inj; a branch_id for "
                "p_flow, q_flow, i_mag.",
            ),
            "side": column(
                str,
                unit="-",
                required=False,
                default="from",
                checks=[isin(("from", "to"))],
                description="Branch end of a flow or current measurement (from or to; "
                "ignored for node kinds). Default from.",
            ),
            "phase": column(
                str,
                unit="-",
                required=False,
                default="ABC",
                checks=[isin(("A", "B", "C", "ABC"))],
                description="Measured phase on a three-phase network (A, B, C); ABC on a "
                "balanced one (the positive-sequence value, powers as three-phase totals).",
            ),
            "value": column(
                "float64",
                unit="pu | deg | MW | Mvar | A",
                checks=[finite()],
                bound=1e6,
                description="Reading, in the unit of its kind: v_mag pu, v_ang degrees, p_* MW "
                "(generation positive for injections; entering the branch at side for flows), "
                "q_* Mvar (same signs), i_mag A.",
            ),
            "sigma": column(
                "float64",
                unit="pu | deg | MW | Mvar | A",
                checks=[gt(0.0), finite()],
                bound=1e6,
                description="Standard deviation of the reading's error, same unit as value "
                "(the weight is 1 / sigma^2).",
            ),
            "pseudo": column(
                "bool",
                unit="-",
                required=False,
                default=False,
                description="True for a pseudo-measurement (forecast or load profile, not a "
                "sensor). Default false.",
            ),
            "snapshot": column(
                str,
                unit="-",
                required=False,
                default="0",
                description="Snapshot (timestamp or scenario id) the reading belongs to; "
                "each snapshot is estimated on its own. Default 0 (one snapshot).",
            ),
        },
    ),
)
