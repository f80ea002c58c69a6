"""Trial injections solved as one batched AC power flow, and their violations, vectorised.

For S trials (node ``cand[s]`` injecting ``p[s]`` MW), :func:`evaluate` solves one
``gat_pf.solve_batch`` and reduces the (S, N) voltages and (S, n_branch) flows to one margin
per trial: the smallest of the enforced families' normalised margins,

- voltage: ``10 * min(v_max - vm, vm - v_min)`` over non-slack nodes (pu; slack voltages are
  fixed by their set point),
- thermal: ``1 - loading / 100`` over closed, rated branches with impedance (loading = larger
  end apparent power over thermal_limit),
- reverse flow: active power flowing from each slack node into the feeder, over
  ``max_injection_mw``;

so a trial is feasible when its margin is >= 0. Limits that the base case (no injection)
already violates are moved to their base-case value (:func:`relax_to_base`): the DER must
not make them worse. A trial whose power flow does not converge
(voltage collapse at a high injection) is infeasible, with limiting constraint ``voltage``
at the injecting node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gat_pf
from gat_schemas.errors import NotConvergedError

from ._options import Check, HostcapOptions

__all__ = ["CONSTRAINTS", "Evaluation", "Limits", "evaluate", "make_limits", "relax_to_base"]

#: Limiting-constraint names, indexed by the codes in :attr:`Evaluation.constraint`. Code 0
#: is a trial that breaks no checked limit; a capacity that ends there is the search's upper
#: end (``max_injection_mw``), hence its name ``search_cap``.
CONSTRAINTS = ("search_cap", "voltage", "thermal", "reverse_flow")
_CAP, _VOLTAGE, _THERMAL, _REVERSE = range(4)
_V_WEIGHT = 10.0
#: A scenario counts as converged when its largest power mismatch is below this (pu).
_ACCEPT_MISMATCH_PU = 1e-6
_BUS_PQ, _BUS_PV = 0, 1


@dataclass(frozen=True, eq=False)
class Limits:
    """Constraint data of one model, in model order (see :func:`make_limits`)."""

    checks: frozenset[Check]
    v_min: np.ndarray
    v_max: np.ndarray
    v_nodes: np.ndarray
    branches: np.ndarray
    rating_mva: np.ndarray
    head_bus: np.ndarray
    head_node: np.ndarray
    head_min_mw: np.ndarray
    max_injection_mw: float


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Outcome of S trials (arrays of length S).

    ``margin`` is NaN and ``feasible`` False where the power flow did not converge;
    ``vm_max_pu`` (highest node voltage) and ``loading_max_pct`` (highest loading over
    rated branches, NaN when none is rated) are NaN there too. ``constraint`` holds codes
    into :data:`CONSTRAINTS` of the most violated family (0, ``search_cap``, when feasible) and
    ``element`` the node or branch id where it is most violated.
    """

    converged: np.ndarray
    margin: np.ndarray
    feasible: np.ndarray
    vm_max_pu: np.ndarray
    loading_max_pct: np.ndarray
    constraint: np.ndarray
    element: np.ndarray


def make_limits(
    model: gat_pf.PowerFlowModel, nodes_v_min, nodes_v_max, options: HostcapOptions
) -> Limits:  # type: ignore[no-untyped-def]
    """Collect the limits the enforced checks need.

    ``nodes_v_min``/``nodes_v_max`` are the ``dist_nodes`` limits in model order (pu).
    """
    slack = model.node_type == 2
    v_max = np.asarray(nodes_v_max, dtype=float)
    if options.v_max is not None:
        v_max = np.full(model.n_nodes, float(options.v_max))
    rated = np.flatnonzero(model.branch_active & np.isfinite(model.branch_rating))
    head_bus = np.unique(model.node_bus[slack])
    first_node = {int(model.node_bus[i]): i for i in np.flatnonzero(slack)[::-1]}
    return Limits(
        checks=options.checks,
        v_min=np.asarray(nodes_v_min, dtype=float),
        v_max=v_max,
        v_nodes=np.flatnonzero(~slack),
        branches=rated,
        rating_mva=model.branch_rating[rated],
        head_bus=head_bus,
        head_node=np.array([first_node[int(b)] for b in head_bus], dtype=np.int64),
        head_min_mw=np.zeros(len(head_bus)),
        max_injection_mw=options.max_injection_mw,
    )


