"""The three-phase fixed point as one compiled loop over scenario rows (numba).

Each scenario row is iterated to its own stop with everything it needs in a few vectors of
the unknowns' length (cache-resident even on IEEE 8500), instead of (S, n) arrays swept
once per numpy call: a time series solves many small batches, where numpy's per-call cost
dominated, and big batches whose arrays did not fit in cache. The mathematics is
:mod:`._solve`'s (its module doc and :func:`._solve.fixed_point`):

* element voltages ``A_u x + A_s v_s`` through the incidence (CSR), element currents
  ``-conj(S(|v|)) v / |v|^2`` with the constant P/I/Z parts and the :class:`._loads.Exponents`
  and :class:`._loads.Band` laws (:func:`_band_power`), scaled per row, the loads' admittance the
  factor holds moved back (``+ y_load v``), injected through ``A_u^T``;
* ``Y_LL^-1`` through SuperLU's factors ``Pr Y Pc = L U`` (CSC, extracted once per factor):
  scatter by ``perm_r``, forward with the unit lower ``L``, backward with ``U``, gather by
  ``perm_c``;
* the Woodbury correction for per-row blocks ``E D_s E^T`` without the dense ``Y^-1 E``:
  ``x = U^-1 (L^-1 Pr (b - E w))`` with ``w = K_s E^T Y^-1 b``. ``E^T Y^-1 b`` needs only the
  backward solve's values on the bus phases the touched ones depend on (the closure of
  ``perm_c[pu]`` under ``U``'s rows: the paths to the root on a tree), and ``L^-1 Pr E`` is
  sparse (also paths to the root), so a row with blocks costs one solve plus small change;
* Anderson acceleration of depth ``depth`` on the row's own history (real least squares
  over the real and imaginary parts, Gram matrix updated by one row and column per step),
  the power-mismatch stop ``max |x (r - i(x))| <= tol`` and the divergence stop (a
  non-finite mismatch).

Compiled with ``cache=True`` (the machine code is kept beside this module) and
``error_model="numpy"`` (a division by zero gives inf/nan, which the divergence stop
catches, instead of raising). Imported lazily by :func:`._solve.fixed_point`: ``import
gat_pf`` does not import numba.
"""

from __future__ import annotations

import numba
import numpy as np

_JIT = {"cache": True, "error_model": "numpy", "nogil": True}


@numba.njit(**_JIT)
def _band_power(s, m, v_min, v_max, v_low, y_rated, s_min, s_max):
    """Power at ``m = |V| / V_nom`` of an element with a band (:class:`._loads.Band`, one
    element's scalars): ``s`` inside the band, the band's impedance rules outside it.
    Scalars only: arrays passed to a compiled call are reference-counted at every call."""
    if m > v_max:
        return s_max / (v_max * v_max) * (m * m)
    if m > v_min:
        return s
    if m <= v_low:
        return y_rated * (m * m)
    c_lo = y_rated * v_low
    slope = (s_min / v_min - c_lo) / (v_min - v_low)
    return (c_lo + slope * (m - v_low)) * m


@numba.njit(**_JIT)
def element_currents_rows(ve, scale, loads):
    """Injected element currents (S, E) (minus the currents drawn) at element voltages
    ``ve`` (S, E); ``scale`` (S, E) or (0, 0) for none; ``loads`` the tuple of
    :func:`._solve._law_arrays` (without the incidence). Zero voltage: no current."""
    s_p, s_i, s_z, v_nom, ex_pos, ex_p, ex_q, ex_a, ex_b, bd = loads
    bd_pos, b_lo, b_hi, b_low, b_y, b_smin, b_smax = bd
    n_s, n_e = ve.shape
    out = np.empty((n_s, n_e), dtype=np.complex128)
    for r in range(n_s):
        for e in range(n_e):
            v = ve[r, e]
            mag2 = v.real * v.real + v.imag * v.imag
            if mag2 > 0.0:
                m = np.sqrt(mag2) / v_nom[e]
                s = s_p[e] + (s_z[e] * m + s_i[e]) * m
                q = ex_pos[e]
                if q >= 0:
                    s = complex(ex_p[q] * m ** ex_a[q], ex_q[q] * m ** ex_b[q])
                q = bd_pos[e]
                if q >= 0:
                    s = _band_power(s, m, b_lo[q], b_hi[q], b_low[q], b_y[q], b_smin[q], b_smax[q])
                if scale.shape[0]:
                    s = s * scale[r if scale.shape[0] > 1 else 0, e]
                out[r, e] = (s.conjugate() * v) * (-1.0 / mag2)
            else:
                out[r, e] = 0.0
    return out


