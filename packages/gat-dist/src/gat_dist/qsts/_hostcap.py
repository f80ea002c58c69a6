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
``held_tol``), as the snapshot study holds it (:mod:`gat_dist.held_limits`). The value
without the PV is the series without the PV at that step, or, where the candidate's
regulators stand at other taps there, that step without the PV at the candidate's taps,
whichever is worse: regulators settle on different in-band taps after a small
perturbation (a 10 kW PV at IEEE 34 bus 890 leaves two of them one step apart at hour 10),
and a limit already broken would otherwise fail on the tap difference, not on the PV.
Every failure names its node phase (or conductor), the limit and the value. Capacitors keep the tables' states (their controls are not run here) and
the DERs already in ``der_assets`` are not injected: the PV studied is the only one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gat_dist.held_limits import HELD_TOL_PU, held_cap, held_voltage
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
    v_resolution
        A voltage breaks its limit only when beyond it by more than this (pu). Without it a
        source bus held at the limit by a stiff source flips with micro-volt changes: IEEE
        34's source bus sits within 5e-6 pu of its 1.05 pu set point and limit, above it at
        light load, below at peak, as the unbalanced currents through the source impedance
        change. 1e-5 pu is below the power flow's agreement with OpenDSS (2e-5 pu).
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
    held_tol: float = HELD_TOL_PU
    v_resolution: float = 1e-5
    controls: bool = True
    max_tap_change: int = 16
    max_control_rounds: int = 20

    def __post_init__(self) -> None:
        if not (np.isfinite(self.max_mw) and self.max_mw > 0):
            raise InputError("time-series hosting capacity: max_mw must be > 0")
        if not (np.isfinite(self.tol_mw) and 0 < self.tol_mw < self.max_mw):
            raise InputError("time-series hosting capacity: tol_mw must be in (0, max_mw)")
        if not (np.isfinite(self.v_resolution) and self.v_resolution >= 0):
            raise InputError("time-series hosting capacity: v_resolution must be >= 0")


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
        ``vm_max_pu_at_hc`` (highest node-phase voltage of the series at the capacity),
        ``limiting_element`` (``node.phase`` or conductor ``branch.phase``; None for
        not_converged and search_cap), ``limiting_limit`` (``v_min``, ``v_max`` or
        ``rating``; ``held_`` in front when the limit is already broken without the PV and
        held), ``limiting_value`` (pu, or % of rating, at that step).
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
    elem = np.where(top.fail, top.elem, None).astype(object)
    limit = np.where(top.fail, top.limit, None).astype(object)
    value = np.where(top.fail, top.value, np.nan)
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
        elem[idx] = np.where(r.fail, r.elem, elem[idx])
        limit[idx] = np.where(r.fail, r.limit, limit[idx])
        value[idx] = np.where(r.fail, r.value, value[idx])
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
            "limiting_element": elem,
            "limiting_limit": limit,
            "limiting_value": value,
        }
    )


