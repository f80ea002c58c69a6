"""``gat tui``: the app driven by Textual's pilot (no terminal), its data and its command."""

from __future__ import annotations

import asyncio
import functools
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from textual.command import CommandList

from gat_cli.main import run
from gat_cli.tui.app import GatTui
from gat_cli.tui.data import detect_kind, node_quantities, open_folder
from gat_cli.tui.feeder import FeederView
from gat_cli.tui.screens import FolderScreen
from gat_cli.tui.tables import TablesPane
from gat_schemas import InputError
from gat_schemas.io import read_parquet

SIZE = (120, 36)


def _sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test in its own event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """IEEE 13 exported, and a folder of runs holding its power flow and FLISR results.

    Read only: the tests that run commands from the TUI use their own copy.
    """
    base = tmp_path_factory.mktemp("tui")
    net = base / "ieee13"
    runs = base / "runs"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    assert run(["dist", "pf", "--grid-file", str(net), "-d", str(runs / "pf")]) == 0
    assert run(["adms", "flisr-sim", "--grid-file", str(net), "-d", str(runs / "flisr")]) == 0
    return {"network": net, "runs": runs, "pf": runs / "pf", "flisr": runs / "flisr"}


async def _wait_for_run(app: GatTui, pilot: Any, timeout_s: float = 300.0) -> None:
    """Wait until the command started from the TUI has finished and its result is handled."""
    for _ in range(int(timeout_s / 0.1)):
        if app.running is None and (app.last_run is not None or app.last_error is not None):
            break
        await pilot.pause(0.1)
    await pilot.pause()


def _node_shown(app: GatTui) -> tuple[str, list[str]]:
    shown = app.screen.node_shown
    assert shown is not None
    return shown


# -- data ---------------------------------------------------------------------------------
def test_detect_kind(studies: dict[str, Path], tmp_path: Path) -> None:
    assert detect_kind(studies["network"]) == "network"
    assert detect_kind(studies["pf"]) == "output"
    assert detect_kind(studies["runs"]) == "runs"
    with pytest.raises(InputError, match="neither a network folder"):
        detect_kind(tmp_path)


def test_output_folder_finds_its_network(studies: dict[str, Path]) -> None:
    view = open_folder(studies["pf"])
    assert view.network_dir == studies["network"].resolve()
    assert {"pf3_nodes", "pf3_branches", "dist_nodes"} <= set(view.tables)


def test_voltage_quantity_is_lowest_phase(studies: dict[str, Path]) -> None:
    view = open_folder(studies["pf"])
    (voltage, *_) = node_quantities(view.tables)
    raw = read_parquet(studies["pf"] / "pf3_nodes.parquet")
    assert voltage.name == "voltage (pu)"
    assert voltage.values.min() == pytest.approx(raw["vm_pu"].min())
    assert voltage.values["611"] == pytest.approx(raw.loc[raw.node_id == "611", "vm_pu"].min())


def test_saidi_contributions_sum_to_saidi(studies: dict[str, Path]) -> None:
    view = open_folder(studies["flisr"])
    saidi = next(q for q in node_quantities(view.tables) if q.name.startswith("SAIDI"))
    indices = read_parquet(studies["flisr"] / "reliability_indices.parquet")
    assert saidi.values.sum() == pytest.approx(float(indices["SAIDI"].iloc[0]), rel=1e-9)


