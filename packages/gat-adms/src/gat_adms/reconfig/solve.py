"""``reconfigure``: choose the open/closed state of the switchable branches.

The relaxed model ranks configurations whose losses differ by a fraction of a kilowatt, so
its answer is not final: the MILP's pool of configurations and the branch exchanges around
its optimum are solved in AC in one batch and the AC-best is returned (then a few rounds of
branch exchange around the AC-best, one batch each, until nothing improves). Single
exchanges stop at local optima, so an iterated local search follows (balanced and
three-phase networks alike): random multi-exchange kicks of the AC-best, each followed by
exchange rounds, within a time budget relative to the search before them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas import Network
from gat_schemas.errors import InputError

from .evaluate import AcEvaluation, evaluate, score, with_states
from .grid import ReconfigGrid, build_reconfig_grid, switchable_all
from .options import ReconfigOptions
from .topology import enumerate_radial, exchange_neighbours, orient

__all__ = ["ReconfigResult", "lindistflow_loss_mw", "reconfigure"]

#: Share of the search's time before the kicks that the kicks may add (see
#: ``ReconfigOptions.kicks``).
KICK_TIME_SHARE = 0.5

#: Configurations solved per batch of the exhaustive method (memory: about
#: ``chunk * N * 16`` bytes per array).
EXHAUSTIVE_CHUNK = 20_000


@dataclass(frozen=True, eq=False)
class ReconfigResult:
    """What reconfiguration chose.

    Attributes
    ----------
    switches
        ``reconfig_switches`` table: every switchable branch, state before and after.
    summary
        ``reconfig_summary`` table: one row per load scenario.
    network
        The network in the chosen configuration (the last scenario's, with ``per_scenario``).
    seconds
        Wall time (s).
    """

    switches: pd.DataFrame
    summary: pd.DataFrame
    network: Network
    seconds: float


def lindistflow_loss_mw(grid: ReconfigGrid, closed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """(C, S) losses the relaxed model assigns: ``sum r (P^2 + Q^2)`` with lossless radial flows.

    The flow through an edge is the net load below it (LinDistFlow); MW on the power base.
    """
    closed = np.atleast_2d(closed)
    trees = orient(grid, closed)
    c, n = trees.parent.shape
    order = np.argsort(np.where(trees.depth < 0, n, trees.depth), axis=1, kind="stable")
    s_node = (grid.load_p_mw + 1j * grid.load_q_mvar) / grid.base_mva
    acc = np.broadcast_to(s_node, (c, n)).copy()
    rows = np.arange(c)
    n_slack = int(grid.is_slack.sum())
    for k in range(n - 1, n_slack - 1, -1):
        node = order[:, k]
        par = trees.parent[rows, node]
        ok = par >= 0
        acc[rows[ok], par[ok]] += acc[rows[ok], node[ok]]
    flow = np.where(trees.pedge >= 0, acc, 0.0)
    r = np.where(trees.pedge >= 0, grid.r[np.maximum(trees.pedge, 0)], 0.0)
    base = (r * np.abs(flow) ** 2).sum(axis=1) * grid.base_mva
    return base[:, None] * np.asarray(scales, float)[None, :] ** 2


def _unique_rows(a: np.ndarray) -> np.ndarray:
    _, first = np.unique(np.packbits(a, axis=1), axis=0, return_index=True)
    return a[np.sort(first)]


def _ops(closed: np.ndarray, start: np.ndarray) -> np.ndarray:
    return (np.atleast_2d(closed) != start[None, :]).sum(axis=1)


def _pick(value: np.ndarray, violation: np.ndarray, allowed: np.ndarray | float = 0.0) -> int:
    """Best objective among the configurations whose violation of each kind of limit
    (``violation`` (C, 3), see :func:`score`) is at most ``allowed`` (3,) (the present
    state's: a limit it already breaks is held at its value, one it keeps may not be
    broken), else among all that converge."""
    feasible = np.isfinite(value) & (violation <= np.asarray(allowed) + 1e-9).all(axis=1)
    pool = feasible if feasible.any() else np.isfinite(value)
    if not pool.any():
        raise InputError("reconfiguration: no configuration's AC power flow converged")
    return int(np.flatnonzero(pool)[np.argmin(value[pool])])


@dataclass(frozen=True, eq=False)
class _Choice:
    closed: np.ndarray
    ev: AcEvaluation
    status: str
    gap: float
    solves: int
    evaluated: int
    batches: int
    pool_rank: int


def _search(
    grid: ReconfigGrid,
    network: Network,
    scales: np.ndarray,
    weights: np.ndarray,
    options: ReconfigOptions,
    progress: Callable[[int, int], None] | None = None,
) -> _Choice:
    t_start = time.perf_counter()
    start = grid.closed0
    limit = options.max_switch_ops
    _, before = score(evaluate(grid, network, start[None, :], scales), weights, options.objective)
    allowed = np.where(np.isfinite(before[0]), before[0], 0.0)
    if options.method == "exhaustive":
        cand = enumerate_radial(grid, max_configurations=options.max_configurations)
        if limit is not None:
            cand = cand[_ops(cand, start) <= limit]
        if not len(cand):
            raise InputError(
                f"reconfiguration: no radial configuration within {limit} switch operations"
            )
        batches = 0
        values, viols = [], []
        for lo in range(0, len(cand), EXHAUSTIVE_CHUNK):
            ev = evaluate(grid, network, cand[lo : lo + EXHAUSTIVE_CHUNK], scales)
            batches += 1
            if progress is not None:
                progress(min(lo + EXHAUSTIVE_CHUNK, len(cand)), len(cand))
            v, x = score(ev, weights, options.objective)
            values.append(v)
            viols.append(x)
        value, viol = np.concatenate(values), np.concatenate(viols)
        best_k = _pick(value, viol, allowed)
        best_ev = evaluate(grid, network, cand[best_k : best_k + 1], scales)
        return _Choice(
            closed=cand[best_k],
            ev=best_ev,
            status="not_used",
            gap=float("nan"),
            solves=0,
            evaluated=len(cand),
            batches=batches,
            pool_rank=0,
        )
    from .milp import solve_pool

    pool = solve_pool(grid, scales, weights, options)
    center = pool.closed[0]
    neigh = exchange_neighbours(grid, orient(grid, center), 0, start=start, max_ops=limit)
    cand = _unique_rows(np.concatenate([pool.closed, neigh]))
    ev = evaluate(grid, network, cand, scales)
    evaluated, batches = len(cand), 1
    value, viol = score(ev, weights, options.objective)
    k = _pick(value, viol, allowed)
    best, best_value, best_viol = cand[k], value[k], viol[k]
    best_ev = _row(ev, k)
    seen = {np.packbits(r).tobytes() for r in cand}
    for _ in range(options.exchange_rounds):
        neigh = exchange_neighbours(grid, orient(grid, best), 0, start=start, max_ops=limit)
        fresh = [r for r in neigh if np.packbits(r).tobytes() not in seen]
        if not fresh:
            break
        cand2 = np.array(fresh)
        seen.update(np.packbits(r).tobytes() for r in cand2)
        if options.objective == "loss" and len(cand2) > options.screen_top:
            # Screen with the relaxed losses (closed form on the trees), solve the best in AC.
            relaxed = lindistflow_loss_mw(grid, cand2, scales) @ (weights / weights.sum())
            cand2 = cand2[np.argsort(relaxed, kind="stable")[: options.screen_top]]
        ev2 = evaluate(grid, network, cand2, scales)
        evaluated += len(cand2)
        batches += 1
        v2, x2 = score(ev2, weights, options.objective)
        both_v = np.concatenate([[best_value], v2])
        both_x = np.vstack([best_viol[None, :], x2])
        j = _pick(both_v, both_x, allowed)
        if j == 0:
            break
        best, best_value, best_viol = cand2[j - 1], v2[j - 1], x2[j - 1]
        best_ev = _row(ev2, j - 1)
    if options.kicks:
        rng = np.random.default_rng(0)
        # The kicks may take KICK_TIME_SHARE of the time the search has taken so far (at
        # least 1 s): they refine, they do not dominate the run.
        budget = max(1.0, KICK_TIME_SHARE * (time.perf_counter() - t_start))
        t_kicks = time.perf_counter()
        cache: dict[bytes, tuple[float, np.ndarray, AcEvaluation]] = {}
        for _ in range(options.kicks):
            if time.perf_counter() - t_kicks > budget:
                break
            cur = best
            for _ in range(int(rng.integers(2, 5))):
                neigh = exchange_neighbours(grid, orient(grid, cur), 0, start=start, max_ops=limit)
                if not len(neigh):
                    break
                cur = neigh[int(rng.integers(len(neigh)))]
            ev_c = evaluate(grid, network, cur[None, :], scales)
            v_c, x_c = score(ev_c, weights, options.objective)
            evaluated += 1
            batches += 1
            if not np.isfinite(v_c[0]):
                continue  # a kick that lands where the AC power flow fails: no descent
            cur, v_c, x_c, ev_c, n_ev, n_b = _descend(
                grid, network, scales, weights, options, allowed, cur, v_c[0], x_c[0], ev_c, cache
            )
            evaluated += n_ev
            batches += n_b
            j = _pick(np.array([best_value, v_c]), np.vstack([best_viol, x_c]), allowed)
            if j == 1 and not (cur == best).all():
                best, best_value, best_viol, best_ev = cur, v_c, x_c, ev_c
    match = np.flatnonzero((pool.closed == best[None, :]).all(axis=1))
    return _Choice(
        closed=best,
        ev=best_ev,
        status=pool.status,
        gap=pool.gap,
        solves=pool.solves,
        evaluated=evaluated,
        batches=batches,
        pool_rank=int(match[0]) + 1 if len(match) else 0,
    )


def _descend(
    grid: ReconfigGrid,
    network: Network,
    scales: np.ndarray,
    weights: np.ndarray,
    options: ReconfigOptions,
    allowed: np.ndarray,
    closed: np.ndarray,
    value: float,
    viol: np.ndarray,
    ev: AcEvaluation,
    cache: dict[bytes, tuple[float, np.ndarray, AcEvaluation]],
) -> tuple[np.ndarray, float, np.ndarray, AcEvaluation, int, int]:
    """Exchange rounds from ``closed`` (the best exchange each round, screened by the relaxed
    losses with the loss objective) until none improves: the local optimum, its value,
    violations and evaluation, configurations solved and batches. ``cache`` holds the
    configurations solved before (packed bits: value, violations, evaluation) and gains the
    new ones."""
    evaluated = batches = 0
    for _ in range(options.exchange_rounds):
        cand = exchange_neighbours(
            grid, orient(grid, closed), 0, start=grid.closed0, max_ops=options.max_switch_ops
        )
        if not len(cand):
            break
        if options.objective == "loss" and len(cand) > options.screen_top:
            relaxed = lindistflow_loss_mw(grid, cand, scales) @ (weights / weights.sum())
            cand = cand[np.argsort(relaxed, kind="stable")[: options.screen_top]]
        keys = [np.packbits(r).tobytes() for r in cand]
        fresh = [k for k, key in enumerate(keys) if key not in cache]
        if fresh:
            ev2 = evaluate(grid, network, cand[fresh], scales)
            evaluated += len(fresh)
            batches += 1
            v2, x2 = score(ev2, weights, options.objective)
            for i, k in enumerate(fresh):
                cache[keys[k]] = (float(v2[i]), x2[i], _row(ev2, i))
        got = [cache[key] for key in keys]
        v_all = np.array([g[0] for g in got])
        x_all = np.vstack([g[1] for g in got])
        j = _pick(np.concatenate([[value], v_all]), np.vstack([viol[None, :], x_all]), allowed)
        if j == 0:
            break
        closed, (value, viol, ev) = cand[j - 1], got[j - 1]
    return closed, value, viol, ev, evaluated, batches


def _row(ev: AcEvaluation, k: int) -> AcEvaluation:
    return AcEvaluation(
        loss_mw=ev.loss_mw[k : k + 1],
        v_min_pu=ev.v_min_pu[k : k + 1],
        v_max_pu=ev.v_max_pu[k : k + 1],
        loading=ev.loading[k : k + 1],
        converged=ev.converged[k : k + 1],
        violation=ev.violation[k : k + 1],
        violation_kinds=ev.violation_kinds[k : k + 1],
        power_flows=1,
    )


def reconfigure(
    network: Network,
    *,
    switchable: Sequence[str] | None = None,
    options: ReconfigOptions | None = None,
    load_scales: Sequence[float] = (1.0,),
    weights: Sequence[float] | None = None,
    scenario_ids: Sequence[str] | None = None,
    per_scenario: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ReconfigResult:
    """Choose the open/closed state of the switchable branches.

    Parameters
    ----------
    network
        The network; its present branch states must be radial with every node fed.
    switchable
        Branch ids that may change state; ``None`` = :func:`switchable_all`.
    options
        Objective, method, switch-operation limit, MILP settings.
    load_scales
        (S,) load factor of each scenario (every load's P and Q).
    weights
        (S,) weight of each scenario in the objective (default equal).
    scenario_ids
        (S,) scenario names (default ``s0``, ``s1``, ...; ``base`` for one scenario).
    per_scenario
        One configuration per scenario instead of one for all (weighted sum).
    progress
        Called as ``progress(done, total)``: configurations solved in AC out of all radial
        ones (``exhaustive``), else scenario groups searched.

    Returns
    -------
    ReconfigResult
    """
    t0 = time.perf_counter()
    options = options or ReconfigOptions()
    scales = np.asarray(load_scales, float)
    if scales.ndim != 1 or not len(scales) or not np.isfinite(scales).all() or (scales < 0).any():
        raise InputError("reconfiguration: load scales must be finite and >= 0")
    w = np.ones(len(scales)) if weights is None else np.asarray(weights, float)
    if w.shape != scales.shape or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InputError("reconfiguration: one weight >= 0 per scenario, not all 0")
    ids = (
        list(scenario_ids)
        if scenario_ids is not None
        else (["base"] if len(scales) == 1 else [f"s{k}" for k in range(len(scales))])
    )
    grid = build_reconfig_grid(
        network, list(switchable) if switchable is not None else switchable_all(network)
    )
    if not grid.switchable.any():
        raise InputError("reconfiguration: no switchable branch")
    groups = [[k] for k in range(len(scales))] if per_scenario else [list(range(len(scales)))]
    switch_rows, summary_rows = [], []
    chosen = grid.closed0
    if progress is not None and options.method != "exhaustive":
        progress(0, len(groups))
    for done, group in enumerate(groups, start=1):
        t_group = time.perf_counter()
        sc, wg = scales[group], w[group]
        choice = _search(
            grid, network, sc, wg, options, progress if options.method == "exhaustive" else None
        )
        chosen = choice.closed
        before = evaluate(grid, network, grid.closed0[None, :], sc)
        relaxed_before = lindistflow_loss_mw(grid, grid.closed0, sc)[0]
        relaxed_after = lindistflow_loss_mw(grid, chosen, sc)[0]
        label = ids[group[0]] if per_scenario else "all"
        ops = int(_ops(chosen, grid.closed0)[0])
        sw = np.flatnonzero(grid.switchable)
        for e in sw.tolist():
            switch_rows.append(
                {
                    "scenario_id": label,
                    "branch_id": str(grid.branch_ids[grid.edge_branch[e]]),
                    "from_node": str(grid.node_ids[grid.f[e]]),
                    "to_node": str(grid.node_ids[grid.t[e]]),
                    "status_before": "closed" if grid.closed0[e] else "open",
                    "status_after": "closed" if chosen[e] else "open",
                    "operated": bool(grid.closed0[e] != chosen[e]),
                }
            )
        for j, k in enumerate(group):
            summary_rows.append(
                {
                    "scenario_id": ids[k],
                    "load_scale": float(scales[k]),
                    "weight": float(w[k]),
                    "objective": options.objective,
                    "method": options.method,
                    "loss_before_ac_mw": float(before.loss_mw[0, j]),
                    "loss_after_ac_mw": float(choice.ev.loss_mw[0, j]),
                    "loss_before_relaxed_mw": float(relaxed_before[j]),
                    "loss_after_relaxed_mw": float(relaxed_after[j]),
                    "loss_gap_mw": float(choice.ev.loss_mw[0, j] - relaxed_after[j]),
                    "v_min_before_pu": float(before.v_min_pu[0, j]),
                    "v_min_after_pu": float(choice.ev.v_min_pu[0, j]),
                    "loading_max_before_pct": float(before.loading[0, j] * 100),
                    "loading_max_after_pct": float(choice.ev.loading[0, j] * 100),
                    "limits_ok_after": bool(choice.ev.violation[0, j] == 0),
                    "switch_ops": ops,
                    "milp_status": choice.status,
                    "milp_gap": float(choice.gap),
                    "milp_solves": int(choice.solves),
                    "pool_rank": int(choice.pool_rank),
                    "configurations_evaluated": int(choice.evaluated),
                    "ac_batches": int(choice.batches),
                    "solve_time_s": float(time.perf_counter() - t_group),
                }
            )
        if progress is not None and options.method != "exhaustive":
            progress(done, len(groups))
    return ReconfigResult(
        switches=pd.DataFrame(switch_rows),
        summary=pd.DataFrame(summary_rows),
        network=with_states(grid, network, chosen),
        seconds=time.perf_counter() - t0,
    )