@numba.njit(**_JIT)
def _inject(x, row, inj, ve_s, inc, loads, scale, y_load):
    """``inj = A_u^T i(A_u x + ve_s)`` for one row: element voltages, currents (scaled by
    ``scale[row]``, ``+ y_load v``), scattered into the unknowns."""
    ip, ii, iv = inc
    s_p, s_i, s_z, v_nom, ex_pos, ex_p, ex_q, ex_a, ex_b, bd = loads
    bd_pos, b_lo, b_hi, b_low, b_y, b_smin, b_smax = bd
    inj[:] = 0.0
    has_scale = scale.shape[0] > 0
    srow = row if scale.shape[0] > 1 else 0
    has_y = y_load.shape[0] > 0
    for e in range(ve_s.shape[0]):
        v = ve_s[e]
        for k in range(ip[e], ip[e + 1]):
            v += iv[k] * x[ii[k]]
        mag2 = v.real * v.real + v.imag * v.imag
        cur = 0j
        if mag2 > 0.0:
            m = np.sqrt(mag2) / v_nom[e]
            s = s_p[e] + (s_z[e] * m + s_i[e]) * m
            q = ex_pos[e]
            if q >= 0:
                s = complex(ex_p[q] * m ** ex_a[q], ex_q[q] * m ** ex_b[q])
            q = bd_pos[e]
            if q >= 0:
                s = _band_power(s, m, b_lo[q], b_hi[q], b_low[q], b_y[q], b_smin[q], b_smax[q])
            if has_scale:
                s = s * scale[srow, e]
            cur = (s.conjugate() * v) * (-1.0 / mag2)
        if has_y:
            cur += y_load[e] * v
        for k in range(ip[e], ip[e + 1]):
            inj[ii[k]] += iv[k] * cur


@numba.njit(**_JIT)
def _forward(y, lp, li, lv):
    """``y <- L^-1 y`` for the unit lower triangular ``L`` (CSC, diagonal left out)."""
    for j in range(y.shape[0]):
        yj = y[j]
        for k in range(lp[j], lp[j + 1]):
            y[li[k]] -= lv[k] * yj


@numba.njit(**_JIT)
def _backward(y, up, ui, uv, ud_inv):
    """``y <- U^-1 y`` for the upper triangular ``U`` (CSC, strict part; ``ud_inv`` the
    reciprocal diagonal)."""
    for j in range(y.shape[0] - 1, -1, -1):
        yj = y[j] * ud_inv[j]
        y[j] = yj
        for k in range(up[j], up[j + 1]):
            y[ui[k]] -= uv[k] * yj


@numba.njit(**_JIT)
def _solve_row(b, x, y, wp, row, lu, wb):
    """``x = (Y + E D_row E^T)^-1 (b + E dc_row)`` (``wb`` empty: ``x = Y^-1 b``); ``y``,
    ``wp`` scratch of the unknowns' length; ``b`` is not changed."""
    lp, li, lv, up, ui, uv, ud_inv, pr, pc = lu
    pu, kidx, kmat, dc, zp, zi, zv, cl, cp, ci, cv = wb
    n = b.shape[0]
    for j in range(n):
        y[pr[j]] = b[j]
    p = pu.shape[0]
    if p:
        for t in range(p):
            y[pr[pu[t]]] += dc[kidx[row], t]
    _forward(y, lp, li, lv)
    if p:
        # the backward solve's values on the closure of perm_c[pu] only (rows descending)
        for a in range(cl.shape[0]):
            i = cl[a]
            s = y[i]
            for k in range(cp[a], cp[a + 1]):
                s -= cv[k] * wp[ci[k]]
            wp[i] = s * ud_inv[i]
        kk = kmat[kidx[row]]
        for t in range(p):
            w = 0j
            for u in range(p):
                w += kk[t, u] * wp[pc[pu[u]]]
            for k in range(zp[t], zp[t + 1]):
                y[zi[k]] -= zv[k] * w
    _backward(y, up, ui, uv, ud_inv)
    for i in range(n):
        x[i] = y[pc[i]]


