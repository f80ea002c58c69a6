"""Hosting capacity on three-phase feeders (IEEE 13, IEEE 34) against OpenDSS bisections.

The reference numbers are in data/hostcap3/opendss_hostcap.csv, made by
data/hostcap3/opendss_hostcap.py (OpenDSS, constant-power generator, unity power factor,
taps fixed, v_max 1.08 pu on every node phase); this test needs no OpenDSS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_dist.hostcap import Check, HostcapOptions, hosting_capacity
from gat_dist.importers import import_opendss
from gat_schemas import InputError, Network

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DATA = HERE / "data" / "hostcap3"
DSS = {
    "ieee13": REPO / "test_data" / "opendss" / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss",
    "ieee34": REPO / "test_data" / "opendss" / "ieee34" / "ieee34Mod2.dss",
}
V_MAX, CAP = 1.08, 20.0  # as in opendss_hostcap.py


def _network(case: str) -> Network:
    """The imported feeder with OpenDSS's fixed taps, no lower voltage limit (the
    reference checks only the upper one) and the reference's load band."""
    net = import_opendss(DSS[case])
    taps = pd.read_csv(DATA / "opendss_taps.csv")
    taps = dict(zip(taps[taps.case == case].transformer, taps[taps.case == case].tap, strict=True))
    regs = net.tables["dist_regulators"].copy()
    regs["tap"] = [int(taps[b.lower()]) for b in regs["branch_id"]]
    nodes = net.tables["dist_nodes"].assign(v_min=0.5)
    # The reference widens every load's band (batchedit vminpu=0.5 vmaxpu=1.5): the same.
    loads = net.tables["dist_loads"].assign(v_min_pu=0.5, v_max_pu=1.5)
    tables = {"dist_nodes": nodes, "dist_regulators": regs, "dist_loads": loads}
    return Network(net.name, net.base_mva, {**net.tables, **tables})


@pytest.mark.parametrize(
    ("case", "mode"), [("ieee13", "all"), ("ieee13", "each"), ("ieee34", "all"), ("ieee34", "each")]
)
def test_capacity_within_one_percent_of_opendss(case: str, mode: str) -> None:
    net = _network(case)
    ref = pd.read_csv(DATA / "opendss_hostcap.csv", dtype={"bus_id": str})
    ref = ref[(ref.case == case) & (ref["mode"] == mode)]
    ids = {n.lower(): n for n in net.tables["dist_nodes"].node_id}
    buses = tuple(dict.fromkeys(ids[b] for b in ref.bus_id))
    opts = HostcapOptions(
        v_max=V_MAX,
        checks=(Check.VOLTAGE,),
        tol_mw=1e-4,
        max_injection_mw=CAP,
        buses=buses,
        phase_mode=mode,
        regulators="fixed",
    )
    got = hosting_capacity(net, options=opts).summary
    got = got.assign(key=got.bus_id.str.lower() + "." + got.phase)
    j = ref.assign(key=ref.bus_id + "." + ref.phase).merge(got, on="key", validate="one_to_one")
    assert len(j) == len(ref)
    # Three-, two- (IEEE 13 only) and one-phase connections are covered.
    two = {2} if case == "ieee13" else set()
    assert {len(p) for p in j.phase_x} == ({1, 3} | two if mode == "all" else {1})
    capped = j.hosting_capacity_mw_x >= CAP
    assert (j.limiting_constraint[capped] == "search_cap").all()
    rel = (j.hosting_capacity_mw_y - j.hosting_capacity_mw_x).abs() / j.hosting_capacity_mw_x
    assert rel.max() < 0.01, j.loc[rel.idxmax()]


def test_single_phase_capacity_differs_by_phase_and_reports_node_phases() -> None:
    net = _network("ieee13")
    opts = HostcapOptions(v_max=V_MAX, checks=("voltage",), buses=("675", "611"), phase_mode="each")
    s = hosting_capacity(net, options=opts).summary
    assert list(s.bus_id + "." + s.phase) == ["675.A", "675.B", "675.C", "611.C"]
    assert s.hosting_capacity_mw.nunique() == 4
    assert s.limiting_element.str.match(r"^[^.]+\.[ABC]$").all()  # node.phase


