"""Branch two-port admittances and the bus admittance matrix (pi model, MATPOWER convention)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["branch_admittances", "make_ybus"]


def branch_admittances(
    r: np.ndarray,
    x: np.ndarray,
    b: np.ndarray,
    tap: np.ndarray,
    shift_rad: np.ndarray,
    active: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two-port admittances of pi-model branches with an ideal transformer at the from end.

    Parameters
    ----------
    r, x
        Series resistance and reactance (pu).
    b
        Total charging susceptance (pu), half at each end.
    tap
        Off-nominal turns ratio at the from end (pu).
    shift_rad
        Phase shift of the from-end transformer (radians; positive = to end lags).
    active
        Branches to compute; the others get zeros (open branches, merged switches).

    Returns
    -------
    yff, yft, ytf, ytt
        Complex arrays (pu) such that ``i_f = yff v_f + yft v_t`` and ``i_t = ytf v_f + ytt v_t``.
    """
    nbr = len(r)
    out = [np.zeros(nbr, dtype=complex) for _ in range(4)]
    a = np.flatnonzero(active)
    ys = 1.0 / (r[a] + 1j * x[a])
    t = tap[a] * np.exp(1j * shift_rad[a])
    ytt = ys + 0.5j * b[a]
    out[0][a] = ytt / (tap[a] * tap[a])
    out[1][a] = -ys / np.conj(t)
    out[2][a] = -ys / t
    out[3][a] = ytt
    return out[0], out[1], out[2], out[3]


def make_ybus(
    n_bus: int,
    f: np.ndarray,
    t: np.ndarray,
    yff: np.ndarray,
    yft: np.ndarray,
    ytf: np.ndarray,
    ytt: np.ndarray,
    shunt: np.ndarray,
) -> Any:
    """Assemble the bus admittance matrix in one sparse call.

    Parameters
    ----------
    n_bus
        Number of buses.
    f, t
        Bus index of each branch end (active branches only).
    yff, yft, ytf, ytt
        Branch two-port admittances (pu).
    shunt
        Shunt admittance at each bus (pu, ``y = g + j b``).

    Returns
    -------
    scipy.sparse.csr_matrix
        Complex ``n_bus x n_bus`` matrix; duplicates (parallel branches) are summed.
    """
    import scipy.sparse as sp

    diag = np.arange(n_bus)
    rows = np.concatenate([f, f, t, t, diag])
    cols = np.concatenate([f, t, f, t, diag])
    data = np.concatenate([yff, yft, ytf, ytt, shunt])
    y = sp.coo_matrix((data, (rows, cols)), shape=(n_bus, n_bus)).tocsr()
    y.sum_duplicates()
    return y
