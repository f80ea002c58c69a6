"""``gat adms outage-mc``: sequential outage Monte Carlo over simulated years."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from gat_cli.commands._adms_options import (
    RENAMED,
    flisr_options,
    flisr_options_from,
    reliability_inputs,
)
from gat_cli.context import AppContext
from gat_cli.options import (
    FiniteFloat,
    GatCommand,
    executor_options,
    fanout_options,
    force_option,
    grid_file_option,
    out_dir_option,
    seed_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

#: Test hook: seconds to wait after each finished shard (lets a test interrupt a run).
_DELAY_ENV = "GAT_TEST_SHARD_DELAY_S"


@click.command(cls=GatCommand, renamed={**RENAMED, "--block-years": "--block-size"})
@grid_file_option
@reliability_inputs
@out_dir_option
@click.option(
    "--samples",
    type=click.IntRange(1, 1_000_000),
    required=True,
    help="Simulated years.",
)
@seed_option("Seed of the random draws; the same seed gives byte-identical tables.")
@click.option(
    "--repair-dist",
    type=click.Choice(["exponential", "lognormal"]),
    default="exponential",
    show_default=True,
    help="Distribution of repair times, with each element's mean repair_time_h.",
)
@click.option(
    "--repair-cv",
    type=FiniteFloat(0.0, 10.0, min_open=True),
    default=0.5,
    show_default=True,
    help="Coefficient of variation (std / mean) of lognormal repair times.",
)
@click.option(
    "--block-size",
    "block_years",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Years per shard. Results depend on the seed and this, not on where shards run.",
)
@flisr_options
@fanout_options
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    reliability: Path | None,
    switches: Path | None,
    out_dir: Path,
    **kw: Any,
) -> None:
    """Simulate --samples years of failures: each element fails as a Poisson process with
    its failure rate, at uniform times in the year, and is repaired after a sampled time.
    Each failure is resolved by the FLISR outcome of its element (computed once: isolation,
    re-closing, transfer through ties), so its customers are back after the switching time
    or the repair. Writes outage_samples (one row per failure), outage_years (indices of
    each year) and outage_stats (mean, std, standard error, p5/p50/p95 of SAIFI, SAIDI,
    CAIDI, ASAI, ENS, AENS, beside the analytical values) into OUT_DIR.
    """
    from gat_adms.montecarlo import MonteCarloOptions, outage_monte_carlo
    from gat_dist.fanout import ShardStore

    params = {
        "grid_file": str(grid_file),
        "reliability": None if reliability is None else str(reliability),
        "switches": None if switches is None else str(switches),
        "out_dir": str(out_dir),
        **kw,
    }
    options = MonteCarloOptions(
        years=kw["samples"],
        seed=kw["seed"],
        repair_dist=kw["repair_dist"],
        repair_cv=kw["repair_cv"],
        block_years=kw["block_years"],
    )
    flisr = flisr_options_from(kw)
    executor = executor_options(kw)
    t0 = time.perf_counter()
    with command_run(
        app,
        out_dir=out_dir,
        command="adms outage-mc",
        params=params,
        inputs=[grid_file, reliability, switches],
        resume=kw["resume"],
        force=kw["force"],
        seed=kw["seed"],
    ) as run:
        name, impacts = _fault_impacts(grid_file, reliability, switches, flisr)
        with _progress("outage Monte Carlo (year blocks)", delay=True) as progress:
            result = outage_monte_carlo(
                impacts,
                options=options,
                executor=executor,
                store=ShardStore(run),
                progress=progress,
            )
        run.stage_table(result.samples, "outage_samples")
        run.stage_table(result.years, "outage_years")
        run.stage_table(result.stats, "outage_stats")
    _print_summary(app, name, out_dir, options, result, time.perf_counter() - t0)


def _fault_impacts(grid_file: Path, reliability: Path | None, switches: Path | None, options):  # type: ignore[no-untyped-def]
    """The network's name and the FLISR outcome of every element of the reliability table.

    The inputs are read and checked as ``gat adms flisr-sim`` does (every violation at once,
    naming the files), so both commands resolve faults from the same tables the same way.
    """
    from gat_adms import simulate_flisr
    from gat_cli.commands.adms_flisr import _read_inputs

    net, tables = _read_inputs(grid_file, reliability, switches, None)
    with _progress("FLISR (fault elements)") as progress:
        result = simulate_flisr(
            net,
            tables["reliability"],
            tables["switching_devices"],
            options=options,
            progress=progress,
        )
    return net.name, result.impacts


@contextmanager
def _progress(description: str, *, delay: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar; with ``delay``, plus the test hook's pause after each finished shard."""
    from gat_cli.progress import progress_bar

    with progress_bar(description) as draw:
        pause = float(os.environ.get(_DELAY_ENV, "0") or 0) if delay else 0.0
        if not pause:
            yield draw
            return

        def update(done: int, total: int) -> None:
            draw(done, total)
            if 0 < done < total:
                time.sleep(pause)

        yield update


def _print_summary(
    app: AppContext, name: str, out_dir: Path, options, result, seconds: float
) -> None:  # type: ignore[no-untyped-def]
    stats = result.stats.set_index("index")
    years = result.years
    rows = {
        k: {
            "mean": stats.loc[k, "mean"],
            "sem": stats.loc[k, "sem"],
            "p5": stats.loc[k, "p5"],
            "p95": stats.loc[k, "p95"],
            "analytic": stats.loc[k, "analytic"],
            "unit": stats.loc[k, "unit"],
        }
        for k in stats.index
    }
    saifi, saidi = rows["SAIFI"]["mean"], rows["SAIDI"]["mean"]
    caidi = saidi / saifi if saifi > 0 else float("nan")
    dist = options.repair_dist.value + (
        f" cv {options.repair_cv:g}" if options.repair_dist.value == "lognormal" else ""
    )
    lines = [
        f"{name}: {options.years} simulated years, {int(years['failures'].sum())} failures "
        f"(seed {options.seed}, repair {dist}, {len(options.blocks)} blocks)"
    ]
    for k in ("SAIFI", "SAIDI", "ENS", "AENS"):
        r = rows[k]
        lines.append(
            f"  {k:<5} {r['mean']:.4f} +/- {r['sem']:.4f} (p5 {r['p5']:.4f}, p95 "
            f"{r['p95']:.4f}) {r['unit']}; analytic {r['analytic']:.4f}"
        )
    lines.append(
        f"  CAIDI {caidi:.4f} h/interruption (mean SAIDI / mean SAIFI); "
        f"analytic {rows['CAIDI']['analytic']:.4f}"
    )
    lines.append(
        f"done in {seconds:.2f} s; written to {rel(out_dir)}/ "
        "(outage_samples, outage_years, outage_stats, run.json)"
    )
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "years": options.years,
            "seed": options.seed,
            "repair_dist": options.repair_dist.value,
            "failures": int(years["failures"].sum()),
            "caidi_ratio_of_means": caidi,
            "indices": rows,
            "seconds": seconds,
        },
        lines,
    )
