"""The LP of one round of the three-phase OPF (matrix form, solved by HiGHS).

Variables (per DER asset ``d``): ``p[d]``, ``q[d]`` (MW, Mvar, generation positive) and the
elastic slacks ``s_vm_lb[t]``, ``s_vm_ub[t]`` (pu), ``s_amp[c]`` (fraction of the ampacity), ``s_rev`` (MW), all
>= 0 and priced at ``PENALTY`` per unit in the objective: a limit the DER cannot meet (IEEE 13's
regulator output is above 1.05 pu at its published taps) stays as small as they can make it
instead of making the model infeasible; the AC check reports what is left.

The losses are modelled to second order in each asset's own set point (their gradient plus
the diagonal of their Hessian, as tangents ``ineq_curv_p``/``ineq_curv_q``), so the loss
model has an interior optimum instead of sending every step to the trust region's edge.

Constraints, linear in the step ``(p - p0, q - q0)`` from the linearisation point:

- ``ineq_vm_lb[t]``, ``ineq_vm_ub[t]``: ``v_lo + lo[t] <= vm0 + dvm (step) <= v_hi - hi[t]``
  on every terminal not fixed by a slack (``lo``, ``hi``: tightening from the AC rounds);
- ``ineq_amp[c]``: ``loading0 + dloading (step) <= 100 (shrink[c] + s_amp[c])`` (%) on
  rated conductors (each end's current over its own rating);
- ``ineq_rev``: ``head0 + dhead (step) >= -reverse_flow_limit`` (when a limit is set);
- ``ineq_der_s[d, k]``: the inverter circle as an inscribed polygon (``s_max_sides``);
- the trust region and the asset limits as variable bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gat_dist.opf.options import Objective, OpfOptions

from .ac import Linear
from .data import Opf3Data

__all__ = ["PENALTY", "LpResult", "Tightening", "solve_round"]

#: Price of one unit of an elastic slack (pu of voltage, ampacity of current, MW of reverse flow),
#: in objective units: far above any objective, so limits come first.
PENALTY = 1e4
#: Tangents of each asset's loss curvature over the trust region.
_TANGENTS = 17
#: Voltage rows whose linear prediction stays this far inside both limits over the whole
#: trust region are left out of the LP (pu).
_FAR = 0.02


@dataclass
class Tightening:
    """Limits tightened where the AC check broke what the LP predicted (accumulating)."""

    lo: np.ndarray
    hi: np.ndarray
    shrink: np.ndarray


@dataclass(frozen=True)
class LpResult:
    """One LP solution: set points, predicted voltages/currents, objective (model units)."""

    p: np.ndarray
    q: np.ndarray
    vm: np.ndarray
    loading_pct: np.ndarray
    objective: float
    slack_total: float


def true_objective(
    data: Opf3Data, options: OpfOptions, p: np.ndarray, loss_mw: float, head_p_mw: float
) -> float:
    """The objective at AC values (same units as the LP's)."""
    kind = options.objective
    if kind is Objective.LOSS:
        return float(loss_mw)
    if kind is Objective.COST:
        value = float(data.der_c1 @ p + data.der_c0.sum() + options.import_price * head_p_mw)
    else:
        value = float(np.sum((data.der_p_max - p)[data.der_curtailable]))
    return value + options.loss_weight * float(loss_mw)


def _objective_costs(
    data: Opf3Data, lin: Linear, options: OpfOptions
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Linear costs of ``p``, ``q`` (per MW, Mvar), the weight of the curvature variables
    and the constant, so that the objective is ``c_p p + c_q q + w (t_p + t_q) + c0``."""
    loss_c = float(lin.loss_mw) - float(lin.loss_dp @ lin.p) - float(lin.loss_dq @ lin.q)
    kind = options.objective
    if kind is Objective.LOSS:
        return lin.loss_dp.astype(float), lin.loss_dq.astype(float), 1.0, loss_c
    w = float(options.loss_weight)
    c_p, c_q = w * lin.loss_dp, w * lin.loss_dq
    const = w * loss_c
    if kind is Objective.COST:
        price = float(options.import_price)
        c_p = c_p + data.der_c1 + price * lin.head_dp
        c_q = c_q + price * lin.head_dq
        head_c = float(lin.head_p_mw) - float(lin.head_dp @ lin.p) - float(lin.head_dq @ lin.q)
        const += float(data.der_c0.sum()) + price * head_c
    else:
        curt = data.der_curtailable.astype(bool)
        c_p = c_p - curt.astype(float)
        const += float(data.der_p_max[curt].sum())
    return np.asarray(c_p, float), np.asarray(c_q, float), w, const


def solve_round(
    data: Opf3Data,
    lin: Linear,
    options: OpfOptions,
    tight: Tightening,
    radius_mw: float,
) -> LpResult:
    """Build and solve the LP linearised at ``lin`` within ``radius_mw`` of its set points.

    The LP is passed to HiGHS in matrix form (columns ``p``, ``q``, ``t_p``, ``t_q``, then
    the slacks ``s_vm_lb``, ``s_vm_ub``, ``s_amp``, ``s_rev``): every coefficient changes
    with the linearisation, so the model is rebuilt each round, and the voltage rows are
    dense in the assets (a Pyomo build took ~7 s a round on IEEE 123 with 95 assets).

    Raises
    ------
    gat_schemas.errors.SolverError
        When HiGHS fails (the elastic slacks keep the LP feasible).
    """
    import highspy
    import scipy.sparse as sp

    from gat_dist.lp_matrix import new_highs
    from gat_schemas.errors import SolverError

    n_d = data.n_der
    p0, q0 = np.asarray(lin.p, float), np.asarray(lin.q, float)
    p_lo = np.maximum(data.der_p_min, p0 - radius_mw)
    p_hi = np.minimum(data.der_p_max, p0 + radius_mw)
    q_lo = np.maximum(data.der_q_min, q0 - radius_mw)
    q_hi = np.minimum(data.der_q_max, q0 + radius_mw)

    # Voltage rows that can bind somewhere in the trust region.
    reach = (np.abs(lin.vm_dp) + np.abs(lin.vm_dq)).sum(axis=1) * radius_mw if n_d else 0.0
    lo = data.v_lo + tight.lo
    hi = data.v_hi - tight.hi
    near = data.limited & ((lin.vm - reach < lo + _FAR) | (lin.vm + reach > hi - _FAR))
    rows_v = np.flatnonzero(near)
    rows_c = np.flatnonzero(data.rated & options.enforce_thermal)
    n_t, n_c = len(rows_v), len(rows_c)
    # Column blocks.
    c_p, c_q, c_t = 0, n_d, 2 * n_d
    c_slb = 4 * n_d
    c_sub = c_slb + n_t
    c_amp = c_sub + n_t
    c_rev = c_amp + n_c
    n_col = c_rev + 1
    col_lb = np.concatenate([p_lo, q_lo, np.zeros(n_col - 2 * n_d)])
    col_ub = np.concatenate([p_hi, q_hi, np.full(n_col - 2 * n_d, np.inf)])
    cp, cq, w_t, const = _objective_costs(data, lin, options)
    cost = np.concatenate([cp, cq, np.full(2 * n_d, w_t), np.full(n_col - 4 * n_d, PENALTY)])

    blocks: list[sp.spmatrix] = []
    row_lo: list[np.ndarray] = []
    row_hi: list[np.ndarray] = []

    def add(a: sp.spmatrix, lower: np.ndarray, upper: np.ndarray) -> None:
        blocks.append(sp.csr_matrix(a))
        row_lo.append(np.asarray(lower, float))
        row_hi.append(np.asarray(upper, float))

    pq = np.concatenate([p0, q0])
    if n_t:
        jac = np.hstack([lin.vm_dp[rows_v], lin.vm_dq[rows_v]]) if n_d else np.zeros((n_t, 0))
        shift = lin.vm[rows_v] - (jac @ pq if n_d else 0.0)
        eye = sp.identity(n_t, format="csr")
        # vm0 + J step + s_lb >= lo ;  vm0 + J step - s_ub <= hi
        a = sp.hstack([sp.csr_matrix(jac), sp.csr_matrix((n_t, 2 * n_d)), eye,
                       sp.csr_matrix((n_t, n_t + n_c + 1))])  # fmt: skip
        add(a, lo[rows_v] - shift, np.full(n_t, np.inf))
        a = sp.hstack([sp.csr_matrix(jac), sp.csr_matrix((n_t, 2 * n_d + n_t)), -eye,
                       sp.csr_matrix((n_t, n_c + 1))])  # fmt: skip
        add(a, np.full(n_t, -np.inf), hi[rows_v] - shift)
    if n_c:
        jac = (
            np.hstack([lin.loading_dp[rows_c], lin.loading_dq[rows_c]])
            if n_d
            else np.zeros((n_c, 0))
        )
        shift = lin.loading_pct[rows_c] - (jac @ pq if n_d else 0.0)
        a = sp.hstack([sp.csr_matrix(jac), sp.csr_matrix((n_c, 2 * n_d + 2 * n_t)),
                       -100.0 * sp.identity(n_c, format="csr"), sp.csr_matrix((n_c, 1))])  # fmt: skip
        cap = data.cap[rows_c] * tight.shrink[rows_c]
        add(a, np.full(n_c, -np.inf), cap - shift)
    if options.reverse_flow_limit_mw is not None:
        g = np.concatenate([lin.head_dp, lin.head_dq]) if n_d else np.zeros(0)
        row = np.zeros((1, n_col))
        row[0, : 2 * n_d] = g
        row[0, c_rev] = 1.0
        shift = float(lin.head_p_mw) - (float(g @ pq) if n_d else 0.0)
        add(row, np.array([-float(options.reverse_flow_limit_mw) - shift]), np.array([np.inf]))
    # The inverter circle as an inscribed polygon.
    sides = options.s_max_sides
    rated = np.flatnonzero(np.isfinite(data.der_s_max))
    if len(rated):
        ang = 2.0 * math.pi * np.arange(sides) / sides
        d_rep = np.repeat(rated, sides)
        a_rep = np.tile(ang, len(rated))
        k = np.arange(len(d_rep))
        a = sp.csr_matrix(
            (
                np.concatenate([np.cos(a_rep), np.sin(a_rep)]),
                (np.concatenate([k, k]), np.concatenate([c_p + d_rep, c_q + d_rep])),
            ),
            shape=(len(d_rep), n_col),
        )
        add(a, np.full(len(k), -np.inf), data.der_s_max[d_rep] * math.cos(math.pi / sides))
    # Curvature tangents: t >= h a (x - x0) - h a^2 / 2, for h != 0.
    tang = np.linspace(-radius_mw, radius_mw, _TANGENTS)
    for h_all, x0, c_x, c_tt in ((lin.loss_hp, p0, c_p, c_t), (lin.loss_hq, q0, c_q, c_t + n_d)):
        d_on = np.flatnonzero(np.asarray(h_all, float) != 0.0)
        if not len(d_on):
            continue
        d_rep = np.repeat(d_on, _TANGENTS)
        a_rep = np.tile(tang, len(d_on))
        slope = np.asarray(h_all, float)[d_rep] * a_rep
        k = np.arange(len(d_rep))
        a = sp.csr_matrix(
            (
                np.concatenate([np.ones(len(k)), -slope]),
                (np.concatenate([k, k]), np.concatenate([c_tt + d_rep, c_x + d_rep])),
            ),
            shape=(len(k), n_col),
        )
        add(a, -slope * x0[d_rep] - 0.5 * slope * a_rep, np.full(len(k), np.inf))

    n_row = sum(b.shape[0] for b in blocks)
    a_all = sp.vstack(blocks, format="csc") if blocks else sp.csc_matrix((0, n_col))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = cost
    lp.col_lower_ = np.clip(col_lb, -inf, inf)
    lp.col_upper_ = np.clip(col_ub, -inf, inf)
    lp.row_lower_ = np.clip(np.concatenate(row_lo) if row_lo else np.zeros(0), -inf, inf)
    lp.row_upper_ = np.clip(np.concatenate(row_hi) if row_hi else np.zeros(0), -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a_all.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a_all.indices.astype(np.int32)
    lp.a_matrix_.value_ = a_all.data.astype(float)
    lp.offset_ = const
    hs = new_highs()
    if options.time_limit_s is not None:
        hs.setOptionValue("time_limit", float(options.time_limit_s))
    hs.passModel(lp)
    hs.run()
    status = hs.getModelStatus()
    sol = hs.getSolution()
    if status != highspy.HighsModelStatus.kOptimal or not sol.value_valid:
        raise SolverError(
            f"three-phase OPF (network {data.network_name}): HiGHS stopped with status "
            f"{hs.modelStatusToString(status)}"
        )
    x = np.asarray(sol.col_value, dtype=float)
    p = np.clip(x[c_p : c_p + n_d], p_lo, p_hi)
    q = np.clip(x[c_q : c_q + n_d], q_lo, q_hi)
    step_p, step_q = p - p0, q - q0
    vm = lin.vm + (lin.vm_dp @ step_p + lin.vm_dq @ step_q if n_d else 0.0)
    cur = lin.loading_pct + (lin.loading_dp @ step_p + lin.loading_dq @ step_q if n_d else 0.0)
    total = float(x[c_slb:].sum())
    return LpResult(
        p=p,
        q=q,
        vm=vm,
        loading_pct=cur,
        objective=float(hs.getInfo().objective_function_value) - PENALTY * total,
        slack_total=total,
    )
