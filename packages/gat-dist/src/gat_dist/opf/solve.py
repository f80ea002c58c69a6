"""Solving: the persistent HiGHS solver, the cut loop, status mapping and the
infeasibility diagnosis (elastic re-solves, one constraint family at a time)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from gat_schemas.errors import SolverError

from .cuts import (
    BranchValues,
    add_cone_cuts,
    add_thermal_cuts,
    branch_values,
    cone_violation,
    set_seed_cuts,
    thermal_excess,
)
from .objective import uses_losses
from .options import Formulation, Objective, OpfOptions
from .sets import OpfData
from .variables import ELASTIC_FAMILIES

__all__ = ["OpfSolver", "SolveStats", "persistent_highs"]


def persistent_highs(
    m: pyo.ConcreteModel,
    highs_options: dict[str, Any],
    *,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    only_child_vars: bool = False,
) -> Any:
    """A silent persistent HiGHS instance holding ``m``, updated only when told.

    Every repeated solve in GAT (OPF cut loops and sweeps, envelope directions, FLISR
    faults) changes the model through explicit calls, so the automatic change detection
    of Pyomo's persistent interface is switched off: each re-solve then costs the solver's
    work only. ``output_flag`` is forced off on the instance itself, because HiGHS applies
    the option only when a solve starts and a library never prints (a warning on standard
    output would corrupt ``--format json``).

    Every instance runs HiGHS on one thread (``threads = 1``; GAT parallelises across
    shards, not inside a solve). HiGHS sizes its thread scheduler once per process, at the
    first solve, and refuses a later instance asking for another size: an OPF run on the
    default size followed by the one-thread FLISR MILP in the same process ended in
    "HiGHS stopped with unknown".

    Raises
    ------
    gat_schemas.errors.SolverError
        When HiGHS is not available.
    """
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs(only_child_vars=only_child_vars)
    if not opt.available():
        raise SolverError("HiGHS is not available (install highspy)")
    opt.config.load_solution = False
    opt.config.stream_solver = False
    if time_limit_s is not None:
        opt.config.time_limit = time_limit_s
    if mip_gap is not None:
        opt.config.mip_gap = mip_gap
    opt.highs_options = {**highs_options, "threads": 1, "output_flag": False}
    opt.set_instance(m)
    highs = getattr(opt, "_solver_model", None)
    if highs is not None:
        highs.setOptionValue("output_flag", False)
    for name in (
        "check_for_new_or_removed_constraints",
        "check_for_new_or_removed_vars",
        "check_for_new_or_removed_params",
        "check_for_new_objective",
        "update_constraints",
        "update_vars",
        "update_params",
        "update_named_expressions",
        "update_objective",
    ):
        setattr(opt.update_config, name, False)
    return opt


#: A cut whose body is within this of its bound (0) counts as binding when pruning.
_BINDING = 1e-6
#: Cone cuts allowed per branch before the non-binding ones are pruned.
_PRUNE_PER_BRANCH = 2

_FAMILY_TEXT = {
    "voltage": "voltage limits (v_min/v_max)",
    "thermal": "thermal limits (thermal_limit)",
    "reverse_flow": "the reverse-flow limit at the feeder head",
    "asset": "DER asset limits (p_min/p_max/q_min/q_max)",
}


@dataclass(frozen=True)
class SolveStats:
    """Facts of one OPF solve.

    Attributes
    ----------
    status
        ``optimal``, or ``cut_limit`` when ``max_cut_rounds`` was reached first.
    objective
        Objective value (objective units: MW, currency/h).
    rounds
        LP solves (cut rounds).
    cuts
        Cuts added during this solve.
    solve_s
        Wall time of the solve (s).
    cone_violation
        Largest relative cone violation left (0 when no cone is modelled).
    thermal_excess
        Largest relative thermal-limit excess of the series flows left (0 if none).
    loss_weight
        Loss weight of the final solve (0 for the ``loss`` objective).
    """

    status: str
    objective: float
    rounds: int
    cuts: int
    solve_s: float
    cone_violation: float
    thermal_excess: float
    loss_weight: float


class OpfSolver:
    """A persistent HiGHS solver holding one OPF model; cuts and parameter changes are
    passed to it incrementally (HiGHS restarts from the previous basis)."""

    def __init__(self, m: pyo.ConcreteModel, data: OpfData, options: OpfOptions) -> None:
        self.m, self.data, self.options = m, data, options
        # Every variable of the model is a column from the start, so removing cuts never
        # triggers a search for variables that became unused (which is slow).
        opt = persistent_highs(
            m,
            {
                # Tight tolerances: cuts must hold to well below the cone tolerance.
                "primal_feasibility_tolerance": 1e-9,
                "dual_feasibility_tolerance": 1e-9,
                # Devex pricing: exact steepest-edge weights are recomputed after every
                # model change (cuts, bounds, costs), which costs as much as the re-solve.
                "simplex_dual_edge_weight_strategy": 1,
            },
            time_limit_s=options.time_limit_s,
            only_child_vars=True,
        )
        self.opt = opt
        self.total_cuts = 0
        self.thermal_cut_branches: set[int] = set()
        self.cone_cuts: list = []  # type: ignore[type-arg]
        self.tight_weight = 0.0
        self._round_vars = [
            v
            for name in ("p_br", "q_br", "l", "v")
            if hasattr(m, name)
            for v in getattr(m, name).values()
        ]

    @property
    def n_cuts(self) -> int:
        """Cuts in the model: the per-branch seed cuts plus those added by cut rounds."""
        seed = self.data.n_branch if hasattr(self.m, "cut_seed") else 0
        return seed + self.total_cuts

    def add_constraints(self, cons: list) -> None:  # type: ignore[type-arg]
        """Pass new constraints (cuts) to the solver."""
        if cons:
            self.opt.add_constraints(cons)
            self.total_cuts += len(cons)

    def update_params(self) -> None:
        """Pass changed mutable parameters to the solver."""
        self.opt.update_params()

    def update_variables(self, variables: list) -> None:  # type: ignore[type-arg]
        """Pass changed variable bounds to the solver."""
        self.opt.update_variables(variables)

    def _lp(self) -> Any:
        res = self.opt.solve(self.m)
        tc = res.termination_condition.name
        if tc == "infeasibleOrUnbounded":
            # Presolve could not tell; without it HiGHS decides which.
            self.opt.highs_options["presolve"] = "off"
            try:
                res = self.opt.solve(self.m)
            finally:
                self.opt.highs_options.pop("presolve")
            tc = res.termination_condition.name
        return res, tc

    def solve(self) -> SolveStats:
        """Solve, adding cone and thermal cuts until both tolerances hold; for ``socp``
        with an objective other than ``loss``, raise the loss weight while the relaxation
        gap exceeds ``gap_tol``.

        Raises
        ------
        gat_schemas.errors.SolverError
            Infeasible (the message names the constraint families whose relaxation
            restores feasibility), unbounded, time limit, or any other HiGHS failure.
        """
        o, m = self.options, self.m
        t0 = time.perf_counter()
        escalate = o.formulation is Formulation.SOCP and o.objective is not Objective.LOSS
        # Start from the last weight that made the relaxation tight (a sweep's solves are
        # alike), never below the configured one.
        weight = max(o.loss_weight, self.tight_weight)
        if escalate and float(pyo.value(m.loss_w)) != weight:
            m.loss_w.value = weight
            self.update_params()
        rounds = cuts = 0
        while True:
            res, bv, viol, excess, done, r, c = self._cut_loop()
            rounds, cuts = rounds + r, cuts + c
            gap = float(np.max(bv.l - (bv.p**2 + bv.q**2) / bv.w, initial=0.0))
            if not escalate or gap <= o.gap_tol or weight >= o.max_loss_weight:
                if escalate and gap <= o.gap_tol:
                    self.tight_weight = weight
                break
            weight = min(max(weight * 2.0, 0.25), o.max_loss_weight)
            m.loss_w.value = weight
            self.update_params()
        res.solution_loader.load_vars()
        self._prune()
        return SolveStats(
            status="optimal" if done else "cut_limit",
            objective=float(res.best_feasible_objective),
            rounds=rounds,
            cuts=cuts,
            solve_s=time.perf_counter() - t0,
            cone_violation=float(max(viol.max(initial=0.0), 0.0)),
            thermal_excess=float(max(np.nanmax(excess, initial=0.0), 0.0)),
            loss_weight=weight if escalate or o.objective is not Objective.LOSS else 0.0,
        )

    def _cut_loop(self) -> tuple[Any, BranchValues, np.ndarray, np.ndarray, bool, int, int]:
        o, f = self.options, self.options.formulation
        need_cone = uses_losses(o)
        need_th = (
            o.enforce_thermal and f is not Formulation.DC and np.isfinite(self.data.br_rating).any()
        )
        rounds = cuts = 0
        while True:
            res, tc = self._lp()
            rounds += 1
            if tc != "optimal":
                self._fail(tc)
            # Only what the cut tests read; everything once the loop is over.
            res.solution_loader.load_vars(self._round_vars)
            bv = branch_values(self.m, self.data, f)
            viol = cone_violation(bv) if need_cone else np.zeros(0)
            excess = thermal_excess(self.data, bv, f) if need_th else np.zeros(0)
            bad_c = np.flatnonzero(viol > o.cone_tol)
            bad_t = np.flatnonzero(np.nan_to_num(excess, nan=-1.0) > o.thermal_tol)
            done = not bad_c.size and not bad_t.size
            if done or rounds >= o.max_cut_rounds:
                return res, bv, viol, excess, done, rounds, cuts
            cone = add_cone_cuts(self.m, self.data, f, bad_c, bv)
            self.cone_cuts.extend(cone)
            new = cone + add_thermal_cuts(self.m, self.data, f, bad_t, bv)
            self.thermal_cut_branches.update(bad_t.tolist())
            self.add_constraints(new)
            cuts += len(new)

    def _prune(self) -> None:
        """Drop the cone cuts that do not bind at the last solution once there are many.

        Every scenario of a sweep adds cuts where its flows are; kept forever they would
        grow the LP without bound. When the cone cuts exceed ``2 x branches``, the
        non-binding ones leave the model and the solver (which keeps its basis: the rows
        removed are not binding); a dropped cut comes back if a later solve violates the
        cone there.
        """
        if len(self.cone_cuts) <= _PRUNE_PER_BRANCH * max(self.data.n_branch, 1):
            return
        # Cuts are homogeneous (no constant), so the row activity is the body value.
        activity = self.opt.get_slacks(self.cone_cuts)
        keep, drop = [], []
        for c in self.cone_cuts:
            (keep if activity[c] > -_BINDING else drop).append(c)
        if drop:
            self.opt.remove_constraints(drop)
            for c in drop:
                del c.parent_component()[c.index()]
            self.total_cuts -= len(drop)
        self.cone_cuts = keep

    def add_initial_cuts(self, bv: BranchValues) -> None:
        """Move the per-branch seed cuts (``cut_seed``) to a known operating point (an AC
        power flow): parameter changes only, the solver keeps its basis."""
        if hasattr(self.m, "cut_seed"):
            set_seed_cuts(self.m, bv)
            self.opt.update_params()

    # -- failures ---------------------------------------------------------------------

    def _where(self) -> str:
        d = self.data
        return f"OPF ({self.options.formulation.value}, network {d.network_name})"

    def _fail(self, tc: str) -> None:
        where = self._where()
        if tc == "infeasible":
            raise SolverError(f"{where} is infeasible: {self.diagnose()}")
        if tc in ("unbounded", "infeasibleOrUnbounded"):
            raise SolverError(
                f"{where} is unbounded: the objective {self.options.objective.value} can "
                "improve without limit (give the free quantity a bound, e.g. --max-injection)"
            )
        if tc == "maxTimeLimit":
            raise SolverError(f"{where}: HiGHS time limit of {self.options.time_limit_s} s reached")
        raise SolverError(f"{where}: HiGHS stopped with status {tc}")

    def diagnose(self) -> str:
        """Re-solve with each family's elastic slacks released; say which restore feasibility."""
        m = self.m
        found = []
        for family, names in ELASTIC_FAMILIES.items():
            slacks = self._known_slacks(family, names)
            if not slacks:
                continue
            for v in slacks:
                v.setub(None)
            self.opt.update_variables(slacks)
            if hasattr(m, "obj_elastic"):
                m.del_component(m.obj_elastic)
            m.obj_elastic = pyo.Objective(expr=sum(slacks), sense=pyo.minimize)
            m.obj.deactivate()
            self.opt.set_objective(m.obj_elastic)
            try:
                res, tc = self._lp()
                if tc == "optimal":
                    res.solution_loader.load_vars()
                    found.append(self._describe(family, names))
            finally:
                for v in slacks:
                    v.setub(0.0)
                    v.set_value(0.0)
                self.opt.update_variables(slacks)
                m.obj_elastic.deactivate()
                m.obj.activate()
                self.opt.set_objective(m.obj)
        if not found:
            return (
                "no single constraint family (voltage, thermal, reverse_flow, asset) relaxes "
                "it; check the fixed slack/source voltages and the loads"
            )
        return "; ".join(found)

    def _known_slacks(self, family: str, names: tuple[str, ...]) -> list:  # type: ignore[type-arg]
        """The slack variables of ``family`` that appear in the model's constraints."""
        m, f = self.m, self.options.formulation
        dc = f is Formulation.DC
        if family == "voltage" and dc:
            return []
        if family == "reverse_flow" and self.options.reverse_flow_limit_mw is None:
            return []
        if family == "thermal":
            if not self.options.enforce_thermal:
                return []
            if not dc:
                return [m.s_th[e] for e in sorted(self.thermal_cut_branches)]
        if family == "asset" and dc:
            names = ("s_der_p_lb", "s_der_p_ub")
        return [v for name in names for v in getattr(m, name).values()]

    def _describe(self, family: str, names: tuple[str, ...]) -> str:
        m, d = self.m, self.data
        best, label, name_of = 0.0, "", ""
        for name in names:
            for idx, var in getattr(m, name).items():
                val = var.value or 0.0
                if val > best:
                    best, label, name_of = val, _label(d, family, idx), name
        text = f"relaxing {_FAMILY_TEXT[family]} makes it feasible"
        if best <= 0:
            return text
        if family == "voltage":
            b = label[1]
            lim = d.bus_vmin[b] if name_of == "s_vm_lb" else d.bus_vmax[b]
            vm = math.sqrt(max(lim**2 + (best if name_of == "s_vm_ub" else -best), 0.0))
            kind = "v_min" if name_of == "s_vm_lb" else "v_max"
            return f"{text} ({kind} missed by {abs(lim - vm):.4f} pu at node {label[0]})"
        return f"{text} (largest slack {best * d.base_mva:.4g} MW/MVA at {label[0]})"


def _label(d: OpfData, family: str, idx: Any) -> tuple[str, Any]:
    if family == "voltage":
        return str(d.bus_name[idx]), idx
    if family == "thermal":
        return f"branch {d.pf.branch_ids[d.br_row[idx]]}", idx
    if family == "asset":
        return f"asset {d.der_ids[idx]}", idx
    return "the feeder head", idx
