"""Generate the network folders of test_data/adms/reconfig/ (README.md gives the sources).

Run from anywhere: ``uv run --no-sync python test_data/adms/reconfig/make_networks.py``.

- ``case69_ties/``: ``test_data/networks/case69`` plus the five normally-open ties of
  ``case69_ties.csv`` (ohms at 12.66 kV, converted to per unit on the case's 10 MVA base).
- ``ieee123_ties/``: the ``ieee123`` dataset (``gat dataset export ieee123``, seed 0) with its
  two normally-open switches connected as the IEEE test feeder draws them: ``Sw7`` from 151
  to 300 and ``Sw8`` from 54 to 94 (phase A), both open. EPRI's OpenDSS model closes them to
  the dead-end buses ``300_OPEN`` and ``94_OPEN`` instead, which are removed here. DER, the
  reliability data and switching devices are dropped (not needed by reconfiguration).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from gat_schemas import read_network, write_network

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def case69_ties() -> None:
    net = read_network(ROOT / "networks" / "case69")
    branches = net.branches
    ties = pd.read_csv(
        HERE / "case69_ties.csv", dtype={"branch_id": str, "from_node": str, "to_node": str}
    )
    z_base = 12.66**2 / net.base_mva  # ohm
    rows = pd.DataFrame(
        {
            "branch_id": ties["branch_id"],
            "from_node": ties["from_node"],
            "to_node": ties["to_node"],
            "r": ties["r_ohm"] / z_base,
            "x": ties["x_ohm"] / z_base,
            "b": 0.0,
            "tap": 1.0,
            "status": "open",
            "thermal_limit": float("nan"),
            "shift_deg": 0.0,
            "branch_type": "line",
        }
    )
    out = net.with_table("dist_branches", pd.concat([branches, rows], ignore_index=True))
    write_network(out, HERE / "case69_ties", overwrite=True)


def ieee123_ties() -> None:
    from gat_dist.datasets import export_dataset

    with tempfile.TemporaryDirectory() as tmp:
        net = export_dataset("ieee123", Path(tmp) / "ieee123")
    branches = net.branches.copy()
    fix = {"Sw7": "300", "Sw8": "94"}
    for sw, node in fix.items():
        at = branches["branch_id"] == sw
        branches.loc[at, "to_node"] = node
        branches.loc[at, "status"] = "open"
    nodes = net.nodes[~net.nodes["node_id"].isin(["300_OPEN", "94_OPEN"])].reset_index(drop=True)
    out = net.with_table("dist_branches", branches).with_table("dist_nodes", nodes)
    for name in ("der_assets", "der_cost_curves", "reliability", "switching_devices"):
        out = out.with_table(name, None)
    write_network(out, HERE / "ieee123_ties", overwrite=True)


if __name__ == "__main__":
    case69_ties()
    ieee123_ties()
