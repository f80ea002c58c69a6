"""``gat plot vvo``: a Volt/VAR plan against the feeder's own controls.

Reads ``vvo_periods`` (AC power flow of every period, optimised and baseline),
``vvo_settings`` (every control's setting per period) and, when present, ``vvo_summary``.
One day type (the first, or ``day_type``): losses; the lowest and highest voltage over
phases with the limits; regulator taps and capacitor states, optimised (solid) against
the baseline (dashed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gat_cli.plots._common import PlotInput, new_figure

__all__ = ["render"]

_CASE_STYLE = {"optimised": ("#1f77b4", "-"), "baseline": ("#7f7f7f", "--")}
_MAX_DEVICES = 8


def render(plot: PlotInput, **_: Any) -> Any:
    """VVO figure.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes against the hour of the day: loss (MW; stairs labelled "optimised",
        "baseline"), voltage band (pu; "optimised min", "optimised max", ...), settings of
        regulators and capacitors (one line per device and case).
    """
    _, periods = plot.table("vvo_periods", kind="vvo")
    settings = plot.optional("vvo_settings")
    summary = plot.optional("vvo_summary")
    days = list(dict.fromkeys(periods["day_type"].astype(str)))
    day = days[0]
    rows = periods[periods["day_type"].astype(str) == day]
    fig = new_figure(11.0, 8.5)
    ax_l, ax_v, ax_s = fig.subplots(3, 1, sharex=True, height_ratios=[2, 2.5, 2.5])
    v_min_cols = [c for c in ("v_min_a_pu", "v_min_b_pu", "v_min_c_pu") if c in rows]
    v_max_cols = [c for c in ("v_max_a_pu", "v_max_b_pu", "v_max_c_pu") if c in rows]
    for case, (colour, style) in _CASE_STYLE.items():
        r = rows[rows["case"] == case].sort_values("period")
        if not len(r):
            continue
        start = r["hour"].to_numpy(dtype=float)
        edges = np.r_[start, start[-1] + float(r["hours"].iloc[-1])]
        ax_l.stairs(r["loss_mw"], edges, baseline=None, color=colour, ls=style, label=case)
        low = r[v_min_cols].min(axis=1).to_numpy(dtype=float)
        high = r[v_max_cols].max(axis=1).to_numpy(dtype=float)
        ax_v.stairs(low, edges, baseline=None, color=colour, ls=style, label=f"{case} min")
        ax_v.stairs(high, edges, baseline=None, color=colour, ls=style, lw=2.0,
                    label=f"{case} max")  # fmt: skip
    ax_l.set_ylabel("Losses (MW)")
    ax_l.legend(fontsize=8)
    ax_l.grid(True, alpha=0.3)
    if plot.grid_path() is not None:
        nodes = plot.network("vvo").nodes
        free = nodes[nodes["v_min"] < nodes["v_max"]]
        lo, hi = float(free["v_min"].mode().iloc[0]), float(free["v_max"].mode().iloc[0])
        label = f"limits {lo:g} / {hi:g} pu"
        for value in (lo, hi):
            ax_v.axhline(value, color="#b22222", ls=":", lw=1.0, label=label)
            label = "_nolegend_"
    ax_v.set_ylabel("Voltage, lowest / highest over phases (pu)")
    ax_v.legend(fontsize=8, ncol=2)
    ax_v.grid(True, alpha=0.3)

    if settings is not None:
        s = settings[
            (settings["day_type"].astype(str) == day)
            & settings["kind"].isin(["regulator", "transformer", "capacitor"])
        ]
        hours = rows.drop_duplicates("period").set_index("period")
        devices = list(dict.fromkeys(s["device_id"].astype(str)))[:_MAX_DEVICES]
        for k, device in enumerate(devices):
            d = s[s["device_id"].astype(str) == device].sort_values("period")
            start = hours.loc[d["period"], "hour"].to_numpy(dtype=float)
            edges = np.r_[start, start[-1] + float(hours["hours"].iloc[-1])]
            colour = f"C{k % 10}"
            ax_s.stairs(d["setting"], edges, baseline=None, color=colour, label=device)
            ax_s.stairs(d["baseline"], edges, baseline=None, color=colour, ls="--")
        ax_s.legend(fontsize=7, ncol=4, title="solid: plan, dashed: baseline", title_fontsize=7)
    ax_s.set_ylabel("Tap (steps) / capacitor (0/1)")
    ax_s.set_xlabel("Hour of the day")
    ax_s.grid(True, alpha=0.3)
    title = f"Volt/VAR plan ({plot.label()}), day type {day}"
    if summary is not None:
        sm = summary[summary["day_type"].astype(str) == day].set_index("case")
        if {"optimised", "baseline"} <= set(sm.index):
            o, b = sm.loc["optimised"], sm.loc["baseline"]
            title += (
                f": losses {o['loss_mwh']:.3f} vs {b['loss_mwh']:.3f} MWh, "
                f"tap ops {int(o['tap_ops'])} vs {int(b['tap_ops'])}"
            )
    if len(days) > 1:
        title += f" (first of {len(days)} day types)"
    fig.suptitle(title)
    return fig
