"""The three-phase network of a schedule, through the physics interface (:mod:`gat_pf.physics`).

The three-phase OPF's machinery (:mod:`gat_dist.opf.threephase`) is reused: its array model
puts every DER on its ``phase`` (a single-phase asset on one node phase, a three-phase one a
third on each of its node's phases), its ``linearise`` gives the per-asset sensitivities at
the zero-DER point (one batched solve of ``1 + 4A`` scenarios) and its ``evaluate`` solves
every period of a schedule in one batched three-phase AC power flow. Loads follow one
factor per period (the three-phase solver scales every load by a per-scenario factor).
Regulator taps are held at ``dist_regulators.tap``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_dist.held_limits import held_cap, held_voltage
from gat_schemas.errors import NotConvergedError

from ._ac import AcDay

__all__ = [
    "HELD_COLUMNS",
    "Net3",
    "ac_day3",
    "base_day",
    "held_table",
    "local_sensitivities",
    "net3",
]

#: Columns of the held-limit table: element (node phase "890.A" or conductor "L1.B"), limit
#: (v_min, v_max, ampacity), the limit (pu or 100 %), periods held, and the loosest value
#: used over those periods (pu or %).
HELD_COLUMNS = ("element", "limit", "value", "periods", "held_at")


@dataclass(frozen=True, eq=False)
class Net3:
    """Array model of a three-phase network for the schedule.

    ``data`` (:class:`gat_dist.opf.threephase.data.Opf3Data`), ``vt`` the limited
    terminals, ``rc`` the rated conductors, and the sensitivities ``g_v`` (2, V, A) (pu per
    MW / Mvar), ``g_l`` (2, L, A) (% per MW / Mvar), ``g_h`` (2, A) (MW per MW / Mvar).
    """

    data: object
    vt: np.ndarray
    rc: np.ndarray
    g_v: np.ndarray
    g_l: np.ndarray
    g_h: np.ndarray
    held_tol_pu: float


def net3(network, assets: pd.DataFrame, options) -> Net3:  # type: ignore[no-untyped-def]
    """Build the model and its sensitivities at full load with every DER at zero.

    Raises
    ------
    gat_schemas.errors.InputError
        Assets on unknown nodes, on phases their node lacks or on a slack node.
    gat_schemas.errors.NotConvergedError
        The three-phase power flow at the linearisation point does not converge.
    """
    import gat_pf
    from gat_dist.opf import OpfOptions
    from gat_dist.opf.threephase.ac import linearise
    from gat_dist.opf.threephase.data import opf3_data

    phys = gat_pf.physics_model(
        network, model="three_phase", options_3ph=gat_pf.ThreePhaseOptions(regulators="fixed")
    )
    data = opf3_data(
        network,
        phys,
        OpfOptions(v_min=options.v_min, v_max=options.v_max),
        assets=assets,
        cost_curves=None,
    )
    zero = np.zeros(data.n_der)
    lin = linearise(data, zero, zero, load_scale=1.0)
    vt = np.flatnonzero(data.limited)
    rc = np.flatnonzero(data.rated)
    return Net3(
        data=data,
        vt=vt,
        rc=rc,
        g_v=np.stack([lin.vm_dp[vt], lin.vm_dq[vt]]),
        g_l=np.stack([lin.loading_dp[rc], lin.loading_dq[rc]]),
        g_h=np.stack([lin.head_dp, lin.head_dq]),
        held_tol_pu=float(options.held_tol_pu),
    )


def base_day(net: Net3, scale: np.ndarray):  # type: ignore[no-untyped-def]
    """Every period with every DER at zero, one batched solve; returns the
    :class:`~gat_dist.opf.threephase.ac.AcPoint` and the held limits ``lo``, ``hi`` (T, V)
    (pu) and ``cap`` (T, L) (%).

    Raises
    ------
    gat_schemas.errors.NotConvergedError
        A period's power flow does not converge without DER.
    """
    from gat_dist.opf.threephase.ac import evaluate

    data = net.data
    n_t = len(scale)
    zero = np.zeros((n_t, data.n_der))  # type: ignore[attr-defined]
    base = evaluate(data, zero, zero, load_scale=np.asarray(scale, dtype=float))  # type: ignore[arg-type]
    if not base.converged.all():
        bad = np.flatnonzero(~base.converged)
        raise NotConvergedError(
            "schedule (three-phase): the power flow without DER does not converge in "
            f"period(s) {', '.join(map(str, bad[:5]))} (check the load series' scale)"
        )
    vt, rc = net.vt, net.rc
    lo, hi = held_voltage(
        base.vm[:, vt],
        data.v_lo[vt],
        data.v_hi[vt],
        net.held_tol_pu,  # type: ignore[attr-defined]
    )
    cap = held_cap(np.nan_to_num(base.loading_pct[:, rc]), 100.0, net.held_tol_pu)
    return base, lo, hi, cap


def held_table(net: Net3, lo: np.ndarray, hi: np.ndarray, cap: np.ndarray) -> pd.DataFrame:
    """One row per limit held in at least one period (see :data:`HELD_COLUMNS`)."""
    data = net.data
    labels = np.asarray(data.phys.term_label).astype(str)[net.vt]  # type: ignore[attr-defined]
    conds = np.asarray(data.phys.cond_label).astype(str)[net.rc]  # type: ignore[attr-defined]
    rows = []
    v_lo, v_hi = data.v_lo[net.vt], data.v_hi[net.vt]  # type: ignore[attr-defined]
    for name, held, limit, loosest in (
        ("v_min", lo < v_lo, v_lo, lo.min(axis=0)),
        ("v_max", hi > v_hi, v_hi, hi.max(axis=0)),
        ("ampacity", cap > 100.0, np.full(len(conds), 100.0), cap.max(axis=0)),
    ):
        names = conds if name == "ampacity" else labels
        for k in np.flatnonzero(held.any(axis=0)):
            rows.append((names[k], name, float(limit[k]), int(held[:, k].sum()), float(loosest[k])))
    return pd.DataFrame(rows, columns=list(HELD_COLUMNS)).astype({"periods": "int64"})


def ac_day3(
    net: Net3,
    p: np.ndarray,
    q: np.ndarray,
    scale: np.ndarray,
    limits: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> AcDay:
    """Solve the T periods' AC power flows in one batch (asset set points ``p``, ``q`` (T, A),
    MW and Mvar; load factors ``scale`` (T,)) and measure them against the held ``limits``.

    Node arrays are per terminal (node phase); branch arrays per conductor.
    """
    from gat_dist.opf.threephase.ac import evaluate

    data = net.data
    ac = evaluate(data, p, q, load_scale=np.asarray(scale, dtype=float))  # type: ignore[arg-type]
    ok = ac.converged
    lo, hi, cap = limits
    vm = ac.vm
    n_t, n_term = vm.shape
    excess = np.zeros((n_t, n_term))
    vv = vm[:, net.vt]
    excess[:, net.vt] = np.maximum(np.maximum(lo - vv, vv - hi), 0.0)
    loading = ac.loading_pct
    over = np.full(loading.shape, np.nan)
    over[:, net.rc] = loading[:, net.rc] - cap
    if net.rc.size:
        lr = loading[:, net.rc]
        worst = np.where(ok[:, None] & np.isfinite(lr), lr, -np.inf).max(axis=1)
        worst_loading = np.where(np.isfinite(worst), worst, np.nan)
    else:
        worst_loading = np.full(n_t, np.nan)
    slack = np.asarray(data.phys.term_slack, dtype=bool)  # type: ignore[attr-defined]
    head_q = ac.s_term[:, slack].imag.sum(axis=1)
    return AcDay(
        converged=ok,
        vm=vm,
        v_bus_sq=vm**2,
        head_p_mw=ac.head_p_mw,
        head_q_mvar=np.where(ok, head_q, np.nan),
        loss_mw=ac.loss_mw,
        loading_pct=worst_loading,
        v_excess_pu=np.nan_to_num(excess, nan=0.0),
        branch_loading_pct=loading,
        vm_min_pu=vv.min(axis=1) if vv.size else np.full(n_t, np.nan),
        vm_max_pu=vv.max(axis=1) if vv.size else np.full(n_t, np.nan),
        loading_over_pct=over,
    )


#: Periods re-linearised per AC correction round (the worst ones): tangent cuts there.
TANGENT_PERIODS = 4


def local_sensitivities(n3, p, q, scale, bad) -> dict[int, tuple[np.ndarray, np.ndarray]]:  # type: ignore[no-untyped-def]
    """Sensitivities at the schedule of the periods with the most broken limits: central
    differences of every asset's P and Q (``dp`` as the three-phase OPF's), all these
    periods in one batched solve of ``W x 4A`` scenarios; a period with a scenario that
    does not converge is left out (it gets secant cuts)."""
    from gat_dist.opf.threephase.ac import DP_MW, evaluate

    count = sum(m.sum(axis=1) for m in bad)
    worst = [int(t) for t in np.argsort(-count, kind="stable")[:TANGENT_PERIODS] if count[t]]
    if not worst:
        return {}
    n = p.shape[1]
    eye = np.eye(n) * DP_MW
    zero = np.zeros((n, n))
    dp = np.concatenate([eye, -eye, zero, zero])  # (4A, A): +P, -P, +Q, -Q
    dq = np.concatenate([zero, zero, eye, -eye])
    pp = np.concatenate([p[t] + dp for t in worst])
    qq = np.concatenate([q[t] + dq for t in worst])
    ls = np.repeat(np.asarray(scale, dtype=float)[worst], 4 * n)
    ac = evaluate(n3.data, pp, qq, load_scale=ls)
    out = {}
    for i, t in enumerate(worst):
        blk = slice(4 * n * i, 4 * n * (i + 1))
        if not ac.converged[blk].all():
            continue
        vm = ac.vm[blk][:, n3.vt]
        ld = np.nan_to_num(ac.loading_pct[blk][:, n3.rc], nan=0.0)

        def diff(x: np.ndarray, lo: int) -> np.ndarray:
            return ((x[lo : lo + n] - x[lo + n : lo + 2 * n]) / (2 * DP_MW)).T

        out[t] = (
            np.stack([diff(vm, 0), diff(vm, 2 * n)]),
            np.stack([diff(ld, 0), diff(ld, 2 * n)]),
        )
    return out
