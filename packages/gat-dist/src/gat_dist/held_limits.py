"""Limits the network breaks before any DER: "do not make it worse" by more than a tolerance.

A planning study asks what the DER adds. A node phase already below ``v_min`` (or above
``v_max``) in the base case, or a conductor already above its rating, is not counted as
violated by the base case itself; it counts as violated only when the DER makes it worse
than its base-case value by more than a tolerance (the EPRI DRIVE-style rule):

- voltage: the held lower limit is ``vm_base - tol_pu``, the held upper limit
  ``vm_base + tol_pu`` (pu);
- loading: the held limit is ``loading_base + 100 tol_pu`` (percentage points of the
  rating: the same fraction, 0.1 % of the rating for the default 0.001);
- unbalance (hosting capacity): ``vuf_base + 100 tol_pu`` (percentage points).

Limits the base case meets are unchanged. Every workflow (hosting capacity, the three-phase
OPF, envelopes, schedules) computes its held limits here, so the rule is the same everywhere.
NaN base values (a power flow that did not converge, an unrated conductor) hold nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HELD_TOL_PU", "held_cap", "held_voltage"]

#: Default tolerance (pu of voltage; the same fraction of a rating): within the AC check
#: tolerance of the optimisation workflows.
HELD_TOL_PU = 1e-3


def held_voltage(
    vm: np.ndarray, v_min: np.ndarray, v_max: np.ndarray, tol_pu: float = HELD_TOL_PU
) -> tuple[np.ndarray, np.ndarray]:
    """Voltage limits with the base case's violations held (pu, broadcast shapes).

    Parameters
    ----------
    vm
        Base-case voltage magnitudes (pu).
    v_min, v_max
        The limits (pu).
    tol_pu
        How much worse than its base value a broken limit may get (pu, >= 0).

    Returns
    -------
    lo, hi
        ``vm - tol_pu`` where ``vm < v_min`` else ``v_min``; ``vm + tol_pu`` where
        ``vm > v_max`` else ``v_max``.
    """
    vm = np.asarray(vm, dtype=float)
    with np.errstate(invalid="ignore"):
        lo = np.where(vm < v_min, vm - tol_pu, v_min)
        hi = np.where(vm > v_max, vm + tol_pu, v_max)
    return lo, hi


def held_cap(
    loading_pct: np.ndarray, cap_pct: float | np.ndarray = 100.0, tol_pu: float = HELD_TOL_PU
) -> np.ndarray:
    """Allowed loading (%) with the base case's overloads held: ``loading + 100 tol_pu``
    where the base ``loading_pct`` exceeds ``cap_pct``, else ``cap_pct``. Also used for
    the voltage unbalance factor (%)."""
    loading = np.asarray(loading_pct, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(loading > cap_pct, loading + 100.0 * tol_pu, cap_pct)