def test_unbalance_check_limits_single_phase_injection() -> None:
    net = _network("ieee13")
    base = dict(v_max=1.2, buses=("675",), phase_mode="each", max_injection_mw=5.0)
    loose = hosting_capacity(net, options=HostcapOptions(checks=("voltage",), **base)).summary
    tight = hosting_capacity(
        net, options=HostcapOptions(checks=("voltage", "unbalance"), vuf_max_pct=2.0, **base)
    ).summary
    assert (tight.hosting_capacity_mw <= loose.hosting_capacity_mw + 1e-9).all()
    assert (tight.limiting_constraint == "unbalance").any()


def test_reverse_flow_through_regulators_is_checked() -> None:
    net = _network("ieee34")
    opts = HostcapOptions(v_max=1.3, checks=("reverse_flow",), buses=("890",), max_injection_mw=5.0)
    s = hosting_capacity(net, options=opts).summary
    assert s.limiting_constraint.iloc[0] == "reverse_flow"
    assert s.limiting_element.iloc[0].startswith(("creg", "sourcebus"))


def test_opf_method_refuses_three_phase_networks() -> None:
    with pytest.raises(InputError, match="balanced"):
        hosting_capacity(_network("ieee13"), options=HostcapOptions(method="opf", buses=("675",)))


def test_warm_started_search_equals_a_cold_solve_at_the_capacity() -> None:
    """The capacity found by the search is feasible and a little more is not, each checked by a
    fresh three-phase power flow with the DER as a negative load row."""
    import gat_pf

    net = _network("ieee34")
    opts = HostcapOptions(v_max=V_MAX, checks=("voltage",), buses=("840",), tol_mw=1e-4)
    hc = float(hosting_capacity(net, options=opts).summary.hosting_capacity_mw.iloc[0])

    def vmax(p_mw: float) -> float:
        row = {"load_id": "der", "node_id": "840", "connection": "wye", "model": "pq"}
        for x in "abc":
            row[f"p_{x}_mw"], row[f"q_{x}_mvar"] = -p_mw / 3, 0.0
        loads = pd.concat([net.tables["dist_loads"], pd.DataFrame([row])], ignore_index=True)
        res = gat_pf.run_power_flow_3ph(
            Network(net.name, net.base_mva, {**net.tables, "dist_loads": loads}),
            options=gat_pf.ThreePhaseOptions(regulators="fixed"),
        )
        nodes = res.nodes[res.nodes.node_id != "sourcebus"]
        return float(nodes.vm_pu.max())

    assert vmax(hc) <= V_MAX + 1e-9
    assert vmax(hc + 2e-4) > V_MAX
    assert np.isfinite(hc)


def test_probe_start_agrees_with_the_cap_start_in_fewer_power_flows() -> None:
    """IEEE 34: most nodes take well under the 20 MW cap, where the fixed point has no
    solution; the probe start never goes there unless the estimate does."""
    net = _network("ieee34")
    kw = dict(v_max=V_MAX, checks=("voltage",), max_injection_mw=CAP, regulators="fixed")
    probe = hosting_capacity(net, options=HostcapOptions(**kw))
    cap = hosting_capacity(net, options=HostcapOptions(**kw, first_trial="cap"))
    a, b = probe.summary, cap.summary
    assert (a.hosting_capacity_mw - b.hosting_capacity_mw).abs().max() <= 0.001
    assert list(a.limiting_constraint) == list(b.limiting_constraint)
    assert (a.limiting_constraint == "search_cap").any()
    assert (a.hosting_capacity_mw[a.limiting_constraint == "search_cap"] == CAP).all()
    assert probe.power_flows < cap.power_flows
