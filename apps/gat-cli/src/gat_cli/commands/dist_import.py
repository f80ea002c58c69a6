"""``gat dist import``: build a network folder from another tool's file."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    PU_VOLTAGE,
    FiniteFloat,
    GatCommand,
    HiddenArgument,
    deprecation_note,
    force_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

_SOURCE_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def cli() -> None:
    """Import a network from another format into a GAT network folder."""


@cli.command("matpower", cls=GatCommand, renamed={"--m": "--file"})
@click.option(
    "--file",
    "m_file",
    type=_SOURCE_FILE,
    required=True,
    help="MATPOWER case file (.m), version 1 or 2.",
)
@out_dir_option
@click.option("--feeder-id", default=None, help="Feeder label of every node [default: case name].")
@click.option("--prefix", default="", help="Prefix added to every node and branch id.")
@click.option("--root", default=None, help="Keep only what is connected to this bus (number).")
@click.option("--name", default=None, help="Network name [default: case name].")
@click.option(
    "--per-phase",
    is_flag=True,
    help="The file holds per-phase data (single-phase MW, line-to-neutral baseKV, as "
    "case533mt): powers and baseMVA x 3, baseKV x sqrt(3); per-unit values unchanged.",
)
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
    per_phase: bool,
    force: bool,
) -> None:
    """Import the MATPOWER case --file into the network folder OUT_DIR.

    Distribution cases that store ohms and kW (case33bw, case69, ...) are converted by
    recognising the unit-conversion code at the end of the file; any code that is not
    recognised is an error naming its line. Branches with status 0 become open branches
    (normally-open ties).
    """
    from gat_dist import import_matpower
    from gat_schemas import write_network

    params = {
        "file": str(m_file),
        "out_dir": str(out_dir),
        "feeder_id": feeder_id,
        "prefix": prefix,
        "root": root,
        "name": name,
        "per_phase": per_phase,
        "force": force,
    }
    with command_run(
        app,
        out_dir=out_dir,
        command="dist import matpower",
        params=params,
        inputs=[m_file],
        force=force,
        writes="network",
    ) as run:
        net = import_matpower(
            m_file, name=name, feeder_id=feeder_id, prefix=prefix, root=root, per_phase=per_phase
        )
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


@cli.command("opendss")
@click.option(
    "--file",
    "dss_file",
    type=_SOURCE_FILE,
    default=None,
    help="OpenDSS script (.dss); Redirect and Compile are followed.  [required]",
)
@click.argument("dss_file_arg", cls=HiddenArgument, required=False, type=_SOURCE_FILE)
@out_dir_option
@click.option("--name", default=None, help="Network name [default: circuit name].")
@click.option(
    "--feeder-id", default=None, help="Feeder label of every node [default: circuit name]."
)
@click.option(
    "--base-mva",
    type=FiniteFloat(0.0, 1e6, min_open=True),
    default=1.0,
    show_default=True,
    help="Power base (MVA) of the per-unit r, x, b in dist_branches.",
)
@click.option(
    "--v-min",
    type=PU_VOLTAGE,
    default=0.95,
    show_default=True,
    help="Lower voltage limit of every node (pu).",
)
@click.option(
    "--v-max",
    type=PU_VOLTAGE,
    default=1.05,
    show_default=True,
    help="Upper voltage limit of every node (pu).",
)
@force_option
@click.pass_obj
def opendss_cmd(
    app: AppContext,
    dss_file: Path | None,
    dss_file_arg: Path | None,
    out_dir: Path,
    name: str | None,
    feeder_id: str | None,
    base_mva: float,
    v_min: float,
    v_max: float,
    force: bool,
) -> None:
    """Import the OpenDSS script --file into the network folder OUT_DIR.

    Reads the part of the OpenDSS language the IEEE test feeders use (Circuit/Vsource with its
    impedance, Line, LineCode, Load, Transformer, RegControl incl. ganged three-phase ones,
    Capacitor, switches, like=, Redirect/Compile, Open/Close, Set VoltageBases, BusCoords,
    ...). The network is the circuit as defined at the end of the script; run-time commands
    (Solve, Show, Plot, Export, EnergyMeter, Monitor, ...) are listed as notes. Everything GAT
    cannot import is found in one pass: the error gives the count and the first few, the full
    list goes to OUT_DIR.import_report.txt beside the folder (and into --format json).
    """
    from gat_dist import import_opendss
    from gat_dist.importers.opendss import OpenDssImportError
    from gat_schemas import write_network

    dss_file = _script_file(dss_file, dss_file_arg)
    params = {
        "dss_file": str(dss_file),
        "out_dir": str(out_dir),
        "name": name,
        "feeder_id": feeder_id,
        "base_mva": base_mva,
        "v_min": v_min,
        "v_max": v_max,
        "force": force,
    }
    report = import_report_path(out_dir)
    with command_run(
        app,
        out_dir=out_dir,
        command="dist import opendss",
        params=params,
        inputs=[dss_file],
        force=force,
        writes="network",
    ) as run:
        try:
            net = import_opendss(
                dss_file,
                name=name,
                feeder_id=feeder_id,
                base_mva=base_mva,
                v_min=v_min,
                v_max=v_max,
            )
        except OpenDssImportError as exc:
            raise _refused(app, exc, dss_file, report) from None
        write_network(net, run.staging_dir)
    report.unlink(missing_ok=True)  # a report of an earlier refused import is stale now
    nodes, branches = net.nodes, net.branches
    loads = net.table("dist_loads")
    p_cols = ["p_a_mw", "p_b_mw", "p_c_mw"]
    q_cols = ["q_a_mvar", "q_b_mvar", "q_c_mvar"]
    total_p = float(loads[p_cols].to_numpy().sum()) if loads is not None else 0.0
    total_q = float(loads[q_cols].to_numpy().sum()) if loads is not None else 0.0
    counts = {t: len(df) for t, df in net.tables.items()}
    kinds = branches["branch_type"].value_counts().to_dict()
    notes = list(net.source.get("import_notes", []))
    summary = {
        "network": net.name,
        "out_dir": str(out_dir),
        "base_mva": net.base_mva,
        "frequency_hz": net.frequency_hz,
        "tables": counts,
        "branch_types": kinds,
        "total_load_mw": total_p,
        "total_load_mvar": total_q,
        "base_kv": sorted({float(v) for v in nodes["base_kv"]}),
        "files": [f["path"] for f in net.source.get("files", [])],
        "import_notes": notes,
    }
    kv = ", ".join(f"{v:g}" for v in summary["base_kv"])
    kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    lines = [
        f"imported {net.name}: {len(nodes)} nodes, {len(branches)} branches ({kind_text}), "
        f"{kv} kV, {net.frequency_hz:g} Hz",
        f"{counts.get('dist_loads', 0)} loads, total {total_p:.4f} MW, {total_q:.4f} Mvar "
        "(at nominal voltage)",
        f"{counts.get('dist_regulators', 0)} regulators, {counts.get('dist_caps', 0)} capacitors, "
        f"{counts.get('dist_linecodes', 0)} line codes",
    ]
    lines += [f"note: {n}" for n in notes]
    lines.append(
        f"written to {rel(out_dir)}/ (network.json, {', '.join(sorted(net.tables))}, run.json)"
    )
    emit(app, summary, lines)


def import_report_path(out_dir: Path) -> Path:
    """Where a refused OpenDSS import lists its problems: ``OUT_DIR.import_report.txt`` beside
    the output folder (never inside it: a refused import leaves no half network folder)."""
    out = out_dir.resolve()
    return out.with_name(out.name + ".import_report.txt")


def _refused(app: AppContext, exc: Exception, dss_file: Path, report: Path) -> Exception:
    """Write the import report, print the JSON summary with --format json, and return the
    one-line error naming the report."""
    from gat_schemas.errors import InputError
    from gat_schemas.io import atomic_write_bytes

    problems = list(getattr(exc, "problems", ()))
    n_unsupported = int(getattr(exc, "unsupported", 0))
    text = (
        f"OpenDSS import of {dss_file} refused: {len(problems)} problem(s), {n_unsupported} of "
        "them unsupported input (valid OpenDSS that GAT does not model), the others invalid "
        "values or references. Each line names the file and line.\n\n"
        + "".join(f"{p}\n" for p in problems)
    )
    atomic_write_bytes(report, text.encode("utf-8"))
    if getattr(app, "output_format", "text") == "json":
        summary = {
            "error": str(exc),
            "problems": problems,
            "unsupported": n_unsupported,
            "import_report": str(report),
        }
        emit(app, summary, [])
    return InputError(f"{exc} (all {len(problems)} listed in {rel(report)})")


def _script_file(option: Path | None, positional: Path | None) -> Path:
    """The script given as ``--file`` or (deprecated) as the positional argument."""
    if option is not None and positional is not None:
        raise click.UsageError("give the script once, as --file")
    if positional is not None:
        deprecation_note("the positional DSS_FILE", "--file DSS_FILE")
        return positional
    if option is None:
        raise click.UsageError("Missing option '--file'.")
    return option
