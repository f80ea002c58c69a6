"""A solved schedule as tables: the result record and its assembly from the LP and AC check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._ac import AcDay

if TYPE_CHECKING:
    from ._api import ScheduleProblem

__all__ = ["ScheduleResult", "result_tables"]


@dataclass(frozen=True, eq=False)
class ScheduleResult:
    """A solved schedule.

    Attributes
    ----------
    schedule
        ``schedule`` table: one row per period and asset.
    network
        ``schedule_network`` table: one row per period (AC check and LinDistFlow values).
    summary
        ``schedule_summary`` table: one row.
    model
        ``balanced`` (LinDistFlow) or ``three_phase`` (node phases and conductors).
    held
        Three-phase: limits some period breaks with every DER at zero, held at their base
        value plus ``held_tol_pu`` (columns of
        :data:`gat_derms.schedule._threephase.HELD_COLUMNS`); empty when balanced.
    """

    schedule: pd.DataFrame
    network: pd.DataFrame
    summary: pd.DataFrame
    model: str = "balanced"
    held: pd.DataFrame = field(default_factory=pd.DataFrame)


def result_tables(
    problem: ScheduleProblem,
    x: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    price: np.ndarray,
    avail: np.ndarray,
    ac: AcDay,
    rounds: int,
    solve_s: float,
    ac_s: float,
) -> ScheduleResult:
    """The schedule, network and summary tables of a solved LP ``x`` and its AC check ``ac``.

    ``problem`` is the :class:`~gat_derms.schedule.ScheduleProblem`; ``p``, ``q`` (T, A) the
    assets' set points (MW, Mvar, generation positive), ``price`` (T,) currency/MWh,
    ``avail`` (T, A) available power (MW), ``rounds`` the AC corrections made, ``solve_s``
    and ``ac_s`` the seconds spent in the LP and the AC checks.
    """
    lp, a, o = problem.lp, problem.assets, problem.options
    c, dt, T = lp.cols, lp.dt, problem.periods.n
    stamps = problem.periods.timestamps
    nan = np.full((T, a.n), np.nan)
    ch, dis, soc = nan.copy(), nan.copy(), nan.copy()
    ch[:, lp.sto], dis[:, lp.sto], soc[:, lp.sto] = x[c["ch"]], x[c["dis"]], x[c["soc"]]
    curtailed = np.where(a.curtailable[None, :], np.maximum(avail - p, 0.0), 0.0)
    schedule = pd.DataFrame(
        {
            "timestamp": np.repeat(stamps, a.n),
            "asset_id": np.tile(a.ids.astype(str), T).astype(object),
            "asset_type": np.tile(a.kind.astype(str), T).astype(object),
            "p_mw": p.ravel(),
            "q_mvar": q.ravel(),
            "charge_mw": ch.ravel(),
            "discharge_mw": dis.ravel(),
            "soc_mwh": soc.ravel(),
            "curtailed_mw": curtailed.ravel(),
        }
    )
    schedule["timestamp"] = pd.DatetimeIndex(schedule["timestamp"])
    if problem.net3 is None:
        # LinDistFlow voltages of the limited nodes.
        v_bus = np.tile(problem.data.bus_v_set**2, (T, 1))
        v_bus[:, lp.vbus] = x[c["v"]]
        limited = ~np.isin(problem.pf.node_type, (1, 2))
        vm_lp = np.sqrt(np.maximum(v_bus[:, problem.pf.node_bus[limited]], 0.0))
        th_slack = x[c["sth"]] / problem.pf.base_mva
    else:
        # Linear voltages of the limited node phases (pu); thermal slack as a fraction.
        vm_lp = lp.predict(x)[0]
        th_slack = x[c["sth"]] / 100.0
    head_lp = x[c["ph"]].sum(axis=1)
    network = pd.DataFrame(
        {
            "timestamp": stamps,
            "price": price.astype(float),
            "head_p_mw": ac.head_p_mw,
            "head_q_mvar": ac.head_q_mvar,
            "vm_min_pu": ac.vm_min_pu,
            "vm_max_pu": ac.vm_max_pu,
            "loading_max_pct": ac.loading_pct,
            "p_loss_mw": ac.loss_mw,
            "ac_converged": ac.converged.astype(bool),
            "head_p_lp_mw": head_lp,
            "vm_min_lp_pu": vm_lp.min(axis=1) if vm_lp.size else np.full(T, np.nan),
            "vm_max_lp_pu": vm_lp.max(axis=1) if vm_lp.size else np.full(T, np.nan),
        }
    )
    for col in ("head_p_mw", "head_q_mvar", "vm_min_pu", "vm_max_pu", "p_loss_mw"):
        network.loc[~ac.converged, col] = np.nan
    billed = np.where(a.storage[None, :], np.nan_to_num(dis, nan=0.0), p)
    asset_cost = float(((billed * a.c1[None, :]).sum() + a.c0.sum() * T) * dt)
    ok = ac.converged
    cost_ac = float((price * ac.head_p_mw).sum() * dt) + asset_cost if ok.all() else np.nan
    excess = ac.v_excess_pu[ok]
    over = ac.loading_over_pct[ok] - o.thermal_tol_pct
    worst_load = ac.loading_pct[ok]
    slack = [x[c["sv_lo"]], x[c["sv_hi"]], th_slack]
    summary = pd.DataFrame(
        {
            "objective": [o.objective],
            "status": [lp.status],
            "periods": [T],
            "dt_hours": [dt],
            "assets": [a.n],
            "cost": [cost_ac],
            "cost_lp": [float((price * head_lp).sum() * dt) + asset_cost],
            "import_mwh": [float(ac.head_p_mw.sum() * dt) if ok.all() else np.nan],
            "curtailed_mwh": [float(curtailed.sum() * dt)],
            "undelivered_mwh": [float(x[c["u"]].sum()) if c["u"].size else 0.0],
            "lp_slack": [float(max((s.max() if s.size else 0.0) for s in slack))],
            "ac_corrections": [rounds],
            "ac_converged_periods": [int(ok.sum())],
            "ac_voltage_violations": [int((excess > o.v_tol_pu).sum())],
            "ac_thermal_violations": [int((np.nan_to_num(over, nan=-1.0) > 0).sum())],
            "worst_vm_min_pu": [_finite_min(ac.vm_min_pu[ok])],
            "worst_vm_max_pu": [_finite_max(ac.vm_max_pu[ok])],
            "worst_v_violation_pu": [float(excess.max()) if excess.size else np.nan],
            "worst_loading_pct": [_finite_max(worst_load)],
            "v_tol_pu": [o.v_tol_pu],
            "thermal_tol_pct": [o.thermal_tol_pct],
            "build_s": [problem.build_s],
            "solve_s": [solve_s],
            "ac_s": [ac_s],
        }
    )
    return ScheduleResult(
        schedule=schedule, network=network, summary=summary, model=problem.model, held=problem.held
    )


def _finite_min(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(v.min()) if v.size else float("nan")


def _finite_max(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(v.max()) if v.size else float("nan")
