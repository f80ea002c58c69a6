"""Kernels of the outage Monte Carlo: arrays in, arrays out (no pandas, no I/O).

An event (one failure of one element) costs, per load point, the hours given by the
contract's duration rule (:func:`gat_adms.impacts.interruption_hours`): the switching time
where the load point is restored by switching, the event's sampled repair time otherwise.
That cost is affine in the repair time, so each element is reduced once to a few numbers
(:class:`ElementEffects`) and every sampled event is then priced in O(1), whatever the
number of load points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_adms.impacts import FaultImpacts, interruption_hours
from gat_schemas.errors import InputError

from ._options import HOURS_PER_YEAR, RepairDistribution

__all__ = [
    "ElementEffects",
    "Events",
    "YearTotals",
    "check_impacts",
    "element_effects",
    "repair_times",
    "sample_events",
]


@dataclass(frozen=True)
class ElementEffects:
    """What one failure of each element costs, as ``fixed + slope * repair_h``; shape (E,).

    Attributes
    ----------
    customers_interrupted
        Customers with a sustained interruption.
    customers_switched
        Of those, customers restored by switching (before the repair).
    customer_hours_fixed
        Customer-hours of the customers restored by switching (customer h).
    customers_waiting
        Customers waiting for the repair: customer-hours per hour of repair (customer).
    energy_fixed_mwh
        Energy not supplied to load points restored by switching (MWh).
    load_waiting_mw
        Load waiting for the repair: MWh not supplied per hour of repair (MW).
    switching_h
        Longest switching restoration time among the interrupted load points (h); 0 when
        none is restored by switching.
    waits
        True when some load point waits for the repair.
    """

    customers_interrupted: np.ndarray
    customers_switched: np.ndarray
    customer_hours_fixed: np.ndarray
    customers_waiting: np.ndarray
    energy_fixed_mwh: np.ndarray
    load_waiting_mw: np.ndarray
    switching_h: np.ndarray
    waits: np.ndarray


def check_impacts(impacts: FaultImpacts) -> None:
    """Refuse a :class:`FaultImpacts` whose arrays cannot be sampled.

    Raises
    ------
    gat_schemas.errors.InputError
        Inconsistent shapes, negative or non-finite failure rates, non-positive or
        non-finite repair times, negative customers or load, no customers at all.
    """
    e, n_l = len(impacts.elements), len(impacts.load_points)
    shapes = {
        "element_types": (np.shape(impacts.element_types), (e,)),
        "failure_rate_per_yr": (np.shape(impacts.failure_rate_per_yr), (e,)),
        "repair_time_h": (np.shape(impacts.repair_time_h), (e,)),
        "customers": (np.shape(impacts.customers), (n_l,)),
        "load_mw": (np.shape(impacts.load_mw), (n_l,)),
        "interrupted": (np.shape(impacts.interrupted), (e, n_l)),
        "restore_time_h": (np.shape(impacts.restore_time_h), (e, n_l)),
    }
    for name, (got, want) in shapes.items():
        if got != want:
            raise InputError(f"fault impacts: {name} has shape {got}, expected {want}")
    rate = np.asarray(impacts.failure_rate_per_yr, dtype=float)
    repair = np.asarray(impacts.repair_time_h, dtype=float)
    for name, bad in (
        ("failure_rate_per_yr", ~(np.isfinite(rate) & (rate >= 0))),
        ("repair_time_h", ~(np.isfinite(repair) & (repair > 0))),
    ):
        if bad.any():
            ids = ", ".join(np.asarray(impacts.elements, dtype=object)[bad][:5])
            raise InputError(f"fault impacts: {name} is not usable for element(s) {ids}")
    cust = np.asarray(impacts.customers, dtype=float)
    load = np.asarray(impacts.load_mw, dtype=float)
    if not (np.isfinite(cust).all() and (cust >= 0).all()):
        raise InputError("fault impacts: customers must be finite and >= 0")
    if not (np.isfinite(load).all() and (load >= 0).all()):
        raise InputError("fault impacts: load_mw must be finite and >= 0")
    if cust.sum() <= 0:
        raise InputError("fault impacts: no load point has customers; the indices are undefined")


def element_effects(impacts: FaultImpacts) -> ElementEffects:
    """Reduce every element's switching outcome to the affine cost of one failure."""
    n = np.asarray(impacts.customers, dtype=float)
    load = np.asarray(impacts.load_mw, dtype=float)
    e = len(impacts.elements)
    # The contract's rule at repair = 0 h and 1 h: hours without supply = h0 + slope * repair.
    h0 = interruption_hours(impacts, np.zeros(e))
    slope = interruption_hours(impacts, np.ones(e)) - h0
    hit = np.asarray(impacts.interrupted, dtype=bool)
    waiting = slope > 0
    return ElementEffects(
        customers_interrupted=hit.astype(float) @ n,
        customers_switched=(hit & ~waiting).astype(float) @ n,
        customer_hours_fixed=h0 @ n,
        customers_waiting=slope @ n,
        energy_fixed_mwh=h0 @ load,
        load_waiting_mw=slope @ load,
        switching_h=h0.max(axis=1, initial=0.0),
        waits=waiting.any(axis=1),
    )


