"""``gat adms reconfigure``: choose which switchable branches are open so losses are lowest
(or the lowest voltage highest, or loading most balanced), radial with every load fed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    LOAD_SCALE,
    comma_list,
    force_option,
    grid_file_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]


def _switchable_arg(ctx: click.Context, param: click.Parameter, value: str) -> Path | None:
    if value == "all":
        return None
    path = Path(value)
    if not path.is_file():
        raise click.BadParameter(
            f"{value}: neither 'all' nor a file of branch ids", ctx=ctx, param=param
        )
    return path


@click.command()
@grid_file_option
@out_dir_option
@click.option(
    "--switchable",
    default="all",
    show_default=True,
    callback=_switchable_arg,
    metavar="all|FILE",
    help="Branches that may change state: all = every branch with a switch (branch_type "
    "switch, a dist_switches or switching_devices row, or open now; every branch when the "
    "network marks none), or a file of branch ids (CSV with branch_id, or one id a line).",
)
@click.option(
    "--objective",
    type=click.Choice(["loss", "max-min-voltage", "balance"]),
    default="loss",
    show_default=True,
    help="Minimise active losses, maximise the lowest voltage, or minimise the highest "
    "branch loading.",
)
@click.option(
    "--method",
    type=click.Choice(["milp", "exhaustive"]),
    default="milp",
    show_default=True,
    help="milp = relaxed MILP, then the AC power flow of its optimum and branch exchanges "
    "around it; exhaustive = every radial configuration in AC (small networks).",
)
@click.option(
    "--load-scale",
    "load_scales",
    multiple=True,
    callback=comma_list(LOAD_SCALE),
    metavar="X[,X...]",
    help="Load levels, one scenario each (repeat or comma-separate); default 1.0.",
)
@click.option(
    "--scenarios",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Scenarios table (.parquet or .csv): scenario_id + scale, optional weight "
    "(default 1). Replaces --load-scale.",
)
@click.option(
    "--per-scenario",
    is_flag=True,
    help="One configuration per scenario instead of one for all (weighted sum).",
)
@click.option(
    "--max-switch-ops",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Most switch operations from the present state  [default: no limit].",
)
@click.option(
    "--time-limit",
    type=click.IntRange(1, 86_400),
    default=30,
    show_default=True,
    help="Time limit of each MILP solve (s).",
)
@click.option(
    "--write-network",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the network in the chosen configuration to this folder.",
)
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    out_dir: Path,
    switchable: Path | None,
    objective: str,
    method: str,
    load_scales: tuple[float, ...],
    scenarios: Path | None,
    per_scenario: bool,
    max_switch_ops: int | None,
    time_limit: int,
    write_network: Path | None,
    force: bool,
) -> None:
    """Reconfigure the network: choose the open/closed state of every switchable branch.

    The configuration must be radial with every node fed from a slack (a part fed only by
    DER does not count); voltage band and thermal limits are held in the relaxed model
    and checked in AC. Method milp: a MILP (LinDistFlow with outer-approximated losses)
    finds the relaxed optimum; it and its branch exchanges are solved by the AC power flow
    in one batch, and exchanges around the AC-best continue until nothing improves.
    Several load scenarios give one configuration best for their weighted sum (or one
    each with --per-scenario). Writes reconfig_switches and reconfig_summary into OUT_DIR
    (and the reconfigured network with --write-network).
    """
    from gat_adms.reconfig import ReconfigOptions, read_switchable, reconfigure
    from gat_cli.network_input import read_grid_file
    from gat_schemas.errors import InputError

    if scenarios is not None and load_scales:
        raise click.UsageError("give --scenarios or --load-scale, not both")
    options = ReconfigOptions(
        objective=objective,
        method=method,
        max_switch_ops=max_switch_ops,
        time_limit_s=float(time_limit),
    )
    params: dict[str, Any] = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        "switchable": "all" if switchable is None else str(switchable),
        "objective": objective,
        "method": method,
        "load_scales": list(load_scales) or [1.0],
        "scenarios": None if scenarios is None else str(scenarios),
        "per_scenario": per_scenario,
        "max_switch_ops": max_switch_ops,
        "time_limit_s": time_limit,
        "write_network": None if write_network is None else str(write_network),
        "pool_size": options.pool_size,
        "exchange_rounds": options.exchange_rounds,
        "loss_breakpoints": options.loss_breakpoints,
        "mip_gap": options.mip_gap,
    }
    if write_network is not None and write_network.resolve() == out_dir.resolve():
        raise InputError(f"{write_network}: --write-network must differ from --out-dir")
    if write_network is not None and not force and write_network.exists():
        # Checked before solving: the run's outputs must not be written when the network
        # folder then cannot be.
        if not write_network.is_dir():
            raise InputError(f"{write_network}: --write-network exists and is not a folder")
        if any(write_network.iterdir()):
            raise InputError(
                f"{write_network}: --write-network folder exists and is not empty "
                "(pass --force to replace it)"
            )
    with command_run(
        app,
        out_dir=out_dir,
        command="adms reconfigure",
        params=params,
        inputs=[grid_file, switchable, scenarios],
        force=force,
    ) as run:
        net = read_grid_file(grid_file)
        ids = None if switchable is None else read_switchable(switchable)
        scales, weights, names = _scenarios(scenarios, load_scales)
        with _progress(method) as progress:
            result = reconfigure(
                net,
                switchable=ids,
                options=options,
                load_scales=scales,
                weights=weights,
                scenario_ids=names,
                per_scenario=per_scenario,
                progress=progress,
            )
        run.stage_table(result.switches, "reconfig_switches")
        run.stage_table(result.summary, "reconfig_summary")
    if write_network is not None:
        from gat_schemas import write_network as write_folder

        write_folder(result.network, write_network, overwrite=force)
    _print_summary(app, net.name, out_dir, write_network, result)


def _scenarios(path: Path | None, load_scales: tuple[float, ...]):  # type: ignore[no-untyped-def]
    """(scales, weights, ids) from --scenarios (scenario_id + scale [+ weight]) or --load-scale."""
    if path is None:
        scales = list(load_scales) or [1.0]
        ids = ["base"] if len(scales) == 1 else [f"x{s:g}" for s in scales]
        return scales, None, ids
    from gat_dist.table_files import read_table_file
    from gat_schemas.errors import InputError

    df = read_table_file(path, "pf_scenarios")
    if "node_id" in df.columns or "load_p" in df.columns or "scale" not in df.columns:
        raise InputError(
            f"{path}: reconfiguration scenarios are scenario_id + scale (+ weight): "
            "per-node rows are not supported"
        )
    if df["scenario_id"].duplicated().any():
        dup = df.loc[df["scenario_id"].duplicated(), "scenario_id"].astype(str).tolist()
        raise InputError(f"{path}: scenario_id {', '.join(dup[:5])} repeated")
    weights = None
    if "weight" in df.columns:
        w = df["weight"].astype(float)
        bad = df.loc[~(w >= 0) | ~w.notna(), "scenario_id"].astype(str).tolist()
        if bad:
            raise InputError(f"{path}: column weight must be >= 0 (rows {', '.join(bad[:5])})")
        weights = w.tolist()
    return df["scale"].astype(float).tolist(), weights, df["scenario_id"].astype(str).tolist()


def _progress(method: str):  # type: ignore[no-untyped-def]
    from gat_cli.progress import progress_bar

    what = "radial configurations in AC" if method == "exhaustive" else "scenario groups"
    return progress_bar(f"reconfiguration ({what})")


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _print_summary(app: AppContext, name: str, out_dir: Path, net_dir: Path | None, result) -> None:  # type: ignore[no-untyped-def]
    s = result.summary
    sw = result.switches
    lines = []
    for label, part in sw.groupby("scenario_id", sort=False):
        opened = part.loc[part["operated"] & (part["status_after"] == "open"), "branch_id"].tolist()
        closed = part.loc[
            part["operated"] & (part["status_after"] == "closed"), "branch_id"
        ].tolist()
        now_open = part.loc[part["status_after"] == "open", "branch_id"].tolist()
        head = f"{name}: " if label == "all" else f"{name} [{label}]: "
        lines.append(
            head
            + (
                f"open {', '.join(opened)}; close {', '.join(closed)}"
                if opened or closed
                else "no change"
            )
            + f" (open after: {', '.join(now_open)})"
        )
    for row in s.itertuples():
        lines.append(
            f"  {row.scenario_id} (load x{row.load_scale:g}): losses {row.loss_before_ac_mw * 1000:.2f} -> "
            f"{row.loss_after_ac_mw * 1000:.2f} kW AC (relaxed {row.loss_after_relaxed_mw * 1000:.2f} kW, "
            f"gap {row.loss_gap_mw * 1000:.2f} kW); v_min {row.v_min_before_pu:.4f} -> "
            f"{row.v_min_after_pu:.4f} pu; limits {'ok' if row.limits_ok_after else 'BROKEN'}"
        )
    first = s.iloc[0]
    lines.append(
        f"{first['method']}: {int(s['configurations_evaluated'].sum())} configurations in AC "
        f"({_n(int(s['ac_batches'].sum()), 'batch', 'batches')}), "
        f"{_n(int(s['milp_solves'].sum()), 'MILP solve', 'MILP solves')}, {result.seconds:.2f} s"
    )
    written = "reconfig_switches, reconfig_summary, run.json"
    lines.append(f"written to {rel(out_dir)}/ ({written})")
    if net_dir is not None:
        lines.append(f"network in the new configuration: {rel(net_dir)}/")
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "write_network": None if net_dir is None else str(net_dir),
            "seconds": result.seconds,
            "switches": sw.to_dict(orient="records"),
            "summary": s.to_dict(orient="records"),
        },
        lines,
    )
