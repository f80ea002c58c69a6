"""``gat plot reliability``: load-point and system reliability indices.

From ``adms flisr-sim`` outputs (``load_point_indices``, ``reliability_indices``): the
annual unavailability U (h/yr) and energy not supplied (MWh/yr) of every load point, in
order of distance from the source when the network is at hand, and the IEEE 1366 system
indices. From ``adms outage-mc`` outputs (``outage_years``, ``outage_stats``): the
distributions of SAIFI, SAIDI and ENS over the simulated years, with their mean and the
analytical value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gat_cli.plots._common import PlotInput, new_figure

__all__ = ["render"]

_MAX_TICKS = 50
#: outage_years column -> (outage_stats index, axis label).
_DISTRIBUTIONS = {
    "saifi": ("SAIFI", "SAIFI (interruptions per customer-year)"),
    "saidi": ("SAIDI", "SAIDI (h per customer-year)"),
    "ens_mwh": ("ENS", "ENS (MWh per year)"),
}


def _ordered(plot: PlotInput, lp: pd.DataFrame) -> pd.DataFrame:
    if plot.grid_path() is None:
        return lp
    from gat_dist.layout import feeder_layout

    layout = feeder_layout(plot.network("reliability")).set_index("node_id")
    dist = layout["distance_km"].reindex(lp["node_id"].astype(str)).to_numpy()
    return lp.assign(_d=dist).sort_values(["_d", "node_id"], kind="stable")


def _bars(ax: Any, lp: pd.DataFrame, column: str, colour: str, ylabel: str) -> None:
    pos = np.arange(len(lp))
    ax.bar(pos, lp[column].to_numpy(dtype=float), color=colour, gid=column)
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    if len(lp) <= _MAX_TICKS:
        ax.set_xticks(pos, lp["node_id"].astype(str), rotation=90, fontsize=7)
    else:
        ax.set_xticks([])


def _index_table(ax: Any, rows: list[tuple[str, str]], title: str) -> None:
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=["index", "value"], loc="center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1.0, 1.4)
    ax.set_title(title, fontsize=10)


def render(plot: PlotInput, **_: Any) -> Any:
    """Reliability figure.

    Returns
    -------
    matplotlib.figure.Figure
        flisr-sim outputs: bars with gid "u_h_per_yr" and "ens_mwh_per_yr" (one per load
        point) and a table of system indices; outage-mc outputs: one histogram per index
        (gid = the outage_years column) with the sample mean and the analytical value.
    """
    lp = plot.optional("load_point_indices")
    years = plot.optional("outage_years")
    if lp is None and years is None:
        plot.table("load_point_indices", "outage_years", kind="reliability")  # raises
    panels = (2 if lp is not None else 0) + (len(_DISTRIBUTIONS) if years is not None else 0)
    fig = new_figure(11.0, 2.8 * (panels // 2 + 1) + 1.0)
    grid = fig.add_gridspec(panels // 2 + 1, 2)
    k = 0
    if lp is not None:
        lp = _ordered(plot, lp)
        ax_u = fig.add_subplot(grid[0, :])
        _bars(ax_u, lp, "u_h_per_yr", "#d62728", "Unavailability U (h/yr)")
        ax_u.set_title("Load points, in order of distance from the source", fontsize=10)
        ax_e = fig.add_subplot(grid[1, 0])
        _bars(ax_e, lp, "ens_mwh_per_yr", "#1f77b4", "ENS (MWh/yr)")
        indices = plot.optional("reliability_indices")
        rows: list[tuple[str, str]] = []
        if indices is not None and len(indices):
            r = indices.iloc[0]
            units = {
                "SAIFI": "/customer-yr",
                "SAIDI": "h/customer-yr",
                "CAIDI": "h",
                "ASAI": "",
                "ENS": "MWh/yr",
                "AENS": "MWh/customer-yr",
            }
            rows = [
                (f"{n} ({u})" if u else n, f"{float(r[n]):.4g}") for n, u in units.items() if n in r
            ]
            rows.append(("customers", f"{int(r['customers'])}"))
        _index_table(fig.add_subplot(grid[1, 1]), rows, "System indices (IEEE 1366)")
        k = 4
    if years is not None:
        stats = plot.optional("outage_stats")
        stats = stats.set_index("index") if stats is not None else None
        for column, (name, label) in _DISTRIBUTIONS.items():
            row, col = divmod(k, 2)
            ax = fig.add_subplot(grid[row, col])
            values = years[column].to_numpy(dtype=float)
            ax.hist(values, bins=40, color="#7f7f7f", gid=column)
            ax.axvline(values.mean(), color="black", lw=1.2, label=f"mean {values.mean():.3g}")
            if (
                stats is not None
                and name in stats.index
                and np.isfinite(stats.loc[name, "analytic"])
            ):
                a = float(stats.loc[name, "analytic"])
                ax.axvline(a, color="#d62728", ls="--", lw=1.2, label=f"analytical {a:.3g}")
            ax.set_xlabel(label)
            ax.set_ylabel("years")
            ax.legend(fontsize=8)
            k += 1
        if stats is not None and k % 2 == 1:
            rows = [
                (f"{name} ({r['unit']})", f"{r['mean']:.4g} [{r['p5']:.3g}, {r['p95']:.3g}]")
                for name, r in stats.iterrows()
            ]
            row, col = divmod(k, 2)
            _index_table(fig.add_subplot(grid[row, col]), rows, "Mean [5 %, 95 %] over the years")
    what = f"{len(lp)} load points" if lp is not None else f"{len(years)} simulated years"
    fig.suptitle(f"Reliability ({plot.label()}): {what}")
    return fig
