"""FLISR behaviour: limits that block a transfer are reported, AC checks, automation,
scripted scenarios, node and device faults, and case33bw with its five ties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_adms import FlisrOptions, expected_indices, simulate_flisr
from gat_dist.table_files import read_table_file
from gat_schemas import InputError, Network, read_network, validate_table

DATA = Path(__file__).resolve().parents[3] / "test_data" / "adms"


def _tables(prefix: str, devices: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    rel = read_table_file(DATA / f"{prefix}_reliability.csv", "reliability")
    dev = read_table_file(DATA / f"{devices or prefix}_switching_devices.csv", "switching_devices")
    return rel, dev


def _with(net: Network, table: str, df: pd.DataFrame) -> Network:
    return Network(net.name, net.base_mva, {**net.tables, table: df})


@pytest.fixture(scope="module")
def case33():  # type: ignore[no-untyped-def]
    net = read_network(DATA / "case33bw")
    rel, dev = _tables("case33bw")
    return net, rel, dev, simulate_flisr(net, rel, dev)


def test_a_capacitor_enters_the_balanced_ac_check(case33) -> None:  # type: ignore[no-untyped-def]
    # A closed capacitor on a balanced network is a shunt in the power flow; the AC check
    # solves the energised part of each configuration, which must keep it (it was left
    # out: 0.027 pu at node 30 for 1.2 Mvar there).
    from gat_adms.flisr.ac import AcChecker
    from gat_adms.flisr.grid import build_grid

    net, rel, dev, _ = case33
    caps = pd.DataFrame(
        {"cap_id": ["C1"], "node_id": ["30"], "phase": ["ABC"], "q_mvar": [1.2]}
    ).assign(status="closed")
    with_cap = _with(net, "dist_caps", caps)
    checker = AcChecker(with_cap, build_grid(with_cap, dev))
    want = gat_pf.run_power_flow(with_cap).nodes["vm_pu"].to_numpy(float)
    without = gat_pf.run_power_flow(net).nodes["vm_pu"].to_numpy(float)
    assert np.abs(want - without).max() > 0.01
    np.testing.assert_allclose(checker.normal.vm, want, rtol=0, atol=1e-9)
    # Every fault, including those that de-energise the capacitor's node, is simulated.
    res = simulate_flisr(with_cap, rel, dev)
    assert len(res.runs) == len(simulate_flisr(net, rel, dev).runs)


def test_a_tie_too_weak_for_the_transfer_is_reported() -> None:
    net = read_network(DATA / "feeder4_tie")
    rel, dev = _tables("feeder4", "feeder4_tie")
    br = net.branches.copy()
    # 0.5 MVA through the tie: after fault M1 only D (0.4 + j0.12 MVA) fits, B and C do not.
    br.loc[br["branch_id"] == "TIE", "thermal_limit"] = 0.5
    res = simulate_flisr(_with(net, "dist_branches", br), rel, dev)
    m1 = res.runs.set_index("fault_element").loc["M1"]
    assert m1["closed_ties"] == "TIE" and m1["transfer_status"] == "partial"
    assert m1["customers_transferred"] == 50 and m1["customers_blocked_by_limits"] == 250
    assert m1["ac_check_ok"]
    # Too weak for anything: nothing transferred, every reachable customer blocked.
    br.loc[br["branch_id"] == "TIE", "thermal_limit"] = 0.1
    res = simulate_flisr(_with(net, "dist_branches", br), rel, dev)
    m1 = res.runs.set_index("fault_element").loc["M1"]
    assert m1["closed_ties"] == "" and m1["transfer_status"] == "none"
    assert m1["customers_blocked_by_limits"] == 300 and m1["customers_awaiting_repair"] == 500


def test_voltage_limits_block_a_long_transfer() -> None:
    net = read_network(DATA / "feeder4_tie")
    rel, dev = _tables("feeder4", "feeder4_tie")
    br = net.branches.copy()
    tie = br["branch_id"] == "TIE"
    # A 15 km tie: carrying B + C + D (1.8 MW) would drop about 9 %, below v_min = 0.95.
    br.loc[tie, ["r", "x"]] = br.loc[tie, ["r", "x"]].to_numpy() * 15
    res = simulate_flisr(_with(net, "dist_branches", br), rel, dev)
    m1 = res.runs.set_index("fault_element").loc["M1"]
    assert 0 < m1["customers_transferred"] < 300
    assert m1["customers_blocked_by_limits"] == 300 - m1["customers_transferred"]
    assert m1["ac_check_ok"] and m1["ac_v_min_pu"] >= 0.95 - 1e-4
    assert res.runs["ac_check_ok"].all()


def test_case33bw_every_restoration_is_radial_and_ac_feasible(case33) -> None:  # type: ignore[no-untyped-def]
    net, _, _, res = case33
    assert validate_table("flisr_runs", res.runs) == []
    assert res.runs["ac_check_ok"].all()
    assert (res.runs["closed_ties"] != "").sum() >= 10  # the ties are used
    nodes, branches = net.nodes, net.branches
    for element, live, closed in zip(res.impacts.elements, res.energised, res.closed, strict=True):
        if element == "CB1":  # the head breaker fails: the source bus goes with it
            assert not live.any()
            continue
        sub = Network(
            net.name,
            net.base_mva,
            {
                "dist_nodes": nodes[live],
                "dist_branches": branches[closed].assign(status="closed"),
            },
        )
        assert closed.sum() == live.sum() - 1  # one source: a single tree
        pf = gat_pf.run_power_flow(sub)
        assert pf.converged
        # Not worse than the normal state's lowest voltage (0.913 pu at peak).
        assert pf.nodes["vm_pu"].min() >= min(0.9, 0.913) - 1e-4
        p_in = pf.summary["total_gen_mw"].iloc[0]
        assert p_in == pytest.approx(
            pf.summary["total_load_mw"].iloc[0] + pf.summary["p_loss_mw"].iloc[0], abs=1e-6
        )


def test_case33bw_automated_switching_is_momentary(case33) -> None:  # type: ignore[no-untyped-def]
    _, _, _, res = case33
    runs = res.runs.set_index("fault_element")
    # Branch 4 lies between the automated sectionalizers S1 and S2: nodes above S1 are back
    # in 3 min (momentary), not a sustained interruption.
    assert runs.loc["4", "customers_momentary"] > 0
    assert runs.loc["4", "tripped_device"] == "CB1"
    # A lateral fault is cleared by its fuse and nobody else notices.
    assert runs.loc["23", "tripped_device"] == "F2" and runs.loc["23", "opened_devices"] == ""


def test_more_automation_never_raises_saidi(case33) -> None:  # type: ignore[no-untyped-def]
    net, rel, dev, res = case33
    base = expected_indices(res.impacts)
    auto = dev.copy()
    auto["automated"] = True
    auto["operate_time_h"] = np.minimum(auto["operate_time_h"], 0.05)
    faster = expected_indices(simulate_flisr(net, rel, auto).impacts)
    assert faster.saidi <= base.saidi + 1e-12 and faster.saifi <= base.saifi + 1e-12
    assert faster.saidi < base.saidi


def test_scripted_scenarios_use_their_durations(case33) -> None:  # type: ignore[no-untyped-def]
    net, rel, dev, full = case33
    scen = read_table_file(DATA / "case33bw_outage_scenarios.csv", "outage_scenarios")
    res = simulate_flisr(net, rel, dev, scenarios=scen)
    assert validate_table("flisr_runs", res.runs) == []
    assert res.runs["scenario_id"].tolist() == scen["scenario_id"].tolist()
    assert res.runs["repair_time_h"].tolist() == scen["duration_h"].tolist()
    assert res.impacts.elements == tuple(scen["element_id"])
    by = full.runs.set_index("fault_element")
    storm = res.runs.set_index("scenario_id").loc["storm-7"]
    # 12 h instead of the 5 h mean: the same customers, more energy for those left waiting.
    assert storm["customers_interrupted"] == by.loc["7", "customers_interrupted"]
    assert storm["unserved_mwh"] > by.loc["7", "unserved_mwh"]


def test_a_scenario_with_two_elements_is_refused(case33) -> None:  # type: ignore[no-untyped-def]
    net, rel, dev, _ = case33
    scen = pd.DataFrame(
        {"scenario_id": ["s", "s"], "element_id": ["3", "7"], "start_h": 0.0, "duration_h": 2.0}
    )
    with pytest.raises(InputError, match="single faults"):
        simulate_flisr(net, rel, dev, scenarios=scen)


def test_node_device_and_open_tie_faults() -> None:
    net = read_network(DATA / "feeder4_tie")
    _, dev = _tables("feeder4", "feeder4_tie")
    rel = pd.DataFrame(
        {
            "element_id": ["2", "CB", "TIE", "S"],
            "element_type": ["node", "device", "branch", "node"],
            "failure_rate_per_yr": [0.01, 0.02, 0.05, 0.001],
            "repair_time_h": [6.0, 8.0, 3.0, 10.0],
        }
    )
    res = simulate_flisr(net, rel, dev)
    runs = res.runs.set_index("fault_element")
    # Bus fault at node 2: like M2 (A by re-closing, C and D through the tie, B waits).
    assert runs.loc["2", "customers_restored_by_switching"] == 350
    # The breaker fails: it can neither clear nor isolate its own failure; the implicit
    # source breaker trips and the substation side goes with it (B, C, D through the tie).
    assert pd.isna(runs.loc["CB", "tripped_device"])
    assert runs.loc["CB", "customers_transferred"] == 300
    # A fault on the idle tie interrupts nobody.
    assert runs.loc["TIE", "customers_interrupted"] == 0 and runs.loc["TIE", "unserved_mwh"] == 0
    # The substation bus: no protective device above it (the implicit source breaker
    # trips); the whole feeder can reach T, as much as the voltage limits allow moves.
    s = runs.loc["S"]
    assert pd.isna(s["tripped_device"]) and s["customers_interrupted"] == 500
    assert s["customers_transferred"] > 300
    assert s["customers_transferred"] + s["customers_blocked_by_limits"] == 500
    assert s["ac_check_ok"]


def test_a_plan_the_ac_check_refuses_is_reported_or_corrected() -> None:
    net = read_network(DATA / "feeder4_tie")
    rel, dev = _tables("feeder4", "feeder4_tie")
    br = net.branches.copy()
    tie = br["branch_id"] == "TIE"
    # A 7.5 km tie: lossless LinDistFlow lets B, C and D (250 customers) through after fault
    # M1, but the AC power flow, with losses, finds D below 0.95 pu.
    br.loc[tie, ["r", "x"]] = br.loc[tie, ["r", "x"]].to_numpy() * 7.5
    weak = _with(net, "dist_branches", br)
    # Without correction rounds the plan is refused, not counted: the 250 customers wait
    # for the repair, so the indices are never better than what AC allows.
    raw = simulate_flisr(weak, rel, dev, options=FlisrOptions(ac_rounds=0))
    m1 = raw.runs.set_index("fault_element").loc["M1"]
    assert m1["transfer_status"] == "ac_rejected" and m1["milp_status"] == "optimal"
    assert m1["customers_transferred"] == 0 and m1["closed_ties"] in ("", None)
    assert m1["ac_check_ok"]  # the configuration carried out: isolation only
    baseline = simulate_flisr(weak, rel, dev, options=FlisrOptions(restore="none"))
    m1_none = baseline.runs.set_index("fault_element").loc["M1"]
    assert m1["customers_awaiting_repair"] == m1_none["customers_awaiting_repair"]
    fixed = simulate_flisr(weak, rel, dev)  # AC correction rounds on (default 3)
    m1 = fixed.runs.set_index("fault_element").loc["M1"]
    assert m1["ac_check_ok"] and m1["ac_rounds"] >= 1 and m1["ac_v_min_pu"] >= 0.95 - 1e-4
    assert 0 < m1["customers_transferred"] < 250
    assert m1["customers_blocked_by_limits"] == 300 - m1["customers_transferred"]


def test_a_transfer_through_re_closed_nodes_waits_for_the_re_closing() -> None:
    net = read_network(DATA / "feeder4")
    rel, dev = _tables("feeder4")
    br = net.branches
    # A remote-controlled tie from the end of lateral A to node 4.
    tie = br[br["branch_id"] == "La"].assign(
        branch_id="TA4", from_node="A", to_node="4", status="open"
    )
    net = Network(
        net.name,
        net.base_mva,
        {
            "dist_nodes": net.nodes.assign(v_min=0.9),
            "dist_branches": pd.concat([br, tie], ignore_index=True),
        },
    )
    dev = dev.copy()
    dev.loc[dev["device_id"] == "DS3", ["automated", "operate_time_h"]] = [True, 0.05]
    extra = pd.DataFrame(
        {
            "device_id": ["TA4"],
            "branch_id": ["TA4"],
            "device_type": ["tie"],
            "normal_state": ["open"],
            "automated": [True],
            "operate_time_h": [0.05],
        }
    )
    dev = pd.concat([dev, extra], ignore_index=True)
    res = simulate_flisr(net, rel, dev)
    m2 = res.runs.set_index("fault_element").loc["M2"]
    # After fault M2, C and D come back through lateral A, which is itself back only when
    # DS2 (manual, 1 h) is open and CB re-closed: their 3-minute switching (DS3, TA4) does
    # not make them momentary.
    assert m2["opened_devices"] == "DS2,DS3" and m2["closed_ties"] == "TA4"
    assert m2["customers_transferred"] == 150 and m2["customers_momentary"] == 0
    assert m2["restoration_time_h"] == 1.0


def test_a_failed_switch_cannot_isolate_its_own_failure() -> None:
    """DS3 fails (at node 2, the upstream end of M3): DS2 and DS4 isolate it, so B and C
    wait for the repair; A is back by re-closing, D through the tie. As a fault on M3
    (which DS3 could isolate) A and B would be back by re-closing."""
    net = read_network(DATA / "feeder4_tie")
    _, dev = _tables("feeder4", "feeder4_tie")
    rel = pd.DataFrame(
        {
            "element_id": ["DS3", "M3"],
            "element_type": ["device", "branch"],
            "failure_rate_per_yr": [0.02, 0.2],
            "repair_time_h": [6.0, 4.0],
        }
    )
    runs = simulate_flisr(net, rel, dev).runs.set_index("fault_element")
    ds3 = runs.loc["DS3"]
    assert ds3["tripped_device"] == "CB"
    assert sorted(ds3["opened_devices"].split(",")) == ["DS2", "DS4"]
    assert ds3["closed_ties"] == "TIE"
    assert ds3["customers_restored_by_switching"] == 250  # A (re-closing) and D (tie)
    assert ds3["customers_transferred"] == 50
    assert ds3["customers_awaiting_repair"] == 250  # B and C
    # A 1.0 MW x 1 h + (B 0.8 + C 0.6) MW x 6 h + D 0.4 MW x 1 h
    assert ds3["unserved_mwh"] == pytest.approx(1.0 + 1.4 * 6.0 + 0.4)
    assert runs.loc["M3", "customers_awaiting_repair"] == 100  # C only


def test_a_fault_at_the_only_source_leaves_nothing_to_check() -> None:
    """A bus fault at the substation of the radial feeder: nothing stays energised, every
    customer waits for the repair, and the (empty) final configuration passes the AC check."""
    net = read_network(DATA / "feeder4")
    _, dev = _tables("feeder4")
    rel = pd.DataFrame(
        {
            "element_id": ["S"],
            "element_type": ["node"],
            "failure_rate_per_yr": [0.01],
            "repair_time_h": [5.0],
        }
    )
    res = simulate_flisr(net, rel, dev)
    s = res.runs.iloc[0]
    assert s["customers_interrupted"] == 500 and s["customers_awaiting_repair"] == 500
    assert s["unserved_mwh"] == pytest.approx(2.8 * 5.0)
    assert s["ac_check_ok"] and not res.energised.any()


def test_a_normal_state_above_v_max_does_not_block_a_feasible_transfer() -> None:
    """Generation at C lifts the normal state above v_max (1.05 pu). The MILP holds that
    limit at its normal-state value, as it does the lower one (and as the AC check does):
    after a fault on M1, B, C and D all move to T, and the AC power flow accepts it."""
    net = read_network(DATA / "feeder4_tie")
    rel, dev = _tables("feeder4", "feeder4_tie")
    nodes = net.nodes.assign(v_set=1.04, gen_p=np.where(net.nodes["node_id"] == "C", 3.0, 0.0))
    res = simulate_flisr(_with(net, "dist_nodes", nodes), rel, dev)
    m1 = res.runs.set_index("fault_element").loc["M1"]
    assert m1["closed_ties"] == "TIE" and m1["milp_status"] == "optimal"
    assert m1["customers_transferred"] == 300 and m1["customers_blocked_by_limits"] == 0
    assert m1["ac_check_ok"] and m1["ac_v_min_pu"] > 1.0
