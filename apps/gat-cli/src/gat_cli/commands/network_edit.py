"""``gat network set`` and ``gat network add-row``: change a network folder's tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.network_input import read_grid_file
from gat_cli.options import force_option, grid_file_option
from gat_cli.runner import command_run, emit, rel

__all__ = ["add_row_cmd", "set_cmd"]

_out_dir_option = click.option(
    "-d",
    "--out-dir",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the changed network to this folder (with run.json) instead of changing "
    "--grid-file in place.",
)
_table_option = click.option(
    "--table", required=True, help="Table to change (dist_nodes, der_assets ...)."
)


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        for item in value.split(","):
            key, sep, val = item.partition("=")
            if not sep or not key.strip():
                raise click.BadParameter(f"expected COLUMN=VALUE, got {item!r}", param_hint=option)
            out.append((key.strip(), val.strip()))
    return out


def _where(values: tuple[str, ...]) -> dict[str, list[str]]:
    # --where node_id=18,19 --where feeder_id=f1: a bare item after a comma continues the
    # value list of the column before it.
    out: dict[str, list[str]] = {}
    for value in values:
        column: str | None = None
        for item in value.split(","):
            key, sep, val = item.partition("=")
            if sep:
                column = key.strip()
                if not column:
                    raise click.BadParameter(f"empty column in {value!r}", param_hint="--where")
                out.setdefault(column, []).append(val.strip())
            elif column is None:
                raise click.BadParameter(
                    f"expected COLUMN=VALUE[,VALUE...], got {value!r}", param_hint="--where"
                )
            else:
                out[column].append(item.strip())
    return out


@contextmanager
def _in_place_lock(grid_file: Path, out_dir: Path | None, command: str) -> Iterator[None]:
    """Hold --grid-file's folder lock from the read to the write of an in-place edit, so
    two edits (or an edit and a run writing there) never interleave; a -d edit is locked
    by its own run instead."""
    if out_dir is not None and out_dir.resolve() != grid_file.resolve():
        yield
        return
    import uuid

    from gat_schemas.lock import acquire

    lock = acquire(grid_file, command=command, run_id=uuid.uuid4().hex)
    if lock.note:
        click.echo(f"gat: note: {lock.note}", err=True)
    try:
        yield
    finally:
        lock.release()


def _write(app: AppContext, net: Any, grid_file: Path, out_dir: Path | None, **run: Any) -> str:
    """Write ``net`` in place (atomically, keeping other files) or into ``out_dir``."""
    from gat_schemas import write_network
    from gat_schemas.edit import write_network_in_place
    from gat_schemas.validation import assert_valid

    if out_dir is None or out_dir.resolve() == grid_file.resolve():
        assert_valid(net, source=str(grid_file))
        write_network_in_place(net, grid_file)
        return f"{rel(grid_file)}/ (in place)"
    with command_run(app, out_dir=out_dir, inputs=[grid_file], writes="network", **run) as manifest:
        assert_valid(net, source=str(out_dir))
        write_network(net, manifest.staging_dir)
    return f"{rel(out_dir)}/ (network.json, tables, run.json)"


@click.command("set")
@grid_file_option
@_table_option
@click.option("--column", required=True, help="Column to change.")
@click.option("--scale", type=float, default=None, help="Multiply the column by this factor.")
@click.option(
    "--value",
    default=None,
    help="Set the column to this value (text, number or true/false; empty for missing).",
)
@click.option(
    "--where",
    multiple=True,
    metavar="COLUMN=VALUE[,VALUE...]",
    help="Change only the rows whose COLUMN is one of the values (repeat to combine "
    "columns) [default: every row].",
)
@_out_dir_option
@force_option
@click.pass_obj
def set_cmd(
    app: AppContext,
    grid_file: Path,
    table: str,
    column: str,
    scale: float | None,
    value: str | None,
    where: tuple[str, ...],
    out_dir: Path | None,
    force: bool,
) -> None:
    """Scale or set one column of a table of the network in --grid-file.

    The changed network is validated, then written back into --grid-file atomically
    (other files in the folder are kept) or, with -d, into a new folder.
    """
    from gat_schemas.edit import edit_column

    if (scale is None) == (value is None):
        raise click.UsageError("give exactly one of --scale and --value")
    rows = _where(where)
    with _in_place_lock(grid_file, out_dir, "network set"):
        net = read_grid_file(grid_file)
        edit = edit_column(net, table, column, scale=scale, value=value, where=rows)
        params = {
            "grid_file": str(grid_file),
            "table": table,
            "column": column,
            "scale": scale,
            "value": value,
            "where": rows,
            "out_dir": None if out_dir is None else str(out_dir),
            "force": force,
        }
        where_to = _write(
            app, edit.network, grid_file, out_dir, command="network set", params=params, force=force
        )
    how = f"scaled by {scale:g}" if scale is not None else f"set to {value!r}"
    totals = (
        f" (sum {edit.before_sum:.6g} -> {edit.after_sum:.6g})"
        if edit.before_sum is not None and edit.after_sum is not None
        else ""
    )
    summary = {
        "network": net.name,
        "table": table,
        "column": column,
        "rows": edit.rows,
        "before_sum": edit.before_sum,
        "after_sum": edit.after_sum,
        "written_to": where_to,
    }
    emit(
        app,
        summary,
        [f"{table}.{column}: {edit.rows} row(s) {how}{totals}; written to {where_to}"],
    )


@click.command("add-row")
@grid_file_option
@_table_option
@click.option(
    "--values",
    "rows",
    multiple=True,
    required=True,
    metavar="COLUMN=VALUE,...",
    help="One new row as COLUMN=VALUE pairs separated by commas (values cannot hold "
    "commas); repeat to add several rows.",
)
@_out_dir_option
@force_option
@click.pass_obj
def add_row_cmd(
    app: AppContext,
    grid_file: Path,
    table: str,
    rows: tuple[str, ...],
    out_dir: Path | None,
    force: bool,
) -> None:
    """Append rows to a table of the network in --grid-file (e.g. a DER to der_assets).

    Columns a row leaves out are missing values (validation names the required ones). The
    changed network is validated, then written back into --grid-file atomically (other
    files in the folder are kept) or, with -d, into a new folder.
    """
    from gat_schemas.edit import add_rows

    records = [dict(_pairs((r,), "--values")) for r in rows]
    with _in_place_lock(grid_file, out_dir, "network add-row"):
        net = read_grid_file(grid_file)
        before = 0 if net.table(table) is None else len(net.tables[table])
        changed = add_rows(net, table, records)
        params = {
            "grid_file": str(grid_file),
            "table": table,
            "values": list(rows),
            "out_dir": None if out_dir is None else str(out_dir),
            "force": force,
        }
        where_to = _write(
            app, changed, grid_file, out_dir, command="network add-row", params=params, force=force
        )
    after = len(changed.tables[table])
    emit(
        app,
        {"network": net.name, "table": table, "rows_before": before, "rows_after": after},
        [f"{table}: {after - before} row(s) added ({before} -> {after}); written to {where_to}"],
    )
