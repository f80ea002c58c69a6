"""The plot pane: voltage profile, hosting capacity, envelopes, schedules, reliability
indices, outage Monte Carlo years and QSTS time series in braille cells (a native widget: axes, ticks and
legend drawn as text around the canvas)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from gat_cli.tui.canvas import BRAILLE_BASE, rasterise
from gat_cli.tui.geometry import Geometry

__all__ = ["SERIES_COLOURS", "BraillePlot", "PlotSpec", "Series", "plot_specs"]

SERIES_COLOURS = (
    "#4e9af1",
    "#f1a04e",
    "#6ccf6c",
    "#e05d5d",
    "#b78bf0",
    "#e0d05d",
    "#5dd6e0",
    "#f08bd0",
)
_LIMIT = Style(color="#d53e4f")
_AXIS = Style(color="#9a9a9a")


@dataclass(frozen=True)
class Series:
    """One series: ``segments`` (x0, y0, x1, y1 arrays) and/or ``points`` (x, y arrays)."""

    label: str
    points: tuple[np.ndarray, np.ndarray] | None = None
    segments: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class PlotSpec:
    """A plot: title, axis labels (with units), series and horizontal limit lines."""

    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    #: Horizontal lines (limits): (y value, label shown in the legend).
    hlines: list[tuple[float, str]] = field(default_factory=list)


def _polyline(x: np.ndarray, y: np.ndarray, *, closed: bool = False) -> tuple[np.ndarray, ...]:
    if closed and len(x):
        x, y = np.r_[x, x[:1]], np.r_[y, y[:1]]
    return x[:-1], y[:-1], x[1:], y[1:]


def _profile(tables: dict[str, pd.DataFrame], geometry: Geometry | None) -> PlotSpec | None:
    nodes = tables.get("pf3_nodes")
    if nodes is None:
        nodes = tables.get("pf_nodes")
    if nodes is None or geometry is None or not np.isfinite(geometry.distance_km).any():
        return None
    dist = pd.Series(geometry.distance_km, index=geometry.node_ids)
    branches = tables.get("dist_branches")
    phases = sorted(nodes["phase"].astype(str).unique()) if "phase" in nodes.columns else [""]
    series = []
    for ph in phases:
        sub = nodes if ph == "" else nodes[nodes["phase"].astype(str) == ph]
        # A batch of scenarios (scenario_id) shows each node's lowest voltage over them.
        vm = sub.groupby(sub["node_id"].astype(str), sort=False)["vm_pu"].min().astype(float)
        x = dist.reindex(vm.index).to_numpy(float)
        segs = None
        if branches is not None:
            f, t = branches["from_node"].astype(str), branches["to_node"].astype(str)
            ok = f.isin(vm.index) & t.isin(vm.index)
            f, t = f[ok], t[ok]
            segs = (
                dist.reindex(f).to_numpy(float),
                vm.reindex(f).to_numpy(float),
                dist.reindex(t).to_numpy(float),
                vm.reindex(t).to_numpy(float),
            )
        label = (
            f"phase {ph}"
            if ph
            else "vm (lowest over scenarios)"
            if "scenario_id" in nodes.columns
            else "vm"
        )
        series.append(Series(label, points=(x, vm.to_numpy(float)), segments=segs))
    limits = []
    for col, name in (("v_min", "v_min"), ("v_max", "v_max")):
        if col in nodes.columns and nodes[col].notna().any():
            value = float(nodes[col].median())
            limits.append((value, f"{name} {value:.4g}"))
    return PlotSpec("voltage profile", "distance from the source (km)", "vm (pu)", series, limits)


def _hostcap(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    hc = tables.get("hostcap_summary")
    if hc is None:  # `dist hostcap --pv-shape`: the capacity held at every step
        hc = tables.get("hostcap_timeseries")
    if hc is None or not len(hc):
        return None
    per_bus = hc.groupby("bus_id", sort=False)["hosting_capacity_mw"].min().sort_values()[::-1]
    x = np.arange(len(per_bus), dtype=float)
    y = per_bus.to_numpy(float)
    bars = (x, np.zeros_like(y), x, y)
    return PlotSpec(
        f"hosting capacity, {len(per_bus)} buses (highest {y.max():.3g} MW at {per_bus.index[0]})",
        "buses, highest capacity first",
        "MW",
        [Series("capacity", segments=bars)],
    )


def _envelope(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    env = tables.get("der_envelopes")
    if env is None or not len(env):
        return None
    series = []
    for group, df in env.sort_values("vertex").groupby("group_id", sort=True):
        p, q = df["p_mw"].to_numpy(float), df["q_mvar"].to_numpy(float)
        series.append(Series(str(group), points=(p, q), segments=_polyline(p, q, closed=True)))
    return PlotSpec("P-Q envelopes", "P (MW, export positive)", "Q (Mvar)", series)


def _schedule(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    sch = tables.get("schedule")
    if sch is None or not len(sch):
        return None
    t0 = pd.to_datetime(sch["timestamp"])
    hours = (t0 - t0.min()).dt.total_seconds() / 3600.0
    df = pd.DataFrame({"h": hours, "type": sch["asset_type"].astype(str), "p": sch["p_mw"]})
    series = []
    for kind, sub in df.groupby("type", sort=True):
        s = sub.groupby("h")["p"].sum().sort_index()
        x, y = s.index.to_numpy(float), s.to_numpy(float)
        series.append(Series(kind, points=(x, y), segments=_polyline(x, y)))
    return PlotSpec(
        "schedule: P per asset type",
        "hours from start (h)",
        "P (MW, injection +)",
        series,
        [(0.0, "0")],
    )


def _indices(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    lp = tables.get("load_point_indices")
    if lp is None or not len(lp):
        return None
    s = pd.Series(lp["u_h_per_yr"].to_numpy(float), index=lp["node_id"].astype(str))
    s = s.sort_values()[::-1]
    x = np.arange(len(s), dtype=float)
    y = s.to_numpy(float)
    title = "load-point unavailability U"
    ri = tables.get("reliability_indices")
    if ri is not None and len(ri):
        row = ri.iloc[0]
        title += f" (SAIFI {row['SAIFI']:.4g} /yr, SAIDI {row['SAIDI']:.4g} h/yr, ENS {row['ENS']:.4g} MWh/yr)"
    return PlotSpec(
        title,
        "load points, highest U first",
        "U (h/yr)",
        [Series("U", segments=(x, np.zeros_like(y), x, y))],
    )


def _outage_years(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    years = tables.get("outage_years")
    if years is None or not len(years):
        return None
    y = np.sort(years["saidi"].to_numpy(float))[::-1]
    x = np.arange(len(y), dtype=float)
    lines = [(float(np.mean(y)), f"mean {np.mean(y):.4g}")]
    stats = tables.get("outage_stats")
    if stats is not None and "analytic" in stats.columns:
        row = stats[stats["index"].astype(str) == "SAIDI"]
        if len(row) and np.isfinite(row["analytic"].iloc[0]):
            value = float(row["analytic"].iloc[0])
            lines.append((value, f"analytical {value:.4g}"))
    return PlotSpec(
        f"SAIDI of each of {len(y)} simulated years, highest first",
        "simulated years, highest SAIDI first",
        "SAIDI (h/customer-yr)",
        [Series("SAIDI", segments=(x, np.zeros_like(y), x, y))],
        lines,
    )


def _stairs(t_end: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each step's value held over its interval (``t_end`` stamps a step's end)."""
    t_start = np.r_[0.0, t_end[:-1]] if len(t_end) else t_end
    x0, x1 = t_start, t_end
    # The horizontal run of every step, then the vertical jump to the next one; a step
    # without a value (NaN) is a gap.
    segs = (np.r_[x0, x1[:-1]], np.r_[y, y[:-1]], np.r_[x1, x1[:-1]], np.r_[y, y[1:]])
    keep = np.isfinite(segs[1]) & np.isfinite(segs[3])
    return tuple(a[keep] for a in segs)


