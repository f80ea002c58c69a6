"""Outage Monte Carlo over simulated years: shards (blocks of years), run, reduce, statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_adms.impacts import FaultImpacts, Indices, expected_indices
from gat_dist.fanout import ExecutorOptions, Progress, Shard, ShardStore, run_shards

from ._options import HOURS_PER_YEAR, MonteCarloOptions
from ._sampling import check_impacts, element_effects, sample_events

__all__ = [
    "INDEX_UNITS",
    "OutageMonteCarloResult",
    "block_generator",
    "outage_block",
    "outage_monte_carlo",
    "outage_shards",
    "outage_stats",
    "reduce_outage_mc",
]

#: The indices summarised in ``outage_stats``, with their units.
INDEX_UNITS: dict[str, str] = {
    "SAIFI": "interruptions/(customer yr)",
    "SAIDI": "h/(customer yr)",
    "CAIDI": "h/interruption",
    "ASAI": "-",
    "ENS": "MWh/yr",
    "AENS": "MWh/(customer yr)",
}


@dataclass(frozen=True, eq=False)
class OutageMonteCarloResult:
    """Result of :func:`outage_monte_carlo`.

    Attributes
    ----------
    samples
        ``outage_samples`` table: one row per sampled failure, by (year, start_h).
    years
        ``outage_years`` table: the indices of each simulated year.
    stats
        ``outage_stats`` table: mean, std, standard error and percentiles of each index over
        the years, with the analytical value beside it.
    analytic
        The analytical indices of the same :class:`~gat_adms.impacts.FaultImpacts`
        (:func:`~gat_adms.impacts.expected_indices`).
    """

    samples: pd.DataFrame
    years: pd.DataFrame
    stats: pd.DataFrame
    analytic: Indices


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block``: child ``block`` of ``SeedSequence(seed)``.

    Equal to ``Generator(PCG64(SeedSequence(seed).spawn(n)[block]))`` for any ``n > block``,
    so a block's draws never depend on how many blocks there are or where they run.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def outage_shards(impacts: FaultImpacts, options: MonteCarloOptions) -> list[Shard]:
    """One shard per block of ``options.block_years`` years: ``b<k>`` runs
    :func:`outage_block` with ``(impacts, options, k, first_year, years)``."""
    return [
        Shard(f"b{k}", (impacts, options, k, first, n))
        for k, (first, n) in enumerate(options.blocks)
    ]


def outage_block(
    impacts: FaultImpacts,
    options: MonteCarloOptions,
    block: int,
    first_year: int,
    years: int,
) -> dict[str, pd.DataFrame]:
    """Simulate years ``first_year .. first_year + years - 1`` (one fan-out shard).

    Returns
    -------
    dict
        ``samples`` (``outage_samples`` rows) and ``years`` (``outage_years`` rows).
    """
    events, totals = sample_events(
        impacts,
        element_effects(impacts),
        first_year=first_year,
        years=years,
        rng=block_generator(options.seed, block),
        dist=options.repair_dist,
        cv=options.repair_cv,
    )
    ids = np.asarray(impacts.elements, dtype=object)
    kinds = np.asarray(impacts.element_types, dtype=object)
    samples = pd.DataFrame(
        {
            "year": events.year.astype(np.int64),
            "event": events.event.astype(np.int64),
            "element_id": ids[events.element],
            "element_type": kinds[events.element],
            "start_h": events.start_h.astype(float),
            "repair_h": events.repair_h.astype(float),
            "duration_h": events.duration_h.astype(float),
            "customers_interrupted": np.rint(events.customers_interrupted).astype(np.int64),
            "customers_restored_by_switching": np.rint(events.customers_switched).astype(np.int64),
            "customer_hours": events.customer_hours.astype(float),
            "unserved_mwh": events.unserved_mwh.astype(float),
        }
    )
    total = float(np.asarray(impacts.customers, dtype=float).sum())
    saifi = totals.customers_interrupted / total
    saidi = totals.customer_hours / total
    with np.errstate(invalid="ignore", divide="ignore"):
        caidi = np.where(saifi > 0, saidi / np.where(saifi > 0, saifi, 1.0), np.nan)
    per_year = pd.DataFrame(
        {
            "year": totals.year,
            "failures": totals.failures,
            "customers_interrupted": np.rint(totals.customers_interrupted).astype(np.int64),
            "customer_hours": totals.customer_hours.astype(float),
            "saifi": saifi,
            "saidi": saidi,
            "caidi": caidi,
            "asai": 1.0 - saidi / HOURS_PER_YEAR,
            "ens_mwh": totals.unserved_mwh.astype(float),
            "aens_mwh_per_customer": totals.unserved_mwh / total,
        }
    )
    return {"samples": samples, "years": per_year}


def outage_stats(years: pd.DataFrame, analytic: Indices) -> pd.DataFrame:
    """Mean, std, standard error and percentiles of each index over the simulated years.

    ``std`` is the sample standard deviation (ddof 1; NaN with one year), ``sem`` = std /
    sqrt(years). CAIDI is undefined in a year without customer interruption: its row
    summarises only the years where it is defined (``years`` counts them), and its mean is
    a mean of yearly ratios, not the analytical CAIDI (= SAIDI / SAIFI; compare that with
    mean SAIDI / mean SAIFI instead).
    """
    columns = {
        "SAIFI": "saifi",
        "SAIDI": "saidi",
        "CAIDI": "caidi",
        "ASAI": "asai",
        "ENS": "ens_mwh",
        "AENS": "aens_mwh_per_customer",
    }
    expected = {
        "SAIFI": analytic.saifi,
        "SAIDI": analytic.saidi,
        "CAIDI": analytic.caidi,
        "ASAI": analytic.asai,
        "ENS": analytic.ens,
        "AENS": analytic.aens,
    }
    rows = []
    for name, col in columns.items():
        x = years[col].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        n = int(x.size)
        std = float(np.std(x, ddof=1)) if n > 1 else float("nan")
        p5, p50, p95 = np.percentile(x, [5, 50, 95]) if n else (np.nan,) * 3
        rows.append(
            {
                "index": name,
                "unit": INDEX_UNITS[name],
                "years": n,
                "mean": float(x.mean()) if n else float("nan"),
                "std": std,
                "sem": std / np.sqrt(n) if n > 1 else float("nan"),
                "p5": float(p5),
                "p50": float(p50),
                "p95": float(p95),
                "analytic": float(expected[name]),
            }
        )
    out = pd.DataFrame(rows)
    out["years"] = out["years"].astype(np.int64)
    return out


def reduce_outage_mc(
    results: Sequence[dict[str, pd.DataFrame]], impacts: FaultImpacts
) -> OutageMonteCarloResult:
    """Concatenate the blocks' tables in block order and compute the statistics."""
    samples = pd.concat([r["samples"] for r in results], ignore_index=True)
    years = pd.concat([r["years"] for r in results], ignore_index=True)
    analytic = expected_indices(impacts)
    return OutageMonteCarloResult(
        samples=samples, years=years, stats=outage_stats(years, analytic), analytic=analytic
    )


