"""``gat dist``: distribution networks (import, power flow)."""

from __future__ import annotations

import click

from gat_cli.root import LazyGroup

__all__ = ["cli"]


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "import": ("gat_cli.commands.dist_import:cli", "Import a network from another format."),
        "pf": ("gat_cli.commands.dist_pf:cli", "AC (or DC) power flow, one case or a batch."),
        "opf": (
            "gat_cli.commands.dist_opf:cli",
            "Optimal power flow (Pyomo + HiGHS), AC-verified.",
        ),
        "hostcap": ("gat_cli.commands.dist_hostcap:cli", "Hosting capacity of every node (AC)."),
        "qsts": (
            "gat_cli.commands.dist_qsts:cli",
            "Quasi-static time series (daily, yearly) with controls.",
        ),
    },
)
def cli() -> None:
    """Distribution networks: import, power flow."""
