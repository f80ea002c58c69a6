"""Options the ``gat adms`` commands share: the reliability inputs and FLISR's settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from gat_cli.options import TIME_LIMIT, FiniteFloat

__all__ = ["RENAMED", "flisr_options", "flisr_options_from", "reliability_inputs"]

F = TypeVar("F", bound=Callable[..., Any])
_TABLE_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: Old spellings of the FLISR settings (deprecated aliases for one release).
RENAMED = {"--ac-rounds": "--ac-corrections"}


def _apply(func: F, options: tuple[Callable[[F], F], ...]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def reliability_inputs(func: F) -> F:
    """Add ``--reliability`` and ``--switches`` (default: the network folder's tables)."""
    return _apply(
        func,
        (
            click.option(
                "--reliability",
                type=_TABLE_FILE,
                default=None,
                help="reliability table (Parquet or CSV): failure rates and mean repair times "
                "[default: the network folder's].",
            ),
            click.option(
                "--switches",
                type=_TABLE_FILE,
                default=None,
                help="switching_devices table (Parquet or CSV): protection, switches and ties "
                "[default: the network folder's].",
            ),
        ),
    )


def flisr_options(func: F) -> F:
    """Add FLISR's settings: ``--restore``, ``--load-factor``, ``--ac-corrections``,
    ``--time-limit``."""
    return _apply(
        func,
        (
            click.option(
                "--restore",
                type=click.Choice(["milp", "none"]),
                default="milp",
                show_default=True,
                help="milp: transfer load below the isolated zone through normally-open ties "
                "(switching MILP); none: isolation and upstream re-closing only.",
            ),
            click.option(
                "--load-factor",
                type=FiniteFloat(0.0, 1.0, min_open=True),
                default=1.0,
                show_default=True,
                help="Average over peak load: energy not supplied uses load_p x this factor.",
            ),
            click.option(
                "--ac-corrections",
                type=click.IntRange(0, 100),
                default=3,
                show_default=True,
                help="Re-solves of a plan whose AC check fails, with the MILP limits "
                "tightened; a plan still failing after them is not carried out.",
            ),
            click.option(
                "--time-limit",
                type=TIME_LIMIT,
                default=10.0,
                show_default=True,
                help="Time limit of each MILP solve (s).",
            ),
        ),
    )


def flisr_options_from(kw: Mapping[str, Any]) -> Any:
    """The ``gat_adms.FlisrOptions`` of the options :func:`flisr_options` added."""
    from gat_adms import FlisrOptions

    return FlisrOptions(
        restore=kw["restore"],
        load_factor=kw["load_factor"],
        ac_rounds=kw["ac_corrections"],
        time_limit_s=kw["time_limit"],
    )
