"""The reconfiguration MILP: which switchable branches to close so the network is radial,
every node is fed from a slack, the limits hold and the objective is best.

Formulation (per unit on ``base_mva``; ``y_e`` edge closed, fixed 1 for closed edges that
cannot switch; scenarios ``s`` with load factors ``lambda_s`` and weights ``omega_s``):

- radiality and connectivity: ``sum_e y_e = N - n_slack`` and a single-commodity flow
  ``g`` that brings one unit to every non-slack node from the slack nodes only
  (``|g_e| <= N y_e``). Every node is then connected to a slack and, with that many closed
  edges, each connected part is a tree holding one slack. Generation does not supply the
  commodity, so a part fed only by DER is infeasible (the "N - 1 closed branches" rule
  alone would let such islands through);
- LinDistFlow per scenario (lossless flows): node balance of ``P``, ``Q``;
  ``w_i / tap^2 - w_j = 2 (r P + x Q)`` on closed edges (big-M relaxed on open ones;
  ``P`` and ``Q`` flow from ``f`` to ``t``, either sign); slack ``w = v_set^2``;
- voltage band ``v_min^2 <= w <= v_max^2`` and the thermal rating (inscribed polygon) as
  soft constraints whose violation costs ``PENALTY`` per pu: a band the network cannot
  meet in any configuration still gives the best configuration, and the AC check reports
  what is broken;
- losses: ``r (P^2 + Q^2)`` per edge, outer-approximated by tangent cuts of ``P^2`` and
  ``Q^2`` at geometric breakpoints (HiGHS solves MILPs, not MIQCPs); the cuts never
  overestimate, so the relaxed objective is a lower bound of the LinDistFlow loss;
- objective: ``loss`` minimises ``sum_s omega_s sum_e r_e (lp + lq)``; ``max-min-voltage``
  maximises the lowest ``w`` over nodes and scenarios; ``balance`` minimises the highest
  ``|S_e| / rating_e`` (polygon); the last two add the loss with a small weight as a
  tie-breaker;
- ``--max-switch-ops``: at most K switchable edges change state from the present one.

A pool of configurations comes from re-solving with each found configuration cut off
(``sum over its open switchable edges of y >= 1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from gat_dist.opf.solve import persistent_highs
from gat_schemas.errors import InputError, SolverError

from .grid import ReconfigGrid
from .options import ReconfigOptions

__all__ = ["MilpPool", "solve_pool"]

#: Objective cost of one pu of voltage-band (in w) or thermal violation.
PENALTY = 1e3
#: Weight of the loss term in the ``max-min-voltage`` and ``balance`` objectives.
TIE_BREAK = 1e-3


@dataclass(frozen=True, eq=False)
class MilpPool:
    """The configurations the MILP found, best first.

    Attributes
    ----------
    closed
        (K, E) closed edges.
    objective
        (K,) relaxed objective value of each.
    status
        ``optimal`` or ``time_limit`` (of the first solve; when it ends before any
        configuration is found, the pool holds the present state).
    gap
        Relative gap between the first solve's objective and its bound.
    solves
        MILP solves done.
    """

    closed: np.ndarray
    objective: np.ndarray
    status: str
    gap: float
    solves: int


def _build(
    grid: ReconfigGrid,
    scales: np.ndarray,
    weights: np.ndarray,
    options: ReconfigOptions,
) -> pyo.ConcreteModel:
    g = grid
    n, e = g.n_node, g.n_edge
    base = g.base_mva
    sw = np.flatnonzero(g.switchable).tolist()
    edges = list(range(e))
    slack = np.flatnonzero(g.is_slack).tolist()
    pd_ = g.load_p_mw / base
    qd = g.load_q_mvar / base
    smax = float(np.max(scales))
    big_p = float((np.abs(pd_).sum() + np.abs(qd).sum()) * smax * 1.1 + 1e-3)
    w_max = g.v_max**2
    w_min = g.v_min**2
    scen = list(range(len(scales)))
    m = pyo.ConcreteModel()
    m.N = pyo.RangeSet(0, n - 1)
    m.E = pyo.Set(initialize=edges)
    m.SW = pyo.Set(initialize=sw)
    m.S = pyo.Set(initialize=scen)
    m.SL = pyo.Set(initialize=slack)
    m.y = pyo.Var(m.SW, domain=pyo.Binary)
    for k in sw:
        m.y[k].value = float(g.closed0[k])

    def closed(k: int):
        return m.y[k] if g.switchable[k] else 1

    m.g = pyo.Var(m.E, bounds=(-n, n))
    m.sg = pyo.Var(m.SL, bounds=(0, n))
    m.p = pyo.Var(m.S, m.E, bounds=(-big_p, big_p))
    m.q = pyo.Var(m.S, m.E, bounds=(-big_p, big_p))
    m.sp = pyo.Var(m.S, m.SL, bounds=(-big_p, big_p))
    m.sq = pyo.Var(m.S, m.SL, bounds=(-big_p, big_p))
    m.w = pyo.Var(m.S, m.N, bounds=lambda _m, s, i: (0.0, float(max(w_max[i], 1.0)) * 1.5))
    m.dv = pyo.Var(m.S, m.N, bounds=(0, None))  # soft voltage band violation (pu of w)
    m.eq_radial = pyo.Constraint(expr=sum(closed(k) for k in edges) == n - len(slack))
    if options.max_switch_ops is not None:
        ops = sum(1 - m.y[k] for k in sw if g.closed0[k]) + sum(
            m.y[k] for k in sw if not g.closed0[k]
        )
        m.ineq_switch_ops = pyo.Constraint(expr=ops <= options.max_switch_ops)
    sw_only = [k for k in sw]
    into: list[list[int]] = [[] for _ in range(n)]
    out: list[list[int]] = [[] for _ in range(n)]
    for k in edges:
        out[int(g.f[k])].append(k)
        into[int(g.t[k])].append(k)
    is_slack = g.is_slack
    # Orientation (when most edges can switch): every closed edge has a direction (df: f is
    # the parent, dt: t is), every non-slack node exactly one parent and a slack none; the
    # commodity (and, with loads only, active power) runs along it. This directed
    # spanning-forest model has a tighter relaxation, but two binaries per edge: on a large
    # feeder with a few switches the undirected model (binaries on switchable edges only)
    # solves faster.
    directed = int((~g.switchable).sum()) <= int(g.switchable.sum())
    if directed:
        m.df = pyo.Var(m.E, domain=pyo.Binary)
        m.dt = pyo.Var(m.E, domain=pyo.Binary)
        m.eq_direction = pyo.Constraint(m.E, rule=lambda _m, k: m.df[k] + m.dt[k] == closed(k))

        def one_parent(_m, i):
            parents = sum(m.df[k] for k in into[i]) + sum(m.dt[k] for k in out[i])
            return parents == (0 if is_slack[i] else 1)

        m.eq_parent = pyo.Constraint(m.N, rule=one_parent)
        m.ineq_g_hi = pyo.Constraint(m.E, rule=lambda _m, k: m.g[k] <= n * m.df[k])
        m.ineq_g_lo = pyo.Constraint(m.E, rule=lambda _m, k: m.g[k] >= -n * m.dt[k])
    else:
        m.ineq_g_hi = pyo.Constraint(sw_only, rule=lambda _m, k: m.g[k] <= n * m.y[k])
        m.ineq_g_lo = pyo.Constraint(sw_only, rule=lambda _m, k: m.g[k] >= -n * m.y[k])

    def commodity(_m, i):
        flow = sum(m.g[k] for k in into[i]) - sum(m.g[k] for k in out[i])
        if is_slack[i]:
            return m.sg[i] + flow == 0
        return flow == 1

    m.eq_commodity = pyo.Constraint(m.N, rule=commodity)

    def balance(var, slack_var, demand):
        def rule(_m, s, i):
            flow = sum(var[s, k] for k in into[i]) - sum(var[s, k] for k in out[i])
            d = float(demand[i] * scales[s])
            if is_slack[i]:
                return slack_var[s, i] + flow == d
            return flow == d

        return rule

    m.eq_p = pyo.Constraint(m.S, m.N, rule=balance(m.p, m.sp, pd_))
    m.eq_q = pyo.Constraint(m.S, m.N, rule=balance(m.q, m.sq, qd))
    if directed and (pd_ >= 0).all():
        # Loads only: active power runs from parent to child, along the orientation.
        m.ineq_p_hi = pyo.Constraint(m.S, m.E, rule=lambda _m, s, k: m.p[s, k] <= big_p * m.df[k])
        m.ineq_p_lo = pyo.Constraint(m.S, m.E, rule=lambda _m, s, k: m.p[s, k] >= -big_p * m.dt[k])
    else:
        m.ineq_p_hi = pyo.Constraint(
            m.S, sw_only, rule=lambda _m, s, k: m.p[s, k] <= big_p * m.y[k]
        )
        m.ineq_p_lo = pyo.Constraint(
            m.S, sw_only, rule=lambda _m, s, k: m.p[s, k] >= -big_p * m.y[k]
        )
    m.ineq_q_hi = pyo.Constraint(m.S, sw_only, rule=lambda _m, s, k: m.q[s, k] <= big_p * m.y[k])
    m.ineq_q_lo = pyo.Constraint(m.S, sw_only, rule=lambda _m, s, k: m.q[s, k] >= -big_p * m.y[k])

    def drop(s: int, k: int):
        i, j = int(g.f[k]), int(g.t[k])
        return (
            m.w[s, i] / float(g.tap[k]) ** 2
            - m.w[s, j]
            - 2 * (float(g.r[k]) * m.p[s, k] + float(g.x[k]) * m.q[s, k])
        )

    def big_v(k: int) -> float:
        i, j = int(g.f[k]), int(g.t[k])
        span = 1.5 * (max(w_max[i], 1.0) / g.tap[k] ** 2 + max(w_max[j], 1.0))
        return float(span + 2 * (abs(g.r[k]) + abs(g.x[k])) * big_p)

    def v_hi(_m, s, k):
        if not g.switchable[k]:
            return drop(s, k) == 0
        return drop(s, k) <= big_v(k) * (1 - m.y[k])

    m.eq_v_drop = pyo.Constraint(m.S, m.E, rule=v_hi)
    m.ineq_v_drop_lo = pyo.Constraint(
        m.S, sw_only, rule=lambda _m, s, k: drop(s, k) >= -big_v(k) * (1 - m.y[k])
    )
    for s in scen:
        for i in slack:
            m.w[s, i].fix(float(g.v_set[i]) ** 2)
    m.ineq_w_lb = pyo.Constraint(
        m.S, m.N, rule=lambda _m, s, i: m.w[s, i] + m.dv[s, i] >= float(w_min[i])
    )
    m.ineq_w_ub = pyo.Constraint(
        m.S, m.N, rule=lambda _m, s, i: m.w[s, i] - m.dv[s, i] <= float(w_max[i])
    )
    # Losses: tangent cuts of P^2 and Q^2 at +-scale * 2^-k (k = 0 .. K-2); lp, lq >= 0.
    ref = max(big_p / 1.1, 1e-6)
    pts = [ref * 2.0**-k for k in range(options.loss_breakpoints - 1)]
    pts = [c * sgn for c in pts for sgn in (1.0, -1.0)]
    m.K = pyo.RangeSet(0, len(pts) - 1)
    m.lp = pyo.Var(m.S, m.E, bounds=(0, None))
    m.lq = pyo.Var(m.S, m.E, bounds=(0, None))
    m.ineq_loss_p = pyo.Constraint(
        m.S, m.E, m.K, rule=lambda _m, s, k, j: m.lp[s, k] >= 2 * pts[j] * m.p[s, k] - pts[j] ** 2
    )
    m.ineq_loss_q = pyo.Constraint(
        m.S, m.E, m.K, rule=lambda _m, s, k, j: m.lq[s, k] >= 2 * pts[j] * m.q[s, k] - pts[j] ** 2
    )
    w_s = [float(v) for v in weights / weights.sum()]
    loss = sum(w_s[s] * float(g.r[k]) * (m.lp[s, k] + m.lq[s, k]) for s in scen for k in edges)
    m.loss = pyo.Expression(expr=loss)
    rated = [k for k in edges if np.isfinite(g.rating_pu[k]) and g.rating_pu[k] > 0]
    sides = options.thermal_sides
    shrink = math.cos(math.pi / sides)
    m.R = pyo.Set(initialize=rated)
    m.H = pyo.RangeSet(0, sides - 1)
    m.u = pyo.Var(bounds=(None, None))
    m.dth = pyo.Var(m.S, m.R, bounds=(0, None))

    def polygon(s, k, j):
        ang = 2 * math.pi * j / sides
        return math.cos(ang) * m.p[s, k] + math.sin(ang) * m.q[s, k]

    penalty = PENALTY * (sum(m.dv[s, i] for s in scen for i in range(n)))
    if options.objective == "balance":
        if not rated:
            raise InputError(
                "reconfiguration --objective balance: no branch has a thermal_limit to balance"
            )
        m.ineq_thermal = pyo.Constraint(
            m.S,
            m.R,
            m.H,
            rule=lambda _m, s, k, j: polygon(s, k, j) <= shrink * float(g.rating_pu[k]) * m.u,
        )
        m.obj = pyo.Objective(expr=m.u + TIE_BREAK * m.loss + penalty, sense=pyo.minimize)
    else:
        m.ineq_thermal = pyo.Constraint(
            m.S,
            m.R,
            m.H,
            rule=lambda _m, s, k, j: (
                polygon(s, k, j) <= shrink * float(g.rating_pu[k]) + m.dth[s, k]
            ),
        )
        penalty = penalty + PENALTY * sum(m.dth[s, k] for s in scen for k in rated)
        if options.objective == "loss":
            m.obj = pyo.Objective(expr=m.loss + penalty, sense=pyo.minimize)
        else:
            free = [i for i in range(n) if not is_slack[i]]
            m.ineq_u = pyo.Constraint(m.S, free, rule=lambda _m, s, i: m.u <= m.w[s, i])
            m.obj = pyo.Objective(expr=-m.u + TIE_BREAK * m.loss + penalty, sense=pyo.minimize)
    # Valid inequalities: a radial configuration opens at least one edge of every cycle.
    # The fundamental cycles of the present tree (one per open edge) tighten the LP
    # relaxation a lot (the commodity flow alone lets fractional y close every cycle).
    loops = _fundamental_loops(g)
    m.ineq_loop = pyo.ConstraintList()
    for loop in loops:
        fixed = sum(1 for k in loop if not g.switchable[k])
        free = [k for k in loop if g.switchable[k]]
        if free:
            m.ineq_loop.add(sum(m.y[k] for k in free) <= len(loop) - 1 - fixed)
    m.cuts = pyo.ConstraintList()
    return m


def _start_from_present(g: ReconfigGrid, m: pyo.ConcreteModel) -> None:
    """Set the binaries to the present state (the MIP start)."""
    for k in np.flatnonzero(g.switchable).tolist():
        m.y[k].value = float(g.closed0[k])
    if not hasattr(m, "df"):
        return
    from .topology import orient

    trees = orient(g, g.closed0[None, :])
    down = np.zeros(g.n_edge, bool)
    up = np.zeros(g.n_edge, bool)
    child = np.flatnonzero(trees.pedge[0] >= 0)
    e = trees.pedge[0][child]
    down[e] = g.f[e] == trees.parent[0][child]
    up[e] = ~down[e]
    for k in range(g.n_edge):
        m.df[k].value = float(down[k])
        m.dt[k].value = float(up[k])


def _fundamental_loops(g: ReconfigGrid) -> list[list[int]]:
    """Edges of the cycle each closable open edge forms with the present tree (or of the
    path it closes between two slacks)."""
    from .topology import orient

    trees = orient(g, g.closed0[None, :])
    parent, pedge, depth = trees.parent[0], trees.pedge[0], trees.depth[0]
    loops = []
    for e in np.flatnonzero(~g.closed0 & g.switchable).tolist():
        u, v = int(g.f[e]), int(g.t[e])
        path = [e]
        while u != v and (parent[u] >= 0 or parent[v] >= 0):
            if depth[u] >= depth[v] and parent[u] >= 0:
                path.append(int(pedge[u]))
                u = int(parent[u])
            elif parent[v] >= 0:
                path.append(int(pedge[v]))
                v = int(parent[v])
            else:
                path.append(int(pedge[u]))
                u = int(parent[u])
        # Within one feeder the path is a cycle; between two feeders it joins their slacks
        # (a cycle through the common source): either way one of its edges must open.
        loops.append(path)
    return loops


def solve_pool(
    grid: ReconfigGrid,
    scales: np.ndarray,
    weights: np.ndarray,
    options: ReconfigOptions,
) -> MilpPool:
    """Solve the MILP, then re-solve ``pool_size - 1`` times with each answer cut off.

    Parameters
    ----------
    grid
        The array model.
    scales, weights
        (S,) load factor and weight of each scenario.
    options
        Objective, pool size, MIP gap, time limit, switch-operation limit.

    Raises
    ------
    gat_schemas.errors.InputError
        No configuration is radial with every node fed (within the switch-operation limit).
    gat_schemas.errors.SolverError
        HiGHS stopped for another reason.
    """
    m = _build(grid, np.asarray(scales, float), np.asarray(weights, float), options)
    _start_from_present(grid, m)
    opt = persistent_highs(
        m, {"threads": 1}, time_limit_s=options.time_limit_s, mip_gap=options.mip_gap
    )
    # HiGHS completes the present state's binaries into a first incumbent (an LP with the
    # integers fixed); without it, on a large feeder, the time limit can pass before any
    # configuration without penalty is found.
    opt.config.warmstart = True
    sw = np.flatnonzero(grid.switchable)
    found, objective = [], []
    status, gap, solves = "optimal", 0.0, 0
    for k in range(options.pool_size):
        res = opt.solve(m)
        solves += 1
        tc = res.termination_condition.name
        if tc in ("infeasible", "infeasibleOrUnbounded"):
            if k == 0:
                raise InputError(
                    "reconfiguration: no radial configuration feeds every node from a slack"
                    + (
                        f" within {options.max_switch_ops} switch operations"
                        if options.max_switch_ops is not None
                        else ""
                    )
                )
            break
        if tc not in ("optimal", "maxTimeLimit"):
            raise SolverError(f"reconfiguration MILP: HiGHS stopped with {tc}")
        try:
            res.solution_loader.load_vars()
        except RuntimeError:  # time limit before any feasible configuration
            if k == 0:
                # The present state is feasible for the MILP's hard constraints: the AC
                # branch exchange starts from it.
                return MilpPool(
                    closed=grid.closed0[None, :].copy(),
                    objective=np.array([np.nan]),
                    status="time_limit",
                    gap=float("nan"),
                    solves=solves,
                )
            break
        if k == 0:
            status = "optimal" if tc == "optimal" else "time_limit"
            best, bound = res.best_feasible_objective, res.best_objective_bound
            if best is not None and bound is not None and math.isfinite(bound):
                gap = abs(best - bound) / max(abs(best), 1e-12)
        closed = grid.closed0 | grid.switchable
        y = np.array([round(pyo.value(m.y[j])) > 0 for j in sw.tolist()], bool)
        closed = closed.copy()
        closed[sw] = y
        found.append(closed)
        objective.append(float(pyo.value(m.obj)))
        opened = sw[~y].tolist()
        if not opened:
            # Every switchable branch closed (a radial feeder without ties): every radial
            # configuration closes as many branches, so this is the only one.
            break
        cut = m.cuts.add(sum(m.y[j] for j in opened) >= 1)
        opt.add_constraints([cut])
    return MilpPool(
        closed=np.array(found),
        objective=np.array(objective),
        status=status,
        gap=float(gap),
        solves=solves,
    )
