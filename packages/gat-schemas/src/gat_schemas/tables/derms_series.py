"""Time series read by ``gat derms schedule`` and ``stress-test``: prices, loads, PV.

Every series has a ``timestamp`` column: the start of a period, timezone-aware (in CSV an
ISO 8601 text with its UTC offset, such as ``2026-07-01T00:15:00+02:00``). The periods are
the price series' timestamps; the load and PV series must cover exactly the same ones.
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, finite, ge, make_schema

__all__ = ["DERMS_STRESS_SPEC", "LOAD_SERIES", "PRICE_SERIES", "PV_SERIES"]


def _timestamp() -> Column:
    return column(
        None,
        unit="timestamp",
        description="Start of the period, timezone-aware (ISO 8601 with UTC offset in CSV).",
    )


PRICE_SERIES = TableSchema(
    name="price_series",
    kind="input",
    description="Energy price per period; its timestamps define the schedule's periods.",
    id_columns=("timestamp",),
    schema=make_schema(
        "price_series",
        {
            "timestamp": _timestamp(),
            "price": column(
                "float64",
                unit="currency/MWh",
                checks=[finite()],
                description="Price of energy imported at the feeder head (currency per MWh; "
                "exported energy earns it; may be negative).",
            ),
        },
    ),
)

LOAD_SERIES = TableSchema(
    name="load_series",
    kind="input",
    description=(
        "Loads per period. Three forms: timestamp + scale (every load scaled); timestamp + "
        "node_id + scale (per-node factors, unlisted nodes keep scale 1); timestamp + node_id "
        "+ load_p [+ load_q] (listed nodes' loads, others keep the network's)."
    ),
    id_columns=("timestamp", "node_id"),
    schema=make_schema(
        "load_series",
        {
            "timestamp": _timestamp(),
            "node_id": column(
                str,
                unit="-",
                required=False,
                foreign_key="dist_nodes.node_id",
                description="Node whose load the row sets (absent: the row applies to all).",
            ),
            "scale": column(
                "float64",
                unit="-",
                required=False,
                checks=[ge(0.0), finite()],
                description="Multiplier of the node's load_p and load_q in dist_nodes.",
            ),
            "load_p": column(
                "float64",
                unit="MW",
                required=False,
                checks=[finite()],
                description="Active load of the node in the period (consumption positive).",
            ),
            "load_q": column(
                "float64",
                unit="Mvar",
                required=False,
                checks=[finite()],
                description="Reactive load of the node in the period (consumption positive); "
                "absent: load_q scaled like load_p.",
            ),
        },
    ),
)

PV_SERIES = TableSchema(
    name="pv_series",
    kind="input",
    description=(
        "Available PV power per period. Three forms: timestamp + scale (every pv asset); "
        "timestamp + asset_id + scale; timestamp + asset_id + p_avail. Assets not listed are "
        "available at p_max all day."
    ),
    id_columns=("timestamp", "asset_id"),
    schema=make_schema(
        "pv_series",
        {
            "timestamp": _timestamp(),
            "asset_id": column(
                str,
                unit="-",
                required=False,
                foreign_key="der_assets.asset_id",
                description="PV asset the row sets (absent: every pv asset).",
            ),
            "scale": column(
                "float64",
                unit="fraction",
                required=False,
                checks=[ge(0.0), finite()],
                description="Available power as a fraction of the asset's p_max (capped at 1).",
            ),
            "p_avail": column(
                "float64",
                unit="MW",
                required=False,
                checks=[ge(0.0), finite()],
                description="Available power of the asset (MW; capped at its p_max).",
            ),
        },
    ),
)

DERMS_STRESS_SPEC = TableSchema(
    name="derms_stress_spec",
    kind="input",
    description=(
        "Scripted stress-test scenarios (gat derms stress-test --scenarios FILE): one row per scenario, "
        "each series multiplied by its factor in every period; an absent factor column is 1."
    ),
    id_columns=("scenario_id",),
    schema=make_schema(
        "derms_stress_spec",
        {
            "scenario_id": column(
                str, unit="-", description="Scenario identifier (letters, digits, ._+-=)."
            ),
            "price_factor": column(
                "float64",
                unit="-",
                required=False,
                checks=[finite()],
                description="Multiplier of every price (may be negative).",
            ),
            "load_factor": column(
                "float64",
                unit="-",
                required=False,
                checks=[ge(0.0), finite()],
                description="Multiplier of every load (P and Q).",
            ),
            "pv_factor": column(
                "float64",
                unit="-",
                required=False,
                checks=[ge(0.0), finite()],
                description="Multiplier of PV availability (capped at each asset's p_max).",
            ),
        },
    ),
)
