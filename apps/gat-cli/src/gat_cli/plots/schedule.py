"""``gat plot schedule``: a DER schedule over time.

Reads ``schedule`` (per asset and period) and, when present, ``schedule_network`` (price
and feeder-head import per period). Three panels sharing the time axis: P per asset type
stacked (generation positive above zero, consumption and charging below) with the
feeder-head import; the state of charge of every storage asset (batteries, EVs); the price.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gat_cli.plots._common import PlotInput, new_figure

__all__ = ["render"]

_TYPE_COLORS = {
    "pv": "#f2b701",
    "wind": "#3969ac",
    "battery": "#7f3c8d",
    "ev": "#11a579",
    "flex_load": "#e73f74",
    "genset": "#80ba5a",
}
_MAX_SOC_LINES = 10


def _stack(ax: Any, t: np.ndarray, by_type: pd.DataFrame) -> None:
    """Positive parts stacked up from zero, negative parts stacked down (step plots)."""
    up = np.zeros(len(t))
    down = np.zeros(len(t))
    for kind in by_type.columns:
        p = by_type[kind].to_numpy(dtype=float)
        colour = _TYPE_COLORS.get(str(kind), "#888888")
        pos, neg = np.clip(p, 0.0, None), np.clip(p, None, 0.0)
        ax.fill_between(
            t, up, up + pos, step="post", color=colour, alpha=0.85, lw=0, label=str(kind)
        )
        ax.fill_between(t, down, down + neg, step="post", color=colour, alpha=0.85, lw=0)
        up += pos
        down += neg


def render(plot: PlotInput, **_: Any) -> Any:
    """Schedule figure.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes (P stacked by asset type in MW; state of charge in MWh, one line per
        storage asset labelled by asset id; price in currency/MWh).
    """
    _, table = plot.table("schedule", kind="schedule")
    network = plot.optional("schedule_network")
    table = table.assign(timestamp=pd.to_datetime(table["timestamp"]))
    by_type = table.pivot_table(
        index="timestamp", columns="asset_type", values="p_mw", aggfunc="sum"
    ).fillna(0.0)
    t = by_type.index.to_numpy()
    fig = new_figure(11.0, 8.5)
    ax_p, ax_soc, ax_price = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 1.4])
    _stack(ax_p, t, by_type)
    if network is not None and "head_p_mw" in network:
        ts = pd.to_datetime(network["timestamp"]).to_numpy()
        ax_p.step(
            ts,
            network["head_p_mw"],
            where="post",
            color="black",
            lw=1.3,
            label="feeder-head import",
        )
    ax_p.axhline(0.0, color="#555555", lw=0.8)
    ax_p.set_ylabel("P (MW, generation +)")
    ax_p.legend(fontsize=8, ncol=3, loc="best")
    ax_p.grid(True, alpha=0.3)

    soc = table[table["soc_mwh"].notna()]
    assets = list(dict.fromkeys(soc["asset_id"].astype(str)))[:_MAX_SOC_LINES]
    for asset in assets:
        rows = soc[soc["asset_id"].astype(str) == asset]
        kind = str(rows["asset_type"].iloc[0])
        ax_soc.step(rows["timestamp"], rows["soc_mwh"], where="post", label=f"{asset} ({kind})")
    ax_soc.set_ylabel("State of charge (MWh)")
    if assets:
        ax_soc.legend(fontsize=7, ncol=3, loc="best")
    else:
        ax_soc.text(
            0.5,
            0.5,
            "no storage in the schedule",
            transform=ax_soc.transAxes,
            ha="center",
            va="center",
        )
    ax_soc.grid(True, alpha=0.3)

    if network is not None and "price" in network:
        ts = pd.to_datetime(network["timestamp"]).to_numpy()
        ax_price.step(ts, network["price"], where="post", color="#444444")
    else:
        ax_price.text(
            0.5,
            0.5,
            "no price in the outputs",
            transform=ax_price.transAxes,
            ha="center",
            va="center",
        )
    ax_price.set_ylabel("Price (per MWh)")
    ax_price.set_xlabel("Time (local time of the schedule)")
    ax_price.grid(True, alpha=0.3)
    step = pd.Series(t).diff().median() if len(t) > 1 else None
    every = f" of {int(step / pd.Timedelta(minutes=1))} min" if step is not None else ""
    fig.suptitle(
        f"DER schedule ({plot.label()}): {table['asset_id'].nunique()} assets, {len(t)} periods{every}"
    )
    fig.autofmt_xdate()
    return fig
