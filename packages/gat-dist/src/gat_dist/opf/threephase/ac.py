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


#: Memory the perturbed scenarios of one :func:`linearise` batch may take (bytes): the
#: batch's solutions (voltages, currents, branch and terminal powers) are kept only until
#: their differences are taken, so memory stays bounded whatever the number of assets.
BATCH_BYTES = 256 * 2**20
#: Bytes per scenario and per terminal or conductor a batched three-phase solve holds (its
#: complex voltages and currents, the solver's work arrays and this module's copies).
_BYTES_PER_ENTRY = 400


def assets_per_batch(n_term: int, n_cond: int, budget_bytes: int = BATCH_BYTES) -> int:
    """How many assets' four perturbations (+-P, +-Q) one batched solve takes within
    ``budget_bytes`` on a model of ``n_term`` terminals and ``n_cond`` conductors (>= 1)."""
    per_scenario = _BYTES_PER_ENTRY * max(n_term + n_cond, 1)
    return max(int(budget_bytes // (4 * per_scenario)), 1)


def linearise(
    data: Opf3Data,
    p_der: np.ndarray,
    q_der: np.ndarray,
    *,
    load_scale: float,
    batch_bytes: int = BATCH_BYTES,
) -> Linear:
    """The AC point at ``p_der``, ``q_der`` (D,) and its derivatives.

    Each asset's set point is perturbed as a whole (spread over its terminals), so the
    derivatives are per asset and the second differences of the losses give the diagonal
    of their Hessian (``loss_hp``, ``loss_hq``) from the same scenarios. The ``4 D``
    perturbed scenarios are solved in batches of at most :func:`assets_per_batch` assets
    (``batch_bytes`` of solutions at a time; one batch on small networks), and only the
    differences are kept: memory is O(T D) for the derivatives, not O(T D) solutions.

    Raises
    ------
    gat_schemas.errors.NotConvergedError
        When the point or a perturbed scenario does not converge.
    """
    n = data.n_der
    p_der = np.asarray(p_der, dtype=float)
    q_der = np.asarray(q_der, dtype=float)
    phys = data.phys
    per = assets_per_batch(len(phys.term_node), len(phys.cond_branch), batch_bytes)
    # The point itself goes with the first batch (as one batch did before, when all fit).
    batches = [np.arange(s, min(s + per, n)) for s in range(0, n, per)] or [np.arange(0)]
    vm_dp, vm_dq = np.empty((len(phys.term_node), n)), np.empty((len(phys.term_node), n))
    ld_dp, ld_dq = np.empty((len(phys.cond_branch), n)), np.empty((len(phys.cond_branch), n))
    head_dp, head_dq, loss_dp, loss_dq, loss_hp, loss_hq = (np.empty(n) for _ in range(6))
    for i, j in enumerate(batches):
        ac = _perturbed(data, p_der, q_der, j, load_scale, with_point=i == 0)
        if i == 0:
            point = AcPoint(**{f: getattr(ac, f)[:1] for f in _POINT_FIELDS})
        off, k = (1 if i == 0 else 0), len(j)

        def diff(x: np.ndarray, lo: int, off: int = off, k: int = k) -> np.ndarray:
            # (k, ...) derivatives of this batch's assets.
            return (x[off + lo : off + lo + k] - x[off + lo + k : off + lo + 2 * k]) / (2 * DP_MW)

        def second(x: np.ndarray, lo: int, off: int = off, k: int = k) -> np.ndarray:
            x0 = float(point.loss_mw[0])  # noqa: B023 (set by the first batch, never rebound)
            return (x[off + lo : off + lo + k] + x[off + lo + k : off + lo + 2 * k] - 2 * x0) / (
                DP_MW**2
            )

        vm_dp[:, j], vm_dq[:, j] = diff(ac.vm, 0).T, diff(ac.vm, 2 * k).T
        ld_dp[:, j], ld_dq[:, j] = diff(ac.loading_pct, 0).T, diff(ac.loading_pct, 2 * k).T
        head_dp[j], head_dq[j] = diff(ac.head_p_mw, 0), diff(ac.head_p_mw, 2 * k)
        loss_dp[j], loss_dq[j] = diff(ac.loss_mw, 0), diff(ac.loss_mw, 2 * k)
        loss_hp[j], loss_hq[j] = second(ac.loss_mw, 0), second(ac.loss_mw, 2 * k)
        del ac
    return Linear(
        point=point,
        p=p_der,
        q=q_der,
        vm=point.vm[0],
        vm_dp=vm_dp,
        vm_dq=vm_dq,
        # Loading, not current: a transformer's current is largest on its low-voltage side
        # while the interface's ampacity_a is its from-end rating; loading_pct compares each
        # end with its own rating. 0 where unrated (those rows are not constrained).
        loading_pct=np.nan_to_num(point.loading_pct[0], nan=0.0),
        loading_dp=np.nan_to_num(ld_dp, nan=0.0),
        loading_dq=np.nan_to_num(ld_dq, nan=0.0),
        head_p_mw=float(point.head_p_mw[0]),
        head_dp=head_dp,
        head_dq=head_dq,
        loss_mw=float(point.loss_mw[0]),
        loss_dp=loss_dp,
        loss_dq=loss_dq,
        loss_hp=np.clip(loss_hp, 0.0, None),
        loss_hq=np.clip(loss_hq, 0.0, None),
    )


_POINT_FIELDS = (
    "converged", "v", "vm", "current_a", "loading_pct", "head_p_mw", "loss_mw",
    "s_from", "s_to", "s_term",
)  # fmt: skip


def _perturbed(
    data: Opf3Data,
    p_der: np.ndarray,
    q_der: np.ndarray,
    j: np.ndarray,
    load_scale: float,
    *,
    with_point: bool,
) -> AcPoint:
    """AC solutions of assets ``j``'s perturbations: (the point,) +dP, -dP, +dQ, -dQ of
    each, in that order (blocks of ``len(j)``)."""
    k = len(j)
    off = 1 if with_point else 0
    n_s = off + 4 * k
    p = np.repeat(p_der[None, :], n_s, axis=0)
    q = np.repeat(q_der[None, :], n_s, axis=0)
    r = np.arange(k)
    p[off + r, j] += DP_MW
    p[off + k + r, j] -= DP_MW
    q[off + 2 * k + r, j] += DP_MW
    q[off + 3 * k + r, j] -= DP_MW
    ac = evaluate(data, p, q, load_scale=load_scale)
    if not ac.converged.all():
        raise NotConvergedError(
            "three-phase OPF: the AC power flow at the DER set points (or a perturbation of "
            "them) did not converge"
        )
    return ac
