"""Current-injection fixed point in phase coordinates, batched over scenarios.

With the slack phases' voltages ``v_s`` fixed, the other bus phases solve
``Y_LL v_L = i(v) - Y_LS v_s``, where ``i(v)`` are the load elements' injected currents.
``Y_LL`` is factorised once (SuperLU, fill-reducing column order, so meshed networks work
too) and every iteration is one solve with an ``n x S`` right-hand side for S scenarios.
The start point is the no-load solution, which already carries the transformers' phase
shifts and ratios.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Factor3", "FixedPointResult", "factorize_3ph", "fixed_point"]


@dataclass(frozen=True, eq=False)
class Factor3:
    """LU factors of ``Y_LL`` with ``Y_LS`` and the index sets they refer to."""

    lu: Any
    unknown: np.ndarray
    slack: np.ndarray
    y_ls: Any


@dataclass(frozen=True, eq=False)
class FixedPointResult:
    """Bus-phase voltages (S, n_bp), convergence per scenario, mismatch (pu of base_mva/3)."""

    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray


def factorize_3ph(
    y: Any, slack: np.ndarray, unknown: np.ndarray, order: np.ndarray | None = None
) -> Factor3:
    """Factorise the unknown block of the bus-phase admittance matrix.

    Parameters
    ----------
    y
        Bus-phase admittance matrix (CSR, pu).
    slack, unknown
        Bus phases with fixed voltage, and the others.
    order
        The unknowns leaves first (reverse breadth-first from the slack) for a radial
        network: eliminated in that order without pivoting, a tree has no fill-in beyond
        the phase blocks. ``None`` (or a factor whose check residual is poor) lets SuperLU
        choose a fill-reducing order with partial pivoting.

    Raises
    ------
    RuntimeError
        From SuperLU when ``Y_LL`` is singular.
    """
    import scipy.sparse.linalg as spla

    if order is not None:
        rows = y[order]
        y_ll = rows[:, order].tocsc()
        lu = spla.splu(
            y_ll, permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
        )
        probe = np.exp(1j * np.arange(len(order)))
        err = np.abs(y_ll @ lu.solve(probe) - probe).max()
        if np.isfinite(err) and err < 1e-9:
            return Factor3(lu=lu, unknown=order, slack=slack, y_ls=rows[:, slack].tocsr())
    rows = y[unknown]
    y_ll = rows[:, unknown].tocsc()
    y_ls = rows[:, slack].tocsr()
    lu = spla.splu(y_ll, permc_spec="COLAMD")
    return Factor3(lu=lu, unknown=unknown, slack=slack, y_ls=y_ls)


def fixed_point(
    factor: Factor3,
    loads: Any,
    n_bp: int,
    v_slack: np.ndarray,
    scale: np.ndarray | None,
    n_s: int,
    *,
    tol: float,
    max_iter: int,
    v_start: np.ndarray | None = None,
) -> FixedPointResult:
    """Solve S three-phase power flows together.

    Parameters
    ----------
    factor
        From :func:`factorize_3ph`.
    loads
        :class:`~._loads.LoadElements`.
    n_bp
        Number of bus phases.
    v_slack
        Slack voltages (pu), one per ``factor.slack``.
    scale
        Per-element load factors (S, E), or ``None`` for the network's loads.
    n_s
        Number of scenarios S.
    tol
        Largest per-phase power mismatch allowed (pu of ``base_mva / 3``).
    max_iter
        Iteration limit.
    v_start
        Optional start voltages (S, n_bp) (e.g. the previous regulator round).

    Returns
    -------
    FixedPointResult
    """
    with np.errstate(all="ignore"):  # a diverging iterate ends as not converged
        return _iterate(factor, loads, n_bp, v_slack, scale, n_s, tol, max_iter, v_start)


def _currents_t(loads: Any, ve: np.ndarray, scale_t: np.ndarray | None) -> np.ndarray:
    """Element currents (E, S) from element voltages ``ve`` (E, S) (column layout)."""
    vm = np.abs(ve) / loads.v_nom[:, None]
    s = loads.s_p[:, None] + loads.s_i[:, None] * vm + loads.s_z[:, None] * (vm * vm)
    if scale_t is not None:
        s *= scale_t
    cur = np.conj(s / ve)
    cur[~np.isfinite(cur)] = 0.0
    return cur


def _iterate(
    factor: Factor3,
    loads: Any,
    n_bp: int,
    v_slack: np.ndarray,
    scale: np.ndarray | None,
    n_s: int,
    tol: float,
    max_iter: int,
    v_start: np.ndarray | None,
) -> FixedPointResult:
    # Everything stays in (unknowns x scenarios) layout, in factor order: the element
    # incidence is split into its unknown and slack columns once, so no iteration scatters.
    unknown = factor.unknown
    inc = loads.incidence.tocsc()
    inc_u = inc[:, unknown].tocsr()
    inc_ut = inc_u.T.tocsr()
    ve_s = inc[:, factor.slack] @ v_slack
    c = -(factor.y_ls @ v_slack)
    if v_start is not None:
        v_u = np.ascontiguousarray(v_start[:, unknown].T)
    else:
        v_u = np.repeat(factor.lu.solve(c.astype(complex))[:, None], n_s, axis=1)
    scale_t = None if scale is None else np.ascontiguousarray(scale.T)
    cur = _currents_t(loads, inc_u @ v_u + ve_s[:, None], scale_t)
    inj = -(inc_ut @ cur)
    iterations = np.full(n_s, max_iter, dtype=np.int64)
    mis = np.full(n_s, np.inf)
    # Scenarios leave the iteration when they meet the tolerance or diverge; the others go on.
    active = np.arange(n_s)
    for k in range(1, max_iter + 1):
        every = len(active) == n_s
        inj_a = inj if every else inj[:, active]
        v_a = factor.lu.solve(inj_a + c[:, None])
        sc = None if scale_t is None else (scale_t if every else scale_t[:, active])
        cur = _currents_t(loads, inc_u @ v_a + ve_s[:, None], sc)
        inj_new = -(inc_ut @ cur)
        d = np.conj(inj_a - inj_new)
        d *= v_a
        m = np.abs(d).max(axis=0) if d.shape[0] else np.zeros(len(active))
        if every:
            v_u, inj = v_a, inj_new
        else:
            v_u[:, active] = v_a
            inj[:, active] = inj_new
        mis[active] = m
        ok = m <= tol
        iterations[active[ok]] = k
        active = active[~ok & np.isfinite(m)]
        if not len(active):
            break
    v = np.empty((n_s, n_bp), dtype=complex)
    v[:, factor.slack] = v_slack
    v[:, unknown] = v_u.T
    return FixedPointResult(v=v, converged=mis <= tol, iterations=iterations, mismatch=mis)
