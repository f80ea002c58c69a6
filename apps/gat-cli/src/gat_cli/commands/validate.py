"""``gat validate PATH``: check a network folder or one table file against the data contract."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.runner import emit, emit_violations

__all__ = ["cli"]


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@click.option(
    "--grid-file",
    "--network",
    "grid_file",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Network folder to check (the shared input option; same as giving PATH).",
)
@click.option(
    "--table",
    default=None,
    help="Table name of a single file, when its file name is not <table>.parquet or <table>.csv.",
)
@click.pass_obj
def cli(app: AppContext, path: Path | None, grid_file: Path | None, table: str | None) -> None:
    """Check PATH (a network folder, or one table file: .parquet or .csv) and print every
    violation.

    Exit 0 with a one-line summary when valid; exit 1 after listing every violation
    (table, column, row ids, what is wrong) when not. In a folder, tables edited since it
    was written are checked like the others and named in one note on stderr.
    """
    from gat_cli.network_input import changes_note
    from gat_schemas import TABLES, InputError, validate_network, validate_table
    from gat_schemas.assemble import read_table_source
    from gat_schemas.folder_read import read_network_folder
    from gat_schemas.io import table_name_for

    if (path is None) == (grid_file is None):
        raise click.UsageError("give PATH or --grid-file DIR (one of them)")
    path = path if path is not None else grid_file
    changed: list[str] = []
    note = None
    source = str(path)
    if path.is_dir():
        read = read_network_folder(path, validate=False)
        net = read.network
        note = changes_note(read)
        changed = [t.name for t in read.changed]
        source = read.source
        violations = validate_network(net)
        counts = {name: len(df) for name, df in net.tables.items()}
        what = f"network '{net.name}'"
    else:
        if path.suffix.lower() == ".csv":
            name = table or path.name[: -len(".csv")]
            if name not in TABLES:
                raise InputError(
                    f"{path}: cannot tell which table this is ('{name}' is not a known table); "
                    "name the file <table>.csv or pass --table"
                )
        else:
            name = table_name_for(path, table)
        df = read_table_source(path, name)
        violations = validate_table(name, df)
        counts = {name: len(df)}
        what = f"table {name}"
    summary = {
        "path": str(path),
        "tables": counts,
        "changed_tables": changed,
    }
    emit_violations(app, summary, violations, source)
    if note:  # after the check: a failing run keeps its one error line on stderr
        click.echo(note, err=True)
    sizes = ", ".join(f"{n} {k}" for k, n in counts.items())
    emit(app, summary, [f"{path}: {what} is valid ({sizes})"])
