"""gat_derms.envelope: hulls, the shipped portfolio (AC-verified vertices), feeder head
exchange, binding limits, degenerate groups, ungrouped assets, errors, reference values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_derms.envelope import EnvelopeOptions, compute_envelopes, convex_hull, select_groups
from gat_derms.envelope.model import SupportModel, zero_point
from gat_dist.table_files import read_table_file
from gat_schemas import InputError, Network, SolverError, read_network, validate_table

REPO = Path(__file__).resolve().parents[3]
DERMS = REPO / "test_data" / "derms"
CASE33 = REPO / "test_data" / "networks" / "case33bw"
REFERENCE = Path(__file__).parent / "data" / "envelope" / "reference.csv"

pytestmark = pytest.mark.solver


@pytest.fixture(scope="module")
def net() -> Network:
    """case33bw with thermal limits (the DER example network)."""
    return read_network(DERMS / "case33bw")


@pytest.fixture(scope="module")
def plain() -> Network:
    """case33bw as imported (no thermal limits)."""
    return read_network(CASE33)


@pytest.fixture(scope="module")
def assets() -> pd.DataFrame:
    return read_table_file(DERMS / "der_assets.csv", "der_assets")


@pytest.fixture(scope="module")
def by_agg(net: Network, assets: pd.DataFrame):  # type: ignore[no-untyped-def]
    return compute_envelopes(net, assets, EnvelopeOptions(group_by="agg_id"))


def _signed_area(pts: np.ndarray) -> float:
    p, q = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.sum(p * np.roll(q, -1) - np.roll(p, -1) * q))


# -- hull ------------------------------------------------------------------------------


def test_hull_of_a_point_a_segment_and_a_square() -> None:
    one = convex_hull(np.array([[0.5, 0.1]] * 4))
    assert one.index.tolist() == [0] and one.area == 0
    flat = convex_hull(np.array([[0.0, 0.2], [1.0, 0.2], [0.4, 0.2], [0.7, 0.2]]))
    assert flat.index.tolist() == [1, 0] and flat.area == 0  # largest P end first
    upright = convex_hull(np.array([[0.3, -1.0], [0.3, 2.0], [0.3, 0.0]]))
    assert upright.index.tolist() == [1, 0] and upright.area == 0
    pts = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5], [1, 0.5]], dtype=float)
    sq = convex_hull(pts)
    assert sq.area == pytest.approx(1.0)
    # Counter-clockwise from the largest-P, largest-Q corner; the edge point is no vertex.
    assert pts[sq.index].tolist() == [[1, 1], [0, 1], [0, 0], [1, 0]]
    assert _signed_area(pts[sq.index]) > 0
    assert convex_hull(np.zeros((0, 2))).index.size == 0
    # Solver round-off: a corner found twice, a point just off a side; neither is a vertex.
    noisy = np.vstack([pts, [[1 + 1e-10, 1 - 1e-10], [1 - 1e-10, 1 + 1e-10], [0.5, 1 + 1e-9]]])
    h = convex_hull(noisy)
    assert len(h.index) == 4 and h.area == pytest.approx(1.0, abs=1e-8)
    # A largest-P tie within round-off goes to the larger Q.
    tied = np.array([[1 + 1e-12, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    assert convex_hull(tied).index[0] == 1


# -- the shipped portfolio ------------------------------------------------------------


def test_shipped_portfolio_every_vertex_passes_the_ac_check(by_agg, assets) -> None:  # type: ignore[no-untyped-def]
    env, summary, sp = by_agg.envelopes, by_agg.summary, by_agg.setpoints
    for name, df in (("der_envelopes", env), ("der_envelope_summary", summary),
                     ("der_envelope_setpoints", sp)):  # fmt: skip
        assert validate_table(name, df) == []
    assert summary["group_id"].tolist() == ["agg_north", "agg_south"]
    assert summary["asset_count"].tolist() == [5, 8] and by_agg.ungrouped == ()
    assert summary["ac_verified"].all() and env["ac_verified"].all()
    assert summary["max_ac_violation"].max() < 1e-5
    for g, rows in env.groupby("group_id", sort=False):
        pts = rows[["p_mw", "q_mvar"]].to_numpy()
        s = summary.set_index("group_id").loc[g]
        assert rows["vertex"].tolist() == list(range(len(rows)))
        assert _signed_area(pts) == pytest.approx(s["area_mva2"], rel=1e-9)  # ccw
        assert (s["p_min_mw"], s["p_max_mw"]) == (pts[:, 0].min(), pts[:, 0].max())
        # Asset groups: the AC power flow injects the set points as given.
        assert np.allclose(rows["p_ac_mw"], rows["p_mw"], atol=1e-9)
        # The set points add up to the vertex.
        sums = sp[sp["group_id"] == g].groupby("vertex")[["p_mw", "q_mvar"]].sum()
        assert np.allclose(sums.to_numpy(), pts, atol=1e-7)
    # Set points within each asset's box.
    lim = assets.set_index("asset_id").loc[sp["asset_id"]]
    assert (sp["p_mw"].to_numpy() >= lim["p_min"].to_numpy() - 1e-7).all()
    assert (sp["q_mvar"].to_numpy() <= lim["q_max"].to_numpy() + 1e-7).all()


def test_reference_values(net: Network, assets: pd.DataFrame, by_agg) -> None:  # type: ignore[no-untyped-def]
    ref = pd.read_csv(REFERENCE)
    runs = {("agg_id", "socp"): by_agg.summary}
    for (group_by, model), _ in ref.groupby(["group_by", "model"]):
        if (group_by, model) not in runs:
            opts = EnvelopeOptions(group_by=group_by, model=model)
            runs[group_by, model] = compute_envelopes(net, assets, opts).summary
    for r in ref.itertuples():
        s = runs[r.group_by, r.model].set_index("group_id").loc[r.group_id]
        assert s[r.quantity] == pytest.approx(r.value, abs=r.abs_tol), r


def test_network_limits_bind_and_only_shrink(net: Network, assets: pd.DataFrame, by_agg) -> None:  # type: ignore[no-untyped-def]
    free = compute_envelopes(net, assets, EnvelopeOptions(group_by="agg_id",
                                                          network_limits=False))  # fmt: skip
    a = by_agg.summary.set_index("group_id")
    b = free.summary.set_index("group_id")
    # Without limits the P range is the sum of the assets' own (each box within its s_max
    # polygon, which reaches s_max cos(pi/32) on the P axis); with them agg_south cannot
    # export its 3.5 MW (pv33 is behind a 1 MVA branch) nor import 1.74 MW (v_min).
    south = assets[assets["agg_id"] == "agg_south"]
    reach = south["s_max"] * math.cos(math.pi / 32)
    p_hi = np.minimum(south["p_max"], reach).sum()
    p_lo = np.maximum(south["p_min"], -reach).sum()
    assert b.loc["agg_south", "p_max_mw"] == pytest.approx(p_hi, abs=1e-6)
    assert b.loc["agg_south", "p_min_mw"] == pytest.approx(p_lo, abs=1e-6)
    assert a.loc["agg_south", "p_max_mw"] < p_hi - 0.3
    assert a.loc["agg_south", "p_min_mw"] > p_lo + 0.2
    assert a.loc["agg_south", "area_mva2"] < b.loc["agg_south", "area_mva2"] - 0.1
    assert (a["area_mva2"] <= b["area_mva2"] + 1e-9).all()


def test_pv_behind_a_thermal_limit(net: Network, assets: pd.DataFrame) -> None:
    # pv33 (1.4 MW) sits behind branch 32 rated 1.0 MVA: its export is capped there.
    res = compute_envelopes(net, assets, EnvelopeOptions(group_by="bus_id", directions=8))
    s = res.summary.set_index("group_id")
    assert 0.9 < s.loc["33", "p_max_mw"] < 1.2
    assert s.loc["33", "ac_verified"] and s.loc["33", "max_thermal_violation_pct"] < 0.1
    # Degenerate groups: an EV (no reactive range) is a segment, area 0.
    assert s.loc["14", "vertex_count"] == 2 and s.loc["14", "area_mva2"] == 0
    assert s.loc["14", "q_min_mvar"] == s.loc["14", "q_max_mvar"] == 0
    # bus 25 holds two assets.
    assert s.loc["25", "asset_count"] == 2


def test_ac_check_reports_the_overload_it_finds(net: Network, assets: pd.DataFrame) -> None:
    # Without network limits pv33 exports its full 1.4 MW through branch 32, the only line
    # at node 33 (a leaf): the AC check must fail those vertices for the overload alone.
    # Independent value: at the node-33 end the branch carries the vertex minus node 33's
    # (constant-power) load, so loading = |S_vertex - S_load| / thermal_limit.
    opts = EnvelopeOptions(group_by="bus_id", directions=8, network_limits=False)
    res = compute_envelopes(net, assets[assets["asset_id"] == "pv33"], opts)
    node = net.nodes.set_index("node_id").loc["33"]
    (rating,) = net.branches.loc[net.branches["branch_id"] == "32", "thermal_limit"]
    env = res.envelopes
    over = np.hypot(env["p_mw"] - node["load_p"], env["q_mvar"] - node["load_q"]) / rating
    expected = np.maximum(over * 100.0 - 100.0, 0.0)
    # Agreement to 1e-4 percentage points (1e-6 MVA): the AC power flow's mismatch tolerance.
    assert np.allclose(env["ac_thermal_violation_pct"], expected, rtol=0, atol=1e-4)
    assert (env["ac_vm_violation_pu"] == 0).all() and env["ac_converged"].all()
    assert (env["ac_verified"] == (expected <= opts.thermal_tol_pct)).all()
    assert expected.max() > 30 and (~env["ac_verified"]).sum() >= 2
    s = res.summary.iloc[0]
    assert not s["ac_verified"]
    assert s["max_thermal_violation_pct"] == pytest.approx(expected.max(), abs=1e-4)
    assert s["max_ac_violation"] == pytest.approx(expected.max() / 100.0, abs=1e-6)


# -- feeder head ----------------------------------------------------------------------


def test_ac_check_reports_over_and_under_voltage(plain: Network) -> None:
    # 2 MW of PV at the far end of case33bw, no network limits in the LPs: at full export
    # and +0.5 Mvar the AC voltage rises past v_max 1.05; at 0 MW and -0.5 Mvar it sags
    # below v_min 0.9. The check must report either side (the slack's 1.0 pu is within).
    pv = pd.DataFrame([{"asset_id": "pv", "bus_id": "18", "phase": "ABC", "asset_type": "pv",
                        "p_min": 0.0, "p_max": 2.0, "q_min": -0.5, "q_max": 0.5,
                        "s_max": math.nan, "agg_id": "a"}])  # fmt: skip
    opts = EnvelopeOptions(model="lindistflow", network_limits=False, directions=8, v_max=1.05)
    env = compute_envelopes(plain, pv, opts).envelopes

    def at(p: float, q: float) -> pd.Series:
        (row,) = np.flatnonzero(np.isclose(env["p_mw"], p) & np.isclose(env["q_mvar"], q))
        return env.iloc[row]

    expected = np.maximum.reduce(
        [env["vm_max_ac_pu"] - 1.05, 0.9 - env["vm_min_ac_pu"], np.zeros(len(env))]
    )
    assert np.allclose(env["ac_vm_violation_pu"], expected, rtol=0, atol=1e-12)
    high, low = at(2.0, 0.5), at(0.0, -0.5)
    assert high["vm_max_ac_pu"] > 1.06 and high["vm_min_ac_pu"] > 0.9 and not high["ac_verified"]
    assert low["vm_min_ac_pu"] < 0.89 and not low["ac_verified"]
    assert at(0.0, 0.5)["ac_verified"]


def test_feeder_without_limits_is_the_box_sum_minus_the_load(plain: Network) -> None:
    boxes = read_table_file(DERMS / "der_assets.csv", "der_assets").assign(s_max=math.nan)
    opts = EnvelopeOptions(group_by="feeder", model="lindistflow", network_limits=False,
                           directions=8)  # fmt: skip
    res = compute_envelopes(plain, boxes, opts)
    s = res.summary.iloc[0]
    load_p, load_q = plain.nodes["load_p"].sum(), plain.nodes["load_q"].sum()
    # LinDistFlow is lossless: the head exports the assets minus the loads.
    assert s["p_max_mw"] == pytest.approx(boxes["p_max"].sum() - load_p, abs=1e-7)
    assert s["p_min_mw"] == pytest.approx(boxes["p_min"].sum() - load_p, abs=1e-7)
    assert s["q_max_mvar"] == pytest.approx(boxes["q_max"].sum() - load_q, abs=1e-7)
    assert s["area_mva2"] == pytest.approx(
        (boxes["p_max"].sum() - boxes["p_min"].sum())
        * (boxes["q_max"].sum() - boxes["q_min"].sum()),
        abs=1e-6,
    )
    # The AC head exchange is the LP's minus the losses.
    env = res.envelopes
    assert (env["p_ac_mw"] < env["p_mw"]).all()


def test_feeder_socp_head_matches_ac(net: Network, assets: pd.DataFrame) -> None:
    res = compute_envelopes(net, assets, EnvelopeOptions(group_by="feeder", directions=16))
    env = res.envelopes
    assert res.summary["group_id"].tolist() == ["case33bw"] and res.summary["ac_verified"].all()
    assert np.abs(env["p_ac_mw"] - env["p_mw"]).max() < 1e-4
    assert np.abs(env["q_ac_mvar"] - env["q_mvar"]).max() < 1e-4


def test_lindistflow_ac_check_within_a_percent(plain: Network, assets: pd.DataFrame) -> None:
    # Plain LinDistFlow ignores losses: its AC check finds voltages slightly below v_min at
    # heavy import, well within 0.01 pu on case33bw.
    opts = EnvelopeOptions(group_by="feeder", model="lindistflow", vm_tol_pu=0.01,
                           ac_corrections=0)  # fmt: skip
    res = compute_envelopes(plain, assets, opts)
    s = res.summary.iloc[0]
    assert s["ac_verified"] and 0 < s["max_vm_violation_pu"] < 0.01


def test_ac_corrections_verify_lindistflow_and_stay_in_their_group(
    net: Network, assets: pd.DataFrame
) -> None:
    raw = compute_envelopes(net, assets, EnvelopeOptions(model="lindistflow", ac_corrections=0))
    fixed = compute_envelopes(net, assets, EnvelopeOptions(model="lindistflow"))
    r, f = raw.summary.set_index("group_id"), fixed.summary.set_index("group_id")
    # Raw: branch and voltage limits broken in AC; corrected: every vertex passes, in a
    # slightly smaller envelope, after one round per group.
    assert not r["ac_verified"].any() and f["ac_verified"].all()
    assert (f["area_mva2"] < r["area_mva2"]).all() and (f["area_mva2"] > 0.9 * r["area_mva2"]).all()
    assert (f["ac_corrections"] >= 1).all() and (r["ac_corrections"] == 0).all()
    # The tightening of one group is undone before the next: each group alone gives the
    # same envelope as in company (the others, ungrouped, sit at their zero point either way).
    for g in ("agg_north", "agg_south"):
        only = assets.assign(agg_id=assets["agg_id"].where(assets["agg_id"] == g, None))
        alone = compute_envelopes(net, only, EnvelopeOptions(model="lindistflow")).summary.iloc[0]
        assert alone["area_mva2"] == pytest.approx(f.loc[g, "area_mva2"], abs=1e-6)


# -- groups ---------------------------------------------------------------------------


def test_assets_outside_the_group_stay_at_their_zero_point(
    net: Network, assets: pd.DataFrame
) -> None:
    opts = EnvelopeOptions(group_by="agg_id", model="lindistflow")
    sm = SupportModel(net, assets, opts)
    groups, _ = select_groups(sm.data, assets, net.nodes, opts.group_by)
    p0, q0 = (x * sm.data.base_mva for x in zero_point(sm.data))
    assert p0[assets["asset_id"].tolist().index("fl_cold")] == pytest.approx(-0.02)
    for g in groups:
        sm.select(g)
        others = np.setdiff1d(np.arange(len(assets)), g.assets)
        for theta in (0.3, 2.0, 4.0):
            pt = sm.solve(theta)
            assert np.allclose(pt.p_der_mw[others], p0[others], atol=1e-9)
            assert np.allclose(pt.q_der_mvar[others], q0[others], atol=1e-9)
            assert pt.p_mw == pytest.approx(pt.p_der_mw[g.assets].sum(), abs=1e-9)


def test_assets_without_agg_id_are_in_no_group(net: Network, assets: pd.DataFrame) -> None:
    part = assets.copy()
    # Missing as a pandas string NA (what Parquet gives), an empty text and None alike.
    part["agg_id"] = part["agg_id"].astype("string")
    part.loc[part["asset_id"] == "pv18", "agg_id"] = pd.NA
    part.loc[part["asset_id"] == "bat17", "agg_id"] = ""
    calls: list[tuple[int, int]] = []
    res = compute_envelopes(net, part, EnvelopeOptions(group_by="agg_id", directions=8,
                                                       model="lindistflow"),
                            progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert res.ungrouped == ("pv18", "bat17")
    assert calls == [(i, 16) for i in range(1, 17)]  # one call per support LP
    assert res.summary.set_index("group_id").loc["agg_north", "asset_count"] == 3


# -- errors ---------------------------------------------------------------------------


def test_limits_broken_before_any_asset_moves_are_held(net: Network, assets: pd.DataFrame) -> None:
    # At v_min 0.92 the far end of case33bw (0.913 pu) is already too low: those nodes are
    # held at their base-case voltage, the assets must not lower them further.
    opts = EnvelopeOptions(group_by="agg_id", model="lindistflow", v_min=0.92, directions=8)
    res = compute_envelopes(net, assets, opts)
    held = res.held.set_index("element")
    assert set(held["limit"]) == {"v_min"} and {"18", "33"} <= set(held.index)
    assert (held["value"] == 0.92).all() and (held["held_at"] < 0.92).all()
    assert (res.summary["status"] == "optimal").all()
    # With the nodes' own limits (v_min 0.9) nothing is broken, nothing held.
    assert compute_envelopes(net, assets, EnvelopeOptions(group_by="agg_id",
                             model="lindistflow", directions=8)).held.empty  # fmt: skip


def test_infeasible_everywhere_names_the_limits(net: Network, assets: pd.DataFrame) -> None:
    # A 0.15 MW must-run load on a 0.15 MVA inverter: its zero point (p = p_max = -0.15)
    # lies outside the inscribed 32-gon, so no group has a feasible point.
    stuck = assets.copy()
    stuck.loc[stuck["asset_id"] == "fl_cold", ["p_min", "p_max"]] = -0.15
    opts = EnvelopeOptions(group_by="agg_id", model="lindistflow", directions=4)
    with pytest.raises(SolverError, match=r"infeasible.*asset limits.*fl_cold"):
        compute_envelopes(net, stuck, opts)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"directions": 2}, "directions"),
        ({"group_by": "owner"}, "grouping"),
        ({"model": "dc"}, "model"),
        ({"v_min": 1.1, "v_max": 1.0}, "v_min"),
        # A NaN limit crashed Pyomo with an internal error; a negative one was squared into
        # a lower bound of (1 pu)^2.
        ({"v_min": math.nan}, "v_min"),
        ({"v_min": -1.0}, "v_min"),
        ({"v_max": math.inf}, "v_max"),
        ({"vm_tol_pu": math.inf}, "vm_tol_pu"),
        ({"thermal_tol_pct": math.nan}, "thermal_tol_pct"),
        ({"time_limit_s": math.nan}, "time_limit_s"),
    ],
)
def test_bad_options(kwargs: dict, text: str) -> None:
    with pytest.raises(InputError, match=text):
        EnvelopeOptions(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [({"v_min": 1.2}, r"v_min 1\.2 .*not below v_max.* 2, 3, 4, 5, 6 and 27 more"),
     ({"v_max": 0.5}, r"v_max 0\.5 .*not above v_min.* 2, 3, 4, 5, 6 and 27 more")],
)  # fmt: skip
def test_a_voltage_override_past_the_other_limit_is_an_input_error(
    net: Network, assets: pd.DataFrame, kwargs: dict, text: str
) -> None:
    # Every node of case33bw has v_min 0.9 and v_max 1.1: --v-min 1.2 leaves no voltage
    # band. It used to be taken as a limit already broken and held at the base case, so the
    # run "succeeded" with every node's limit moved.
    opts = EnvelopeOptions(model="lindistflow", directions=4, **kwargs)
    with pytest.raises(InputError, match=text):
        compute_envelopes(net, assets, opts)


def test_no_assets_is_an_input_error(net: Network, assets: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="no assets"):
        compute_envelopes(net, assets.iloc[:0])
    with pytest.raises(InputError, match="agg_id"):
        compute_envelopes(net, assets.drop(columns="agg_id"), EnvelopeOptions(group_by="agg_id"))


def test_a_feeder_without_slack_is_fed_through_its_boundary(plain: Network) -> None:
    # Nodes 19-22 (the lateral off node 2) become feeder "lat"; branch 2-19 feeds it.
    nodes = plain.nodes.copy()
    lat = nodes["node_id"].isin(["19", "20", "21", "22"])
    nodes.loc[lat, "feeder_id"] = "lat"
    two = Network(plain.name, plain.base_mva, dict(plain.tables) | {"dist_nodes": nodes})
    boxes = read_table_file(DERMS / "der_assets.csv", "der_assets").assign(s_max=math.nan)
    opts = EnvelopeOptions(group_by="feeder", model="lindistflow", network_limits=False,
                           directions=8)  # fmt: skip
    res = compute_envelopes(two, boxes, opts)
    s = res.summary.set_index("group_id")
    assert s.index.tolist() == ["case33bw", "lat"]
    in_lat = boxes["bus_id"].isin(["19", "20", "21", "22"])
    for name, assets, loads in (("lat", boxes[in_lat], nodes[lat]),
                                ("case33bw", boxes[~in_lat], nodes[~lat])):  # fmt: skip
        # Lossless: what a feeder exports is its assets minus its loads, whatever the other
        # feeder does (its assets stay at zero).
        assert s.loc[name, "asset_count"] == len(assets)
        assert s.loc[name, "p_max_mw"] == pytest.approx(
            assets["p_max"].sum() - loads["load_p"].sum(), abs=1e-7
        )
        assert s.loc[name, "q_min_mvar"] == pytest.approx(
            assets["q_min"].sum() - loads["load_q"].sum(), abs=1e-7
        )
    # In AC the lateral's export arrives at node 2 short of its own losses.
    env = res.envelopes[res.envelopes["group_id"] == "lat"]
    assert ((env["p_ac_mw"] < env["p_mw"]) & (env["p_ac_mw"] > env["p_mw"] - 0.01)).all()


def test_a_lateral_feeder_socp_exchange_matches_ac(plain: Network, assets: pd.DataFrame) -> None:
    # socp: the lateral's export is what arrives at node 2 through branch 2-19, the branch
    # flow less its losses (r l); the AC power flow of every vertex must find the same.
    nodes = plain.nodes.copy()
    nodes.loc[nodes["node_id"].isin(["19", "20", "21", "22"]), "feeder_id"] = "lat"
    two = Network(plain.name, plain.base_mva, dict(plain.tables) | {"dist_nodes": nodes})
    res = compute_envelopes(two, assets, EnvelopeOptions(group_by="feeder", directions=8))
    assert res.summary["ac_verified"].all() and (res.summary["vertex_count"] >= 3).all()
    # Agreement seen: about 1e-7 MW; leaving out the r l term is off by 2e-4 MW on "lat".
    env = res.envelopes
    assert np.abs(env["p_ac_mw"] - env["p_mw"]).max() < 2e-5
    assert np.abs(env["q_ac_mvar"] - env["q_mvar"]).max() < 2e-5


def test_the_library_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    # case141 has branches without flow at the base case: seeding the socp cuts there writes
    # zero coefficients, which HiGHS reports on standard output unless told to be quiet.
    case141 = read_network(REPO / "test_data" / "networks" / "case141")
    one = pd.DataFrame([{"asset_id": "pv", "bus_id": "131", "phase": "ABC", "asset_type": "pv",
                         "p_min": 0.0, "p_max": 0.5, "q_min": -0.2, "q_max": 0.2,
                         "s_max": 0.55, "agg_id": "a"}])  # fmt: skip
    sm = SupportModel(case141, one, EnvelopeOptions(model="socp"))
    sm.base_point()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_vertex_without_ac_solution_is_reported_not_hidden(plain: Network) -> None:
    # Without network limits LinDistFlow lets a 6 MW load at node 18 draw the voltage to 0;
    # the AC power flow has no solution there: NaN checks, not verified, no crash.
    big = pd.DataFrame([{"asset_id": "big", "bus_id": "18", "phase": "ABC",
                         "asset_type": "flex_load", "p_min": -6.0, "p_max": 0.0, "q_min": 0.0,
                         "q_max": 0.0, "s_max": math.nan, "agg_id": "a"}])  # fmt: skip
    opts = EnvelopeOptions(model="lindistflow", network_limits=False, directions=4)
    res = compute_envelopes(plain, big, opts)
    env = res.envelopes.set_index("p_mw")
    assert env.loc[0.0, "ac_verified"] and not env.loc[-6.0, "ac_converged"]
    assert math.isnan(env.loc[-6.0, "vm_min_ac_pu"]) and math.isnan(env.loc[-6.0, "p_ac_mw"])
    s = res.summary.iloc[0]
    assert not s["ac_verified"] and math.isnan(s["max_ac_violation"])
    assert validate_table("der_envelopes", res.envelopes) == []
