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
    a = np.flatnonzero(active)
    ra, xa, ba = r[a], x[a], b[a]
    # ys = 1 / (r + j x) = (r - j x) / (r^2 + x^2), in real arithmetic.
    den = ra * ra + xa * xa
    ys = np.empty(len(a), dtype=complex)
    np.divide(ra, den, out=ys.real)
    np.divide(-xa, den, out=ys.imag)
    ytt = ys.copy()
    ytt.imag += 0.5 * ba
    out = [np.zeros(nbr, dtype=complex) for _ in range(4)]
    ta, sa = tap[a], shift_rad[a]
    out[3][a] = ytt
    if (ta == 1.0).all() and (sa == 0.0).all():
        out[0][a] = ytt
        out[1][a] = out[2][a] = -ys
    else:
        t = ta * np.exp(1j * sa)
        out[0][a] = ytt / (ta * ta)
        out[1][a] = -ys / np.conj(t)
        out[2][a] = -ys / t
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
