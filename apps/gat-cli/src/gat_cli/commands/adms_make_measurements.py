"""``gat adms make-measurements``: a measurements table from the network's power flow."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    LOAD_SCALE,
    FiniteFloat,
    GatCommand,
    comma_list,
    force_option,
    grid_file_option,
    out_dir_option,
    seed_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

_WHERE = "'all', 'none', {} or a comma-separated list of ids"


@click.command(cls=GatCommand)
@grid_file_option
@out_dir_option
@click.option(
    "--voltages",
    default="slack",
    show_default=True,
    help="v_mag sensors: " + _WHERE.format("'slack'") + " (nodes).",
)
@click.option(
    "--flows",
    default="head",
    show_default=True,
    help="p_flow/q_flow sensors at the from end: " + _WHERE.format("'head'") + " (branches).",
)
@click.option(
    "--injections",
    default="none",
    show_default=True,
    help="p_inj/q_inj sensors: " + _WHERE.format("") + " (nodes).",
)
@click.option(
    "--pseudo-pct",
    type=FiniteFloat(0.0, 1000.0, min_open=True),
    default=20.0,
    show_default=True,
    help="Pseudo p_inj/q_inj at the other loaded nodes, sigma PCT % of the load (0 < PCT).",
)
@click.option("--no-pseudo", is_flag=True, help="No pseudo-measurements.")
@click.option(
    "--sigma-v",
    type=FiniteFloat(0.0, 1.0, min_open=True),
    default=0.005,
    show_default=True,
    help="Voltage sensor standard deviation (pu).",
)
@click.option(
    "--sigma-power-pct",
    type=FiniteFloat(0.0, 100.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Power sensor standard deviation, % of the reading (at least 0.1 kW).",
)
@click.option(
    "--load-scale",
    "load_scale",
    multiple=True,
    callback=comma_list(LOAD_SCALE),
    metavar="X[,X...]",
    help="One snapshot per load factor (the true state's loads scaled)  [default: 1].",
)
@click.option(
    "--gross-errors",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="Sensor readings (not pseudo) moved by --gross-size sigmas, chosen at random.",
)
@click.option(
    "--gross-size",
    type=FiniteFloat(0.0, 1e6, min_open=True),
    default=20.0,
    show_default=True,
    help="Size of a gross error (sigmas).",
)
@seed_option("Seed of the noise and of the gross errors' choice.")
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    out_dir: Path,
    voltages: str,
    flows: str,
    injections: str,
    pseudo_pct: float,
    no_pseudo: bool,
    sigma_v: float,
    sigma_power_pct: float,
    load_scale: tuple[float, ...],
    gross_errors: int,
    gross_size: float,
    seed: int,
    force: bool,
) -> None:
    """Write a measurements table read from the network's power flow, with seeded noise.

    Sensors read the true state (the network's power flow; one snapshot per --load-scale)
    plus Gaussian noise; --gross-errors plants gross errors. The table (OUT_DIR/
    measurements.parquet) also holds true_value and gross columns, so an estimate can be
    checked against the truth.
    """
    from gat_adms.se import Placement, make_measurements
    from gat_cli.network_input import read_grid_file

    placement = Placement(
        voltages=voltages,
        flows=flows,
        injections=injections,
        pseudo_pct=None if no_pseudo else pseudo_pct,
        sigma_v_pu=sigma_v,
        sigma_power_pct=sigma_power_pct,
    )
    scales = list(load_scale) or [1.0]
    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        "voltages": voltages,
        "flows": flows,
        "injections": injections,
        "pseudo_pct": None if no_pseudo else pseudo_pct,
        "sigma_v": sigma_v,
        "sigma_power_pct": sigma_power_pct,
        "load_scale": scales,
        "gross_errors": gross_errors,
        "gross_size": gross_size,
    }
    with command_run(
        app,
        out_dir=out_dir,
        command="adms make-measurements",
        params=params,
        inputs=[grid_file],
        force=force,
        seed=seed,
    ) as run:
        net = read_grid_file(grid_file)
        table = make_measurements(
            net,
            placement,
            load_scale=scales if len(scales) > 1 else scales[0],
            gross_errors=gross_errors,
            gross_size=gross_size,
            seed=seed,
        )
        run.stage_table(table, "measurements")
    counts = table.loc[table["snapshot"] == "0", "kind"].value_counts()
    planted = table.loc[table["gross"], "measurement_id"].tolist()
    lines = [
        f"{net.name}: {int(counts.sum())} measurements per snapshot x {len(scales)} snapshot(s) "
        f"({', '.join(f'{k} {v}' for k, v in counts.items())}; "
        f"{int(table.loc[table['snapshot'] == '0', 'pseudo'].sum())} pseudo)",
        "gross errors planted: " + (", ".join(planted) if planted else "none"),
        f"written to {rel(out_dir)}/measurements.parquet",
    ]
    emit(
        app,
        {
            "network": net.name,
            "out_dir": str(out_dir),
            "rows": len(table),
            "snapshots": len(scales),
            "gross_errors": planted,
        },
        lines,
    )
