"""Voltage limits in ungrounded (three-wire delta) sections are judged line to line.

IEEE 37 (``test_data/opendss/ieee37``) is a delta feeder behind a delta-delta substation
transformer: nothing grounds it but line capacitance and the anti-floating shunts, so its
line-to-ground voltages are no customer's. The rule (``gat_pf._threephase._grounding``) finds
such sections from the elements; the expected numbers below come from OpenDSS's own
line-to-line voltages (``opendss_vll.csv``, written by ``make_opendss_vll.py``), never from
GAT.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS

import gat_pf
from gat_dist import import_opendss
from gat_pf._threephase._grounding import ungrounded_pn
from gat_schemas import Network, read_network
from gat_schemas.errors import GatError

IEEE37 = OPENDSS / "ieee37"
NETWORKS = Path(__file__).resolve().parents[3] / "test_data" / "networks"
OPTIONS = gat_pf.ThreePhaseOptions(tol=1e-12)


@pytest.fixture(scope="module")
def ieee37() -> Network:
    return import_opendss(IEEE37 / "ieee37.dss")


def _at_opendss_taps(net: Network) -> Network:
    taps = pd.read_csv(IEEE37 / "opendss_taps.csv")
    taps = dict(zip(taps["regulator_id"], taps["tap"].astype(int), strict=True))
    reg = net.tables["dist_regulators"].copy()
    reg["tap"] = reg["regulator_id"].str.lower().map(taps).astype("int64")
    reg["mode"] = "fixed"
    return net.with_table("dist_regulators", reg)


def _ungrounded_nodes(net: Network) -> set[str]:
    m = gat_pf.build_model_3ph(net)
    return set(m.node_ids[m.pn_node[ungrounded_pn(m)]].astype(str))


def _opendss_vll() -> pd.DataFrame:
    return pd.read_csv(IEEE37 / "opendss_vll.csv", dtype={"node_id": str})


@pytest.mark.parametrize(
    "case", ["ieee13/IEEE13Nodeckt.dss", "ieee34/ieee34Mod1.dss", "ieee34/ieee34Mod2.dss"]
)
def test_grounded_feeders_have_no_ungrounded_node(case: str) -> None:
    assert _ungrounded_nodes(import_opendss(OPENDSS / case)) == set()


@pytest.mark.slow
def test_ieee8500_has_no_ungrounded_node() -> None:
    assert _ungrounded_nodes(import_opendss(OPENDSS / "ieee8500" / "Master.dss")) == set()


def test_ieee123_only_the_delta_delta_secondary_is_ungrounded() -> None:
    # XFM1 (61s -> 610) is wound delta-delta and nothing is connected at 610 (IEEE 123's
    # description and EPRI's file): 610 is ungrounded, every other node is grounded.
    net = import_opendss(OPENDSS / "ieee123" / "IEEE123Master.dss")
    assert _ungrounded_nodes(net) == {"610"}


def test_matpower_cases_have_no_ungrounded_node() -> None:
    built = 0
    for folder in sorted(NETWORKS.iterdir()):
        net = read_network(folder)
        try:
            assert _ungrounded_nodes(net) == set(), folder.name
        except GatError:
            continue  # source (PV) nodes: no three-phase model
        built += 1
        phys = gat_pf.physics_model(net, model="balanced")
        assert (phys.term_ll_partner == -1).all()
    assert built >= 8


def test_ieee37_is_ungrounded_behind_the_substation(ieee37: Network) -> None:
    got = _ungrounded_nodes(ieee37)
    nodes = set(ieee37.nodes["node_id"].astype(str))
    slack = set(ieee37.nodes.loc[ieee37.nodes["type"] == "slack", "node_id"].astype(str))
    # Every node past the delta-delta SubXF (including 775 behind the delta-delta XFM1); the
    # source's section (its bus and the source impedance's far end) is grounded.
    assert got == nodes - slack - {"sourcebus"}
    assert {"799", "799r", "701", "775"} <= got


def test_a_wye_element_grounds_its_section_a_delta_one_does_not(ieee37: Network) -> None:
    def cap(conn: str) -> Network:
        row = {"cap_id": "C1", "node_id": "720", "phase": "ABC", "q_mvar": 0.1}
        row |= {"status": "closed", "kind": "capacitor", "connection": conn}
        return ieee37.with_table("dist_caps", pd.DataFrame([row]))

    assert _ungrounded_nodes(cap("delta")) == _ungrounded_nodes(ieee37)
    # A wye bank grounds the section it sits in (all of 799..744), not 775 behind XFM1.
    assert _ungrounded_nodes(cap("wye")) == {"775"}
    row = {"load_id": "W1", "node_id": "720", "connection": "wye", "model": "pq"}
    row |= {f"{k}_{ph}_{u}": 0.01 for ph in "abc" for k, u in (("p", "mw"), ("q", "mvar"))}
    ld = pd.concat([ieee37.tables["dist_loads"], pd.DataFrame([row])], ignore_index=True)
    assert _ungrounded_nodes(ieee37.with_table("dist_loads", ld)) == {"775"}


def test_ieee37_line_to_line_voltages_match_opendss(ieee37: Network) -> None:
    res = gat_pf.run_power_flow_3ph(_at_opendss_taps(ieee37), options=OPTIONS)
    assert res.converged
    ref = _opendss_vll()
    got = res.nodes.assign(node_id=res.nodes["node_id"].str.lower())
    both = ref.merge(got, left_on=["node_id", "phases"], right_on=["node_id", "vll_phases"])
    assert len(both) == len(ref) == 117
    # Measured 2026-12-05: 2.9e-10 pu.
    assert np.abs(both["vll_pu_x"] - both["vll_pu_y"]).max() < 1e-8
    judged = both[both["node_id"] != "sourcebus"]
    assert (judged["v_judged"] == "ll").all()
    assert (both.loc[both["node_id"] == "sourcebus", "v_judged"] == "ln").all()


def test_ieee37_band_and_summary_are_line_to_line(ieee37: Network) -> None:
    res = gat_pf.run_power_flow_3ph(_at_opendss_taps(ieee37), options=OPTIONS)
    ref = _opendss_vll()
    ref = ref[ref["node_id"] != "sourcebus"]
    # The band of dist_nodes (0.95-1.05 pu) on OpenDSS's line-to-line voltages.
    under = ref[ref["vll_pu"] < 0.95 - 1e-9]
    nodes = res.nodes
    gat_under = nodes[nodes["violation"] == "under"]
    assert sorted(zip(gat_under.node_id.str.lower(), gat_under.vll_phases, strict=True)) == sorted(
        zip(under.node_id, under.phases, strict=True)
    )
    s = res.summary.iloc[0]
    lo = ref.loc[ref["vll_pu"].idxmin()]
    assert s["vm_min_pu"] == pytest.approx(lo["vll_pu"], abs=1e-8)
    assert s["vm_min_node"].lower() == f"{lo['node_id']}.{lo['phases']}".lower()
    assert s["n_under_v_min"] == len(under)
    assert s["n_judged_ll"] == 114
    # The line-to-ground minimum (0.871 pu at 799.A) is no longer what is reported.
    assert s["vm_min_pu"] > nodes["vm_pu"].min() + 0.04


def test_grounded_network_tables_judge_line_to_neutral() -> None:
    net = import_opendss(OPENDSS / "ieee13" / "IEEE13Nodeckt.dss")
    res = gat_pf.run_power_flow_3ph(net, options=OPTIONS)
    n = res.nodes
    assert (n["v_judged"] == "ln").all() and res.summary.iloc[0]["n_judged_ll"] == 0
    lo = n.loc[n["vm_pu"].idxmin()]
    assert res.summary.iloc[0]["vm_min_pu"] == lo["vm_pu"]
    # vll_pu from the written phasors: |V_A - V_B| / (sqrt 3 base_ln) at node 671.
    at = n[n["node_id"] == "671"].set_index("phase")
    v = at["vm_pu"] * np.exp(1j * np.deg2rad(at["va_deg"]))
    assert at.loc["A", "vll_pu"] == pytest.approx(abs(v["A"] - v["B"]) / np.sqrt(3), rel=1e-12)
    assert at.loc["C", "vll_phases"] == "CA"


def test_physics_interface_judges_line_to_line(ieee37: Network) -> None:
    net = _at_opendss_taps(ieee37)
    phys = gat_pf.physics_model(net, options_3ph=gat_pf.ThreePhaseOptions(regulators="fixed"))
    sol = phys.solve()
    lim = phys.limits(sol)
    labels = phys.term_label.astype(str)
    partner = phys.term_ll_partner
    k = int(np.flatnonzero(labels == "799.C")[0])
    assert labels[partner[k]] == "799.A"
    ref = _opendss_vll().set_index(["node_id", "phases"])["vll_pu"]
    assert lim.vm_pu[0, k] == pytest.approx(ref[("799", "CA")], abs=1e-7)
    assert lim.vm_ln_pu[0, k] == pytest.approx(abs(sol.v[0, k]), rel=1e-15)
    assert (partner[phys.term_slack] == -1).all()
    margin = np.minimum(phys.term_v_max - lim.vm_pu, lim.vm_pu - phys.term_v_min)
    free = ~phys.term_slack
    np.testing.assert_array_equal(lim.v_margin_pu[:, free], margin[:, free])
    # The sensitivity of the judged measure is the line-to-line magnitude's: checked
    # against two AC solves at +-1 kW on 720.A, differenced here on |V_C - V_A|.
    t = int(np.flatnonzero(labels == "720.A")[0])
    sens = gat_pf.sensitivities(phys, sol, [t])
    inj = gat_pf.Injection([t], np.array([[1e-3], [-1e-3]]), np.zeros((2, 1)))
    v2 = phys.solve(inj).v
    k2 = int(np.flatnonzero(labels == "720.C")[0])
    a2 = int(np.flatnonzero(labels == "720.A")[0])
    vll = np.abs(v2[:, k2] - v2[:, a2]) / np.sqrt(3)
    assert sens.dvm_dp[k2, 0] == pytest.approx((vll[0] - vll[1]) / 2e-3, rel=1e-6)


def test_grounded_physics_limits_are_line_to_neutral() -> None:
    net = import_opendss(OPENDSS / "ieee13" / "IEEE13Nodeckt.dss")
    phys = gat_pf.physics_model(net)
    lim = phys.limits(phys.solve())
    assert (phys.term_ll_partner == -1).all()
    np.testing.assert_array_equal(lim.vm_pu, lim.vm_ln_pu)


def test_qsts_meters_judge_line_to_line(ieee37: Network) -> None:
    from gat_dist.qsts import QstsOptions, simulate

    net = _at_opendss_taps(ieee37)
    res = simulate(net, np.array([1.0, 1.0]), QstsOptions(save_voltages=True))
    pf = gat_pf.run_power_flow_3ph(net, options=OPTIONS)
    n = pf.nodes
    # Phase A's lowest judged voltage off the source section: 799.AB from OpenDSS's puVLL.
    ref = _opendss_vll().set_index(["node_id", "phases"])["vll_pu"]
    assert res.v_min_pu[0, 0] == pytest.approx(ref[("799", "AB")], abs=1e-6)
    assert res.n_under[0] == (n["violation"] == "under").sum()


def test_hosting_capacity_names_line_to_line_limits(ieee37: Network) -> None:
    from gat_dist.hostcap import HostcapOptions, hosting_capacity

    net = _at_opendss_taps(ieee37)
    opts = HostcapOptions(buses=("720",), regulators="fixed", max_injection_mw=2.0)
    held = hosting_capacity(net, options=opts).held
    assert held is not None
    v = held[held["limit"] == "v_min"].set_index("element")
    # 799 is below 0.95 line to line (OpenDSS: 0.9235 A-B): held, named by its phase pair,
    # at OpenDSS's line-to-line value less the held tolerance (line to ground it is 0.871).
    ref = _opendss_vll().set_index(["node_id", "phases"])["vll_pu"]
    want = ref[("799", "AB")] - opts.held_tol_pu
    assert v.loc["799.AB", "held_at"] == pytest.approx(want, abs=1e-6)
    assert "799.A" not in v.index
