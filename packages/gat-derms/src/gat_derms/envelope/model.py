"""The support-function LP: one gat-dist OPF model, built once, re-aimed per group and
direction.

The OPF model (:mod:`gat_dist.opf`: sets, variables, constraints, persistent HiGHS solver
and its cut loop) is built once for the whole network. Its objective is replaced by

    minimise  -base_mva (cos(theta) P_env + sin(theta) Q_env)  [+ loss_w * losses, socp]

(``loss_w`` keeps the socp relaxation tight; see :data:`SOCP_LOSS_WEIGHT`: a socp support
point is the optimum of this penalised objective, a feasible point a little inside the
exact boundary where the penalty bends it)

where ``P_env``, ``Q_env`` (pu) are two free columns tied to the group by two rows:
``P_env = sum of the group's p_der`` (asset groups) or the feeder's exchange with the rest
of the network (feeder groups: minus the slack import, minus what enters through boundary
branches, plus what leaves through them). A new direction changes the two mutable objective
coefficients only (HiGHS keeps its basis); a new group swaps the two defining rows and moves
the column bounds that hold the other groups' assets at their zero point.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from gat_dist.opf.build import build_pyomo_model
from gat_dist.opf.objective import loss_expr
from gat_dist.opf.options import Formulation, Objective, OpfOptions
from gat_dist.opf.sets import OpfData, opf_data
from gat_dist.opf.solve import OpfSolver
from gat_dist.opf.verify import ac_branch_point
from gat_schemas.errors import NotConvergedError, SolverError

from .groups import Group
from .options import EnvelopeModel, EnvelopeOptions

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["SOCP_LOSS_WEIGHT", "SupportModel", "SupportPoint", "opf_options", "zero_point"]

#: socp: weight of the losses (per MW) every support LP starts from. The relaxation needs a
#: loss price to stay tight where the direction favours import; the solver doubles it (up
#: to 8) while it is not tight. Every direction starts afresh from this weight, so a
#: direction's support point does not depend on which directions were solved before it
#: (nested direction sets then give nested envelopes). 1 MW per MW needs the fewest
#: doublings on the example feeders.
SOCP_LOSS_WEIGHT = 1.0


@dataclass(frozen=True, eq=False)
class SupportPoint:
    """The optimum of one support LP.

    Attributes
    ----------
    theta
        Direction (rad, counter-clockwise from +P).
    p_mw, q_mvar
        The group's aggregate injection at its point of connection (MW, Mvar; generation
        and export positive).
    p_der_mw, q_der_mvar
        Set points of every asset (MW, Mvar; generation positive), group and others.
    v_sq
        Squared bus voltages of the LP solution (pu), for the LinDistFlow AC correction.
    lp_solves
        LP solves it took (cut rounds).
    status
        ``optimal``, or ``cut_limit`` when the socp cut loop stopped at its round limit.
    """

    theta: float
    p_mw: float
    q_mvar: float
    p_der_mw: np.ndarray
    q_der_mvar: np.ndarray
    v_sq: np.ndarray
    lp_solves: int
    status: str


def opf_options(options: EnvelopeOptions) -> OpfOptions:
    """The gat-dist OPF options behind an envelope (the objective is replaced)."""
    socp = options.model is EnvelopeModel.SOCP
    return OpfOptions(
        formulation=Formulation.SOCP if socp else Formulation.LINDISTFLOW,
        # Any objective but ``loss``: the solver then raises the loss weight while the socp
        # relaxation is not tight. LinDistFlow needs no loss term at all.
        objective=Objective.CURTAILMENT,
        loss_weight=SOCP_LOSS_WEIGHT if socp else 0.0,
        v_min=options.v_min,
        v_max=options.v_max,
        enforce_thermal=options.network_limits,
        load_scale=options.load_scale,
        s_max_sides=options.s_max_sides,
        time_limit_s=options.time_limit_s,
        verify=False,
    )


def zero_point(data: OpfData) -> tuple[np.ndarray, np.ndarray]:
    """Set points (pu) of assets outside the group: the point of their box nearest zero
    injection (0 when the range holds 0, as it does for pv, storage, ev and flexible load)."""
    return (
        np.clip(0.0, data.der_p_min, data.der_p_max),
        np.clip(0.0, data.der_q_min, data.der_q_max),
    )


class SupportModel:
    """One OPF model solving the support LPs of every group (see the module doc).

    Parameters
    ----------
    network
        The network (radial).
    assets
        The ``der_assets`` table.
    options
        Envelope options.
    """

    def __init__(self, network: Network, assets: pd.DataFrame, options: EnvelopeOptions) -> None:
        import gat_pf

        t0 = time.perf_counter()
        self.options = options
        self.opf = opf_options(options)
        pf = gat_pf.build_model(network)
        self.data = d = opf_data(network, pf, self.opf, assets=assets)
        self.model = m = build_pyomo_model(d, self.opf)
        m.del_component(m.obj)
        m.env_cp = pyo.Param(mutable=True, initialize=1.0)
        m.env_cq = pyo.Param(mutable=True, initialize=0.0)
        m.env_p = pyo.Var(initialize=0.0)
        m.env_q = pyo.Var(initialize=0.0)
        expr = -float(d.base_mva) * (m.env_cp * m.env_p + m.env_cq * m.env_q)
        if self.opf.formulation is Formulation.SOCP:
            expr = expr + m.loss_w * loss_expr(m, d)
        m.obj = pyo.Objective(expr=expr, sense=pyo.minimize)
        # Placeholder definitions, swapped for the group's own by ``select``.
        m.env = pyo.Block()
        m.env.p_def = pyo.Constraint(expr=m.env_p == 0.0)
        m.env.q_def = pyo.Constraint(expr=m.env_q == 0.0)
        if not options.network_limits:
            m.ineq_vm_lb.deactivate()
            m.ineq_vm_ub.deactivate()
        self.solver = OpfSolver(m, d, self.opf)  # HiGHS silenced from the start
        self._p0, self._q0 = zero_point(d)
        self._fix_all()
        if self.opf.formulation is Formulation.SOCP:
            self._seed_cuts()
        self._rows = 0
        self.group: Group | None = None
        #: Thermal ratings of the array model as built (pu); an AC correction shrinks them.
        self.rating0 = d.br_rating.copy()
        self.build_s = time.perf_counter() - t0

    def _fix_all(self) -> None:
        m = self.model
        for i in m.D:
            m.p_der[i].setlb(float(self._p0[i]))
            m.p_der[i].setub(float(self._p0[i]))
            m.q_der[i].setlb(float(self._q0[i]))
            m.q_der[i].setub(float(self._q0[i]))
        self.solver.update_variables([*m.p_der.values(), *m.q_der.values()])

    def _seed_cuts(self) -> None:
        """socp: cone cuts at the AC power flow of the zero point (as gat-dist's OPF does)."""
        import gat_pf

        d = self.data
        n = d.pf.n_nodes
        p = np.bincount(d.der_node, weights=self._p0 * d.base_mva, minlength=n)
        q = np.bincount(d.der_node, weights=self._q0 * d.base_mva, minlength=n)
        base = d.pf.node_gen * d.base_mva
        try:
            batch = gat_pf.solve_batch(
                d.pf,
                gen_p_mw=(p + base.real)[None, :],
                gen_q_mvar=(q + base.imag)[None, :],
                load_scale=self.opf.load_scale,
            )
        except NotConvergedError:
            return
        self.solver.add_initial_cuts(ac_branch_point(d, batch.voltages[0]))

    def select(self, group: Group) -> None:
        """Aim the model at ``group``: free its assets, fix the others at their zero point,
        and define ``P_env``, ``Q_env`` as its exchange."""
        m = self.model
        changed = []
        before = set() if self.group is None else set(self.group.assets.tolist())
        now = set(group.assets.tolist())
        for i in before - now:
            for var, val in ((m.p_der[i], self._p0[i]), (m.q_der[i], self._q0[i])):
                var.setlb(float(val))
                var.setub(float(val))
                changed.append(var)
        for i in now - before:
            for var in (m.p_der[i], m.q_der[i]):
                var.setlb(None)
                var.setub(None)
                changed.append(var)
        if changed:
            self.solver.update_variables(changed)
        old = [c for c in m.env.component_data_objects(pyo.Constraint, descend_into=False)]
        self.solver.opt.remove_constraints(old)
        for c in list(m.env.component_objects(pyo.Constraint, descend_into=False)):
            m.env.del_component(c)
        p_expr, q_expr = self._exchange(group)
        self._rows += 1
        k = self._rows
        p_def = pyo.Constraint(expr=m.env_p - p_expr == 0.0)
        q_def = pyo.Constraint(expr=m.env_q - q_expr == 0.0)
        m.env.add_component(f"p_def_{k}", p_def)
        m.env.add_component(f"q_def_{k}", q_def)
        self.solver.opt.add_constraints([p_def, q_def])
        self.group = group

    def _exchange(self, group: Group):  # type: ignore[no-untyped-def]
        """Expressions (pu) of the group's P and Q at its point of connection."""
        m, d = self.model, self.data
        if not group.feeder:
            members = group.assets.tolist()
            return (
                sum(m.p_der[i] for i in members) if members else 0.0,
                sum(m.q_der[i] for i in members) if members else 0.0,
            )
        lossy = self.opf.formulation is Formulation.SOCP
        p_expr = -sum(m.p_slack[b] for b in group.slack_buses.tolist())
        q_expr = -sum(m.q_slack[b] for b in group.slack_buses.tolist())
        for e in group.branches_in.tolist():
            # Power arriving at the child end (inside the feeder) leaves the rest.
            p_expr -= m.p_br[e] - (float(d.br_r[e]) * m.l[e] if lossy else 0.0)
            q_expr -= m.q_br[e] - (float(d.br_x[e]) * m.l[e] if lossy else 0.0)
        for e in group.branches_out.tolist():
            p_expr += m.p_br[e]
            q_expr += m.q_br[e]
        return p_expr, q_expr

    def base_point(self) -> tuple[pd.Series, pd.Series]:
        """Solve the model with every asset at its zero point (call before :meth:`select`).

        Returns node voltage magnitudes (pu, by node id) and the largest end flow of every
        branch (MVA, by branch id) of the LP model.

        Raises
        ------
        gat_schemas.errors.SolverError
            The limits cannot be met even so (infeasible), or a HiGHS failure.
        """
        if self.group is not None:
            raise SolverError("envelope: base_point needs every asset at its zero point")
        m, d = self.model, self.data
        m.env_cp.value = 0.0
        m.env_cq.value = 0.0
        self.solver.update_params()
        self.solver.solve()
        v = np.array([m.v[b].value or 0.0 for b in m.B], dtype=float)
        vm = pd.Series(np.sqrt(np.maximum(v, 0.0))[d.pf.node_bus], index=d.pf.node_ids.astype(str))
        p = np.array([m.p_br[e].value or 0.0 for e in m.E], dtype=float)
        q = np.array([m.q_br[e].value or 0.0 for e in m.E], dtype=float)
        size = np.hypot(p, q)
        if self.opf.formulation is Formulation.SOCP:
            l_sq = np.array([m.l[e].value or 0.0 for e in m.E], dtype=float)
            size = np.maximum(size, np.hypot(p - d.br_r * l_sq, q - d.br_x * l_sq))
        s = pd.Series(size * d.base_mva, index=d.pf.branch_ids[d.br_row].astype(str))
        return vm, s

    def solve(self, theta: float) -> SupportPoint:
        """Maximise ``cos(theta) P + sin(theta) Q`` of the selected group.

        Raises
        ------
        gat_schemas.errors.SolverError
            Infeasible (no set point of the group meets the network limits; the message
            names the limits that relax it), or another HiGHS failure.
        """
        if self.group is None:
            raise SolverError("envelope: no group selected")
        m, d = self.model, self.data
        m.env_cp.value = math.cos(theta)
        m.env_cq.value = math.sin(theta)
        self.solver.update_params()
        # No memory of the loss weight earlier directions needed (see SOCP_LOSS_WEIGHT).
        self.solver.tight_weight = 0.0
        stats = self.solver.solve()
        base = d.base_mva
        p_der = np.array([m.p_der[i].value or 0.0 for i in m.D], dtype=float) * base + 0.0
        q_der = np.array([m.q_der[i].value or 0.0 for i in m.D], dtype=float) * base + 0.0
        return SupportPoint(
            theta=theta,
            p_mw=float(m.env_p.value) * base + 0.0,  # no -0.0
            q_mvar=float(m.env_q.value) * base + 0.0,
            p_der_mw=p_der,
            q_der_mvar=q_der,
            v_sq=np.array([m.v[b].value or 0.0 for b in m.B], dtype=float),
            lp_solves=stats.rounds,
            status=stats.status,
        )
