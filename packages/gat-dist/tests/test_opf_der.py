"""OPF with controllable DER: losses, curtailment, cost, limits, infeasibility, hosting capacity."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opf_testlib import REPO, assets, check_tables, network, read_csv_table

import gat_pf
from gat_dist.opf import OpfOptions, hostcap_opf, run_opf
from gat_schemas import SolverError

pytestmark = pytest.mark.solver

AC_TOL_PU = 1e-6


def _ac_ok(summary: pd.Series, tol: float = AC_TOL_PU) -> None:
    assert summary["ac_converged"]
    assert summary["ac_vm_violation_pu"] <= tol
    assert summary["ac_thermal_violation_pct"] <= 1e-4


@pytest.mark.parametrize("formulation", ["socp", "lindistflow"])
def test_loss_objective_with_pv_and_battery_reduces_losses(formulation: str) -> None:
    net = network("case33bw")
    base = gat_pf.run_power_flow(net).summary.iloc[0]["p_loss_mw"]
    result = run_opf(net, assets=assets(), options=OpfOptions(formulation=formulation))
    s = result.summary.iloc[0]
    assert s["ac_p_loss_mw"] < 0.7 * base
    _ac_ok(s)
    der = result.der.set_index("asset_id")
    # Set points within the asset limits and inside the inverter circles.
    a = assets().set_index("asset_id")
    assert (der["p_mw"] <= a["p_max"] + 1e-9).all() and (der["p_mw"] >= a["p_min"] - 1e-9).all()
    assert (der["s_mva"] <= a["s_max"] + 1e-9).all()
    if formulation == "socp":
        assert s["relaxation_gap_pu"] < 1e-6 and s["vm_error_max_pu"] < 1e-6
        assert s["p_loss_mw"] == pytest.approx(s["ac_p_loss_mw"], abs=1e-6)
    else:
        assert 0 < s["vm_error_max_pu"] < 0.01
    check_tables(result)


def test_curtailment_objective_with_tight_v_max_curtails_and_verifies() -> None:
    net = network("case33bw")
    big = assets(p_max=[4.0, 0.5], q_min=[-0.2, -0.1], q_max=[0.2, 0.1], s_max=[4.5, 0.6])
    opts = OpfOptions(objective="curtailment", v_max=1.03)
    result = run_opf(net, assets=big, options=opts)
    s = result.summary.iloc[0]
    pv = result.der.set_index("asset_id").loc["pv18"]
    assert pv["curtailment_mw"] > 0.1
    assert s["curtailment_mw"] == pytest.approx(pv["curtailment_mw"])
    assert s["vm_max_pu"] == pytest.approx(1.03, abs=1e-6)  # the limit binds
    _ac_ok(s)
    assert s["ac_vm_max_pu"] <= 1.03 + AC_TOL_PU
    # Looser limit, less curtailment.
    loose = run_opf(net, assets=big, options=OpfOptions(objective="curtailment", v_max=1.05))
    assert loose.summary.iloc[0]["curtailment_mw"] < s["curtailment_mw"]


def test_infeasible_voltage_floor_names_the_voltage_family() -> None:
    net = network("case33bw")
    with pytest.raises(SolverError, match=r"infeasible.*voltage limits") as info:
        run_opf(net, options=OpfOptions(v_min=0.95))
    assert "node 18" in str(info.value) and info.value.exit_code == 3


def test_cost_objective_dispatches_cheaper_than_import() -> None:
    net = network("case33bw")
    der = read_csv_table(REPO / "test_data" / "assets" / "case33bw_der.csv", "der_assets")
    curves = read_csv_table(
        REPO / "test_data" / "assets" / "case33bw_cost_curves.csv", "der_cost_curves"
    )
    dear = run_opf(
        net, assets=der, cost_curves=curves, options=OpfOptions(objective="cost", import_price=50)
    )
    p = dear.der.set_index("asset_id")["p_mw"]
    assert p["bat25"] == pytest.approx(0.4, abs=1e-6)  # 20 < 50 currency/MWh: discharge fully
    available = der.set_index("asset_id")["p_max"]
    assert p["pv18"] == pytest.approx(available["pv18"], abs=1e-6)
    assert p["pv33"] == pytest.approx(available["pv33"], abs=1e-6)
    cheap = run_opf(
        net, assets=der, cost_curves=curves, options=OpfOptions(objective="cost", import_price=5)
    )
    assert cheap.der.set_index("asset_id")["p_mw"]["bat25"] == pytest.approx(-0.4, abs=1e-6)
    s = dear.summary.iloc[0]
    cost = dear.der["cost_per_h"].sum() + 50 * s["import_mw"] + s["loss_weight"] * s["p_loss_mw"]
    assert s["objective_value"] == pytest.approx(cost, rel=1e-6)
    _ac_ok(s)
    with pytest.raises(Exception, match="der_cost_curves"):
        run_opf(net, assets=der, options=OpfOptions(objective="cost"))


def test_reverse_flow_limit_holds_at_the_feeder_head() -> None:
    net = network("case33bw")
    big = assets(bus_id=["2", "3"], p_max=[5.0, 0.5], s_max=[5.5, 0.6])
    free = run_opf(net, assets=big, options=OpfOptions(objective="curtailment"))
    assert free.summary.iloc[0]["import_mw"] < -0.5
    held = run_opf(
        net, assets=big, options=OpfOptions(objective="curtailment", reverse_flow_limit_mw=0.2)
    )
    s = held.summary.iloc[0]
    assert s["import_mw"] == pytest.approx(-0.2, abs=1e-6)
    assert s["curtailment_mw"] > 0
    _ac_ok(s)


def test_thermal_limits_are_enforced_lazily_and_verified() -> None:
    net = network("case33bw")
    branches = net.branches.copy()
    branches.loc[branches["branch_id"] == "1", "thermal_limit"] = 3.0
    from gat_schemas import Network

    limited = Network(
        name="case33bw_rated",
        base_mva=net.base_mva,
        tables={**dict(net.tables), "dist_branches": branches},
    )
    result = run_opf(limited, assets=assets(), options=OpfOptions(objective="cost", import_price=1))
    s = result.summary.iloc[0]
    row = result.branches.set_index("branch_id").loc["1"]
    assert row["loading_pct"] <= 100.0 + 1e-3
    assert row["loading_ac_pct"] <= 100.0 + 1e-3
    _ac_ok(s)
    with pytest.raises(SolverError, match="thermal limits"):
        run_opf(limited, options=OpfOptions())  # no DER: 3.9 MW must cross a 3 MVA branch


def _brute_force_capacity(net, node: str, v_max: float, load_scale: float) -> float:  # type: ignore[no-untyped-def]
    """Largest injection (MW, unity pf, 1 kW steps) whose AC power flow keeps vm <= v_max."""
    model = gat_pf.build_model(net)
    steps = np.arange(0.0, 6.0, 0.001)
    gen = np.zeros((len(steps), model.n_nodes))
    gen[:, list(model.node_ids).index(node)] = steps
    batch = gat_pf.solve_batch(model, gen_p_mw=gen, load_scale=load_scale)
    ok = np.abs(batch.voltages).max(axis=1) <= v_max
    return float(steps[ok].max())


def test_hostcap_matches_brute_force_sweep_and_physics() -> None:
    net = network("case33bw")
    nodes = ["18", "33", "10", "6"]
    opts = OpfOptions(objective="hostcap", v_max=1.05, enforce_thermal=False)
    result = hostcap_opf(net, nodes, options=opts, max_injection_mw=10.0, load_scales=(1.0, 0.3))
    table = result.summary.set_index(["load_scale", "bus_id"])["hosting_capacity_mw"]
    for node in ("18", "33", "10"):
        brute = _brute_force_capacity(net, node, 1.05, 1.0)
        assert table[(1.0, node)] == pytest.approx(brute, abs=2e-3)
    assert (result.summary["ac_vm_violation_pu"] <= AC_TOL_PU).all()
    # Capacity grows towards the substation (18 < 10 < 6 along one lateral) ...
    assert table[(1.0, "18")] < table[(1.0, "10")] < table[(1.0, "6")]
    # ... and falls at light load.
    for node in nodes:
        assert table[(0.3, node)] < table[(1.0, node)]
    assert set(result.summary["limiting_constraint"]) <= {"voltage", "search_cap"}


def test_dc_with_der_on_a_meshed_network() -> None:
    net = network("case9")
    der = assets(
        bus_id=["5", "7"],
        p_min=[0.0, -30.0],
        p_max=[50.0, 30.0],
        q_min=[-10.0, -10.0],
        q_max=[10.0, 10.0],
        s_max=[60.0, 40.0],
    )
    base = run_opf(net, options=OpfOptions(formulation="dc")).summary.iloc[0]
    result = run_opf(net, assets=der, options=OpfOptions(formulation="dc"))
    s = result.summary.iloc[0]
    assert s["p_loss_mw"] < base["p_loss_mw"]
    # Lossless balance: import + DER + fixed generation = load.
    sources = net.nodes[net.nodes["type"] == "source"]
    gen = sources["gen_p"].fillna(0.0).sum()
    assert s["import_mw"] + s["der_p_mw"] + gen == pytest.approx(net.nodes["load_p"].sum())
    assert s["ac_converged"] and s["ac_p_loss_mw"] < base["ac_p_loss_mw"]
    check_tables(result)
