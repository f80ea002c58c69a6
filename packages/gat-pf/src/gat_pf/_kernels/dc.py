"""DC (linearised) power flow: flat voltage magnitudes, lossless branches, small angles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DcResult", "branch_susceptance", "dc_power_flow"]


@dataclass(frozen=True, eq=False)
class DcResult:
    """Bus angles ``theta`` (S x n_bus, rad) and bus net injections ``p`` (S x n_bus, pu)."""

    theta: np.ndarray
    p: np.ndarray
    residual: np.ndarray


def branch_susceptance(x: np.ndarray, tap: np.ndarray) -> np.ndarray:
    """DC branch susceptance ``1 / (x tap)`` (pu)."""
    return 1.0 / (x * tap)


def dc_power_flow(
    n_bus: int,
    f: np.ndarray,
    t: np.ndarray,
    bdc: np.ndarray,
    shift_rad: np.ndarray,
    g_shunt: np.ndarray,
    slack: np.ndarray,
    p_inj: np.ndarray,
) -> DcResult:
    """Solve ``B theta = P`` for S injection vectors at once.

    Parameters
    ----------
    n_bus
        Number of buses.
    f, t
        Bus index of each active branch end.
    bdc
        DC susceptance of each active branch (pu), from :func:`branch_susceptance`.
    shift_rad
        Phase shift of each active branch (rad); the flow is ``bdc (theta_f - theta_t - shift)``.
    g_shunt
        Shunt conductance per bus (pu; consumes ``g`` at 1 pu).
    slack
        Slack buses (angle 0); they take up the balance.
    p_inj
        Specified net active injections (S, n_bus) (pu, generation positive).

    Returns
    -------
    DcResult
        Angles, the bus injections with slack values filled in, and the largest residual of
        ``B theta - P`` at non-slack buses per scenario.
    """
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    rows = np.concatenate([f, f, t, t])
    cols = np.concatenate([f, t, f, t])
    data = np.concatenate([bdc, -bdc, -bdc, bdc])
    bbus = sp.coo_matrix((data, (rows, cols)), shape=(n_bus, n_bus)).tocsr()
    p_shift = np.bincount(f, weights=-bdc * shift_rad, minlength=n_bus) + np.bincount(
        t, weights=bdc * shift_rad, minlength=n_bus
    )
    ns = np.setdiff1d(np.arange(n_bus), slack)
    rhs = p_inj - g_shunt[None, :] - p_shift[None, :]
    theta = np.zeros_like(rhs)
    if len(ns):
        b_nn = bbus[ns][:, ns].tocsc()
        lu = spla.splu(b_nn, permc_spec="MMD_AT_PLUS_A")
        theta[:, ns] = lu.solve(np.asfortranarray(rhs[:, ns].T)).T
    p_calc = (bbus @ theta.T).T + p_shift[None, :] + g_shunt[None, :]
    resid = np.abs(p_calc - p_inj)[:, ns].max(axis=1, initial=0.0)
    p = p_inj.copy()
    p[:, slack] = p_calc[:, slack]
    return DcResult(theta=theta, p=p, residual=resid)