def relax_to_base(model: gat_pf.PowerFlowModel, lim: Limits, v_base: np.ndarray) -> Limits:
    """Limits already violated without injection, moved to their base-case value.

    The study asks what the DER adds: a node already below ``v_min`` (or above ``v_max``),
    a branch already overloaded, or a feeder head already exporting must not get worse, but
    is not counted as violated by the base case itself. ``v_base`` is the base case's node
    voltages (N,).
    """
    vm = np.abs(v_base)
    v_min = np.minimum(lim.v_min, vm)
    v_max = np.maximum(lim.v_max, vm)
    rating, head_min = lim.rating_mva, lim.head_min_mw
    if len(lim.branches) or len(lim.head_bus):
        a, s_f, s_t = _flows(model, v_base[None, :])
        if len(lim.branches):
            pos = np.searchsorted(a, lim.branches)
            s_max = np.maximum(np.abs(s_f[0, pos]), np.abs(s_t[0, pos])) * model.base_mva
            rating = np.maximum(rating, s_max)
        head = _head_flows(model, lim, a, s_f, s_t)[0]
        head_min = np.minimum(head_min, head)
    return Limits(
        checks=lim.checks,
        v_min=v_min,
        v_max=v_max,
        v_nodes=lim.v_nodes,
        branches=lim.branches,
        rating_mva=rating,
        head_bus=lim.head_bus,
        head_node=lim.head_node,
        head_min_mw=head_min,
        max_injection_mw=lim.max_injection_mw,
    )


def _flows(model, v):  # type: ignore[no-untyped-def]
    """Active branch indices and the power entering them at both ends, (S, n_active) pu."""
    a = np.flatnonzero(model.branch_active)
    v_bus = np.zeros((v.shape[0], model.n_bus), dtype=complex)
    v_bus[:, model.node_bus] = v
    fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
    yff, yft, ytf, ytt = (y[a] for y in model.branch_y)
    vf, vt = v_bus[:, fb], v_bus[:, tb]
    return a, vf * np.conj(yff * vf + yft * vt), vt * np.conj(ytf * vf + ytt * vt)


def _head_flows(model, lim, a, s_f, s_t) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Active power from each slack bus into the feeder (S, n_heads), MW."""
    fb, tb = model.branch_f_bus[a], model.branch_t_bus[a]
    head = np.zeros((s_f.shape[0], len(lim.head_bus)))
    for j, bus in enumerate(lim.head_bus):
        head[:, j] = s_f[:, fb == bus].real.sum(axis=1) + s_t[:, tb == bus].real.sum(axis=1)
    return head * model.base_mva


def evaluate(
    model: gat_pf.PowerFlowModel,
    limits: Limits,
    cand: np.ndarray,
    p_mw: np.ndarray,
    *,
    q_per_p: float,
    load_scale: float,
    pf_options: gat_pf.PowerFlowOptions,
) -> tuple[Evaluation, np.ndarray]:
    """Solve the S trials (node ``cand[s]`` injects ``p_mw[s]`` MW) in one batch and check them.

    Returns the evaluation and the (S, N) node voltages (pu).
    """
    n_s, base = len(cand), model.base_mva
    rows = np.arange(n_s)
    gen_p = np.repeat(model.node_gen.real[None, :] * base, n_s, axis=0)
    gen_p[rows, cand] += p_mw
    gen_q = np.repeat(model.node_gen.imag[None, :] * base, n_s, axis=0)
    if q_per_p:
        gen_q[rows, cand] += q_per_p * p_mw
    scale = None if load_scale == 1.0 else load_scale
    try:
        batch = gat_pf.solve_batch(
            model, gen_p_mw=gen_p, gen_q_mvar=gen_q, load_scale=scale, options=pf_options
        )
        v, ok = batch.voltages, np.asarray(batch.converged, dtype=bool)
    except NotConvergedError as exc:
        if exc.last_iterate is None:
            v, ok = np.ones((n_s, model.n_nodes), dtype=complex), np.zeros(n_s, dtype=bool)
        else:
            v = np.asarray(exc.last_iterate, dtype=complex).reshape(n_s, model.n_nodes)
            ok = _solved(model, v, gen_p + 1j * gen_q, load_scale)
    return _check(model, limits, v, ok, cand), v


def _solved(model, v, gen_mw, load_scale) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Per-scenario convergence from the power mismatch of voltages ``v`` (S, N)."""
    with np.errstate(all="ignore"):
        v_bus = np.zeros((v.shape[0], model.n_bus), dtype=complex)
        v_bus[:, model.node_bus] = v
        vm = np.abs(v)
        z, i = model.node_z_frac, model.node_i_frac
        load = model.node_load[None, :] * load_scale * ((1.0 - z - i) + i * vm + z * vm * vm)
        t = model.node_type
        gen = gen_mw / model.base_mva
        gen = np.where(t == _BUS_PQ, gen, np.where(t == _BUS_PV, gen.real + 0j, 0j))
        spec = np.asarray((model.node_to_bus @ (gen - load).T).T)
        calc = v_bus * np.conj(np.asarray((model.ybus @ v_bus.T).T))
        d = calc - spec
        pq = model.bus_type == _BUS_PQ
        pv = model.bus_type == _BUS_PV
        worst = np.maximum(
            np.max(np.abs(d.real) * (pq | pv), axis=1, initial=0.0),
            np.max(np.abs(d.imag) * pq, axis=1, initial=0.0),
        )
    return np.isfinite(worst) & (worst < _ACCEPT_MISMATCH_PU)


