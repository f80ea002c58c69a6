"""FLISR on the IEEE 13 and 34 node feeders (three-phase tables): the hand-worked faults and
indices of test_data/adms/README.md, and restorations through a tie checked by the
three-phase power flow (expected voltages from gat_pf.run_power_flow_3ph directly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_adms import (
    FlisrOptions,
    MonteCarloOptions,
    expected_indices,
    index_tables,
    outage_monte_carlo,
    simulate_flisr,
)
from gat_schemas import Network, read_network, validate_table

DATA = Path(__file__).resolve().parents[3] / "test_data" / "adms"
_PF_TABLES = ("dist_linecodes", "dist_transformers", "dist_regulators")


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return {case: simulate_flisr(read_network(DATA / case)) for case in ("ieee13", "ieee34")}


def test_ieee13_load_points_match_the_hand_working(results) -> None:  # type: ignore[no-untyped-def]
    expected = pd.read_csv(DATA / "ieee13_expected_load_points.csv", dtype={"node_id": str})
    expected = expected.set_index("node_id")
    _, points, _ = index_tables(results["ieee13"].impacts)
    got = points.set_index("node_id")
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    assert (got["customers"] == expected["customers"]).all()
    for col in ("lambda_per_yr", "r_h", "u_h_per_yr", "ens_mwh_per_yr"):
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-6, err_msg=col)


def test_ieee13_system_indices_match_the_hand_working(results) -> None:  # type: ignore[no-untyped-def]
    expected = pd.read_csv(DATA / "ieee_expected_system.csv").set_index("case").loc["ieee13"]
    _, _, system = index_tables(results["ieee13"].impacts)
    assert validate_table("reliability_indices", system) == []
    for col in ("SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS"):
        assert system[col].iloc[0] == pytest.approx(expected[col], rel=1e-6), col


@pytest.mark.parametrize("case", ["ieee13", "ieee34"])
def test_each_hand_worked_fault(case: str, results) -> None:  # type: ignore[no-untyped-def]
    expected = pd.read_csv(DATA / "ieee_expected_runs.csv", keep_default_na=False)
    expected = expected[expected["case"] == case].set_index("fault_element")
    runs = results[case].runs
    assert validate_table("flisr_runs", runs) == []
    runs = runs.set_index("fault_element").loc[expected.index]
    for col in (
        "customers_interrupted",
        "customers_restored_by_switching",
        "customers_awaiting_repair",
    ):
        assert runs[col].tolist() == expected[col].astype(int).tolist(), col
    assert runs["tripped_device"].fillna("").tolist() == expected["tripped_device"].tolist()
    assert runs["opened_devices"].tolist() == expected["opened_devices"].tolist()
    want_t = pd.to_numeric(expected["restoration_time_h"]).to_numpy(float)
    np.testing.assert_allclose(runs["restoration_time_h"].to_numpy(float), want_t)
    np.testing.assert_allclose(runs["unserved_mwh"], expected["unserved_mwh"], rtol=1e-8)
    assert (runs["customers_momentary"] == 0).all() and (runs["closed_ties"] == "").all()


def test_rate_weighted_unserved_energy_is_ens(results) -> None:  # type: ignore[no-untyped-def]
    for res in results.values():
        runs = res.runs
        ens = float((runs["failure_rate_per_yr"] * runs["unserved_mwh"]).sum())
        assert ens == pytest.approx(expected_indices(res.impacts).ens, rel=1e-9)


def _configuration(net: Network, live: np.ndarray, closed: np.ndarray) -> Network:
    """The energised part of a configuration, built here from the tables (not by FLISR)."""
    ids = set(net.nodes["node_id"][live])
    br = net.branches.loc[closed].assign(status="closed")
    br = br[br["from_node"].isin(ids) & br["to_node"].isin(ids)]
    tables = {"dist_nodes": net.nodes[live], "dist_branches": br}
    for name in ("dist_loads", "dist_caps"):
        tables[name] = net.table(name)[net.table(name)["node_id"].isin(ids)]
    for name in _PF_TABLES:
        df = net.table(name)
        tables[name] = df if "branch_id" not in df else df[df["branch_id"].isin(br["branch_id"])]
    return Network(net.name, net.base_mva, tables)


def test_the_reported_ac_voltage_is_the_three_phase_power_flow(results) -> None:  # type: ignore[no-untyped-def]
    net = read_network(DATA / "ieee13")
    res = results["ieee13"]
    runs = res.runs.set_index("fault_element")
    for k, fault in enumerate(res.impacts.elements):
        live, closed = res.energised[k], res.closed[k]
        if not (live & (net.nodes["type"] != "slack").to_numpy()).any():
            continue
        pf = gat_pf.run_power_flow_3ph(_configuration(net, live, closed))
        assert pf.converged
        assert runs.loc[fault, "ac_v_min_pu"] == pytest.approx(pf.nodes["vm_pu"].min(), abs=1e-7)


def _with_tie(length_km: float) -> Network:
    """IEEE 13 with an alternate 4.16 kV supply ALT reached from 675 by a normally-open
    three-phase tie (line code 601, the impedance of 632-670 scaled to the length)."""
    net = read_network(DATA / "ieee13")
    nodes = net.nodes
    alt = nodes[nodes["node_id"] == "675"].assign(
        node_id="ALT", type="slack", feeder_id="alt", customers=0, v_set=1.0, va_set_deg=0.0
    )
    br = net.branches
    tie = br[br["branch_id"] == "632670"].assign(
        branch_id="TIE", from_node="675", to_node="ALT", status="open", length_km=length_km
    )
    scale = length_km / float(br.loc[br["branch_id"] == "632670", "length_km"].iloc[0])
    tie[["r", "x", "b"]] = tie[["r", "x", "b"]].to_numpy() * scale
    dev = pd.concat(
        [
            net.table("switching_devices"),
            pd.DataFrame(
                {
                    "device_id": ["tie_TIE"],
                    "branch_id": ["TIE"],
                    "device_type": ["tie"],
                    "normal_state": ["open"],
                    "automated": [False],
                    "operate_time_h": [1.0],
                }
            ),
        ],
        ignore_index=True,
    )
    tables = {
        **net.tables,
        "dist_nodes": pd.concat([nodes, alt], ignore_index=True),
        "dist_branches": pd.concat([br, tie], ignore_index=True),
        "switching_devices": dev,
    }
    return Network(net.name, net.base_mva, tables)


def _faults(net: Network, *ids: str) -> pd.DataFrame:
    rel = net.table("reliability")
    return rel[rel["element_id"].isin(ids)]


def test_a_transfer_through_a_tie_passes_the_three_phase_check() -> None:
    """Fault on 670-671 with a 0.5 km tie: 670, 633-634 and 645-646 (200 customers) are back
    by re-closing after dsc_670671 opens; dsc_671692 opens and the tie closes: 692 and 675
    (203) are back at max(1, 1) = 1 h; 671 and the 684 lateral (291) wait for the repair."""
    net = _with_tie(0.5)
    res = simulate_flisr(net, _faults(net, "670671"), None)
    run = res.runs.iloc[0]
    assert sorted(run["opened_devices"].split(",")) == ["dsc_670671", "dsc_671692"]
    assert run["closed_ties"] == "tie_TIE" and run["transfer_status"] == "partial"
    assert run["customers_restored_by_switching"] == 403
    assert run["customers_transferred"] == 203 and run["customers_awaiting_repair"] == 291
    assert run["restoration_time_h"] == 1.0 and run["ac_check_ok"]
    pf = gat_pf.run_power_flow_3ph(_configuration(net, res.energised[0], res.closed[0]))
    at = pf.nodes.set_index(["node_id", "phase"])["vm_pu"]
    assert at.loc["675"].between(0.95, 1.05).all()
    assert run["ac_v_min_pu"] == pytest.approx(at.min(), abs=1e-7)


def test_a_phase_the_positive_sequence_cannot_see_refuses_the_transfer() -> None:
    """With a 1.5 km tie the positive-sequence MILP transfers 692 and 675, but in three
    phases the lightly loaded phase B of 675 rises above 1.05 pu (above its normal and its
    isolated value): the plan is not carried out and the 203 customers wait."""
    net = _with_tie(1.5)
    res = simulate_flisr(net, _faults(net, "670671"), None)
    run = res.runs.iloc[0]
    assert run["transfer_status"] == "ac_rejected" and run["milp_status"] == "optimal"
    assert run["customers_transferred"] == 0 and run["customers_blocked_by_limits"] == 203
    # The plan, solved here: isolation plus dsc_671692 open and the tie closed.
    br = net.branches.set_index("branch_id")["status"].copy()
    br[["670671", "671692"]] = "open"
    br["TIE"] = "closed"
    live = ~net.nodes["node_id"].isin(["671", "680", "684", "611", "652"]).to_numpy()
    pf = gat_pf.run_power_flow_3ph(_configuration(net, live, (br == "closed").to_numpy()))
    assert pf.nodes.set_index(["node_id", "phase"]).loc[("675", "B"), "vm_pu"] > 1.05 + 1e-3


def test_correction_rounds_shrink_a_plan_until_three_phases_accept_it() -> None:
    """The substation transformer fails (1.0 km tie): moving all 694 customers to ALT breaks
    the three-phase check. Without correction rounds nobody is transferred; with them the
    MILP, tightened where AC found the gap, moves 692 and 675 only, and that configuration
    is within limits in an independent three-phase power flow."""
    net = _with_tie(1.0)
    faults = _faults(net, "Sub")
    raw = simulate_flisr(net, faults, None, options=FlisrOptions(ac_rounds=0)).runs.iloc[0]
    assert raw["transfer_status"] == "ac_rejected" and raw["customers_transferred"] == 0
    res = simulate_flisr(net, faults, None)
    run = res.runs.iloc[0]
    assert run["ac_rounds"] >= 1 and run["ac_check_ok"]
    assert run["customers_transferred"] == 203 and run["customers_blocked_by_limits"] == 491
    pf = gat_pf.run_power_flow_3ph(_configuration(net, res.energised[0], res.closed[0]))
    assert pf.converged and pf.nodes["vm_pu"].between(0.95 - 1e-4, 1.05 + 1e-4).all()


def test_outage_monte_carlo_agrees_with_the_ieee34_indices(results) -> None:  # type: ignore[no-untyped-def]
    impacts = results["ieee34"].impacts
    mc = outage_monte_carlo(impacts, options=MonteCarloOptions(years=4000, seed=3))
    stats = mc.stats.set_index("index")
    for name in ("SAIFI", "SAIDI", "ENS"):
        row = stats.loc[name]
        assert abs(row["mean"] - row["analytic"]) < 4 * row["sem"], name