# -- the app ------------------------------------------------------------------------------
@_sync
async def test_network_folder_select_node_shows_its_rows(studies: dict[str, Path]) -> None:
    app = GatTui(studies["network"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FolderScreen)
        feeder = app.screen.query_one(FeederView)
        nodes = read_parquet(studies["network"] / "dist_nodes.parquet")
        assert sorted(feeder.geometry.node_ids) == sorted(nodes["node_id"])
        first = feeder.selected_id
        for key in ("down", "down", "right"):
            await pilot.press(key)
        await pilot.pause()
        chosen = feeder.selected_id
        assert chosen != first
        node, tables = _node_shown(app)
        assert node == chosen
        assert "dist_nodes" in tables  # the node's own row
        assert "dist_branches" in tables  # the branches ending at it
        # A click selects the nearest node.
        await pilot.click(FeederView, offset=(1, 1))
        await pilot.pause()
        assert _node_shown(app)[0] == feeder.selected_id


@_sync
async def test_switch_panes_sort_and_filter(studies: dict[str, Path]) -> None:
    app = GatTui(studies["pf"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        tabs = app.screen.query_one("TabbedContent")
        assert tabs.active == "tables"
        pane = app.screen.query_one(TablesPane)
        pane.show_table("pf3_nodes")
        pane.sort("vm_pu", descending=True)
        await pilot.pause()
        raw = read_parquet(studies["pf"] / "pf3_nodes.parquet")
        shown = pane.shown["vm_pu"].to_numpy()
        assert shown[0] == raw["vm_pu"].max()
        assert np.all(np.diff(shown) <= 0)
        grid = app.screen.query_one("#table-grid")
        assert grid.row_count == len(raw)
        # The same column again reverses the order.
        pane.sort("vm_pu")
        assert pane.shown["vm_pu"].iloc[0] == raw["vm_pu"].min()
        app.screen.query_one("#table-filter").value = "vm_pu < 0.99"
        await pilot.pause()
        assert len(pane.shown) == int((raw["vm_pu"] < 0.99).sum()) > 0
        await pilot.click("#table-filter")
        await pilot.press("tab", "3")  # out of the filter box, then the plot pane
        await pilot.pause()
        assert tabs.active == "plot"
        await pilot.press("1")
        assert tabs.active == "feeder"
        await pilot.click("#--content-tab-tables")  # the mouse too
        await pilot.pause()
        assert tabs.active == "tables"
        # Enter on a row shows its node on the feeder (the lowest voltage: sorted ascending).
        pane.query_one("#table-filter").value = ""
        await pilot.pause()
        app.screen.query_one("#table-grid").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert tabs.active == "feeder"
        lowest = raw.loc[raw["vm_pu"].idxmin(), "node_id"]
        assert app.screen.query_one(FeederView).selected_id == lowest


@_sync
async def test_colour_by_cycles_quantities(studies: dict[str, Path]) -> None:
    app = GatTui(studies["pf"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        feeder = app.screen.query_one(FeederView)
        assert feeder.quantity is not None and feeder.quantity.name == "voltage (pu)"
        await pilot.press("v")
        await pilot.pause()
        assert feeder.quantity.name == "loading (%)"
        # Zoom about the selected node: it stays in the middle of the view.
        selected = feeder.selected_id
        await pilot.press("plus", "plus")
        await pilot.pause()
        assert feeder.zoom == 4.0 and feeder.selected_id == selected
        cx, cy = feeder._cells
        i = feeder.selected
        assert abs(cx[i] - feeder.size.width / 2) <= 1 and abs(cy[i] - feeder.size.height / 2) <= 1
        await pilot.press("0")
        assert feeder.zoom == 1.0


@_sync
async def test_runs_folder_opens_a_run_and_comes_back(studies: dict[str, Path]) -> None:
    app = GatTui(studies["runs"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.view.kind == "runs"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.view.kind == "output"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.view.kind == "runs"


@_sync
async def test_unreadable_run_is_one_line_and_the_list_stays(tmp_path: Path) -> None:
    net = tmp_path / "ieee13"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    assert run(["dist", "pf", "--grid-file", str(net), "-d", str(tmp_path / "runs" / "pf")]) == 0
    (tmp_path / "runs" / "pf" / "pf3_nodes.parquet").write_bytes(b"not parquet")
    app = GatTui(tmp_path / "runs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.view.kind == "runs"
        assert app.last_error is not None and "pf3_nodes.parquet" in app.last_error


@_sync
async def test_palette_runs_power_flow_and_opens_it(tmp_path: Path) -> None:
    net = tmp_path / "ieee13"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    runs = tmp_path / "from-tui"
    app = GatTui(net, runs_dir=runs)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"run dist pf")
        # The palette searches in the background: wait for its hit (a busy machine is slow).
        hits = app.screen.query_one(CommandList)
        for _ in range(200):
            if hits.option_count:
                break
            await pilot.pause(0.05)
        assert "Run dist pf" in str(hits.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await _wait_for_run(app, pilot)
        assert app.last_error is None
        assert app.last_run is not None and app.last_run.parent == runs
        assert app.screen.view.kind == "output"
        assert "pf3_nodes" in app.screen.view.tables
        feeder = app.screen.query_one(FeederView)
        assert feeder.quantity is not None and feeder.quantity.name == "voltage (pu)"
    # The network folder was not written to.
    assert not (net / "pf3_nodes.parquet").exists()
    written = pd.read_parquet(app.last_run / "pf3_summary.parquet")
    assert bool(written["converged"].iloc[0])


@_sync
async def test_output_folder_without_its_network(tmp_path: Path) -> None:
    net = tmp_path / "ieee13"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    assert run(["dist", "pf", "--grid-file", str(net), "-d", str(tmp_path / "pf")]) == 0
    shutil.rmtree(net)
    app = GatTui(tmp_path / "pf")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.view.network is None
        assert "no feeder view" in app.screen.view.notes[0]
        assert "pf3_nodes" in app.screen.view.tables  # the results are still there
        # Nothing to run a command on: the palette says so instead of failing.
        app.run_command("dist pf")
        await pilot.pause()
        assert app.running is None


@_sync
async def test_failed_run_is_one_line(tmp_path: Path) -> None:
    net = tmp_path / "ieee13"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    runs = tmp_path / "runs"
    runs.mkdir()
    app = GatTui(net, runs_dir=runs)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shutil.rmtree(net)  # the network disappears before the run reads it
        app.run_command("dist pf")
        await _wait_for_run(app, pilot)
        assert app.last_run is None
        assert app.last_error is not None and "does not exist" in app.last_error
        assert app.screen.view.kind == "network"  # still on the folder it was


# -- the command --------------------------------------------------------------------------
def test_screenshot_writes_svg(studies: dict[str, Path], tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "tui.svg"
    code, _out, err = gat("tui", studies["pf"], "--screenshot", target, "--size", "100x30")
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<svg")
    assert "voltage" in text and "gat&#160;tui" in text


def test_not_a_gat_folder_is_one_line(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("tui", tmp_path, "--screenshot", tmp_path / "x.svg")
    assert code == 1
    assert err.count("\n") == 1 and "neither a network folder" in err
    assert not (tmp_path / "x.svg").exists()


def test_screenshot_must_be_svg(studies: dict[str, Path], tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    # An SVG written into shot.png would open nowhere as a PNG.
    code, _, err = gat("tui", studies["pf"], "--screenshot", tmp_path / "shot.png")
    assert code == 2 and "give a file ending in .svg" in err
    assert not (tmp_path / "shot.png").exists()


def test_bad_size_is_usage_error(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("tui", tmp_path, "--size", "wide")
    assert code == 2 and "COLUMNSxROWS" in err
