"""Hosting capacity (method ac) against brute-force power-flow sweeps, and its physics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_dist.hostcap import Check, HostcapOptions, QMode, Search, hosting_capacity
from gat_schemas import InputError, Network, NotConvergedError, read_network, validate_table

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
TOL = 0.001  # MW, the search tolerance used below


@pytest.fixture(scope="module")
def case33() -> Network:
    return read_network(CASE33)


def _with_injection(net: Network, bus: str, p_mw: float, q_mvar: float = 0.0) -> Network:
    """The network with ``bus`` injecting ``p_mw`` (as a negative load): built from tables."""
    nodes = net.tables["dist_nodes"].copy()
    at = nodes["node_id"] == bus
    nodes.loc[at, "load_p"] -= p_mw
    nodes.loc[at, "load_q"] -= q_mvar
    return Network(name=net.name, base_mva=net.base_mva, tables={**net.tables, "dist_nodes": nodes})


def _violates(net: Network, *, v_max: float, thermal: bool = False, reverse: bool = False) -> bool:
    try:
        res = gat_pf.run_power_flow(net)
    except NotConvergedError:
        return True
    slack = set(net.tables["dist_nodes"].query("type == 'slack'")["node_id"])
    nodes = res.nodes[~res.nodes["node_id"].isin(slack)]
    bad = bool((nodes["vm_pu"] > v_max).any())
    if thermal:
        bad |= bool((res.branches["loading_pct"] > 100.0).any())
    if reverse:
        bad |= bool((res.nodes[res.nodes["node_id"].isin(slack)]["p_mw"] < 0).any())
    return bad


def _brute_force(net: Network, bus: str, *, coarse: float = 0.05, fine: float = 0.0005, **kw):
    """Smallest violating injection, found by single power flows in coarse then fine steps."""
    p = 0.0
    while not _violates(_with_injection(net, bus, p + coarse), **kw):
        p += coarse
    while not _violates(_with_injection(net, bus, p + fine), **kw):
        p += fine
    return p  # feasible; p + fine violates


@pytest.mark.parametrize("bus", ["18", "33", "25", "10", "22"])
def test_capacity_matches_brute_force_sweep(case33: Network, bus: str) -> None:
    opts = HostcapOptions(v_max=1.05, buses=(bus,), tol_mw=TOL)
    row = hosting_capacity(case33, options=opts).summary.iloc[0]
    ref = _brute_force(case33, bus, v_max=1.05)
    assert ref - TOL <= row["hosting_capacity_mw"] <= ref + 0.0005 + 1e-9
    assert row["limiting_constraint"] == "voltage"
    assert row["vm_max_pu_at_hc"] <= 1.05 and row["vm_max_pu_at_hc"] > 1.049


def test_bisection_and_secant_agree_and_secant_needs_fewer_power_flows(case33: Network) -> None:
    runs = {
        s: hosting_capacity(case33, options=HostcapOptions(v_max=1.05, search=s))
        for s in (Search.BISECTION, Search.SECANT)
    }
    a, b = (runs[s].summary["hosting_capacity_mw"].to_numpy() for s in runs)
    assert np.abs(a - b).max() <= TOL
    assert runs[Search.SECANT].power_flows < runs[Search.BISECTION].power_flows
    assert validate_table("hostcap_summary", runs[Search.SECANT].summary) == []


def test_capacity_grows_towards_the_substation_and_falls_at_light_load(case33: Network) -> None:
    path = [str(k) for k in range(2, 19)]  # main feeder 2 -> 18
    opts = HostcapOptions(v_max=1.05, buses=tuple(path), load_scales=(0.3, 1.0, 1.5))
    s = hosting_capacity(case33, options=opts).summary
    for scale, grp in s.groupby("load_scale"):
        hc = grp.set_index("bus_id").loc[path, "hosting_capacity_mw"].to_numpy()
        assert np.all(np.diff(hc) <= TOL), scale  # non-increasing away from the substation
    wide = s.pivot(index="bus_id", columns="load_scale", values="hosting_capacity_mw")
    limited = s[(s.load_scale == 0.3) & (s.limiting_constraint == "voltage")]["bus_id"]
    assert len(limited) > 10
    sub = wide.loc[limited]
    assert (sub[0.3] <= sub[1.0] + TOL).all() and (sub[1.0] <= sub[1.5] + TOL).all()
    assert (sub[0.3] < sub[1.5]).all()


def test_thermal_limit_reports_the_right_branch(case33: Network) -> None:
    branches = case33.tables["dist_branches"].copy()
    into_25 = branches.index[branches["to_node"] == "25"][0]
    branch_id = branches.loc[into_25, "branch_id"]
    branches.loc[into_25, "thermal_limit"] = 1.0  # MVA
    net = Network(
        name="t", base_mva=case33.base_mva, tables={**case33.tables, "dist_branches": branches}
    )
    opts = HostcapOptions(v_max=1.05, buses=("25", "18"), tol_mw=TOL)
    s = hosting_capacity(net, options=opts).summary.set_index("bus_id")
    assert s.loc["25", "limiting_constraint"] == "thermal"
    assert s.loc["25", "limiting_element"] == branch_id
    assert 99.0 < s.loc["25", "loading_max_pct_at_hc"] <= 100.0
    ref = _brute_force(net, "25", v_max=1.05, thermal=True)
    assert ref - TOL <= s.loc["25", "hosting_capacity_mw"] <= ref + 0.0005 + 1e-9
    assert s.loc["18", "limiting_constraint"] == "voltage"  # the rating elsewhere does not bind


def test_limits_broken_without_injection_must_only_not_get_worse(case33: Network) -> None:
    # At 1.5 x load node 18 is below v_min = 0.9 pu before any injection.
    base = gat_pf.run_power_flow(case33, load_scale=1.5).nodes.set_index("node_id")
    assert base.loc["18", "vm_pu"] < 0.9
    opts = HostcapOptions(v_max=1.05, buses=("18", "33"), load_scales=(1.0, 1.5))
    s = hosting_capacity(case33, options=opts).summary.set_index(["load_scale", "bus_id"])
    assert (s["limiting_constraint"] == "voltage").all()
    assert (s.loc[1.5, "hosting_capacity_mw"] > s.loc[1.0, "hosting_capacity_mw"]).all()


def test_reverse_flow_at_the_feeder_head(case33: Network) -> None:
    opts = HostcapOptions(buses=("2", "3"), checks={Check.REVERSE_FLOW}, tol_mw=TOL)
    s = hosting_capacity(case33, options=opts).summary.set_index("bus_id")
    assert (s["limiting_constraint"] == "reverse_flow").all()
    assert (s["limiting_element"] == "1").all()
    ref = _brute_force(case33, "2", v_max=np.inf, reverse=True)
    assert ref - TOL <= s.loc["2", "hosting_capacity_mw"] <= ref + 0.0005 + 1e-9
    total_load = case33.tables["dist_nodes"]["load_p"].sum()
    assert s.loc["2", "hosting_capacity_mw"] > total_load  # load plus the losses


def test_power_factor_absorbing_raises_and_injecting_lowers_capacity(case33: Network) -> None:
    def hc(**kw: object) -> float:
        opts = HostcapOptions(v_max=1.05, buses=("18",), **kw)
        return float(hosting_capacity(case33, options=opts).summary["hosting_capacity_mw"][0])

    unity = hc()
    absorb = hc(pf=0.95)
    inject = hc(pf=0.95, q_mode=QMode.INJECT)
    assert inject < unity < absorb
    # Brute force with Q = -P tan(acos 0.95) drawn as a load at node 18.
    tan = np.tan(np.arccos(0.95))
    p = absorb
    assert not _violates(_with_injection(case33, "18", p, -tan * p), v_max=1.05)
    assert _violates(_with_injection(case33, "18", p + TOL, -tan * (p + TOL)), v_max=1.05)


def test_collapse_is_infeasible_not_a_crash(case33: Network) -> None:
    big = HostcapOptions(v_max=1.05, buses=("18", "33"), max_injection_mw=2000.0)
    small = HostcapOptions(v_max=1.05, buses=("18", "33"), max_injection_mw=10.0)
    a = hosting_capacity(case33, options=big).summary["hosting_capacity_mw"].to_numpy()
    b = hosting_capacity(case33, options=small).summary["hosting_capacity_mw"].to_numpy()
    assert np.abs(a - b).max() <= TOL


def test_nothing_limits_the_top_and_curves_agree_with_capacity(case33: Network) -> None:
    opts = HostcapOptions(v_max=1.05, buses=("2", "18"), max_injection_mw=4.0, steps=8)
    res = hosting_capacity(case33, options=opts)
    s = res.summary.set_index("bus_id")
    assert s.loc["2", "hosting_capacity_mw"] == 4.0
    assert s.loc["2", "limiting_constraint"] == "search_cap"
    assert pd.isna(s.loc["2", "limiting_element"])
    c = res.curves
    assert validate_table("hostcap_curves", c) == []
    assert c["step"].tolist() == list(range(1, 9)) * 2
    assert np.allclose(c["injection_mw"][:8], 0.5 * np.arange(1, 9))
    for bus, grp in c.groupby("bus_id"):
        expect = grp["injection_mw"] <= s.loc[bus, "hosting_capacity_mw"]
        assert (grp["feasible"] == expect).all()
        assert (np.diff(grp["vm_max_pu"].to_numpy()) >= 0).all()  # rises with the injection


def test_block_size_does_not_change_the_answer(case33: Network) -> None:
    a = hosting_capacity(case33, options=HostcapOptions(v_max=1.05)).summary
    b = hosting_capacity(case33, options=HostcapOptions(v_max=1.05, block_size=5)).summary
    assert a["bus_id"].tolist() == b["bus_id"].tolist()
    assert np.abs(a["hosting_capacity_mw"] - b["hosting_capacity_mw"]).max() <= TOL


def test_bad_candidates_are_refused(case33: Network) -> None:
    with pytest.raises(InputError, match="node_id has no nope"):
        hosting_capacity(case33, options=HostcapOptions(buses=("nope",)))
    with pytest.raises(InputError, match="slack nodes cannot be candidates"):
        hosting_capacity(case33, options=HostcapOptions(buses=("1",)))
    with pytest.raises(InputError, match="power factor"):
        HostcapOptions(pf=1.2)
    with pytest.raises(InputError, match="unknown check"):
        HostcapOptions(checks={"current"})


@pytest.mark.solver
def test_method_opf_agrees_with_ac_without_der(case33: Network) -> None:
    # case33bw has no DER assets: the OPF's capacity is the AC one (cone relaxation exact).
    opts = dict(v_max=1.05, buses=("18", "25"), steps=2)
    ac = hosting_capacity(case33, options=HostcapOptions(**opts)).summary
    res = hosting_capacity(case33, options=HostcapOptions(method="opf", **opts))
    opf = res.summary
    assert validate_table("hostcap_summary", opf) == []
    assert opf["ac_converged"].all() and (opf["ac_vm_violation_pu"] < 1e-6).all()
    diff = opf["hosting_capacity_mw"] - ac["hosting_capacity_mw"]
    assert ((diff >= -1e-6) & (diff <= TOL)).all()  # ac is at most tol below the exact value
    assert (opf["limiting_constraint"] == "voltage").all()
    assert len(res.curves) == 4
    with pytest.raises(InputError, match="always enforces voltage"):
        hosting_capacity(case33, options=HostcapOptions(method="opf", checks={"thermal"}))


def test_search_cap_and_missing_ratings_are_reported(case33: Network) -> None:
    opts = HostcapOptions(v_max=1.05, buses=("2",), max_injection_mw=4.0)
    res = hosting_capacity(case33, options=opts)
    assert res.summary["limiting_constraint"].tolist() == ["search_cap"]
    assert res.summary["hosting_capacity_mw"].tolist() == [4.0]
    # case33bw has no thermal_limit at all: one warning for the whole study.
    assert len(res.warnings) == 1 and "no branch has a thermal_limit" in res.warnings[0]
    voltage_only = HostcapOptions(
        v_max=1.05, buses=("2",), max_injection_mw=4.0, checks={"voltage"}
    )
    assert hosting_capacity(case33, options=voltage_only).warnings == ()
    br = case33.tables["dist_branches"].copy()
    br["thermal_limit"] = 50.0
    br.loc[br.index[:3], "thermal_limit"] = np.nan
    closed = br["status"] == "closed"
    unrated = int((closed & br["thermal_limit"].isna()).sum())
    some = hosting_capacity(case33.with_table("dist_branches", br), options=opts)
    assert some.warnings == (
        f"{unrated} of {int(closed.sum())} closed branches have no thermal_limit; their "
        "loading was not checked",
    )
    br["thermal_limit"] = 50.0
    assert hosting_capacity(case33.with_table("dist_branches", br), options=opts).warnings == ()


@pytest.mark.solver
def test_method_opf_reports_the_search_cap(case33: Network) -> None:
    opts = HostcapOptions(method="opf", v_max=1.05, buses=("2",), max_injection_mw=4.0)
    res = hosting_capacity(case33, options=opts)
    assert res.summary["limiting_constraint"].tolist() == ["search_cap"]
    assert res.summary["hosting_capacity_mw"].iloc[0] == pytest.approx(4.0, abs=1e-4)
    assert len(res.warnings) == 1
