"""The table schemas of the data contract, as an explicit registry.

``TABLES`` maps a table name (also its parquet file stem) to its :class:`TableSchema`.
There is no lookup by file path: adding a table means adding a module and one line here.
"""

from __future__ import annotations

from gat_schemas.errors import InputError

from ._base import (
    BRANCH_STATUSES,
    BRANCH_TYPES,
    NODE_TYPES,
    PHASES,
    ColumnInfo,
    TableSchema,
)
from .adms_mc_outputs import OUTAGE_SAMPLES, OUTAGE_STATS, OUTAGE_YEARS
from .adms_outputs import FLISR_RUNS, LOAD_POINT_INDICES, RELIABILITY_INDICES
from .der_assets import ASSET_TYPES, STORAGE_TYPES
from .der_assets import SCHEMA as DER_ASSETS
from .der_cost_curves import SCHEMA as DER_COST_CURVES
from .derms_envelope_outputs import (
    DER_ENVELOPE_SETPOINTS,
    DER_ENVELOPE_SUMMARY,
    DER_ENVELOPES,
)
from .derms_schedule_outputs import (
    DERMS_STRESS_SCENARIOS,
    DERMS_STRESS_SUMMARY,
    SCHEDULE,
    SCHEDULE_NETWORK,
    SCHEDULE_SUMMARY,
)
from .derms_series import DERMS_STRESS_SPEC, LOAD_SERIES, PRICE_SERIES, PV_SERIES
from .dist_branches import SCHEMA as DIST_BRANCHES
from .dist_cap_controls import CAP_CONTROL_TYPES
from .dist_cap_controls import SCHEMA as DIST_CAP_CONTROLS
from .dist_caps import CAP_KINDS
from .dist_caps import SCHEMA as DIST_CAPS
from .dist_linecodes import SCHEMA as DIST_LINECODES
from .dist_loads import LOAD_CONNECTIONS, LOAD_MODELS
from .dist_loads import SCHEMA as DIST_LOADS
from .dist_nodes import SCHEMA as DIST_NODES
from .dist_regulators import REGULATOR_MODES
from .dist_regulators import SCHEMA as DIST_REGULATORS
from .dist_switches import SCHEMA as DIST_SWITCHES
from .dist_switches import SWITCH_TYPES
from .dist_transformers import SCHEMA as DIST_TRANSFORMERS
from .dist_transformers import WINDING_CONNECTIONS
from .hostcap_outputs import HOSTCAP_CURVES, HOSTCAP_HELD, HOSTCAP_SUMMARY
from .load_shapes import SCHEMA as LOAD_SHAPES
from .measurements import SCHEMA as MEASUREMENTS
from .opf_outputs import OPF_BRANCHES, OPF_DER, OPF_NODES, OPF_SUMMARY
from .outage_scenarios import SCHEMA as OUTAGE_SCENARIOS
from .pf3_outputs import PF3_BRANCHES, PF3_NODES, PF3_REGULATORS, PF3_SUMMARY
from .pf_outputs import PF_BRANCHES, PF_NODES, PF_SUMMARY
from .pf_scenarios import SCHEMA as PF_SCENARIOS
from .qsts_outputs import (
    HOSTCAP_TIMESERIES,
    QSTS_CONTROLS,
    QSTS_METERS,
    QSTS_STEPS,
    QSTS_VOLTAGES,
)
from .reconfig_outputs import RECONFIG_SUMMARY, RECONFIG_SWITCHES
from .reliability import ELEMENT_TYPES
from .reliability import SCHEMA as RELIABILITY
from .se_outputs import SE_BRANCHES, SE_MEASUREMENTS, SE_NODES, SE_SUMMARY
from .switching_devices import DEVICE_TYPES
from .switching_devices import SCHEMA as SWITCHING_DEVICES
from .vvo_outputs import VVO_PERIODS, VVO_SETTINGS, VVO_SUMMARY

__all__ = [
    "ASSET_TYPES",
    "BRANCH_STATUSES",
    "BRANCH_TYPES",
    "CAP_CONTROL_TYPES",
    "CAP_KINDS",
    "DEVICE_TYPES",
    "ELEMENT_TYPES",
    "LOAD_CONNECTIONS",
    "LOAD_MODELS",
    "NETWORK_TABLES",
    "NODE_TYPES",
    "OUTPUT_TABLES",
    "PHASES",
    "REGULATOR_MODES",
    "REQUIRED_TABLES",
    "STORAGE_TYPES",
    "SWITCH_TYPES",
    "TABLES",
    "WINDING_CONNECTIONS",
    "ColumnInfo",
    "TableSchema",
    "get_table",
]

#: Every table GAT knows, by name (= parquet file stem).
TABLES: dict[str, TableSchema] = {
    s.name: s
    for s in (
        DIST_NODES,
        DIST_BRANCHES,
        DIST_CAPS,
        DIST_CAP_CONTROLS,
        DIST_SWITCHES,
        DIST_LINECODES,
        DIST_TRANSFORMERS,
        DIST_REGULATORS,
        DIST_LOADS,
        LOAD_SHAPES,
        DER_ASSETS,
        DER_COST_CURVES,
        RELIABILITY,
        SWITCHING_DEVICES,
        OUTAGE_SCENARIOS,
        PF_SCENARIOS,
        MEASUREMENTS,
        PRICE_SERIES,
        LOAD_SERIES,
        PV_SERIES,
        DERMS_STRESS_SPEC,
        PF_NODES,
        PF_BRANCHES,
        PF_SUMMARY,
        PF3_NODES,
        PF3_BRANCHES,
        PF3_REGULATORS,
        PF3_SUMMARY,
        HOSTCAP_SUMMARY,
        HOSTCAP_CURVES,
        QSTS_STEPS,
        QSTS_METERS,
        QSTS_CONTROLS,
        QSTS_VOLTAGES,
        HOSTCAP_TIMESERIES,
        HOSTCAP_HELD,
        OPF_NODES,
        OPF_BRANCHES,
        OPF_DER,
        OPF_SUMMARY,
        DER_ENVELOPES,
        DER_ENVELOPE_SUMMARY,
        DER_ENVELOPE_SETPOINTS,
        SCHEDULE,
        SCHEDULE_NETWORK,
        SCHEDULE_SUMMARY,
        DERMS_STRESS_SCENARIOS,
        DERMS_STRESS_SUMMARY,
        OUTAGE_SAMPLES,
        OUTAGE_YEARS,
        OUTAGE_STATS,
        FLISR_RUNS,
        LOAD_POINT_INDICES,
        RELIABILITY_INDICES,
        SE_NODES,
        SE_BRANCHES,
        SE_MEASUREMENTS,
        SE_SUMMARY,
        VVO_SETTINGS,
        VVO_PERIODS,
        VVO_SUMMARY,
        RECONFIG_SWITCHES,
        RECONFIG_SUMMARY,
    )
}

#: Tables that may live in a network folder, in the order they are written and validated.
NETWORK_TABLES: tuple[str, ...] = tuple(n for n, s in TABLES.items() if s.kind == "network")
#: Tables a network folder must hold.
REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, s in TABLES.items() if s.required_in_network)
#: Result tables written by commands.
OUTPUT_TABLES: tuple[str, ...] = tuple(n for n, s in TABLES.items() if s.kind == "output")


def get_table(name: str) -> TableSchema:
    """Return the schema of table ``name``.

    Raises
    ------
    gat_schemas.errors.InputError
        When no table has that name (the message lists the known ones).
    """
    try:
        return TABLES[name]
    except KeyError:
        raise InputError(f"unknown table '{name}'; known tables: {', '.join(TABLES)}") from None
