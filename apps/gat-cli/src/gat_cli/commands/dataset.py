"""``gat dataset``: the reference networks GAT ships (list, describe, export)."""

from __future__ import annotations

import click

from gat_cli.root import LazyGroup

__all__ = ["cli"]


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "list": ("gat_cli.commands.dataset_cmds:list_cmd", "List the shipped datasets."),
        "describe": ("gat_cli.commands.dataset_cmds:describe_cmd", "Describe one dataset."),
        "export": (
            "gat_cli.commands.dataset_cmds:export_cmd",
            "Write a dataset as a network folder (plus its DER and reliability tables).",
        ),
    },
)
def cli() -> None:
    """Shipped reference networks: IEEE 13 and 34 node feeders, case33bw, case69."""
