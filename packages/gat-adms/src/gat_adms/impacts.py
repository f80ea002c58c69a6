"""What each fault does to each load point: the contract between FLISR and the indices.

:class:`FaultImpacts` is produced by the FLISR simulation (one row per fault element, one
column per load point) and consumed by the analytical indices and the outage Monte Carlo,
so both methods see exactly the same switching outcome.

Duration rule (used by both methods): when fault ``e`` interrupts load point ``l``, the
load point is without supply for ``restore_time_h[e, l]`` hours when that is finite
(restored by switching: isolation and upstream re-closing, or transfer through a tie), and
for the repair time of ``e`` otherwise (it waits for the repair). Interruptions shorter than
the IEEE 1366 momentary threshold (5 minutes) are not sustained and are not counted here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MOMENTARY_H", "FaultImpacts", "Indices", "expected_indices", "interruption_hours"]

#: IEEE 1366: an interruption of 5 minutes or less is momentary (h).
MOMENTARY_H = 5.0 / 60.0


@dataclass(frozen=True, kw_only=True)
class FaultImpacts:
    """Outcome of every single fault for every load point.

    Attributes
    ----------
    elements
        Fault element ids, shape (E,).
    element_types
        ``branch``, ``node`` or ``device`` per element, shape (E,).
    failure_rate_per_yr
        Permanent failure rate of each element (1/yr), shape (E,).
    repair_time_h
        Mean repair time of each element (h), shape (E,).
    load_points
        Node ids of the load points (nodes with customers > 0), shape (L,).
    customers
        Customers at each load point, shape (L,).
    load_mw
        Average load of each load point (MW), shape (L,).
    interrupted
        ``interrupted[e, l]``: fault ``e`` causes a sustained interruption at ``l``, (E, L).
    restore_time_h
        Hours after fault ``e`` at which ``l`` is back by switching; ``inf`` when ``l``
        waits for the repair. Only meaningful where ``interrupted``. Shape (E, L).
    """

    elements: tuple[str, ...]
    element_types: tuple[str, ...]
    failure_rate_per_yr: np.ndarray
    repair_time_h: np.ndarray
    load_points: tuple[str, ...]
    customers: np.ndarray
    load_mw: np.ndarray
    interrupted: np.ndarray
    restore_time_h: np.ndarray


def interruption_hours(impacts: FaultImpacts, repair_h: np.ndarray) -> np.ndarray:
    """Hours each load point is without supply, given each fault's repair time.

    Parameters
    ----------
    impacts
        The switching outcome of every fault.
    repair_h
        Repair time of each fault element (h), shape (E,): the mean for the analytical
        method, a sampled value in the Monte Carlo.

    Returns
    -------
    numpy.ndarray
        Shape (E, L): 0 where not interrupted, the switching time where restored by
        switching, the repair time otherwise.
    """
    dur = np.where(np.isfinite(impacts.restore_time_h), impacts.restore_time_h, repair_h[:, None])
    return np.where(impacts.interrupted, dur, 0.0)


@dataclass(frozen=True, kw_only=True)
class Indices:
    """IEEE 1366 system indices and load-point values (expected annual values).

    ``lambda_per_yr`` (1/yr), ``u_h_per_yr`` (h/yr), ``r_h`` (h, NaN where lambda = 0) and
    ``ens_mwh_per_yr`` (MWh/yr) are per load point; SAIFI (interruptions per customer-yr),
    SAIDI (h per customer-yr), CAIDI (h per interruption), ASAI (fraction), ENS (MWh/yr) and
    AENS (MWh per customer-yr) are system values.
    """

    lambda_per_yr: np.ndarray
    u_h_per_yr: np.ndarray
    r_h: np.ndarray
    ens_mwh_per_yr: np.ndarray
    saifi: float
    saidi: float
    caidi: float
    asai: float
    ens: float
    aens: float


def expected_indices(impacts: FaultImpacts) -> Indices:
    """Analytical (expected annual) indices from failure rates and mean repair times."""
    lam_e = impacts.failure_rate_per_yr
    hours = interruption_hours(impacts, impacts.repair_time_h)
    lam = lam_e @ impacts.interrupted.astype(float)
    u = lam_e @ hours
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(lam > 0, u / np.where(lam > 0, lam, 1.0), np.nan)
    ens_l = u * impacts.load_mw
    n = impacts.customers.astype(float)
    total = float(n.sum())
    saifi = float(lam @ n) / total if total else 0.0
    saidi = float(u @ n) / total if total else 0.0
    caidi = saidi / saifi if saifi > 0 else float("nan")
    ens = float(ens_l.sum())
    return Indices(
        lambda_per_yr=lam,
        u_h_per_yr=u,
        r_h=r,
        ens_mwh_per_yr=ens_l,
        saifi=saifi,
        saidi=saidi,
        caidi=caidi,
        asai=1.0 - saidi / 8760.0,
        ens=ens,
        aens=ens / total if total else 0.0,
    )