@dataclass(frozen=True)
class Events:
    """Sampled failures of a block, sorted by (year, start_h); shape (N,) each.

    ``year`` is numbered from the block's first year; ``event`` counts from 1 within a year.
    """

    year: np.ndarray
    event: np.ndarray
    element: np.ndarray
    start_h: np.ndarray
    repair_h: np.ndarray
    duration_h: np.ndarray
    customers_interrupted: np.ndarray
    customers_switched: np.ndarray
    customer_hours: np.ndarray
    unserved_mwh: np.ndarray


@dataclass(frozen=True)
class YearTotals:
    """Per simulated year of the block; shape (Y,) each."""

    year: np.ndarray
    failures: np.ndarray
    customers_interrupted: np.ndarray
    customer_hours: np.ndarray
    unserved_mwh: np.ndarray


def repair_times(
    mean_h: np.ndarray,
    rng: np.random.Generator,
    dist: RepairDistribution,
    cv: float,
) -> np.ndarray:
    """One repair time per event with the given means (h): exponential, or lognormal with
    coefficient of variation ``cv`` (``sigma^2 = ln(1 + cv^2)``, ``mu = ln(mean) - sigma^2/2``)."""
    if dist is RepairDistribution.EXPONENTIAL:
        return rng.exponential(mean_h)
    sigma2 = np.log1p(cv * cv)
    return rng.lognormal(np.log(mean_h) - sigma2 / 2.0, np.sqrt(sigma2))


def sample_events(
    impacts: FaultImpacts,
    effects: ElementEffects,
    *,
    first_year: int,
    years: int,
    rng: np.random.Generator,
    dist: RepairDistribution,
    cv: float,
) -> tuple[Events, YearTotals]:
    """Sample ``years`` years of failures and price every event.

    Draws, in this order: failure counts ``Poisson(failure_rate_per_yr)`` per (year,
    element); start times uniform in [0, 8760) h (given its count, a Poisson process's
    arrival times are independent and uniform); repair times (:func:`repair_times`).
    Events do not interact: an outage that overlaps another one, or runs past the end of the
    year, is counted in full in the year it starts, as the analytical method does.
    """
    rate = np.asarray(impacts.failure_rate_per_yr, dtype=float)
    mean = np.asarray(impacts.repair_time_h, dtype=float)
    n_el = rate.size
    counts = rng.poisson(rate, size=(years, n_el))
    cell = np.repeat(np.arange(years * n_el, dtype=np.int64), counts.ravel())
    year, element = np.divmod(cell, n_el) if n_el else (cell, cell)
    start = rng.uniform(0.0, HOURS_PER_YEAR, size=cell.size)
    repair = repair_times(mean[element], rng, dist, cv)
    order = np.lexsort((element, start, year))
    year, element, start, repair = year[order], element[order], start[order], repair[order]
    first_of_year = np.searchsorted(year, np.arange(years))
    event = np.arange(year.size, dtype=np.int64) - first_of_year[year] + 1
    ci = effects.customers_interrupted[element]
    ch = effects.customer_hours_fixed[element] + effects.customers_waiting[element] * repair
    ens = effects.energy_fixed_mwh[element] + effects.load_waiting_mw[element] * repair
    duration = np.where(
        effects.waits[element],
        np.maximum(effects.switching_h[element], repair),
        effects.switching_h[element],
    )
    events = Events(
        year=year + first_year,
        event=event,
        element=element,
        start_h=start,
        repair_h=repair,
        duration_h=duration,
        customers_interrupted=ci,
        customers_switched=effects.customers_switched[element],
        customer_hours=ch,
        unserved_mwh=ens,
    )
    totals = YearTotals(
        year=np.arange(first_year, first_year + years, dtype=np.int64),
        failures=counts.sum(axis=1).astype(np.int64),
        customers_interrupted=np.bincount(year, weights=ci, minlength=years),
        customer_hours=np.bincount(year, weights=ch, minlength=years),
        unserved_mwh=np.bincount(year, weights=ens, minlength=years),
    )
    return events, totals
