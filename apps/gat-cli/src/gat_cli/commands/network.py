"""``gat network``: build a network folder from table files, and change its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gat_cli.commands.network_edit import add_row_cmd, set_cmd
from gat_cli.context import AppContext
from gat_cli.options import force_option, out_dir_option
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: Option name -> table, for the tables ``build`` takes by name.
_TABLE_OPTIONS = {
    "nodes": "dist_nodes",
    "branches": "dist_branches",
    "caps": "dist_caps",
    "assets": "der_assets",
    "reliability": "reliability",
    "switches": "switching_devices",
}


@click.group()
def cli() -> None:
    """Build a network folder from CSV or Parquet tables, and change its tables."""


cli.add_command(set_cmd)
cli.add_command(add_row_cmd)


def _parse_tables(values: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        for item in value.split(","):
            name, sep, file = item.partition("=")
            if not sep or not name.strip() or not file.strip():
                raise click.BadParameter(f"expected NAME=FILE, got {item!r}", param_hint="--table")
            path = Path(file.strip())
            if not path.is_file():
                raise click.BadParameter(f"{path}: file not found", param_hint="--table")
            out[name.strip()] = path
    return out


@cli.command("build")
@click.option("--nodes", type=_FILE, required=True, help="dist_nodes table (.csv or .parquet).")
@click.option(
    "--branches", type=_FILE, required=True, help="dist_branches table (.csv or .parquet)."
)
@click.option("--assets", type=_FILE, default=None, help="der_assets table (DER).")
@click.option("--reliability", type=_FILE, default=None, help="reliability table.")
@click.option("--switches", type=_FILE, default=None, help="switching_devices table.")
@click.option("--caps", type=_FILE, default=None, help="dist_caps table (capacitors).")
@click.option(
    "--table",
    "tables",
    multiple=True,
    metavar="NAME=FILE",
    help="Any other network table, e.g. dist_switches=sw.csv (repeat, or separate by commas).",
)
@click.option(
    "--base-mva",
    type=float,
    required=True,
    help="System power base (MVA) of the per-unit branch r, x, b.",
)
@click.option(
    "--frequency-hz", type=float, default=60.0, show_default=True, help="System frequency (Hz)."
)
@click.option("--name", default=None, help="Network name [default: the output folder's name].")
@out_dir_option
@force_option
@click.pass_obj
def build_cmd(app: AppContext, **kw: Any) -> None:
    """Build the network folder OUT_DIR from table files and validate it.

    Every violation of every table is listed at once (file, table, column, row ids); the
    folder is written only when the network is valid. CSV text columns (ids) are read as
    text; empty cells are missing values.
    """
    from gat_schemas import NETWORK_TABLES, InputError, ValidationError, write_network
    from gat_schemas.assemble import assemble_network
    from gat_schemas.validation import validate_network

    out_dir: Path = kw["out_dir"]
    files = {t: kw[o] for o, t in _TABLE_OPTIONS.items() if kw[o] is not None}
    for name, path in _parse_tables(kw["tables"]).items():
        if name in files:
            raise click.UsageError(f"table {name} given twice")
        files[name] = path
    name = kw["name"] or out_dir.resolve().name
    params = {
        "tables": {t: str(p) for t, p in files.items()},
        "base_mva": kw["base_mva"],
        "frequency_hz": kw["frequency_hz"],
        "name": name,
        "out_dir": str(out_dir),
        "force": kw["force"],
    }
    with command_run(
        app,
        out_dir=out_dir,
        command="network build",
        params=params,
        inputs=list(files.values()),
        force=kw["force"],
        writes="network",
    ) as run:
        net = assemble_network(
            files,
            name=name,
            base_mva=kw["base_mva"],
            frequency_hz=kw["frequency_hz"],
            validate=False,
        )
        violations = validate_network(net)
        if violations:
            lines = [f"{files[v.table]}: {v}" if v.table in files else str(v) for v in violations]
            records = [{"file": str(files.get(v.table, "")), **_asdict(v)} for v in violations]
            emit(app, {"valid": False, "violations": records}, lines)
            raise ValidationError(violations, source=", ".join(str(p) for p in files.values()))
        stale = [
            n for n in NETWORK_TABLES if n not in net.tables and (out_dir / f"{n}.parquet").exists()
        ]
        if stale:
            raise InputError(
                f"{out_dir}: holds tables the new network does not have ({', '.join(stale)}); "
                "choose an empty folder"
            )
        meta = write_network(net, run.staging_dir)
    counts = {t: e["rows"] for t, e in meta["tables"].items()}
    summary = {"network": name, "out_dir": str(out_dir), "base_mva": net.base_mva, "tables": counts}
    sizes = ", ".join(f"{t} {n}" for t, n in counts.items())
    emit(
        app,
        summary,
        [
            f"built {name}: {sizes}; base {net.base_mva:g} MVA; valid",
            f"written to {rel(out_dir)}/ (network.json, {', '.join(counts)}, run.json)",
        ],
    )


def _asdict(v: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(v)
