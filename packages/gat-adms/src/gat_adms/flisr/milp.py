"""The restoration MILP: which switches to close and open to re-energise the most load.

One Pyomo model is built per network and kept in a persistent HiGHS instance; each fault only
changes variable bounds (which nodes are fixed dead, fixed live or free) and, in AC
correction rounds, the mutable voltage and thermal limits.

Formulation (per unit on ``base_mva``; ``z_n`` node energised, ``y_b`` branch closed):

- a branch without a device keeps its normal state: closed ones join their ends
  (``z_i = z_j``, energised together); a branch with a device is free: ``y_b <= z_i, z_j``;
- radiality: ``sum(closed branches) + live slacks = live nodes``, and a single-commodity
  flow ``g`` (one unit to each live non-slack node, supplied by live slacks, ``|g_b| <=
  N y_b``) connects every live node to a slack; together every energised island is a tree
  fed by exactly one slack;
- LinDistFlow (lossless): node balance of ``p``, ``q``; ``w_i / tap^2 - w_j = 2 (r p + x q)``
  on closed branches (big-M relaxed when open); ``w = v^2`` within ``[v_min^2, v_max^2]`` at
  live nodes; slack ``w = v_set^2``;
- thermal: the rating circle replaced by an inscribed polygon;
- objective: maximise ``sum (customer_weight * customers + load_weight * load_mw) z``
  minus ``switch_penalty`` per operation (a normally-open switch closed, or a normally-closed
  one opened with an energised end).

On a three-phase network the model is its balanced positive-sequence equivalent (the
three-phase contract's ``r``, ``x``, ``tap`` of each branch, node loads summed over the
phases, one branch per bundle of parallel units): a screening whose plans the three-phase
AC check accepts or corrects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from gat_dist.opf.solve import persistent_highs
from gat_schemas.errors import SolverError

from .grid import FlisrGrid
from .options import FlisrOptions

__all__ = ["MilpSolution", "RestorationMilp"]


@dataclass(frozen=True, eq=False)
class MilpSolution:
    """One solve: ``status`` (optimal, time_limit, infeasible), node and branch states."""

    status: str
    z: np.ndarray
    y: np.ndarray
    w: np.ndarray
    p: np.ndarray
    q: np.ndarray


class RestorationMilp:
    """The restoration model of one grid, built once and re-solved per fault.

    Parameters
    ----------
    grid
        The FLISR array model.
    options
        Weights, polygon sides, MIP gap and time limit.
    w_min, rating_pu
        Lower limit of ``v^2`` per node and thermal limit per branch (pu) that the MILP
        enforces (limits the normal configuration already breaks are relaxed by the
        caller to their normal-state values); NaN rating = unrated.
    w_max
        Upper limit of ``v^2`` per node (pu), relaxed the same way; ``None`` = ``v_max^2``.
    """

    def __init__(
        self,
        grid: FlisrGrid,
        options: FlisrOptions,
        w_min: np.ndarray,
        rating_pu: np.ndarray,
        *,
        w_max: np.ndarray | None = None,
    ) -> None:

        self.grid, self.options = grid, options
        self.base_w_min = np.asarray(w_min, float).copy()
        self.base_rating = np.asarray(rating_pu, float).copy()
        self.w_max = np.asarray(grid.v_max**2 if w_max is None else w_max, float).copy()
        # One branch per bundle (parallel units between two nodes act as one branch).
        own = grid.bundle == np.arange(grid.n_branch)
        self.usable = np.flatnonzero((grid.has_device | grid.closed) & own)
        self.switchable = np.flatnonzero(grid.has_device)
        self.m = self._build()
        opt = persistent_highs(
            self.m,
            {"threads": 1},
            time_limit_s=options.time_limit_s,
            mip_gap=options.mip_gap,
        )
        self.opt = opt
        self._tightened = False

    def _build(self) -> pyo.ConcreteModel:
        g, o = self.grid, self.options
        base = g.base_mva
        n, slack = g.n_node, np.flatnonzero(g.is_slack)
        usable, sw = self.usable.tolist(), self.switchable.tolist()
        hard = [b for b in usable if not g.has_device[b]]
        pd_ = g.load_p_mw / base
        qd = g.load_q_mvar / base
        big_p = float(np.abs(pd_).sum() + np.abs(qd).sum()) * 1.1 + 1e-3
        w_max = self.w_max
        m = pyo.ConcreteModel()
        m.N = pyo.RangeSet(0, n - 1)
        m.B = pyo.Set(initialize=usable)
        m.SW = pyo.Set(initialize=sw)
        m.S = pyo.Set(initialize=slack.tolist())
        m.z = pyo.Var(m.N, domain=pyo.Binary)
        m.y = pyo.Var(m.SW, domain=pyo.Binary)
        m.g = pyo.Var(m.B, bounds=(-n, n))
        m.p = pyo.Var(m.B, bounds=(-big_p, big_p))
        m.q = pyo.Var(m.B, bounds=(-big_p, big_p))
        m.w = pyo.Var(m.N, bounds=lambda _m, i: (0.0, float(w_max[i])))
        m.sg = pyo.Var(m.S, bounds=(0, n))
        m.sp = pyo.Var(m.S, bounds=(-big_p, big_p))
        m.sq = pyo.Var(m.S, bounds=(-big_p, big_p))
        m.w_min = pyo.Param(m.N, mutable=True, initialize=lambda _m, i: float(self.base_w_min[i]))
        rated = [b for b in usable if np.isfinite(self.base_rating[b])]
        m.R = pyo.Set(initialize=rated)
        m.s_max = pyo.Param(m.R, mutable=True, initialize=lambda _m, b: float(self.base_rating[b]))

        def closed(b: int):
            return m.y[b] if g.has_device[b] else m.z[int(g.f[b])]

        m.y_f = pyo.Constraint(m.SW, rule=lambda _m, b: m.y[b] <= m.z[int(g.f[b])])
        m.y_t = pyo.Constraint(m.SW, rule=lambda _m, b: m.y[b] <= m.z[int(g.t[b])])
        m.eq_hard = pyo.Constraint(hard, rule=lambda _m, b: m.z[int(g.f[b])] == m.z[int(g.t[b])])
        m.eq_radial = pyo.Constraint(
            expr=sum(closed(b) for b in usable) + sum(m.z[s] for s in m.S)
            == sum(m.z[i] for i in m.N)
        )
        m.g_hi = pyo.Constraint(m.B, rule=lambda _m, b: m.g[b] <= n * closed(b))
        m.g_lo = pyo.Constraint(m.B, rule=lambda _m, b: m.g[b] >= -n * closed(b))
        m.p_hi = pyo.Constraint(m.B, rule=lambda _m, b: m.p[b] <= big_p * closed(b))
        m.p_lo = pyo.Constraint(m.B, rule=lambda _m, b: m.p[b] >= -big_p * closed(b))
        m.q_hi = pyo.Constraint(m.B, rule=lambda _m, b: m.q[b] <= big_p * closed(b))
        m.q_lo = pyo.Constraint(m.B, rule=lambda _m, b: m.q[b] >= -big_p * closed(b))
        m.sg_hi = pyo.Constraint(m.S, rule=lambda _m, s: m.sg[s] <= n * m.z[s])
        into: list[list[int]] = [[] for _ in range(n)]
        out: list[list[int]] = [[] for _ in range(n)]
        for b in usable:
            out[int(g.f[b])].append(b)
            into[int(g.t[b])].append(b)
        is_slack = g.is_slack

        def balance(var, slack_var, demand):
            def rule(_m, i):
                flow = sum(var[b] for b in into[i]) - sum(var[b] for b in out[i])
                if is_slack[i]:
                    return slack_var[i] + flow == demand(i) * m.z[i]
                return flow == demand(i) * m.z[i]

            return rule

        m.eq_commodity = pyo.Constraint(
            m.N, rule=balance(m.g, m.sg, lambda i: 0.0 if is_slack[i] else 1.0)
        )
        m.eq_p = pyo.Constraint(m.N, rule=balance(m.p, m.sp, lambda i: float(pd_[i])))
        m.eq_q = pyo.Constraint(m.N, rule=balance(m.q, m.sq, lambda i: float(qd[i])))

        def drop(b: int):
            i, j = int(g.f[b]), int(g.t[b])
            return (
                m.w[i] / float(g.tap[b]) ** 2
                - m.w[j]
                - 2 * (float(g.r[b]) * m.p[b] + float(g.x[b]) * m.q[b])
            )

        def big_v(b: int) -> float:
            i, j = int(g.f[b]), int(g.t[b])
            span = w_max[i] / g.tap[b] ** 2 + w_max[j]
            return float(span + 2 * (abs(g.r[b]) + abs(g.x[b])) * big_p)

        m.v_hi = pyo.Constraint(m.B, rule=lambda _m, b: drop(b) <= big_v(b) * (1 - closed(b)))
        m.v_lo = pyo.Constraint(m.B, rule=lambda _m, b: drop(b) >= -big_v(b) * (1 - closed(b)))
        m.v_min = pyo.Constraint(m.N, rule=lambda _m, i: m.w[i] >= m.w_min[i] * m.z[i])
        k = o.thermal_sides
        shrink = math.cos(math.pi / k)
        m.K = pyo.RangeSet(0, k - 1)
        m.thermal = pyo.Constraint(
            m.R,
            m.K,
            rule=lambda _m, b, j: (
                math.cos(2 * math.pi * j / k) * m.p[b] + math.sin(2 * math.pi * j / k) * m.q[b]
                <= shrink * m.s_max[b]
            ),
        )
        weight = o.customer_weight * g.customers + o.load_weight_per_mw * np.maximum(
            g.load_p_mw, 0.0
        )
        # An operation: closing a normally-open switch, or opening a normally-closed one
        # with an energised end (switches inside dead areas are not operated).
        normally_closed = [b for b in sw if g.closed[b]]
        m.op = pyo.Var(normally_closed, bounds=(0, 1))
        m.op_f = pyo.Constraint(
            normally_closed, rule=lambda _m, b: m.op[b] >= m.z[int(g.f[b])] - m.y[b]
        )
        m.op_t = pyo.Constraint(
            normally_closed, rule=lambda _m, b: m.op[b] >= m.z[int(g.t[b])] - m.y[b]
        )
        changes = sum(m.op[b] for b in normally_closed) + sum(m.y[b] for b in sw if not g.closed[b])
        m.obj = pyo.Objective(
            expr=sum(float(weight[i]) * m.z[i] for i in m.N) - o.switch_penalty * changes,
            sense=pyo.maximize,
        )
        return m

    def solve(self, on: np.ndarray, off: np.ndarray) -> MilpSolution:
        """Solve with the nodes ``on`` fixed energised and ``off`` fixed dead.

        Parameters
        ----------
        on, off
            Boolean node masks (disjoint); the other nodes are free.

        Returns
        -------
        MilpSolution
            ``status`` is ``optimal`` (within the MIP gap), ``time_limit`` (best plan
            found) or ``infeasible`` (arrays are then empty).
        """
        g, m = self.grid, self.m
        changed = []
        for i in range(g.n_node):
            lo, hi = (1, 1) if on[i] else ((0, 0) if off[i] else (0, 1))
            var = m.z[i]
            if var.lb != lo or var.ub != hi:
                var.setlb(lo)
                var.setub(hi)
                changed.append(var)
        for s in np.flatnonzero(g.is_slack).tolist():
            vs = float(g.v_set[s]) ** 2
            lo, hi = (vs, vs) if on[s] else (0.0, float(self.w_max[s]))
            var = m.w[s]
            if var.lb != lo or var.ub != hi:
                var.setlb(lo)
                var.setub(hi)
                changed.append(var)
        if changed:
            self.opt.update_variables(changed)
        res = self.opt.solve(m)
        tc = res.termination_condition.name
        if tc in ("infeasible", "infeasibleOrUnbounded"):
            e = np.zeros(0)
            return MilpSolution(status="infeasible", z=e, y=e, w=e, p=e, q=e)
        if tc not in ("optimal", "maxTimeLimit"):
            raise SolverError(f"restoration MILP: HiGHS stopped with {tc}")
        try:
            res.solution_loader.load_vars()
        except RuntimeError:
            e = np.zeros(0)
            return MilpSolution(status="infeasible", z=e, y=e, w=e, p=e, q=e)
        z = np.array([round(pyo.value(m.z[i])) for i in range(g.n_node)], bool)
        y = np.zeros(g.n_branch, bool)
        p = np.zeros(g.n_branch)
        q = np.zeros(g.n_branch)
        for b in self.usable.tolist():
            y[b] = round(pyo.value(m.y[b])) > 0 if g.has_device[b] else z[g.f[b]]
            p[b], q[b] = pyo.value(m.p[b]), pyo.value(m.q[b])
        y = y[g.bundle]  # bundle members follow their representative
        w = np.array([pyo.value(m.w[i]) for i in range(g.n_node)])
        status = "optimal" if tc == "optimal" else "time_limit"
        return MilpSolution(status=status, z=z, y=y, w=w, p=p, q=q)

    def tighten(self, w_min: dict[int, float], rating: dict[int, float]) -> None:
        """Raise nodes' ``v^2`` lower limits and lower branch ratings (pu) for a re-solve."""
        m = self.m
        for i, value in w_min.items():
            m.w_min[i].value = float(value)
        for b, value in rating.items():
            if b in m.s_max:
                m.s_max[b].value = float(value)
        self.opt.update_params()
        self._tightened = True

    def limits(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``v^2`` lower limits and ratings (pu) the model holds now."""
        m = self.m
        w = np.array([pyo.value(m.w_min[i]) for i in range(self.grid.n_node)])
        r = self.base_rating.copy()
        for b in m.R:
            r[b] = pyo.value(m.s_max[b])
        return w, r

    def reset(self) -> None:
        """Undo :meth:`tighten`."""
        if not self._tightened:
            return
        m = self.m
        for i in range(self.grid.n_node):
            m.w_min[i].value = float(self.base_w_min[i])
        for b in m.R:
            m.s_max[b].value = float(self.base_rating[b])
        self.opt.update_params()
        self._tightened = False
