"""``gat plot qsts``: a quasi-static time series over its steps.

Reads ``qsts_steps`` (one row per step), and when present ``qsts_controls`` (state of every
regulator and capacitor per step) and ``qsts_meters`` (energies for the title). Three
panels sharing the time axis: feeder-head P and Q, load, DER and losses; the lowest and
highest voltage of each phase with the network's limits; the control states.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gat_cli.plots._common import PHASE_COLORS, PlotInput, new_figure

__all__ = ["render"]

_MAX_DEVICES = 12
#: Columns that come from the solved power flow (not from the schedule of loads and DERs).
_SOLVED = ("head_p_mw", "head_q_mvar", "losses_mw")


def _limits(plot: PlotInput) -> tuple[float, float] | None:
    """The most common non-slack v_min, v_max of the network (pu), when it is at hand."""
    if plot.grid_path() is None:
        return None
    nodes = plot.network("qsts").nodes
    free = nodes[nodes["v_min"] < nodes["v_max"]]
    if not len(free):
        return None
    return float(free["v_min"].mode().iloc[0]), float(free["v_max"].mode().iloc[0])


def render(plot: PlotInput, **_: Any) -> Any:
    """QSTS figure.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes: powers (MW, Mvar; lines labelled "head P", "head Q", "load", "DER",
        "losses"), voltages (pu; "min A", "max A", ...), control states (one step line per
        device, labelled by device id).
    """
    _, steps = plot.table("qsts_steps", kind="qsts")
    controls = plot.optional("qsts_controls")
    meters = plot.optional("qsts_meters")
    # time_h stamps the end of each step (OpenDSS's convention): each value is drawn over
    # its interval [end - step, end].
    t = steps["time_h"].to_numpy(dtype=float)
    step_h = float(np.median(np.diff(t))) if len(t) > 1 else (float(t[0]) if len(t) else 1.0)
    edges = np.r_[t[0] - step_h, t] if len(t) else np.zeros(1)
    fig = new_figure(11.0, 8.5)
    ax_p, ax_v, ax_c = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2.5, 2])
    series = (
        ("head_p_mw", "head P", "black", "-"),
        ("head_q_mvar", "head Q (Mvar)", "#555555", "--"),
        ("load_p_mw", "load", "#1f77b4", "-"),
        ("der_p_mw", "DER", "#f2b701", "-"),
        ("losses_mw", "losses", "#d62728", "-"),
    )
    ok = steps["converged"].to_numpy(dtype=bool) if "converged" in steps else np.ones(len(t), bool)
    for column, label, colour, style in series:
        if column in steps:
            values = steps[column].to_numpy(dtype=float)
            if column in _SOLVED:  # a step that did not converge has no solved flow: a gap
                values = np.where(ok, values, np.nan)
            ax_p.stairs(values, edges, baseline=None, color=colour, ls=style, label=label)
    if not ok.all():
        # Marked in the middle of each step's interval.
        middle = t[~ok] - 0.5 * (edges[1:] - edges[:-1])[~ok]
        ax_p.plot(middle, np.zeros(len(middle)), "rx", label="not converged (no flow drawn)")
    ax_p.axhline(0.0, color="#999999", lw=0.8)
    ax_p.set_ylabel("Power (MW; Q in Mvar)")
    ax_p.legend(fontsize=8, ncol=5, loc="best")
    ax_p.grid(True, alpha=0.3)

    for phase in ("a", "b", "c"):
        colour = PHASE_COLORS[phase.upper()]
        for bound, style in (("min", "-"), ("max", "--")):
            column = f"v_{bound}_{phase}_pu"
            if column in steps and steps[column].notna().any():
                ax_v.stairs(
                    steps[column], edges, baseline=None, color=colour, ls=style,
                    label=f"{bound} {phase.upper()}",
                )  # fmt: skip
    limits = _limits(plot)
    if limits is not None:
        label = f"limits {limits[0]:g} / {limits[1]:g} pu"
        for value in limits:
            ax_v.axhline(value, color="#b22222", ls=":", lw=1.0, label=label)
            label = "_nolegend_"
    ax_v.set_ylabel("Voltage (pu)")
    ax_v.legend(fontsize=8, ncol=6, loc="best")
    ax_v.grid(True, alpha=0.3)

    if controls is not None and len(controls):
        devices = list(dict.fromkeys(controls["device_id"].astype(str)))[:_MAX_DEVICES]
        for device in devices:
            rows = controls[controls["device_id"].astype(str) == device].sort_values("step")
            kind = str(rows["device_kind"].iloc[0])
            state = np.full(len(t), np.nan)
            state[rows["step"].to_numpy(dtype=int)] = rows["state"].to_numpy(dtype=float)
            ax_c.stairs(state, edges, baseline=None, label=f"{device} ({kind})")
        ax_c.legend(fontsize=7, ncol=4, loc="best")
    else:
        ax_c.text(0.5, 0.5, "no controls", transform=ax_c.transAxes, ha="center", va="center")
    ax_c.set_ylabel("Tap (steps) / capacitor (0/1)")
    ax_c.set_xlabel("Time (h from the start of the study)")
    ax_c.grid(True, alpha=0.3)
    title = f"QSTS ({plot.label()}): {len(steps)} steps"
    if meters is not None and len(meters):
        m = meters.iloc[0]
        title += (
            f"; energy {m['energy_mwh']:.3f} MWh, losses {m['losses_mwh']:.3f} MWh "
            f"({m['losses_pct']:.2f} %), DER {m['der_mwh']:.3f} MWh"
        )
    bad = int((~steps["converged"].astype(bool)).sum()) if "converged" in steps else 0
    if bad:
        title += f"; {bad} steps not converged"
    fig.suptitle(title)
    return fig
