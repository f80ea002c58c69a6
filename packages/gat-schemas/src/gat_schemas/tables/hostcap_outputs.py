"""Hosting-capacity result tables: ``hostcap_summary``, ``hostcap_curves``, ``hostcap_held``.

``hostcap_curves`` is written partitioned by load level
(``hostcap_curves/load_scale=<x>/part-0.parquet``), so ``load_scale`` is absent from the
partition files and present when the dataset is read as a whole.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, finite, ge, gt, isin, make_schema

__all__ = [
    "HELD_LIMITS",
    "HOSTCAP_CURVES",
    "HOSTCAP_HELD",
    "HOSTCAP_SUMMARY",
    "LIMITING_CONSTRAINTS",
]

#: What stops the injection from growing (``search_cap``: nothing did before the search's
#: upper end, ``max_injection_mw``, was reached).
LIMITING_CONSTRAINTS = ("voltage", "thermal", "reverse_flow", "unbalance", "search_cap")


def _bus() -> Column:
    return column(
        str,
        unit="-",
        foreign_key="dist_nodes.node_id",
        description="Candidate node where the DER injects.",
    )


def _phase() -> Column:
    return column(
        str,
        unit="-",
        required=False,
        default="ABC",
        description="Phases the DER connects to, sharing its injection equally: all the "
        "node's phases (ABC, or the phases of a one- or two-phase node; ABC on a balanced "
        "network) or one phase (A, B or C) with phase mode each. Absent in results "
        "written before issue 12: ABC.",
    )


def _load_scale(required: bool) -> Column:
    return column(
        "float64",
        unit="-",
        required=required,
        checks=[ge(0.0), finite()],
        description="Factor applied to every load (P and Q) for this study.",
    )


HOSTCAP_SUMMARY = TableSchema(
    name="hostcap_summary",
    kind="output",
    description="Hosting capacity per candidate node and load level, with what limits it.",
    id_columns=("load_scale", "bus_id", "phase"),
    schema=make_schema(
        "hostcap_summary",
        {
            "bus_id": _bus(),
            "phase": _phase(),
            "load_scale": _load_scale(True),
            "hosting_capacity_mw": column(
                "float64",
                unit="MW",
                checks=[ge(0.0), finite()],
                description="Largest active injection (generation positive) at the node's "
                "power factor with no violation anywhere, within the search tolerance below "
                "the exact value; equals the search's upper end (max_injection_mw) when "
                "limiting_constraint is search_cap.",
            ),
            "limiting_constraint": column(
                str,
                unit="-",
                checks=[isin(LIMITING_CONSTRAINTS)],
                description="Constraint violated just above the capacity: voltage (also a "
                "power flow without solution), thermal, reverse_flow, unbalance (voltage "
                "unbalance factor above vuf_max), or search_cap (no checked "
                "limit broken up to max_injection_mw: the search's cap, not the network, set "
                "the value; unrated branches are never a thermal limit).",
            ),
            "limiting_element": column(
                str,
                unit="-",
                nullable=True,
                description="Where the limit is most violated: node id (voltage; node.phase on "
                "three-phase networks), branch id (thermal; branch.phase on three-phase "
                "networks), slack node or regulator id (reverse_flow), node id (unbalance); "
                "null for search_cap.",
            ),
            "vm_max_pu_at_hc": column(
                "float64",
                unit="pu",
                nullable=True,
                checks=[gt(0.0)],
                description="Highest node (node-phase) voltage with the capacity injected (pu); NaN only "
                "when the AC check of an OPF answer has no solution.",
            ),
            "loading_max_pct_at_hc": column(
                "float64",
                unit="%",
                nullable=True,
                checks=[ge(0.0)],
                description="Highest branch loading with the capacity injected (% of "
                "thermal_limit; three-phase: conductor current over ampacity); NaN when no "
                "branch is rated.",
            ),
            "ac_converged": column(
                "bool",
                unit="-",
                required=False,
                description="Method opf only: the AC power flow of the OPF answer converged.",
            ),
            "ac_vm_violation_pu": column(
                "float64",
                unit="pu",
                required=False,
                nullable=True,
                checks=[ge(0.0)],
                description="Method opf only: largest voltage-limit violation the AC check "
                "finds at the OPF answer (pu).",
            ),
            "ac_thermal_violation_pct": column(
                "float64",
                unit="%",
                required=False,
                nullable=True,
                checks=[ge(0.0)],
                description="Method opf only: largest loading above 100 % the AC check finds "
                "at the OPF answer (percentage points).",
            ),
            "opf_status": column(
                str,
                unit="-",
                required=False,
                description="Method opf only: solver outcome (optimal, cut_limit).",
            ),
        },
    ),
)

HOSTCAP_CURVES = TableSchema(
    name="hostcap_curves",
    kind="output",
    description="Sweep of the injection at each candidate node: one row per node and step.",
    id_columns=("load_scale", "bus_id", "phase", "step"),
    schema=make_schema(
        "hostcap_curves",
        {
            "load_scale": _load_scale(False),
            "bus_id": _bus(),
            "phase": _phase(),
            "step": column("int64", unit="-", checks=[ge(1)], description="Step k = 1..steps."),
            "injection_mw": column(
                "float64",
                unit="MW",
                checks=[gt(0.0), finite()],
                description="Injection at the node: k * max_injection / steps (MW).",
            ),
            "vm_max_pu": column(
                "float64",
                unit="pu",
                nullable=True,
                checks=[gt(0.0)],
                description="Highest node voltage (pu); NaN when the power flow has no solution.",
            ),
            "loading_max_pct": column(
                "float64",
                unit="%",
                nullable=True,
                checks=[ge(0.0)],
                description="Highest branch loading (% of thermal_limit); NaN when no branch "
                "is rated or the power flow has no solution.",
            ),
            "feasible": column(
                "bool",
                unit="-",
                description="True when the power flow converged with no violation of the "
                "checked constraints.",
            ),
        },
    ),
)

#: Limit families a hosting-capacity study may hold (broken without injection).
HELD_LIMITS = ("v_min", "v_max", "loading", "vuf", "reverse_flow")

HOSTCAP_HELD = TableSchema(
    name="hostcap_held",
    kind="output",
    description="Limits the case without injection already breaks, held at their base-case "
    "value plus the held tolerance: the DER may not make them worse by more than that.",
    id_columns=("load_scale", "element", "limit"),
    schema=make_schema(
        "hostcap_held",
        {
            "load_scale": _load_scale(True),
            "element": column(
                str,
                unit="-",
                description="Where: node id (node.phase on three-phase networks) for v_min "
                "and v_max, branch id (branch.phase) for loading, node id for vuf, slack "
                "node or regulator id for reverse_flow.",
            ),
            "limit": column(
                str,
                unit="-",
                checks=[isin(HELD_LIMITS)],
                description="Which limit: v_min, v_max (pu), loading (% of the rating), vuf "
                "(voltage unbalance factor, %), reverse_flow (forward active power, MW).",
            ),
            "value": column(
                "float64",
                unit="pu, %, % or MW (see limit)",
                description="The limit itself (node v_min/v_max, 100 %, vuf_max, 0 MW).",
            ),
            "held_at": column(
                "float64",
                unit="pu, %, % or MW (see limit)",
                description="The limit used instead: the base-case value minus (v_min) or "
                "plus (v_max) held_tol pu, the base-case loading or unbalance plus 100 x "
                "held_tol percentage points, the base-case flow (reverse_flow).",
            ),
        },
    ),
)
