"""Predict-and-verify stepping for static regulator control (no capacitor controls).

The sequential engine (:mod:`._engine`) solves a step again after every control round, so
a year in which the regulators act at 40 % of the hours costs thousands of small solves.
Here the static control rule of every step of a window (:func:`_settle`, the engine's
rule: rounds until rest, moves bounded by ``max_tap_change`` of the step's start, a
repeated state = hunting) runs as a cheap recurrence on control voltages that are
*predicted* wherever no power flow at that (step, taps) pair exists yet, by the linear
model of :class:`._certain.Predictor`: from the nearest solved taps of that step (a
*same-step* prediction), or (no solve of the step yet) from the last accepted step and the
load change. Every (step, taps) pair the recurrence needs solved is then solved in ONE
batch (per-row taps: one factorisation, :meth:`gat_pf.physics.PhysicsModel.solve`), and
the recurrence runs again from the first step that is not verified yet.

A step is verified when its last control round (the one that finds the controls at rest,
or hunting, at the step's final taps) used a solved power flow and every earlier round
either used a solved power flow or a prediction whose error bound cannot change the round's
tap move (:func:`._certain.certain_moves`): from a solved pair of the same step at other
taps, from the step before at the same taps, or both (the voltage then lies in both
intervals). Such a round is not solved (the sequential engine solves it; its move is the
same). So every accepted step takes the sequential engine's taps and rounds, and its
recorded voltages are a solved power flow at its final taps (to the solver tolerance). A step without any solved pair asks only for its
predicted final taps first; its earlier rounds are then predicted from that solve (same
step, a tap step or two away) and asked for only when that prediction is not certain.

A window is accepted once its steps are verified; after ``_MAX_PASSES`` passes its verified
prefix is accepted. The first window is solved at its starting taps first (nothing to
predict from). Windows double when accepted whole, else restart at twice the verified
length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gat_pf import Injection, Solution, regulator_control_v

from ._certain import Predictor, Rule
from ._known import Known
from ._record import take

__all__ = ["run_static"]

#: Re-solve rounds of one window before its verified prefix is accepted.
_MAX_PASSES = 6
#: Steps back a solved state to start a solve from is looked for within a window.
_LOOK_BACK = 4


def run_static(  # type: ignore[no-untyped-def]
    run, rec, terms, taps: np.ndarray, n_s: int, progress: Callable[[int, int], None] | None
) -> np.ndarray:
    """Step through all ``n_s`` steps (recording into ``rec``); returns the final taps."""
    model = run.phys
    st = run.st
    rule = Rule(st, run.mtc)
    max_rounds = run.opts.max_control_rounds
    t, w = 0, min(run.opts.batch_size, 24)
    last_v: np.ndarray | None = None
    sens, load_sens, lin = _sensitivity(run, taps)
    pred = Predictor(sens, load_sens, st.step_v)
    level = _load_level(run.load)
    chg = _changes(run)
    anchor: _Anchor | None = None
    while t < n_s:
        steps = np.arange(t, min(n_s, t + w))
        known = Known(len(taps))
        pred.refit()
        if anchor is None:
            # First window: solve every step at the starting taps to predict from.
            v0 = None if last_v is None else np.broadcast_to(last_v, (len(steps), len(last_v)))
            rows0 = np.broadcast_to(taps, (len(steps), len(taps)))
            _add(known, model, run.solve_rows(steps, rows0, v0), steps, pred, level, chg, anchor)
        # The error bound and the predictor hold for the window.
        passes, plan = 0, []
        rates = (pred.rate(), pred.cross_rate(), chg)
        while True:
            passes += 1
            # Steps verified in an earlier pass keep their plan (their voltages are solved).
            base = _verified(plan)
            cur = taps if base == 0 else plan[base - 1][1]
            more, missing = _plan(
                known, steps[base:], cur, rule, max_rounds, pred, anchor, level, rates
            )
            plan = plan[:base] + more
            if not missing or (passes >= _MAX_PASSES and _verified(plan) > 0):
                break
            ks = np.array([k for k, _ in missing], dtype=np.int64)
            rows = np.array([tp for _, tp in missing], dtype=np.int64)
            start = _starts(known, ks, rows, last_v, model, lin, level, anchor)
            _add(known, model, run.solve_rows(ks, rows, start), ks, pred, level, chg, anchor)
        done = _verified(plan)
        kept = plan[:done]
        sol = _stack([known.entry(k, fin)[2:] for k, fin, *_ in kept])
        rec.keep(
            model,
            terms,
            sol,
            np.array([p[0] for p in kept], dtype=np.int64),
            np.stack([p[1] for p in kept]),
            run.caps.state0,
            np.array([p[2] for p in kept], dtype=np.int64),
            np.array([p[3] for p in kept], dtype=bool),
        )
        _load_pairs(pred, known, kept, anchor, level)
        taps = kept[-1][1]
        if sol.converged[-1]:
            last_v = sol.v[-1]
            k_last = kept[-1][0]
            v_last = known.entry(k_last, taps)[0]
            anchor = _Anchor(v_last, taps.copy(), level[k_last], k_last)
        t = kept[-1][0] + 1
        w = min(run.opts.batch_size, 2 * w) if done == len(steps) else max(4, 2 * done)
        if progress is not None:
            progress(t, n_s)
    return taps


@dataclass(frozen=True, eq=False)
class _Anchor:
    """The last accepted step: control voltages (V), taps, load level."""

    v_c: np.ndarray
    taps: np.ndarray
    level: float
    step: int = -1


def _load_pairs(pred: Predictor, known: Known, kept, anchor, level) -> None:  # type: ignore[no-untyped-def]
    """Consecutive accepted steps (from the anchor on) as load pairs of the predictor: each
    converged step and the converged step before it (the anchor before the first)."""
    got = [known.entry(k, fin)[:2] for k, fin, *_ in kept]
    v_c = np.stack([g[0] for g in got])
    ok = np.array([g[1] for g in got], dtype=bool)
    taps = np.stack([p[1] for p in kept])
    lv = level[np.array([p[0] for p in kept], dtype=np.int64)].astype(float)
    if anchor is not None:
        v_c = np.vstack([anchor.v_c[None, :], v_c])
        ok = np.concatenate([[True], ok])
        taps = np.vstack([anchor.taps[None, :], taps])
        lv = np.concatenate([[anchor.level], lv])
    pair = np.flatnonzero(ok[1:] & ok[:-1])
    if not len(pair):
        return
    a, b = lv[pair], lv[pair + 1]
    mid = 0.5 * (b + a)
    d_taps = (taps[pair + 1] - taps[pair]).astype(float)
    m = pred.j[None, :, :] + mid[:, None, None] * pred.j1[None, :, :]
    d_v = v_c[pair + 1] - v_c[pair] - np.einsum("nrc,nc->nr", m, d_taps)
    pred.add_load_pairs(a, b, d_v)


def _changes(run: Any) -> np.ndarray:
    """(S,) largest change of a node's load factor from step k - 1 to step k; NaN where
    the DER injections change too (and at step 0): no prediction from the step before."""
    load = run.load
    d = np.abs(np.diff(load, axis=0))
    d = d if d.ndim == 1 else d.max(axis=1, initial=0.0)
    out = np.concatenate([[np.nan], d])
    inj = run.injection
    if inj is not None:
        same = np.ones(len(out), dtype=bool)
        for a in (inj.p_mw, inj.q_mvar):
            a = np.asarray(a)
            if a.ndim == 2 and len(a) == len(out):
                same[1:] &= (a[1:] == a[:-1]).all(axis=1)
        out[~same] = np.nan
    return out


def _load_level(load: np.ndarray) -> np.ndarray:
    """(S,) one load factor per step (the mean over nodes of per-node factors)."""
    return load if load.ndim == 1 else load.mean(axis=1)


def _sensitivity(run: Any, taps: np.ndarray) -> tuple[np.ndarray, np.ndarray, _Linear]:
    """``(J, L, lin)``: (R, R) change of every regulator's control voltage per tap step of
    each regulator (V/step), (R,) per unit of load factor (V), and the same for every
    terminal voltage (:class:`_Linear`, start voltages of solves), from one batch at step 0:
    the taps, one tap step more on each regulator (one less at its upper limit), and the
    load 10 % lower. ``J`` falls back to each tap's own ``step_v``, ``L`` to 0, ``lin`` to
    no change."""
    st = run.st
    n_r = len(taps)
    delta = np.where(taps < st.tap_max, 1, -1).astype(np.int64)
    rows = np.repeat(taps[None, :], n_r + 2, axis=0)
    rows[np.arange(1, n_r + 1), np.arange(n_r)] += delta
    load = run.load[np.zeros(n_r + 2, dtype=np.int64)].copy()
    load[-1] *= 0.9
    sol = run.solve_rows(np.zeros(n_r + 2, dtype=np.int64), rows, load=load)
    v_c = regulator_control_v(run.phys, sol)
    sens = ((v_c[1 : n_r + 1] - v_c[0]) / delta[:, None]).T
    fallback = np.diag(np.nan_to_num(st.step_v))
    good = sol.converged[1 : n_r + 1][None, :] & sol.converged[0] & np.isfinite(sens)
    d_level = float(_load_level(load[:1])[0] - _load_level(load[-1:])[0])
    per_load = (v_c[0] - v_c[-1]) / d_level if d_level else np.zeros(n_r)
    ok = sol.converged[0] & sol.converged[-1] & np.isfinite(per_load)
    v = sol.v
    dv_tap = (v[1 : n_r + 1] - v[0]) / delta[:, None]
    dv_tap[~(sol.converged[1 : n_r + 1] & sol.converged[0]) | ~np.isfinite(dv_tap).all(axis=1)] = 0
    both = bool(sol.converged[0] and sol.converged[-1])
    dv_load = (v[0] - v[-1]) / d_level if d_level and both else np.zeros(v.shape[1], complex)
    if not np.isfinite(dv_load).all():
        dv_load = np.zeros(v.shape[1], complex)
    lin = _Linear(dv_tap, dv_load)
    return np.where(good, sens, fallback), np.where(ok, per_load, 0.0), lin


@dataclass(frozen=True, eq=False)
class _Linear:
    """Change of every terminal voltage (pu, complex) per tap step of each regulator
    ``dv_tap`` (R, T) and per unit of load factor ``dv_load`` (T,)."""

    dv_tap: np.ndarray
    dv_load: np.ndarray


def _starts(  # type: ignore[no-untyped-def]
    known: Known, ks: np.ndarray, tps: np.ndarray, last_v: Any, model: Any, lin, level, anchor
) -> np.ndarray:
    """(M, T) start voltages of solves at steps ``ks`` and taps ``tps`` (M, R): a solved
    state moved by the linear change to the taps and to the step's load. The solved state
    is the nearest solved taps of the step, else of a step at most ``_LOOK_BACK`` before it,
    else the last accepted step; without any, no-load (NaN rows start from the solver's
    no-load)."""
    from ._checks_jit import start_sources

    k_lo = int(ks.min()) - _LOOK_BACK
    p_ptr, p_taps, _, _, at = known.pairs(k_lo, int(ks.max()) + 1)
    src = start_sources(ks, tps, k_lo, p_ptr, p_taps, _LOOK_BACK)
    n_t = lin.dv_load.shape[0]  # terminals (model.term_label builds labels: not per call)
    has = src >= 0
    out = np.full((len(ks), n_t), np.nan, dtype=complex)
    d_taps = np.zeros(tps.shape, dtype=float)
    d_level = np.zeros(len(ks))
    if has.any():
        out[has] = known.voltages(at[src[has]], n_t)
        d_taps[has] = tps[has] - p_taps[src[has]]
        src_step = known.steps_of(at[src[has]])
        d_level[has] = level[ks[has]] - level[src_step]
    if not has.all() and last_v is not None:
        out[~has] = last_v
        if anchor is not None:
            d_taps[~has] = tps[~has] - anchor.taps
            d_level[~has] = level[ks[~has]] - anchor.level
    # Rows without a tap or load change get exact zeros added (the linear model is finite).
    if d_taps.any():
        out += d_taps @ lin.dv_tap
    if d_level.any():
        out += d_level[:, None] * lin.dv_load
    return out


def _add(  # type: ignore[no-untyped-def]
    known: Known, model: Any, sol: Solution, steps: np.ndarray, pred: Predictor, level, chg, anchor
) -> None:
    """Add solved rows; each one that a solved pair of its step at other taps could have
    predicted is a check of the predictor and a pair for its refit, and each one next to a
    solved pair of the step before or after at the same taps a check of predictions across
    one step (rows in order, the earlier rows of the batch counting as solved:
    :func:`._checks_jit.batch_checks`)."""
    from ._checks_jit import batch_checks
    from ._rule_jit import arrays_of

    v_c = regulator_control_v(model, sol)
    tp = np.ascontiguousarray(sol.taps, dtype=np.int64)
    ok = np.asarray(sol.converged, dtype=bool)
    steps = np.asarray(steps, dtype=np.int64)
    k_lo = int(steps.min()) - 1
    pairs = known.pairs(k_lo, int(steps.max()) + 2)[:4]
    anchor_arr, pred_m, pred_v = arrays_of(anchor, pred, tp.shape[1])
    n_s, s_err, s_dist, s_d, s_dv, s_lv, n_c, c_err, c_chg = batch_checks(
        steps, tp, np.ascontiguousarray(v_c, dtype=float), ok, k_lo, pairs, anchor_arr,
        pred_m, pred_v, np.asarray(level, dtype=float), np.asarray(chg, dtype=float),
    )  # fmt: skip
    if n_s:
        pred.checks(s_err[:n_s], s_dist[:n_s])
        pred.add_pairs(s_d[:n_s], s_dv[:n_s], s_lv[:n_s])
    if n_c:
        pred.checks_cross(c_err[:n_c], c_chg[:n_c])
    known.put(steps, tp, v_c, ok, sol)


def _stack(parts: list[tuple[Solution, int]]) -> Solution:
    """One solution of the rows ``parts`` (source solution, row) in order."""
    chunks: list[Solution] = []
    i = 0
    while i < len(parts):
        src, j = parts[i][0], i
        while j < len(parts) and parts[j][0] is src:
            j += 1
        chunks.append(take(src, np.array([r for _, r in parts[i:j]], dtype=np.int64)))
        i = j
    if len(chunks) == 1:
        return chunks[0]
    inj = chunks[0].injection
    return Solution(
        v=np.concatenate([c.v for c in chunks]),
        converged=np.concatenate([c.converged for c in chunks]),
        iterations=np.concatenate([c.iterations for c in chunks]),
        max_mismatch_mva=np.concatenate([c.max_mismatch_mva for c in chunks]),
        taps=np.concatenate([c.taps for c in chunks]),
        injection=None
        if inj is None
        else Injection(
            inj.terms,
            np.concatenate([c.injection.p_mw for c in chunks]),  # type: ignore[union-attr]
            np.concatenate([c.injection.q_mvar for c in chunks]),  # type: ignore[union-attr]
        ),
        load_scale=np.concatenate([np.asarray(c.load_scale, dtype=float) for c in chunks]),
        state={
            key: None
            if chunks[0].state[key] is None
            else np.concatenate([c.state[key] for c in chunks])
            for key in chunks[0].state
        },
    )


def _plan(known: Known, steps, taps, rule, max_rounds, pred, anchor, level, rates):  # type: ignore[no-untyped-def]
    """Run the control recurrence over the window; returns the per-step plan
    ``(k, final taps, rounds, settled, verified)`` and the (step, taps) pairs to solve.
    ``rates``: :meth:`Predictor.rate` and :meth:`Predictor.cross_rate` for the window and
    the load changes (:func:`_changes`). The recurrence is compiled
    (:func:`._rule_jit.plan_window`; its rules are this module's docstring's)."""
    from ._rule_jit import plan_window

    rate, cross_rate, chg = rates
    k0, n = int(steps[0]), len(steps)
    fin, rounds, settled, verified, miss_k, miss_taps = plan_window(
        k0,
        n,
        taps,
        max_rounds,
        known.pairs(k0 - 1, k0 + n)[:4],
        np.asarray(level, dtype=float),
        np.asarray(chg, dtype=float),
        anchor,
        pred,
        (rate, cross_rate),
        rule,
    )
    ks = range(k0, k0 + n)
    plan = list(zip(ks, fin, rounds.tolist(), settled.tolist(), verified.tolist(), strict=True))
    return plan, list(zip(miss_k.tolist(), miss_taps, strict=True))


def _verified(plan) -> int:  # type: ignore[no-untyped-def]
    """Number of leading verified steps."""
    for i, p in enumerate(plan):
        if not p[4]:
            return i
    return len(plan)
