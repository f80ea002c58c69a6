"""Limit checks of solved power flows, for the result tables: voltage band and loading.

Shared by the balanced and the three-phase tables; arrays only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OVER", "UNDER", "V_TOL_PU", "WITHIN", "loading_worst", "voltage_violations"]

#: ``violation`` labels of a node (or node phase) below and above its band, and within it
#: (an empty string rather than null, so that every partition of a batch has a string column).
UNDER, OVER, WITHIN = "under", "over", ""
#: A voltage counts as outside its band when it is more than this beyond it (pu): rounding
#: of a slack voltage held exactly at a limit is no violation.
V_TOL_PU = 1e-9


def voltage_violations(
    vm: np.ndarray, v_min: np.ndarray, v_max: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which voltages leave their band, and by how much.

    Parameters
    ----------
    vm
        Voltage magnitudes (S, M) (pu).
    v_min, v_max
        Band of each column (M,) (pu); NaN = no limit on that side.

    Returns
    -------
    (labels, distance)
        ``labels`` (S, M) object: ``"under"`` where ``vm < v_min - V_TOL_PU``, ``"over"``
        where ``vm > v_max + V_TOL_PU``, ``""`` otherwise; ``distance`` (S, M) float:
        ``v_min - vm`` under, ``vm - v_max`` over, 0 otherwise (pu, never negative).
    """
    below = np.nan_to_num(v_min - vm, nan=0.0)
    above = np.nan_to_num(vm - v_max, nan=0.0)
    under, over = below > V_TOL_PU, above > V_TOL_PU
    distance = np.where(under, below, np.where(over, above, 0.0))
    labels = np.full(vm.shape, WITHIN, dtype=object)
    labels[under] = UNDER
    labels[over] = OVER
    return labels, distance


def loading_worst(loading: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Highest loading per scenario and the id where it occurs.

    Parameters
    ----------
    loading
        Loading (S, K) (%), NaN where unrated or open.
    ids
        Element id of every column (K,).

    Returns
    -------
    (loading_max_pct, element)
        (S,) float, NaN when no column has a loading; (S,) object, ``None`` there.
    """
    n_s = loading.shape[0]
    rated = np.isfinite(loading)
    has = rated.any(axis=1)
    peak = np.full(n_s, np.nan)
    at = np.full(n_s, None, dtype=object)
    if has.any():
        k = np.argmax(np.where(rated, loading, -np.inf), axis=1)
        rows = np.flatnonzero(has)
        peak[rows] = loading[rows, k[rows]]
        at[rows] = np.asarray(ids, dtype=object)[k[rows]]
    return peak, at
