"""DER flexibility-envelope result tables: ``der_envelopes``, ``der_envelope_summary``,
``der_envelope_setpoints``.

Sign convention: ``p_mw``/``q_mvar`` are the group's aggregate injection at its point of
connection, generation (export) positive. For asset groups (``agg_id``, ``bus_id``) that is
the sum of the group's asset injections; for feeder groups it is the power the feeder
exports through its head (negative while it imports), loads and losses included. Columns
starting with ``ac_`` or ending in ``_ac_*`` hold the AC power flow of the vertex's asset set
points.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, isin, make_schema

__all__ = ["DER_ENVELOPES", "DER_ENVELOPE_SETPOINTS", "DER_ENVELOPE_SUMMARY", "ENVELOPE_STATUSES"]

#: Outcome of a group's support LPs.
ENVELOPE_STATUSES = ("optimal", "cut_limit", "infeasible")


def _group() -> Column:
    return column(
        str,
        unit="-",
        description="Group: the agg_id, bus_id or feeder_id the envelope belongs to.",
    )


def _vertex() -> Column:
    return column(
        "int64",
        unit="-",
        checks=[ge(0)],
        description="Vertex number 0..n-1, counter-clockwise in the (p_mw, q_mvar) plane, "
        "starting at the vertex of largest p_mw (ties: largest q_mvar).",
    )


DER_ENVELOPES = TableSchema(
    name="der_envelopes",
    kind="output",
    description="Vertices of each group's P-Q flexibility envelope (convex polygon), each "
    "checked by AC power flow.",
    id_columns=("group_id", "vertex"),
    schema=make_schema(
        "der_envelopes",
        {
            "group_id": _group(),
            "vertex": _vertex(),
            "p_mw": float_column(
                "MW", "Aggregate active injection of the group at the vertex (export positive)."
            ),
            "q_mvar": float_column(
                "Mvar",
                "Aggregate reactive injection of the group at the vertex (export positive).",
            ),
            "theta_deg": float_column(
                "deg",
                "Direction of the support LP that found the vertex: it maximised "
                "cos(theta) p + sin(theta) q.",
            ),
            "p_ac_mw": float_column(
                "MW",
                "The group's active injection in the AC power flow of the vertex's set points "
                "(feeder groups: AC head export, losses included); NaN if not converged.",
                nullable=True,
            ),
            "q_ac_mvar": float_column(
                "Mvar",
                "The group's reactive injection in the AC power flow (as p_ac_mw); NaN if not "
                "converged.",
                nullable=True,
            ),
            "vm_min_ac_pu": float_column(
                "pu",
                "Lowest node voltage of the AC power flow; NaN if not converged.",
                nullable=True,
            ),
            "vm_max_ac_pu": float_column(
                "pu",
                "Highest node voltage of the AC power flow; NaN if not converged.",
                nullable=True,
            ),
            "ac_vm_violation_pu": float_column(
                "pu",
                "Largest voltage-limit violation of the AC power flow over non-slack, "
                "non-source nodes (0 when none); NaN if not converged.",
                nullable=True,
                checks=[ge(0.0)],
            ),
            "ac_thermal_violation_pct": float_column(
                "%",
                "Largest loading above 100 % of thermal_limit in the AC power flow "
                "(percentage points; 0 when none); NaN if not converged.",
                nullable=True,
                checks=[ge(0.0)],
            ),
            "ac_converged": column(
                "bool", unit="-", description="The AC power flow of the vertex converged."
            ),
            "ac_verified": column(
                "bool",
                unit="-",
                description="Converged, and both violations within the run's tolerances "
                "(run.json params vm_tol_pu, thermal_tol_pct).",
            ),
        },
    ),
)

DER_ENVELOPE_SUMMARY = TableSchema(
    name="der_envelope_summary",
    kind="output",
    description="One row per group: the envelope's ranges and area, and its AC verdict.",
    id_columns=("group_id",),
    schema=make_schema(
        "der_envelope_summary",
        {
            "group_id": _group(),
            "asset_count": column(
                "int64", unit="-", checks=[ge(0)], description="Assets in the group."
            ),
            "status": column(
                str,
                unit="-",
                checks=[isin(ENVELOPE_STATUSES)],
                description="optimal; cut_limit (a socp cut loop stopped at its round limit); "
                "infeasible (no set point of the group meets the network limits: no vertex).",
            ),
            "vertex_count": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Vertices of the envelope (1: a point, 2: a segment).",
            ),
            "p_min_mw": float_column(
                "MW",
                "Smallest aggregate active injection in the envelope; NaN if infeasible.",
                nullable=True,
            ),
            "p_max_mw": float_column(
                "MW",
                "Largest aggregate active injection in the envelope; NaN if infeasible.",
                nullable=True,
            ),
            "q_min_mvar": float_column(
                "Mvar",
                "Smallest aggregate reactive injection in the envelope; NaN if infeasible.",
                nullable=True,
            ),
            "q_max_mvar": float_column(
                "Mvar",
                "Largest aggregate reactive injection in the envelope; NaN if infeasible.",
                nullable=True,
            ),
            "area_mva2": float_column(
                "MVA^2",
                "Area of the envelope polygon (MW x Mvar); 0 for a point or a segment.",
                checks=[ge(0.0)],
            ),
            "ac_verified": column(
                "bool",
                unit="-",
                description="Every vertex's AC power flow converged within the voltage and "
                "thermal tolerances (false when infeasible).",
            ),
            "max_ac_violation": float_column(
                "pu",
                "Largest AC violation over the vertices, as a fraction of the limit: the "
                "larger of the voltage violation (pu) and the thermal excess (loading / 100 - "
                "1); NaN when a power flow did not converge or the group is infeasible.",
                nullable=True,
                checks=[ge(0.0)],
            ),
            "max_vm_violation_pu": float_column(
                "pu",
                "Largest AC voltage-limit violation over the vertices.",
                nullable=True,
                checks=[ge(0.0)],
            ),
            "max_thermal_violation_pct": float_column(
                "%",
                "Largest AC loading above 100 % over the vertices (percentage points).",
                nullable=True,
                checks=[ge(0.0)],
            ),
            "lp_solves": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="LPs solved for the group (one per direction, plus cut rounds and "
                "AC-correction rounds).",
            ),
            "ac_corrections": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="lindistflow: rounds in which the LP limits were tightened by the "
                "errors the AC check found and the group's LPs solved again (0: none needed, "
                "or socp).",
            ),
            "solve_s": float_column("s", "Wall time of the group's support LPs."),
            "message": column(
                str,
                unit="-",
                nullable=True,
                description="Why the group is infeasible or cut-limited (the limits whose "
                "relaxation restores feasibility), or why its AC correction stopped early; "
                "null otherwise.",
            ),
        },
    ),
)

DER_ENVELOPE_SETPOINTS = TableSchema(
    name="der_envelope_setpoints",
    kind="output",
    description="Asset set points that deliver each envelope vertex (the disaggregation the "
    "AC check used).",
    id_columns=("group_id", "vertex", "asset_id"),
    schema=make_schema(
        "der_envelope_setpoints",
        {
            "group_id": _group(),
            "vertex": _vertex(),
            "asset_id": column(
                str, unit="-", foreign_key="der_assets.asset_id", description="Asset identifier."
            ),
            "p_mw": float_column("MW", "Active set point of the asset (generation positive)."),
            "q_mvar": float_column("Mvar", "Reactive set point of the asset (injection positive)."),
        },
    ),
)
