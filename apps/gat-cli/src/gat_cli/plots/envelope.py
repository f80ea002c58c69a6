"""``gat plot envelope``: the P-Q flexibility envelope of every DER group.

Reads ``der_envelopes`` (vertices in order around each polygon) and, when present,
``der_envelope_summary`` (status, area). P and Q are the group's total injection,
generation positive (MW, Mvar). Vertices the AC power flow verified are filled circles;
vertices it did not verify are red crosses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gat_cli.plots._common import PlotInput, new_figure

__all__ = ["render"]

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def render(plot: PlotInput, **_: Any) -> Any:
    """Envelope figure.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; one filled polygon (Polygon patch, label = group id) per group, and
        its vertices as scatters with gid "verified" / "unverified".
    """
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    _, table = plot.table("der_envelopes", kind="envelope")
    summary = plot.optional("der_envelope_summary")
    fig = new_figure(8.5, 6.5)
    ax = fig.add_subplot()
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    ax.axvline(0.0, color="#999999", linewidth=0.8)
    groups = list(dict.fromkeys(table["group_id"].astype(str)))
    n_bad = 0
    for i, group in enumerate(groups):
        rows = table[table["group_id"].astype(str) == group].sort_values("vertex")
        pq = rows[["p_mw", "q_mvar"]].to_numpy(dtype=float)
        colour = _PALETTE[i % len(_PALETTE)]
        label = group
        if summary is not None:
            match = summary[summary["group_id"].astype(str) == group]
            if len(match) and np.isfinite(match["area_mva2"].iloc[0]):
                label = f"{group} ({match['area_mva2'].iloc[0]:.2f} MVA², {len(rows)} vertices)"
        if len(pq) >= 3:
            ax.add_patch(
                Polygon(pq, closed=True, facecolor=to_rgba(colour, 0.18), edgecolor=colour, lw=1.5)
            )
        ax.plot([], [], color=colour, linewidth=6, alpha=0.4, label=label)
        ok = rows["ac_verified"].to_numpy(dtype=bool)
        n_bad += int((~ok).sum())
        ax.scatter(pq[ok, 0], pq[ok, 1], color=colour, s=22, zorder=3, gid="verified")
        ax.scatter(
            pq[~ok, 0], pq[~ok, 1], color="#d62728", marker="x", s=50, zorder=4, gid="unverified"
        )
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], marker="o", linestyle="", color="#444444", label="vertex, AC-verified"),
        Line2D([], [], marker="x", linestyle="", color="#d62728", label="vertex, not verified"),
    ]
    ax.legend(handles=handles, fontsize=8, loc="best")
    ax.autoscale_view()
    ax.set_xlabel("Active power P (MW, generation positive)")
    ax.set_ylabel("Reactive power Q (Mvar, injection positive)")
    ax.grid(True, alpha=0.3)
    checked = "all vertices AC-verified" if n_bad == 0 else f"{n_bad} vertices not AC-verified"
    ax.set_title(f"DER flexibility envelopes ({plot.label()}): {len(groups)} groups, {checked}")
    return fig
