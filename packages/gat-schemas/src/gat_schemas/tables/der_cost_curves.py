"""``der_cost_curves``: linear operating cost of DER assets (used by the OPF ``cost`` objective)."""

from __future__ import annotations

from ._base import TableSchema, column, finite, make_schema

__all__ = ["SCHEMA"]

SCHEMA = TableSchema(
    name="der_cost_curves",
    description=(
        "One row per cost curve; an asset's cost is c1 * p + c0 per hour (p in MW, generation "
        "positive, so a negative p earns c1 per MWh)."
    ),
    id_columns=("cost_curve_id",),
    schema=make_schema(
        "der_cost_curves",
        {
            "cost_curve_id": column(
                str, unit="-", description="Cost curve identifier (der_assets.cost_curve_id)."
            ),
            "c1": column(
                "float64",
                unit="currency/MWh",
                checks=[finite()],
                description="Marginal cost of active power (currency per MWh generated).",
            ),
            "c0": column(
                "float64",
                unit="currency/h",
                required=False,
                default=0.0,
                checks=[finite()],
                description="Fixed cost per hour of operation (currency/h); default 0.",
            ),
        },
    ),
)
