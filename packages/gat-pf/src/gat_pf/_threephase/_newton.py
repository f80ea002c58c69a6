"""Newton-Raphson on the current mismatch, in rectangular phase coordinates.

Solves ``F(v) = Y_LL v + Y_LS v_s - i(v) = 0`` for the unknown bus phases. The load
elements' currents depend on both ``v`` and ``conj(v)`` (constant power and current are not
analytic), so each step solves the real ``2n x 2n`` system of
``P dv + N conj(dv) = -F`` with ``P = Y_LL + A^T diag(a) A`` and ``N = A^T diag(b) A``
(``A`` the element incidence, ``a = dI/du``, ``b = dI/d conj(u)`` per element). The
Jacobian changes every step, so it is factorised every step: this is the fallback for the
scenarios the fixed point does not settle (heavy loading, grounded loads behind ungrounded
windings), one scenario at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._loads import adjust_power, element_currents, injections
from ._solve import determined

__all__ = ["newton_3ph"]


def _derivatives(loads: Any, ve: np.ndarray, scale: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """``dI/du`` and ``dI/d conj(u)`` of every element at element voltages ``ve`` (E,)."""
    mag = np.abs(ve)
    m = mag / loads.v_nom
    s = loads.s_p + loads.s_i * m + loads.s_z * m * m
    ds = loads.s_i + 2.0 * loads.s_z * m
    if loads.exps is not None or loads.band is not None:
        adjust_power(loads, m[None, :], s[None, :], ds[None, :])
    s_bar = np.conj(s)
    ds_bar = np.conj(ds) / loads.v_nom
    if scale is not None:
        s_bar = s_bar * scale
        ds_bar = ds_bar * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        a = ds_bar / (2.0 * mag)
        b = ds_bar * ve / (2.0 * mag * np.conj(ve)) - s_bar / np.conj(ve) ** 2
    a[~np.isfinite(a)] = 0.0
    b[~np.isfinite(b)] = 0.0
    return a, b


def newton_3ph(*args: Any, **kwargs: Any) -> tuple[np.ndarray, bool, int, float]:
    """Solve one scenario by Newton-Raphson (see :func:`_newton`); a diverging iterate
    ends as not converged, without floating-point warnings."""
    with np.errstate(all="ignore"):
        return _newton(*args, **kwargs)


def _newton(
    y: Any,
    loads: Any,
    unknown: np.ndarray,
    slack: np.ndarray,
    v0: np.ndarray,
    scale: np.ndarray | None,
    *,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, bool, int, float]:
    """Solve one scenario by Newton-Raphson from the start voltages ``v0`` (n_bp,).

    Returns
    -------
    (v, converged, iterations, mismatch)
        Bus-phase voltages (pu), whether the largest power mismatch (pu of ``base_mva / 3``)
        met ``tol``, the iterations done and that mismatch.
    """
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    n = len(unknown)
    y_csr = y.tocsr()
    y_ll = y_csr[unknown][:, unknown]
    y_row = y_csr[unknown]
    inc = loads.incidence.tocsc()[:, unknown]
    v = v0.astype(complex, copy=True)
    sc = None if scale is None else scale[None, :]
    mis = np.inf
    for k in range(max_iter + 1):
        cur, ve = element_currents(loads, v[None, :], sc)
        f = y_row @ v - injections(loads, cur)[0, unknown]
        mis = float(np.abs(v[unknown] * np.conj(f)).max()) if n else 0.0
        if not np.isfinite(mis):
            return v, False, k, mis
        if mis <= tol:
            return v, bool(determined(v)), k, mis
        if k == max_iter:
            break
        a, b = _derivatives(loads, ve[0], None if scale is None else scale)
        p = (y_ll + inc.T @ sp.diags(a) @ inc).tocsr()
        q = (inc.T @ sp.diags(b) @ inc).tocsr()
        jac = sp.bmat(
            [[p.real + q.real, -p.imag + q.imag], [p.imag + q.imag, p.real - q.real]]
        ).tocsc()
        try:
            step = spla.splu(jac, permc_spec="COLAMD").solve(np.concatenate([-f.real, -f.imag]))
        except RuntimeError:
            return v, False, k, mis
        v[unknown] += step[:n] + 1j * step[n:]
    return v, False, max_iter, mis
