"""The Volt/VAR MILP over P periods of one day on the linear model (HiGHS, matrix form).

Columns per period ``p``: taps ``t`` (R, integer steps), capacitors ``u`` (C, binary), DER
reactive power ``q`` (D, Mvar); voltages ``v`` (L terminals with limits, pu) tied to them
by the linear model; elastic excursions ``s_lo``, ``s_hi`` (pu) priced at
``violation_cost``; deviations ``e = |v - v_ref|`` when the objective has them; operation
counts ``dt >= |t_p - t_{p-1}|`` and ``dc >= |u_p - u_{p-1}|`` linking consecutive periods.

Rows (sign conventions: every row is ``lo <= a x <= hi``):

- ``eq_v``: ``v - J x = vm0 - J x0`` (J from :meth:`AcEngine.linearise`, x0 the point);
- ``ineq_v_lb``/``ineq_v_ub``: ``v + s_lo >= v_min``, ``v - s_hi <= v_max``. Without a
  voltage-deviation term the voltages are not columns: the limit rows are written on the
  controls (``J x - s_hi <= v_max - vm0 + J x0``) for the terminals whose row no other
  terminal's implies within the MILP's box (:func:`_undominated`);
- ``ineq_dev``: ``e - v >= -v_ref``, ``e + v >= v_ref``;
- ``ineq_ops``: ``dt -+ (t_p - t_{p-1}) >= 0`` (likewise capacitors) and
  ``sum_p dt <= max_tap_ops`` per regulator, ``sum_p dc <= max_cap_ops`` per capacitor.

Objective: ``sum_p h_p (w_loss dLoss_p + w_cvr dDemand_p + w_dev mean(e_p)) + curvature +
violation_cost sum (s_lo + s_hi) + 1e-6 sum (dt + dc)`` (the constants of the linear model
are dropped; the last term keeps a device still when moving it gains nothing). The
curvature is ``sum h/2 dx^2`` per control alone (losses are nearly quadratic in reactive
power: without it the MILP drives every DER to its limit), as tangent rows on an epigraph
column. The tap
columns are bounded to ``tap_window`` steps around the point (trust region).

Pyomo is not used here (a departure from DESIGN.md 4, see ``history/2026-12-04-vvo.md``):
the rows are dense in the controls and a 24-period IEEE 123 model has ~200 000 non-zeros,
which Pyomo takes seconds to build per round; HiGHS takes the sparse matrix directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_dist.lp_matrix import Cols, Rows, build_lp, new_highs
from gat_schemas.errors import SolverError

from .controls import Controls, Settings
from .evaluate import Linear
from .options import VvoOptions

__all__ = ["MilpResult", "solve_milp"]

_OPS_COST = 1e-6


@dataclass(frozen=True, eq=False)
class MilpResult:
    """Settings per period chosen by the MILP and its predicted objective (objective units)."""

    settings: list[Settings]
    objective: float
    status: str


def _undominated(scaled_jac: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Terminals whose limit row no other terminal's row implies, over the MILP's box.

    ``scaled_jac`` (L, N) is each terminal's voltage sensitivity times the largest move of
    each control in the box, ``margin`` (L,) the room to the limit at the point (pu; the
    same comparison serves the upper and the lower limit). Terminal ``j`` dominates ``i`` when
    ``margin_i - margin_j >= sum |J_j - J_i| * span`` (strictly, by 1e-9): then ``j``'s
    row holds only if ``i``'s does everywhere in the box, so ``i``'s row is dropped. On IEEE
    123 this keeps about a third of the upper-limit rows and a fifth of the lower.
    """
    n = len(margin)
    if n <= 1:
        return np.arange(n)
    dist = np.abs(scaled_jac[:, None, :] - scaled_jac[None, :, :]).sum(axis=2)
    dominated = (margin[:, None] - margin[None, :]) >= dist + 1e-9
    np.fill_diagonal(dominated, False)
    return np.flatnonzero(~dominated.any(axis=1))


