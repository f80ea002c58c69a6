"""SVG snapshots of ``gat tui`` screens (pytest-textual-snapshot).

The snapshots are in ``__snapshots__/test_tui_snapshots/``; after an intended change of a
screen, look at the new one and accept it with ``pytest --snapshot-update`` on this file.
Only folder names (never the temporary paths) appear on the screens.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gat_cli.main import run
from gat_cli.tui.app import GatTui

SIZE = (120, 36)


@pytest.fixture(scope="module")
def ieee13(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """IEEE 13 exported and its power flow (read only)."""
    base = tmp_path_factory.mktemp("snap")
    net, pf = base / "ieee13", base / "runs" / "pf"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    assert run(["dist", "pf", "--grid-file", str(net), "-d", str(pf)]) == 0
    return {"network": net, "pf": pf}


def test_network_feeder(snap_compare, ieee13: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    """A network folder: the feeder from its coordinates, the slack node selected."""
    assert snap_compare(GatTui(ieee13["network"]), terminal_size=SIZE)


def test_power_flow_feeder_by_voltage(snap_compare, ieee13: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    """A dist pf output folder: coloured by voltage, the lowest-voltage node selected."""
    assert snap_compare(GatTui(ieee13["pf"]), terminal_size=SIZE)


def test_power_flow_profile(snap_compare, ieee13: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    """The plot pane: the voltage profile per phase against distance, limits dashed."""
    assert snap_compare(GatTui(ieee13["pf"]), press=["3"], terminal_size=SIZE)
