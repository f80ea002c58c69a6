"""Stress test: schedule many perturbed days through the fan-out executor, then summarise.

Each shard is a block of scenarios: it builds the schedule model once and re-solves it per
scenario with new prices (costs), loads (balance bounds) and PV availability (bounds).
Shard results are reduced in shard order, so the output does not depend on the executor
or on a ``--resume``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_derms.schedule import ScheduleOptions, ScheduleProblem, periods_from_prices
from gat_dist.fanout import ExecutorOptions, Progress, Shard, ShardStore, run_shards
from gat_schemas.errors import InputError
from gat_schemas.tables.derms_schedule_outputs import STRESS_METRICS

from ._scenarios import Perturbation, StressDistributions, random_scenarios, spec_scenarios

__all__ = ["StressResult", "reduce_stress", "run_stress", "stress_shard", "stress_summary"]

_TABLE = "derms_stress_scenarios"


@dataclass(frozen=True, eq=False)
class StressResult:
    """Result of :func:`run_stress`.

    Attributes
    ----------
    scenarios
        ``derms_stress_scenarios``: one row per scenario, in scenario order.
    summary
        ``derms_stress_summary``: mean, min, 5th / 50th / 95th percentiles, max per metric.
    """

    scenarios: pd.DataFrame
    summary: pd.DataFrame


def stress_shard(
    network,  # type: ignore[no-untyped-def]
    assets: pd.DataFrame,
    cost_curves: pd.DataFrame | None,
    prices: pd.DataFrame,
    loads: pd.DataFrame | None,
    pv: pd.DataFrame | None,
    options: ScheduleOptions,
    scenarios: Sequence[Perturbation],
) -> dict[str, pd.DataFrame]:
    """Schedule a block of scenarios on one built model (a pure function of its arguments).

    Returns ``{"derms_stress_scenarios": rows}``.
    """
    periods = periods_from_prices(prices, dt_hours=options.dt_hours)
    problem = ScheduleProblem(network, assets, periods, cost_curves=cost_curves, options=options)
    load_p, load_q = problem.loads(loads)
    avail = problem.pv(pv)
    curt = problem.assets.curtailable
    p_max = problem.assets.p_max
    rows = []
    for sc in scenarios:
        price = periods.price * sc.price
        a = avail.copy()
        a[:, curt] = np.minimum(avail[:, curt] * sc.pv[:, None], p_max[curt])
        res = problem.solve(price, load_p * sc.load[:, None], load_q * sc.load[:, None], a)
        s = res.summary.iloc[0]
        rows.append(
            {
                "scenario_id": sc.scenario_id,
                "price_factor": float(np.mean(sc.price)),
                "load_factor": float(np.mean(sc.load)),
                "pv_factor": float(np.mean(sc.pv)),
                "cost": float(s["cost"]),
                "curtailed_mwh": float(s["curtailed_mwh"]),
                "undelivered_mwh": float(s["undelivered_mwh"]),
                "lp_slack": float(s["lp_slack"]),
                "ac_voltage_violations": int(s["ac_voltage_violations"]),
                "ac_thermal_violations": int(s["ac_thermal_violations"]),
                "worst_v_violation_pu": float(s["worst_v_violation_pu"]),
                "worst_loading_pct": float(s["worst_loading_pct"]),
                "worst_vm_min_pu": float(s["worst_vm_min_pu"]),
                "ac_converged_periods": int(s["ac_converged_periods"]),
            }
        )
    return {_TABLE: pd.DataFrame(rows)}


def stress_summary(scenarios: pd.DataFrame) -> pd.DataFrame:
    """``derms_stress_summary``: per metric the finite values' mean, min, percentiles, max."""
    out = []
    for metric in STRESS_METRICS:
        v = scenarios[metric].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            p05, p50, p95 = np.percentile(v, [5.0, 50.0, 95.0])
            stats = [
                float(v.mean()),
                float(v.min()),
                float(p05),
                float(p50),
                float(p95),
                float(v.max()),
            ]
        else:
            stats = [np.nan] * 6
        out.append([metric, int(v.size), *stats])
    return pd.DataFrame(
        out, columns=["metric", "scenarios", "mean", "min", "p05", "p50", "p95", "max"]
    )


