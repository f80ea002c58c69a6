"""Current-injection fixed point in phase coordinates, batched over scenarios.

With the slack phases' voltages ``v_s`` fixed, the other bus phases solve
``Y_LL v_L = i(v) - Y_LS v_s``, where ``i(v)`` are the load elements' injected currents.
``Y_LL`` is factorised once (SuperLU; leaves first without pivoting on a radial network,
else a fill-reducing column order, so meshed networks work too) and every iteration of
every scenario is one solve with its factors. The start point is the no-load solution,
which already carries the transformers' phase shifts and ratios. The iteration is
Anderson-accelerated (depth ``_DEPTH``): the same stopping test, about half the iterations
on long feeders.

The iteration runs compiled, one scenario row at a time to its own stop
(:mod:`._kernel`, numba): a row's vectors stay in cache, and a time series' many small
batches pay no per-operation interpreter cost. This module prepares its inputs once per
call (:mod:`._kernel_arrays` keeps what depends only on the factor or the load elements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._kernel_arrays import factor_arrays, incidence_arrays, law_arrays, woodbury_arrays

__all__ = [
    "V_BOUND_PU",
    "BlockDelta",
    "Factor3",
    "FixedPointResult",
    "determined",
    "factorize_3ph",
    "fixed_point",
]

#: Anderson acceleration depth: residual differences kept (see :mod:`._kernel`).
_DEPTH = 4
#: Sanity bound on every bus-phase voltage of a converged state (pu of the node's line-to-
#: neutral base); see :func:`determined`.
V_BOUND_PU = 2.0


@dataclass(frozen=True, eq=False)
class Factor3:
    """LU factors of ``Y_LL`` with ``Y_LS`` and the index sets they refer to."""

    lu: Any
    unknown: np.ndarray
    slack: np.ndarray
    y_ls: Any


@dataclass(frozen=True, eq=False)
class BlockDelta:
    """Per-scenario admittance blocks to add to the factorised matrix (regulators at taps
    other than the factor's), for one group of branches with 2k terminals each.

    ``term`` (B, 2k) bus phases of the branches' terminals; ``dy`` (S, B, 2k, 2k) the
    scenario's block minus the factor's (pu). The fixed point solves every scenario with its
    own matrix through the factor and a low-rank update
    (:func:`._kernel_arrays.woodbury_arrays`), so S scenarios
    at different taps share one factorisation and take the same iterates as with their own.
    """

    term: np.ndarray
    dy: np.ndarray


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
        # Panels of one column: the tree order has no fill beyond the phase blocks, so the
        # supernodes are tiny and wider panels only add symbolic work (IEEE 8500: 4.5 ->
        # 2.0 ms, same fill and solve time; the values agree to rounding).
        lu = spla.splu(
            y_ll,
            permc_spec="NATURAL",
            diag_pivot_thresh=0.0,
            panel_size=1,
            options={"SymmetricMode": True},
        )
        probe = np.exp(1j * np.arange(len(order)))
        x = lu.solve(probe)
        # Backward error, relative to the matrix's scale: 1 milliohm switches put entries of
        # 1e5 pu in Y, so an absolute bound rejected good factors of IEEE 8500.
        scale = abs(y_ll).sum(axis=1).max() * np.abs(x).max() + 1.0
        err = np.abs(y_ll @ x - probe).max() / scale
        if np.isfinite(err) and err < 1e-12:
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
    deltas: tuple[BlockDelta, ...] = (),
    y_load: np.ndarray | None = None,
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
    deltas
        :class:`BlockDelta` per branch group: scenario admittances that differ from the
        factor's (regulators at other taps); empty = every scenario is the factor's.
    y_load
        Admittance of every load element (E,) (pu, unscaled) that the factor's matrix holds
        as ``incidence^T diag(y_load) incidence`` on top of the network's: each iteration
        adds ``y_load * v_element`` back to the element currents, so the solution and the
        mismatch test are those without it; the factor then carries the loads' constant-
        impedance share and the iteration converges in fewer steps on heavily loaded
        feeders. ``None``: the factor is the network's alone.

    Returns
    -------
    FixedPointResult
    """
    from . import _kernel

    unknown = factor.unknown
    n = len(unknown)
    inc_u, inc_s = incidence_arrays(loads, unknown, factor.slack)
    v_slack = np.asarray(v_slack, dtype=complex)
    ve_s = np.require(inc_s @ v_slack, dtype=complex, requirements=["C", "W"])
    c = np.require(-(factor.y_ls @ v_slack), dtype=complex, requirements=["C", "W"])
    if scale is None:
        sc = np.zeros((0, 0))
    else:
        sc = np.atleast_2d(scale)
        sc = np.require(
            sc, dtype=complex if np.iscomplexobj(sc) else float, requirements=["C", "W"]
        )
    start = v_start is not None or not deltas
    if v_start is not None:
        x0 = np.require(np.asarray(v_start)[:, unknown], dtype=complex, requirements=["C", "W"])
    elif not deltas:
        x0 = np.require(factor.lu.solve(c)[None, :], dtype=complex, requirements=["C", "W"])
    else:
        x0 = np.zeros((1, n), dtype=complex)
    yl = np.zeros(0, complex) if y_load is None else np.require(y_load, complex, ["C", "W"])
    v_u = np.empty((n_s, n), dtype=complex)
    iterations = np.empty(n_s, dtype=np.int64)
    mis = np.empty(n_s)
    _kernel.solve_rows(
        factor_arrays(factor),
        woodbury_arrays(deltas, factor, v_slack, n_bp),
        inc_u,
        law_arrays(loads),
        ve_s,
        c,
        sc,
        yl,
        x0,
        start,
        float(tol),
        int(max_iter),
        _DEPTH,
        v_u,
        iterations,
        mis,
    )
    v = np.empty((n_s, n_bp), dtype=complex)
    v[:, factor.slack] = v_slack
    v[:, unknown] = v_u
    res = FixedPointResult(v=v, converged=mis <= tol, iterations=iterations, mismatch=mis)
    sane = determined(res.v)
    if sane.all():
        return res
    return FixedPointResult(res.v, res.converged & sane, res.iterations, res.mismatch)


def determined(v: np.ndarray) -> np.ndarray:
    """Whether each state (S, n_bp) is physically plausible: every bus-phase voltage at most
    :data:`V_BOUND_PU`. A state above it met the mismatch tolerance only because a part of
    the network has (almost) no reference to ground (a floating winding): its common-mode
    voltage is undetermined, so the solution is not reported as converged."""
    with np.errstate(invalid="ignore"):
        return np.abs(v).max(axis=-1, initial=0.0) <= V_BOUND_PU


def _currents(loads: Any, ve: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """Element currents drawn, negated, (S, E) from element voltages ``ve`` (S, E):
    ``-conj(s(|v|)) v / |v|^2`` with the elements' laws (the fixed point's own per-element
    arithmetic, :func:`._kernel.element_currents_rows`); an element at zero voltage carries
    no current."""
    from . import _kernel

    sc = np.zeros((0, 0)) if scale is None else np.atleast_2d(scale)
    sc = np.require(sc, dtype=complex if np.iscomplexobj(sc) else float, requirements=["C", "W"])
    ve = np.require(np.atleast_2d(ve), dtype=complex, requirements=["C", "W"])
    return _kernel.element_currents_rows(ve, sc, law_arrays(loads))