def _check(model, lim: Limits, v, ok, cand) -> Evaluation:  # type: ignore[no-untyped-def]
    n_s = v.shape[0]
    rows = np.arange(n_s)
    vm = np.abs(v)
    families = []  # (code, margin (S,), element ids (S,))
    if Check.VOLTAGE in lim.checks and len(lim.v_nodes):
        vn = vm[:, lim.v_nodes]
        m = np.minimum(lim.v_max[lim.v_nodes] - vn, vn - lim.v_min[lim.v_nodes])
        k = np.argmin(m, axis=1)
        families.append((_VOLTAGE, _V_WEIGHT * m[rows, k], model.node_ids[lim.v_nodes[k]]))
    loading_max = np.full(n_s, np.nan)
    need_flows = len(lim.branches) or (Check.REVERSE_FLOW in lim.checks and len(lim.head_bus))
    if need_flows:
        a, s_f, s_t = _flows(model, v)
        if len(lim.branches):
            pos = np.searchsorted(a, lim.branches)
            s_max = np.maximum(np.abs(s_f[:, pos]), np.abs(s_t[:, pos])) * model.base_mva
            loading = s_max / lim.rating_mva * 100.0
            loading_max = loading.max(axis=1)
            if Check.THERMAL in lim.checks:
                k = np.argmax(loading, axis=1)
                margin = 1.0 - loading[rows, k] / 100.0
                families.append((_THERMAL, margin, model.branch_ids[lim.branches[k]]))
        if Check.REVERSE_FLOW in lim.checks and len(lim.head_bus):
            head = _head_flows(model, lim, a, s_f, s_t) - lim.head_min_mw
            k = np.argmin(head, axis=1)
            margin = head[rows, k] / lim.max_injection_mw
            families.append((_REVERSE, margin, model.node_ids[lim.head_node[k]]))
    if families:
        margins = np.stack([f[1] for f in families])
        worst = np.argmin(margins, axis=0)
        margin = margins[worst, rows]
        codes = np.array([f[0] for f in families])[worst]
        elements = np.stack([f[2].astype(object) for f in families])[worst, rows]
    else:
        margin, codes = np.full(n_s, np.inf), np.full(n_s, _CAP)
        elements = np.full(n_s, "", dtype=object)
    feasible = ok & (margin >= 0.0)
    codes = np.where(feasible, _CAP, codes)
    elements = np.where(feasible, "", elements)
    # No solution: voltage collapse at the injecting node.
    codes = np.where(ok, codes, _VOLTAGE)
    elements = np.where(ok, elements, model.node_ids[cand].astype(object))
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
