"""Backward/forward sweep as a current-injection fixed point on the Y-bus.

With the slack voltages ``v_s`` fixed, the non-slack voltages solve
``Y_LL v_L = conj(S(v_L) / v_L) - Y_LS v_s``. Iterating that equation with ``Y_LL``
factorised once is the backward/forward sweep of a radial feeder written in matrix form
(the triangular solves are the backward current summation and the forward voltage update);
it also works on weakly meshed feeders. The factors are reused across iterations and
scenarios: S scenarios are one ``N x S`` right-hand side.

For a radial network the unknowns are ordered leaves-first (reverse breadth-first order),
which eliminates each bus into its parent without fill-in, so no ordering step is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SweepFactor", "SweepResult", "factorize", "sweep"]


@dataclass(frozen=True, eq=False)
class SweepFactor:
    """LU factors of the non-slack block of the Y-bus, with the unknowns' bus indices.

    Attributes
    ----------
    lu
        ``scipy.sparse.linalg.SuperLU`` of ``Y_LL`` (unknowns in ``unknown`` order).
    unknown
        Bus index of each unknown, in factor order.
    y_ls
        ``Y_LS`` (CSR, unknowns x slack buses).
    slack
        Slack bus indices (columns of ``y_ls``).
    """

    lu: Any
    unknown: np.ndarray
    y_ls: Any
    slack: np.ndarray


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Result of :func:`sweep`: unknown voltages ``v`` (S x n_unknown), convergence facts."""

    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray


def factorize(
    ybus: Any,
    slack: np.ndarray,
    nonslack: np.ndarray,
    order: np.ndarray | None,
    *,
    radial: bool = True,
) -> SweepFactor:
    """Factorise the non-slack block of the Y-bus.

    Parameters
    ----------
    ybus
        Complex CSR bus admittance matrix (pu).
    slack, nonslack
        Bus indices of slack and non-slack buses.
    order
        Buses in an order where parents precede children (breadth- or depth-first from the
        slack), or ``None``.
    radial
        When true, the unknowns are taken in reverse ``order`` (leaves first) and factorised
        without reordering (no fill-in on a tree); otherwise SuperLU orders them itself.

    Raises
    ------
    RuntimeError
        From SuperLU when ``Y_LL`` is singular.
    """
    import scipy.sparse.linalg as spla

    if radial and order is not None:
        is_ns = np.zeros(ybus.shape[0], dtype=bool)
        is_ns[nonslack] = True
        rev = order[::-1]
        unknown = rev[is_ns[rev]]
        permc, opts = "NATURAL", {"SymmetricMode": True}
        pivot = 0.0
    else:
        unknown = np.asarray(nonslack)
        permc, opts, pivot = "COLAMD", {}, 1.0
    rows = ybus[unknown]
    y_ll = rows[:, unknown].tocsc()
    y_ls = rows[:, slack].tocsr()
    lu = spla.splu(y_ll, permc_spec=permc, diag_pivot_thresh=pivot, options=opts)
    return SweepFactor(lu=lu, unknown=unknown, y_ls=y_ls, slack=np.asarray(slack))


def _spec(
    v: np.ndarray, s_const: np.ndarray, s_i: np.ndarray | None, s_z: np.ndarray | None
) -> np.ndarray:
    if s_i is None and s_z is None:
        return s_const
    vm = np.abs(v)
    out = s_const
    if s_i is not None:
        out = out + s_i * vm
    if s_z is not None:
        out = out + s_z * (vm * vm)
    return out


def _mismatch(v: np.ndarray, i_old: np.ndarray, i_new: np.ndarray) -> np.ndarray:
    """Largest |dP| or |dQ| per scenario of ``v conj(i_old - i_new)``."""
    d = i_old - i_new
    np.conjugate(d, out=d)
    d *= v
    return np.abs(d.view(np.float64)).max(axis=1) if d.shape[1] else np.zeros(d.shape[0])


def sweep(
    factor: SweepFactor,
    v_slack: np.ndarray,
    s_const: np.ndarray,
    s_i: np.ndarray | None,
    s_z: np.ndarray | None,
    *,
    tol: float,
    max_iter: int,
) -> SweepResult:
    """Solve S power flows at once by the current-injection fixed point.

    Parameters
    ----------
    factor
        From :func:`factorize`.
    v_slack
        Complex slack voltages (pu), one per ``factor.slack``.
    s_const, s_i, s_z
        Specified complex injections at the unknowns (pu, generation positive), shape
        ``(S, n)`` (or ``(1, n)`` broadcast): constant power, constant current (times |V|),
        constant impedance (times |V|^2). ``None`` when absent.
    tol
        Tolerance on the largest active or reactive mismatch of a scenario (pu).
    max_iter
        Iteration limit.

    Returns
    -------
    SweepResult
        ``v`` of shape ``(S, n)``; a scenario's ``iterations`` is the first iteration at which
        its mismatch met ``tol`` (``max_iter`` if never). All scenarios are iterated together
        until every one has converged.
    """
    n_s = max(a.shape[0] for a in (s_const, s_i, s_z) if a is not None)
    n = len(factor.unknown)
    lu = factor.lu
    c = -(factor.y_ls @ np.asarray(v_slack, dtype=complex))
    v0 = lu.solve(c)
    v = np.broadcast_to(v0, (n_s, n)).copy()
    inj = np.conj(_spec(v, s_const, s_i, s_z) / v)
    iterations = np.full(n_s, max_iter, dtype=np.int64)
    done = np.zeros(n_s, dtype=bool)
    mis = np.full(n_s, np.inf)
    rhs = np.empty((n, n_s), dtype=complex, order="F")
    for k in range(1, max_iter + 1):
        np.add(inj.T, c[:, None], out=rhs)
        v = lu.solve(rhs).T
        inj_new = _spec(v, s_const, s_i, s_z) / v
        np.conjugate(inj_new, out=inj_new)
        mis = _mismatch(v, inj, inj_new)
        inj = inj_new
        newly = (mis <= tol) & ~done
        iterations[newly] = k
        done |= newly
        if done.all() or not np.isfinite(mis).all():
            break
    return SweepResult(v=v, converged=mis <= tol, iterations=iterations, mismatch=mis)
