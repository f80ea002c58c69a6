"""OPF validation: socp reproduces the AC power flow, lindistflow error, dc against gat-pf DC."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pytest
from gat_dist_opf_testlib import check_tables, network, reference

import gat_pf
from gat_dist.opf import Formulation, OpfOptions, OpfProblem, run_opf

pytestmark = pytest.mark.solver


@pytest.mark.parametrize("seed_cuts", [True, False], ids=["seeded", "cold"])
def test_socp_loss_without_der_reproduces_ac_power_flow(seed_cuts: bool) -> None:
    net = network("case33bw")
    result = run_opf(net, options=OpfOptions(seed_cuts=seed_cuts))
    s = result.summary.iloc[0]
    loss, tol = reference("case33bw", "p_loss_mw")
    assert s["p_loss_mw"] == pytest.approx(loss, abs=tol)
    gap, gap_tol = reference("case33bw", "relaxation_gap_pu")
    assert abs(s["relaxation_gap_pu"] - gap) < gap_tol
    vmin, vtol = reference("case33bw", "vm_min_pu")
    assert s["vm_min_pu"] == pytest.approx(vmin, abs=vtol)
    assert s["status"] == "optimal" and s["cone_violation"] <= 1e-7
    # Same operating point as the AC power flow, node by node.
    pf = gat_pf.run_power_flow(net, options=gat_pf.PowerFlowOptions(tol=1e-10))
    assert np.abs(result.nodes["vm_pu"].to_numpy() - pf.nodes["vm_pu"].to_numpy()).max() < 1e-6
    assert s["ac_converged"] and s["vm_error_max_pu"] < 1e-6
    assert s["ac_p_loss_mw"] == pytest.approx(s["p_loss_mw"], abs=1e-6)
    # Physics: the losses are the sum of the branch losses, import = load + losses.
    assert result.branches["p_loss_mw"].sum() == pytest.approx(s["p_loss_mw"], abs=1e-7)
    load = net.nodes["load_p"].sum()
    assert s["import_mw"] == pytest.approx(load + s["p_loss_mw"], abs=1e-7)
    if not seed_cuts:
        assert s["cut_rounds"] > 1  # the cut loop did the work
    check_tables(result)


def test_lindistflow_voltage_error_is_reported_and_plausible() -> None:
    net = network("case33bw")
    result = run_opf(net, options=OpfOptions(formulation="lindistflow"))
    s = result.summary.iloc[0]
    err = np.abs(result.nodes["vm_pu"] - result.nodes["vm_ac_pu"]).max()
    assert s["vm_error_max_pu"] == pytest.approx(err)
    # Dropping the losses overestimates voltages by a few thousandths on this feeder.
    assert 1e-4 < s["vm_error_max_pu"] < 0.01
    assert (result.nodes["vm_pu"] >= result.nodes["vm_ac_pu"] - 1e-9).all()
    assert np.isnan(s["relaxation_gap_pu"])
    check_tables(result)


def test_dc_on_meshed_case9_matches_gat_pf_dc() -> None:
    net = network("case9")
    result = run_opf(net, options=OpfOptions(formulation=Formulation.DC, objective="loss"))
    dc = gat_pf.run_power_flow(net, options=gat_pf.PowerFlowOptions(method="dc"))
    merged = result.branches.merge(dc.branches, on="branch_id", suffixes=("", "_dc"))
    assert len(merged) == len(dc.branches)
    assert np.abs(merged["p_from_mw"] - merged["p_from_mw_dc"]).max() < 1e-6
    va = result.nodes.merge(dc.nodes, on="node_id", suffixes=("", "_dc"))
    assert np.abs(va["va_deg"] - va["va_deg_dc"]).max() < 1e-6
    s = result.summary.iloc[0]
    assert s["ac_converged"] and s["import_mw"] == pytest.approx(dc.nodes["p_mw"].iloc[0])
    check_tables(result)


def test_branch_flow_formulations_refuse_meshed_networks() -> None:
    from gat_schemas import InputError

    with pytest.raises(InputError, match="radial"):
        run_opf(network("case9"), options=OpfOptions(formulation="socp"))


def test_reusing_the_model_matches_a_fresh_build_at_another_load_level() -> None:
    net = network("case33bw")
    prob = OpfProblem(net, options=OpfOptions())
    first = prob.solve()
    prob.set_load_scale(0.6)
    again = prob.solve()
    fresh = run_opf(net, options=OpfOptions(load_scale=0.6))
    a, b = again.summary.iloc[0], fresh.summary.iloc[0]
    assert a["p_loss_mw"] == pytest.approx(b["p_loss_mw"], abs=1e-6)  # cone_tol 1e-7
    assert a["build_s"] == 0.0 and first.summary.iloc[0]["build_s"] > 0
    pf = gat_pf.run_power_flow(net, load_scale=0.6)
    assert a["p_loss_mw"] == pytest.approx(pf.summary.iloc[0]["p_loss_mw"], abs=1e-6)


def test_options_are_checked() -> None:
    from gat_schemas import InputError

    with pytest.raises(InputError, match="formulation"):
        OpfOptions(formulation="acopf")
    with pytest.raises(InputError, match="objective"):
        OpfOptions(objective="profit")
    with pytest.raises(InputError, match="v_min"):
        OpfOptions(v_min=1.05, v_max=0.95)
    with pytest.raises(InputError, match="reverse_flow_limit_mw"):
        OpfOptions(reverse_flow_limit_mw=-1.0)


def test_constant_impedance_loads_are_exact_in_socp() -> None:
    from gat_schemas import Network

    net = network("case33bw")
    nodes = net.nodes.assign(load_z_frac=0.5)
    zip_net = Network(
        name="case33bw_z", base_mva=net.base_mva, tables={**dict(net.tables), "dist_nodes": nodes}
    )
    result = run_opf(zip_net, options=OpfOptions())
    pf = gat_pf.run_power_flow(zip_net, options=gat_pf.PowerFlowOptions(tol=1e-10))
    s = result.summary.iloc[0]
    assert s["p_loss_mw"] == pytest.approx(pf.summary.iloc[0]["p_loss_mw"], abs=1e-6)
    assert np.abs(result.nodes["vm_pu"].to_numpy() - pf.nodes["vm_pu"].to_numpy()).max() < 1e-6
    # Net injections agree with the power flow's (load drawn at the solved voltage).
    assert np.abs(result.nodes["p_mw"].to_numpy() - pf.nodes["p_mw"].to_numpy()).max() < 1e-6


def test_load_sweep_on_one_model_tracks_the_power_flow() -> None:
    net = network("case33bw")
    prob = OpfProblem(net, options=OpfOptions())
    model = gat_pf.build_model(net)
    for scale in (0.3, 1.0, 0.7, 0.5, 0.9, 0.4, 0.8):
        prob.set_load_scale(scale)
        s = prob.solve().summary.iloc[0]
        ref = gat_pf.run_power_flow(model, load_scale=scale).summary.iloc[0]
        assert s["p_loss_mw"] == pytest.approx(ref["p_loss_mw"], abs=1e-6), scale
        assert s["relaxation_gap_pu"] < 1e-6
    # The seed cuts move with the load level instead of piling up.
    assert prob.solver.total_cuts <= 3 * len(net.branches)


@pytest.mark.parametrize(
    "case", ["case33bw", "case69", "case85", "case141", "case136ma", "case118zh"]
)
def test_socp_without_der_reproduces_the_power_flow_on_every_radial_feeder(case: str) -> None:
    # Some of these feeders are below 0.9 pu at base load: a low floor keeps them feasible.
    net = network(case)
    result = run_opf(net, options=OpfOptions(v_min=0.5))
    pf = gat_pf.run_power_flow(net, options=gat_pf.PowerFlowOptions(tol=1e-10))
    s = result.summary.iloc[0]
    assert s["p_loss_mw"] == pytest.approx(pf.summary.iloc[0]["p_loss_mw"], abs=1e-6)
    assert s["relaxation_gap_pu"] < 1e-6 and s["vm_error_max_pu"] < 1e-6
    assert s["ac_vm_violation_pu"] == 0.0


def test_tapped_branches_either_way_round_match_the_power_flow() -> None:
    from gat_schemas import Network

    net = network("case33bw")
    br = net.branches.copy()
    br.loc[br["branch_id"] == "1", "tap"] = 0.98  # tap at the parent (from) end
    flip = br["branch_id"] == "6"  # reversed: the tap sits at the child end
    br.loc[flip, ["from_node", "to_node"]] = br.loc[flip, ["to_node", "from_node"]].to_numpy()
    br.loc[flip, "tap"] = 1.03
    br.loc[br["branch_id"] == "3", "b"] = 0.002  # line charging too
    tapped = Network(
        name="case33bw_taps",
        base_mva=net.base_mva,
        tables={**dict(net.tables), "dist_branches": br},
    )
    result = run_opf(tapped, options=OpfOptions(v_min=0.5))
    pf = gat_pf.run_power_flow(tapped, options=gat_pf.PowerFlowOptions(tol=1e-10))
    s = result.summary.iloc[0]
    assert s["p_loss_mw"] == pytest.approx(pf.summary.iloc[0]["p_loss_mw"], abs=1e-6)
    assert np.abs(result.nodes["vm_pu"].to_numpy() - pf.nodes["vm_pu"].to_numpy()).max() < 1e-6
    merged = result.branches.merge(pf.branches, on="branch_id", suffixes=("", "_pf"))
    for col in ("p_from_mw", "q_from_mvar", "p_to_mw", "q_to_mvar"):
        assert np.abs(merged[col] - merged[f"{col}_pf"]).max() < 1e-6, col