def reduce_stress(parts: Sequence[Mapping[str, pd.DataFrame]]) -> StressResult:
    """Concatenate shard results (in shard order) and summarise them."""
    frames = [p[_TABLE] for p in parts if len(p[_TABLE])]
    scen = pd.concat(frames, ignore_index=True)
    for col in ("ac_voltage_violations", "ac_thermal_violations", "ac_converged_periods"):
        scen[col] = scen[col].astype("int64")
    return StressResult(scenarios=scen, summary=stress_summary(scen))


def run_stress(
    network,  # type: ignore[no-untyped-def]
    assets: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    loads: pd.DataFrame | None = None,
    pv: pd.DataFrame | None = None,
    cost_curves: pd.DataFrame | None = None,
    scenarios: int = 20,
    seed: int = 0,
    spec: pd.DataFrame | None = None,
    distributions: StressDistributions = StressDistributions(),  # noqa: B008 -- frozen
    options: ScheduleOptions = ScheduleOptions(),  # noqa: B008 -- frozen
    block_size: int = 4,
    executor: ExecutorOptions = ExecutorOptions(),  # noqa: B008 -- frozen
    store: ShardStore | None = None,
    progress: Progress | None = None,
    sources: Mapping[str, str] | None = None,
) -> StressResult:
    """Schedule ``scenarios`` perturbed days (or the rows of ``spec``) and summarise them.

    Parameters
    ----------
    network, assets, prices, loads, pv, cost_curves, options
        As for :func:`gat_derms.schedule.run_schedule` (the base day).
    scenarios, seed
        Number of random scenarios and the seed they derive from (ignored with ``spec``).
    spec
        ``derms_stress_spec`` table: scripted scenarios instead of random ones.
    distributions
        Random perturbation parameters (:class:`StressDistributions`).
    sources
        File names for messages: keys ``assets``, ``prices``, ``loads``, ``pv``, ``spec``.
    block_size
        Scenarios per shard (one model build per shard).
    executor, store, progress
        Fan-out executor, shard store (resume) and progress callback
        (:func:`gat_dist.fanout.run_shards`).

    Raises
    ------
    gat_schemas.errors.InputError
        Bad inputs (as for a schedule), a bad spec, ``scenarios < 1``, a seed outside
        ``[0, 2**32)`` or ``block_size < 1``.
    """
    if block_size < 1:
        raise InputError(f"block_size must be >= 1, got {block_size}")
    names = dict(sources or {})
    periods = periods_from_prices(
        prices, dt_hours=options.dt_hours, source=names.get("prices", "price_series")
    )
    if spec is not None:
        perturbations = spec_scenarios(spec, periods.n, source=names.get("spec", "spec"))
    else:
        if scenarios < 1:
            raise InputError(f"scenarios must be >= 1, got {scenarios}")
        if not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise InputError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r}")
        perturbations = random_scenarios(seed, scenarios, periods.n, distributions)
    # Check the inputs once here, so that a bad file fails before any shard runs.
    check = ScheduleProblem(
        network,
        assets,
        periods,
        cost_curves=cost_curves,
        options=options,
        source=names.get("assets", "der_assets"),
    )
    check.loads(loads, names.get("loads", "load_series"))
    check.pv(pv, names.get("pv", "pv_series"))
    shards = [
        Shard(
            f"block{k // block_size:04d}",
            (
                network,
                assets,
                cost_curves,
                prices,
                loads,
                pv,
                options,
                perturbations[k : k + block_size],
            ),
        )
        for k in range(0, len(perturbations), block_size)
    ]
    parts = run_shards(stress_shard, shards, executor=executor, store=store, progress=progress)
    return reduce_stress(parts)
