"""``gat dist import``: build a network folder from another tool's file."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.options import force_option, out_dir_option
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]


@click.group()
def cli() -> None:
    """Import a network from another format into a GAT network folder."""


@cli.command("matpower")
@click.option(
    "--m",
    "m_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="MATPOWER case file (.m), version 1 or 2.",
)
@out_dir_option
@click.option("--feeder-id", default=None, help="Feeder label of every node [default: case name].")
@click.option("--prefix", default="", help="Prefix added to every node and branch id.")
@click.option("--root", default=None, help="Keep only what is connected to this bus (number).")
@click.option("--name", default=None, help="Network name [default: case name].")
@force_option
@click.pass_obj
def matpower_cmd(
    app: AppContext,
    m_file: Path,
    out_dir: Path,
    feeder_id: str | None,
    prefix: str,
    root: str | None,
    name: str | None,
    force: bool,
) -> None:
    """Import a MATPOWER case into the network folder OUT_DIR.

    Distribution cases that store ohms and kW (case33bw, case69, ...) are converted by
    recognising the unit-conversion code at the end of the file; any code that is not
    recognised is an error naming its line. Branches with status 0 become open branches
    (normally-open ties).
    """
    from gat_dist import import_matpower
    from gat_schemas import write_network

    params = {
        "m": str(m_file),
        "out_dir": str(out_dir),
        "feeder_id": feeder_id,
        "prefix": prefix,
        "root": root,
        "name": name,
        "force": force,
    }
    with command_run(
        app,
        out_dir=out_dir,
        command="dist import matpower",
        params=params,
        inputs=[m_file],
        force=force,
    ) as run:
        net = import_matpower(m_file, name=name, feeder_id=feeder_id, prefix=prefix, root=root)
        write_network(net, run.staging_dir)
    nodes, branches = net.nodes, net.branches
    n_open = int((branches["status"] == "open").sum())
    conversions = list(net.source.get("conversions", []))
    summary = {
        "network": net.name,
        "out_dir": str(out_dir),
        "base_mva": net.base_mva,
        "nodes": len(nodes),
        "branches": len(branches),
        "open_branches": n_open,
        "total_load_mw": float(nodes["load_p"].sum()),
        "total_load_mvar": float(nodes["load_q"].sum()),
        "base_kv": sorted({float(v) for v in nodes["base_kv"]}),
        "conversions": conversions,
    }
    kv = ", ".join(f"{v:g}" for v in summary["base_kv"])
    lines = [
        f"imported {net.name}: {len(nodes)} nodes, {len(branches)} branches "
        f"({n_open} open), {kv} kV, base {net.base_mva:g} MVA",
        f"total load {summary['total_load_mw']:.4f} MW, {summary['total_load_mvar']:.4f} Mvar",
    ]
    notes = list(net.source.get("import_notes", []))
    summary["import_notes"] = notes
    lines += [f"unit conversion: {c}" for c in conversions]
    lines += [f"note: {n}" for n in notes]
    lines.append(f"written to {rel(out_dir)}/ (network.json, dist_nodes, dist_branches, run.json)")
    emit(app, summary, lines)
