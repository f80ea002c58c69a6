"""The screen of one opened folder: feeder, tables, plot and runs panes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Label, Select, Static, TabbedContent, TabPane

from gat_cli.tui.data import FolderView, Quantity, node_quantities, node_rows
from gat_cli.tui.feeder import FeederView, legend_text
from gat_cli.tui.geometry import Geometry, feeder_geometry
from gat_cli.tui.plot import BraillePlot, plot_specs
from gat_cli.tui.runbar import RunBar
from gat_cli.tui.tables import TablesPane, node_rows_renderable

__all__ = ["FolderScreen"]


class _Placeholder(Static, can_focus=True):
    """Stands in a pane until it is first shown; focusable, so that switching to the pane
    moves the focus into it (Textual would otherwise focus a widget of the pane left, and
    TabbedContent would switch back to that pane)."""


class FolderScreen(Screen[None]):
    """Everything about one opened folder; ``escape`` goes back to the folder before."""

    DEFAULT_CSS = """
    #feeder-row { height: 1fr; }
    #node-panel { width: 50; border-left: solid $primary-background; padding: 0 1; }
    #legend { height: 1; padding: 0 1; }
    #quantity-bar { height: 3; }
    #quantity-bar Select { width: 36; }
    #notes { height: auto; color: $warning; padding: 0 1; }
    #plot-bar { height: 3; }
    #plot-bar Select { width: 30; }
    #runs-info { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "pane('feeder')", "Feeder"),
        Binding("2", "pane('tables')", "Tables"),
        Binding("3", "pane('plot')", "Plot"),
        Binding("4", "pane('runs')", "Runs", show=False),
        Binding("v", "next_quantity", "Colour by"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, view: FolderView) -> None:
        super().__init__()
        self.view = view
        self.geometry: Geometry | None = (
            feeder_geometry(view.network) if view.network is not None else None
        )
        self.quantities: list[Quantity] = node_quantities(view.tables)
        self.specs = plot_specs(view.tables, self.geometry)
        #: The node shown in the node panel and the tables its rows come from.
        self.node_shown: tuple[str, list[str]] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        if self.view.notes:
            yield Label("\n".join(self.view.notes), id="notes")
        initial = "runs" if self.view.kind == "runs" else "feeder"
        with TabbedContent(initial=initial, id="panes"):
            if self.view.kind == "runs":
                with TabPane("Runs", id="runs"):
                    yield Label("enter opens a run; escape comes back here", id="runs-info")
                    yield DataTable(id="runs-grid", cursor_type="row", zebra_stripes=True)
            with TabPane("Feeder", id="feeder"):
                options = [(q.name, i) for i, q in enumerate(self.quantities)]
                with Horizontal(id="quantity-bar"):
                    if options:
                        yield Select(options, value=0, allow_blank=False, id="quantity")
                    yield Static(
                        legend_text(self.quantities[0] if self.quantities else None), id="legend"
                    )
                with Horizontal(id="feeder-row"):
                    yield FeederView(self.geometry, id="feeder-view")
                    with VerticalScroll(id="node-panel"):
                        yield Static("", id="node-rows")
            # Filled when first shown (_fill_pane): a folder opens without laying them out.
            with TabPane("Tables", id="tables"):
                yield _Placeholder(classes="placeholder")
            with TabPane("Plot", id="plot"):
                yield _Placeholder(classes="placeholder")
        yield RunBar(id="run-bar")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.app.sync_run_bar()  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.title = "gat tui"
        self.sub_title = self.view.title
        feeder = self.query_one(FeederView)
        if self.quantities:
            feeder.set_quantity(self.quantities[0])
        start = self._start_node()
        if start is not None:
            feeder.select(start)
        if self.view.kind == "runs":
            self._fill_runs()
            self.query_one("#runs-grid").focus()
        else:
            feeder.focus()
        node = feeder.selected_id
        if node is not None:
            self._show_node(node)

    # -- feeder ---------------------------------------------------------------------
    def _start_node(self) -> str | None:
        """The node selected first: the worst of the first quantity, else the slack."""
        if self.geometry is None:
            return None
        if self.quantities:
            q = self.quantities[0]
            values = q.values.dropna()
            if len(values):
                return str(values.idxmin() if q.worst == "low" else values.idxmax())
        nodes = self.view.tables.get("dist_nodes")
        if nodes is not None and "type" in nodes.columns:
            slack = nodes.loc[nodes["type"] == "slack", "node_id"]
            if len(slack):
                return str(slack.iloc[0])
        return None

    def _show_node(self, node_id: str) -> None:
        found = node_rows(self.view.tables, node_id)
        self.node_shown = (node_id, [name for name, _ in found])
        self.query_one("#node-rows", Static).update(node_rows_renderable(node_id, found))

    def on_feeder_view_painted(self, event: FeederView.Painted) -> None:
        if getattr(self.app, "painted_at", None) is None:
            self.app.painted_at = time.perf_counter()  # type: ignore[attr-defined]

    def on_feeder_view_node_selected(self, event: FeederView.NodeSelected) -> None:
        self._show_node(event.node_id)

    def _set_quantity(self, index: int) -> None:
        quantity = self.quantities[index]
        self.query_one(FeederView).set_quantity(quantity)
        self.query_one("#legend", Static).update(legend_text(quantity))

    def action_next_quantity(self) -> None:
        """Colour the feeder by the next quantity the folder holds."""
        if self.quantities:
            select = self.query_one("#quantity", Select)
            current = select.value if isinstance(select.value, int) else 0
            select.value = (current + 1) % len(self.quantities)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "quantity" and isinstance(event.value, int):
            self._set_quantity(event.value)
        elif event.select.id == "plot-kind" and isinstance(event.value, str):
            self.query_one(BraillePlot).show(self.specs.get(event.value))

    # -- panes ----------------------------------------------------------------------
    def action_pane(self, pane: str) -> None:
        """Show pane ``pane`` (feeder, tables, plot, runs) and focus its main widget."""
        tabs = self.query_one(TabbedContent)
        if not tabs.query(f"TabPane#{pane}"):
            return
        tabs.active = pane
        self._fill_pane(pane)
        focus = {
            "feeder": "#feeder-view",
            "tables": "#table-grid",
            "plot": "#plot-kind",
            "runs": "#runs-grid",
        }[pane]
        found = self.query(focus)
        if found:
            found.first().focus()

    def _fill_pane(self, pane: str) -> None:
        """Compose the tables or plot pane the first time it is shown."""
        if pane not in ("tables", "plot"):
            return
        target = self.query_one(f"TabPane#{pane}", TabPane)
        placeholder = target.query(".placeholder")
        if not placeholder:
            return
        placeholder.remove()
        self.call_after_refresh(self._focus_pane, pane)
        if pane == "tables":
            tables = TablesPane(self.view.tables, id="tables-pane")
            target.mount(tables)
            tables.call_after_refresh(tables.ensure_filled)
            return
        widgets: list[Widget] = []
        if self.specs:
            kinds = Select(
                [(k, k) for k in self.specs],
                value=next(iter(self.specs)),
                allow_blank=False,
                id="plot-kind",
            )
            widgets.append(Horizontal(kinds, id="plot-bar"))
        widgets.append(BraillePlot(next(iter(self.specs.values()), None), id="plot-view"))
        target.mount(Vertical(*widgets))

    def _focus_pane(self, pane: str) -> None:
        found = self.query("#table-grid" if pane == "tables" else "#plot-kind")
        if found:
            found.first().focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id in ("tables", "plot"):
            self._fill_pane(event.pane.id)

    def action_back(self) -> None:
        """Go back to the folder opened before this one."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    # -- runs -----------------------------------------------------------------------
    def _fill_runs(self) -> None:
        grid = self.query_one("#runs-grid", DataTable)
        grid.add_columns("run_id", "command", "status", "started (UTC)", "secs", "folder")
        for run in self.view.runs:
            secs = "" if run.duration_s is None else f"{run.duration_s:.2f}"
            folder = (
                str(Path(run.out_dir).relative_to(self.view.path))
                if Path(run.out_dir).is_relative_to(self.view.path)
                else str(run.out_dir)
            )
            grid.add_row(
                run.run_id[:12],
                run.command,
                run.live_status,
                run.started_at[:23],
                secs,
                folder,
                key=str(run.out_dir),
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "runs-grid" and event.row_key.value is not None:
            self.app.open_path(Path(event.row_key.value))  # type: ignore[attr-defined]
        elif event.data_table.id == "table-grid":
            # Enter on a row about a node shows that node on the feeder.
            node = self.query_one(TablesPane).node_of_row(event.cursor_row)
            feeder = self.query_one(FeederView)
            if node is not None and feeder.geometry is not None:
                self.action_pane("feeder")
                feeder.select(node)
