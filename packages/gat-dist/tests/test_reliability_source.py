"""The reliability generator leaves a source's Thevenin equivalent alone: no device on it,
no failure data for it, the breaker on the first real line below it."""

from __future__ import annotations

import pandas as pd

from gat_dist.datasets.reliability_generator import (
    generate_reliability,
    generate_switching_devices,
)
from gat_schemas import Network


def _feeder() -> Network:
    ids = ["src_vsource", "src", "n1", "n2", "n3"]
    nodes = pd.DataFrame(
        {
            "node_id": ids,
            "phase": "ABC",
            "type": ["slack"] + ["load"] * 4,
            "v_min": 0.95,
            "v_max": 1.05,
            "load_p": [0.0, 0.0, 0.1, 0.1, 0.1],
            "load_q": 0.0,
            "feeder_id": "f",
            "base_kv": 12.47,
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": ["Vsource.src", "b1", "b2", "b3"],
            "from_node": ["src_vsource", "src", "n1", "n1"],
            "to_node": ["src", "n1", "n2", "n3"],
            "r": 0.01,
            "x": 0.01,
            "b": 0.0,
            "tap": 1.0,
            "status": "closed",
            "thermal_limit": float("nan"),
            "branch_type": "line",
            "length_km": 1.0,
        }
    )
    return Network("vs", 1.0, {"dist_nodes": nodes, "dist_branches": branches})


def test_the_source_equivalent_is_no_feeder_equipment() -> None:
    net = _feeder()
    dev = generate_switching_devices(net)
    kind = dict(zip(dev["branch_id"], dev["device_type"], strict=True))
    assert "Vsource.src" not in kind
    assert kind["b1"] == "breaker"
    rel = generate_reliability(net)
    assert rel["element_id"].tolist() == ["b1", "b2", "b3"]
