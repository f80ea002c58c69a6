"""AC evaluation of DER set points on the three-phase model, and the linear model around one.

Both go through the physics interface (:meth:`PhysicsModel.solve` and
:meth:`PhysicsModel.limits`). Two quantities the interface's :class:`~gat_pf.LimitArrays`
does not carry are computed here from the three-phase branch flows: the total active losses
and each conductor's end powers (the OPF's loss objective and its ``opf_branches`` table).

The linear model is the interface's central differences (as :func:`gat_pf.sensitivities`),
done here in one batch with the point itself so that the losses are differenced too:
``1 + 4D`` scenarios (the point, then +-``dp`` of P and of Q of each of the D assets, spread
over its terminals). Regulator taps are held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import NotConvergedError

from .data import Opf3Data

__all__ = ["AcPoint", "Linear", "evaluate", "linearise"]

#: Step of the central differences (MW and Mvar per DER terminal).
DP_MW = 1e-3


@dataclass(frozen=True, eq=False)
class AcPoint:
    """AC power flow at S sets of DER set points (arrays; NaN rows where not converged).

    Attributes
    ----------
    converged
        (S,) bool.
    v
        (S, T) complex terminal voltages (pu of each terminal's line-to-neutral base).
    vm
        (S, T) voltage magnitudes (pu).
    current_a, loading_pct
        (S, C) conductor current at its more loaded end (A) and its loading (%; NaN unrated).
    head_p_mw
        (S,) active power imported at the feeder heads (MW; negative = export).
    loss_mw
        (S,) total active losses of the branches (MW).
    s_from, s_to
        (S, C) complex power entering each conductor at its from/to end (MVA).
    s_term
        (S, T) complex net injection of every terminal into the branches (MVA; generation
        minus load and shunt consumption).
    """

    converged: np.ndarray
    v: np.ndarray
    vm: np.ndarray
    current_a: np.ndarray
    loading_pct: np.ndarray
    head_p_mw: np.ndarray
    loss_mw: np.ndarray
    s_from: np.ndarray
    s_to: np.ndarray
    s_term: np.ndarray


@dataclass(frozen=True, eq=False)
class Linear:
    """First-order model at one operating point, per DER asset (D columns).

    ``vm`` (T,), ``loading_pct`` (C,, %), ``head_p_mw`` and ``loss_mw`` (scalars) at the point;
    ``*_dp``/``*_dq`` their derivatives (per MW, per Mvar of each asset's set point);
    ``loss_hp``, ``loss_hq`` (D,) second derivatives of the losses (MW/MW^2, clipped at 0).
    """

    point: AcPoint
    p: np.ndarray
    q: np.ndarray
    vm: np.ndarray
    vm_dp: np.ndarray
    vm_dq: np.ndarray
    loading_pct: np.ndarray
    loading_dp: np.ndarray
    loading_dq: np.ndarray
    head_p_mw: float
    head_dp: np.ndarray
    head_dq: np.ndarray
    loss_mw: float
    loss_dp: np.ndarray
    loss_dq: np.ndarray
    loss_hp: np.ndarray
    loss_hq: np.ndarray


def _branch_powers(phys, sol):  # type: ignore[no-untyped-def]
    """Conductor end powers and terminal net injections (MVA) of a three-phase solution.

    The interface's limits give currents only; the powers come from the same branch flows
    the three-phase model computes its limits from.
    """
    from gat_pf._physics_3ph import _with_injections
    from gat_pf._threephase._tables import flows_3ph

    m = phys.model
    inj = sol.injection
    model = _with_injections(m, None if inj is None else inj.terms)
    taps = sol.taps if m.regulators is not None else None
    fl = flows_3ph(model, sol.v, taps, sol.state.get("scale"))
    s_phase = m.base_mva / 3.0
    cols = phys.cond_cols
    s_f = sol.v[:, fl.pn_from[cols]] * np.conj(fl.i_from[:, cols]) * s_phase
    s_t = sol.v[:, fl.pn_to[cols]] * np.conj(fl.i_to[:, cols]) * s_phase
    return s_f, s_t, fl.s_node * s_phase


def _solve(data: Opf3Data, p_term: np.ndarray, q_term: np.ndarray, load_scale: float, start):  # type: ignore[no-untyped-def]
    from gat_pf import Injection

    phys = data.phys
    inj = Injection(terms=data.terms, p_mw=p_term, q_mvar=q_term) if len(data.terms) else None
    n_s = p_term.shape[0]
    sol = phys.solve(inj, load_scale=load_scale, n_scenarios=n_s, start=start)
    lim = phys.limits(sol)
    s_f, s_t, s_node = _branch_powers(phys, sol)
    ok = np.asarray(sol.converged, dtype=bool)
    bad = ~ok[:, None]
    return AcPoint(
        converged=ok,
        v=np.where(bad, np.nan, sol.v),
        vm=np.where(bad, np.nan, lim.vm_pu),
        current_a=np.where(bad, np.nan, lim.current_a),
        loading_pct=np.where(bad, np.nan, lim.loading_pct),
        head_p_mw=np.where(ok, lim.head_p_mw.sum(axis=1), np.nan),
        loss_mw=np.where(ok, (s_f + s_t).real.sum(axis=1), np.nan),
        s_from=np.where(bad, np.nan, s_f),
        s_to=np.where(bad, np.nan, s_t),
        s_term=np.where(bad, np.nan, s_node),
    )


def evaluate(data: Opf3Data, p_der: np.ndarray, q_der: np.ndarray, *, load_scale: float) -> AcPoint:
    """AC power flow at S sets of asset set points ``p_der``, ``q_der`` (S, D) (MW, Mvar)."""
    p = np.atleast_2d(p_der) @ data.w.T
    q = np.atleast_2d(q_der) @ data.w.T
    return _solve(data, p, q, load_scale, None)


def linearise(data: Opf3Data, p_der: np.ndarray, q_der: np.ndarray, *, load_scale: float) -> Linear:
    """The AC point at ``p_der``, ``q_der`` (D,) and its derivatives (one batched solve).

    Each asset's set point is perturbed as a whole (spread over its terminals), so the
    derivatives are per asset and the second differences of the losses give the diagonal
    of their Hessian (``loss_hp``, ``loss_hq``) from the same scenarios.

    Raises
    ------
    gat_schemas.errors.NotConvergedError
        When the point or a perturbed scenario does not converge.
    """
    n = data.n_der
    p = np.repeat(np.asarray(p_der, dtype=float)[None, :], 1 + 4 * n, axis=0)
    q = np.repeat(np.asarray(q_der, dtype=float)[None, :], 1 + 4 * n, axis=0)
    j = np.arange(n)
    p[1 + j, j] += DP_MW
    p[1 + n + j, j] -= DP_MW
    q[1 + 2 * n + j, j] += DP_MW
    q[1 + 3 * n + j, j] -= DP_MW
    ac = evaluate(data, p, q, load_scale=load_scale)
    if not ac.converged.all():
        raise NotConvergedError(
            "three-phase OPF: the AC power flow at the DER set points (or a perturbation of "
            "them) did not converge"
        )

    def diff(x: np.ndarray, lo: int) -> np.ndarray:
        # (D, ...) derivatives per asset.
        return (x[1 + lo : 1 + lo + n] - x[1 + lo + n : 1 + lo + 2 * n]) / (2 * DP_MW)

    def second(x: np.ndarray, lo: int) -> np.ndarray:
        return (x[1 + lo : 1 + lo + n] + x[1 + lo + n : 1 + lo + 2 * n] - 2 * x[0]) / DP_MW**2

    fields = ("converged", "v", "vm", "current_a", "loading_pct", "head_p_mw", "loss_mw")
    extra = ("s_from", "s_to", "s_term")
    point = AcPoint(**{f: getattr(ac, f)[:1] for f in fields + extra})
    return Linear(
        point=point,
        p=np.asarray(p_der, dtype=float),
        q=np.asarray(q_der, dtype=float),
        vm=ac.vm[0],
        vm_dp=diff(ac.vm, 0).T,
        vm_dq=diff(ac.vm, 2 * n).T,
        # Loading, not current: a transformer's current is largest on its low-voltage side
        # while the interface's ampacity_a is its from-end rating; loading_pct compares each
        # end with its own rating. 0 where unrated (those rows are not constrained).
        loading_pct=np.nan_to_num(ac.loading_pct[0], nan=0.0),
        loading_dp=np.nan_to_num(diff(ac.loading_pct, 0).T, nan=0.0),
        loading_dq=np.nan_to_num(diff(ac.loading_pct, 2 * n).T, nan=0.0),
        head_p_mw=float(ac.head_p_mw[0]),
        head_dp=diff(ac.head_p_mw, 0),
        head_dq=diff(ac.head_p_mw, 2 * n),
        loss_mw=float(ac.loss_mw[0]),
        loss_dp=diff(ac.loss_mw, 0),
        loss_dq=diff(ac.loss_mw, 2 * n),
        loss_hp=np.clip(second(ac.loss_mw, 0), 0.0, None),
        loss_hq=np.clip(second(ac.loss_mw, 2 * n), 0.0, None),
    )
