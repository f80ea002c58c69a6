"""Volt/VAR plans: :func:`plan_vvo` over day types, :func:`optimise_period` for one period.

Every day type is a sequence of periods (a load factor, a PV factor and a length each). Its
baseline is the feeder's rule-based controls (:mod:`gat_adms.vvo.baseline`); the plan
starts from it and runs the AC correction loop (:mod:`gat_adms.vvo.optimise`) on one MILP
linking the day's periods by their tap and capacitor operations. DER active power in a
period is ``p_max`` times the PV factor for ``pv`` and ``wind`` assets and 0 for the others
(batteries and other inverters give reactive power only).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from .baseline import baseline_settings
from .controls import Controls, Settings, controls_of
from .evaluate import AcEngine, Evaluation
from .optimise import DayOutcome, ac_objective, operations, optimise_day
from .options import VvoOptions

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["DayType", "VvoResult", "optimise_period", "plan_vvo"]

_GENERATING = ("pv", "wind")


@dataclass(frozen=True, eq=False)
class DayType:
    """A day type: ``load_scale`` (P,) load factors, ``pv_scale`` (P,) PV factors (pu of
    ``p_max``), ``hours`` (P,) period lengths (h)."""

    name: str
    load_scale: np.ndarray
    pv_scale: np.ndarray
    hours: np.ndarray

    def __post_init__(self) -> None:
        ls = np.asarray(self.load_scale, dtype=float).reshape(-1)
        pv = np.asarray(self.pv_scale, dtype=float).reshape(-1)
        h = np.asarray(self.hours, dtype=float).reshape(-1)
        if not (len(ls) == len(pv) == len(h)) or not len(ls):
            raise InputError(f"day type {self.name}: load, PV and hours need one value per period")
        if not (np.isfinite(ls).all() and np.isfinite(pv).all() and (h > 0).all()):
            raise InputError(f"day type {self.name}: factors must be finite and hours > 0")
        object.__setattr__(self, "load_scale", ls)
        object.__setattr__(self, "pv_scale", pv)
        object.__setattr__(self, "hours", h)


@dataclass(frozen=True, eq=False)
class VvoResult:
    """A Volt/VAR plan: the ``vvo_settings``, ``vvo_periods`` and ``vvo_summary`` tables,
    the model used (``three_phase``/``balanced``), AC solves run and wall time (s)."""

    settings: pd.DataFrame
    periods: pd.DataFrame
    summary: pd.DataFrame
    model: str
    n_solves: int
    elapsed_s: float


def _der_p(controls: Controls, pv_scale: np.ndarray) -> np.ndarray:
    gen = np.isin(controls.der_type.astype(str), _GENERATING)
    return np.asarray(pv_scale)[:, None] * np.where(gen, controls.der_p_max, 0.0)[None, :]


def plan_vvo(
    network: Network,
    day_types: list[DayType],
    *,
    assets: pd.DataFrame | None = None,
    options: VvoOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VvoResult:
    """Optimise the Volt/VAR controls of ``network`` over ``day_types`` (see the module doc).

    Parameters
    ----------
    network
        The network (three-phase or balanced).
    day_types
        The day types (each a sequence of periods).
    assets
        DER assets (default: the network's ``der_assets``).
    options
        Objective, voltage band, operation limits, rounds.
    progress
        Called as ``progress(done, total)`` with the number of day types done.

    Raises
    ------
    gat_schemas.errors.InputError
        Bad controls or day types; a network without any control.
    """
    from gat_pf.physics import is_three_phase

    options = options or VvoOptions()
    t0 = time.perf_counter()
    three = is_three_phase(network)
    controls = controls_of(network, assets=assets, three_phase=three, substation=options.substation)
    if not (controls.n_taps or controls.n_caps or (controls.n_der and options.der_q)):
        raise InputError(
            f"network {network.name}: no Volt/VAR control (no regulator or transformer tap, "
            "no capacitor, no DER with reactive power)"
        )
    names = [d.name for d in day_types]
    if len(set(names)) != len(names) or not names:
        raise InputError("VVO: day type names must be given and distinct")
    engine = AcEngine(network, controls, options, three_phase=three)
    rows_s, rows_p, rows_sum = [], [], []
    if progress is not None:
        progress(0, len(day_types))
    for k, day in enumerate(day_types):
        der_p = _der_p(controls, day.pv_scale)
        base = baseline_settings(
            network,
            controls,
            engine,
            load_scale=day.load_scale,
            der_p=der_p,
            hours=day.hours,
            assets=assets,
        )
        ev_b = engine.evaluate(base, day.load_scale, der_p)
        out = optimise_day(
            engine,
            options,
            start=base,
            load_scale=day.load_scale,
            der_p=der_p,
            hours=day.hours,
            link=len(day.hours) > 1,
        )
        rows_s.append(_settings_rows(day, controls, out.settings, base, der_p))
        rows_p.append(_period_rows(day, engine, options, out.evaluation, "optimised"))
        rows_p.append(_period_rows(day, engine, options, ev_b, "baseline"))
        rows_sum.append(
            _summary_row(day, engine, options, out.evaluation, out.settings, out, "optimised")
        )
        rows_sum.append(_summary_row(day, engine, options, ev_b, base, None, "baseline"))
        if progress is not None:
            progress(k + 1, len(day_types))
    return VvoResult(
        settings=pd.concat(rows_s, ignore_index=True),
        periods=pd.concat(rows_p, ignore_index=True),
        summary=pd.DataFrame(rows_sum),
        model="three_phase" if three else "balanced",
        n_solves=engine.n_solves,
        elapsed_s=time.perf_counter() - t0,
    )


def optimise_period(
    network: Network,
    *,
    assets: pd.DataFrame | None = None,
    options: VvoOptions | None = None,
    load_scale: float = 1.0,
    pv_scale: float = 1.0,
) -> VvoResult:
    """One-period Volt/VAR optimisation (day type ``period``, one hour; operation limits do
    not apply). See :func:`plan_vvo`."""
    day = DayType("period", np.array([load_scale]), np.array([pv_scale]), np.array([1.0]))
    return plan_vvo(network, [day], assets=assets, options=options)


# -- tables ------------------------------------------------------------------------------
def _settings_rows(
    day: DayType, c: Controls, opt: list[Settings], base: list[Settings], der_p: np.ndarray
) -> pd.DataFrame:
    n_p = len(opt)
    ids = np.concatenate([c.tap_ids, c.cap_ids, c.der_ids]).astype(str)
    kinds = np.concatenate(
        [c.tap_kind.astype(str), ["capacitor"] * c.n_caps, ["der"] * c.n_der]
    ).astype(object)
    src = c.tap_kind == "substation"

    def flat(s: Settings) -> np.ndarray:
        # A substation set point is reported in pu, the taps in steps.
        taps = np.where(src, c.tap_base + s.taps * c.tap_step_pu, s.taps.astype(float))
        return np.concatenate([taps, s.caps.astype(float), s.q_mvar])

    val = np.array([flat(s) for s in opt]).reshape(n_p, len(ids))
    bval = np.array([flat(s) for s in base]).reshape(n_p, len(ids))
    p = np.full((n_p, len(ids)), np.nan)
    p[:, c.n_taps + c.n_caps :] = der_p
    return pd.DataFrame(
        {
            "day_type": day.name,
            "period": np.repeat(np.arange(n_p), len(ids)).astype(np.int64),
            "device_id": np.tile(ids, n_p),
            "kind": np.tile(kinds, n_p),
            "setting": val.ravel(),
            "baseline": bval.ravel(),
            "p_mw": p.ravel(),
        }
    )


def _period_rows(
    day: DayType, engine: AcEngine, options: VvoOptions, ev: Evaluation, case: str
) -> pd.DataFrame:
    n_p = len(day.hours)
    lim = engine.limited
    phase = engine.term_phase
    cols: dict[str, object] = {
        "day_type": day.name,
        "period": np.arange(n_p, dtype=np.int64),
        "case": case,
        "hour": np.concatenate([[0.0], np.cumsum(day.hours)[:-1]]),
        "hours": day.hours,
        "load_scale": day.load_scale,
        "objective": ac_objective(ev, options),
        "loss_mw": ev.loss_mw,
        "head_p_mw": ev.head_p_mw,
        "head_q_mvar": ev.head_q_mvar,
        "demand_mw": ev.demand_mw,
        "vdev_pu": ev.vdev_pu,
    }
    for k, fn in (("min", np.nanmin), ("max", np.nanmax)):
        for ph in "abc":
            sel = lim & ((phase == ph.upper()) | ((phase == "ABC") & (ph == "a")))
            if sel.any() and np.isfinite(ev.vm[:, sel]).any():
                with np.errstate(all="ignore"):
                    vals = np.array(
                        [fn(r) if np.isfinite(r).any() else np.nan for r in ev.vm[:, sel]]
                    )
            else:
                vals = np.full(n_p, np.nan)
            cols[f"v_{k}_{ph}_pu"] = vals
    cols["violation_pu"] = ev.violation_pu
    cols["ac_converged"] = ev.converged
    cols["ac_ok"] = ev.converged & (np.nan_to_num(ev.violation_pu, nan=np.inf) <= options.ac_tol_pu)
    return pd.DataFrame(cols)


def _summary_row(
    day: DayType,
    engine: AcEngine,
    options: VvoOptions,
    ev: Evaluation,
    settings: list[Settings],
    out: DayOutcome | None,
    case: str,
) -> dict[str, object]:
    h = day.hours
    ok = ev.converged & (np.nan_to_num(ev.violation_pu, nan=np.inf) <= options.ac_tol_pu)
    t_ops, c_ops = operations(settings)
    vm = ev.vm[:, engine.limited]
    terms = ",".join(f"{k}={v:g}" for k, v in options.objective.items())
    conv = bool(ev.converged.all())
    return {
        "day_type": day.name,
        "case": case,
        "objective_terms": terms,
        "objective": float(np.sum(h * ac_objective(ev, options))) if conv else np.nan,
        "energy_mwh": float(np.sum(h * ev.head_p_mw)) if conv else np.nan,
        "peak_mw": float(np.max(ev.head_p_mw)) if conv else np.nan,
        "loss_mwh": float(np.sum(h * ev.loss_mw)) if conv else np.nan,
        "v_min_pu": float(np.nanmin(vm)) if conv and vm.size else np.nan,
        "v_max_pu": float(np.nanmax(vm)) if conv and vm.size else np.nan,
        "hours_outside": float(np.sum(h[~ok])),
        "tap_ops": int(t_ops.sum()),
        "cap_ops": int(c_ops.sum()),
        "periods": len(h),
        "periods_ac_ok": int(ok.sum()),
        "status": "baseline" if out is None else out.status,
        "rounds": 0 if out is None else int(out.rounds),
        "message": None if out is None else out.message,
    }
