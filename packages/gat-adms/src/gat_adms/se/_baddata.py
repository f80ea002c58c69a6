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
import scipy.sparse as sp
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
    model: SeModel,
    meas: MeasArrays,
    zero: np.ndarray,
    v: np.ndarray,
    *,
    states: bool = True,
    known: Covariance | None = None,
) -> Covariance:
    """Residual (and, with ``states``, state) covariance at voltages ``v`` (E,).

    The selected inverse of the reduced rectangular gain (:func:`selected_covariance`)
    when the zero injections' null-space basis exists; otherwise one SuperLU solve per
    measurement and per state (:func:`solved_covariance`). ``known``: a covariance of the
    same measurements at the same state whose residual part the solves reuse.
    """
    out = selected_covariance(model, meas, zero, v, states=states)
    if out is None:
        out = solved_covariance(model, meas, zero, v, states=states, known=known)
    return out


def selected_covariance(
    model: SeModel, meas: MeasArrays, zero: np.ndarray, v: np.ndarray, *, states: bool = True
) -> Covariance | None:
    """:func:`covariance` from the selected inverse of the reduced rectangular gain.

    In rectangular coordinates the zero injections are the linear ``Y_Z V = 0``, so with
    the batch's null-space basis ``y = T t`` (:func:`gat_adms.se._rectops.null_basis`) the
    constrained covariance of ``y`` is ``T M^-1 T^T``, ``M = F^T W F``, ``F = H_y T``
    (symmetric positive definite: no constraint rows, no regularisation; the polar KKT
    matrix's regularised LDL^T gave variances 7 % off on IEEE 34). Then
    ``H E1 H^T = F M^-1 F^T`` (the measurement covariance does not depend on the
    coordinates) and the polar states' covariance is ``Q M^-1 Q^T`` with
    ``Q = (dx_polar / dy) T``. Every pair of columns of a row of ``F`` is a nonzero of
    ``M``, so Takahashi's recursion on ``M``'s LDL^T (:mod:`gat_adms.se._selinv`) gives
    ``diag(F M^-1 F^T)`` without a solve; rows of ``Q`` with a pair off that pattern (states
    of eliminated terminals whose boundary terminals share no measurement) are solved.
    None when the basis is not available (the caller then solves the KKT matrix).
    """
    from ._pattern import pattern_for
    from ._rect import SpdFactor, _polar_of_rect
    from ._rectops import null_basis
    from ._selinv import entries, takahashi

    basis = null_basis(model, zero)
    if basis is None:
        return None
    h, _ = pattern_for(model, meas, zero).fill(v)
    jpr = _polar_of_rect(model, v)
    f_mat = (h @ jpr @ basis.t).tocsr()
    weight = 1.0 / meas.sigma**2
    spd = SpdFactor(f_mat.T @ sp.diags(weight) @ f_mat)
    l_fac, piv, perm = spd.ldl.factors()
    sel = takahashi(l_fac, piv)
    pinv = np.empty(len(perm), dtype=np.int64)
    pinv[np.asarray(perm, dtype=np.int64)] = np.arange(len(perm))
    d = spd.d

    def quad(mat: sp.csr_matrix) -> np.ndarray:
        """diag(mat M^-1 mat^T) from the selected inverse (NaN: a pair off the pattern)."""
        row, c1, c2, val = _row_pairs(mat)
        z = entries(sel, pinv[c1], pinv[c2]) * d[c1] * d[c2]
        return (
            np.bincount(row, weights=val * z, minlength=mat.shape[0])
            if len(row)
            else (np.zeros(mat.shape[0]))
        )

    hehT = quad(f_mat)
    miss = np.flatnonzero(~np.isfinite(hehT))
    if len(miss):
        hehT[miss] = _solved_quad(spd, f_mat[miss])
    r_var = meas.sigma**2
    omega = np.maximum(r_var - hehT, 0.0)
    state_var = np.full(model.n_state, np.nan)
    if states:
        q_mat = (jpr @ basis.t).tocsr()
        state_var = quad(q_mat)
        miss = np.flatnonzero(~np.isfinite(state_var))
        if len(miss):
            state_var[miss] = _solved_quad(spd, q_mat[miss])
        state_var = np.maximum(state_var, 0.0)
    return Covariance(state_var=state_var, omega=omega, critical=omega < CRITICAL_SHARE * r_var)


def _row_pairs(mat: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (a <= b) of nonzeros in each row of ``mat``: row, columns and the product
    of the values (twice for a < b, so the sum over pairs is the quadratic form)."""
    mat = sp.csr_matrix(mat)
    mat.sort_indices()
    indptr = mat.indptr.astype(np.int64)
    lens = np.diff(indptr)
    row_of = np.repeat(np.arange(len(lens)), lens)
    nnz = len(row_of)
    rep = lens[row_of]
    e1 = np.repeat(np.arange(nnz), rep)
    start = np.cumsum(rep) - rep
    e2 = indptr[row_of[e1]] + (np.arange(len(e1)) - np.repeat(start, rep))
    up = e1 <= e2
    e1, e2 = e1[up], e2[up]
    cols = mat.indices.astype(np.int64)
    val = mat.data[e1] * mat.data[e2] * np.where(e1 == e2, 1.0, 2.0)
    return row_of[e1], cols[e1], cols[e2], val


def _solved_quad(spd: object, rows: sp.csr_matrix) -> np.ndarray:
    """diag(rows M^-1 rows^T) by solves (blocks of ``BLOCK`` right-hand sides)."""
    out = np.empty(rows.shape[0])
    for a in range(0, rows.shape[0], BLOCK):
        b = min(a + BLOCK, rows.shape[0])
        blk = rows[a:b].toarray().T
        sol = spd.solve(blk)  # type: ignore[attr-defined]
        out[a:b] = np.einsum("nk,nk->k", blk, sol)
    return out


def solved_covariance(
    model: SeModel,
    meas: MeasArrays,
    zero: np.ndarray,
    v: np.ndarray,
    *,
    states: bool = True,
    known: Covariance | None = None,
) -> Covariance:
    """:func:`covariance` by SuperLU solves of the KKT matrix, one right-hand side per
    measurement (unless ``known`` gives them) and per state (blocks of ``BLOCK``)."""
    mat, h, _, _ = kkt(model, meas, zero, v)
    lu = factor(mat)
    n = model.n_state
    n_k = mat.shape[0]
    m = h.shape[0]
    if known is not None and len(known.omega) == m:
        omega, critical = known.omega, known.critical
    else:
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
