"""Public entry points: :class:`OpfProblem` (build once, solve many times) and
:func:`run_opf`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError, NotConvergedError

from .build import build_pyomo_model
from .extract import Solution, branch_table, der_table, injections, node_table, solution
from .options import Formulation, Objective, OpfOptions
from .sets import OpfData, opf_data
from .solve import OpfSolver, SolveStats
from .verify import AcCheck, ac_branch_point, ac_check

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from gat_schemas import Network

__all__ = ["OpfProblem", "OpfResult", "run_opf"]


@dataclass(frozen=True, eq=False)
class OpfResult:
    """Result of one OPF solve.

    Attributes
    ----------
    nodes, branches, der, summary
        The ``opf_nodes``, ``opf_branches``, ``opf_der`` and one-row ``opf_summary`` tables
        (units in ``docs/reference/tables.md``).
    status
        ``optimal`` or ``cut_limit``.
    objective_value
        Objective value (MW for loss/curtailment/hostcap, currency/h for cost).
    build_s, solve_s, verify_s
        Wall times (s): model build (first solve only; 0 for re-solves), LP solves with cut
        rounds, AC verification.
    ac
        The AC check (``None`` when ``verify`` is off).
    """

    nodes: pd.DataFrame
    branches: pd.DataFrame
    der: pd.DataFrame
    summary: pd.DataFrame
    status: str
    objective_value: float
    build_s: float
    solve_s: float
    verify_s: float
    ac: AcCheck | None


def _default_tables(
    network: Network, assets: pd.DataFrame | None, cost_curves: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    return (
        network.table("der_assets") if assets is None else assets,
        network.table("der_cost_curves") if cost_curves is None else cost_curves,
    )


class OpfProblem:
    """An OPF model built once and solved as often as needed.

    Parameters change without a rebuild (:meth:`set_load_scale`, :meth:`solve_host`); the
    persistent HiGHS solver keeps the model, the cuts of earlier solves and its basis.

    Parameters
    ----------
    network
        The network.
    assets
        ``der_assets`` table (default: the network's own, if any).
    cost_curves
        ``der_cost_curves`` table (default: the network's own, if any).
    options
        OPF options.
    """

    def __init__(
        self,
        network: Network,
        *,
        assets: pd.DataFrame | None = None,
        cost_curves: pd.DataFrame | None = None,
        options: OpfOptions = OpfOptions(),  # noqa: B008 -- frozen, immutable
    ) -> None:
        import gat_pf

        t0 = time.perf_counter()
        assets, cost_curves = _default_tables(network, assets, cost_curves)
        pf = gat_pf.build_model(network)
        self.options = options
        self.data: OpfData = opf_data(network, pf, options, assets=assets, cost_curves=cost_curves)
        self.model: pyo.ConcreteModel = build_pyomo_model(self.data, options)
        self.solver = OpfSolver(self.model, self.data, options)
        self._load_scale = options.load_scale
        if options.seed_cuts:
            self._seed_cuts()
        self.build_s = time.perf_counter() - t0
        self._solves = 0

    def _seed_cuts(self, p_der: np.ndarray | None = None, q_der: np.ndarray | None = None) -> None:
        """Cone cuts at the AC power flow of a starting point: DER at ``p_der``, ``q_der``
        (pu; default the value of their range nearest 0)."""
        d = self.data
        p0 = (np.clip(0.0, d.der_p_min, d.der_p_max) if p_der is None else p_der) * d.base_mva
        q0 = (np.clip(0.0, d.der_q_min, d.der_q_max) if q_der is None else q_der) * d.base_mva
        n = d.pf.n_nodes
        p = np.bincount(d.der_node, weights=p0, minlength=n)[None, :]
        q = np.bincount(d.der_node, weights=q0, minlength=n)[None, :]
        import gat_pf

        base = d.pf.node_gen * d.base_mva
        try:
            batch = gat_pf.solve_batch(
                d.pf, gen_p_mw=p + base.real, gen_q_mvar=q + base.imag, load_scale=self._load_scale
            )
        except NotConvergedError:
            return
        self.solver.add_initial_cuts(ac_branch_point(d, batch.voltages[0]))

    def set_load_scale(self, load_scale: float) -> None:
        """Scale every load by ``load_scale`` from the next solve on (no rebuild); with
        ``seed_cuts``, cone cuts are added at the AC power flow of the new load level."""
        if not load_scale >= 0:
            raise InputError(f"load_scale must be >= 0, got {load_scale}")
        m = self.model
        m.load_scale.value = float(load_scale)
        m.load_scale_var.setlb(float(load_scale))
        m.load_scale_var.setub(float(load_scale))
        self._load_scale = float(load_scale)
        self.solver.update_variables([m.load_scale_var])
        if (self.data.bus_load_pv != 0).any() or (self.data.bus_load_qv != 0).any():
            self.solver.update_params()  # ZIP shares: load_scale * slope * v
        if self.options.seed_cuts:
            # Cuts where the new operating point is, with DER at their last set points.
            p = np.array([m.p_der[i].value or 0.0 for i in m.D], dtype=float)
            q = np.array([m.q_der[i].value or 0.0 for i in m.D], dtype=float)
            self._seed_cuts(p, q)

    def _solve_stats(self) -> tuple[SolveStats, Solution]:
        stats = self.solver.solve()
        return stats, solution(self.model, self.data, self.options.formulation)

    def solve(self, *, verify: bool | None = None) -> OpfResult:
        """Solve (with cut rounds), AC-verify and return the result tables.

        Raises
        ------
        gat_schemas.errors.SolverError
            Infeasible (naming the constraint family that relaxes it), unbounded, or a
            HiGHS failure.
        """
        stats, sol = self._solve_stats()
        build_s = self.build_s if self._solves == 0 else 0.0
        self._solves += 1
        t0 = time.perf_counter()
        ac = None
        if self.options.verify if verify is None else verify:
            p, q = injections(self.data, sol)
            ac = ac_check(self.data, p[None, :], q[None, :], load_scale=self._load_scale)
        verify_s = time.perf_counter() - t0
        f = self.options.formulation
        nodes = node_table(self.data, sol, ac, self._load_scale, 0.0)
        branches = branch_table(self.data, sol, ac, f)
        der = der_table(self.data, sol)
        summary = _summary(self, stats, sol, ac, nodes, branches, der, build_s, verify_s)
        return OpfResult(
            nodes=nodes,
            branches=branches,
            der=der,
            summary=summary,
            status=stats.status,
            objective_value=stats.objective,
            build_s=build_s,
            solve_s=stats.solve_s,
            verify_s=verify_s,
            ac=ac,
        )

    def solve_host(self, node_id: str, *, max_injection_mw: float) -> tuple[SolveStats, Solution]:
        """Maximise the injection at one node (objective ``hostcap`` only; no rebuild).

        Parameters
        ----------
        node_id
            A non-slack, non-source node.
        max_injection_mw
            Upper bound of the injection (MW); its power factor is
            ``OpfOptions.host_power_factor``.
        """
        if self.options.objective is not Objective.HOSTCAP:
            raise InputError("solve_host needs OpfOptions(objective='hostcap')")
        m, d = self.model, self.data
        index = {str(n): i for i, n in enumerate(d.pf.node_ids)}
        if node_id not in index:
            raise InputError(f"hostcap: node {node_id} not in dist_nodes")
        b = int(d.pf.node_bus[index[node_id]])
        if b not in m.B_ns:
            raise InputError(f"hostcap: node {node_id} is a slack or source node")
        # The objective maximises the sum of all hosting injections; only this node's
        # upper bound is open, so one column-bound change selects the node.
        m.p_host[b].setub(max_injection_mw / d.base_mva)
        self.solver.update_variables([m.p_host[b]])
        try:
            return self._solve_stats()
        finally:
            m.p_host[b].setub(0.0)
            self.solver.update_variables([m.p_host[b]])


def _summary(
    prob: OpfProblem,
    stats: SolveStats,
    sol: Solution,
    ac: AcCheck | None,
    nodes: pd.DataFrame,
    branches: pd.DataFrame,
    der: pd.DataFrame,
    build_s: float,
    verify_s: float,
) -> pd.DataFrame:
    d, o = prob.data, prob.options
    f = o.formulation
    base = d.base_mva
    if f is Formulation.SOCP:
        loss = float(np.sum(d.br_r * sol.l) * base)
        gap = float(np.abs(branches["cone_gap_pu"]).max()) if len(branches) else 0.0
    else:
        q = np.nan_to_num(sol.q_br)
        loss = float(np.sum(d.br_r * (sol.p_br**2 + q**2)) * base)
        gap = math.nan
    vm_err = math.nan
    ok = ac is not None and bool(ac.converged[0])
    if ok and f is not Formulation.DC:
        vm_err = float(np.abs(nodes["vm_pu"] - nodes["vm_ac_pu"]).max())

    def pick(value: float) -> float:
        return float(value) if ok else math.nan

    row = {
        "network": d.network_name,
        "formulation": f.value,
        "objective": o.objective.value,
        "objective_value": stats.objective,
        "status": stats.status,
        "build_s": build_s,
        "solve_s": stats.solve_s,
        "verify_s": verify_s,
        "cut_rounds": stats.rounds,
        "cuts": prob.solver.n_cuts,
        "cone_violation": stats.cone_violation,
        "loss_weight": stats.loss_weight,
        "relaxation_gap_pu": gap,
        "import_mw": float(sol.p_slack.sum() * base),
        "p_loss_mw": loss,
        "der_p_mw": float(der["p_mw"].sum()),
        "curtailment_mw": float(der["curtailment_mw"].sum()),
        "vm_min_pu": float(nodes["vm_pu"].min()),
        "vm_max_pu": float(nodes["vm_pu"].max()),
        "ac_converged": ok,
        "ac_p_loss_mw": pick(ac.p_loss_mw[0]) if ac is not None else math.nan,
        "ac_vm_min_pu": pick(ac.vm[0].min()) if ac is not None else math.nan,
        "ac_vm_max_pu": pick(ac.vm[0].max()) if ac is not None else math.nan,
        "ac_vm_violation_pu": pick(ac.vm_violation_pu[0]) if ac is not None else math.nan,
        "ac_vm_violation_node": str(ac.vm_violation_node[0])
        if ok and ac is not None and ac.vm_violation_pu[0] > 0
        else None,
        "ac_thermal_violation_pct": pick(ac.thermal_violation_pct[0])
        if ac is not None
        else math.nan,
        "ac_thermal_violation_branch": str(ac.thermal_violation_branch[0])
        if ok and ac is not None and ac.thermal_violation_pct[0] > 0
        else None,
        "vm_error_max_pu": vm_err,
    }
    return pd.DataFrame([row])


def run_opf(
    network: Network,
    *,
    assets: pd.DataFrame | None = None,
    cost_curves: pd.DataFrame | None = None,
    options: OpfOptions = OpfOptions(),  # noqa: B008 -- frozen, immutable
) -> OpfResult:
    """Build, solve and AC-verify one OPF.

    Parameters
    ----------
    network
        The network (radial for ``socp`` and ``lindistflow``). A network with three-phase
        tables (:func:`gat_pf.physics_model` calls it three-phase) is solved by the
        three-phase model (:mod:`gat_dist.opf.threephase`; ``formulation`` does not apply,
        ``opf_summary.formulation`` says ``slp3ph``).
    assets
        Controllable DER (``der_assets``; default: the network's own table, if any).
    cost_curves
        ``der_cost_curves`` (default: the network's own table, if any).
    options
        Formulation, objective, limits and tolerances.

    Returns
    -------
    OpfResult

    Raises
    ------
    gat_schemas.errors.InputError
        Unusable network, assets or options.
    gat_schemas.errors.SolverError
        Infeasible (the message names the constraint family whose relaxation restores
        feasibility), unbounded, or another HiGHS failure.
    """
    if options.objective is Objective.HOSTCAP:
        raise InputError("run_opf: use hostcap_opf for the hostcap objective")
    from gat_pf.physics import is_three_phase

    if is_three_phase(network):
        from .threephase import run_opf_3ph

        assets, cost_curves = _default_tables(network, assets, cost_curves)
        return run_opf_3ph(network, assets=assets, cost_curves=cost_curves, options=options)
    return OpfProblem(network, assets=assets, cost_curves=cost_curves, options=options).solve()