@dataclass(frozen=True, eq=False)
class _Trial:
    fail: np.ndarray
    kind: np.ndarray
    step: np.ndarray
    vmax: np.ndarray
    elem: np.ndarray
    limit: np.ndarray
    value: np.ndarray
    v_margin: np.ndarray | None = None  # base run: (S, T) voltages (pu)
    loading: np.ndarray | None = None
    taps: np.ndarray | None = None


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
        elem = np.full(m, None, dtype=object)
        limit = np.full(m, None, dtype=object)
        value = np.full(m, np.nan)
        keep = base is None
        margins = np.zeros((n_s, len(self.v_max))) if keep else None
        loads = np.zeros((n_s, len(phys.cond_rated))) if keep else None
        base_taps = np.zeros((n_s, len(self.taps0)), dtype=np.int64) if keep else None
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
            vm, loading = self._state(sol)
            if keep:
                margins[t] = vm[0]
                loads[t] = loading[0]
                base_taps[t] = taps[0]
                ref_lo = ref_hi = np.full_like(vm, np.nan)  # nothing held in the base run
                ref_l = np.full_like(loading, np.nan)
            else:
                ref_lo = np.repeat(base.v_margin[t][None, :], m, axis=0)
                ref_hi = ref_lo.copy()
                ref_l = np.repeat(base.loading[t][None, :], m, axis=0)
                other = np.flatnonzero((taps != base.taps[t]).any(axis=1))
                if len(other):
                    # The step without the PV at the candidate's own taps: the worse of the
                    # two is what the PV is held to.
                    ref = phys.solve(
                        None, load_scale=ls[other], n_scenarios=len(other), taps=taps[other]
                    )
                    rv, rl = self._state(ref)
                    ok = ref.converged[:, None]
                    ref_lo[other] = np.where(ok, np.fmin(ref_lo[other], rv), ref_lo[other])
                    ref_hi[other] = np.where(ok, np.fmax(ref_hi[other], rv), ref_hi[other])
                    ref_l[other] = np.where(ok, np.fmax(ref_l[other], rl), ref_l[other])
            lo, _ = held_voltage(ref_lo, phys.term_v_min, self.v_max, opts.held_tol)
            _, hi = held_voltage(ref_hi, phys.term_v_min, self.v_max, opts.held_tol)
            cap_l = held_cap(np.where(phys.cond_rated, ref_l, np.nan), 100.0, opts.held_tol)
            slack = np.asarray(phys.term_slack, dtype=bool)
            lo, hi = np.where(slack, -np.inf, lo), np.where(slack, np.inf, hi)
            with np.errstate(invalid="ignore"):
                # Excess over the limit (pu; % for loading): > 0 breaks it.
                ex_v = np.fmax(lo - vm, vm - hi) - opts.v_resolution
                ex_l = np.where(phys.cond_rated, loading - cap_l, -np.inf)
            bad_c = ~sol.converged
            bad_v = (ex_v > 0.0).any(axis=1) & ~bad_c
            bad_l = (ex_l > 0.0).any(axis=1) & ~bad_c & ~bad_v
            new_fail = (bad_c | bad_v | bad_l) & ~fail
            kind[new_fail] = np.where(
                bad_c[new_fail], "not_converged", np.where(bad_v[new_fail], "voltage", "thermal")
            )
            step[new_fail] = t
            for i in np.flatnonzero(new_fail & (bad_v | bad_l)):
                elem[i], limit[i], value[i] = self._culprit(
                    vm[i], ex_v[i], loading[i], ex_l[i], lo[i], hi[i], cap_l[i], bad_v[i]
                )
            fail |= new_fail
            vmax = np.maximum(vmax, np.where(sol.converged, np.nanmax(vm, axis=1), -np.inf))
        return _Trial(fail, kind, step, vmax, elem, limit, value, margins, loads, base_taps)

    def _state(self, sol: Any) -> tuple[np.ndarray, np.ndarray]:
        """(M, T) node-phase voltages (pu) and (M, C) conductor loadings (% of rating)."""
        lim = self.phys.limits(sol)
        return np.asarray(lim.vm_pu, dtype=float), np.asarray(lim.loading_pct, dtype=float)

    def _culprit(  # type: ignore[no-untyped-def]
        self, vm, ex_v, loading, ex_l, lo, hi, cap_l, voltage: bool
    ) -> tuple[str, str, float]:
        """The node phase (or conductor) that breaks its limit most, which limit, its value."""
        phys = self.phys
        if voltage:
            k = int(np.nanargmax(ex_v))
            if vm[k] > hi[k]:
                side, held = "v_max", hi[k] != self.v_max[k]
            else:
                side, held = "v_min", lo[k] != phys.term_v_min[k]
            return str(phys.term_label[k]), ("held_" if held else "") + side, float(vm[k])
        k = int(np.nanargmax(ex_l))
        held = "held_" if cap_l[k] != 100.0 else ""
        return str(phys.cond_label[k]), held + "rating", float(loading[k])


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