def solve_milp(
    lin: Linear,
    points: list[Settings],
    controls: Controls,
    options: VvoOptions,
    *,
    limited: np.ndarray,
    v_lo: np.ndarray,
    v_hi: np.ndarray,
    q_lo: np.ndarray,
    q_hi: np.ndarray,
    hours: np.ndarray,
    window: int,
    link: bool,
) -> MilpResult:
    """Solve the MILP of P periods linearised at ``points`` (see the module doc).

    Parameters
    ----------
    lin
        Linear model of every period at its point.
    points
        (P) the settings the model was linearised at.
    limited
        (T,) terminals with limits.
    v_lo, v_hi
        (T,) or (P, T) voltage band (pu).
    q_lo, q_hi
        (P, D) DER reactive limits at each period's active power (Mvar).
    hours
        (P,) length of each period (h).
    window
        Trust region of the taps (steps).
    link
        Count operations between consecutive periods (a day); ``False`` for independent
        periods.

    Raises
    ------
    gat_schemas.errors.SolverError
        HiGHS ends without a solution (the model is always feasible: limits are elastic).
    """

    c = controls
    n_p = len(points)
    n_r, n_c, n_d = c.n_taps, c.n_caps, c.n_der
    lim_idx = np.flatnonzero(limited)
    n_l = len(lim_idx)
    w_loss, w_cvr, w_dev = (options.weight(k) for k in ("loss", "cvr", "voltage-deviation"))
    x0 = np.array(
        [np.concatenate([s.taps, s.caps.astype(float), s.q_mvar]) for s in points]
    ).reshape(n_p, n_r + n_c + n_d)
    cols, rows = Cols(), Rows()
    h = np.asarray(hours, dtype=float)
    grad = h[:, None] * (w_loss * lin.d_loss + w_cvr * lin.d_demand)  # (P, N)
    t0 = x0[:, :n_r]
    t_lo = np.maximum(c.tap_min[None, :], t0 - window)
    t_hi = np.minimum(c.tap_max[None, :], t0 + window)
    tcol = cols.add((n_p, n_r), t_lo, t_hi, grad[:, :n_r], integer=True)
    ucol = cols.add((n_p, n_c), 0.0, 1.0, grad[:, n_r : n_r + n_c], integer=True)
    qlo = q_lo if options.der_q else np.zeros((n_p, n_d))
    qhi = q_hi if options.der_q else np.zeros((n_p, n_d))
    qcol = cols.add((n_p, n_d), qlo, qhi, grad[:, n_r + n_c :])
    xcol = np.concatenate([tcol, ucol, qcol], axis=1)  # (P, N)
    pen = options.violation_cost * h[:, None]
    jac = lin.d_vm[:, lim_idx, :]  # (P, L, N)
    v_lo = np.broadcast_to(np.asarray(v_lo, dtype=float), (n_p, len(limited)))[:, lim_idx]
    v_hi = np.broadcast_to(np.asarray(v_hi, dtype=float), (n_p, len(limited)))[:, lim_idx]
    vm0 = lin.vm[:, lim_idx]
    vcol = None
    if w_dev > 0 and n_l:
        # Voltages as columns (the deviation term needs every one).
        vcol = cols.add((n_p, n_l), -np.inf, np.inf)
        slo = cols.add((n_p, n_l), 0.0, np.inf, np.broadcast_to(pen, (n_p, n_l)))
        shi = cols.add((n_p, n_l), 0.0, np.inf, np.broadcast_to(pen, (n_p, n_l)))
        # eq_v: v - J x = vm0 - J x0
        rhs = vm0 - np.einsum("pln,pn->pl", jac, x0)
        eq = rows.add((n_p, n_l), rhs, rhs)
        rows.coef(eq, vcol, 1.0)
        rows.coef(eq[:, :, None], xcol[:, None, :], -jac)
        lb = rows.add((n_p, n_l), v_lo, np.inf)
        rows.coef(lb, vcol, 1.0)
        rows.coef(lb, slo, 1.0)
        ub = rows.add((n_p, n_l), -np.inf, v_hi)
        rows.coef(ub, vcol, 1.0)
        rows.coef(ub, shi, -1.0)
    else:
        # ineq_v_ub/lb directly on the controls, for the terminals no other terminal
        # dominates within the box of this MILP (see _undominated).
        span = np.maximum(
            np.concatenate([t_hi, np.ones((n_p, n_c)), qhi], axis=1) - x0,
            x0 - np.concatenate([t_lo, np.zeros((n_p, n_c)), qlo], axis=1),
        )
        for p_i in range(n_p):
            j_p = jac[p_i]
            jx0 = j_p @ x0[p_i]
            for side in ("hi", "lo"):
                margin = v_hi[p_i] - vm0[p_i] if side == "hi" else vm0[p_i] - v_lo[p_i]
                keep = _undominated(j_p * span[p_i], margin)
                k = len(keep)
                if not k:
                    continue
                s_col = cols.add((k,), 0.0, np.inf, pen[p_i, 0])
                if side == "hi":
                    r = rows.add((k,), -np.inf, v_hi[p_i, keep] - vm0[p_i, keep] + jx0[keep])
                    rows.coef(r, s_col, -1.0)
                else:
                    r = rows.add((k,), v_lo[p_i, keep] - vm0[p_i, keep] + jx0[keep], np.inf)
                    rows.coef(r, s_col, 1.0)
                rows.coef(r[:, None], xcol[p_i][None, :], j_p[keep])
    # Curvature of the objective in each control alone, as tangents of h/2 dx^2 (exact at
    # integer tap moves; 11 tangents over a DER's range).
    curv = h[:, None] * (w_loss * lin.h_loss + w_cvr * lin.h_demand)  # (P, N)
    lo_x = np.concatenate([t_lo, np.zeros((n_p, n_c)), qlo], axis=1) - x0
    hi_x = np.concatenate([t_hi, np.ones((n_p, n_c)), qhi], axis=1) - x0
    for p_i, k in zip(*np.nonzero(curv > 1e-12), strict=True):
        if n_r <= k < n_r + n_c:
            continue
        if k < n_r:
            pts = np.arange(lo_x[p_i, k], hi_x[p_i, k] + 1.0)
        else:
            pts = np.linspace(lo_x[p_i, k], hi_x[p_i, k], 11)
        if len(pts) < 2:
            continue
        hk = curv[p_i, k]
        z = cols.add((1,), 0.0, np.inf, 1.0)
        r = rows.add((len(pts),), -hk * pts * x0[p_i, k] - 0.5 * hk * pts**2, np.inf)
        rows.coef(r, z[0], 1.0)
        rows.coef(r, xcol[p_i, k], -hk * pts)
    if vcol is not None:
        ecol = cols.add(
            (n_p, n_l), 0.0, np.inf, np.broadcast_to(w_dev * h[:, None] / n_l, (n_p, n_l))
        )
        d1 = rows.add((n_p, n_l), -options.v_ref, np.inf)
        rows.coef(d1, ecol, 1.0)
        rows.coef(d1, vcol, -1.0)
        d2 = rows.add((n_p, n_l), options.v_ref, np.inf)
        rows.coef(d2, ecol, 1.0)
        rows.coef(d2, vcol, 1.0)
    if link and n_p > 1:
        for col, limit in ((tcol, options.max_tap_ops), (ucol, options.max_cap_ops)):
            k = col.shape[1]
            if not k:
                continue
            dcol = cols.add((n_p - 1, k), 0.0, np.inf, _OPS_COST)
            for sign in (1.0, -1.0):
                r = rows.add((n_p - 1, k), 0.0, np.inf)
                rows.coef(r, dcol, 1.0)
                rows.coef(r, col[1:], -sign)
                rows.coef(r, col[:-1], sign)
            if limit is not None:
                r = rows.add((k,), -np.inf, float(limit))
                rows.coef(r[None, :], dcol, 1.0)
    lp = build_lp(cols, rows)
    hs = new_highs()
    # The constants of the linear model make the gap relative to the day's objective.
    lp.offset_ = float(np.sum(h * (w_loss * lin.loss + w_cvr * lin.demand)))
    hs.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.time_limit_s is not None:
        hs.setOptionValue("time_limit", float(options.time_limit_s))
    hs.passModel(lp)
    hs.run()
    status = hs.modelStatusToString(hs.getModelStatus())
    sol = hs.getSolution()
    if not sol.value_valid:
        raise SolverError(f"VVO MILP: HiGHS ended with {status} and no solution")
    x = np.asarray(sol.col_value)
    out = []
    for p in range(n_p):
        out.append(
            Settings(
                taps=np.rint(x[tcol[p]]).astype(np.int64),
                caps=x[ucol[p]] > 0.5,
                q_mvar=np.clip(x[qcol[p]], qlo[p], qhi[p]),
            )
        )
    return MilpResult(
        settings=out, objective=float(hs.getInfo().objective_function_value), status=status
    )
