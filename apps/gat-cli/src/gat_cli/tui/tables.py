"""The results tables pane (sortable, filterable) and the node panel's rendering."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Select

from gat_schemas.errors import InputError

__all__ = ["MAX_ROWS", "TablesPane", "filter_frame", "format_value", "node_rows_renderable"]

#: Rows shown in the table widget at once (sorting and filtering act on every row).
MAX_ROWS = 500

_EXPR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$")


def format_value(value: object, digits: int = 6) -> str:
    """A cell as text: floats with ``digits`` significant digits, missing values empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.{digits}g}"
    return str(value)


def filter_frame(df: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows of ``df`` matching ``text``.

    ``column OP value`` (OP one of ``< <= > >= = == !=``) compares a column with a number
    (or, for ``=``/``!=``, a text); any other text keeps the rows where some cell contains
    it (case-insensitive). Empty text keeps every row.

    Raises
    ------
    InputError
        The expression names a column ``df`` does not have.
    """
    text = text.strip()
    if not text:
        return df
    m = _EXPR.match(text)
    if m:
        col, op, raw = m.groups()
        if col not in df.columns:
            raise InputError(f"no column '{col}' (columns: {', '.join(map(str, df.columns))})")
        series = df[col]
        try:
            value: object = float(raw)
            series = pd.to_numeric(series, errors="coerce")
        except ValueError:
            value = raw.strip("'\"")
            series = series.astype(str)
        op = "==" if op == "=" else op
        ops = {
            "<": series.lt,
            "<=": series.le,
            ">": series.gt,
            ">=": series.ge,
            "==": series.eq,
            "!=": series.ne,
        }
        if isinstance(value, str) and op not in ("==", "!="):
            raise InputError(f"'{op}' needs a number, not '{raw}'")
        return df.loc[ops[op](value).to_numpy(bool)]
    needle = text.lower()
    hit = np.zeros(len(df), bool)
    for col in df.columns:
        hit |= df[col].astype(str).str.lower().str.contains(needle, regex=False).to_numpy()
    return df.loc[hit]


def node_rows_renderable(node_id: str, found: list[tuple[str, pd.DataFrame]]) -> RenderableType:
    """The rows of every table that concern a node: one small transposed table each."""
    parts: list[RenderableType] = [Text(f"node {node_id}", style="bold")]
    if not found:
        parts.append(Text("no rows in any table"))
    for name, df in found:
        table = Table(title=f"{name} ({len(df)})", title_justify="left", box=None, pad_edge=False)
        table.add_column("column", style="dim", no_wrap=True)
        shown = df.head(3)
        for i in range(len(shown)):
            table.add_column(str(i + 1) if len(shown) > 1 else "value", overflow="fold")
        for col in df.columns:
            table.add_row(str(col), *(format_value(v, 5) for v in shown[col].tolist()))
        parts.append(table)
    return Group(*parts)


class TablesPane(Vertical):
    """Every table of the opened folder: pick one, filter it, sort by clicking a header."""

    DEFAULT_CSS = """
    TablesPane #table-bar { height: 3; }
    TablesPane Select { width: 40; }
    TablesPane Input { width: 1fr; }
    TablesPane #table-info { height: 1; color: $text-muted; }
    """

    def __init__(self, tables: dict[str, pd.DataFrame], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tables = tables
        self.current: str | None = next(iter(tables), None)
        self.sort_by: str | None = None
        self.descending = False
        self.shown: pd.DataFrame = pd.DataFrame()
        self.filled = False

    def compose(self) -> ComposeResult:
        options = [(f"{name} ({len(df)} rows)", name) for name, df in self.tables.items()]
        with Horizontal(id="table-bar"):
            yield (
                Select(
                    options, value=self.current or Select.NULL, allow_blank=False, id="table-select"
                )
                if options
                else Label("no tables")
            )
            yield Input(placeholder="filter: text, or column < value", id="table-filter")
        yield Label("", id="table-info")
        yield DataTable(id="table-grid", zebra_stripes=True, cursor_type="row")

    def ensure_filled(self) -> None:
        """Fill the grid the first time the pane is shown (a large grid is slow to lay out,
        so a folder opens without waiting for it)."""
        if not self.filled:
            self.refresh_table()

    def show_table(self, name: str) -> None:
        """Show table ``name`` (unsorted, filter kept)."""
        if name in self.tables:
            self.current = name
            self.sort_by = None
            self.refresh_table()

    def sort(self, column: str, *, descending: bool | None = None) -> None:
        """Sort the shown table by ``column`` (a second call on it reverses the order)."""
        if descending is None:
            descending = (not self.descending) if self.sort_by == column else False
        self.sort_by, self.descending = column, descending
        self.refresh_table()

    def refresh_table(self) -> None:
        """Rebuild the grid from the current table, filter and sort."""
        grid = self.query_one("#table-grid", DataTable)
        info = self.query_one("#table-info", Label)
        self.filled = True
        grid.clear(columns=True)
        if self.current is None:
            info.update("no tables in this folder")
            return
        df = self.tables[self.current]
        text = self.query_one("#table-filter", Input).value
        try:
            df = filter_frame(df, text)
        except InputError as exc:
            info.update(f"filter: {exc}")
            return
        if self.sort_by is not None and self.sort_by in df.columns:
            df = df.sort_values(self.sort_by, ascending=not self.descending, kind="stable")
        self.shown = df
        arrow = {False: " ▲", True: " ▼"}
        for col in df.columns:
            mark = arrow[self.descending] if col == self.sort_by else ""
            grid.add_column(f"{col}{mark}", key=str(col))
        head = df.head(MAX_ROWS)
        columns = [head[c].tolist() for c in head.columns]
        grid.add_rows([tuple(format_value(v) for v in row) for row in zip(*columns, strict=True)])
        total = len(self.tables[self.current])
        more = f", first {MAX_ROWS} shown" if len(df) > MAX_ROWS else ""
        order = (
            f", sorted by {self.sort_by}{' desc' if self.descending else ''}"
            if self.sort_by
            else ""
        )
        info.update(f"{self.current}: {len(df)} of {total} rows{more}{order}")

    def on_select_changed(self, event: Select.Changed) -> None:
        # Select posts Changed for its first value too: nothing to redraw then.
        if event.select.id == "table-select" and event.value not in (self.current, Select.NULL):
            self.show_table(str(event.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "table-filter" and self.filled:
            self.refresh_table()

    def node_of_row(self, row: int) -> str | None:
        """The node a shown row is about (its ``node_id``, ``bus_id`` or ``to_node``), if any."""
        if row < 0 or row >= min(len(self.shown), MAX_ROWS):
            return None
        for col in ("node_id", "bus_id", "to_node"):
            if col in self.shown.columns:
                return str(self.shown[col].iloc[row])
        return None

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.column_key.value is not None:
            self.sort(event.column_key.value)
