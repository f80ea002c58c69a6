"""AC evaluation of many configurations: losses, voltages and loadings per load scenario.

Balanced networks: every configuration and scenario in one batched sweep
(:mod:`gat_adms.reconfig._sweep`), checked against ``gat_pf.physics`` in the tests.
Three-phase networks: the branch states differ per configuration, which the physics
interface fixes when a model is built, so one ``gat_pf.physics_model`` is built per
configuration and solves all the scenarios in one batch (node-phase voltages, conductor
loading against ampacity, branch losses from ``gat_pf.power_totals``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_schemas import Network

from ._sweep import sweep_batch
from .grid import ReconfigGrid
from .topology import orient

__all__ = ["AcEvaluation", "evaluate", "score"]

#: A configuration whose sweep takes any voltage below this (pu) is dropped as not
#: converged: it is far outside any voltage band, and near voltage collapse the sweep
#: converges slowly (hundreds of sweeps) or not at all.
V_GIVE_UP = 0.7

#: Tolerance on the voltage band and on 100 % loading before a configuration counts as
#: breaking a limit (pu, fraction).
LIMIT_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class AcEvaluation:
    """C configurations x S scenarios solved in AC.

    Attributes
    ----------
    loss_mw
        (C, S) active losses (MW; NaN when not converged).
    v_min_pu, v_max_pu
        (C, S) lowest and highest voltage over non-slack nodes (node-phases three-phase; pu).
    loading
        (C, S) highest branch (conductor) loading, fraction of its rating (NaN unrated).
    converged
        (C, S) bool.
    violation
        (C, S) largest limit violation: voltage below ``v_min`` or above ``v_max`` (pu), or
        loading above 1 (fraction); 0 when every limit holds.
    violation_kinds
        (C, S, 3) the same per kind of limit: voltage below ``v_min``, voltage above
        ``v_max`` (pu), loading above 1 (fraction); 0 where that kind holds, ``inf`` when
        not converged. A configuration is compared with the present state kind by kind, so
        breaking one limit by less than the present state breaks another does not pass.
    power_flows
        AC power flows solved (C * S).
    """

    loss_mw: np.ndarray
    v_min_pu: np.ndarray
    v_max_pu: np.ndarray
    loading: np.ndarray
    converged: np.ndarray
    violation: np.ndarray
    violation_kinds: np.ndarray
    power_flows: int


def evaluate(
    grid: ReconfigGrid, network: Network, closed: np.ndarray, scales: np.ndarray
) -> AcEvaluation:
    """Solve configurations ``closed`` (C, E) for load factors ``scales`` (S,) in AC."""
    closed = np.atleast_2d(np.asarray(closed, bool))
    scales = np.asarray(scales, float)
    if grid.three_phase:
        return _evaluate_physics(grid, network, closed, scales)
    return _evaluate_balanced(grid, closed, scales)


def _evaluate_balanced(grid: ReconfigGrid, closed: np.ndarray, scales: np.ndarray) -> AcEvaluation:
    c, s = len(closed), len(scales)
    trees = orient(grid, closed)
    # Only radial, complete trees go to the sweep: an unreached node (parent -1) would
    # index the previous pair's last node in the flat arrays and corrupt its solution.
    # The others are kept as rows of a radial stand-in (the present state) and reported
    # not converged.
    solve = np.where(trees.ok, np.arange(c), int(np.argmax(trees.ok)) if trees.ok.any() else 0)
    if not trees.ok.any():
        nan = np.full((c, s), np.nan)
        return AcEvaluation(
            loss_mw=nan,
            v_min_pu=nan,
            v_max_pu=nan,
            loading=nan,
            converged=np.zeros((c, s), bool),
            violation=np.full((c, s), np.inf),
            violation_kinds=np.full((c, s, 3), np.inf),
            power_flows=0,
        )
    s_load = scales[:, None] * (grid.load_p_mw + 1j * grid.load_q_mvar)[None, :] / grid.base_mva
    res = sweep_batch(
        parent=trees.parent[solve],
        pedge=trees.pedge[solve],
        depth=trees.depth[solve],
        closed=closed[solve],
        f=grid.f,
        t=grid.t,
        z=grid.r + 1j * grid.x,
        b=grid.b,
        tap=grid.tap,
        rating=grid.rating_pu,
        is_slack=grid.is_slack,
        v_slack=grid.v_set.astype(complex),
        y_node=grid.y_shunt,
        s_load=s_load,
        max_iter=100,
        v_collapse=V_GIVE_UP,
    )
    vm = np.abs(res.v)
    free = ~grid.is_slack
    conv = res.converged.reshape(c, s) & trees.ok[:, None]
    under = (grid.v_min[free][None, :] - vm[:, free]).max(axis=1)
    over = (vm[:, free] - grid.v_max[free][None, :]).max(axis=1)
    load = res.loading
    kinds = np.stack([under, over, np.nan_to_num(load - 1.0, nan=0.0)], axis=-1)
    kinds = np.where(kinds > LIMIT_TOL, kinds, 0.0).reshape(c, s, 3)
    viol = kinds.max(axis=2)
    loss = np.where(conv, res.loss_pu.reshape(c, s) * grid.base_mva, np.nan)
    return AcEvaluation(
        loss_mw=loss,
        v_min_pu=np.where(conv, vm[:, free].min(axis=1).reshape(c, s), np.nan),
        v_max_pu=np.where(conv, vm[:, free].max(axis=1).reshape(c, s), np.nan),
        loading=np.where(conv, load.reshape(c, s), np.nan),
        converged=conv,
        violation=np.where(conv, viol, np.inf),
        violation_kinds=np.where(conv[:, :, None], kinds, np.inf),
        power_flows=c * s,
    )


def with_states(grid: ReconfigGrid, network: Network, closed: np.ndarray) -> Network:
    """The network with the branch states of one configuration (E,) (bundles follow)."""
    state = grid.branch_closed(closed)
    branches = network.branches.copy()
    pos = branches["branch_id"].astype(str).map({b: k for k, b in enumerate(grid.branch_ids)})
    branches["status"] = np.where(state[pos.to_numpy()], "closed", "open")
    return network.with_table("dist_branches", branches)


def _evaluate_physics(
    grid: ReconfigGrid, network: Network, closed: np.ndarray, scales: np.ndarray
) -> AcEvaluation:
    from gat_pf import physics_model, power_totals

    c, s = len(closed), len(scales)
    out = {k: np.full((c, s), np.nan) for k in ("loss", "vmin", "vmax", "loading", "viol")}
    conv = np.zeros((c, s), bool)
    kinds = np.zeros((c, s, 3))
    for i in range(c):
        model = physics_model(with_states(grid, network, closed[i]))
        sol = model.solve(load_scale=scales, n_scenarios=s)
        lim = model.limits(sol)
        free = ~model.term_slack
        vm = lim.vm_pu[:, free]
        energised = np.isfinite(vm) & (vm > 1e-3)
        conv[i] = sol.converged & energised.all(axis=1)
        out["loss"][i] = power_totals(model, sol).losses_mw
        out["vmin"][i] = np.where(energised, vm, np.inf).min(axis=1)
        out["vmax"][i] = np.where(energised, vm, -np.inf).max(axis=1)
        ld = lim.loading_pct / 100.0
        has = np.isfinite(ld).any(axis=1)
        top = np.where(np.isfinite(ld), ld, -np.inf).max(axis=1, initial=-np.inf)
        out["loading"][i] = np.where(has, top, np.nan)
        # Outside the band the margin is the distance to the limit crossed: below 1 pu
        # the lower one, above it the upper one.
        short = np.maximum(-np.nan_to_num(lim.v_margin_pu[:, free], nan=0.0), 0.0)
        low = np.where(energised & (vm < 1.0), short, 0.0).max(axis=1, initial=0.0)
        high = np.where(energised & (vm >= 1.0), short, 0.0).max(axis=1, initial=0.0)
        k3 = np.stack([low, high, np.nan_to_num(out["loading"][i] - 1.0, nan=0.0)], axis=-1)
        kinds[i] = np.where(k3 > LIMIT_TOL, k3, 0.0)
        out["viol"][i] = kinds[i].max(axis=1)
    return AcEvaluation(
        loss_mw=np.where(conv, out["loss"], np.nan),
        v_min_pu=np.where(conv, out["vmin"], np.nan),
        v_max_pu=np.where(conv, out["vmax"], np.nan),
        loading=np.where(conv, out["loading"], np.nan),
        converged=conv,
        violation=np.where(conv, out["viol"], np.inf),
        violation_kinds=np.where(conv[:, :, None], kinds, np.inf),
        power_flows=c * s,
    )


def score(ev: AcEvaluation, weights: np.ndarray, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """Objective value (lower is better) and largest violation of each kind of limit
    (C, 3: under-voltage, over-voltage, overload; the worst scenario) of each configuration.

    ``loss``: weighted mean loss (MW); ``max-min-voltage``: minus the lowest voltage over
    the scenarios (pu); ``balance``: the highest loading over the scenarios (fraction).
    A configuration that does not converge in every scenario scores ``inf``.
    """
    w = np.asarray(weights, float) / np.sum(weights)
    ok = ev.converged.all(axis=1)
    if objective == "loss":
        value = np.nan_to_num(ev.loss_mw, nan=np.inf) @ w
    elif objective == "max-min-voltage":
        value = -np.nan_to_num(ev.v_min_pu, nan=-np.inf).min(axis=1)
    else:
        value = np.nan_to_num(ev.loading, nan=0.0).max(axis=1)
    value = np.where(ok, value, np.inf)
    return value, np.where(ok[:, None], ev.violation_kinds.max(axis=1), np.inf)
