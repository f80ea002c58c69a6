"""Time-series hosting capacity: the largest PV per node with no violation at any step.

For every candidate (a node's phases, or each phase), a bisection on the PV's rated power P:
a trial is a whole time series in which the PV injects ``P x pv_shape[t]`` (unity power
factor) while the loads follow their multipliers and the regulators act (static mode, as
:func:`gat_dist.qsts.simulate`). All open candidates of a bisection round run together:
at every step one batched power flow solves one scenario per candidate, each with its own
taps (``PhysicsModel.solve(taps=(M, R))``), and only the candidates whose regulators moved
are solved again. A trial fails when any step does not converge, puts a node phase outside
``[v_min, v_max]`` or a rated conductor above 100 %; a limit the series already breaks
without the PV is held at its value at that step (it may not get worse by more than
``held_tol``). Capacitors keep the tables' states (their controls are not run here) and
the DERs already in ``der_assets`` are not injected: the PV studied is the only one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gat_pf import (
    Injection,
    ThreePhaseOptions,
    physics_model,
    regulator_control_v,
    regulator_settings,
)
from gat_schemas.errors import InputError

from ._regcontrol import tap_moves

__all__ = ["TimeseriesHostcapOptions", "timeseries_hosting_capacity"]


@dataclass(frozen=True, kw_only=True)
class TimeseriesHostcapOptions:
    """Settings of :func:`timeseries_hosting_capacity`.

    Parameters
    ----------
    buses
        Candidate node ids; ``None`` = every non-slack node.
    phase_mode
        ``all`` (a three-phase PV on the node's phases) or ``each`` (one per phase).
    max_mw, tol_mw
        Upper end of the search and its tolerance (MW).
    v_max
        Upper voltage limit for every node (pu); ``None`` = each node's ``v_max``.
    held_tol
        How much worse (pu of voltage; percentage points / 100 of loading) a limit already
        broken without the PV may get.
    controls
        ``True``: regulators act at every step (static mode); ``False``: held at the start.
    max_tap_change, max_control_rounds
        As in :class:`gat_dist.qsts.QstsOptions`.
    """

    buses: tuple[str, ...] | None = None
    phase_mode: str = "all"
    max_mw: float = 10.0
    tol_mw: float = 0.01
    v_max: float | None = None
    held_tol: float = 0.001
    controls: bool = True
    max_tap_change: int = 16
    max_control_rounds: int = 20

    def __post_init__(self) -> None:
        if not (np.isfinite(self.max_mw) and self.max_mw > 0):
            raise InputError("time-series hosting capacity: max_mw must be > 0")
        if not (np.isfinite(self.tol_mw) and 0 < self.tol_mw < self.max_mw):
            raise InputError("time-series hosting capacity: tol_mw must be in (0, max_mw)")


def timeseries_hosting_capacity(
    network: Any,
    load: np.ndarray,
    pv_shape: np.ndarray,
    options: TimeseriesHostcapOptions | None = None,
    *,
    initial_taps: np.ndarray | None = None,
) -> pd.DataFrame:
    """Hosting capacity of every candidate over a time series (see the module doc).

    Parameters
    ----------
    network
        The network (balanced or three-phase).
    load
        (S,) load multipliers per step (every load), or (S, N) per node.
    pv_shape
        (S,) PV output per step, pu of the PV's rated power (0 to 1).
    initial_taps
        (R,) regulator taps at the first step; default ``dist_regulators.tap``.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``bus_id``, ``phase``, ``hosting_capacity_mw``,
        ``limiting_constraint`` (voltage, thermal, not_converged or search_cap),
        ``limiting_step`` (first failing step just above the capacity; -1 for search_cap),
        ``vm_max_pu_at_hc`` (highest node-phase voltage of the series at the capacity).
    """
    opts = options or TimeseriesHostcapOptions()
    load = np.asarray(load, dtype=float)
    pv = np.asarray(pv_shape, dtype=float)
    if pv.ndim != 1 or load.shape[0] != len(pv) or not len(pv):
        raise InputError("time-series hosting capacity: pv_shape must be (S,) like the loads")
    if not (np.isfinite(pv).all() and np.isfinite(load).all()):
        raise InputError("time-series hosting capacity: multipliers must be finite")
    phys = physics_model(
        network, options_3ph=ThreePhaseOptions(method="fixed_point", regulators="fixed", tol=1e-8)
    )
    buses = opts.buses
    if buses is None:
        slack = set(np.asarray(phys.node_ids)[np.unique(phys.term_node[phys.term_slack])])
        buses = tuple(str(n) for n in phys.node_ids if str(n) not in slack)
    points = phys.injection_points(buses, phase_mode=opts.phase_mode)
    st = regulator_settings(phys)
    taps0 = st.tap0.copy() if initial_taps is None else np.asarray(initial_taps, dtype=np.int64)
    v_max = phys.term_v_max if opts.v_max is None else np.full(len(phys.term_v_max), opts.v_max)
    series = _Series(phys, st, load, pv, points, taps0, opts, np.asarray(v_max, dtype=float))
    base = series.run(np.zeros(1, np.int64), np.zeros(1), base=None)
    j = len(points)
    lo, hi = np.zeros(j), np.full(j, opts.max_mw)
    top = series.run(np.arange(j), hi, base=base)
    what = np.where(top.fail, top.kind, "search_cap").astype(object)
    step = np.where(top.fail, top.step, -1)
    vmax_at = np.where(top.fail, np.nan, top.vmax)
    open_ = top.fail.copy()
    while open_.any():
        idx = np.flatnonzero(open_ & (hi - lo > opts.tol_mw))
        if not len(idx):
            break
        mid = 0.5 * (lo[idx] + hi[idx])
        r = series.run(idx, mid, base=base)
        hi[idx] = np.where(r.fail, mid, hi[idx])
        lo[idx] = np.where(r.fail, lo[idx], mid)
        what[idx] = np.where(r.fail, r.kind, what[idx])
        step[idx] = np.where(r.fail, r.step, step[idx])
        vmax_at[idx] = np.where(r.fail, vmax_at[idx], r.vmax)
    cap = np.where(open_, lo, hi)
    missing = open_ & ~np.isfinite(vmax_at)
    if missing.any():  # capacity 0: the series without PV
        vmax_at[missing] = base.vmax[0]
    return pd.DataFrame(
        {
            "bus_id": np.asarray(points.node, dtype=object),
            "phase": np.asarray(points.phase, dtype=object),
            "hosting_capacity_mw": cap,
            "limiting_constraint": what,
            "limiting_step": step.astype(np.int64),
            "vm_max_pu_at_hc": vmax_at,
        }
    )


@dataclass(frozen=True, eq=False)
class _Trial:
    fail: np.ndarray
    kind: np.ndarray
    step: np.ndarray
    vmax: np.ndarray
    v_margin: np.ndarray | None = None
    loading: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class _Series:
    phys: Any
    st: Any
    load: np.ndarray
    pv: np.ndarray
    points: Any
    taps0: np.ndarray
    opts: TimeseriesHostcapOptions
    v_max: np.ndarray

    def run(self, which: np.ndarray, p_mw: np.ndarray, *, base: _Trial | None) -> _Trial:
        """Candidates ``which`` with PV ratings ``p_mw`` through the whole series at once."""
        phys, st, opts = self.phys, self.st, self.opts
        m = len(which)
        n_s = len(self.pv)
        taps = np.repeat(self.taps0[None, :], m, axis=0)
        fail = np.zeros(m, dtype=bool)
        kind = np.full(m, "", dtype=object)
        step = np.full(m, -1, dtype=np.int64)
        vmax = np.full(m, -np.inf)
        keep = base is None
        margins = np.zeros((n_s, len(self.v_max))) if keep else None
        loads = np.zeros((n_s, len(phys.cond_rated))) if keep else None
        for t in range(n_s):
            inj = Injection.at_points(self.points, which, p_mw * self.pv[t], np.zeros(m))
            ls = np.broadcast_to(self.load[t], (m, *self.load.shape[1:]))
            sol = phys.solve(inj, load_scale=ls, n_scenarios=m, taps=taps)
            if opts.controls and len(st):
                lo, hi = taps - opts.max_tap_change, taps + opts.max_tap_change
                for _ in range(opts.max_control_rounds):
                    move = tap_moves(st, regulator_control_v(phys, sol), taps, opts.max_tap_change)
                    new = np.clip(taps + move, lo, hi)
                    rows = np.flatnonzero((new != taps).any(axis=1) & sol.converged)
                    if not len(rows):
                        break
                    taps[rows] = new[rows]
                    sub_inj = Injection(inj.terms, inj.p_mw[rows], inj.q_mvar[rows])
                    sub = phys.solve(
                        sub_inj, load_scale=ls[rows], n_scenarios=len(rows), taps=taps[rows]
                    )
                    sol = _merge(sol, sub, rows)
            lim = phys.limits(sol)
            vm = lim.vm_pu
            with np.errstate(invalid="ignore"):
                margin = np.minimum(self.v_max - vm, vm - phys.term_v_min)
            margin[:, np.asarray(phys.term_slack, dtype=bool)] = np.inf
            loading = np.where(phys.cond_rated, lim.loading_pct, 0.0)
            if keep:
                margins[t] = margin[0]
                loads[t] = loading[0]
                floor_v, cap_l = 0.0, 100.0
            else:
                bm, bl = base.v_margin[t], base.loading[t]
                floor_v = np.where(bm < 0.0, bm - opts.held_tol, 0.0)
                cap_l = np.where(bl > 100.0, bl + opts.held_tol * 100.0, 100.0)
            bad_c = ~sol.converged
            bad_v = (margin < floor_v).any(axis=1) & ~bad_c
            bad_l = (loading > cap_l).any(axis=1) & ~bad_c & ~bad_v
            new_fail = (bad_c | bad_v | bad_l) & ~fail
            kind[new_fail] = np.where(
                bad_c[new_fail], "not_converged", np.where(bad_v[new_fail], "voltage", "thermal")
            )
            step[new_fail] = t
            fail |= new_fail
            vmax = np.maximum(vmax, np.where(sol.converged, np.nanmax(vm, axis=1), -np.inf))
        return _Trial(fail, kind, step, vmax, margins, loads)


def _merge(sol: Any, sub: Any, rows: np.ndarray) -> Any:
    """``sol`` with scenarios ``rows`` replaced by ``sub``'s."""
    import dataclasses

    v = sol.v.copy()
    v[rows] = sub.v
    conv = sol.converged.copy()
    conv[rows] = sub.converged
    taps = sol.taps.copy()
    taps[rows] = sub.taps
    state = dict(sol.state)
    if "scale" in state and "scale" in sub.state and state["scale"] is not None:
        sc = state["scale"].copy()
        sc[rows] = sub.state["scale"]
        state["scale"] = sc
    return dataclasses.replace(sol, v=v, converged=conv, taps=taps, state=state)
