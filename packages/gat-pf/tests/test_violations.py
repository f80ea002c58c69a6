"""Voltage-band and thermal violations in the pf and pf3 result tables, checked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_schemas import Network, read_network, validate_table

REPO = Path(__file__).resolve().parents[3]
NETS = REPO / "test_data" / "networks"


@pytest.fixture(scope="module")
def case33() -> Network:
    return read_network(NETS / "case33bw")


@pytest.fixture(scope="module")
def case30() -> Network:
    return read_network(NETS / "case30")


def _limits(net: Network) -> pd.DataFrame:
    return net.tables["dist_nodes"].set_index("node_id")[["v_min", "v_max"]]


def _expected_labels(vm: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[object]:
    return [
        "under" if v < a - 1e-9 else "over" if v > b + 1e-9 else ""
        for v, a, b in zip(vm, lo, hi, strict=True)
    ]


def test_nodes_below_v_min_are_labelled_and_counted(case33: Network) -> None:
    res = gat_pf.run_power_flow(case33, load_scale=1.6)
    nodes = res.nodes
    lim = _limits(case33).loc[nodes["node_id"]]
    assert np.array_equal(nodes["v_min"], lim["v_min"]) and np.array_equal(
        nodes["v_max"], lim["v_max"]
    )
    expect = _expected_labels(nodes["vm_pu"], lim["v_min"].to_numpy(), lim["v_max"].to_numpy())
    assert nodes["violation"].tolist() == expect
    under = nodes["violation"] == "under"
    assert under.sum() >= 10  # the feeder end drops below 0.9 pu at 1.6 x load
    gap = (lim["v_min"].to_numpy() - nodes["vm_pu"].to_numpy())[under.to_numpy()]
    assert np.allclose(nodes.loc[under, "v_violation_pu"], gap) and (gap > 0).all()
    assert (nodes.loc[~under, "v_violation_pu"] == 0).all()
    s = res.summary.iloc[0]
    assert s["n_under_v_min"] == under.sum() and s["n_over_v_max"] == 0
    assert s["n_overloaded"] == 0 and pd.isna(s["loading_max_pct"])
    assert s["loading_max_branch"] is None
    for name, df in (
        ("pf_nodes", nodes),
        ("pf_branches", res.branches),
        ("pf_summary", res.summary),
    ):
        assert validate_table(name, df) == []


def test_over_voltage_and_slack_held_at_its_limit(case33: Network) -> None:
    nodes = case33.tables["dist_nodes"].copy()
    slack = nodes["type"] == "slack"
    nodes.loc[slack, ["v_min", "v_max"]] = nodes.loc[slack, "v_set"].iloc[0]
    nodes.loc[nodes["node_id"] == "18", "load_p"] = -3.0  # a generator at the feeder end
    nodes.loc[~slack, "v_max"] = 1.02
    res = gat_pf.run_power_flow(case33.with_table("dist_nodes", nodes))
    got = res.nodes.set_index("node_id")
    assert got.loc["1", "violation"] == ""  # exactly at v_min = v_max = v_set
    over = got[got["violation"] == "over"]
    assert "18" in over.index and (over["vm_pu"] > 1.02).all()
    assert np.allclose(over["v_violation_pu"], over["vm_pu"] - 1.02)
    assert res.summary.iloc[0]["n_over_v_max"] == len(over)


def test_branch_loading_and_overload_from_the_flows(case30: Network) -> None:
    res = gat_pf.run_power_flow(case30, load_scale=1.8)
    br = res.branches
    rating = case30.tables["dist_branches"].set_index("branch_id").loc[br["branch_id"]]
    assert np.array_equal(
        br["rating_mva"].to_numpy(), rating["thermal_limit"].to_numpy(), equal_nan=True
    )
    s_from = np.hypot(br["p_from_mw"], br["q_from_mvar"])
    s_to = np.hypot(br["p_to_mw"], br["q_to_mvar"])
    expect = np.maximum(s_from, s_to) / br["rating_mva"] * 100.0
    assert np.allclose(br["loading_pct"], expect, equal_nan=True)
    assert (br["overloaded"] == (expect > 100.0)).all()
    s = res.summary.iloc[0]
    assert s["n_overloaded"] == (expect > 100.0).sum() > 0
    k = int(np.nanargmax(expect))
    assert s["loading_max_pct"] == pytest.approx(expect[k])
    assert s["loading_max_branch"] == br["branch_id"].iloc[k]


def test_batch_counts_per_scenario(case33: Network) -> None:
    model = gat_pf.build_model(case33)
    batch = gat_pf.solve_batch(model, load_scale=np.array([1.0, 1.6]))
    nodes, _, summary = gat_pf.batch_tables(model, batch, ["base", "heavy"])
    counts = nodes[nodes["violation"] == "under"].groupby("scenario_id").size()
    assert summary["n_under_v_min"].tolist() == [counts.get("base", 0), counts["heavy"]]
    assert counts.get("base", 0) < counts["heavy"]
    assert validate_table("pf_summary", summary) == []


def test_three_phase_limits_match_the_balanced_solution(case33: Network) -> None:
    """On a balanced network every phase sees the balanced voltage, and a conductor's rated
    current is the branch rating over 3 phases at nominal voltage: loading = |S| / vm."""
    br = case33.tables["dist_branches"].copy()
    br["thermal_limit"] = 3.0
    br.loc[br.index[-3:], "thermal_limit"] = np.nan  # some unrated branches
    net = case33.with_table("dist_branches", br)
    bal = gat_pf.run_power_flow(net, load_scale=1.8)
    res = gat_pf.run_power_flow_3ph(net, load_scale=1.8)
    n3 = res.nodes
    lim = _limits(net).loc[n3["node_id"]]
    expect = _expected_labels(n3["vm_pu"], lim["v_min"].to_numpy(), lim["v_max"].to_numpy())
    assert n3["violation"].tolist() == expect
    per_node = bal.nodes.set_index("node_id")["violation"].to_dict()
    assert all(per_node[n] == v for n, v in zip(n3["node_id"], n3["violation"], strict=True))
    b = bal.branches.set_index("branch_id")
    vm = bal.nodes.set_index("node_id")["vm_pu"]
    s_f = np.hypot(b["p_from_mw"], b["q_from_mvar"]) / vm.loc[b["from_node"]].to_numpy()
    s_t = np.hypot(b["p_to_mw"], b["q_to_mvar"]) / vm.loc[b["to_node"]].to_numpy()
    expect_pct = np.maximum(s_f, s_t) / b["rating_mva"] * 100.0
    b3 = res.branches.groupby("branch_id")["loading_pct"].max()
    assert np.allclose(b3, expect_pct.loc[b3.index], rtol=1e-6, equal_nan=True)
    base_kv = net.tables["dist_nodes"].set_index("node_id")["base_kv"]
    frm = b.loc[res.branches["branch_id"], "from_node"]
    amp = (
        b.loc[res.branches["branch_id"], "rating_mva"].to_numpy()
        * 1e3
        / (3 * base_kv.loc[frm].to_numpy() / np.sqrt(3.0))
    )
    assert np.allclose(res.branches["ampacity_a"], amp, equal_nan=True)
    s = res.summary.iloc[0]
    assert s["n_under_v_min"] == (n3["violation"] == "under").sum() > 0
    assert s["n_overloaded"] == bal.summary.iloc[0]["n_overloaded"] > 0
    for name, df in (
        ("pf3_nodes", n3),
        ("pf3_branches", res.branches),
        ("pf3_summary", res.summary),
    ):
        assert validate_table(name, df) == []
