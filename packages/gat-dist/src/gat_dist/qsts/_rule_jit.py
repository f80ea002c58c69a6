"""The control recurrence of predict-and-verify stepping, compiled (numba).

:func:`plan_window` runs the static regulator rule over the steps of a window, step after
step, on control voltages that are solved or predicted (the rules of :mod:`._predict`'s
module docstring and of :class:`._certain.Predictor`), and returns the per-step plan and the
(step, taps) pairs to solve. It is the same recurrence as the interpreted one it replaced:
per control round a handful of scalar operations per regulator, some 35,000 rounds a year on
IEEE 123, where the interpreter's per-call cost was most of the time. The sums of the
predictor's tap term (``(J + level J1) @ d_taps``) run in index order here, so a predicted
voltage may differ from numpy's in the last bit; predictions only decide which rounds need
a solve (a move is taken from a prediction only when its error bound cannot change it), so
the taps and rounds stay the sequential engine's.

This module imports numba: import it only where the recurrence runs (``import gat_dist``
stays free of it).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._certain import SAFETY

__all__ = ["CROSS", "SAME", "SOLVED", "arrays_of", "plan_window", "rule_certain", "rule_moves"]

#: Kinds of control voltages a round used (the values of :mod:`._predict`).
SOLVED, SAME, CROSS = 0, 1, 2


@numba.njit(cache=True)
def _move(auto, v_set, half, step, mtc, lo, hi, v_c, tap):  # type: ignore[no-untyped-def]
    """One regulator's move (tap steps) at control voltage ``v_c`` (V) and tap ``tap``:
    :meth:`._certain.Rule.moves` per regulator."""
    dev = v_set - v_c
    if not (auto and math.isfinite(dev) and abs(dev) > half):
        return 0
    if not (math.isfinite(step) and step != 0.0):
        return 0
    q = dev / step
    if not math.isfinite(q):
        return 0
    m = np.rint(q)  # half to even, as Python's round
    if m == 0.0:
        m = 1.0 if dev > 0 else -1.0
    m = min(max(m, -float(mtc)), float(mtc))
    return min(max(tap + int(m), lo), hi) - tap


@numba.njit(cache=True)
def rule_moves(rule_f, rule_i, v_c, taps, out):  # type: ignore[no-untyped-def]
    """Tap moves of every regulator into ``out`` (the rule of :func:`._regcontrol.tap_moves`)."""
    for r in range(len(taps)):
        auto = rule_i[r, 0] != 0
        v_set, half = rule_f[r, 0], rule_f[r, 1]
        if not auto or abs(v_set - v_c[r]) <= half:
            out[r] = 0
        else:
            mtc, lo, hi = rule_i[r, 1], rule_i[r, 2], rule_i[r, 3]
            out[r] = _move(auto, v_set, half, rule_f[r, 2], mtc, lo, hi, v_c[r], taps[r])


@numba.njit(cache=True)
def rule_certain(rule_f, rule_i, v_c, bound, taps, out):  # type: ignore[no-untyped-def]
    """True (moves in ``out``) when every control voltage within ``bound`` of ``v_c`` gives
    the same moves (:func:`._certain.certain_moves`)."""
    for r in range(len(taps)):
        v, b = v_c[r], bound[r]
        if not (math.isfinite(v) and math.isfinite(b)):
            return False
        auto = rule_i[r, 0] != 0
        v_set, half, step = rule_f[r, 0], rule_f[r, 1], rule_f[r, 2]
        if not auto or (
            abs(v_set - v) <= half and abs(v_set - (v - b)) <= half and abs(v_set - (v + b)) <= half
        ):
            out[r] = 0
            continue
        mtc, lo, hi, t = rule_i[r, 1], rule_i[r, 2], rule_i[r, 3], taps[r]
        m = _move(auto, v_set, half, step, mtc, lo, hi, v, t)
        if _move(auto, v_set, half, step, mtc, lo, hi, v - b, t) != m:
            return False
        if _move(auto, v_set, half, step, mtc, lo, hi, v + b, t) != m:
            return False
        out[r] = m
    return True


@numba.njit(cache=True)
def _tap_change(j, j1, d_taps, level, out):  # type: ignore[no-untyped-def]
    """``out = (J + level J1) @ d_taps`` (V): :meth:`._certain.Predictor.tap_change`."""
    n = len(d_taps)
    for r in range(n):
        s = 0.0
        for c in range(n):
            s += (j[r, c] + level * j1[r, c]) * d_taps[c]
        out[r] = s


@numba.njit(cache=True)
def _load_change(per_load, l1, a, b, out):  # type: ignore[no-untyped-def]
    """:meth:`._certain.Predictor.load_change` into ``out``."""
    for r in range(len(per_load)):
        out[r] = per_load[r] * (b - a) + l1[r] * (0.5 * (b * b - a * a))


@numba.njit(cache=True)
def _find(p_taps, lo, hi, tp):  # type: ignore[no-untyped-def]
    """Index of the pair among ``lo:hi`` whose taps are ``tp``, else -1."""
    for p in range(lo, hi):
        same = True
        for r in range(len(tp)):
            if p_taps[p, r] != tp[r]:
                same = False
                break
        if same:
            return p
    return -1


@numba.njit(cache=True)
def _oracle(k, tp, k_lo, data, v_out, b_out):  # type: ignore[no-untyped-def]
    """Control voltage (V) of the rounds at step ``k`` and taps ``tp`` into ``v_out``;
    returns ``(ok, kind, has_bound)`` with the bound in ``b_out``. The rules of the
    interpreted oracle: the solved pair; else from the nearest solved taps of the step
    (same step) and/or from the step before at the same taps moved by the load change
    (across), both bounded when their rates are known; else from the last accepted step."""
    p_ptr, p_taps, p_vc, p_ok, level, chg = data[:6]
    anchor_f, anchor_taps, anchor_i, pred_m, pred_v, rates, flags = data[6:]
    n_r = len(tp)
    i = k - k_lo
    got = _find(p_taps, p_ptr[i], p_ptr[i + 1], tp)
    if got >= 0:
        v_out[:] = p_vc[got]
        return p_ok[got], SOLVED, False
    j, j1, per_load, l1, floor = pred_m[0], pred_m[1], pred_v[0], pred_v[1], pred_v[2]
    rate, cross_rate = rates[0], rates[1]
    has_rate, has_cross = flags[0], flags[1]
    lv = level[k]
    tmp = np.empty(n_r)
    p2 = np.empty(n_r)
    b2 = np.empty(n_r)
    has_p2, has_b2 = False, False
    if k > 0:
        before = -1  # pair index, -2 the anchor, -1 none
        q = _find(p_taps, p_ptr[i - 1], p_ptr[i], tp) if i >= 1 else -1
        if q >= 0:
            before = q if p_ok[q] else -1
        elif anchor_i[0] and anchor_i[1] == k - 1:
            same = True
            for r in range(n_r):
                if anchor_taps[r] != tp[r]:
                    same = False
            if same:
                before = -2
        if before != -1 and math.isfinite(chg[k]):
            _load_change(per_load, l1, level[k - 1], lv, tmp)
            for r in range(n_r):
                src = anchor_f[0, r] if before == -2 else p_vc[before, r]
                p2[r] = src + tmp[r]
            has_p2 = True
            if chg[k] == 0:
                b2[:] = floor  # the same loads and injections: the same power flow
                has_b2 = True
            elif has_cross:
                for r in range(n_r):
                    b2[r] = SAFETY * cross_rate[r] * chg[k] + floor[r]
                has_b2 = True
    n_here = p_ptr[i + 1] - p_ptr[i]
    if n_here == 0:
        if has_p2:
            v_out[:] = p2
            b_out[:] = b2
            return True, CROSS, has_b2
        if not anchor_i[0]:  # nothing solved to predict from
            v_out[:] = np.nan
            return True, CROSS, False
        d = np.empty(n_r)
        for r in range(n_r):
            d[r] = float(tp[r] - anchor_taps[r])
        _tap_change(j, j1, d, lv, tmp)
        a_level = anchor_f[1, 0]
        for r in range(n_r):
            v_out[r] = anchor_f[0, r] + tmp[r]
        _load_change(per_load, l1, a_level, lv, tmp)
        for r in range(n_r):
            v_out[r] = v_out[r] + tmp[r]
        return True, CROSS, False
    # The nearest solved taps of this step (the first of equal distance).
    best, best_d = p_ptr[i], -1
    for p in range(p_ptr[i], p_ptr[i + 1]):
        dist = 0
        for r in range(n_r):
            dist += abs(p_taps[p, r] - tp[r])
        if best_d < 0 or dist < best_d:
            best, best_d = p, dist
    ok = p_ok[best]
    d = np.empty(n_r)
    for r in range(n_r):
        d[r] = float(tp[r] - p_taps[best, r])
    _tap_change(j, j1, d, lv, tmp)
    p1 = np.empty(n_r)
    for r in range(n_r):
        p1[r] = p_vc[best, r] + tmp[r]
    b1 = np.empty(n_r)
    if has_rate:
        for r in range(n_r):
            b1[r] = SAFETY * rate[r] * max(1, best_d) + floor[r]
    if not has_b2:
        v_out[:] = p1
        b_out[:] = b1
        return ok, SAME, has_rate
    if not has_rate:
        v_out[:] = p2
        b_out[:] = b2
        return ok, SAME, True
    # Both hold: the control voltage lies in both intervals.
    for r in range(n_r):
        lo = max(p1[r] - b1[r], p2[r] - b2[r])
        hi = min(p1[r] + b1[r], p2[r] + b2[r])
        if hi < lo:
            v_out[:] = p1  # the bounds disagree: trust neither
            return ok, SAME, False
        v_out[r] = 0.5 * (lo + hi)
        b_out[r] = 0.5 * (hi - lo)
    return ok, SAME, True


@numba.njit(cache=True)
def _round(k, cur, calls, k_lo, data, rule, move):  # type: ignore[no-untyped-def]
    """One control round at taps ``cur``: its moves into ``move``, the call recorded as
    number ``n_call``; returns whether its power flow converged (or is predicted)."""
    n_call, c_taps, c_kind, c_sure = calls
    rule_f, rule_i = rule
    n_r = len(cur)
    v_c = np.empty(n_r)
    bound = np.empty(n_r)
    ok, kind, has_bound = _oracle(k, cur, k_lo, data, v_c, bound)
    sure = kind == SOLVED
    certain = False
    if ok and has_bound:
        certain = rule_certain(rule_f, rule_i, v_c, bound, cur, move)
        sure = certain
    if not certain:
        rule_moves(rule_f, rule_i, v_c, cur, move)
    c_taps[n_call] = cur
    c_kind[n_call] = kind
    c_sure[n_call] = sure
    return ok


@numba.njit(cache=True)
def _plan_kernel(k0, n_steps, taps0, max_rounds, data, rule):  # type: ignore[no-untyped-def]
    """:func:`plan_window` on arrays (``data``: pairs, loads, anchor, predictor, rates;
    ``rule``: (R, 3) and (R, 4) settings)."""
    n_r = len(taps0)
    k_lo = k0 - 1
    n_calls = max(max_rounds, 2) + 1
    fin = np.empty((n_steps, n_r), dtype=np.int64)
    rounds = np.empty(n_steps, dtype=np.int64)
    settled = np.empty(n_steps, dtype=np.bool_)
    verified = np.empty(n_steps, dtype=np.bool_)
    miss_k = np.empty(n_steps * n_calls, dtype=np.int64)
    miss_taps = np.empty((n_steps * n_calls, n_r), dtype=np.int64)
    n_miss = 0
    c_taps = np.empty((n_calls, n_r), dtype=np.int64)
    c_kind = np.empty(n_calls, dtype=np.int64)
    c_sure = np.empty(n_calls, dtype=np.bool_)
    move = np.empty(n_r, dtype=np.int64)
    mtc = rule[1][:, 1]
    cur = taps0.copy()
    for s in range(n_steps):
        k = k0 + s
        # The sequential engine's static rule at step k (rounds to rest, moves within
        # max_tap_change of the step's start, a repeated state = hunting).
        start = cur.copy()
        n_call = 0
        ok = _round(k, start, (n_call, c_taps, c_kind, c_sure), k_lo, data, rule, move)
        n_call = 1
        final, n_rounds, rest = start, 1, True
        if ok and (move != 0).any():
            new = np.minimum(np.maximum(start + move, start - mtc), start + mtc)
            if (new != start).any():
                now, n_rounds = new, 2
                while True:
                    calls = (n_call, c_taps, c_kind, c_sure)
                    ok = _round(k, now, calls, k_lo, data, rule, move)
                    n_call += 1
                    nxt = np.minimum(np.maximum(now + move, start - mtc), start + mtc)
                    if (nxt != now).any() and ok:
                        seen = False
                        for c in range(n_call):
                            if (c_taps[c] == nxt).all():
                                seen = True
                                break
                        if not seen and n_rounds < max_rounds:
                            now, n_rounds = nxt, n_rounds + 1
                            continue
                        final, rest = now, False
                        break
                    final = now
                    break
        fin[s] = final
        rounds[s] = n_rounds
        settled[s] = rest
        # Verified: the last round solved, every earlier one solved or certain. To solve:
        # the last round, and earlier same-step predictions whose move is not certain.
        last = n_call - 1
        good = True
        for c in range(n_call):
            if c_kind[c] == SOLVED or (c_sure[c] and c < last):
                continue
            good = False
            if c == last or c_kind[c] == SAME:
                miss_k[n_miss] = k
                miss_taps[n_miss] = c_taps[c]
                n_miss += 1
        verified[s] = good
        cur = final
    return fin, rounds, settled, verified, miss_k[:n_miss], miss_taps[:n_miss]


def plan_window(  # type: ignore[no-untyped-def]
    k0, n_steps, taps, max_rounds, pairs, level, chg, anchor, pred, rates, rule
):
    """The recurrence over steps ``k0 .. k0 + n_steps - 1`` from taps ``taps``.

    Parameters
    ----------
    pairs
        ``(p_ptr, p_taps, p_vc, p_ok)``: the solved (step, taps) pairs of steps ``k0 - 1 ..
        k0 + n_steps - 1`` in the order they were solved, pairs of step ``k0 - 1 + i`` at
        ``p_ptr[i]:p_ptr[i + 1]``; taps (P, R), control voltages (P, R) V, converged (P,).
    level, chg
        (S,) load level and largest load change per step (:func:`._predict._changes`).
    anchor
        The last accepted step (:class:`._predict._Anchor`) or None.
    pred
        :class:`._certain.Predictor`.
    rates
        ``(rate, cross_rate)`` of the window, each (R,) or None.
    rule
        :class:`._certain.Rule`.

    Returns
    -------
    tuple
        ``fin`` (n, R) final taps, ``rounds`` (n,), ``settled`` (n,), ``verified`` (n,),
        and the pairs to solve: steps (M,) and taps (M, R).
    """
    n_r = len(taps)
    (anchor_f, anchor_taps, anchor_i), pred_m, pred_v = arrays_of(anchor, pred, n_r)
    rate, cross = rates
    rate_a = np.zeros((2, n_r))
    flags = np.zeros(2, dtype=np.bool_)
    if rate is not None:
        rate_a[0], flags[0] = rate, True
    if cross is not None:
        rate_a[1], flags[1] = cross, True
    p_ptr, p_taps, p_vc, p_ok = pairs
    data = (p_ptr, p_taps, p_vc, p_ok, level, chg)
    data += (anchor_f, anchor_taps, anchor_i, pred_m, pred_v, rate_a, flags)
    taps = np.ascontiguousarray(taps, dtype=np.int64)
    return _plan_kernel(int(k0), int(n_steps), taps, int(max_rounds), data, rule.arrays)


def arrays_of(anchor, pred, n_r):  # type: ignore[no-untyped-def]
    """The anchor (:class:`._predict._Anchor` or None) and the predictor's coefficients as
    arrays: ``((anchor_f (2, R): control voltages (V) and [level], anchor_taps (R,),
    anchor_i: [present, step]), pred_m (2, R, R): J, J1, pred_v (3, R): L, L1, floor)``."""
    anchor_f = np.zeros((2, n_r))
    anchor_taps = np.zeros(n_r, dtype=np.int64)
    anchor_i = np.zeros(2, dtype=np.int64)
    if anchor is not None:
        anchor_f[0] = anchor.v_c
        anchor_f[1, 0] = anchor.level
        anchor_taps[:] = anchor.taps
        anchor_i[:] = (1, anchor.step)
    pred_m = np.ascontiguousarray(np.stack([pred.j, pred.j1]), dtype=float)
    pred_v = np.ascontiguousarray(np.stack([pred.per_load, pred.l1, pred.floor]), dtype=float)
    return (anchor_f, anchor_taps, anchor_i), pred_m, pred_v
