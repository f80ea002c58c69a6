"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "executor_options",
    "fanout_options",
    "force_option",
    "grid_file_option",
    "out_dir_option",
]

F = TypeVar("F", bound=Callable[..., Any])

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


def fanout_options(func: F) -> F:
    """Add ``--executor``, ``--workers``, ``--scheduler`` and ``--resume`` (commands whose
    work runs as shards of ``gat_dist.fanout``); read them back with :func:`executor_options`.
    """
    for option in reversed(
        (
            click.option(
                "--executor",
                type=click.Choice(["local", "process", "dask"]),
                default="local",
                show_default=True,
                help="Where shards run.",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                default=None,
                help="Worker processes (process, local dask cluster).",
            ),
            click.option(
                "--scheduler",
                default=None,
                help="Dask scheduler address (tcp://host:8786); default: a local cluster.",
            ),
            click.option(
                "--resume",
                is_flag=True,
                help="Continue the run in OUT_DIR: redo only unfinished shards.",
            ),
        )
    ):
        func = option(func)
    return func


def executor_options(kw: Mapping[str, Any]) -> Any:
    """The ``gat_dist.fanout.ExecutorOptions`` of the options :func:`fanout_options` added."""
    from gat_dist.fanout import ExecutorOptions

    return ExecutorOptions(kind=kw["executor"], workers=kw["workers"], scheduler=kw["scheduler"])
