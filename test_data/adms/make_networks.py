"""Generate the network folders of test_data/adms/ (the tables beside them are hand-written CSV).

Run from anywhere: ``uv run --no-sync python test_data/adms/make_networks.py``.

- ``feeder4/``: the textbook-style radial feeder of README.md (11 kV, four main sections,
  four laterals, one load point at the end of each lateral).
- ``feeder4_tie/``: the same feeder plus an alternate supply ``T`` (its own feeder) joined to
  the end of the main feeder by the normally-open branch ``TIE``.
- ``case33bw/``: ``test_data/networks/case33bw`` with customers (one per 5 kW of peak load)
  and line lengths (series resistance over 0.35 ohm/km); README.md gives the reasons.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gat_schemas import Network, read_network, write_network

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BASE_MVA, KV = 10.0, 11.0
OHM_PER_KM = (0.30, 0.35)  # r, x of an 11 kV overhead line (ohm/km)
#: branch id, from, to, km (main sections M*, laterals L*).
FEEDER4 = (
    ("M1", "S", "1", 2.0),
    ("M2", "1", "2", 3.0),
    ("M3", "2", "3", 2.0),
    ("M4", "3", "4", 1.0),
    ("La", "1", "A", 3.0),
    ("Lb", "2", "B", 1.0),
    ("Lc", "3", "C", 2.0),
    ("Ld", "4", "D", 1.0),
)
#: load point: customers, average load (MW), reactive load (Mvar).
LOAD_POINTS = {
    "A": (200, 1.0, 0.3),
    "B": (150, 0.8, 0.24),
    "C": (100, 0.6, 0.18),
    "D": (50, 0.4, 0.12),
}


def _nodes(ids: list[str], slack: set[str], feeder: dict[str, str]) -> pd.DataFrame:
    cust = [LOAD_POINTS.get(i, (0, 0.0, 0.0)) for i in ids]
    return pd.DataFrame(
        {
            "node_id": ids,
            "phase": "ABC",
            "type": ["slack" if i in slack else "load" for i in ids],
            "v_min": 0.95,
            "v_max": 1.05,
            "load_p": [c[1] for c in cust],
            "load_q": [c[2] for c in cust],
            "feeder_id": [feeder.get(i, "F1") for i in ids],
            "base_kv": KV,
            "customers": np.array([c[0] for c in cust], dtype=np.int64),
        }
    )


def _branches(rows: tuple[tuple[str, str, str, float], ...], open_ids: set[str]) -> pd.DataFrame:
    z_base = KV**2 / BASE_MVA
    km = np.array([r[3] for r in rows])
    return pd.DataFrame(
        {
            "branch_id": [r[0] for r in rows],
            "from_node": [r[1] for r in rows],
            "to_node": [r[2] for r in rows],
            "r": km * OHM_PER_KM[0] / z_base,
            "x": km * OHM_PER_KM[1] / z_base,
            "b": 0.0,
            "tap": 1.0,
            "status": ["open" if r[0] in open_ids else "closed" for r in rows],
            "thermal_limit": 6.0,
            "length_km": km,
        }
    )


def feeder4(with_tie: bool) -> Network:
    """The textbook feeder, optionally with the alternate supply through a tie."""
    ids = ["S", "1", "2", "3", "4", "A", "B", "C", "D"]
    rows = FEEDER4
    slack, feeder = {"S"}, {}
    if with_tie:
        ids.append("T")
        rows = (*FEEDER4, ("TIE", "T", "4", 1.0))
        slack, feeder = {"S", "T"}, {"T": "F2"}
    tables = {
        "dist_nodes": _nodes(ids, slack, feeder),
        "dist_branches": _branches(rows, {"TIE"}),
    }
    name = "feeder4_tie" if with_tie else "feeder4"
    return Network(
        name,
        BASE_MVA,
        tables,
        frequency_hz=50.0,
        source={"file": "test_data/adms/make_networks.py", "format": "python"},
    )


def case33bw() -> Network:
    """case33bw with customers and line lengths for reliability studies."""
    net = read_network(ROOT / "test_data" / "networks" / "case33bw")
    nodes = net.nodes.copy()
    nodes["customers"] = np.rint(nodes["load_p"].to_numpy() * 1000 / 5.0).astype(np.int64)
    branches = net.branches.copy()
    z_base = nodes["base_kv"].iloc[0] ** 2 / net.base_mva
    branches["length_km"] = np.round(branches["r"].to_numpy() * z_base / 0.35, 2)
    src = dict(net.source)
    src["derived"] = "test_data/adms/make_networks.py: customers and length_km added"
    return Network(
        net.name,
        net.base_mva,
        {"dist_nodes": nodes, "dist_branches": branches},
        frequency_hz=net.frequency_hz,
        source=src,
    )


def main() -> None:
    """Write the three network folders."""
    for net, folder in (
        (feeder4(False), "feeder4"),
        (feeder4(True), "feeder4_tie"),
        (case33bw(), "case33bw"),
    ):
        meta = write_network(net, HERE / folder, overwrite=True)
        print(folder, {n: e["rows"] for n, e in meta["tables"].items()})


if __name__ == "__main__":
    main()