def outage_monte_carlo(
    impacts: FaultImpacts,
    *,
    options: MonteCarloOptions,
    executor: ExecutorOptions = ExecutorOptions(),  # noqa: B008 -- frozen, immutable
    store: ShardStore | None = None,
    progress: Progress | None = None,
) -> OutageMonteCarloResult:
    """Sequential outage Monte Carlo: simulate ``options.years`` years of failures.

    Each element fails as a Poisson process with its ``failure_rate_per_yr``; each failure
    starts at a uniform time in the year and lasts a sampled repair time (mean
    ``repair_time_h``, :class:`~gat_adms.montecarlo.RepairDistribution`). Its effect on the
    load points is the switching outcome FLISR computed once per element (``impacts``),
    with the contract's duration rule (:func:`gat_adms.impacts.interruption_hours`).
    Failures are independent: overlapping outages do not interact.

    Parameters
    ----------
    impacts
        The switching outcome of every fault (from the FLISR simulation).
    options
        Years, seed, repair-time distribution, block size.
    executor
        Where the blocks run (see :mod:`gat_dist.fanout`); results do not depend on it.
    store
        Saves each finished block and skips blocks already saved (``--resume``).
    progress
        ``progress(done, total)`` in blocks.

    Returns
    -------
    OutageMonteCarloResult

    Raises
    ------
    gat_schemas.errors.InputError
        Inconsistent or unusable impacts (shapes, rates, repair times, no customers).
    """
    check_impacts(impacts)
    shards = outage_shards(impacts, options)
    results = run_shards(outage_block, shards, executor=executor, store=store, progress=progress)
    return reduce_outage_mc(results, impacts)
