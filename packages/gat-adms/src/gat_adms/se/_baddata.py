"""Bad data: residual covariance, normalised residuals, critical measurements, chi-square.

At the estimate, with ``K`` the KKT matrix (:func:`gat_adms.se._wls.kkt`) and ``E1`` the
top-left (n, n) block of its inverse (the estimate's covariance, since ``E1 G E1 = E1``
under the constraints), the residual covariance is ``Omega = R - H E1 H^T``. Its
diagonal gives the normalised residuals ``|r_i| / sqrt(Omega_ii)``; a measurement with
``Omega_ii`` ~ 0 is critical (its residual is always 0: removing it loses observability).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from ._model import MeasArrays, SeModel
from ._wls import factor, kkt

__all__ = ["Covariance", "chi2_threshold", "covariance"]

#: Omega_ii below this share of sigma_i^2 marks a critical measurement.
CRITICAL_SHARE = 1e-7
#: Right-hand sides solved together (bounds the dense blocks to n_k x BLOCK).
BLOCK = 512


@dataclass(frozen=True, eq=False)
class Covariance:
    """``state_var`` (n,) variances of the states; ``omega`` (M,) residual variances
    (pu^2); ``critical`` (M,) bool."""

    state_var: np.ndarray
    omega: np.ndarray
    critical: np.ndarray

    def normalised(self, r: np.ndarray) -> np.ndarray:
        """(M,) ``|r| / sqrt(Omega_ii)``, NaN for critical measurements."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.abs(r) / np.sqrt(self.omega)
        return np.where(self.critical, np.nan, out)


def covariance(
    model: SeModel, meas: MeasArrays, zero: np.ndarray, v: np.ndarray, *, states: bool = True
) -> Covariance:
    """Residual (and, with ``states``, state) covariance at voltages ``v`` (E,)."""
    mat, h, _, _ = kkt(model, meas, zero, v)
    lu = factor(mat)
    n = model.n_state
    n_k = mat.shape[0]
    m = h.shape[0]
    ht = h.T.tocsc()
    hehT = np.empty(m)
    # Right-hand sides in blocks of BLOCK columns: the same solves, memory n_k x BLOCK
    # (all at once, IEEE 8500 three-phase needed ~16 GB).
    for a in range(0, m, BLOCK):
        b = min(a + BLOCK, m)
        rhs = np.zeros((n_k, b - a))
        rhs[:n] = ht[:, a:b].toarray()
        e1_ht = lu.solve(rhs)[:n]
        hehT[a:b] = np.asarray(h[a:b].multiply(e1_ht.T).sum(axis=1)).ravel()
    r_var = meas.sigma**2
    omega = np.maximum(r_var - hehT, 0.0)
    critical = omega < CRITICAL_SHARE * r_var
    state_var = np.full(n, np.nan)
    if states:
        for a in range(0, n, BLOCK):
            b = min(a + BLOCK, n)
            eye = np.zeros((n_k, b - a))
            eye[np.arange(a, b), np.arange(b - a)] = 1.0
            sol = lu.solve(eye)
            state_var[a:b] = np.maximum(sol[np.arange(a, b), np.arange(b - a)], 0.0)
    return Covariance(state_var=state_var, omega=omega, critical=critical)


def chi2_threshold(dof: int, alpha: float) -> float:
    """The ``1 - alpha`` quantile of chi-square with ``dof`` degrees of freedom (NaN if 0)."""
    if dof <= 0:
        return float("nan")
    return float(chi2.ppf(1.0 - alpha, dof))
