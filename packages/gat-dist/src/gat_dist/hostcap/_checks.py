"""Trial injections solved as one batched AC power flow, and their violations, vectorised.

Written once against :class:`gat_pf.PhysicsModel`, so the same code serves balanced and
three-phase networks. For S trials (connection point ``which[s]`` injecting ``p[s]`` MW),
:func:`evaluate` solves one batch (:meth:`~gat_pf.PhysicsModel.solve`) and reduces its limit
arrays (:meth:`~gat_pf.PhysicsModel.limits`) to one margin per trial: the smallest of the
enforced families' normalised margins,

- voltage: ``10 * min(v_max - vm, vm - v_min)`` over terminals (node phases; nodes in the
  balanced model) that are not slack (pu; slack voltages are fixed by their set point),
- thermal: ``1 - loading / 100`` over rated conductors (balanced: larger-end apparent power
  over ``thermal_limit``; three-phase: conductor current over its ampacity),
- reverse flow: active power from each slack node into the feeder and through each
  regulator phase (forward), over ``max_injection_mw``,
- unbalance: ``(vuf_max - VUF) / vuf_max`` over three-phase nodes (none when balanced);

so a trial is feasible when its margin is >= 0. Limits that the base case (no injection)
already violates are moved to their base-case value plus a tolerance (:func:`relax_to_base`,
:mod:`gat_dist.held_limits`): the DER must not make them worse by more than that. A trial whose power flow does not converge (voltage collapse at a high
injection) is infeasible, with limiting constraint ``voltage`` at the injecting point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

import gat_pf

from ._options import Check, HostcapOptions

__all__ = [
    "CONSTRAINTS",
    "Evaluation",
    "Limits",
    "element_margins",
    "evaluate",
    "make_limits",
    "relax_to_base",
]

#: Limiting-constraint names, indexed by the codes in :attr:`Evaluation.constraint`. Code 0
#: is a trial that breaks no checked limit; a capacity that ends there is the search's upper
#: end (``max_injection_mw``), hence its name ``search_cap``.
CONSTRAINTS = ("search_cap", "voltage", "thermal", "reverse_flow", "unbalance")
_CAP, _VOLTAGE, _THERMAL, _REVERSE, _UNBALANCE = range(5)
_V_WEIGHT = 10.0


@dataclass(frozen=True, eq=False)
class Limits:
    """Constraint data of one physics model (see :func:`make_limits`).

    ``v_min``/``v_max`` (T,) pu per terminal; ``v_terms`` the non-slack terminals;
    ``conds`` the rated conductors and ``loading_lim_pct`` their allowed loading (100 %, or
    the base case's when already above); ``flow_min_mw`` the allowed minimum of the heads'
    and regulators' forward flows (H + R,), 0 or the base case's; ``vuf_max_pct`` (F,).
    """

    checks: frozenset[Check]
    v_min: np.ndarray
    v_max: np.ndarray
    v_terms: np.ndarray
    conds: np.ndarray
    loading_lim_pct: np.ndarray
    flow_min_mw: np.ndarray
    flow_labels: np.ndarray
    vuf_max_pct: np.ndarray
    max_injection_mw: float


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Outcome of S trials (arrays of length S).

    ``margin`` is NaN and ``feasible`` False where the power flow did not converge;
    ``vm_max_pu`` (highest terminal voltage) and ``loading_max_pct`` (highest loading over
    rated conductors, NaN when none is rated) are NaN there too. ``constraint`` holds codes
    into :data:`CONSTRAINTS` of the most violated family (0, ``search_cap``, when feasible) and
    ``element`` the terminal, conductor, node or regulator where it is most violated.
    """

    converged: np.ndarray
    margin: np.ndarray
    feasible: np.ndarray
    vm_max_pu: np.ndarray
    loading_max_pct: np.ndarray
    constraint: np.ndarray
    element: np.ndarray


def make_limits(phys: gat_pf.PhysicsModel, options: HostcapOptions) -> Limits:
    """Collect the limits the enforced checks need from the model's terminals and conductors.

    The voltage band is each node's ``v_min``/``v_max`` (``options.v_max`` overrides the
    upper end everywhere).
    """
    v_max = np.asarray(phys.term_v_max, dtype=float)
    if options.v_max is not None:
        v_max = np.full(len(v_max), float(options.v_max))
    conds = np.flatnonzero(phys.cond_rated)
    n_flows = len(phys.head_node_ids) + len(phys.regulator_ids)
    labels = np.concatenate(
        [np.asarray(phys.head_node_ids, dtype=object), np.asarray(phys.regulator_ids, dtype=object)]
    )
    return Limits(
        checks=options.checks,
        v_min=np.asarray(phys.term_v_min, dtype=float),
        v_max=v_max,
        v_terms=np.flatnonzero(~np.asarray(phys.term_slack, dtype=bool)),
        conds=conds,
        loading_lim_pct=np.full(len(conds), 100.0),
        flow_min_mw=np.zeros(n_flows),
        flow_labels=labels,
        vuf_max_pct=np.full(len(phys.vuf_node), float(options.vuf_max_pct)),
        max_injection_mw=options.max_injection_mw,
    )


def relax_to_base(lim: Limits, base: gat_pf.LimitArrays, tol_pu: float = 0.0) -> Limits:
    """Limits already violated without injection, moved to their base-case value plus
    ``tol_pu`` (:mod:`gat_dist.held_limits`).

    The study asks what the DER adds: a terminal already below ``v_min`` (or above
    ``v_max``), a conductor already overloaded, or a node already unbalanced beyond
    ``vuf_max`` must not get worse by more than ``tol_pu`` (pu of voltage; percentage
    points ``100 tol_pu`` of loading and unbalance), and a feeder head or regulator already
    carrying power backwards must not carry more; none is counted as violated by the base
    case itself. ``base`` holds one scenario.
    """
    from gat_dist.held_limits import held_cap, held_voltage

    vm = base.vm_pu[0]
    loading = np.nan_to_num(base.loading_pct[0, lim.conds], nan=0.0)
    flows = np.concatenate([base.head_p_mw[0], base.regulator_p_mw[0]])
    v_min, v_max = held_voltage(vm, lim.v_min, lim.v_max, tol_pu)
    vuf = np.nan_to_num(base.vuf_pct[0], nan=0.0)
    return replace(
        lim,
        v_min=v_min,
        v_max=v_max,
        loading_lim_pct=held_cap(loading, lim.loading_lim_pct, tol_pu),
        flow_min_mw=np.minimum(lim.flow_min_mw, flows),
        vuf_max_pct=held_cap(vuf, lim.vuf_max_pct, tol_pu),
    )


def evaluate(
    phys: gat_pf.PhysicsModel,
    limits: Limits,
    points: gat_pf.InjectionPoints,
    which: np.ndarray,
    p_mw: np.ndarray,
    *,
    q_per_p: float,
    load_scale: float,
    start: np.ndarray | None = None,
) -> tuple[Evaluation, gat_pf.LimitArrays, np.ndarray]:
    """Solve the S trials (point ``which[s]`` injects ``p_mw[s]`` MW) in one batch and check them.

    ``start`` (S, T) terminal voltages to start the solve from (see
    :meth:`gat_pf.PhysicsModel.solve`). Returns the evaluation, the limit arrays of the batch
    and its (S, T) terminal voltages.
    """
    p = np.asarray(p_mw, dtype=float)
    q = q_per_p * p if q_per_p else np.zeros_like(p)
    inj = gat_pf.Injection.at_points(points, which, p, q)
    sol = phys.solve(inj, load_scale=load_scale, start=start)
    arrays = phys.limits(sol)
    ok = np.asarray(sol.converged, dtype=bool)
    return _check(phys, limits, arrays, ok, points, which), arrays, sol.v


def element_margins(lim: Limits, arr: gat_pf.LimitArrays) -> np.ndarray:
    """Normalised margin of every checked element (S, M): the enforced families' margins of
    :func:`evaluate` side by side (terminals, rated conductors, heads and regulators, three-
    phase nodes), so that their row minimum is :attr:`Evaluation.margin` where the trial
    converged. A search extrapolates each element's margin on its own: the limiting element
    changes with the injection, so the minimum is not linear where each element nearly is.
    """
    vm = arr.vm_pu
    parts = [np.zeros((vm.shape[0], 0))]
    if Check.VOLTAGE in lim.checks and len(lim.v_terms):
        vn = vm[:, lim.v_terms]
        parts.append(
            _V_WEIGHT * np.minimum(lim.v_max[lim.v_terms] - vn, vn - lim.v_min[lim.v_terms])
        )
    if Check.THERMAL in lim.checks and len(lim.conds):
        parts.append(1.0 - arr.loading_pct[:, lim.conds] / lim.loading_lim_pct)
    if Check.REVERSE_FLOW in lim.checks and len(lim.flow_min_mw):
        flows = np.concatenate([arr.head_p_mw, arr.regulator_p_mw], axis=1) - lim.flow_min_mw
        parts.append(flows / lim.max_injection_mw)
    if Check.UNBALANCE in lim.checks and len(lim.vuf_max_pct):
        parts.append((lim.vuf_max_pct - arr.vuf_pct) / lim.vuf_max_pct)
    return np.concatenate(parts, axis=1)


def _check(phys, lim: Limits, arr, ok, points, which) -> Evaluation:  # type: ignore[no-untyped-def]
    vm = arr.vm_pu
    n_s = vm.shape[0]
    rows = np.arange(n_s)
    families = []  # (code, margin (S,), element ids (S,))
    if Check.VOLTAGE in lim.checks and len(lim.v_terms):
        vn = vm[:, lim.v_terms]
        m = np.minimum(lim.v_max[lim.v_terms] - vn, vn - lim.v_min[lim.v_terms])
        k = np.argmin(m, axis=1)
        labels = gat_pf.judged_labels(phys)  # node.AB where judged line to line
        families.append((_VOLTAGE, _V_WEIGHT * m[rows, k], labels[lim.v_terms[k]]))
    loading_max = np.full(n_s, np.nan)
    if len(lim.conds):
        loading = arr.loading_pct[:, lim.conds]
        loading_max = loading.max(axis=1)
        if Check.THERMAL in lim.checks:
            if (lim.loading_lim_pct == 100.0).all():
                rel = loading
            else:
                rel = loading * (100.0 / lim.loading_lim_pct)
            k = np.argmax(rel, axis=1)
            margin = 1.0 - rel[rows, k] / 100.0
            families.append((_THERMAL, margin, phys.cond_label[lim.conds[k]]))
    if Check.REVERSE_FLOW in lim.checks and len(lim.flow_min_mw):
        flows = np.concatenate([arr.head_p_mw, arr.regulator_p_mw], axis=1) - lim.flow_min_mw
        k = np.argmin(flows, axis=1)
        margin = flows[rows, k] / lim.max_injection_mw
        families.append((_REVERSE, margin, lim.flow_labels[k]))
    if Check.UNBALANCE in lim.checks and len(lim.vuf_max_pct):
        m = (lim.vuf_max_pct - arr.vuf_pct) / lim.vuf_max_pct
        k = np.argmin(m, axis=1)
        families.append((_UNBALANCE, m[rows, k], phys.vuf_node[k]))
    if families:
        margins = np.stack([f[1] for f in families])
        worst = np.argmin(margins, axis=0)
        margin = margins[worst, rows]
        codes = np.array([f[0] for f in families])[worst]
        elements = np.stack([np.asarray(f[2]).astype(object) for f in families])[worst, rows]
    else:
        margin, codes = np.full(n_s, np.inf), np.full(n_s, _CAP)
        elements = np.full(n_s, "", dtype=object)
    feasible = ok & (margin >= 0.0)
    codes = np.where(feasible, _CAP, codes)
    elements = np.where(feasible, "", elements)
    # No solution: voltage collapse at the injecting point.
    codes = np.where(ok, codes, _VOLTAGE)
    elements = np.where(ok, elements, points.label[which].astype(object))
    nan = np.full(n_s, np.nan)
    return Evaluation(
        converged=ok,
        margin=np.where(ok, margin, np.nan),
        feasible=feasible,
        vm_max_pu=np.where(ok, vm.max(axis=1), nan),
        loading_max_pct=np.where(ok, loading_max, nan),
        constraint=codes,
        element=elements,
    )
