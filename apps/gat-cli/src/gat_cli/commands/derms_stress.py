"""``gat derms stress-test``: many perturbed days scheduled, AC-checked and summarised."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from gat_cli.commands.derms_schedule import (
    input_paths,
    jsonable_params,
    read_inputs,
    schedule_input_options,
    schedule_options,
)
from gat_cli.context import AppContext
from gat_cli.options import (
    GatCommand,
    deprecation_note,
    executor_options,
    fanout_options,
    force_option,
    out_dir_option,
    seed_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

#: Test hook: seconds to wait after each finished shard (lets a test interrupt a run).
_DELAY_ENV = "GAT_TEST_SHARD_DELAY_S"


class _StressCommand(GatCommand):
    """``--scenarios N`` (a count, before the grammar) still means ``--samples N``."""

    def rewrite_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = list(args)
        for i, arg in enumerate(args):
            if arg == "--":
                break
            value = args[i + 1] if arg == "--scenarios" and i + 1 < len(args) else None
            if arg.startswith("--scenarios="):
                value = arg.split("=", 1)[1]
            if value is not None and _legacy_count(value):
                deprecation_note("--scenarios N", "--samples N (--scenarios is now a file)")
                args[i] = arg.replace("--scenarios", "--samples", 1)
        return super().rewrite_args(ctx, args)


def _legacy_count(value: str) -> bool:
    return value.strip().lstrip("+-").isdigit() and not Path(value).exists()


@click.command(cls=_StressCommand, renamed={"--spec": "--scenarios"})
@schedule_input_options
@out_dir_option
@click.option(
    "--samples",
    type=click.IntRange(min=1, max=1_000_000),
    default=20,
    show_default=True,
    help="Number of random scenarios (ignored with --scenarios).",
)
@seed_option("Seed of the random scenarios.")
@click.option(
    "--scenarios",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="derms_stress_spec table (scenario_id, price_factor, load_factor, pv_factor): "
    "scripted scenarios instead of random ones.",
)
@click.option(
    "--block-size",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Scenarios per shard (the model is built once per shard).",
)
@fanout_options
@force_option
@click.pass_obj
def cli(app: AppContext, **kw: Any) -> None:
    """Schedule --samples perturbed copies of the day (or the scenarios of --scenarios) and
    write derms_stress_scenarios.parquet (cost, curtailed and undelivered energy, AC
    violations per scenario) and derms_stress_summary.parquet (mean, min, 5th, 50th and
    95th percentiles, max) into OUT_DIR.

    Random scenario s draws from a generator spawned from --seed for s alone: a price
    level LogNormal(0, 0.25) with N(0, 0.1) noise per period, a load level N(1, 0.1)
    with N(0, 0.03) noise per period, a PV level U(0.3, 1.1) with N(0, 0.15) noise per
    period. The same seed gives byte-identical outputs, whatever the executor.
    """
    from gat_derms.stress import run_stress
    from gat_dist.fanout import ShardStore
    from gat_dist.table_files import read_table_file

    out_dir: Path = kw["out_dir"]
    options = schedule_options(kw)
    executor = executor_options(kw)
    spec_file = kw["scenarios"]
    inputs_paths = input_paths(kw) + ([spec_file] if spec_file is not None else [])
    t0 = time.perf_counter()
    with command_run(
        app,
        out_dir=out_dir,
        command="derms stress-test",
        params=jsonable_params(kw),
        inputs=inputs_paths,
        resume=kw["resume"],
        force=kw["force"],
        seed=kw["seed"],
    ) as run:
        inputs = read_inputs(kw)
        spec = None if spec_file is None else read_table_file(spec_file, "derms_stress_spec")
        with _progress() as progress:
            result = run_stress(
                inputs["network"],
                inputs["assets"],
                inputs["prices"],
                loads=inputs["loads"],
                pv=inputs["pv"],
                cost_curves=inputs["cost_curves"],
                scenarios=kw["samples"],
                seed=kw["seed"],
                spec=spec,
                options=options,
                block_size=kw["block_size"],
                executor=executor,
                store=ShardStore(run),
                progress=progress,
                sources={**inputs["sources"], "spec": str(spec_file)},
            )
        run.stage_table(result.scenarios, "derms_stress_scenarios")
        run.stage_table(result.summary, "derms_stress_summary")
    _print_summary(app, out_dir, result, time.perf_counter() - t0)


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """The progress bar, plus the test hook's pause after each finished shard."""
    from gat_cli.progress import progress_bar

    with progress_bar("stress test (shards)") as draw:
        delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
        if not delay:
            yield draw
            return

        def update(done: int, total: int) -> None:
            draw(done, total)
            if 0 < done < total:
                time.sleep(delay)

        yield update


def _print_summary(app: AppContext, out_dir: Path, result, seconds: float) -> None:  # type: ignore[no-untyped-def]
    s = result.summary.set_index("metric")
    n = len(result.scenarios)

    def band(metric: str, fmt: str) -> str:
        r = s.loc[metric]
        return f"{r['p05']:{fmt}} / {r['p50']:{fmt}} / {r['p95']:{fmt}}"

    with_v = int((result.scenarios["ac_voltage_violations"] > 0).sum())
    with_t = int((result.scenarios["ac_thermal_violations"] > 0).sum())
    lines = [
        f"{n} scenarios; p05 / p50 / p95:",
        f"  cost {band('cost', '.1f')}",
        f"  curtailed {band('curtailed_mwh', '.3f')} MWh, undelivered "
        f"{band('undelivered_mwh', '.3f')} MWh",
        f"  worst loading {band('worst_loading_pct', '.1f')} %",
        f"scenarios with AC violations: voltage {with_v}, thermal {with_t}",
        f"written to {rel(out_dir)}/ (derms_stress_scenarios, derms_stress_summary, run.json)",
    ]
    emit(
        app,
        {
            "out_dir": str(out_dir),
            "scenarios": n,
            "seconds": seconds,
            "summary": result.summary.to_dict(orient="records"),
        },
        lines,
    )
