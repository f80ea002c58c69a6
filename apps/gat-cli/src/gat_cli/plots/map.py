"""``gat plot map``: the feeder drawn from its layout, coloured by a result.

Positions come from :func:`gat_dist.layout.feeder_layout` (the data's coordinates, else a
computed tree). Branches are one LineCollection (closed solid; open branches and ties
dashed), nodes one scatter (gid "nodes", one point per ``dist_nodes`` row, grey where the
quantity is unknown), so a feeder of thousands of nodes draws in well under a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gat_cli.plots._common import PlotInput, new_figure, node_min_voltage

__all__ = ["node_values", "render"]

_NODE_TABLES = ("pf3_nodes", "pf_nodes", "opf_nodes")
_BRANCH_TABLES = ("pf3_branches", "pf_branches", "opf_branches")

#: color_by -> (colour bar label, colormap).
_SCALES = {
    "voltage": ("Lowest voltage over phases (pu)", "RdYlGn"),
    "hostcap": ("Hosting capacity, lowest over phases and load levels (MW)", "viridis"),
    "saidi": ("Contribution to SAIDI (h per customer-year)", "OrRd"),
    "loading": ("Branch loading, highest over phases (% of rating)", "plasma"),
}


def _auto(plot: PlotInput) -> str:
    if plot.out_dir is None:
        return "none"
    if any(plot.has(t) for t in _NODE_TABLES):
        return "voltage"
    if plot.has("hostcap_summary") or plot.has("hostcap_timeseries"):
        return "hostcap"
    if plot.has("load_point_indices"):
        return "saidi"
    return "none"


def node_values(plot: PlotInput, color_by: str) -> pd.Series:
    """The node quantity ``color_by`` ("voltage", "hostcap", "saidi"), by node_id."""
    if color_by == "voltage":
        name, table = plot.table(*_NODE_TABLES, kind="map --color-by voltage")
        if name == "opf_nodes" and "vm_ac_pu" in table:
            table = table.assign(vm_pu=table["vm_ac_pu"])
        return node_min_voltage(table)
    if color_by == "hostcap":
        _, table = plot.table(
            "hostcap_summary", "hostcap_timeseries", kind="map --color-by hostcap"
        )
        return table.groupby(table["bus_id"].astype(str))["hosting_capacity_mw"].min()
    _, table = plot.table("load_point_indices", kind="map --color-by saidi")
    total = float(table["customers"].sum())
    # SAIDI = sum(U_i N_i) / sum(N_i): each load point's share of it.
    share = table["u_h_per_yr"] * table["customers"] / (total if total > 0 else np.nan)
    return share.groupby(table["node_id"].astype(str)).sum()


def _branch_loading(plot: PlotInput) -> pd.Series:
    _, table = plot.table(*_BRANCH_TABLES, kind="map --color-by loading")
    return table.groupby(table["branch_id"].astype(str))["loading_pct"].max()


def render(plot: PlotInput, *, color_by: str = "auto", **_: Any) -> Any:
    """Feeder map figure.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the node scatter has gid "nodes" (offsets = layout x, y in
        ``dist_nodes`` order, array = the plotted quantity, NaN where unknown).
    """
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from gat_dist.layout import feeder_layout, feeder_segments

    network = plot.network("map")
    layout = feeder_layout(network)
    segs = feeder_segments(network, layout)
    color_by = _auto(plot) if color_by == "auto" else color_by
    fig = new_figure(10.0, 7.0, layout=None)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.08, top=0.94)
    ax = fig.add_subplot()
    ends = segs[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float).reshape(-1, 2, 2)
    is_open = (segs["status"] == "open").to_numpy()
    dashed = is_open | segs["is_tie"].to_numpy()
    if color_by == "loading":
        # No explicit colours: a LineCollection given colors= ignores its array.
        loading = _branch_loading(plot).reindex(segs["branch_id"]).to_numpy(dtype=float)
        label, cmap_name = _SCALES["loading"]
        closed = LineCollection(
            ends[~dashed],
            array=np.ma.masked_invalid(loading[~dashed]),
            cmap=colormaps[cmap_name].with_extremes(bad="#bbbbbb"),
            linewidths=2.0,
            zorder=1,
            gid="branches",
        )
        fig.colorbar(closed, ax=ax, label=label, shrink=0.8)
    else:
        closed = LineCollection(
            ends[~dashed], colors="#777777", linewidths=0.9, zorder=1, gid="branches"
        )
    ax.add_collection(closed)
    if dashed.any():
        ax.add_collection(
            LineCollection(
                ends[dashed], colors="#1f77b4", linestyles="--", linewidths=1.0, zorder=1
            )
        )
    x = layout["x"].to_numpy(dtype=float)
    y = layout["y"].to_numpy(dtype=float)
    size = float(np.clip(3000.0 / max(len(layout), 1), 2.0, 30.0))
    if color_by in ("voltage", "hostcap", "saidi"):
        values = node_values(plot, color_by).reindex(layout["node_id"]).to_numpy(dtype=float)
        label, cmap_name = _SCALES[color_by]
        nodes = ax.scatter(
            x,
            y,
            c=values,
            cmap=colormaps[cmap_name].with_extremes(bad="#cccccc"),
            s=size,
            zorder=2,
            plotnonfinite=True,
            gid="nodes",
        )
        fig.colorbar(nodes, ax=ax, label=label, shrink=0.8)
    else:
        ax.scatter(x, y, color="#333333", s=size, zorder=2, gid="nodes")
    roots = (layout["parent_node"] == "").to_numpy()
    slack = network.nodes["type"].to_numpy(dtype=object) == "slack"
    ax.scatter(x[roots & slack], y[roots & slack], marker="*", s=160, color="black", zorder=3)
    handles = [
        Line2D([], [], color="#777777", label="closed branch"),
        Line2D([], [], marker="*", linestyle="", color="black", markersize=10, label="source"),
    ]
    if dashed.any():
        handles.insert(
            1, Line2D([], [], color="#1f77b4", linestyle="--", label="open branch / tie")
        )
    ax.legend(handles=handles, fontsize=8, loc="best")
    data = bool((layout["source"] == "data").any())
    if data:
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("x (source file's unit)")
        ax.set_ylabel("y (source file's unit)")
    else:
        ax.set_xlabel("branches from the source (computed layout)")
        ax.set_yticks([])
    ax.autoscale_view()
    what = {"none": "", "voltage": ", voltage", "hostcap": ", hosting capacity"}.get(
        color_by, f", {color_by if color_by != 'saidi' else 'SAIDI contribution'}"
    )
    run = f" ({plot.label()})" if plot.out_dir is not None else ""
    ax.set_title(f"Feeder {network.name}: {len(layout)} nodes{what}{run}")
    return fig
