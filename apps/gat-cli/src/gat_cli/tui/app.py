"""The ``gat tui`` application: folder screens, the command palette, runs in a worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.timer import Timer
from textual.widgets import Label

from gat_cli.tui.data import FolderView, open_folder
from gat_cli.tui.runbar import RunBar
from gat_cli.tui.screens import FolderScreen

__all__ = ["RUNNABLE", "GatTui", "default_runs_dir"]


@dataclass(frozen=True)
class Runnable:
    """A command the palette can run on the open network."""

    name: str  # e.g. "dist pf"
    help: str
    extra: tuple[str, ...] = ()


RUNNABLE = (
    Runnable("dist pf", "power flow of the open network"),
    Runnable("dist hostcap", "hosting capacity of every bus"),
    Runnable("adms flisr-sim", "FLISR of every fault and the reliability indices"),
)


def default_runs_dir(network_dir: Path) -> Path:
    """Where runs started from the TUI go: ``<network folder>-runs`` beside the network."""
    return network_dir.parent / f"{network_dir.name}-runs"


class GatCommands(Provider):
    """Command palette entries: run a command on the open network, switch panes."""

    def _entries(self) -> list[tuple[str, str, object]]:
        app = self.app
        entries: list[tuple[str, str, object]] = []
        # self.screen is the screen the palette was opened from (app.screen is the palette).
        screen = self.screen
        if not isinstance(app, GatTui) or not isinstance(screen, FolderScreen):
            return entries
        network = screen.view.network_dir
        if network is not None:
            for r in RUNNABLE:
                entries.append(
                    (
                        f"Run {r.name}",
                        f"{r.help} ({network.name})",
                        partial(app.run_command, r.name),
                    )
                )
        for pane in ("feeder", "tables", "plot"):
            entries.append(
                (f"Show {pane}", f"switch to the {pane} pane", partial(app.show_pane, pane))
            )
        return entries

    async def discover(self) -> Hits:
        for text, help_text, command in self._entries():
            yield DiscoveryHit(text, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)  # type: ignore[arg-type]


class GatTui(App[None]):
    """Browse a network folder, an output folder or a folder of runs.

    Parameters
    ----------
    path
        The folder to open.
    runs_dir
        Where runs started from the palette write their output folders (default
        :func:`default_runs_dir` of the network folder).
    view
        ``path`` already opened (:func:`~gat_cli.tui.data.open_folder`), so that the
        caller reports a bad folder before the screen is taken over.
    """

    TITLE = "gat tui"
    COMMANDS = App.COMMANDS | {GatCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, path: Path, *, runs_dir: Path | None = None, view: FolderView | None = None
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self._view = view
        self.runs_dir = runs_dir
        self.running: str | None = None
        self.last_run: Path | None = None
        self.last_error: str | None = None
        #: ``time.perf_counter()`` when the first feeder view was first drawn (for bench/tui.py).
        self.painted_at: float | None = None
        self._run_started = 0.0
        self._run_timer: Timer | None = None

    def on_mount(self) -> None:
        view = self._view if self._view is not None else open_folder(self.path)
        self.push_screen(FolderScreen(view))

    def sync_run_bar(self) -> None:
        """Show the run bar of the current screen while a command runs, with elapsed time."""
        for bar in self.screen.query(RunBar):
            bar.set_class(self.running is not None, "running")
            if self.running is not None:
                secs = time.monotonic() - self._run_started
                bar.query_one("#run-label", Label).update(
                    f"running gat {self.running} ({secs:.0f} s)"
                )

    # -- folders --------------------------------------------------------------------
    def open_path(self, path: Path) -> None:
        """Open ``path`` on a new screen (escape returns to the one before).

        A folder that cannot be opened (a GAT input error: unreadable table, not a GAT
        folder) is reported in one line and the current screen stays.
        """
        from gat_schemas.errors import GatError

        try:
            screen = FolderScreen(open_folder(path))
        except GatError as exc:
            self.last_error = f"gat: error: {exc}"
            self.notify(self.last_error, severity="error", timeout=10)
            return
        self.push_screen(screen)

    def folder_screen(self) -> FolderScreen | None:
        """The screen of the folder shown now."""
        screen = self.screen
        return screen if isinstance(screen, FolderScreen) else None

    def network_dir(self) -> Path | None:
        """The network folder of the folder shown now (for the commands the palette runs)."""
        screen = self.folder_screen()
        return None if screen is None else screen.view.network_dir

    def show_pane(self, pane: str) -> None:
        """Switch the current folder screen to ``pane``."""
        screen = self.folder_screen()
        if screen is not None:
            screen.action_pane(pane)

    # -- running commands -----------------------------------------------------------
    def _out_dir(self, network: Path, command: str) -> Path:
        base = self.runs_dir if self.runs_dir is not None else default_runs_dir(network)
        stem = command.replace(" ", "-") + time.strftime("-%Y%m%d-%H%M%S")
        out, n = base / stem, 1
        while out.exists():
            n += 1
            out = base / f"{stem}-{n}"
        return out

    def run_command(self, command: str) -> None:
        """Run ``gat <command> --grid-file NETWORK -d OUT`` in a worker, then open OUT."""
        network = self.network_dir()
        if network is None:
            self.notify("no network folder is open", severity="error")
            return
        if self.running is not None:
            self.notify(f"{self.running} is still running", severity="warning")
            return
        out = self._out_dir(network, command)
        argv = [*command.split(), "--grid-file", str(network), "-d", str(out)]
        self.running = command
        self._run_started = time.monotonic()
        self._run_timer = self.set_interval(1.0, self.sync_run_bar)
        self.sync_run_bar()
        self._run_worker(command, argv, out)

    @work(thread=True, exclusive=True, group="gat-run")
    def _run_worker(self, command: str, argv: Sequence[str], out: Path) -> None:
        env = {**os.environ, "GAT_DEBUG": ""}
        proc = subprocess.run(
            [sys.executable, "-m", "gat_cli", *argv],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        self.call_from_thread(self._run_done, command, proc.returncode, proc.stderr, out)

    def _run_done(self, command: str, code: int, stderr: str, out: Path) -> None:
        self.running = None
        if self._run_timer is not None:
            self._run_timer.stop()
            self._run_timer = None
        self.sync_run_bar()
        if code != 0:
            lines = [ln for ln in stderr.splitlines() if ln.strip()]
            self.last_error = lines[-1] if lines else f"exit {code}"
            self.notify(f"gat {command} failed: {self.last_error}", severity="error", timeout=10)
            return
        self.last_run = out
        self.notify(f"gat {command} finished: {out}")
        self.open_path(out)
