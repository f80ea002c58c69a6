"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["force_option", "grid_file_option", "out_dir_option"]

grid_file_option = click.option(
    "--grid-file",
    "--network",
    "grid_file",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Network folder (network.json + Parquet tables).",
)

out_dir_option = click.option(
    "-d",
    "--out-dir",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output folder (created; results and run.json are written into it).",
)

force_option = click.option(
    "--force",
    is_flag=True,
    help="Allow writing into an output folder that holds files GAT did not write.",
)
