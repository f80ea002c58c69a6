"""One fault, resolved: trip, isolation, upstream re-closing, transfer through ties, AC check.

Timeline of a fault (hours from the fault; ``op(d)`` is the device's ``operate_time_h``,
the time from the fault at which it can be operated, automated or by a crew):

1. ``t = 0``: the nearest protective device at or above the isolation zone trips (no
   protective device: the implicit source breaker, ``op = 0``). Every node below it is out.
2. The nearest devices around the isolation zone are opened. Nodes above the upstream one
   are back when it is open and the tripped device is re-closed:
   ``max(op(upstream device), op(tripped device))``.
3. Nodes below the zone are transferred by the MILP's plan. An energised island of the plan
   is back when every operation touching it (opening the zone's downstream devices,
   closing ties, opening switches that make room) is done: the largest ``op`` among them;
   islands joined by an opened switch share their time (the transfer is one sequence), and
   an island fed through nodes of step 2 is not back before they are. Customers that never
   lost supply stay energised: if the plan moves them to another source to make room, the
   transfer is assumed closed-loop (tie closed before the switch opens), without interruption.
4. The isolation zone, and nodes the plan cannot restore, wait for the repair; so does any
   node whose switching time is not shorter than the repair time.

Interruptions of at most 5 minutes (IEEE 1366 momentary) are not sustained.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .ac import AcCheck, AcChecker
from .ac3 import PhaseAcChecker
from .grid import FlisrGrid
from .milp import MilpSolution, RestorationMilp
from .options import FlisrOptions
from .zones import FaultZones

__all__ = ["Outcome", "resolve_fault"]

_W_MARGIN = 1e-4  # pu^2 added when a node's v^2 limit is tightened after an AC check
_S_MARGIN = 0.999  # factor on a rating tightened after an AC check


@dataclass(frozen=True, eq=False)
class Outcome:
    """What one fault does (node arrays of length N).

    Attributes
    ----------
    zones
        Trip, isolation and candidate masks.
    time_h
        Switching restoration time per interrupted node (h); ``inf`` = waits for repair;
        NaN where not interrupted.
    restored
        Candidates restored through ties.
    reachable
        Candidates connected to a live slack through usable branches (ignoring limits).
    opened, closed
        Device ids opened (isolation and reconfiguration) and closed (ties), in order.
    tripped
        Id of the device that trips ("" = implicit source breaker or none).
    milp_status
        ``optimal``, ``time_limit``, ``infeasible``, ``not_needed`` or ``disabled``.
    ac
        AC check of the final configuration.
    ac_rounds
        Re-solves with tightened limits.
    ac_rejected
        The transfer plan still broke a limit in AC after ``ac_rounds``; it was not
        carried out and the candidates wait for the repair.
    energised, closed_branches
        Final configuration: energised nodes, closed branches between energised nodes.
    """

    zones: FaultZones
    time_h: np.ndarray
    restored: np.ndarray
    reachable: np.ndarray
    opened: tuple[str, ...]
    closed: tuple[str, ...]
    tripped: str
    milp_status: str
    ac: AcCheck
    ac_rounds: int
    energised: np.ndarray
    closed_branches: np.ndarray
    ac_rejected: bool = False


def _components(grid: FlisrGrid, edges: np.ndarray) -> np.ndarray:
    n = grid.n_node
    f, t = grid.f[edges], grid.t[edges]
    g = sp.coo_matrix((np.ones(len(f)), (f, t)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _reachable(grid: FlisrGrid, zones: FaultZones) -> np.ndarray:
    alive = ~zones.dead
    usable = (grid.has_device | grid.closed) & alive[grid.f] & alive[grid.t]
    label = _components(grid, np.flatnonzero(usable))
    fed = np.unique(label[grid.is_slack & alive])
    return zones.candidates & np.isin(label, fed)


def _plan_times(
    grid: FlisrGrid, zones: FaultZones, sol: MilpSolution, node_time: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operated branches (opened, closed) and the restoration time of each node's island.

    ``node_time`` holds the time already known for nodes restored by re-closing: an island
    that reaches a source through them is not back before they are.
    """
    z, y = sol.z, sol.y
    changed = grid.has_device & (y != grid.closed)
    for b in (zones.upstream_branch, zones.trip_branch):
        if b >= 0:
            changed[b] = False
    live_end = z[grid.f] | z[grid.t]
    opened = changed & grid.closed & live_end
    closed = changed & ~grid.closed
    both = z[grid.f] & z[grid.t]
    label = _components(grid, np.flatnonzero((y & both) | (opened & both)))
    time = np.zeros(label.max() + 1)
    for b in np.flatnonzero(opened | closed).tolist():
        for end in (grid.f[b], grid.t[b]):
            if z[end]:
                time[label[end]] = max(time[label[end]], grid.op_time_h[b])
    up = np.flatnonzero(zones.upstream & z)
    np.maximum.at(time, label[up], node_time[up])
    return opened, closed, time[label]


