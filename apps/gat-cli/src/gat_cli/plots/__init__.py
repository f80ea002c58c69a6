"""Figures of GAT's outputs (``gat plot KIND``): one module per kind, matplotlib on Agg.

Every module has ``render(plot: PlotInput, **options) -> matplotlib.figure.Figure``.
Nothing here imports matplotlib at import time: ``gat --help`` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from gat_cli.plots._common import PlotInput
from gat_schemas.errors import InputError

__all__ = ["COLOR_BY", "KINDS", "PlotInput", "infer_kind", "render_plot", "save_figure"]

#: Plot kind -> one-line description (the module is ``gat_cli.plots.<kind>``).
KINDS: dict[str, str] = {
    "profile": "voltage against distance from the source (dist pf, dist opf)",
    "map": "the feeder drawn from its layout, coloured by a result (--color-by)",
    "hostcap": "hosting capacity of every node, coloured by its limiting constraint",
    "envelope": "P-Q envelopes of DER groups, AC-checked vertices marked",
    "schedule": "stacked P per asset type, state of charge and price (derms schedule)",
    "reliability": "load-point U and ENS, system indices, Monte Carlo distributions",
    "qsts": "a time series study: head power, voltage band per phase, control states",
    "vvo": "a Volt/VAR plan against the baseline: losses, voltage band, settings",
}

#: ``map --color-by`` choices.
COLOR_BY = ("auto", "voltage", "hostcap", "saidi", "loading", "none")

#: Command recorded in run.json -> the kind drawn when KIND is omitted.
_BY_COMMAND = {
    "dist pf": "profile",
    "dist opf": "profile",
    "dist hostcap": "hostcap",
    "derms envelope": "envelope",
    "derms schedule": "schedule",
    "adms flisr-sim": "reliability",
    "adms outage-mc": "reliability",
    "dist qsts": "qsts",
    "adms vvo-plan": "vvo",
}


def infer_kind(plot: PlotInput) -> str:
    """The kind to draw for the run in ``plot`` (from ``run.json``'s command).

    Raises
    ------
    InputError
        When the folder has no run.json or its command has no default plot.
    """
    if plot.out_dir is None:
        return "map"
    command = plot.command
    if not command:
        raise InputError(
            f"{plot.out_dir}: no run.json to tell which plot to draw; name the kind "
            f"(one of {', '.join(KINDS)})"
        )
    kind = _BY_COMMAND.get(command)
    if kind is None:
        raise InputError(
            f"{plot.out_dir}: 'gat {command}' has no default plot; name the kind "
            f"(one of {', '.join(KINDS)})"
        )
    return kind


def render_plot(kind: str, plot: PlotInput, **options: Any) -> Any:
    """Build the figure of ``kind`` (a key of :data:`KINDS`) for ``plot``."""
    if kind not in KINDS:
        raise InputError(f"unknown plot kind '{kind}' (one of {', '.join(KINDS)})")
    module = importlib.import_module(f"gat_cli.plots.{kind}")
    return module.render(plot, **options)


def save_figure(fig: Any, path: Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` atomically as PNG or SVG (from the suffix of ``path``)."""
    from gat_schemas.io import atomic_write

    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise InputError(f"{path}: the figure file must end in .png or .svg")
    # SVG: no timestamp or random ids in the file, so the same figure gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": "gat"}
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata))
