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
    rhs = np.zeros((n_k, h.shape[0]))
    rhs[:n] = h.T.toarray()
    e1_ht = lu.solve(rhs)[:n]
    hehT = np.asarray(h.multiply(e1_ht.T).sum(axis=1)).ravel()
    r_var = meas.sigma**2
    omega = np.maximum(r_var - hehT, 0.0)
    critical = omega < CRITICAL_SHARE * r_var
    state_var = np.full(n, np.nan)
    if states:
        eye = np.zeros((n_k, n))
        eye[np.arange(n), np.arange(n)] = 1.0
        state_var = np.maximum(np.diag(lu.solve(eye)[:n]), 0.0)
    return Covariance(state_var=state_var, omega=omega, critical=critical)


def chi2_threshold(dof: int, alpha: float) -> float:
    """The ``1 - alpha`` quantile of chi-square with ``dof`` degrees of freedom (NaN if 0)."""
    if dof <= 0:
        return float("nan")
    return float(chi2.ppf(1.0 - alpha, dof))
