"""Validation against reference results (data files) and physics checks on reference cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_pf import Method, PowerFlowOptions
from gat_schemas import read_network

ROOT = Path(__file__).resolve().parents[3]
NETWORKS = ROOT / "test_data" / "networks"
MATPOWER = ROOT / "test_data" / "matpower"
DATA = Path(__file__).resolve().parent / "data"
RADIAL = ["case33bw", "case69", "case85", "case141", "case136ma", "case118zh"]
ALL = [*RADIAL, "case9", "case30", "t_case9_pf"]


def _net(case):
    # The folders are committed (test_data/make_networks.py); a missing one is a failure.
    return read_network(NETWORKS / case)


def _kcl_error(res) -> float:
    """Largest |injection - sum of flows leaving| at any node (MVA)."""
    b = res.branches
    out = (
        pd.concat(
            [
                pd.DataFrame({"node_id": b.from_node, "p": b.p_from_mw, "q": b.q_from_mvar}),
                pd.DataFrame({"node_id": b.to_node, "p": b.p_to_mw, "q": b.q_to_mvar}),
            ]
        )
        .groupby("node_id")[["p", "q"]]
        .sum()
    )
    nodes = res.nodes.set_index("node_id")
    out = out.reindex(nodes.index, fill_value=0.0)
    return float(max(np.abs(nodes.p_mw - out.p).max(), np.abs(nodes.q_mvar - out.q).max()))


def test_t_case9_pf_matches_matpower_solution():
    net = _net("t_case9_pf")
    res = gat_pf.run_power_flow(net, options=PowerFlowOptions(tol=1e-10))
    bus = pd.read_csv(MATPOWER / "t_case9_pf_solution_bus.csv")
    br = pd.read_csv(MATPOWER / "t_case9_pf_solution_branch.csv")
    gen = pd.read_csv(MATPOWER / "t_case9_pf_solution_gen.csv")
    nodes = res.nodes.set_index("node_id")
    ids = bus.bus_i.astype(str)
    # Node ids may carry the importer's prefix; match on the trailing bus number.
    key = {nid: nid for nid in nodes.index}
    suffix = {str(int("".join(c for c in nid if c.isdigit()))): nid for nid in key}
    nid = ids.map(suffix)
    assert np.abs(nodes.loc[nid, "vm_pu"].to_numpy() - bus.Vm_pu.to_numpy()).max() < 1e-6
    assert np.abs(nodes.loc[nid, "va_deg"].to_numpy() - bus.Va_deg.to_numpy()).max() < 1e-6
    flows = res.branches
    for ours, theirs in [
        ("p_from_mw", "Pf_MW"),
        ("q_from_mvar", "Qf_MVAr"),
        ("p_to_mw", "Pt_MW"),
        ("q_to_mvar", "Qt_MVAr"),
    ]:
        assert np.abs(flows[ours].to_numpy() - br[theirs].to_numpy()).max() < 1e-6, ours
    gnode = gen.bus.astype(str).map(suffix)
    load = bus.set_index(bus.bus_i.astype(str).map(suffix))
    pg = nodes.loc[gnode, "p_mw"].to_numpy() + load.loc[gnode, "Pd_MW"].to_numpy()
    qg = nodes.loc[gnode, "q_mvar"].to_numpy() + load.loc[gnode, "Qd_MVAr"].to_numpy()
    assert np.abs(pg - gen.Pg_MW.to_numpy()).max() < 1e-6
    assert np.abs(qg - gen.Qg_MVAr.to_numpy()).max() < 1e-6


def test_reference_results():
    ref = pd.read_csv(DATA / "reference_results.csv", dtype={"node_id": str})
    for case, rows in ref.groupby("case"):
        res = gat_pf.run_power_flow(_net(case), options=PowerFlowOptions(tol=1e-10))
        summary = res.summary.iloc[0]
        for row in rows.itertuples():
            assert abs(summary[row.quantity] - row.value) <= row.abs_tol, (case, row.quantity)
            if isinstance(row.node_id, str):
                node = summary[row.quantity.replace("_pu", "_node")]
                assert node.split("_")[-1].lstrip("b") == row.node_id or node == row.node_id


@pytest.mark.parametrize("case", RADIAL)
def test_nr_and_sweep_agree_on_radial_cases(case):
    model = gat_pf.build_model(_net(case))
    assert model.is_radial
    bfs = gat_pf.run_power_flow(model, options=PowerFlowOptions(method=Method.BFS, tol=1e-11))
    nr = gat_pf.run_power_flow(model, options=PowerFlowOptions(method=Method.NR, tol=1e-9))
    assert np.abs(bfs.voltages - nr.voltages).max() < 1e-8


@pytest.mark.parametrize("case", ALL)
def test_power_balance_and_kcl(case):
    model = gat_pf.build_model(_net(case))
    res = gat_pf.run_power_flow(model, options=PowerFlowOptions(tol=1e-11))
    base = model.base_mva
    p_gap = res.nodes.p_mw.sum() - res.branches.p_loss_mw.sum()
    q_gap = res.nodes.q_mvar.sum() - res.branches.q_loss_mvar.sum()
    assert abs(p_gap) / base < 1e-9 and abs(q_gap) / base < 1e-9
    assert _kcl_error(res) / base < 1e-9
    s = res.summary.iloc[0]
    assert s.total_gen_mw - s.total_load_mw == pytest.approx(s.p_loss_mw, abs=1e-9 * base)
