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

from ._loads import element_currents, injections

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
    unknown = factor.unknown
    c = -(factor.y_ls @ v_slack)
    v = np.empty((n_s, n_bp), dtype=complex)
    v[:, factor.slack] = v_slack
    if v_start is not None:
        v[:, unknown] = v_start[:, unknown]
    else:
        v[:, unknown] = factor.lu.solve(c.astype(complex))[None, :]
    cur, _ = element_currents(loads, v, scale)
    inj = injections(loads, cur)[:, unknown]
    iterations = np.full(n_s, max_iter, dtype=np.int64)
    done = np.zeros(n_s, dtype=bool)
    mis = np.full(n_s, np.inf)
    rhs = np.empty((len(unknown), n_s), dtype=complex, order="F")
    for k in range(1, max_iter + 1):
        np.add(inj.T, c[:, None], out=rhs)
        v_u = factor.lu.solve(rhs).T
        v[:, unknown] = v_u
        cur, _ = element_currents(loads, v, scale)
        inj_new = injections(loads, cur)[:, unknown]
        d = np.conj(inj - inj_new) * v_u
        mis = np.abs(d).max(axis=1) if d.shape[1] else np.zeros(n_s)
        inj = inj_new
        newly = (mis <= tol) & ~done
        iterations[newly] = k
        done |= newly
        if done.all() or not np.isfinite(mis).all():
            break
    return FixedPointResult(v=v, converged=mis <= tol, iterations=iterations, mismatch=mis)