def _tighten(
    milp: RestorationMilp, checker: AcChecker | PhaseAcChecker, sol: MilpSolution, ac: AcCheck
) -> bool:
    """Tighten the MILP where the AC check failed; False when nothing can be tightened."""
    w_cur, s_cur = milp.limits()
    if not ac.converged:
        restored = np.flatnonzero(sol.z)
        milp.tighten({int(i): w_cur[i] + 0.01 for i in restored}, {})
        return True
    w_new = {
        int(i): max(w_cur[i], sol.w[i]) + (sol.w[i] - ac.vm[i] ** 2) + _W_MARGIN
        for i in ac.low_nodes
    }
    limit = checker.loading_hi / 100.0 * checker.grid.rating_pu
    s_new = {
        int(b): s_cur[b] * limit[b] / ac.s_pu[b] * _S_MARGIN
        for b in ac.over_branches
        if ac.s_pu[b] > 0
    }
    if not w_new and not s_new:
        return False
    milp.tighten(w_new, s_new)
    return True


def resolve_fault(
    grid: FlisrGrid,
    zones: FaultZones,
    *,
    milp: RestorationMilp | None,
    checker: AcChecker | PhaseAcChecker,
    options: FlisrOptions,
) -> Outcome:
    """Resolve one fault (see the module docstring for the timeline).

    Parameters
    ----------
    grid
        The FLISR array model.
    zones
        Zones of the fault, from :func:`~gat_adms.flisr.zones.fault_zones`.
    milp
        The restoration model (``None`` when ``options.restore == "none"``).
    checker
        AC power flows of configurations.
    options
        FLISR settings.
    """
    n = grid.n_node
    time = np.full(n, np.nan)
    interrupted = zones.interrupted
    time[interrupted] = np.inf
    up, trip = zones.upstream_branch, zones.trip_branch
    opened_ids: list[str] = []
    if up >= 0 and up != trip:
        opened_ids.append(str(grid.op_device[up]))
    if zones.upstream.any():
        t_trip = grid.protect_time_h[trip] if trip >= 0 else 0.0
        time[zones.upstream] = max(grid.op_time_h[up], t_trip)
    energised = ~interrupted | zones.upstream
    closed_cfg = grid.closed.copy()
    restored = np.zeros(n, bool)
    closed_ids: list[str] = []
    reachable = np.zeros(n, bool)
    cand = zones.candidates
    rounds = 0
    rejected = False
    isolated_ac: AcCheck | None = None
    if not cand.any():
        status = "not_needed"
    elif milp is None:
        status = "disabled"
    else:
        reachable = _reachable(grid, zones)
        on, off = energised, zones.dead
        check = checker.run
        if checker.holds_isolation:
            # Plans are also held to the isolated state (see PhaseAcChecker).
            isolated = grid.closed.copy()
            if up >= 0:
                isolated[up] = False
            isolated_ac = checker.run(energised, isolated)
            check = partial(checker.run, hold=isolated_ac)
        sol = milp.solve(on, off)
        ac = check(sol.z, sol.y) if sol.status != "infeasible" else None
        while (
            ac is not None
            and not ac.ok
            and rounds < options.ac_rounds
            and _tighten(milp, checker, sol, ac)
        ):
            rounds += 1
            nxt = milp.solve(on, off)
            if nxt.status == "infeasible":
                break
            sol, ac = nxt, check(nxt.z, nxt.y)
        milp.reset()
        status = sol.status
        # A plan that still breaks a limit in AC after the correction rounds is not carried
        # out (it restores nobody), so the indices are never optimistic.
        rejected = ac is not None and not ac.ok
        if not rejected and sol.status != "infeasible":
            restored = cand & sol.z
            opened, closed, island_time = _plan_times(grid, zones, sol, time)
            time[restored] = island_time[restored]
            opened_ids += [str(d) for d in grid.op_device[opened]]
            closed_ids = [str(d) for d in grid.op_device[closed]]
            return Outcome(
                zones=zones,
                time_h=time,
                restored=restored,
                reachable=reachable,
                opened=tuple(opened_ids),
                closed=tuple(closed_ids),
                tripped=str(grid.protect_device[trip]) if trip >= 0 else "",
                milp_status=status,
                ac=ac,
                ac_rounds=rounds,
                energised=sol.z.copy(),
                closed_branches=sol.y & sol.z[grid.f] & sol.z[grid.t],
            )
    if up >= 0:
        closed_cfg[up] = False
    if isolated_ac is not None:  # the same configuration, already solved
        ac = isolated_ac
    else:
        ac = checker.run(energised, closed_cfg) if interrupted.any() else checker.normal
    return Outcome(
        zones=zones,
        time_h=time,
        restored=restored,
        reachable=reachable,
        opened=tuple(opened_ids),
        closed=tuple(closed_ids),
        tripped=str(grid.protect_device[trip]) if trip >= 0 else "",
        milp_status=status,
        ac=ac,
        ac_rounds=rounds,
        ac_rejected=rejected,
        energised=energised,
        closed_branches=closed_cfg & energised[grid.f] & energised[grid.t],
    )