@numba.njit(**_JIT)
def _small_solve(a, b, m):
    """Solve ``a[:m, :m] z = b[:m]`` in place (Gaussian elimination with partial
    pivoting; ``b`` holds ``z`` on return, ``a`` is overwritten)."""
    for k in range(m):
        piv = k
        big = abs(a[k, k])
        for i in range(k + 1, m):
            if abs(a[i, k]) > big:
                big, piv = abs(a[i, k]), i
        if piv != k:
            for j in range(m):
                a[k, j], a[piv, j] = a[piv, j], a[k, j]
            b[k], b[piv] = b[piv], b[k]
        for i in range(k + 1, m):
            f = a[i, k] / a[k, k]
            for j in range(k + 1, m):
                a[i, j] -= f * a[k, j]
            b[i] -= f * b[k]
    for k in range(m - 1, -1, -1):
        s = b[k]
        for j in range(k + 1, m):
            s -= a[k, j] * b[j]
        b[k] = s / a[k, k]


@numba.njit(**_JIT)
def solve_rows(
    lu, wb, inc, loads, ve_s, c, scale, y_load, x0, start, tol, max_iter, depth, v_out, its, mis
):
    """Iterate every scenario row to its own stop.

    Parameters
    ----------
    lu, wb, inc, loads
        Factor, Woodbury, incidence and load-law arrays (tuples built by
        :func:`._solve._factor_arrays`, :func:`._solve._woodbury_arrays`,
        :func:`._solve._law_arrays`).
    ve_s
        Element voltages from the slack phases (E,), complex pu.
    c
        Constant right-hand side ``-Y_LS v_s`` (n,), complex pu.
    scale
        Per-element load factors (S, E), float or complex, or (0, 0) for none.
    y_load
        Admittance the factor holds per element (E,), or (0,) for none.
    x0, start
        ``start`` True: start voltages of the unknowns, (S, n) or (1, n) for one shared by
        every row; False: every row starts from ``(Y + dY_row)^-1 c`` (x0 unused).
    tol, max_iter, depth
        Mismatch tolerance (pu of one phase's power base), iteration limit, Anderson depth.
    v_out, its, mis
        Outputs: voltages of the unknowns (S, n), iterations (S,) (``max_iter`` when the
        row did not meet ``tol``), last mismatch (S,) (inf or nan once diverged).
    """
    n = c.shape[0]
    n_s = v_out.shape[0]
    d = max(depth, 1)
    x = np.empty(n, np.complex128)
    g = np.empty(n, np.complex128)
    inj = np.empty(n, np.complex128)
    rhs = np.empty(n, np.complex128)
    r = np.empty(n, np.complex128)
    y = np.empty(n, np.complex128)
    wp = np.empty(n, np.complex128)
    last_f = np.empty(n, np.complex128)
    last_g = np.empty(n, np.complex128)
    last_i = np.empty(n, np.complex128)
    df = np.empty((d, n), np.complex128)
    dg = np.empty((d, n), np.complex128)
    dr = np.empty((d, n), np.complex128)
    gram = np.zeros((d, d))
    a = np.empty((d, d))
    gam = np.empty(d)
    gsum = np.empty(d)
    for row in range(n_s):
        if start:
            x[:] = x0[row if x0.shape[0] > 1 else 0]
        else:
            _solve_row(c, x, y, wp, row, lu, wb)
        _inject(x, row, inj, ve_s, inc, loads, scale, y_load)
        filled = 0
        slot = -1
        its[row] = max_iter
        mis[row] = np.inf
        for k in range(1, max_iter + 1):
            for i in range(n):
                rhs[i] = inj[i] + c[i]
            _solve_row(rhs, g, y, wp, row, lu, wb)
            if k > 1 and depth > 0:
                # push the new differences and, in the same pass, the Gram matrix's new
                # row and the least-squares right-hand side (inner products with the
                # kept residual differences)
                slot = (slot + 1) % depth
                filled = min(filled + 1, depth)
                for j in range(filled):
                    gsum[j] = 0.0
                    gam[j] = 0.0
                for i in range(n):
                    f = g[i] - x[i]
                    dfi = f - last_f[i]
                    df[slot, i] = dfi
                    last_f[i] = f
                    dg[slot, i] = g[i] - last_g[i]
                    last_g[i] = g[i]
                    dr[slot, i] = inj[i] - last_i[i]
                    last_i[i] = inj[i]
                    for j in range(filled):
                        dj = df[j, i]
                        gsum[j] += dj.real * dfi.real + dj.imag * dfi.imag
                        gam[j] += dj.real * f.real + dj.imag * f.imag
                for j in range(filled):
                    gram[slot, j] = gsum[j]
                    gram[j, slot] = gsum[j]
            else:
                for i in range(n):
                    last_f[i] = g[i] - x[i]
                    last_g[i] = g[i]
                    last_i[i] = inj[i]
            if filled:
                ridge = 0.0
                for j in range(filled):
                    ridge += gram[j, j]
                ridge = 1e-12 * ridge + 1e-300
                for j in range(filled):
                    for u in range(filled):
                        a[j, u] = gram[j, u]
                    a[j, j] += ridge
                _small_solve(a, gam, filled)
                for i in range(n):
                    xi = g[i]
                    ri = inj[i]
                    for j in range(filled):
                        xi -= gam[j] * dg[j, i]
                        ri -= gam[j] * dr[j, i]
                    x[i] = xi
                    r[i] = ri
            else:
                x[:] = g
                r[:] = inj
            _inject(x, row, inj, ve_s, inc, loads, scale, y_load)
            # largest |x (r - i(x))|, compared squared (no square root per unknown)
            worst = 0.0
            bad = False
            for i in range(n):
                d = (r[i] - inj[i]) * x[i]
                q = d.real * d.real + d.imag * d.imag
                if q > worst:
                    worst = q
                elif q != q:
                    bad = True
            worst = np.sqrt(worst)
            mis[row] = np.nan if bad else worst
            if worst <= tol and not bad:
                its[row] = k
                break
            if bad or not np.isfinite(worst):
                break
        v_out[row] = x


