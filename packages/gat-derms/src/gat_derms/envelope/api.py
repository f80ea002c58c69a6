"""``compute_envelopes``: support LPs per group, convex hulls, one batched AC check."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError, SolverError

from .base import hold_broken_limits
from .correct import apply_correction, clear_correction, next_correction
from .groups import Group, select_groups
from .hull import convex_hull
from .model import SupportModel, SupportPoint, zero_point
from .options import EnvelopeModel, EnvelopeOptions
from .verify import verify_vertices

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["EnvelopeResult", "compute_envelopes"]


@dataclass(frozen=True, eq=False)
class EnvelopeResult:
    """P-Q flexibility envelopes of every group.

    Attributes
    ----------
    envelopes
        ``der_envelopes``: one row per hull vertex (group_id, vertex, p_mw, q_mvar, the
        direction that found it and its AC check), vertices counter-clockwise.
    summary
        ``der_envelope_summary``: one row per group (ranges, area in MVA^2, AC verdict).
    setpoints
        ``der_envelope_setpoints``: the group's asset set points at each vertex (MW, Mvar).
    ungrouped
        Asset ids in no group (``agg_id`` grouping: no agg_id); held at their zero point.
    held
        Limits the base case (every asset at its zero point) already breaks, held at their
        base-case value: ``element`` (node or branch id), ``limit`` (v_min, v_max,
        thermal_limit), ``value`` (the limit), ``held_at`` (the value used; pu or MVA).
    build_s, solve_s, verify_s
        Wall times (s): model build, all support LPs, the batched AC check.
    lp_solves
        LPs solved in all (support LPs and their cut rounds).
    outside
        ``asset_id``, ``p_mw``, ``q_mvar``: the set point (MW, Mvar; generation positive)
        each asset is held at while an envelope it is not part of is computed (the point of
        its box nearest zero injection).
    """

    envelopes: pd.DataFrame
    summary: pd.DataFrame
    setpoints: pd.DataFrame
    ungrouped: tuple[str, ...]
    held: pd.DataFrame
    build_s: float
    solve_s: float
    verify_s: float
    lp_solves: int
    outside: pd.DataFrame


@dataclass(frozen=True, eq=False)
class _Solved:
    group: Group
    points: list[SupportPoint]
    status: str
    message: str
    solve_s: float
    lp_solves: int = 0
    corrections: int = 0


def _solve_group(
    model: SupportModel, group: Group, angles: list[float], tick: Callable[[], None]
) -> _Solved:
    t0 = time.perf_counter()
    model.select(group)
    try:
        first = model.solve(angles[0])
    except SolverError as exc:
        if "infeasible" not in str(exc):
            raise
        for _ in angles:
            tick()
        return _Solved(group, [], "infeasible", str(exc), time.perf_counter() - t0)
    tick()
    points = [first]
    for theta in angles[1:]:
        points.append(model.solve(theta))
        tick()
    lps = sum(p.lp_solves for p in points)
    limited = sum(p.status != "optimal" for p in points)
    if limited:
        note = f"{limited} support LP(s) stopped at the cut-round limit"
        return _Solved(group, points, "cut_limit", note, time.perf_counter() - t0, lps)
    return _Solved(group, points, "optimal", "", time.perf_counter() - t0, lps)


def _vertices(points: list[SupportPoint]) -> list[SupportPoint]:
    hull = convex_hull(np.array([(p.p_mw, p.q_mvar) for p in points]))
    return [points[i] for i in hull.index.tolist()]


def _check(model: SupportModel, groups: list[Group], points: list[SupportPoint], load_scale: float):  # type: ignore[no-untyped-def]
    n, d = len(points), model.data.n_der
    return verify_vertices(
        model.data,
        groups,
        np.array([p.p_der_mw for p in points]).reshape(n, d),
        np.array([p.q_der_mvar for p in points]).reshape(n, d),
        load_scale=load_scale,
    )


def _correct_group(
    model: SupportModel, solved: _Solved, angles: list[float], options: EnvelopeOptions
) -> _Solved:
    """LinDistFlow: tighten the group's LP limits by what the AC check of its vertices finds
    and solve its LPs again, up to ``options.ac_corrections`` times (see :mod:`.correct`)."""
    t0 = time.perf_counter()
    group, points, lps, note = solved.group, solved.points, solved.lp_solves, solved.message
    corr = None
    for _ in range(options.corrections(False)):
        vertices = _vertices(points)
        check = _check(model, [group] * len(vertices), vertices, options.load_scale)
        new = next_correction(
            model, vertices, check, options.vm_tol_pu, options.thermal_tol_pct, corr
        )
        if new is None:
            break
        corr = new
        apply_correction(model, corr)
        try:
            points = [model.solve(t) for t in angles]
        except SolverError:
            note = "the AC-corrected LPs are infeasible; the previous vertices are reported"
            break
        lps += sum(p.lp_solves for p in points)
    if corr is not None:
        clear_correction(model, corr)
    rounds = 0 if corr is None else corr.rounds
    return _Solved(
        group, points, solved.status, note, solved.solve_s + time.perf_counter() - t0, lps,
        rounds,
    )  # fmt: skip


def compute_envelopes(
    network: Network,
    assets: pd.DataFrame,
    options: EnvelopeOptions = EnvelopeOptions(),  # noqa: B008 -- frozen, immutable
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EnvelopeResult:
    """P-Q flexibility envelope of each asset group, network limits included, AC-verified.

    For each group and each direction ``theta_k`` (see :class:`EnvelopeOptions`) one LP
    maximises ``cos(theta) P + sin(theta) Q`` of the group's aggregate injection at its point
    of connection (the sum of its assets' injections; for feeder groups the feeder's export
    at its head, loads and losses included) subject to the asset limits (boxes
    ``[p_min, p_max] x [q_min, q_max]`` and the inverter circle ``s_max`` as an inscribed
    polygon) and the network (power flow, voltage and thermal limits). Assets outside the
    group are held at the point of their box nearest zero injection; a limit the network
    already breaks with every asset there is held at its base-case value (see
    :mod:`gat_derms.envelope.base`). The envelope is the convex hull of the support points:
    every vertex is an operating point the LP found feasible, so the hull is an inner
    approximation of the exact region that grows with K. Every vertex's asset set points
    are re-solved with the AC power flow (all vertices of all groups in one batch).

    Parameters
    ----------
    network
        A radial network. A network with three-phase tables goes to
        :func:`gat_derms.envelope.threephase.compute_envelopes_3ph` (linearised three-phase
        AC model with AC corrections; ``model`` does not apply there).
    assets
        The ``der_assets`` table (MW, Mvar; generation positive).
    options
        Grouping, directions, network model, limits, AC tolerances.
    progress
        Called as ``progress(done, total)`` after each support LP (total: groups x K).

    Returns
    -------
    EnvelopeResult

    Raises
    ------
    gat_schemas.errors.InputError
        No assets, a meshed network, assets on unknown nodes, or grouping columns missing.
    gat_schemas.errors.SolverError
        No group has a feasible operating point (the message names the limits that relax
        it), or a HiGHS failure.
    """
    if assets is None or len(assets) == 0:
        raise InputError("table der_assets: no assets, so there is no envelope to compute")
    from gat_pf.physics import is_three_phase

    if is_three_phase(network):
        from .threephase import compute_envelopes_3ph

        return compute_envelopes_3ph(network, assets, options, progress=progress)
    t0 = time.perf_counter()
    model, held = _build(network, assets, options)
    build_s = time.perf_counter() - t0
    data = model.data
    groups, ungrouped = select_groups(data, assets, network.nodes, options.group_by)
    if not groups:
        raise InputError(
            "table der_assets, column agg_id: no asset has an agg_id, so there is no group "
            "(use --group-by bus_id or feeder)"
        )
    angles = options.angles
    total = len(groups) * len(angles)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    correct = (
        options.model is EnvelopeModel.LINDISTFLOW
        and options.network_limits
        and options.corrections(False) > 0
    )
    solved = []
    for g in groups:
        s = _solve_group(model, g, angles, tick)
        if correct and s.status == "optimal":
            s = _correct_group(model, s, angles, options)
        solved.append(s)
    if all(s.status == "infeasible" for s in solved):
        raise SolverError(solved[0].message)
    hulls = [convex_hull(np.array([(p.p_mw, p.q_mvar) for p in s.points])) for s in solved]
    t0 = time.perf_counter()
    vgroups: list[Group] = []
    vpoints: list[SupportPoint] = []
    for s, h in zip(solved, hulls, strict=True):
        for i in h.index.tolist():
            vgroups.append(s.group)
            vpoints.append(s.points[i])
    check = _check(model, vgroups, vpoints, options.load_scale)
    verify_s = time.perf_counter() - t0
    envelopes, setpoints, summary = _tables(data, solved, hulls, vpoints, check, options)
    ids = data.der_ids
    p0, q0 = zero_point(data)
    outside = pd.DataFrame(
        {
            "asset_id": [str(i) for i in ids],
            "p_mw": p0 * data.base_mva + 0.0,
            "q_mvar": q0 * data.base_mva + 0.0,
        }
    )
    return EnvelopeResult(
        envelopes=envelopes,
        summary=summary,
        setpoints=setpoints,
        ungrouped=tuple(str(ids[i]) for i in ungrouped),
        held=held,
        build_s=build_s,
        solve_s=sum(s.solve_s for s in solved),
        verify_s=verify_s,
        lp_solves=sum(s.lp_solves for s in solved),
        outside=outside,
    )


def _build(
    network: Network, assets: pd.DataFrame, options: EnvelopeOptions
) -> tuple[SupportModel, pd.DataFrame]:
    """The support model on the network with broken limits held at the base case.

    The AC base case decides first; if the LP model still finds the base case infeasible
    (LinDistFlow puts voltages a little higher than AC does), its own base-case values are
    held too and the model is built again.
    """
    lp_options = replace(options, v_min=None, v_max=None)  # written into dist_nodes
    held_net, held = hold_broken_limits(network, assets, options)
    model = SupportModel(held_net, assets, lp_options)
    if not options.network_limits:
        return model, held
    try:
        model.base_point()
    except SolverError:
        free = SupportModel(held_net, assets, replace(lp_options, network_limits=False))
        try:
            lp_vm, lp_s = free.base_point()
        except SolverError:
            return model, held
        held_net, held = hold_broken_limits(network, assets, options, lp_vm=lp_vm, lp_s=lp_s)
        model = SupportModel(held_net, assets, lp_options)
    return model, held


def _tables(data, solved, hulls, vpoints, check, options):  # type: ignore[no-untyped-def]
    """The three result tables, in group order then vertex order."""
    vm_tol, th_tol = options.vm_tol_pu, options.thermal_tol_pct
    passed = (
        check.converged
        & (np.nan_to_num(check.vm_violation_pu, nan=np.inf) <= vm_tol)
        & (np.nan_to_num(check.thermal_violation_pct, nan=np.inf) <= th_tol)
    )
    rows, sp_rows, summary = [], [], []
    k = 0
    for s, h in zip(solved, hulls, strict=True):
        n = len(h.index)
        sl = slice(k, k + n)
        k += n
        for j in range(n):
            pt = vpoints[sl][j]
            c = sl.start + j
            rows.append(
                {
                    "group_id": s.group.group_id,
                    "vertex": j,
                    "p_mw": pt.p_mw,
                    "q_mvar": pt.q_mvar,
                    "theta_deg": math.degrees(pt.theta),
                    "p_ac_mw": float(check.p_ac_mw[c]),
                    "q_ac_mvar": float(check.q_ac_mvar[c]),
                    "vm_min_ac_pu": float(check.vm_min_pu[c]),
                    "vm_max_ac_pu": float(check.vm_max_pu[c]),
                    "ac_vm_violation_pu": float(check.vm_violation_pu[c]),
                    "ac_thermal_violation_pct": float(check.thermal_violation_pct[c]),
                    "ac_converged": bool(check.converged[c]),
                    "ac_verified": bool(passed[c]),
                }
            )
            for a in s.group.assets.tolist():
                sp_rows.append(
                    {
                        "group_id": s.group.group_id,
                        "vertex": j,
                        "asset_id": str(data.der_ids[a]),
                        "p_mw": float(pt.p_der_mw[a]),
                        "q_mvar": float(pt.q_der_mvar[a]),
                    }
                )
        pq = np.array([(p.p_mw, p.q_mvar) for p in vpoints[sl]]).reshape(n, 2)
        vm_v = check.vm_violation_pu[sl]
        th_v = check.thermal_violation_pct[sl]
        conv = bool(check.converged[sl].all())
        worst = float(np.max(np.maximum(vm_v, th_v / 100.0), initial=0.0)) if conv else math.nan
        summary.append(
            {
                "group_id": s.group.group_id,
                "asset_count": len(s.group.assets),
                "status": s.status,
                "vertex_count": n,
                "p_min_mw": float(pq[:, 0].min()) if n else math.nan,
                "p_max_mw": float(pq[:, 0].max()) if n else math.nan,
                "q_min_mvar": float(pq[:, 1].min()) if n else math.nan,
                "q_max_mvar": float(pq[:, 1].max()) if n else math.nan,
                "area_mva2": float(h.area),
                "ac_verified": bool(n > 0 and passed[sl].all()),
                "max_ac_violation": worst if n else math.nan,
                "max_vm_violation_pu": float(np.max(vm_v, initial=0.0)) if conv and n else math.nan,
                "max_thermal_violation_pct": float(np.max(th_v, initial=0.0))
                if conv and n
                else math.nan,
                "lp_solves": s.lp_solves,
                "ac_corrections": s.corrections,
                "solve_s": s.solve_s,
                "message": s.message or None,
            }
        )
    env_cols = [
        "group_id", "vertex", "p_mw", "q_mvar", "theta_deg", "p_ac_mw", "q_ac_mvar",
        "vm_min_ac_pu", "vm_max_ac_pu", "ac_vm_violation_pu", "ac_thermal_violation_pct",
        "ac_converged", "ac_verified",
    ]  # fmt: skip
    envelopes = pd.DataFrame(rows, columns=env_cols)
    envelopes["vertex"] = envelopes["vertex"].astype("int64")
    setpoints = pd.DataFrame(
        sp_rows, columns=["group_id", "vertex", "asset_id", "p_mw", "q_mvar"]
    ).astype({"vertex": "int64"})
    summary_df = pd.DataFrame(summary)
    summary_df = summary_df.astype(
        {"asset_count": "int64", "vertex_count": "int64", "ac_corrections": "int64"}
    )
    return envelopes, setpoints, summary_df
