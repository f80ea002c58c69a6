"""Compiled bookkeeping of predict-and-verify over a batch of solved rows (numba).

:func:`batch_checks` finds, for every new solved row in order (earlier rows of the batch
count as solved), the predictor checks :func:`._predict._add` records: a same-step check
against the nearest solved taps of its step, and checks across one step against the pairs
of the step before and after at the same taps. :func:`start_sources` finds the solved pair
a new solve starts from (:func:`._predict._starts`). Both were per-row interpreted loops
over dicts; the rules are unchanged.

Imports numba: import it only where it runs.
"""

from __future__ import annotations

import numba
import numpy as np

from ._rule_jit import _find, _load_change, _tap_change

__all__ = ["batch_checks", "start_sources"]


@numba.njit(cache=True)
def _dist(a, b):  # type: ignore[no-untyped-def]
    d = 0
    for r in range(len(a)):
        d += abs(a[r] - b[r])
    return d


@numba.njit(cache=True)
def _nearest(k, tp, k_lo, p_ptr, p_taps, steps, taps, n_new):  # type: ignore[no-untyped-def]
    """``(source, index, distance)`` of the solved pair of step ``k`` nearest to ``tp``:
    source 0 = an earlier pair (index into ``p_*``), 1 = one of the first ``n_new`` rows of
    the batch; source -1 without any. The first of equal distance (solve order)."""
    src, idx, best = -1, -1, -1
    i = k - k_lo
    if 0 <= i < len(p_ptr) - 1:
        for p in range(p_ptr[i], p_ptr[i + 1]):
            d = _dist(p_taps[p], tp)
            if best < 0 or d < best:
                src, idx, best = 0, p, d
    for j in range(n_new):
        if steps[j] == k:
            d = _dist(taps[j], tp)
            if best < 0 or d < best:
                src, idx, best = 1, j, d
    return src, idx, best


@numba.njit(cache=True)
def _solved_at(k, tp, k_lo, pairs, steps, taps, v_c, ok, n_new, anchor, out):  # type: ignore[no-untyped-def]
    """Control voltages of the converged pair (step ``k``, taps ``tp``) into ``out``:
    an earlier pair, a row of the batch before ``n_new``, or the anchor; False without."""
    p_ptr, p_taps, p_vc, p_ok = pairs
    anchor_f, anchor_taps, anchor_i = anchor
    i = k - k_lo
    if 0 <= i < len(p_ptr) - 1:
        q = _find(p_taps, p_ptr[i], p_ptr[i + 1], tp)
        if q >= 0:
            out[:] = p_vc[q]
            return bool(p_ok[q])
    for j in range(n_new):
        if steps[j] == k and (taps[j] == tp).all():
            out[:] = v_c[j]
            return bool(ok[j])
    if anchor_i[0] and anchor_i[1] == k and (anchor_taps == tp).all():
        out[:] = anchor_f[0]
        return True
    return False


@numba.njit(cache=True)
def batch_checks(steps, taps, v_c, ok, k_lo, pairs, anchor, pred_m, pred_v, level, chg):  # type: ignore[no-untyped-def]
    """Predictor checks of new solved rows ``steps`` (n,), ``taps`` (n, R), ``v_c`` (n, R) V,
    ``ok`` (n,), against the earlier ``pairs`` (``(ptr, taps, v_c, ok)`` of steps ``k_lo``
    on, :meth:`._known.Known.pairs`) and the rows before each.

    Returns
    -------
    tuple
        Same-step checks: number, errors (V), distances (tap steps), tap changes, voltage
        changes (V), load levels; across one step: number, errors (V), load changes.
    """
    n, n_r = taps.shape
    p_ptr, p_taps, p_vc, p_ok = pairs
    j, j1, per_load, l1 = pred_m[0], pred_m[1], pred_v[0], pred_v[1]
    s_err = np.empty((n, n_r))
    s_dist = np.empty(n, dtype=np.int64)
    s_d = np.empty((n, n_r), dtype=np.int64)
    s_dv = np.empty((n, n_r))
    s_lv = np.empty(n)
    c_err = np.empty((2 * n, n_r))
    c_chg = np.empty(2 * n)
    n_s, n_c = 0, 0
    tmp = np.empty(n_r)
    d = np.empty(n_r)
    near = np.empty(n_r)
    for i in range(n):
        if not ok[i]:
            continue
        k = steps[i]
        src, idx, best = _nearest(k, taps[i], k_lo, p_ptr, p_taps, steps, taps, i)
        if src >= 0 and best > 0 and (p_ok[idx] if src == 0 else ok[idx]):
            lv = level[k]
            for r in range(n_r):
                other = p_taps[idx, r] if src == 0 else taps[idx, r]
                s_d[n_s, r] = taps[i, r] - other
                d[r] = float(taps[i, r] - other)
                v_o = p_vc[idx, r] if src == 0 else v_c[idx, r]
                s_dv[n_s, r] = v_c[i, r] - v_o
            _tap_change(j, j1, d, lv, tmp)
            for r in range(n_r):
                s_err[n_s, r] = s_dv[n_s, r] - tmp[r]
            s_dist[n_s], s_lv[n_s] = best, lv
            n_s += 1
        if k >= 1 and chg[k] > 0:
            if _solved_at(k - 1, taps[i], k_lo, pairs, steps, taps, v_c, ok, i, anchor, near):
                _load_change(per_load, l1, level[k - 1], level[k], tmp)
                for r in range(n_r):
                    c_err[n_c, r] = v_c[i, r] - near[r] - tmp[r]
                c_chg[n_c] = chg[k]
                n_c += 1
        if k + 1 < len(chg) and chg[k + 1] > 0:
            if _solved_at(k + 1, taps[i], k_lo, pairs, steps, taps, v_c, ok, i, anchor, near):
                _load_change(per_load, l1, level[k], level[k + 1], tmp)
                for r in range(n_r):
                    c_err[n_c, r] = near[r] - v_c[i, r] - tmp[r]
                c_chg[n_c] = chg[k + 1]
                n_c += 1
    return n_s, s_err, s_dist, s_d, s_dv, s_lv, n_c, c_err, c_chg


@numba.njit(cache=True)
def start_sources(ks, tps, k_lo, p_ptr, p_taps, look_back):  # type: ignore[no-untyped-def]
    """For each new solve (step ``ks[m]``, taps ``tps[m]``): the pair it starts from, the
    nearest solved taps of its step, else of a step at most ``look_back`` before it
    (index into ``p_*``, -1 without any)."""
    empty = np.zeros(0, dtype=np.int64)
    out = np.full(len(ks), -1, dtype=np.int64)
    for m in range(len(ks)):
        for k in range(ks[m], ks[m] - look_back - 1, -1):
            src, idx, _ = _nearest(k, tps[m], k_lo, p_ptr, p_taps, empty, tps, 0)
            if src == 0:
                out[m] = idx
                break
    return out
