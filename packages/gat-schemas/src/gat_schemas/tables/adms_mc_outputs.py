"""Outage Monte Carlo result tables: ``outage_samples``, ``outage_years``, ``outage_stats``.

Years are numbered from 1; every failure is counted in the year it starts, in full.
"""

from __future__ import annotations

from ._base import Column, TableSchema, between, column, finite, float_column, ge, isin, make_schema
from .reliability import ELEMENT_TYPES

__all__ = ["MC_INDICES", "OUTAGE_SAMPLES", "OUTAGE_STATS", "OUTAGE_YEARS"]

#: Indices summarised in ``outage_stats``, in row order.
MC_INDICES = ("SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS")


def _year() -> Column:
    return column("int64", unit="-", checks=[ge(1)], description="Simulated year, from 1.")


def _count(description: str) -> Column:
    return column("int64", unit="-", checks=[ge(0)], description=description)


def _nonneg(unit: str, description: str) -> Column:
    return float_column(unit, description, checks=[ge(0.0)])


OUTAGE_SAMPLES = TableSchema(
    name="outage_samples",
    kind="output",
    description="One row per sampled failure of an element, by year and start time.",
    id_columns=("year", "event"),
    schema=make_schema(
        "outage_samples",
        {
            "year": _year(),
            "event": column(
                "int64",
                unit="-",
                checks=[ge(1)],
                description="Failure number within the year, from 1, in start-time order.",
            ),
            "element_id": column(
                str, unit="-", description="Failed element (branch, node or device id)."
            ),
            "element_type": column(
                str, unit="-", checks=[isin(ELEMENT_TYPES)], description="branch, node or device."
            ),
            "start_h": float_column(
                "h",
                "Failure time, hours from the start of the year (uniform in [0, 8760)).",
                checks=[between(0.0, 8760.0, include_hi=False)],
            ),
            "repair_h": float_column(
                "h", "Sampled repair time of the element (h).", checks=[ge(0.0)]
            ),
            "duration_h": _nonneg(
                "h",
                "Longest interruption of any load point: the repair time when some load point "
                "waits for it, else the longest switching time; 0 when no customer is "
                "interrupted (h).",
            ),
            "customers_interrupted": _count(
                "Customers with a sustained interruption from this failure."
            ),
            "customers_restored_by_switching": _count(
                "Of the customers interrupted, those restored by switching before the repair."
            ),
            "customer_hours": _nonneg(
                "customer h",
                "Customer interruption duration: sum over load points of customers x hours "
                "without supply (customer h).",
            ),
            "unserved_mwh": _nonneg(
                "MWh",
                "Energy not supplied: sum over load points of average load x hours without "
                "supply (MWh).",
            ),
        },
    ),
)

OUTAGE_YEARS = TableSchema(
    name="outage_years",
    kind="output",
    description="IEEE 1366 indices of each simulated year.",
    id_columns=("year",),
    schema=make_schema(
        "outage_years",
        {
            "year": _year(),
            "failures": _count("Failures sampled in the year (all elements)."),
            "customers_interrupted": _count(
                "Customer interruptions in the year (a customer interrupted twice counts twice)."
            ),
            "customer_hours": _nonneg(
                "customer h", "Customer interruption duration in the year (customer h)."
            ),
            "saifi": _nonneg(
                "1/customer",
                "SAIFI of the year: customer interruptions / customers served.",
            ),
            "saidi": _nonneg(
                "h/customer", "SAIDI of the year: customer hours / customers served (h)."
            ),
            "caidi": column(
                "float64",
                unit="h",
                nullable=True,
                checks=[ge(0.0)],
                description="CAIDI of the year: SAIDI / SAIFI (h per interruption); NaN in a "
                "year without customer interruption.",
            ),
            "asai": float_column(
                "-", "ASAI of the year: 1 - SAIDI / 8760 (fraction of customer hours served)."
            ),
            "ens_mwh": _nonneg("MWh", "Energy not supplied in the year (MWh)."),
            "aens_mwh_per_customer": _nonneg(
                "MWh/customer", "AENS of the year: ENS / customers served (MWh per customer)."
            ),
        },
    ),
)


def _stat(description: str) -> Column:
    return column(
        "float64",
        unit="row unit",
        nullable=True,
        checks=[finite()],
        description=description + " In the row's unit; NaN when undefined.",
    )


OUTAGE_STATS = TableSchema(
    name="outage_stats",
    kind="output",
    description="Statistics of each IEEE 1366 index over the simulated years, beside the "
    "analytical value.",
    id_columns=("index",),
    schema=make_schema(
        "outage_stats",
        {
            "index": column(
                str,
                unit="-",
                checks=[isin(MC_INDICES)],
                description="SAIFI, SAIDI, CAIDI, ASAI, ENS or AENS.",
            ),
            "unit": column(
                str,
                unit="-",
                description="Unit of the row's values: interruptions/(customer yr), "
                "h/(customer yr), h/interruption, - (ASAI), MWh/yr, MWh/(customer yr).",
            ),
            "years": column(
                "int64",
                unit="-",
                checks=[ge(0)],
                description="Years summarised: every year, except for CAIDI, only the years "
                "with at least one customer interruption.",
            ),
            "mean": _stat("Mean over the years (the Monte Carlo estimate)."),
            "std": _stat("Sample standard deviation over the years (ddof 1)."),
            "sem": _stat("Standard error of the mean: std / sqrt(years)."),
            "p5": _stat("5th percentile over the years (linear interpolation)."),
            "p50": _stat("Median over the years."),
            "p95": _stat("95th percentile over the years."),
            "analytic": _stat(
                "Expected annual value from the failure rates and mean repair times "
                "(analytical method, same switching outcome); CAIDI = SAIDI / SAIFI."
            ),
        },
    ),
)
