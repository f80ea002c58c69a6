"""Predict-and-verify stepping for static regulator control (no capacitor controls).

The sequential engine (:mod:`._engine`) solves a step again after every control round, so
a year in which the regulators act at 40 % of the hours costs thousands of small solves.
Here a window of steps is first solved in one batch at the window's starting taps. The
static control logic of every step (:func:`_settle`, the engine's rule: rounds until rest,
moves bounded by ``max_tap_change`` of the step's start, a repeated state = hunting) then
runs over the whole window as a cheap recurrence on control voltages that are *predicted*
where no power flow at that (step, taps) pair exists yet: the nearest solved taps of that
step plus one ``step_v`` (the tap's own step on the PT secondary) per tap step. Every
(step, taps) pair the recurrence asked for without a solution is then solved in ONE batch
(per-row taps: one factorisation, :meth:`gat_pf.physics.PhysicsModel.solve`), and the
recurrence runs again; a window is accepted once the recurrence asked only for solved
pairs, so every accepted step went through exactly the rounds the sequential engine takes,
on exact control voltages (to the solver tolerance). Windows grow while predictions hold
and shrink after misses.
"""

from __future__ import annotations

from collections.abc import Callable
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
    sens = _sensitivity(run, taps)
    while t < n_s:
        steps = np.arange(t, min(n_s, t + w))
        known: Known = {}
        v0 = None if last_v is None else np.broadcast_to(last_v, (len(steps), len(last_v)))
        rows0 = np.broadcast_to(taps, (len(steps), len(taps)))
        _add(known, model, run.solve_rows(steps, rows0, v0), steps)
        passes, plan = 0, []
        while True:
            passes += 1
            # Steps verified in an earlier pass keep their plan (their voltages are solved).
            base = _verified(plan)
            cur = taps if base == 0 else plan[base - 1][1]
            more, missing = _plan(known, steps[base:], cur, st, mtc, max_rounds, sens)
            plan = plan[:base] + more
            if not missing or (passes >= _MAX_PASSES and _verified(plan) > 0):
                break
            ks = np.array([k for k, _ in missing], dtype=np.int64)
            rows = np.array([tp for _, tp in missing], dtype=np.int64)
            near = [_nearest(known, k, tp) for k, tp in missing]
            start = np.stack([n[2].v[n[3]] for n in near])
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
        t = kept[-1][0] + 1
        w = min(run.opts.batch_size, 2 * w) if done == len(steps) else max(4, 2 * done)
        if progress is not None:
            progress(t, n_s)
    return taps


def _sensitivity(run: Any, taps: np.ndarray) -> np.ndarray:
    """(R, R) change of every regulator's control voltage per tap step of each regulator
    (V/step), from one batch at step 0: the taps, then one tap step more on each regulator
    (one less at its upper limit). Falls back to each tap's own ``step_v``."""
    st = run.st
    n_r = len(taps)
    delta = np.where(taps < st.tap_max, 1, -1).astype(np.int64)
    rows = np.repeat(taps[None, :], n_r + 1, axis=0)
    rows[np.arange(1, n_r + 1), np.arange(n_r)] += delta
    sol = run.solve_rows(np.zeros(n_r + 1, dtype=np.int64), rows)
    v_c = regulator_control_v(run.phys, sol)
    sens = ((v_c[1:] - v_c[0]) / delta[:, None]).T
    fallback = np.diag(np.nan_to_num(st.step_v))
    good = sol.converged[1:][None, :] & sol.converged[0] & np.isfinite(sens)
    return np.where(good, sens, fallback)


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


def _plan(known: Known, steps, taps, st, mtc, max_rounds, sens):  # type: ignore[no-untyped-def]
    """Run the control recurrence over the window; returns the per-step plan
    ``(k, final taps, rounds, settled, exact)`` and the (step, taps) pairs it predicted."""
    plan = []
    missing: list[tuple[int, np.ndarray]] = []
    asked: set[tuple[int, bytes]] = set()
    cur = taps.copy()
    for k in steps.tolist():
        exact = [True]

        def oracle(tp: np.ndarray, k: int = k, exact: list[bool] = exact):  # type: ignore[no-untyped-def]
            got = known[k].get(tp.tobytes())
            if got is not None:
                return got[0], got[1]
            exact[0] = False
            if (k, tp.tobytes()) not in asked:
                asked.add((k, tp.tobytes()))
                missing.append((k, tp.copy()))
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
