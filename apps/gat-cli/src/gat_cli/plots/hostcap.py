"""``gat plot hostcap``: hosting capacity of every node (and phase), by limiting constraint.

Reads ``hostcap_summary`` (or, from ``gat dist hostcap --pv-shape``, ``hostcap_timeseries``:
one panel, the capacity that holds at every step). One bar per (bus, phase), buses in order
of distance from the source (when the network is at hand; table order otherwise), one panel
per load level, bars coloured by the constraint that limits them (``search_cap``: the search's upper
bound was reached, nothing broke).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gat_cli.plots._common import PlotInput, new_figure

__all__ = ["render"]

_MAX_PANELS = 4
_MAX_TICKS = 60
_PALETTE = ("#1f77b4", "#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#8c564b", "#e377c2")
_FIXED = {"search_cap": "#bbbbbb"}
_LABELS = {"search_cap": "none up to the search cap"}


def _order(plot: PlotInput, table: pd.DataFrame) -> pd.DataFrame:
    """Rows in order of the bus's distance from the source, then phase."""
    if plot.grid_path() is None:
        return table
    from gat_dist.layout import feeder_layout

    layout = feeder_layout(plot.network("hostcap")).set_index("node_id")
    dist = layout["distance_km"].reindex(table["bus_id"].astype(str)).to_numpy()
    return table.assign(_d=dist).sort_values(["_d", "bus_id", "phase"], kind="stable")


def render(plot: PlotInput, **_: Any) -> Any:
    """Hosting-capacity bar figure.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per load level (title "load x L"); each bar's height is a
        ``hosting_capacity_mw`` of that level, bars in one BarContainer per constraint.
    """
    name, table = plot.table("hostcap_summary", "hostcap_timeseries", kind="hostcap")
    series = name == "hostcap_timeseries"
    if series:
        # No load levels: the capacity holds at every step of the shape.
        table = table.assign(load_scale=np.nan)
    table = _order(plot, table)
    levels = list(dict.fromkeys(table["load_scale"].astype(float)))[:_MAX_PANELS]
    if series:
        levels = levels[:1]
    constraints = sorted(table["limiting_constraint"].astype(str).unique())
    others = [c for c in constraints if c not in _FIXED]
    colours = {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(others)} | _FIXED
    three_phase = bool((table["phase"].astype(str) != "ABC").any())
    fig = new_figure(11.0, 3.2 + 2.4 * len(levels))
    axes = fig.subplots(len(levels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, level in zip(axes, levels, strict=True):
        rows = table if series else table[table["load_scale"].astype(float) == level]
        labels = (
            rows["bus_id"].astype(str) + "." + rows["phase"].astype(str)
            if three_phase
            else rows["bus_id"].astype(str)
        ).to_numpy()
        pos = np.arange(len(rows))
        for constraint in constraints:
            mask = (rows["limiting_constraint"].astype(str) == constraint).to_numpy()
            if mask.any():
                ax.bar(
                    pos[mask],
                    rows["hosting_capacity_mw"].to_numpy(dtype=float)[mask],
                    color=colours[constraint],
                    label=_LABELS.get(constraint, constraint.replace("_", " ")),
                )
        ax.set_ylabel("Hosting capacity (MW)")
        title = "at every step of the time series" if series else f"load x {level:g}"
        ax.set_title(title, fontsize=9, loc="left")
        ax.grid(True, axis="y", alpha=0.3)
        if len(rows) <= _MAX_TICKS:
            ax.set_xticks(pos, labels, rotation=90, fontsize=7)
        else:
            ax.set_xticks([])
    axes[0].legend(title="limiting constraint", fontsize=8, title_fontsize=8, loc="best")
    axes[-1].set_xlabel(
        ("node.phase" if three_phase else "node") + ", in order of distance from the source"
    )
    name = plot.network("hostcap").name if plot.grid_path() is not None else plot.label()
    fig.suptitle(f"Hosting capacity: {name} ({len(table)} rows)")
    return fig
