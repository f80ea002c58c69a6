"""The feeder view: the layout drawn in braille cells, coloured by a node quantity."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from gat_cli.tui.canvas import BRAILLE_BASE, Raster, fit_transform, rasterise
from gat_cli.tui.data import Quantity
from gat_cli.tui.geometry import Geometry

__all__ = ["GRADIENT", "FeederView", "colour_classes", "legend_text"]

#: Colours from good to bad (a diverging blue-green-yellow-red scale).
GRADIENT = ("#3288bd", "#66c2a5", "#abdda4", "#e6f598", "#fee08b", "#fdae61", "#f46d43", "#d53e4f")
#: Colour of nodes and branches without a value.
NO_VALUE = "#8a8a8a"
#: Colour class 1 is "no value"; classes 2.. follow GRADIENT.
_STYLES = [Style(), Style(color=NO_VALUE)] + [Style(color=c) for c in GRADIENT]
_SELECTED = Style(color="black", bgcolor="#ffd700", bold=True)


def colour_classes(values: np.ndarray, worst: str) -> np.ndarray:
    """Colour class per value: 1 where NaN, else 2 + the GRADIENT index (worse = higher).

    The scale spans the values' own range; ``worst`` is ``"low"`` or ``"high"``.
    """
    v = np.asarray(values, float)
    out = np.ones(v.shape, np.int64)
    ok = np.isfinite(v)
    if not ok.any():
        return out
    lo, hi = float(v[ok].min()), float(v[ok].max())
    bad = (v[ok] - lo) / (hi - lo) if hi > lo else np.zeros(ok.sum())
    if worst == "low":
        bad = 1.0 - bad if hi > lo else bad
    out[ok] = 2 + np.minimum((bad * len(GRADIENT)).astype(np.int64), len(GRADIENT) - 1)
    return out


def legend_text(quantity: Quantity | None) -> Text:
    """A one-line legend: the quantity, its range and the colour scale."""
    if quantity is None:
        return Text("no results to colour by: open an output folder or run a command (ctrl+p)")
    v = quantity.values.to_numpy(float)
    v = v[np.isfinite(v)]
    text = Text(f"{quantity.name}  ")
    if not v.size:
        return text + Text("no values")
    lo, hi = float(v.min()), float(v.max())
    first, last = (hi, lo) if quantity.worst == "low" else (lo, hi)
    text.append(f"{first:.4g} ")
    for colour in GRADIENT:
        text.append("█", Style(color=colour))
    text.append(f" {last:.4g}  ")
    text.append("■", Style(color=NO_VALUE))
    text.append(" no value")
    return text


class FeederView(Widget, can_focus=True):
    """The feeder drawn in braille cells; arrow keys or a click select the nearest node."""

    DEFAULT_CSS = """
    FeederView { width: 1fr; height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("plus,equals_sign", "zoom(2)", "Zoom in"),
        Binding("minus", "zoom(0.5)", "Zoom out"),
        Binding("0", "zoom(0)", "Fit", show=False),
    ]

    class NodeSelected(Message):
        """A node was selected (by key or mouse)."""

        def __init__(self, node_id: str) -> None:
            super().__init__()
            self.node_id = node_id

    class Painted(Message):
        """The feeder was drawn for the first time (used to time open-to-first-paint)."""

    def __init__(self, geometry: Geometry | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.geometry = geometry
        self.quantity: Quantity | None = None
        self.selected = 0
        self.zoom = 1.0
        self._raster: Raster | None = None
        self._cells: tuple[np.ndarray, np.ndarray] | None = None
        self._key: tuple[object, ...] | None = None
        self._painted = False

    # -- data -----------------------------------------------------------------------
    def set_quantity(self, quantity: Quantity | None) -> None:
        """Colour the nodes (and the branch feeding each) by ``quantity``."""
        self.quantity = quantity
        self._key = None
        self.refresh()

    @property
    def selected_id(self) -> str | None:
        """The id of the selected node."""
        if self.geometry is None or not len(self.geometry.node_ids):
            return None
        return str(self.geometry.node_ids[self.selected])

    def select(self, node_id: str) -> None:
        """Select ``node_id`` (ignored when not drawn)."""
        if self.geometry is None:
            return
        where = np.flatnonzero(self.geometry.node_ids == node_id)
        if where.size:
            self._set_selected(int(where[0]))

    def _set_selected(self, index: int) -> None:
        self.selected = index
        self._key = None
        self.refresh()
        node = self.selected_id
        if node is not None:
            self.post_message(self.NodeSelected(node))

    # -- drawing --------------------------------------------------------------------
    def _dots(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        g = self.geometry
        assert g is not None
        dx, dy = fit_transform(g.x, g.y, width, height)
        if self.zoom != 1.0:
            cx, cy = dx[self.selected], dy[self.selected]
            dx = (dx - cx) * self.zoom + (2 * width - 1) / 2
            dy = (dy - cy) * self.zoom + (4 * height - 1) / 2
        return dx, dy

    def _ensure_raster(self) -> Raster | None:
        g = self.geometry
        width, height = self.size.width, self.size.height
        if g is None or width <= 0 or height <= 0 or not len(g.node_ids):
            return None
        key = (width, height, self.zoom, id(self.quantity), self.selected if self.zoom != 1 else 0)
        if self._key == key and self._raster is not None:
            return self._raster
        if self.quantity is None:
            node_class = np.ones(len(g.node_ids), np.int64)
        else:
            values = self.quantity.values.reindex(g.node_ids).to_numpy(float)
            node_class = colour_classes(values, self.quantity.worst)
        dx, dy = self._dots(width, height)
        self._raster = rasterise(
            width,
            height,
            segments=(dx[g.seg_from], dy[g.seg_from], dx[g.seg_to], dy[g.seg_to]),
            segment_colour=node_class[g.seg_to],
            segment_dotted=g.seg_open,
            points=(dx, dy),
            point_colour=node_class,
        )
        self._cells = (np.floor(np.rint(dx) / 2), np.floor(np.rint(dy) / 4))
        self._key = key
        return self._raster

    def render_line(self, y: int) -> Strip:
        raster = self._ensure_raster()
        width = self.size.width
        if raster is None:
            message = " no feeder to draw" if y == 0 else ""
            return Strip([Segment(message.ljust(width)[:width])])
        if not self._painted:
            self._painted = True
            self.post_message(self.Painted())
        mask, colour = raster.mask[y], raster.colour[y]
        sel_x = sel_y = -1
        if self._cells is not None:
            sel_x, sel_y = int(self._cells[0][self.selected]), int(self._cells[1][self.selected])
        segments: list[Segment] = []
        start = 0
        while start < width:
            if y == sel_y and start == sel_x:
                segments.append(Segment("●", _SELECTED))
                start += 1
                continue
            cls = colour[start]
            end = start + 1
            while end < width and colour[end] == cls and not (y == sel_y and end == sel_x):
                end += 1
            chars = "".join(chr(BRAILLE_BASE + int(m)) if m else " " for m in mask[start:end])
            segments.append(Segment(chars, _STYLES[min(int(cls), len(_STYLES) - 1)]))
            start = end
        return Strip(segments, width)

    # -- navigation -----------------------------------------------------------------
    def action_move(self, dx: int, dy: int) -> None:
        """Select the nearest node in direction (dx, dy) (screen cells, y downwards)."""
        if self._ensure_raster() is None or self._cells is None:
            return
        cx, cy = self._cells
        ox, oy = cx - cx[self.selected], cy - cy[self.selected]
        along = ox * dx + oy * dy
        across = np.abs(ox * dy - oy * dx)
        ok = along > 0
        if not ok.any():
            return
        cost = np.where(ok, along + 2.0 * across, np.inf)
        self._set_selected(int(np.argmin(cost)))

    def action_zoom(self, factor: float) -> None:
        """Zoom about the selected node (``factor`` 0 fits the whole feeder)."""
        self.zoom = 1.0 if factor == 0 else float(np.clip(self.zoom * factor, 1.0, 256.0))
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        if self._ensure_raster() is None or self._cells is None:
            return
        cx, cy = self._cells
        d = (cx - event.x) ** 2 + (2.0 * (cy - event.y)) ** 2
        self.focus()
        self._set_selected(int(np.argmin(d)))
