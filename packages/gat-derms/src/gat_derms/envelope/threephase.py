"""P-Q envelopes on three-phase networks, with the three-phase OPF's machinery.

The linear model is :func:`gat_dist.opf.threephase.ac.linearise` at the base point (every
asset at the point of its box nearest zero injection): node-phase voltages and conductor
loadings (each end against its own rating) per MW and Mvar of each asset, by central
differences of the three-phase AC power flow. For each group and direction ``theta`` one LP
maximises ``cos(theta) P + sin(theta) Q`` of the group's summed set points within the asset
boxes, the inverter polygons and the linearised limits; the other assets stay at the base
point. Limits the base case already breaks are held at their base value plus
``held_tol_pu`` (:mod:`gat_dist.held_limits`), as for balanced networks. Every vertex goes through the three-phase AC power flow; for each
limit a vertex breaks, a secant cut is added: the limit's linear row with its gradient
corrected along that vertex's step so that it gives the AC value there (the row still holds
at the base point, where the linear model is exact). The group's LPs then run again (same
model, persistent HiGHS), up to ``ac_corrections`` rounds. Groups: ``agg_id`` or ``bus_id``
(``feeder`` groups, the exchange at a feeder head, are balanced-only).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from gat_dist.held_limits import held_cap, held_voltage
from gat_schemas.errors import InputError, SolverError

from .base import HELD_COLUMNS
from .hull import convex_hull
from .options import EnvelopeOptions, GroupBy

if TYPE_CHECKING:
    from gat_schemas import Network

    from .api import EnvelopeResult

__all__ = ["compute_envelopes_3ph"]


def _groups(
    assets: pd.DataFrame, group_by: GroupBy
) -> tuple[list[tuple[str, np.ndarray]], list[int]]:
    if group_by is GroupBy.FEEDER:
        raise InputError(
            "envelope grouping feeder is for balanced networks; on a three-phase network use "
            "--group-by agg_id or bus_id"
        )
    col = "agg_id" if group_by is GroupBy.AGG_ID else "bus_id"
    if col not in assets.columns:
        raise InputError(f"table der_assets: column {col} missing (needed by --group-by {col})")
    keys = assets[col]
    has = keys.notna().to_numpy()
    text = keys.astype(str).to_numpy()
    order = list(dict.fromkeys(text[has].tolist()))
    groups = [(g, np.flatnonzero(has & (text == g))) for g in order]
    return groups, np.flatnonzero(~has).tolist()


#: Largest support LP of one group (linear terms of its limit rows) built: Pyomo holds
#: each term as Python objects (IEEE 8500's one group of 1179 assets x 25,600 rows, 60 M
#: terms, reached 12.8 GB before it was stopped).
MAX_LP_TERMS = 4_000_000
#: Networks with at most this many limit rows (2 x limited node phases + rated conductors)
#: keep every row in every group's LP; larger ones only the rows a group can bind (a
#: Pyomo model of IEEE 8500's 25,600 rows took seconds a group, for 827 bus groups).
FULL_ROWS = 4000


def binding_rows(data, lin, members, lo, hi, cap, options: EnvelopeOptions):  # type: ignore[no-untyped-def]
    """Voltage rows (T) and current rows (C) that can bind for group ``members``.

    Only the members move, each within its box, so a limit row's linear prediction lies
    within ``value0 +- sum_d |g_d| max|x_d - x0_d|``; a row whose whole range is inside its
    limit is redundant and left out on networks with more than :data:`FULL_ROWS` limit rows
    (the LP's optimum is the same). AC violations of any limit are still cut afterwards
    (:meth:`_GroupLp.add_secant_cuts` works on any row).
    """
    if not options.network_limits:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    all_v, all_c = np.flatnonzero(data.limited), np.flatnonzero(data.rated)
    if 2 * len(all_v) + len(all_c) <= FULL_ROWS:
        # A small network keeps every row: the group's optimum splits among its members
        # in ways the LP leaves open (ties), and redundant rows change which split HiGHS
        # returns, so small models stay as they were.
        return all_v, all_c
    dp = np.maximum(
        data.der_p_max[members] - lin.p[members], lin.p[members] - data.der_p_min[members]
    )
    dq = np.maximum(
        data.der_q_max[members] - lin.q[members], lin.q[members] - data.der_q_min[members]
    )
    dp, dq = np.nan_to_num(np.maximum(dp, 0.0)), np.nan_to_num(np.maximum(dq, 0.0))
    reach_v = np.abs(lin.vm_dp[:, members]) @ dp + np.abs(lin.vm_dq[:, members]) @ dq
    vm0 = lin.vm
    rows_v = np.flatnonzero(data.limited & ((vm0 - reach_v < lo) | (vm0 + reach_v > hi)))
    reach_c = np.abs(lin.loading_dp[:, members]) @ dp + np.abs(lin.loading_dq[:, members]) @ dq
    rows_c = np.flatnonzero(data.rated & (lin.loading_pct + reach_c > cap))
    return rows_v, rows_c


def check_group_size(gid: str, n_members: int, rows_v: np.ndarray, rows_c: np.ndarray) -> None:
    """Refuse a group whose support LP would exceed :data:`MAX_LP_TERMS` (before building it).

    Raises
    ------
    gat_schemas.errors.InputError
        Naming the group, its size, the estimated memory and what to change.
    """
    terms = (2 * len(rows_v) + len(rows_c)) * 2 * n_members
    if terms <= MAX_LP_TERMS:
        return
    raise InputError(
        f"envelope (three-phase), group {gid}: {n_members} assets x {2 * len(rows_v)} voltage "
        f"and {len(rows_c)} current limit rows that can bind give an LP of {terms / 1e6:.0f} M "
        f"terms (about {terms * 200 / 1e9:.0f} GB; the limit is {MAX_LP_TERMS / 1e6:.0f} M): "
        "use smaller groups (--group-by bus_id, or more agg_id values) or study a sub-feeder"
    )


class _GroupLp:
    """The support LP of one group (objective direction as mutable parameters)."""

    def __init__(self, data, lin, members, lo, hi, cap, options: EnvelopeOptions) -> None:  # type: ignore[no-untyped-def]
        from gat_dist.opf.solve import persistent_highs

        self.data, self.lin, self.members = data, lin, members
        n_d = data.n_der
        m = pyo.ConcreteModel(name="envelope3")
        m.D = pyo.Set(initialize=range(n_d), ordered=True)
        inside = np.zeros(n_d, dtype=bool)
        inside[members] = True
        p_lo = np.where(inside, data.der_p_min, lin.p)
        p_hi = np.where(inside, data.der_p_max, lin.p)
        q_lo = np.where(inside, data.der_q_min, lin.q)
        q_hi = np.where(inside, data.der_q_max, lin.q)
        m.p = pyo.Var(m.D, bounds=lambda _m, d: (float(p_lo[d]), float(p_hi[d])))
        m.q = pyo.Var(m.D, bounds=lambda _m, d: (float(q_lo[d]), float(q_hi[d])))
        dp = {d: m.p[d] - float(lin.p[d]) for d in members.tolist()}
        dq = {d: m.q[d] - float(lin.q[d]) for d in members.tolist()}
        rows_v, rows_c = binding_rows(data, lin, members, lo, hi, cap, options)
        rows_v, rows_c = rows_v.tolist(), rows_c.tolist()
        m.T = pyo.Set(initialize=rows_v, ordered=True)
        m.lo = pyo.Param(m.T, mutable=True, initialize=lambda _m, t: float(lo[t]))
        m.hi = pyo.Param(m.T, mutable=True, initialize=lambda _m, t: float(hi[t]))

        def vm(t: int):  # type: ignore[no-untyped-def]
            return float(lin.vm[t]) + sum(
                float(lin.vm_dp[t, d]) * dp[d] + float(lin.vm_dq[t, d]) * dq[d] for d in dp
            )

        m.ineq_vm_lb = pyo.Constraint(m.T, rule=lambda _m, t: vm(t) >= m.lo[t])
        m.ineq_vm_ub = pyo.Constraint(m.T, rule=lambda _m, t: vm(t) <= m.hi[t])
        m.C = pyo.Set(initialize=rows_c, ordered=True)
        m.cap = pyo.Param(m.C, mutable=True, initialize=lambda _m, c: float(cap[c]))

        def amp(_m, c: int):  # type: ignore[no-untyped-def]
            load = float(lin.loading_pct[c]) + sum(
                float(lin.loading_dp[c, d]) * dp[d] + float(lin.loading_dq[c, d]) * dq[d]
                for d in dp
            )
            return load <= m.cap[c]

        m.ineq_amp = pyo.Constraint(m.C, rule=amp)
        sides = options.s_max_sides
        rated = [d for d in members.tolist() if math.isfinite(data.der_s_max[d])]
        m.DS = pyo.Set(initialize=[(d, k) for d in rated for k in range(sides)], dimen=2)
        shrink = math.cos(math.pi / sides)

        def s_rule(_m, d: int, k: int):  # type: ignore[no-untyped-def]
            a = 2.0 * math.pi * k / sides
            return math.cos(a) * m.p[d] + math.sin(a) * m.q[d] <= float(data.der_s_max[d]) * shrink

        m.ineq_der_s = pyo.Constraint(m.DS, rule=s_rule)
        m.cuts = pyo.ConstraintList()
        m.cp = pyo.Param(mutable=True, initialize=1.0)
        m.cq = pyo.Param(mutable=True, initialize=0.0)
        m.obj = pyo.Objective(
            expr=-(m.cp * sum(m.p[d] for d in dp) + m.cq * sum(m.q[d] for d in dp))
        )
        self.m = m
        self.opt = persistent_highs(m, {}, time_limit_s=options.time_limit_s)

    def add_secant_cuts(self, steps, vm, load, bad, limits) -> None:  # type: ignore[no-untyped-def]
        """Cut off the vertices the AC check rejects: for each broken (vertex, limit), the
        limit's linear row with its gradient corrected along the vertex's step ``s`` so that
        it gives the AC value there (``g + (ac - pred) s / |s|^2``). The row still holds at
        the base point (step 0), which the linear model gets exactly."""
        lin, m = self.lin, self.m
        n_d = len(lin.p)
        members = self.members.tolist()
        bad_lo, bad_hi, hot = bad
        lo, hi, cap = limits
        new = []

        def row(value0: float, grad: np.ndarray, s: np.ndarray, ac_value: float):  # type: ignore[no-untyped-def]
            g = grad + (ac_value - value0 - grad @ s) * s / max(float(s @ s), 1e-18)
            return float(value0) + sum(
                float(g[d]) * (m.p[d] - float(lin.p[d]))
                + float(g[n_d + d]) * (m.q[d] - float(lin.q[d]))
                for d in members
                if g[d] != 0 or g[n_d + d] != 0
            )

        def g_vm(t: int) -> np.ndarray:
            return np.concatenate([lin.vm_dp[t], lin.vm_dq[t]])

        def g_ld(c: int) -> np.ndarray:
            return np.concatenate([lin.loading_dp[c], lin.loading_dq[c]])

        for v, t in zip(*np.nonzero(bad_lo), strict=True):
            expr = row(lin.vm[t], g_vm(t), steps[v], vm[v, t])
            new.append(m.cuts.add(expr >= float(lo[t])))
        for v, t in zip(*np.nonzero(bad_hi), strict=True):
            expr = row(lin.vm[t], g_vm(t), steps[v], vm[v, t])
            new.append(m.cuts.add(expr <= float(hi[t])))
        for v, c in zip(*np.nonzero(hot), strict=True):
            expr = row(lin.loading_pct[c], g_ld(c), steps[v], load[v, c])
            new.append(m.cuts.add(expr <= float(cap[c])))
        self.opt.add_constraints(new)

    def solve(self, theta: float) -> tuple[np.ndarray, np.ndarray] | None:
        m = self.m
        m.cp.value, m.cq.value = math.cos(theta), math.sin(theta)
        self.opt.update_params()
        res = self.opt.solve(m)
        tc = res.termination_condition.name
        if tc == "infeasible":
            return None
        if tc != "optimal":
            raise SolverError(f"envelope (three-phase): HiGHS stopped with status {tc}")
        res.solution_loader.load_vars()
        p = np.array([m.p[d].value or 0.0 for d in m.D], dtype=float)
        q = np.array([m.q[d].value or 0.0 for d in m.D], dtype=float)
        return p, q


def compute_envelopes_3ph(
    network: Network,
    assets: pd.DataFrame,
    options: EnvelopeOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EnvelopeResult:
    """Envelopes of every group on a three-phase network (see the module doc).

    Raises
    ------
    gat_schemas.errors.InputError
        ``feeder`` grouping, no group, assets on unknown nodes or phases.
    gat_schemas.errors.SolverError
        No group has a feasible point, or a HiGHS failure.
    """
    import gat_pf
    from gat_dist.opf import OpfOptions
    from gat_dist.opf.threephase.ac import evaluate, linearise
    from gat_dist.opf.threephase.data import opf3_data
    from gat_pf import ThreePhaseOptions

    from .api import EnvelopeResult

    t0 = time.perf_counter()
    groups, ungrouped = _groups(assets, options.group_by)
    if not groups:
        raise InputError(
            "table der_assets, column agg_id: no asset has an agg_id, so there is no group "
            "(use --group-by bus_id)"
        )
    phys = gat_pf.physics_model(
        network, model="three_phase", options_3ph=ThreePhaseOptions(regulators="fixed")
    )
    opf_opts = OpfOptions(v_min=options.v_min, v_max=options.v_max, s_max_sides=options.s_max_sides)
    data = opf3_data(network, phys, opf_opts, assets=assets, cost_curves=None)
    ls = options.load_scale
    p0 = np.clip(0.0, data.der_p_min, data.der_p_max)
    q0 = np.clip(0.0, data.der_q_min, data.der_q_max)
    lin = linearise(data, p0, q0, load_scale=ls)
    # Limits the base case breaks, held at its value (plus a margin).
    labels = np.asarray(phys.term_label).astype(str)
    cond = np.asarray(phys.cond_label).astype(str)
    vm0, load0 = lin.vm, lin.loading_pct
    tol = options.held_tol_pu
    lo_h, hi_h = held_voltage(vm0, data.v_lo, data.v_hi, tol)
    lo0 = np.where(data.limited, lo_h, data.v_lo)
    hi0 = np.where(data.limited, hi_h, data.v_hi)
    cap0 = np.where(data.rated, held_cap(load0, 100.0, tol), 100.0)
    held = []
    if options.network_limits:
        for t in np.flatnonzero(lo0 != data.v_lo):
            held.append((labels[t], "v_min", float(data.v_lo[t]), float(lo0[t])))
        for t in np.flatnonzero(hi0 != data.v_hi):
            held.append((labels[t], "v_max", float(data.v_hi[t]), float(hi0[t])))
        for c in np.flatnonzero(cap0 != 100.0):
            held.append((cond[c], "ampacity", 100.0, float(cap0[c])))
    held_df = pd.DataFrame(held, columns=list(HELD_COLUMNS))
    build_s = time.perf_counter() - t0

    angles = options.angles
    total, done = len(groups) * len(angles), 0
    solved = []
    solve_s = verify_s = 0.0
    lp_solves = 0
    for gid, members in groups:  # every group's size before the first LP
        rows = binding_rows(data, lin, members, lo0, hi0, cap0, options)
        check_group_size(gid, len(members), *rows)
    for gid, members in groups:
        ts = time.perf_counter()
        lp = _GroupLp(data, lin, members, lo0, hi0, cap0, options)
        lo, hi, cap = lo0, hi0, cap0
        corrections = 0
        while True:
            pts = []
            for theta in angles:
                sol = lp.solve(theta)
                lp_solves += 1
                if sol is not None:
                    pts.append((theta, *sol))
                if corrections == 0:
                    done += 1
                    if progress is not None:
                        progress(done, total)
            if not pts:
                break
            tv = time.perf_counter()
            ac = evaluate(
                data,
                np.array([p for _, p, _ in pts]),
                np.array([q for *_, q in pts]),
                load_scale=ls,
            )
            verify_s += time.perf_counter() - tv
            if corrections >= options.corrections(True) or not options.network_limits:
                break
            steps = np.array([np.concatenate([p - p0, q - q0]) for _, p, q in pts])
            vm = ac.vm
            load = np.nan_to_num(ac.loading_pct, nan=0.0)
            bad_lo = data.limited & (vm < lo - options.vm_tol_pu)
            bad_hi = data.limited & (vm > hi + options.vm_tol_pu)
            hot = data.rated & (load > cap + options.thermal_tol_pct)
            if not (bad_lo.any() or bad_hi.any() or hot.any()):
                break
            lp.add_secant_cuts(steps, vm, load, (bad_lo, bad_hi, hot), (lo, hi, cap))
            corrections += 1
        solve_s += time.perf_counter() - ts
        # Keep what the tables need, not the vertices' full AC solutions (O(S T) per group:
        # IEEE 8500's 827 bus groups held 24 MB each) nor every asset's set point.
        checks = _vertex_checks(data, ac, options, (lo0, hi0, cap0)) if pts else None
        pts = [(theta, p[members], q[members]) for theta, p, q in pts]
        solved.append((gid, members, pts, checks, corrections))
    if all(not s[2] for s in solved):
        raise SolverError(
            "envelope (three-phase): no group has a feasible operating point within the limits"
        )
    envelopes, setpoints, summary = _tables(data, solved, options, (lo0, hi0, cap0))
    ids = data.der_ids
    outside = pd.DataFrame(
        {"asset_id": [str(i) for i in ids], "p_mw": p0 + 0.0, "q_mvar": q0 + 0.0}
    )
    return EnvelopeResult(
        envelopes=envelopes,
        summary=summary,
        setpoints=setpoints,
        ungrouped=tuple(str(ids[i]) for i in ungrouped),
        held=held_df,
        build_s=build_s,
        solve_s=solve_s,
        verify_s=verify_s,
        lp_solves=lp_solves,
        outside=outside,
    )


def _vertex_checks(data, ac, options: EnvelopeOptions, limits):  # type: ignore[no-untyped-def]
    """Per vertex (S,): converged, extreme limited voltages (pu), largest voltage and
    loading excess over the limits used (pu, %; held ones at their held value), passed."""
    from types import SimpleNamespace

    lo, hi, cap = limits
    if not options.network_limits:
        lo, hi, cap = data.v_lo, data.v_hi, np.full(len(data.rated), 100.0)
    vm = np.where(data.limited[None, :], ac.vm, np.nan)
    ev = np.maximum(lo - ac.vm, ac.vm - hi)
    ev = np.where(data.limited[None, :], np.maximum(ev, 0.0), 0.0).max(axis=1)
    et = np.where(data.rated[None, :], np.nan_to_num(ac.loading_pct, nan=0.0) - cap, 0.0)
    et = np.maximum(et, 0.0).max(axis=1, initial=0.0)
    passed = ac.converged & (ev <= options.vm_tol_pu) & (et <= options.thermal_tol_pct)
    return SimpleNamespace(
        converged=ac.converged,
        vm_min=np.nanmin(vm, axis=1),
        vm_max=np.nanmax(vm, axis=1),
        ev=ev,
        et=et,
        passed=passed,
    )


def _tables(data, solved, options: EnvelopeOptions, limits):  # type: ignore[no-untyped-def]
    """``der_envelopes``, ``der_envelope_setpoints``, ``der_envelope_summary`` from each
    group's vertices (members' set points) and :func:`_vertex_checks`."""
    rows, sp_rows, summary = [], [], []
    for gid, members, pts, ac, corrections in solved:
        if pts:
            pq = np.array([(p.sum(), q.sum()) for _, p, q in pts])
            hull = convex_hull(pq)
            idx = hull.index
            ev, et, passed = ac.ev, ac.et, ac.passed
        else:
            pq, idx, hull = np.zeros((0, 2)), np.zeros(0, dtype=np.int64), None
        for j, i in enumerate(idx.tolist()):
            theta, p, q = pts[i]
            rows.append(
                {
                    "group_id": gid,
                    "vertex": j,
                    "p_mw": float(pq[i, 0]),
                    "q_mvar": float(pq[i, 1]),
                    "theta_deg": math.degrees(theta),
                    "p_ac_mw": float(pq[i, 0]),
                    "q_ac_mvar": float(pq[i, 1]),
                    "vm_min_ac_pu": float(ac.vm_min[i]),
                    "vm_max_ac_pu": float(ac.vm_max[i]),
                    "ac_vm_violation_pu": float(ev[i]),
                    "ac_thermal_violation_pct": float(et[i]),
                    "ac_converged": bool(ac.converged[i]),
                    "ac_verified": bool(passed[i]),
                }
            )
            for k, a in enumerate(members.tolist()):
                sp_rows.append(
                    {
                        "group_id": gid,
                        "vertex": j,
                        "asset_id": str(data.der_ids[a]),
                        "p_mw": float(p[k]),
                        "q_mvar": float(q[k]),
                    }
                )
        n = len(idx)
        conv = bool(pts) and bool(ac.converged[idx].all())
        vv = ev[idx] if pts else np.zeros(0)
        tv = et[idx] if pts else np.zeros(0)
        summary.append(
            {
                "group_id": gid,
                "asset_count": len(members),
                "status": "optimal" if pts else "infeasible",
                "vertex_count": n,
                "p_min_mw": float(pq[idx, 0].min()) if n else math.nan,
                "p_max_mw": float(pq[idx, 0].max()) if n else math.nan,
                "q_min_mvar": float(pq[idx, 1].min()) if n else math.nan,
                "q_max_mvar": float(pq[idx, 1].max()) if n else math.nan,
                "area_mva2": float(hull.area) if hull is not None else 0.0,
                "ac_verified": bool(n > 0 and passed[idx].all()),
                "max_ac_violation": float(np.max(np.maximum(vv, tv / 100.0), initial=0.0))
                if conv
                else math.nan,
                "max_vm_violation_pu": float(np.max(vv, initial=0.0)) if conv else math.nan,
                "max_thermal_violation_pct": float(np.max(tv, initial=0.0)) if conv else math.nan,
                "lp_solves": len(options.angles) * (corrections + 1),
                "ac_corrections": corrections,
                "solve_s": 0.0,
                "message": None if pts else "no feasible operating point within the limits",
            }
        )
    env_cols = [
        "group_id", "vertex", "p_mw", "q_mvar", "theta_deg", "p_ac_mw", "q_ac_mvar",
        "vm_min_ac_pu", "vm_max_ac_pu", "ac_vm_violation_pu", "ac_thermal_violation_pct",
        "ac_converged", "ac_verified",
    ]  # fmt: skip
    envelopes = pd.DataFrame(rows, columns=env_cols).astype({"vertex": "int64"})
    setpoints = pd.DataFrame(
        sp_rows, columns=["group_id", "vertex", "asset_id", "p_mw", "q_mvar"]
    ).astype({"vertex": "int64"})
    summary_df = pd.DataFrame(summary).astype(
        {"asset_count": "int64", "vertex_count": "int64", "ac_corrections": "int64"}
    )
    return envelopes, setpoints, summary_df
