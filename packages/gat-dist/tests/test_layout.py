"""Feeder layout: coordinates from the data or a computed tree, distances, segments."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from gat_dist.datasets import build_dataset
from gat_dist.layout import LINE_OHM_PER_KM, feeder_layout, feeder_segments, layout_digest
from gat_schemas import Network


def _chain_network(
    n_nodes: int, parents: np.ndarray, *, lengths: np.ndarray | None = None, open_rows=()
) -> Network:
    """A tree: node i>0 hangs from parents[i]; branch i-1 joins them (12.47 kV, 1 MVA base)."""
    ids = [f"n{i}" for i in range(n_nodes)]
    nodes = pd.DataFrame(
        {
            "node_id": ids,
            "phase": "ABC",
            "type": ["slack"] + ["load"] * (n_nodes - 1),
            "v_min": 0.95,
            "v_max": 1.05,
            "load_p": 0.0,
            "load_q": 0.0,
            "feeder_id": "f",
            "base_kv": 12.47,
        }
    )
    m = n_nodes - 1
    branches = pd.DataFrame(
        {
            "branch_id": [f"b{i}" for i in range(m)],
            "from_node": [ids[p] for p in parents[1:]],
            "to_node": ids[1:],
            "r": 0.01,
            "x": 0.02,
            "b": 0.0,
            "tap": 1.0,
            "status": ["open" if i in open_rows else "closed" for i in range(m)],
            "thermal_limit": 10.0,
            "length_km": lengths if lengths is not None else np.full(m, np.nan),
        }
    )
    return Network(name="t", base_mva=1.0, tables={"dist_nodes": nodes, "dist_branches": branches})


def _random_tree(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parents = np.zeros(n, dtype=int)
    for i in range(1, n):
        # Mostly extend the newest nodes (long laterals), sometimes branch near the source.
        parents[i] = rng.integers(max(0, i - 5), i) if rng.random() < 0.8 else rng.integers(0, i)
    return parents


def _assert_no_overlap(layout: pd.DataFrame) -> None:
    xy = layout[["x", "y"]].to_numpy()
    assert np.isfinite(xy).all()
    assert len(np.unique(xy, axis=0)) == len(xy)


@pytest.mark.parametrize("case", ["case33bw", "ieee34"])
def test_computed_layout_of_shipped_feeders_has_no_overlap(case):
    layout = feeder_layout(build_dataset(case))
    assert (layout["source"] == "computed").all()
    _assert_no_overlap(layout)
    # The source is at the left and every node lies one step right of its parent.
    pos = layout.set_index("node_id")
    child = layout[layout["parent_node"] != ""]
    assert np.allclose(child["x"].to_numpy(), pos.loc[child["parent_node"], "x"].to_numpy() + 1)
    assert layout.loc[layout["depth"] == 0, "x"].eq(0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_trees_have_no_overlap_and_are_deterministic(seed):
    parents = _random_tree(3000, seed)
    net = _chain_network(3000, parents)
    first = feeder_layout(net)
    _assert_no_overlap(first)
    # A network rebuilt from copies of the tables (no cache hit on identity) gives the same.
    again = feeder_layout(
        Network(name="t", base_mva=1.0, tables={k: v.copy() for k, v in net.tables.items()})
    )
    pd.testing.assert_frame_equal(first, again)


def test_trunk_is_straight_and_laterals_spread_both_ways():
    # Trunk n0..n9, a one-node lateral at every trunk node.
    parents = np.r_[0, np.arange(9), np.arange(1, 10)]
    layout = feeder_layout(_chain_network(19, parents)).set_index("node_id")
    trunk = layout.loc[[f"n{i}" for i in range(10)], "y"]
    assert trunk.nunique() == 1
    lateral = layout.loc[[f"n{i}" for i in range(10, 19)], "y"] - trunk.iloc[0]
    assert (lateral > 0).any() and (lateral < 0).any()


@pytest.mark.parametrize("case", ["case33bw", "ieee34", "ieee123", "ieee8500"])
def test_distance_is_the_sum_of_branch_lengths_on_the_path(case):
    net = build_dataset(case)
    br = net.branches[net.branches["status"] == "closed"]
    assert br["length_km"].notna().all()
    graph = nx.Graph()
    graph.add_nodes_from(net.nodes["node_id"])
    rows = br[["branch_id", "from_node", "to_node", "length_km"]].itertuples(index=False)
    for bid, f, t, length in rows:
        # A source's Thevenin equivalent (OpenDSS import, nominal 1 km) is not feeder: 0 km.
        graph.add_edge(f, t, km=0.0 if bid.startswith("Vsource.") else float(length))
    slack = net.nodes.loc[net.nodes["type"] == "slack", "node_id"].iloc[0]
    # On a radial feeder the path is unique: Dijkstra's distance is its length.
    expected = nx.single_source_dijkstra_path_length(graph, slack, weight="km")
    layout = feeder_layout(net).set_index("node_id")
    got = layout.loc[list(expected), "distance_km"].to_numpy()
    assert np.allclose(got, list(expected.values()), rtol=1e-12, atol=1e-9)
    assert not layout["distance_estimated"].any()


def test_missing_line_length_is_estimated_from_resistance_and_flagged():
    parents = np.array([0, 0, 1, 2])
    lengths = np.array([1.0, np.nan, 2.0])
    layout = feeder_layout(_chain_network(4, parents, lengths=lengths)).set_index("node_id")
    # r = 0.01 pu on 12.47 kV, 1 MVA: 1.555 ohm.
    est = 0.01 * 12.47**2 / 1.0 / LINE_OHM_PER_KM
    assert layout.loc["n1", "distance_km"] == pytest.approx(1.0)
    assert layout.loc["n2", "distance_km"] == pytest.approx(1.0 + est)
    assert layout.loc["n3", "distance_km"] == pytest.approx(3.0 + est)
    assert layout["distance_estimated"].tolist() == [False, False, True, True]


@pytest.mark.parametrize("case", ["ieee123", "ieee8500"])
def test_data_coordinates_are_used_when_present(case):
    net = build_dataset(case)
    layout = feeder_layout(net)
    nodes = net.nodes
    known = nodes["x"].notna() & nodes["y"].notna()
    assert known.mean() > 0.9
    assert (layout.loc[known.to_numpy(), "source"] == "data").all()
    assert np.array_equal(layout.loc[known.to_numpy(), "x"], nodes.loc[known, "x"])
    assert np.array_equal(layout.loc[known.to_numpy(), "y"], nodes.loc[known, "y"])
    # Nodes without coordinates are placed, and not on top of their parent.
    missing = layout[~known.to_numpy()]
    assert (missing["source"] == "computed").all()
    assert np.isfinite(missing[["x", "y"]].to_numpy()).all()
    pos = layout.set_index("node_id")
    for row in missing.itertuples():
        parent = pos.loc[row.parent_node]
        assert (row.x, row.y) != (parent["x"], parent["y"])


def test_open_tie_starts_its_own_tree_and_is_drawn_open():
    # n0-n1-n2 closed, n3 hangs from n2 through an open branch (b2).
    net = _chain_network(4, np.array([0, 0, 1, 2]), lengths=np.ones(3), open_rows=(2,))
    layout = feeder_layout(net).set_index("node_id")
    assert layout.loc["n3", "depth"] == 0 and layout.loc["n3", "parent_node"] == ""
    assert layout.loc["n3", "distance_km"] == 0.0
    _assert_no_overlap(layout.reset_index())
    seg = feeder_segments(net).set_index("branch_id")
    assert seg["status"].tolist() == ["closed", "closed", "open"]
    assert (seg.loc["b2", ["x0", "y0"]].to_numpy() == layout.loc["n2", ["x", "y"]].to_numpy()).all()


def test_segments_of_case33bw_mark_the_five_ties():
    net = build_dataset("case33bw")
    seg = feeder_segments(net)
    assert len(seg) == len(net.branches)
    ties = seg[seg["is_tie"]]
    assert len(ties) == 5 and (ties["status"] == "open").all() and ties["is_switch"].all()
    assert np.isfinite(seg[["x0", "y0", "x1", "y1"]].to_numpy()).all()


def test_digest_changes_with_the_data_and_cache_returns_copies():
    net = build_dataset("case33bw")
    first = feeder_layout(net)
    first.loc[0, "x"] = 1e9
    assert feeder_layout(net).loc[0, "x"] != 1e9
    nodes = net.nodes.copy()
    nodes["x"] = np.arange(len(nodes), dtype=float) + 1.0
    nodes["y"] = 0.0
    moved = Network(name="t", base_mva=net.base_mva, tables={**net.tables, "dist_nodes": nodes})
    assert layout_digest(moved) != layout_digest(net)
    assert (feeder_layout(moved)["source"] == "data").all()
