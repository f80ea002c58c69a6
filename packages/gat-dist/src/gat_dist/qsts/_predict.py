"""Predict-and-verify stepping for static regulator control (no capacitor controls).

The sequential engine (:mod:`._engine`) solves a step again after every control round, so
a year in which the regulators act at 40 % of the hours costs thousands of small solves.
Here the static control rule of every step of a window (:func:`_settle`, the engine's
rule: rounds until rest, moves bounded by ``max_tap_change`` of the step's start, a
repeated state = hunting) runs as a cheap recurrence on control voltages that are
*predicted* wherever no power flow at that (step, taps) pair exists yet: from the nearest
solved taps of that step, or (no solve of the step yet) from the last accepted step, with
a measured (R, R) tap sensitivity and an (R,) load sensitivity (:func:`_sensitivity`, one
batch at the start). Every (step, taps) pair the recurrence asked for without a solution
is then solved in ONE batch (per-row taps: one factorisation,
:meth:`gat_pf.physics.PhysicsModel.solve`), and the recurrence runs again from the first
step that used a prediction. A window is accepted once the recurrence asked only for
solved pairs, so every accepted step went through exactly the rounds the sequential engine
takes, on solved control voltages (to the solver tolerance); after ``_MAX_PASSES`` passes
its verified prefix is accepted. The first window is solved at its starting taps first
(nothing to predict from). Windows double when accepted whole, else restart at twice the
verified length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gat_pf import Injection, Solution, regulator_control_v

from ._record import take
from ._regcontrol import tap_moves

__all__ = ["run_static"]

#: Re-solve rounds of one window before its verified prefix is accepted.
_MAX_PASSES = 6


Known = dict[int, dict[bytes, tuple[np.ndarray, bool, Solution, int]]]


def run_static(  # type: ignore[no-untyped-def]
    run, rec, terms, taps: np.ndarray, n_s: int, progress: Callable[[int, int], None] | None
) -> np.ndarray:
    """Step through all ``n_s`` steps (recording into ``rec``); returns the final taps."""
    model = run.phys
    st, mtc = run.st, run.mtc
    max_rounds = run.opts.max_control_rounds
    t, w = 0, min(run.opts.batch_size, 24)
    last_v: np.ndarray | None = None
    sens, load_sens = _sensitivity(run, taps)
    level = _load_level(run.load)
    anchor: _Anchor | None = None
    while t < n_s:
        steps = np.arange(t, min(n_s, t + w))
        known: Known = {}
        if anchor is None:
            # First window: solve every step at the starting taps to predict from.
            v0 = None if last_v is None else np.broadcast_to(last_v, (len(steps), len(last_v)))
            rows0 = np.broadcast_to(taps, (len(steps), len(taps)))
            _add(known, model, run.solve_rows(steps, rows0, v0), steps)
        # Later windows predict their steps from the last accepted step and the load change.
        guess = None if anchor is None else (anchor, load_sens, level)
        passes, plan = 0, []
        while True:
            passes += 1
            # Steps verified in an earlier pass keep their plan (their voltages are solved).
            base = _verified(plan)
            cur = taps if base == 0 else plan[base - 1][1]
            more, missing = _plan(known, steps[base:], cur, st, mtc, max_rounds, sens, guess)
            plan = plan[:base] + more
            if not missing or (passes >= _MAX_PASSES and _verified(plan) > 0):
                break
            ks = np.array([k for k, _ in missing], dtype=np.int64)
            rows = np.array([tp for _, tp in missing], dtype=np.int64)
            start = np.stack([_start(known, k, tp, last_v, model) for k, tp in missing])
            _add(known, model, run.solve_rows(ks, rows, start), ks)
        done = _verified(plan)
        kept = plan[:done]
        sol = _stack(
            [(known[k][fin.tobytes()][2], known[k][fin.tobytes()][3]) for k, fin, *_ in kept]
        )
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
        taps = kept[-1][1]
        if sol.converged[-1]:
            last_v = sol.v[-1]
            k_last = kept[-1][0]
            anchor = _Anchor(known[k_last][taps.tobytes()][0], taps.copy(), level[k_last])
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


def _load_level(load: np.ndarray) -> np.ndarray:
    """(S,) one load factor per step (the mean over nodes of per-node factors)."""
    return load if load.ndim == 1 else load.mean(axis=1)


def _sensitivity(run: Any, taps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(J, L)``: (R, R) change of every regulator's control voltage per tap step of each
    regulator (V/step) and (R,) per unit of load factor (V), from one batch at step 0: the
    taps, one tap step more on each regulator (one less at its upper limit), and the load
    10 % lower. ``J`` falls back to each tap's own ``step_v``, ``L`` to 0."""
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
    return np.where(good, sens, fallback), np.where(ok, per_load, 0.0)


