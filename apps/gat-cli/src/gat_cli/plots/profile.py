"""``gat plot profile``: node voltage against distance from the source.

Reads ``pf_nodes`` (balanced), ``pf3_nodes`` (three-phase, one series per phase) or
``opf_nodes`` (the AC-checked voltage of an OPF). Every node is joined to its parent
(towards the source) by a line segment, so each lateral is a line; scenarios of a batch
are overlaid. The voltage limits of the table are drawn as dashed lines.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gat_cli.plots._common import PHASE_COLORS, PlotInput, new_figure

__all__ = ["render"]

_TABLES = ("pf3_nodes", "pf_nodes", "opf_nodes")
_STYLES = ("-", "--", ":", "-.")
_MAX_SCENARIOS = 12


def _voltages(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Columns node_id, phase, scenario, vm_pu, v_min, v_max, where (the label of the
    magnitude: ``node.phase``, or ``node.AB`` where ``pf3_nodes`` judges the band line to line,
    at the nodes of an ungrounded three-wire section; ``vm_pu`` is then that magnitude)."""
    frame = pd.DataFrame({"node_id": table["node_id"].astype(str)})
    frame["phase"] = table["phase"].astype(str) if "phase" in table else "ABC"
    frame["where"] = frame["node_id"] + "." + frame["phase"]
    frame["scenario"] = table["scenario_id"].astype(str) if "scenario_id" in table else ""
    if name == "opf_nodes":
        vm = table["vm_ac_pu"] if "vm_ac_pu" in table else table["vm_pu"]
        frame["vm_pu"] = pd.to_numeric(vm).to_numpy(dtype=float)
        frame["v_min"] = table.get("v_min_pu", np.nan)
        frame["v_max"] = table.get("v_max_pu", np.nan)
    else:
        frame["vm_pu"] = pd.to_numeric(table["vm_pu"]).to_numpy(dtype=float)
        frame["v_min"] = table.get("v_min", np.nan)
        frame["v_max"] = table.get("v_max", np.nan)
        if "v_judged" in table and "vll_pu" in table:
            ll = (table["v_judged"].astype(str) == "ll").to_numpy()
            vll = pd.to_numeric(table["vll_pu"]).to_numpy(dtype=float)
            frame.loc[ll, "vm_pu"] = vll[ll]
            pair = table["vll_phases"].astype(str) if "vll_phases" in table else frame["phase"]
            frame.loc[ll, "where"] = frame["node_id"][ll] + "." + pair[ll] + " line to line"
    return frame


def _limit_lines(ax: Any, v: pd.DataFrame) -> None:
    # A slack node has v_min == v_max (its set point): not a planning limit.
    free = v[v["v_min"] < v["v_max"]]
    for col, word, colour in (("v_min", "lower", "#b22222"), ("v_max", "upper", "#e67e22")):
        values = pd.to_numeric(free[col]).dropna().round(4).value_counts()
        for k, (value, _) in enumerate(values.head(3).items()):
            ax.axhline(
                value,
                color=colour,
                linestyle="--",
                linewidth=1.0,
                label=f"{word} limit ({value:g} pu)" if k == 0 else None,
            )


def render(plot: PlotInput, **_: Any) -> Any:
    """Voltage profile figure of the run in ``plot``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: x = distance from the source (km), y = voltage (pu); one scatter per
        (scenario, phase) series, labelled, whose offsets are the plotted points.
    """
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection

    from gat_dist.layout import feeder_layout

    name, table = plot.table(*_TABLES, kind="profile")
    layout = feeder_layout(plot.network("profile")).set_index("node_id")
    v = _voltages(name, table)
    v = v[v["node_id"].isin(layout.index)]
    v["distance_km"] = layout.loc[v["node_id"], "distance_km"].to_numpy()
    v["parent"] = layout.loc[v["node_id"], "parent_node"].to_numpy()

    scenarios = list(dict.fromkeys(v["scenario"]))
    shown = scenarios[:_MAX_SCENARIOS]
    three_phase = name == "pf3_nodes"
    fig = new_figure()
    ax = fig.add_subplot()

    colours = colormaps["viridis"](np.linspace(0.0, 0.9, max(len(shown), 1)))
    for s_index, scenario in enumerate(shown):
        rows = v[v["scenario"] == scenario]
        for phase, series in rows.groupby("phase", sort=True):
            key = series.set_index("node_id")
            has_parent = series["parent"].isin(key.index) & (series["parent"] != "")
            child = series[has_parent]
            start_d = key.loc[child["parent"], "distance_km"].to_numpy()
            start_v = key.loc[child["parent"], "vm_pu"].to_numpy()
            segs = np.stack(
                [
                    np.column_stack([start_d, start_v]),
                    np.column_stack([child["distance_km"], child["vm_pu"]]),
                ],
                axis=1,
            )
            if three_phase:
                colour = PHASE_COLORS.get(str(phase), "#555555")
                style = _STYLES[s_index % len(_STYLES)]
                label = f"phase {phase}" + (f", {scenario}" if scenario else "")
            else:
                colour = colours[s_index] if len(shown) > 1 else PHASE_COLORS["ABC"]
                style = "-"
                label = scenario or "voltage"
            ax.add_collection(
                LineCollection(segs, colors=[colour], linestyles=style, linewidths=1.2)
            )
            ax.scatter(
                series["distance_km"], series["vm_pu"], s=10, color=colour, label=label, zorder=3
            )
    _limit_lines(ax, v[v["scenario"].isin(shown)])
    low = v[v["scenario"].isin(shown)].nsmallest(1, "vm_pu")
    if len(low):
        r = low.iloc[0]
        where = str(r["where"]) if three_phase else str(r.node_id)
        # Text on the side with room: to the right of a point in the feeder's first half.
        left = r.distance_km < 0.5 * float(np.nanmax(v["distance_km"]) or 0.0)
        ax.annotate(
            f"min {r.vm_pu:.4f} pu at {where}",
            (r.distance_km, r.vm_pu),
            xytext=(6 if left else -6, -14),
            textcoords="offset points",
            ha="left" if left else "right",
            fontsize=8,
        )
    ax.autoscale_view()
    estimated = bool(layout["distance_estimated"].any())
    ax.set_xlabel(
        "Distance from the source (km)"
        + (", estimated where lengths are missing" if estimated else "")
    )
    ax.set_ylabel("Voltage magnitude (pu)")
    what = {
        "pf3_nodes": "three-phase power flow",
        "pf_nodes": "power flow",
        "opf_nodes": "OPF, AC check",
    }[name]
    more = (
        f" (first {len(shown)} of {len(scenarios)} scenarios)"
        if len(shown) < len(scenarios)
        else ""
    )
    ax.set_title(f"Voltage profile: {plot.network('profile').name}, {what}{more}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
