"""The AC correction loop: linearise, solve the MILP, AC-check the exact settings, repeat.

A day (P periods, or one period) starts from its baseline settings. Each round linearises
every period at the current settings (:meth:`AcEngine.linearise`), solves the MILP
(:func:`solve_milp`) with the taps within ``window`` steps of the point, and solves the AC
power flow of the MILP's exact discrete settings. The candidate replaces the current
settings when its AC merit (objective + ``violation_cost`` x excursion, summed over periods
with their hours) is lower; otherwise the tap window is halved. The loop stops when a round
changes nothing, the window cannot shrink further, or after ``max_rounds``. So the result is
never worse, on the AC merit, than the baseline it started from (when the baseline meets
the operation limits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .controls import Settings
from .evaluate import AcEngine, Evaluation
from .milp import solve_milp
from .options import VvoOptions

__all__ = ["DayOutcome", "ac_objective", "operations", "optimise_day"]


@dataclass(frozen=True, eq=False)
class DayOutcome:
    """Result of one day (or period).

    Attributes
    ----------
    settings
        (P) the chosen settings.
    evaluation
        Their AC power flow.
    rounds
        Rounds run.
    status
        ``optimal`` (the loop converged and every period passes the AC check),
        ``round_limit`` (every period passes the AC check, but the loop stopped at
        ``max_rounds`` before converging: a feasible plan, not a proven local optimum),
        ``violations`` or ``not_converged``.
    message
        Why the loop stopped, in words.
    milp_s
        Time spent in HiGHS (s).
    """

    settings: list[Settings]
    evaluation: Evaluation
    rounds: int
    status: str
    message: str
    milp_s: float


def ac_objective(ev: Evaluation, options: VvoOptions) -> np.ndarray:
    """(P,) objective of each period from its AC results (NaN where not converged)."""
    return (
        options.weight("loss") * ev.loss_mw
        + options.weight("cvr") * ev.demand_mw
        + options.weight("voltage-deviation") * ev.vdev_pu
    )


def operations(settings: list[Settings]) -> tuple[np.ndarray, np.ndarray]:
    """Tap steps (R,) and capacitor switchings (C,) between consecutive periods."""
    taps = np.array([s.taps for s in settings], dtype=np.int64)
    caps = np.array([s.caps for s in settings], dtype=np.int64)
    if len(settings) < 2:
        return np.zeros(taps.shape[1], np.int64), np.zeros(caps.shape[1], np.int64)
    return np.abs(np.diff(taps, axis=0)).sum(axis=0), np.abs(np.diff(caps, axis=0)).sum(axis=0)


def _merit(ev: Evaluation, hours: np.ndarray, options: VvoOptions) -> float:
    if not ev.converged.all():
        return np.inf
    obj = ac_objective(ev, options)
    return float(np.sum(hours * (obj + options.violation_cost * ev.violation_pu)))


def _ops_ok(settings: list[Settings], options: VvoOptions) -> bool:
    t, c = operations(settings)
    ok = True
    if options.max_tap_ops is not None:
        ok &= bool((t <= options.max_tap_ops).all())
    if options.max_cap_ops is not None:
        ok &= bool((c <= options.max_cap_ops).all())
    return ok


#: Steps tried along the MILP's change of DER reactive power (1 = the MILP's values).
_ALPHAS = (1.0, 0.5, 0.25, 0.0)


def _line_search(
    engine: AcEngine,
    options: VvoOptions,
    cur: list[Settings],
    cand: list[Settings],
    load_scale: np.ndarray,
    der_p: np.ndarray,
) -> tuple[list[Settings], Evaluation]:
    """Steps towards the MILP's settings, the best on the AC merit.

    The linear model holds each control's own curvature but not the couplings between
    controls on a shared path (two capacitors, or a capacitor and DER, each cutting the
    same reactive flow), so the full step can overshoot. Tried: the MILP's taps and
    capacitors, each with the point's instead (4 discrete choices, the same for the whole
    day, so the operation limits still hold), and the DER reactive power moved by each of
    :data:`_ALPHAS` of the MILP's change, chosen per period (periods are independent in
    their reactive power). All in one batch of AC solves.
    """
    n_p, n_a = len(cand), len(_ALPHAS)
    discrete = []
    for taps_new, caps_new in ((True, True), (True, False), (False, True)):
        if not (taps_new or caps_new):
            continue
        discrete.append(
            [
                (c.taps if taps_new else u.taps, c.caps if caps_new else u.caps)
                for c, u in zip(cand, cur, strict=True)
            ]
        )
    discrete.append([(u.taps, u.caps) for u in cur])
    trials = [
        Settings(t, k, u.q_mvar + a * (c.q_mvar - u.q_mvar))
        for combo in discrete
        for a in _ALPHAS
        for (t, k), c, u in zip(combo, cand, cur, strict=True)
    ]
    n_t = len(discrete) * n_a
    ev = engine.evaluate(trials, np.tile(load_scale, n_t), np.tile(der_p, (n_t, 1)))
    obj = ac_objective(ev, options) + options.violation_cost * ev.violation_pu
    obj = np.where(ev.converged, obj, np.inf).reshape(len(discrete), n_a, n_p)
    best_alpha = np.argmin(obj, axis=1)  # (K, P)
    best = np.take_along_axis(obj, best_alpha[:, None, :], axis=1)[:, 0, :]  # (K, P)
    k = int(np.argmin(np.where(np.isfinite(best), best, np.inf).sum(axis=1)))
    rows = (k * n_a + best_alpha[k]) * n_p + np.arange(n_p)
    fields = Evaluation.__dataclass_fields__
    return [trials[i] for i in rows], Evaluation(**{f: getattr(ev, f)[rows] for f in fields})


def _same(a: list[Settings], b: list[Settings]) -> bool:
    return all(
        x.key() == y.key() and np.allclose(x.q_mvar, y.q_mvar, atol=1e-6)
        for x, y in zip(a, b, strict=True)
    )


def optimise_day(
    engine: AcEngine,
    options: VvoOptions,
    *,
    start: list[Settings],
    load_scale: np.ndarray,
    der_p: np.ndarray,
    hours: np.ndarray,
    link: bool,
) -> DayOutcome:
    """Optimise the settings of P periods from ``start`` (see the module doc).

    Parameters
    ----------
    engine
        AC engine of the network.
    options
        Objective, limits, rounds.
    start
        (P) starting settings (the baseline).
    load_scale, hours
        (P,) load factor and length (h) of each period.
    der_p
        (P, D) DER active power (MW).
    link
        Count operations between consecutive periods (a day).
    """
    import time

    c = engine.controls
    hours = np.asarray(hours, dtype=float)
    cur = [Settings(s.taps.copy(), s.caps.copy(), s.q_mvar.copy()) for s in start]
    ev = engine.evaluate(cur, load_scale, der_p)
    merit = _merit(ev, hours, options) if (_ops_ok(cur, options) or not link) else np.inf
    q_lo, q_hi = c.q_bounds(der_p)
    window = options.tap_window
    q_frac = 1.0  # trust region of DER reactive power, fraction of each DER's range
    # Back-off of the band per period and terminal: where the AC check of a candidate
    # finds an excursion the linear model did not predict, later MILPs keep that terminal
    # inside its band by the excursion found (plus half the tolerance).
    n_p = len(cur)
    back_lo = np.zeros((n_p, len(engine.v_lo)))
    back_hi = np.zeros((n_p, len(engine.v_hi)))
    milp_s = 0.0
    rounds = 0
    message = f"stopped after {options.max_rounds} rounds (round limit, not converged)"
    limit_hit = False
    for rounds in range(1, options.max_rounds + 1):
        try:
            lin = engine.linearise(cur, load_scale, der_p)
        except Exception as exc:  # a perturbation that does not converge ends the loop
            from gat_schemas.errors import NotConvergedError

            if not isinstance(exc, NotConvergedError):
                raise
            message = f"round {rounds}: {exc}"
            break
        q_cur = np.array([x.q_mvar for x in cur]).reshape(q_lo.shape)
        t0 = time.perf_counter()
        res = solve_milp(
            lin,
            cur,
            c,
            options,
            limited=engine.limited,
            v_lo=engine.v_lo[None, :] + back_lo,
            v_hi=engine.v_hi[None, :] - back_hi,
            q_lo=np.maximum(q_lo, q_cur - q_frac * (q_hi - q_lo)),
            q_hi=np.minimum(q_hi, q_cur + q_frac * (q_hi - q_lo)),
            hours=hours,
            window=window,
            link=link,
        )
        milp_s += time.perf_counter() - t0
        cand = res.settings
        if _same(cand, cur):
            message = f"round {rounds}: the MILP keeps the settings (converged)"
            break
        cand, ev_c = _line_search(engine, options, cur, cand, load_scale, der_p)
        m_c = _merit(ev_c, hours, options)
        backed = False
        if ev_c.converged.all():
            lim = engine.limited
            step = 0.5 * options.ac_tol_pu
            over_hi = (ev_c.vm - engine.v_hi[None, :] + step) * lim[None, :]
            over_lo = (engine.v_lo[None, :] - ev_c.vm + step) * lim[None, :]
            hit_hi = ev_c.vm > engine.v_hi[None, :] + options.ac_tol_pu
            hit_lo = ev_c.vm < engine.v_lo[None, :] - options.ac_tol_pu
            hit_hi &= lim[None, :]
            hit_lo &= lim[None, :]
            back_hi[hit_hi] += over_hi[hit_hi]
            back_lo[hit_lo] += over_lo[hit_lo]
            backed = bool(hit_hi.any() or hit_lo.any())
        if m_c < merit - 1e-9 * (1.0 + abs(merit) if np.isfinite(merit) else 1.0):
            small = all(x.key() == y.key() for x, y in zip(cand, cur, strict=True)) and all(
                np.allclose(x.q_mvar, y.q_mvar, atol=1e-5) for x, y in zip(cand, cur, strict=True)
            )
            gain = merit - m_c
            cur, ev, merit = cand, ev_c, m_c
            if small:
                message = f"round {rounds}: converged (only small DER changes)"
                break
            if np.isfinite(gain) and gain < options.rel_tol * abs(m_c):
                message = (
                    f"round {rounds}: converged (the round gained {gain:.3g}, less than "
                    f"{options.rel_tol:g} of the objective)"
                )
                break
            continue
        if backed:
            continue
        if window <= 1:
            message = (
                f"round {rounds}: the MILP's settings do not improve the AC objective with "
                "taps one step from the point (local optimum)"
            )
            break
        window = max(1, window // 2)
        q_frac *= 0.5
    else:
        limit_hit = True  # no break: max_rounds ran out
    ok = ev.converged & (ev.violation_pu <= options.ac_tol_pu)
    if not ev.converged.all():
        status = "not_converged"
        message += "; the AC power flow did not converge in some periods"
    elif ok.all():
        status = "round_limit" if limit_hit else "optimal"
    else:
        status = "violations"
        worst = int(np.nanargmax(ev.violation_pu))
        lim = engine.limited
        vm = ev.vm[worst, lim]
        over = np.maximum(vm - engine.v_hi[lim], engine.v_lo[lim] - vm)
        where = engine.term_label[lim][int(np.nanargmax(over))]
        message += (
            f"; no setting found keeps every voltage in its band: period {worst} leaves "
            f"{ev.violation_pu[worst]:.4f} pu at {where} (the controls cannot reach it)"
        )
    return DayOutcome(
        settings=cur, evaluation=ev, rounds=rounds, status=status, message=message, milp_s=milp_s
    )