def _qsts_power(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    steps = tables.get("qsts_steps")
    if steps is None or not len(steps):
        return None
    t = steps["time_h"].to_numpy(float)
    ok = steps["converged"].to_numpy(bool)
    # Head power and losses come from the power flow: none where a step did not converge.
    series = [
        Series(label, segments=_stairs(t, np.where(ok | sched, steps[col].to_numpy(float), np.nan)))
        for label, col, sched in (
            ("head P", "head_p_mw", False),
            ("load", "load_p_mw", True),
            ("DER", "der_p_mw", True),
            ("losses", "losses_mw", False),
        )
    ]
    bad = int((~ok).sum())
    return PlotSpec(
        f"time series: power over {len(steps)} steps"
        + (f" ({bad} not converged: no head power or losses drawn)" if bad else ""),
        "time from the start of the study (h)",
        "P (MW)",
        series,
        [(0.0, "0")],
    )


def _qsts_voltage(tables: dict[str, pd.DataFrame]) -> PlotSpec | None:
    steps = tables.get("qsts_steps")
    if steps is None or not len(steps):
        return None
    t = steps["time_h"].to_numpy(float)
    low = steps[["v_min_a_pu", "v_min_b_pu", "v_min_c_pu"]].min(axis=1).to_numpy(float)
    high = steps[["v_max_a_pu", "v_max_b_pu", "v_max_c_pu"]].max(axis=1).to_numpy(float)
    return PlotSpec(
        f"time series: lowest and highest voltage of each of {len(steps)} steps",
        "time from the start of the study (h)",
        "vm (pu)",
        [
            Series("highest", segments=_stairs(t, high)),
            Series("lowest", segments=_stairs(t, low)),
        ],
    )


def plot_specs(tables: dict[str, pd.DataFrame], geometry: Geometry | None) -> dict[str, PlotSpec]:
    """The plots the opened folder can show, by name (empty when it holds no results)."""
    found = {
        "profile": _profile(tables, geometry),
        "hosting capacity": _hostcap(tables),
        "envelope": _envelope(tables),
        "schedule": _schedule(tables),
        "indices": _indices(tables),
        "outage years": _outage_years(tables),
        "time series power": _qsts_power(tables),
        "time series voltage": _qsts_voltage(tables),
    }
    return {k: v for k, v in found.items() if v is not None}


def _ticks(lo: float, hi: float) -> tuple[float, float]:
    if not np.isfinite(lo) or not np.isfinite(hi):
        return 0.0, 1.0
    if hi <= lo:
        pad = abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


class BraillePlot(Widget):
    """Draws a :class:`PlotSpec`: title, legend, y ticks on the left, x ticks below."""

    DEFAULT_CSS = "BraillePlot { width: 1fr; height: 1fr; }"
    LEFT = 9

    def __init__(self, spec: PlotSpec | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self._lines: list[Strip] | None = None
        self._built_for: tuple[int, int] | None = None

    def show(self, spec: PlotSpec | None) -> None:
        """Draw ``spec`` (``None`` clears the pane)."""
        self.spec = spec
        self._lines = None
        self.refresh()

    def _build(self, width: int, height: int) -> list[Strip]:
        spec = self.spec
        blank = Strip([Segment(" " * width)], width)
        if spec is None:
            return [
                Strip(
                    [
                        Segment(
                            " no plot for this folder (open an output folder)".ljust(width)[:width]
                        )
                    ],
                    width,
                )
            ] + [blank] * (height - 1)
        title = Strip([Segment(spec.title.ljust(width)[:width], Style(bold=True))], width)
        legend: list[Segment] = []
        for i, s in enumerate(spec.series[: len(SERIES_COLOURS)]):
            legend.append(Segment("━━ ", Style(color=SERIES_COLOURS[i])))
            legend.append(Segment(f"{s.label}  "))
        for _, name in spec.hlines:
            legend.append(Segment(f"┈┈ {name}  ", _LIMIT))
        legend_strip = Strip(legend).crop(0, width).extend_cell_length(width)
        cw, ch = width - self.LEFT, height - 5
        if cw < 4 or ch < 2:
            return [title, legend_strip] + [blank] * max(height - 2, 0)
        xs, ys = [], []
        for s in spec.series:
            for arrs in (s.points, s.segments):
                if arrs is not None:
                    xs += [np.asarray(a, float) for a in arrs[0::2]]
                    ys += [np.asarray(a, float) for a in arrs[1::2]]
        ys += [np.array([v for v, _ in spec.hlines])]
        xa, ya = np.concatenate(xs) if xs else np.zeros(1), np.concatenate(ys)
        xa, ya = xa[np.isfinite(xa)], ya[np.isfinite(ya)]
        x0, x1 = _ticks(xa.min() if xa.size else 0.0, xa.max() if xa.size else 1.0)
        y0, y1 = _ticks(ya.min() if ya.size else 0.0, ya.max() if ya.size else 1.0)

        def to_dots(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            dx = (np.asarray(x, float) - x0) / (x1 - x0) * (2 * cw - 1)
            dy = (y1 - np.asarray(y, float)) / (y1 - y0) * (4 * ch - 1)
            return dx, dy

        seg_parts: list[list[np.ndarray]] = [[], [], [], [], []]
        pt_parts: list[list[np.ndarray]] = [[], [], []]
        for i, s in enumerate(spec.series):
            cls = 2 + (i % len(SERIES_COLOURS))
            if s.segments is not None:
                a, b = to_dots(s.segments[0], s.segments[1])
                c, d = to_dots(s.segments[2], s.segments[3])
                for part, arr in zip(seg_parts, (a, b, c, d, np.full(a.size, cls)), strict=True):
                    part.append(arr)
            if s.points is not None:
                a, b = to_dots(*s.points)
                for part, arr in zip(pt_parts, (a, b, np.full(a.size, cls)), strict=True):
                    part.append(arr)
        for value, _ in spec.hlines:
            a, b = to_dots(np.array([x0, x1]), np.array([value, value]))
            for part, arr in zip(
                seg_parts, (a[:1], b[:1], a[1:], b[1:], np.array([1])), strict=True
            ):
                part.append(arr)
        raster = rasterise(
            cw,
            ch,
            segments=tuple(np.concatenate(p) for p in seg_parts[:4]) if seg_parts[0] else None,
            segment_colour=np.concatenate(seg_parts[4]) if seg_parts[0] else None,
            points=(np.concatenate(pt_parts[0]), np.concatenate(pt_parts[1]))
            if pt_parts[0]
            else None,
            point_colour=np.concatenate(pt_parts[2]) if pt_parts[0] else None,
        )
        styles = [Style(), _LIMIT] + [Style(color=c) for c in SERIES_COLOURS]
        lines = [title, legend_strip]
        tick_rows = {0: y1, ch // 2: (y0 + y1) / 2, ch - 1: y0}
        for row in range(ch):
            label = (
                f"{tick_rows[row]:>{self.LEFT - 2}.4g} ┤"
                if row in tick_rows
                else " " * (self.LEFT - 1) + "│"
            )
            segs = [Segment(label[: self.LEFT], _AXIS)]
            mask, colour = raster.mask[row], raster.colour[row]
            start = 0
            while start < cw:
                end = start + 1
                while end < cw and colour[end] == colour[start]:
                    end += 1
                text = "".join(chr(BRAILLE_BASE + int(m)) if m else " " for m in mask[start:end])
                segs.append(Segment(text, styles[min(int(colour[start]), len(styles) - 1)]))
                start = end
            lines.append(Strip(segs, width))
        axis = " " * (self.LEFT - 1) + "└" + "─" * cw
        lines.append(Strip([Segment(axis[:width], _AXIS)], width))
        left, mid, right = f"{x0:.4g}", f"{(x0 + x1) / 2:.4g}", f"{x1:.4g}"
        ticks = [" "] * cw
        for pos, txt in ((0, left), ((cw - len(mid)) // 2, mid), (cw - len(right), right)):
            ticks[max(pos, 0) : max(pos, 0) + len(txt)] = list(txt)
        xt = " " * self.LEFT + "".join(ticks)[:cw]
        xl = f"{spec.xlabel}   (y: {spec.ylabel})".center(width)[:width]
        lines.append(Strip([Segment(xt.ljust(width)[:width], _AXIS)], width))
        lines.append(Strip([Segment(xl)], width))
        return (lines + [blank] * height)[:height]

    def render_line(self, y: int) -> Strip:
        size = (self.size.width, self.size.height)
        if self._lines is None or self._built_for != size:
            self._lines = self._build(*size) if size[0] > 0 and size[1] > 0 else []
            self._built_for = size
        return self._lines[y] if y < len(self._lines) else Strip.blank(size[0])
