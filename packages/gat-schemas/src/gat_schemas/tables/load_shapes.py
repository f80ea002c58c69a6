"""``load_shapes``: time series of multipliers (OpenDSS ``LoadShape``), in long format."""

from __future__ import annotations

from ._base import TableSchema, column, finite, ge, gt, make_schema

__all__ = ["SCHEMA"]

SCHEMA = TableSchema(
    name="load_shapes",
    description=(
        "One row per point of a shape: the multiplier applied, from hour `hour` of the study, "
        "to the rated power of every load (dist_loads.daily/yearly/duty) or DER "
        "(der_assets.daily/yearly/duty) naming the shape. Shapes are data for time-series "
        "studies: a snapshot power flow does not apply them."
    ),
    id_columns=("shape_id", "step"),
    schema=make_schema(
        "load_shapes",
        {
            "shape_id": column(
                str, unit="-", description="Shape identifier (the OpenDSS LoadShape name)."
            ),
            "step": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Position of the point in the shape, 0 to npts - 1.",
            ),
            "hour": column(
                "float64",
                unit="h",
                checks=[ge(0.0)],
                description=(
                    "Time of the point from the start of the shape (h): step * interval_h for "
                    "a fixed interval, else the OpenDSS hour= value."
                ),
            ),
            "multiplier": column(
                "float64",
                unit="pu",
                checks=[finite()],
                description=(
                    "Active-power multiplier (pu of the element's rated kW; 1 = rated power)."
                ),
            ),
            "interval_h": column(
                "float64",
                unit="h",
                nullable=True,
                checks=[gt(0.0)],
                description=(
                    "Fixed time step of the shape (h; OpenDSS interval, sinterval / 3600 or "
                    "minterval / 60); NaN when the points carry their own hour."
                ),
            ),
        },
    ),
)
