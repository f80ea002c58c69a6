"""The per-node search on the injection, every step one batched power flow for a block of nodes.

Each candidate keeps a bracket ``[lo, hi]``: ``lo`` feasible (0 at first, the base case),
``hi`` infeasible (``max_injection_mw`` at first, once that is found infeasible). Every step
solves one trial inside each open bracket, all candidates in one batched power flow, and
moves the end it lands on; a bracket closes when ``hi - lo <= tol_mw`` and the capacity is
``lo``. The trial is the midpoint (:attr:`Search.BISECTION`) or the secant estimate, from
the candidate's two latest trials, of where the margin crosses zero (:attr:`Search.SECANT`),
nudged by ``0.45 tol`` towards the bracket's farther end so that the bracket closes around
an accurate estimate in two steps; the midpoint replaces it when it falls outside the
bracket or when the bracket did not halve in the three previous steps.

With :attr:`FirstTrial.PROBE` (the default) the secant search first tries every candidate
at a small injection (``max_injection_mw / 64``) instead of the cap, keeps the cap as an
assumed upper end until a trial reaches it, and estimates the crossing from every checked
element's margin (:func:`element_margins`) extrapolated on its own through the two latest
trials, taking the first element to reach zero: the limiting element changes with the
injection (without injection it is usually far from the DER), so the smallest margin bends
where each element's is nearly straight. Every trial starts from the linear extrapolation of
the candidate's two latest solved voltages (models that iterate use it; the balanced
solvers ignore starts).

The search assumes that the feasible injections of a node form one interval starting at 0;
``steps`` (the sweep curve) shows where that is not so. Where it is not, the probe start
finds the first violation and the cap start may report the cap (a head flow that turns
backwards and forwards again as losses grow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import gat_pf
from gat_schemas.errors import NotConvergedError

from ._checks import Evaluation, Limits, element_margins, evaluate, relax_to_base
from ._options import FirstTrial, HostcapOptions, Search

__all__ = ["BlockResult", "base_case", "search_block", "sweep"]

#: Largest step, in units of the last two trials' distance, over which a trial's start
#: voltages are extrapolated (beyond it the extrapolation is held at this step).
_MAX_EXTRAPOLATION = 8.0


@dataclass(frozen=True, eq=False)
class BlockResult:
    """Capacities of one block of S candidates at one load level.

    Attributes
    ----------
    hc_mw
        Hosting capacity (MW), (S,).
    constraint, element
        Limiting constraint code and element id at the capacity (evaluated at the bracket's
        infeasible end), (S,).
    vm_max_pu, loading_max_pct
        Highest voltage and loading at the capacity (the bracket's feasible end), (S,).
    steps
        Batched power flows the search used.
    curve
        ``None``, or the sweep: ``(injection_mw (K,), [Evaluation of the S candidates] * K)``.
    limits
        The limits that applied (those broken without injection held, :func:`base_case`).
    """

    hc_mw: np.ndarray
    constraint: np.ndarray
    element: np.ndarray
    vm_max_pu: np.ndarray
    loading_max_pct: np.ndarray
    steps: int
    curve: tuple[np.ndarray, list[Evaluation]] | None
    limits: Limits | None = None


def _first_crossing(pa: np.ndarray, ma: np.ndarray, pb: np.ndarray, mb: np.ndarray) -> np.ndarray:
    """Injection (S,) where the first element's margin reaches zero, each element's margin
    extrapolated linearly through two trials ``(pa, ma (S, M))`` and ``(pb, mb)``; ``inf``
    where no margin falls (or the trials coincide)."""
    slope = (ma - mb) / (pa - pb)[:, None]
    cross = np.where(slope < 0, pa[:, None] - ma / slope, np.inf)
    return cross.min(axis=1) if cross.shape[1] else np.full(len(pa), np.inf)


def _trial_settings(options: HostcapOptions, load_scale: float) -> dict[str, object]:
    return {"q_per_p": options.q_per_p, "load_scale": load_scale}


def base_case(
    phys: gat_pf.PhysicsModel,
    limits: Limits,
    points: gat_pf.InjectionPoints,
    options: HostcapOptions,
    load_scale: float,
) -> tuple[Limits, Evaluation, int, np.ndarray, gat_pf.LimitArrays]:
    """Solve the case without injection; return the limits that apply (see
    :func:`relax_to_base`), its evaluation, the power flows used, its (T,) terminal
    voltages and its limit arrays.

    Raises
    ------
    gat_schemas.errors.NotConvergedError
        When the case without injection has no power-flow solution.
    """
    kw = _trial_settings(options, load_scale)
    first = np.zeros(1, dtype=np.int64)
    base, arrays, v0 = evaluate(phys, limits, points, first, np.zeros(1), **kw)
    if not base.converged[0]:
        raise NotConvergedError(
            f"hostcap: the power flow without injection does not converge at load scale "
            f"{load_scale:g}"
        )
    if base.feasible[0]:
        return limits, base, 1, v0[0], arrays
    # Broken already: must not get worse by more than the tolerance.
    limits = relax_to_base(limits, arrays, options.held_tol_pu)
    again = evaluate(phys, limits, points, first, np.zeros(1), **kw)[0]
    return limits, again, 2, v0[0], arrays


def sweep(
    phys: gat_pf.PhysicsModel,
    limits: Limits,
    points: gat_pf.InjectionPoints,
    options: HostcapOptions,
    load_scale: float,
) -> tuple[np.ndarray, list[Evaluation]]:
    """The sweep curve: ``options.steps`` equal injections up to the top, one batch each."""
    n = len(points)
    p = options.max_injection_mw * np.arange(1, options.steps + 1) / options.steps
    kw = _trial_settings(options, load_scale)
    which = np.arange(n)
    return p, [evaluate(phys, limits, points, which, np.full(n, x), **kw)[0] for x in p]


def search_block(
    phys: gat_pf.PhysicsModel,
    limits: Limits,
    points: gat_pf.InjectionPoints,
    options: HostcapOptions,
    load_scale: float,
) -> BlockResult:
    """Hosting capacity of the connection points ``points`` (from
    :meth:`gat_pf.PhysicsModel.injection_points`)."""
    n = len(points)
    kw = _trial_settings(options, load_scale)
    tol, top = options.tol_mw, options.max_injection_mw
    limits, base, steps, v0, base_arrays = base_case(phys, limits, points, options, load_scale)
    lo, hi = np.zeros(n), np.full(n, top)
    g_lo, g_hi = np.full(n, base.margin[0]), np.full(n, np.nan)
    vm_lo, ld_lo = np.full(n, base.vm_max_pu[0]), np.full(n, base.loading_max_pct[0])
    code = np.full(n, base.constraint[0])
    elem = np.full(n, base.element[0], dtype=object)
    open_ = np.full(n, bool(base.feasible[0]))

    secant = options.search is Search.SECANT
    probe = secant and options.first_trial is FirstTrial.PROBE
    # Every candidate's two latest solved trials (injection, voltages; the base case's at
    # first): the next trial starts from their linear extrapolation to its injection
    # (three-phase fixed point; the balanced solvers ignore starts). Voltages are nearly
    # linear in the injection, so the start is close and the solve short.
    v_last, v_prev = np.repeat(v0[None, :], n, axis=0), np.repeat(v0[None, :], n, axis=0)
    p_last, p_prev = np.zeros(n), np.zeros(n)

    def run(idx: np.ndarray, p: np.ndarray) -> tuple[Evaluation, np.ndarray | None]:
        dp = p_last[idx] - p_prev[idx]
        with np.errstate(all="ignore"):
            f = np.where(dp != 0, (p - p_last[idx]) / dp, 0.0)
        f = np.clip(f, -_MAX_EXTRAPOLATION, _MAX_EXTRAPOLATION)[:, None]
        start = v_last[idx] + f * (v_last[idx] - v_prev[idx])
        ev, arrays, v = evaluate(phys, limits, points, idx, p, start=start, **kw)
        keep = ev.converged & np.isfinite(v).all(axis=1)
        k = idx[keep]
        v_prev[k], p_prev[k] = v_last[k], p_last[k]
        v_last[k], p_last[k] = v[keep], p[keep]
        return ev, (element_margins(limits, arrays) if probe else None)

    # hi is known infeasible (or the cap, known feasible) once a trial has been there; with
    # the probe start the cap is only an assumed upper end until the search reaches it.
    hi_known = np.full(n, not probe)
    first = top / 64.0 if probe else top
    # The two latest trials of each candidate (secant points): the base case and the first.
    p1, g1, p2, g2 = np.zeros(n), g_lo.copy(), np.zeros(n), g_lo.copy()
    # Probe start: every checked element's margin at those two trials (see element_margins).
    m1 = m2 = None
    if probe:
        # float32: only the next trial's place depends on them, and blocks are large.
        m0 = element_margins(limits, base_arrays)[0].astype(np.float32)
        m1, m2 = np.repeat(m0[None, :], n, axis=0), np.repeat(m0[None, :], n, axis=0)
    if open_.any():
        idx = np.flatnonzero(open_)
        t = np.full(len(idx), first)
        ev, em = run(idx, t)
        steps += 1
        ok = ev.feasible
        up, down = idx[ok], idx[~ok]
        lo[up], vm_lo[up], ld_lo[up] = t[ok], ev.vm_max_pu[ok], ev.loading_max_pct[ok]
        hi[down], code[down], elem[down] = t[~ok], ev.constraint[~ok], ev.element[~ok]
        hi_known[down] = True
        if not probe:
            code[idx], elem[idx] = ev.constraint, ev.element
            g_hi[idx] = ev.margin
            open_[up] = False
        p1[idx], g1[idx] = first, ev.margin
        if m1 is not None and em is not None:
            m1[idx] = em
    w_hist = np.full((3, n), np.inf)  # bracket widths of the three previous steps
    limit = 4 * math.ceil(math.log2(top / tol)) + 8
    for _ in range(limit):
        open_ &= (hi - lo) > tol
        if not open_.any():
            break
        idx = np.flatnonzero(open_)
        a, b, w = lo[idx], hi[idx], hi[idx] - lo[idx]
        mid = 0.5 * (a + b)
        if secant:
            with np.errstate(all="ignore"):
                if m1 is not None and m2 is not None:
                    est = _first_crossing(p1[idx], m1[idx], p2[idx], m2[idx])
                else:
                    est = p1[idx] - g1[idx] * (p1[idx] - p2[idx]) / (g1[idx] - g2[idx])
            halved = w <= 0.5 * w_hist[2, idx]
            usable = np.isfinite(est) & (est > a) & (est < b) & halved
            nudge = np.where(b - est > est - a, 0.45 * tol, -0.45 * tol)
            t = np.where(usable, est + nudge, mid)
            inset = 0.01 * np.minimum(w, tol)
            t = np.clip(t, a + inset, b - inset)
            if probe:
                # Below an assumed upper end: the estimate while it stays a tolerance under
                # the cap, else the cap itself (so a capacity at the cap is tried exactly).
                guess = hi_known[idx]
                below = np.isfinite(est) & (est > a) & (est + 0.45 * tol < top - tol)
                t = np.where(guess, t, np.where(below, est + 0.45 * tol, top))
        else:
            t = mid
        ev, em = run(idx, t)
        steps += 1
        ok = ev.feasible
        up, down = idx[ok], idx[~ok]
        lo[up], vm_lo[up], ld_lo[up] = t[ok], ev.vm_max_pu[ok], ev.loading_max_pct[ok]
        hi[down], code[down], elem[down] = t[~ok], ev.constraint[~ok], ev.element[~ok]
        hi_known[down] = True
        if probe:  # the cap tried and feasible: the capacity is the cap
            cap = idx[ok & (t >= top)]
            hi[cap], hi_known[cap] = top, True
        # A trial without a power-flow solution is no secant point.
        keep = np.isfinite(ev.margin)
        k = idx[keep]
        p2[k], g2[k] = p1[k], g1[k]
        p1[k], g1[k] = t[keep], ev.margin[keep]
        if m1 is not None and m2 is not None and em is not None:
            m2[k], m1[k] = m1[k], em[keep]
        w_hist[1:, idx] = w_hist[:-1, idx]
        w_hist[0, idx] = w
    curve = None
    if options.steps:
        curve = sweep(phys, limits, points, options, load_scale)
        steps += options.steps
    return BlockResult(
        hc_mw=lo,
        constraint=code,
        element=elem,
        vm_max_pu=vm_lo,
        loading_max_pct=ld_lo,
        steps=steps,
        curve=curve,
        limits=limits,
    )