@numba.njit(**_JIT)
def touched_arrays(lu, ur_ptr, ur_idx, ur_val, pu):
    """The Woodbury arrays of the touched unknowns ``pu`` (:func:`_solve_row`): ``L^-1 Pr E``
    by rows (``zp``, ``zi``, ``zv``: column ``t`` is ``L^-1 e_{perm_r[pu_t]}``, nonzero on the
    path to the root only), the closure ``cl`` of ``perm_c[pu]`` under ``U``'s rows (strict
    upper ``U`` in CSR: ``ur_*``), descending, with those rows (``cp``, ``ci``, ``cv``), and
    ``G = E^T Y^-1 E`` (p, p) from the same pieces (a backward solve over the closure per
    column)."""
    lp, li, lv, _up, _ui, _uv, ud_inv, pr, pc = lu
    n, p = ud_inv.shape[0], pu.shape[0]
    zl = np.zeros((p, n), np.complex128)
    for t in range(p):
        zl[t, pr[pu[t]]] = 1.0
        _forward(zl[t], lp, li, lv)
    count = np.zeros(p + 1, np.int64)
    for t in range(p):
        for i in range(n):
            if zl[t, i] != 0:
                count[t + 1] += 1
    zp = np.cumsum(count)
    zi = np.empty(zp[p], np.int64)
    zv = np.empty(zp[p], np.complex128)
    k = 0
    for t in range(p):
        for i in range(n):
            if zl[t, i] != 0:
                zi[k] = i
                zv[k] = zl[t, i]
                k += 1
    seen = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    top = 0
    for t in range(p):
        j = pc[pu[t]]
        if not seen[j]:
            seen[j] = True
            stack[top] = j
            top += 1
    while top:
        top -= 1
        i = stack[top]
        for q in range(ur_ptr[i], ur_ptr[i + 1]):
            j = ur_idx[q]
            if not seen[j]:
                seen[j] = True
                stack[top] = j
                top += 1
    cl = np.flatnonzero(seen)[::-1].copy()
    cp = np.zeros(cl.shape[0] + 1, np.int64)
    for a in range(cl.shape[0]):
        cp[a + 1] = cp[a] + ur_ptr[cl[a] + 1] - ur_ptr[cl[a]]
    ci = np.empty(cp[-1], np.int64)
    cv = np.empty(cp[-1], np.complex128)
    for a in range(cl.shape[0]):
        i = cl[a]
        for q in range(ur_ptr[i + 1] - ur_ptr[i]):
            ci[cp[a] + q] = ur_idx[ur_ptr[i] + q]
            cv[cp[a] + q] = ur_val[ur_ptr[i] + q]
    g = np.zeros((p, p), np.complex128)
    wp = np.zeros(n, np.complex128)
    for t in range(p):
        for a in range(cl.shape[0]):
            i = cl[a]
            s = zl[t, i]
            for q in range(cp[a], cp[a + 1]):
                s -= cv[q] * wp[ci[q]]
            wp[i] = s * ud_inv[i]
        for u in range(p):
            g[u, t] = wp[pc[pu[u]]]
    return zp, zi, zv, cl, cp, ci, cv, g
