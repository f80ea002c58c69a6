"""``gat validate PATH``: check a network folder or one table file against the data contract."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.runner import emit, emit_violations

__all__ = ["cli"]


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--table",
    default=None,
    help="Table name of a single file, when its file name is not <table>.parquet.",
)
@click.pass_obj
def cli(app: AppContext, path: Path, table: str | None) -> None:
    """Check PATH (a network folder or one table file) and print every violation.

    Exit 0 with a one-line summary when valid; exit 1 after listing every violation
    (table, column, row ids, what is wrong) when not.
    """
    from gat_schemas import (
        read_network,
        read_parquet,
        validate_network,
        validate_table,
    )
    from gat_schemas.io import table_name_for

    if path.is_dir():
        net = read_network(path, validate=False)
        violations = validate_network(net)
        counts = {name: len(df) for name, df in net.tables.items()}
        what = f"network '{net.name}'"
    else:
        name = table_name_for(path, table)
        df = read_parquet(path)
        violations = validate_table(name, df)
        counts = {name: len(df)}
        what = f"table {name}"
    summary = {
        "path": str(path),
        "tables": counts,
    }
    emit_violations(app, summary, violations, str(path))
    sizes = ", ".join(f"{n} {k}" for k, n in counts.items())
    emit(app, summary, [f"{path}: {what} is valid ({sizes})"])