def _start(known: Known, k: int, tp: np.ndarray, last_v: Any, model: Any) -> np.ndarray:
    """Start voltages of a solve at step ``k``: its nearest solved taps, else the last
    accepted step's voltages, else no-load (NaN rows start from the solver's no-load)."""
    if known.get(k):
        n = _nearest(known, k, tp)
        return n[2].v[n[3]]
    if last_v is not None:
        return last_v
    return np.full(len(model.term_label), np.nan, dtype=complex)


def _add(known: Known, model: Any, sol: Solution, steps: np.ndarray) -> None:
    v_c = regulator_control_v(model, sol)
    tp = np.asarray(sol.taps, dtype=np.int64)
    for i, k in enumerate(steps.tolist()):
        known.setdefault(k, {})[tp[i].tobytes()] = (v_c[i], bool(sol.converged[i]), sol, i)


def _nearest(known: Known, k: int, tp: np.ndarray):  # type: ignore[no-untyped-def]
    """``(taps, v_c, solution, row, converged)`` of the solved pair of step ``k`` whose taps
    are closest to ``tp``."""
    best, best_d = None, -1
    for key, val in known[k].items():
        other = np.frombuffer(key, dtype=np.int64)
        d = int(np.abs(other - tp).sum())
        if best is None or d < best_d:
            best, best_d = (other, val), d
    other, val = best  # type: ignore[misc]
    return other, val[0], val[2], val[3], val[1]


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


def _plan(known: Known, steps, taps, st, mtc, max_rounds, sens, guess=None):  # type: ignore[no-untyped-def]
    """Run the control recurrence over the window; returns the per-step plan
    ``(k, final taps, rounds, settled, exact)`` and the (step, taps) pairs it predicted."""
    plan = []
    missing: list[tuple[int, np.ndarray]] = []
    asked: set[tuple[int, bytes]] = set()
    cur = taps.copy()
    for k in steps.tolist():
        exact = [True]

        def oracle(tp: np.ndarray, k: int = k, exact: list[bool] = exact):  # type: ignore[no-untyped-def]
            got = known.get(k, {}).get(tp.tobytes())
            if got is not None:
                return got[0], got[1]
            exact[0] = False
            if (k, tp.tobytes()) not in asked:
                asked.add((k, tp.tobytes()))
                missing.append((k, tp.copy()))
            if not known.get(k):
                anchor, load_sens, level = guess
                pred = anchor.v_c + sens @ (tp - anchor.taps)
                return pred + load_sens * (level[k] - anchor.level), True
            other, v_c, _, _, ok = _nearest(known, k, tp)
            return v_c + sens @ (tp - other), ok

        fin, rounds, settled = _settle(oracle, cur, st, mtc, max_rounds)
        plan.append((k, fin, rounds, settled, exact[0]))
        cur = fin
    return plan, missing


def _verified(plan) -> int:  # type: ignore[no-untyped-def]
    """Number of leading steps whose every control round used solved voltages."""
    for i, p in enumerate(plan):
        if not p[4]:
            return i
    return len(plan)


def _settle(oracle, taps: np.ndarray, st: Any, mtc: np.ndarray, max_rounds: int):  # type: ignore[no-untyped-def]
    """The sequential engine's static rule at one step: ``(final taps, rounds, settled)``."""
    v_c, ok = oracle(taps)
    move = tap_moves(st, v_c[None, :], taps, mtc)[0] if ok else np.zeros_like(taps)
    if not move.any():
        return taps, 1, True
    lo, hi = taps - mtc, taps + mtc
    new = np.clip(taps + move, lo, hi)
    if (new == taps).all():
        return taps, 1, True
    seen = {taps.tobytes(), new.tobytes()}
    cur, rounds = new, 2
    while True:
        v_c, ok = oracle(cur)
        nxt = np.clip(cur + tap_moves(st, v_c[None, :], cur, mtc)[0], lo, hi)
        if (nxt != cur).any() and ok:
            if nxt.tobytes() not in seen and rounds < max_rounds:
                seen.add(nxt.tobytes())
                cur, rounds = nxt, rounds + 1
                continue
            return cur, rounds, False
        return cur, rounds, True
