"""The bar shown at the bottom of a screen while a command started from the TUI runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

__all__ = ["RunBar"]


class RunBar(Horizontal):
    """What runs and an indeterminate progress bar (the command runs in a subprocess)."""

    DEFAULT_CSS = """
    RunBar { height: 1; dock: bottom; display: none; background: $boost; }
    RunBar.running { display: block; }
    RunBar Label { width: auto; padding: 0 1; }
    RunBar ProgressBar { width: 40; }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="run-label")
        yield ProgressBar(total=None, show_eta=False, id="run-progress")
