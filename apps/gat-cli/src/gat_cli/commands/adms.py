"""``gat adms``: reliability studies (FLISR simulation, IEEE 1366 indices, outage Monte Carlo)."""

from __future__ import annotations

import click

from gat_cli.root import LazyGroup

__all__ = ["cli"]


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "flisr-sim": (
            "gat_cli.commands.adms_flisr:cli",
            "Simulate FLISR for every fault; analytical IEEE 1366 indices.",
        ),
        "outage-mc": (
            "gat_cli.commands.adms_outage_mc:cli",
            "Sequential outage Monte Carlo over simulated years.",
        ),
        "state-estimation": (
            "gat_cli.commands.adms_se:cli",
            "AC WLS state estimation: observability, bad data, batches of snapshots.",
        ),
        "make-measurements": (
            "gat_cli.commands.adms_make_measurements:cli",
            "Measurements from the power flow: sensors, seeded noise, gross errors.",
        ),
        "reconfigure": (
            "gat_cli.commands.adms_reconfig:cli",
            "Optimal radial reconfiguration (losses, voltage, balance): MILP with AC polish.",
        ),
        "vvo-plan": (
            "gat_cli.commands.adms_vvo:cli",
            "Volt/VAR plan (taps, capacitors, DER Q) over day types, AC-verified.",
        ),
    },
)
def cli() -> None:
    """Distribution management: FLISR, reliability indices, outage Monte Carlo."""
