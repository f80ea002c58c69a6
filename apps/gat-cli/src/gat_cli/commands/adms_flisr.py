"""``gat adms flisr-sim``: FLISR for every single fault, and the analytical IEEE 1366 indices."""

from __future__ import annotations

import dataclasses
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
from gat_cli.options import GatCommand, force_option, grid_file_option, out_dir_option
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]


def _scenarios_arg(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    if value is None or value == "all":  # "all": the deprecated --faults all
        return None
    path = Path(value)
    if not path.is_file():
        raise click.BadParameter(
            f"{value}: not an outage_scenarios file (.parquet or .csv)", ctx=ctx, param=param
        )
    return path


@click.command(cls=GatCommand, renamed={**RENAMED, "--faults": "--scenarios"})
@grid_file_option
@reliability_inputs
@out_dir_option
@click.option(
    "--scenarios",
    "scenarios",
    default=None,
    callback=_scenarios_arg,
    metavar="FILE",
    help="outage_scenarios table (one element per scenario; duration_h is that outage's "
    "repair time)  [default: every element of the reliability table].",
)
@flisr_options
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
    """Simulate fault location, isolation and service restoration for every single fault.

    Per fault: the nearest upstream protective device trips; the nearest devices around the
    faulted section open; upstream customers are restored by re-closing; customers below
    are transferred through normally-open ties by a MILP (radial, LinDistFlow voltage and
    thermal limits), whose plan is re-checked by an AC power flow. A network with
    three-phase tables (an imported OpenDSS feeder, gat dataset export ieee13) is simulated
    the same way: devices operate all phases of their branch, the MILP screens on the
    positive sequence, and the check is the three-phase power flow (node-phase voltages,
    conductor loading). Writes flisr_runs, load_point_indices and reliability_indices
    (expected annual IEEE 1366 values) into OUT_DIR.
    """
    from gat_adms import index_tables, simulate_flisr

    faults = kw["scenarios"]
    params = {
        "grid_file": str(grid_file),
        "reliability": None if reliability is None else str(reliability),
        "switches": None if switches is None else str(switches),
        "out_dir": str(out_dir),
        "scenarios": None if faults is None else str(faults),
        "restore": kw["restore"],
        "load_factor": kw["load_factor"],
        "ac_corrections": kw["ac_corrections"],
        "time_limit_s": kw["time_limit"],
    }
    options = flisr_options_from(kw)
    params["options"] = dataclasses.asdict(options)
    with command_run(
        app,
        out_dir=out_dir,
        command="adms flisr-sim",
        params=params,
        inputs=[grid_file, reliability, switches, faults],
        force=kw["force"],
    ) as run:
        net, tables = _read_inputs(grid_file, reliability, switches, faults)
        with _progress() as progress:
            result = simulate_flisr(
                net,
                tables["reliability"],
                tables["switching_devices"],
                scenarios=tables.get("outage_scenarios"),
                options=options,
                progress=progress,
                validate=False,
            )
        indices, points, system = index_tables(result.impacts)
        run.stage_table(result.runs, "flisr_runs")
        run.stage_table(points, "load_point_indices")
        run.stage_table(system, "reliability_indices")
    _print_summary(app, net.name, out_dir, result, indices)


def _read_inputs(grid_file: Path, reliability: Path | None, switches: Path | None, faults):  # type: ignore[no-untyped-def]
    """Read and validate the network and the reliability tables (every violation at once)."""
    from gat_adms import validate_reliability
    from gat_cli.network_input import read_grid_file
    from gat_dist.table_files import read_table_file
    from gat_schemas import InputError, ValidationError

    net = read_grid_file(grid_file)
    files = {
        "reliability": reliability,
        "switching_devices": switches,
        "outage_scenarios": faults,
        "dist_nodes": grid_file,
    }
    tables: dict[str, Any] = {}
    for name in ("reliability", "switching_devices", "outage_scenarios"):
        path = files[name]
        if path is not None:
            tables[name] = read_table_file(path, name, validate=False)
        elif name != "outage_scenarios":
            if net.table(name) is None:
                flag = "--reliability" if name == "reliability" else "--switches"
                raise InputError(f"{grid_file}: no {name} table in the network folder; give {flag}")
            tables[name] = net.table(name)
            files[name] = grid_file
    found = validate_reliability(
        net,
        tables["reliability"],
        tables["switching_devices"],
        tables.get("outage_scenarios"),
    )
    if found:
        where = dict.fromkeys(str(files.get(v.table) or grid_file) for v in found)
        raise ValidationError(found, source=", ".join(where))
    return net, tables


def _progress():  # type: ignore[no-untyped-def]
    from gat_cli.progress import progress_bar

    return progress_bar("FLISR (faults)")


def _ids(ids: list[str], shown: int = 8) -> str:
    """The first ``shown`` ids, and how many more."""
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(map(str, ids[:shown])) + more


def _print_summary(app: AppContext, name: str, out_dir: Path, result, ix) -> None:  # type: ignore[no-untyped-def]
    runs = result.runs
    ac_fail = runs.loc[~runs["ac_check_ok"], "fault_element"].tolist()
    blocked = runs.loc[runs["customers_blocked_by_limits"] > 0, "fault_element"].tolist()
    transfer = runs["closed_ties"].fillna("") != ""
    ties = int(transfer.sum())
    # A configuration with no tie closed is isolation and re-closing only: what breaks a
    # limit there is the fault's doing (load lost, regulators re-tapping), not a restoration.
    plan_fail = runs.loc[~runs["ac_check_ok"] & transfer, "fault_element"].tolist()
    isolation_fail = runs.loc[~runs["ac_check_ok"] & ~transfer, "fault_element"].tolist()
    ac_line = "AC check: " + (
        "every restoration feasible" if not plan_fail else f"failed for {_ids(plan_fail)}"
    )
    if isolation_fail:
        ac_line += (
            f"; after isolation alone a voltage or loading is beyond the normal state's "
            f"for {_ids(isolation_fail)}"
        )
    lines = [
        f"{name}: {len(runs)} faults simulated in {result.seconds:.2f} s "
        f"({result.milp_solves} MILP solves, {result.ac_checks} AC power flows); "
        f"ties closed after {ties} of them",
        f"SAIFI {ix.saifi:.4f} /yr, SAIDI {ix.saidi:.4f} h/yr, CAIDI {ix.caidi:.4f} h, "
        f"ASAI {ix.asai:.6f}, ENS {ix.ens:.3f} MWh/yr, AENS {ix.aens * 1000:.3f} kWh/customer-yr",
        ac_line,
    ]
    if blocked:
        lines.append(f"restoration limited by voltage/thermal limits for: {', '.join(blocked)}")
    lines.append(
        f"written to {rel(out_dir)}/ (flisr_runs, load_point_indices, reliability_indices, "
        "run.json)"
    )
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "faults": len(runs),
            "seconds": result.seconds,
            "milp_solves": result.milp_solves,
            "ac_checks": result.ac_checks,
            "restored_through_ties": ties,
            "ac_check_failed": ac_fail,
            "ac_check_failed_after_isolation_only": isolation_fail,
            "blocked_by_limits": blocked,
            "indices": {
                "SAIFI": ix.saifi,
                "SAIDI": ix.saidi,
                "CAIDI": ix.caidi,
                "ASAI": ix.asai,
                "ENS": ix.ens,
                "AENS": ix.aens,
            },
        },
        lines,
    )
