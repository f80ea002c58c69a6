"""The stepping engine: batches of steps at fixed control state, re-solved where controls act.

Between control actions nothing in a step depends on the step before it, so the engine
solves a block of consecutive steps as one batched power flow at the current regulator taps
and capacitor states (:meth:`gat_pf.physics.PhysicsModel.solve` with ``taps``), checks every
step's control conditions vectorised, keeps the steps before the first step at which a
control acts, and settles that step alone (static mode: control rounds until nothing moves;
time mode: one round once the delay has run out). The next block starts after it with the
new state. Block sizes adapt: doubled after a block with no action, shrunk towards the
distance between actions otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gat_pf import (
    Injection,
    Solution,
    ThreePhaseOptions,
    physics_model,
    regulator_control_v,
    regulator_settings,
)

from ._capcontrol import CapControls
from ._der import der_map
from ._predict import run_static
from ._record import Terminals, aggregates, take
from ._regcontrol import out_of_band, tap_moves, timed_actions
from ._starts import Solved, Starts
from ._types import Multipliers, QstsOptions, QstsResult, QstsState

__all__ = ["simulate"]

_MIN_BLOCK = 2


def simulate(
    network: Any,
    multipliers: Multipliers | np.ndarray,
    options: QstsOptions | None = None,
    *,
    initial_taps: np.ndarray | None = None,
    initial_state: QstsState | None = None,
    assets: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> QstsResult:
    """Quasi-static time series: S power flows in sequence with controls keeping their state.

    Parameters
    ----------
    network
        A :class:`gat_schemas.Network` (balanced or three-phase, picked as
        :func:`gat_pf.physics_model` does).
    multipliers
        :class:`Multipliers`, or an (S,) / (S, N) array of load factors (DERs at rated
        output).
    options
        :class:`QstsOptions` (control mode, step length, tap limits per step, ...).
    initial_taps
        (R,) regulator taps at the start (steps); default ``dist_regulators.tap``.
    initial_state
        Full control state at the start (taps, capacitors, timers), e.g. the
        ``final_state`` of the run before; overrides ``initial_taps``.
    assets
        ``der_assets`` table to use instead of the network's.
    progress
        Called with ``(steps done, steps)`` after every block.

    Returns
    -------
    QstsResult
        Per-step results; steps that did not converge have ``converged`` False (and NaN
        voltage extremes), they are never filled from another step.
    """
    opts = options or QstsOptions()
    mult = multipliers if isinstance(multipliers, Multipliers) else Multipliers(multipliers)
    phys = physics_model(
        network,
        options_3ph=ThreePhaseOptions(
            method="fixed_point", regulators="fixed", tol=opts.tol, max_iter=opts.max_iter
        ),
    )
    n_s = mult.n_steps
    n_nodes = len(phys.node_ids)
    if mult.load.ndim == 2 and mult.load.shape[1] != n_nodes:
        raise _input_error(f"multipliers: load must be (S, {n_nodes}) per node")
    ders = der_map(phys, network.table("der_assets") if assets is None else assets, mult.der_ids)
    der_f = np.ones((n_s, len(ders.ids))) if mult.der is None else mult.der
    if der_f.ndim == 1:
        der_f = np.repeat(der_f[:, None], len(ders.ids), axis=1)
    if der_f.shape[1] != len(ders.ids):
        raise _input_error(
            f"multipliers: der has {der_f.shape[1]} columns for {len(ders.ids)} DERs"
        )
    injection, der_p = ders.injection(der_f)
    load_p = _scheduled_load(network, phys, mult.load)
    st = regulator_settings(phys)
    n_r = len(st)
    if initial_state is not None:
        initial_taps = initial_state.taps
    taps = st.tap0.copy() if initial_taps is None else np.asarray(initial_taps, dtype=np.int64)
    if taps.shape != (n_r,):
        raise _input_error(f"initial_taps must have {n_r} entries (regulator_ids order)")
    table_delay, table_mtc = _regulator_columns(network, phys.regulator_ids)
    delays = (
        table_delay
        if opts.reg_delay_s is None
        else np.broadcast_to(np.asarray(opts.reg_delay_s, dtype=float), (n_r,))
    )
    mtc = np.minimum(opts.max_tap_change, table_mtc)
    step_s = opts.step_h * 3600.0
    caps = CapControls.build(network, phys, opts.start_h, opts.step_h)
    terms = Terminals.of(phys)
    controls = opts.control_mode != "off" and (st.auto.any() or caps.n > 0)
    run = _Run(phys, caps, st, opts, mult.load, injection, step_s, delays, mtc)

    timer = np.zeros(n_r)
    cap_state = caps.state0.copy()
    if initial_state is not None:
        cap_state = np.asarray(initial_state.cap_on, dtype=bool).copy()
        timer = np.asarray(initial_state.reg_timer_s, dtype=float).copy()
        caps.timer = np.asarray(initial_state.cap_timer_s, dtype=float).copy()
        if cap_state.shape != caps.state0.shape or timer.shape != (n_r,):
            raise _input_error("initial_state does not match the network's controls")
    rec = _Recorder(n_s, taps, cap_state, len(terms.v_min), opts.save_voltages)
    start = QstsState(
        taps=taps.copy(),
        cap_on=cap_state.copy(),
        reg_timer_s=timer.copy(),
        cap_timer_s=caps.timer.copy(),
    )
    mode = opts.control_mode
    # ``redo``: the step whose controls acted, solved again as row 0 of the next batch
    # (with the steps after it, in case the controls are now at rest).
    redo: _Redo | None = None
    starts = Starts()
    solved = Solved(mult.load, injection)
    # With controls the first block starts small (it doubles while nothing acts): its rows
    # after the first control action would be solved for nothing.
    t, block = 0, min(opts.batch_size, 4 if controls else 24)
    if opts.stepping == "auto" and mode == "static" and st.auto.any() and caps.n == 0:
        taps = run_static(run, rec, terms, taps, n_s, progress)
        t = n_s
    while t < n_s:
        steps = np.arange(t, min(n_s, t + max(block, 1 if redo is None else 2)))
        model = caps.measure_model(phys, cap_state)
        # Every row starts from the nearest solved row (control state, then step).
        sol = solved.get(steps, taps, cap_state)
        if sol is None:
            sol = run.solve(steps, taps, cap_state, start=starts.rows(steps, taps, cap_state))
            solved.add(steps, taps, cap_state, sol)
        starts.add(steps, taps, cap_state, sol)
        free = 0
        if redo is not None:
            one = take(sol, np.array([0]))
            if mode == "static":
                new_taps, new_caps = run.static_round(one, taps, cap_state, redo.lo, redo.hi, t)
                moved = (new_taps != taps).any() or (new_caps != cap_state).any()
                key = (new_taps.tobytes(), new_caps.tobytes())
                if moved and one.converged[0]:
                    if key not in redo.seen and redo.rounds < opts.max_control_rounds:
                        redo.seen.add(key)
                        taps, cap_state, redo.rounds = new_taps, new_caps, redo.rounds + 1
                        block = _MIN_BLOCK
                        continue
                    redo.settled = False
            rec.keep(model, terms, one, steps[:1], taps, cap_state, redo.rounds, redo.settled)
            caps.advance(model, one, cap_state, steps[:1], step_s)
            redo, free = None, 1
        first = len(steps)
        if controls and free < len(steps):
            rows = np.arange(free, len(steps))
            part = take(sol, rows) if free else sol
            v_c = regulator_control_v(model, part)
            ok = part.converged[:, None]
            if mode == "static":
                act = (tap_moves(st, v_c, taps, mtc) != 0) & ok
            else:
                out = out_of_band(st, v_c) & ok
                act, before = timed_actions(out, timer, delays, step_s)
            act_any = act.any(axis=1) | caps.wants(
                model, part, cap_state, steps[free:], step_s, mode=mode
            )
            hits = np.flatnonzero(act_any)
            first = free + (int(hits[0]) if len(hits) else len(rows))
            if mode == "time" and first > free:
                j = first - free - 1
                timer = np.where(out[j], before[j] + step_s, 0.0)
        if first > free:
            kept = take(sol, np.arange(free, first))
            rec.keep(model, terms, kept, steps[free:first], taps, cap_state)
            caps.advance(model, kept, cap_state, steps[free:first], step_s)
        if first < len(steps):
            k = int(steps[first])
            one = take(sol, np.array([first]))
            lo, hi = taps - mtc, taps + mtc
            if mode == "static":
                new_taps, new_caps = run.static_round(one, taps, cap_state, lo, hi, k)
            else:
                new_taps, new_caps, timer = run.time_round(
                    one, taps, cap_state, before[first - free], k
                )
            if (new_taps == taps).all() and (new_caps == cap_state).all():
                # The condition held but nothing can move (a tap at its limit): keep the step.
                rec.keep(model, terms, one, np.array([k]), taps, cap_state)
                caps.advance(model, one, cap_state, np.array([k]), step_s)
                t = k + 1
            else:
                seen = {
                    (taps.tobytes(), cap_state.tobytes()),
                    (new_taps.tobytes(), new_caps.tobytes()),
                }
                redo = _Redo(lo=lo, hi=hi, seen=seen, rounds=2, settled=True)
                taps, cap_state, t = new_taps, new_caps, k
            block = max(_MIN_BLOCK, min(opts.batch_size, 2 * (first - free + 1)))
        else:
            t = int(steps[-1]) + 1
            block = min(opts.batch_size, 2 * block)
        if progress is not None:
            progress(t, n_s)
    final = QstsState(
        taps=taps.copy(),
        cap_on=cap_state.copy(),
        reg_timer_s=timer.copy(),
        cap_timer_s=caps.timer.copy(),
    )
    return dataclasses.replace(
        rec.result(opts.step_h, phys, caps, load_p, der_p, final), initial_state=start
    )


def _input_error(msg: str) -> Exception:
    from gat_schemas.errors import InputError

    return InputError(msg)


@dataclass(frozen=True, eq=False)
class _Run:
    """What every solve and control round of one run shares."""

    phys: Any
    caps: CapControls
    st: Any
    opts: QstsOptions
    load: np.ndarray
    injection: Injection | None
    step_s: float
    delays: np.ndarray
    mtc: np.ndarray

    def solve(
        self, steps: np.ndarray, taps: np.ndarray, cap_state: np.ndarray, start: Any = None
    ) -> Solution:
        """Steps ``steps`` at fixed taps and capacitor states, one batched solve."""
        inj = self.injection
        if inj is not None:
            inj = Injection(inj.terms, inj.p_mw[steps], inj.q_mvar[steps])
        return self.phys.solve(
            inj,
            load_scale=self.load[steps],
            n_scenarios=len(steps),
            taps=np.broadcast_to(taps, (len(steps), len(taps))),
            start=start,
            cap_on=self.caps.model_state(cap_state),
        )

    def solve_rows(
        self, steps: np.ndarray, tap_rows: np.ndarray, start: Any = None, load: Any = None
    ) -> Solution:
        """Steps ``steps`` (repeats allowed) at per-row taps ``tap_rows`` (S, R), one batch
        (``load``: these load factors instead of the steps')."""
        inj = self.injection
        if inj is not None:
            inj = Injection(inj.terms, inj.p_mw[steps], inj.q_mvar[steps])
        return self.phys.solve(
            inj,
            load_scale=self.load[steps] if load is None else load,
            n_scenarios=len(steps),
            taps=tap_rows,
            start=start,
        )

    def static_round(  # type: ignore[no-untyped-def]
        self, one: Solution, taps: np.ndarray, cap_state: np.ndarray, lo, hi, k: int
    ):
        """Static mode: taps and capacitor states after one control round at step ``k``
        (a step's total tap move stays within ``[lo, hi]``, max_tap_change of its start)."""
        model = self.caps.measure_model(self.phys, cap_state)
        v_c = regulator_control_v(model, one)
        move = tap_moves(self.st, v_c, taps, self.mtc)[0]
        new_taps = np.minimum(np.maximum(taps + move, lo), hi)
        return new_taps, self.caps.next_state(model, one, cap_state, k, mode="static")

    def time_round(  # type: ignore[no-untyped-def]
        self, one: Solution, taps: np.ndarray, cap_state: np.ndarray, before: np.ndarray, k: int
    ):
        """Time mode: the controls whose delay ran out act once at step ``k``; the taps,
        capacitor states and regulator timers after it."""
        st = self.st
        model = self.caps.measure_model(self.phys, cap_state)
        v_c = regulator_control_v(model, one)
        out = out_of_band(st, v_c)[0]
        act = out & (before >= self.delays)
        move = np.where(act, tap_moves(st, v_c, taps, self.mtc)[0], 0)
        new_caps = self.caps.next_state(model, one, cap_state, k, mode="time")
        timer = np.where(act, 0.0, np.where(out, before + self.step_s, 0.0))
        return taps + move, new_caps, timer


@dataclass(eq=False)
class _Redo:
    """A step being settled: tap bounds of the step, states seen, rounds so far."""

    lo: np.ndarray
    hi: np.ndarray
    seen: set[tuple[bytes, bytes]]
    rounds: int
    settled: bool


def _regulator_columns(network: Any, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R,) ``delay_s`` and ``max_tap_change`` of the regulators (15 s and 16 when absent)."""
    delay, mtc = np.full(len(ids), 15.0), np.full(len(ids), 16, dtype=np.int64)
    regs = network.table("dist_regulators")
    if regs is None or not len(ids):
        return delay, mtc
    pos = {str(r): k for k, r in enumerate(regs["regulator_id"].astype(str))}
    at = np.array([pos[str(i)] for i in ids], dtype=np.int64)
    if "delay_s" in regs.columns:
        delay = regs["delay_s"].fillna(15.0).to_numpy(dtype=float)[at]
    if "max_tap_change" in regs.columns:
        mtc = regs["max_tap_change"].fillna(16).to_numpy(dtype=np.int64)[at]
    return delay, mtc


def _scheduled_load(network: Any, phys: Any, load: np.ndarray) -> np.ndarray:
    """(S,) total load at nominal voltage times its factors (MW); fixed loads
    (``dist_loads.fixed``) at their rated power."""
    per_node = np.zeros(len(phys.node_ids))
    fixed_mw = 0.0
    pos = {str(n): i for i, n in enumerate(phys.node_ids)}
    nodes = network.nodes
    if "load_p" in nodes.columns:
        at = nodes["node_id"].astype(str).map(pos).to_numpy()
        per_node[at] += nodes["load_p"].fillna(0.0).to_numpy(dtype=float)
    loads = network.table("dist_loads")
    if loads is not None and len(loads) and phys.kind == "three_phase":
        p = sum(
            loads[c].fillna(0.0).to_numpy(dtype=float)
            for c in ("p_a_mw", "p_b_mw", "p_c_mw")
            if c in loads
        )
        at = loads["node_id"].astype(str).map(pos).to_numpy()
        if "fixed" in loads.columns:
            fixed = loads["fixed"].fillna(False).to_numpy(dtype=bool)
            fixed_mw = float(np.sum(p * fixed))
            p = p * ~fixed
        np.add.at(per_node, at, p)
    if load.ndim == 1:
        return load * per_node.sum() + fixed_mw
    return load @ per_node + fixed_mw


class _Recorder:
    """Per-step arrays filled as steps are accepted."""

    def __init__(
        self, n_s: int, taps0: np.ndarray, caps0: np.ndarray, n_t: int, save_v: bool
    ) -> None:
        self.taps0, self.caps0 = taps0.copy(), caps0.copy()
        self.converged = np.zeros(n_s, dtype=bool)
        self.settled = np.ones(n_s, dtype=bool)
        self.iterations = np.zeros(n_s, dtype=np.int64)
        self.rounds = np.ones(n_s, dtype=np.int64)
        self.head_p = np.full(n_s, np.nan)
        self.head_q = np.full(n_s, np.nan)
        self.losses = np.full(n_s, np.nan)
        self.v_min = np.full((n_s, 3), np.nan)
        self.v_max = np.full((n_s, 3), np.nan)
        self.n_under = np.zeros(n_s, dtype=np.int64)
        self.n_over = np.zeros(n_s, dtype=np.int64)
        self.taps = np.zeros((n_s, len(taps0)), dtype=np.int64)
        self.cap_on = np.zeros((n_s, len(caps0)), dtype=bool)
        self.vm = np.full((n_s, n_t), np.nan) if save_v else None

    def keep(  # type: ignore[no-untyped-def]
        self, phys, terms, sol, steps, taps, cap_state, rounds=1, settled=True
    ) -> None:
        """Record solved steps ``steps`` (their solution ``sol``) and the control state."""
        agg = aggregates(phys, sol, terms, voltages=self.vm is not None)
        self.converged[steps] = sol.converged
        self.iterations[steps] = sol.iterations
        self.rounds[steps] = rounds
        self.settled[steps] = settled
        self.head_p[steps] = agg["head_p_mw"]
        self.head_q[steps] = agg["head_q_mvar"]
        self.losses[steps] = agg["losses_mw"]
        self.v_min[steps] = agg["v_min_pu"]
        self.v_max[steps] = agg["v_max_pu"]
        self.n_under[steps] = agg["n_under"]
        self.n_over[steps] = agg["n_over"]
        self.taps[steps] = taps
        self.cap_on[steps] = cap_state
        if self.vm is not None:
            self.vm[steps] = agg["vm_pu"]

    def result(self, step_h, phys, caps, load_p, der_p, final) -> QstsResult:  # type: ignore[no-untyped-def]
        """The :class:`QstsResult` (operations counted from the starting state)."""
        d = np.abs(np.diff(np.vstack([self.taps0[None, :], self.taps]), axis=0))
        c = np.diff(np.vstack([self.caps0[None, :], self.cap_on]).astype(np.int8), axis=0)
        return QstsResult(
            step_h=float(step_h),
            converged=self.converged,
            controls_settled=self.settled,
            iterations=self.iterations,
            control_rounds=self.rounds,
            head_p_mw=self.head_p,
            head_q_mvar=self.head_q,
            losses_mw=self.losses,
            load_p_mw=load_p,
            der_p_mw=der_p,
            v_min_pu=self.v_min,
            v_max_pu=self.v_max,
            n_under=self.n_under,
            n_over=self.n_over,
            regulator_ids=np.asarray(phys.regulator_ids, dtype=object),
            taps=self.taps,
            tap_ops=(d != 0).sum(axis=0).astype(np.int64),
            tap_steps=d.sum(axis=0).astype(np.int64),
            cap_ids=caps.cap_ids,
            cap_on=self.cap_on,
            cap_ops=(c != 0).sum(axis=0).astype(np.int64),
            term_label=np.asarray(phys.term_label, dtype=object),
            vm_pu=self.vm,
            model_kind=phys.kind,
            notes=tuple(caps.notes),
            final_state=final,
        )
