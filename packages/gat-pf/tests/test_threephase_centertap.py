"""Center-tapped transformers, triplex lines and split-phase nodes against OpenDSS.

The network below is ``test_data/opendss/split_phase/split_phase.dss`` written as GAT tables
by hand (the contract of ``history/2026-12-04-split-phase.md``: a split-phase node lists its
legs as phases A and B, base_kv 0.208 so each leg has a 120 V line-to-neutral base). OpenDSS's
node voltages and losses are in ``split_phase_opendss*.csv`` beside the script
(``make_reference.py``); the source is nearly ideal there (MVAsc3 = MVAsc1 = 1e9, about 1.6e-7 ohm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_pf._threephase._centertap import center_tap_admittance
from gat_schemas import Network
from gat_schemas.errors import InputError

CASE = Path(__file__).resolve().parents[3] / "test_data" / "opendss" / "split_phase"
V_TOL_PU = 1e-5  # of the line-to-neutral base
ANGLE_TOL_DEG = 1e-3
LOSS_RTOL = 1e-3
KFT_PER_KM = 1 / 0.3048
OMEGA = 2 * np.pi * 60.0


def _code(cid: str, n: int, r: list, x: list, c_nf: list, per_km: float) -> dict:
    row: dict = {"linecode_id": cid, "n_phases": n}
    for kind, vals, f in (("r", r, per_km), ("x", x, per_km), ("b", c_nf, per_km * OMEGA * 1e-3)):
        for ij in ("11", "12", "13", "22", "23", "33"):
            i, j = int(ij[0]) - 1, int(ij[1]) - 1
            row[f"{kind}{ij}"] = vals[i][j] * f if i < n and j < n else 0.0
    return row


def _network() -> Network:
    nodes = pd.DataFrame(
        {
            "node_id": ["src", "p", "s", "l", "s2"],
            "phase": ["ABC", "ABC", "AB", "AB", "AB"],
            "type": ["slack", "load", "load", "load", "load"],
            "v_min": 0.9,
            "v_max": 1.1,
            "load_p": 0.0,
            "load_q": 0.0,
            "feeder_id": "f",
            "base_kv": [12.47, 12.47, 0.208, 0.208, 0.208],
            "v_set": 1.0,
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": ["primary", "ctb", "ctc", "tpx"],
            "from_node": ["src", "p", "p", "s"],
            "to_node": ["p", "s", "s2", "l"],
            "r": [0.004, 0.5, 0.5, 0.01],
            "x": [0.012, 0.5, 0.5, 0.01],
            "b": 0.0,
            "tap": 1.0,
            "status": "closed",
            "thermal_limit": np.nan,
            "branch_type": ["line", "transformer", "transformer", "line"],
            "length_km": [2.0, np.nan, np.nan, 100 * 0.3048e-3],
            "phases": ["ABC", None, None, "AB"],
            "linecode_id": ["mtx", None, None, "tpx"],
        }
    )
    mtx_r = [[0.3465, 0.1560, 0.1580], [0.1560, 0.3375, 0.1535], [0.1580, 0.1535, 0.3414]]
    mtx_x = [[1.0179, 0.5017, 0.4236], [0.5017, 1.0478, 0.3849], [0.4236, 0.3849, 1.0348]]
    mtx_c = [[9.0, -2.0, -1.5], [-2.0, 9.5, -1.2], [-1.5, -1.2, 9.2]]
    tpx_r = [[0.40995115, 0.11809509], [0.11809509, 0.40995115]]
    tpx_x = [[0.16681819, 0.12759250], [0.12759250, 0.16681819]]
    tpx_c = [[3.0, -2.4], [-2.4, 3.0]]
    codes = pd.DataFrame(
        [
            _code("mtx", 3, mtx_r, mtx_x, mtx_c, 1.0),
            _code("tpx", 2, tpx_r, tpx_x, tpx_c, KFT_PER_KM),
        ]
    )
    # %Rs = [0.6 1.2 1.2], Xhl = Xht = 2.04, Xlt = 1.36 (all on the unit rating); the
    # phase-C unit has %noloadloss = 0.2 and %imag = 0.5.
    xf = pd.DataFrame(
        {
            "branch_id": ["ctb", "ctc"],
            "phases": ["B", "C"],
            "phases_to": ["AB", "AB"],
            "conn_from": "wye_g",
            "conn_to": "center_tap",
            "kv_from": 7.2,
            "kv_to": 0.12,
            "s_rated_mva": [0.025, 0.05],
            "r_pct": 1.8,
            "x_pct": 2.04,
            "x_ht_pct": 2.04,
            "r_lt_pct": 2.4,
            "x_lt_pct": 1.36,
            "noload_loss_pct": [0.0, 0.2],
            "imag_pct": [0.0, 0.5],
        }
    )
    # Loads at nominal voltage: 120 V per leg (wye), 208 V "line to line" for the 240 V load
    # (constant power: the nominal voltage does not change it).
    house_q = 10 * np.tan(np.arccos(0.95)) / 2
    shop_q = 30 * np.tan(np.arccos(0.9)) / 2
    loads = pd.DataFrame(
        {
            "load_id": ["house", "lamp", "dryer", "shop", "prim"],
            "node_id": ["l", "l", "l", "s2", "p"],
            "connection": ["wye", "wye", "delta", "wye", "wye"],
            "model": "pq",
            "p_a_mw": [5e-3, 3e-3, 4e-3, 15e-3, 0.1],
            "q_a_mvar": [house_q * 1e-3, 1e-3, 0.5e-3, shop_q * 1e-3, 100e-3 / 3],
            "p_b_mw": [5e-3, 0.0, 0.0, 15e-3, 0.1],
            "q_b_mvar": [house_q * 1e-3, 0.0, 0.0, shop_q * 1e-3, 100e-3 / 3],
            "p_c_mw": [0.0, 0.0, 0.0, 0.0, 0.1],
            "q_c_mvar": [0.0, 0.0, 0.0, 0.0, 100e-3 / 3],
        }
    )
    tables = {
        "dist_nodes": nodes,
        "dist_branches": branches,
        "dist_linecodes": codes,
        "dist_transformers": xf,
        "dist_loads": loads,
    }
    return Network("split_phase", 1.0, tables)


@pytest.fixture(scope="module")
def solved() -> gat_pf.ThreePhaseResult:
    return gat_pf.run_power_flow_3ph(_network())


def test_voltages_match_opendss(solved: gat_pf.ThreePhaseResult) -> None:
    ref = pd.read_csv(CASE / "split_phase_opendss.csv")
    ref["phase"] = ref.node.map({1: "A", 2: "B", 3: "C"})
    got = solved.nodes.set_index(["node_id", "phase"])
    g = got.loc[list(zip(ref.bus, ref.phase, strict=True))]
    vbase = g.v_kv.to_numpy() / g.vm_pu.to_numpy()
    assert np.abs(g.v_kv.to_numpy() - ref.v_kv.to_numpy()).max() / vbase.min() < V_TOL_PU
    dang = (g.va_deg.to_numpy() - ref.va_deg.to_numpy() + 180) % 360 - 180
    assert np.abs(dang).max() < ANGLE_TOL_DEG


def test_legs_are_opposite_and_240_v_apart(solved: gat_pf.ThreePhaseResult) -> None:
    n = solved.nodes.set_index(["node_id", "phase"])
    for bus in ("s", "l", "s2"):
        a, b = n.loc[(bus, "A")], n.loc[(bus, "B")]
        va = a.v_kv * np.exp(1j * np.radians(a.va_deg))
        vb = b.v_kv * np.exp(1j * np.radians(b.va_deg))
        assert abs(abs(va - vb) - 0.24) < 0.02
        assert abs(((a.va_deg - b.va_deg) % 360) - 180) < 2.0


def test_losses_match_opendss_and_power_balances(solved: gat_pf.ThreePhaseResult) -> None:
    ref = pd.read_csv(CASE / "split_phase_opendss_summary.csv").iloc[0]
    s = solved.summary.iloc[0]
    assert s.p_loss_mw * 1e3 == pytest.approx(ref.p_loss_kw, rel=LOSS_RTOL)
    # Source power = load + losses (constant-power loads; losses include the core loss).
    load_mw = (10 + 3 + 4 + 30 + 300) / 1e3
    src = solved.nodes[solved.nodes.node_id == "src"].p_mw.sum()
    assert src == pytest.approx(ref.p_source_kw / 1e3, rel=1e-4)
    assert src == pytest.approx(load_mw + s.p_loss_mw, rel=1e-6)


def test_star_equivalent_by_hand() -> None:
    """Open leg 2: primary to leg 1 is the series z_H + z_1 = Z_HX1 (pu on the rating)."""
    y4 = center_tap_admittance(7.2, 0.12, 0.025, 1.8 + 2.04j, 1.8 + 2.04j, 2.4 + 1.36j)
    # The two primary copies share one node: fold them (P^T Y P), then short leg 1, open leg 2.
    fold = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    y = fold.T @ y4 @ fold
    keep = [0, 2]
    z_in = np.linalg.inv(y[np.ix_(keep, keep)])[0, 0]
    z_base = 7.2**2 / 0.025
    assert z_in / z_base == pytest.approx((1.8 + 2.04j) / 100, rel=1e-9)
    # Each copy of the primary terminal carries half the primary current.
    assert np.allclose(y4[0], y4[1]) and np.allclose(y4[:, 0], y4[:, 1])


def test_center_tap_needs_its_impedances() -> None:
    net = _network()
    xf = net.tables["dist_transformers"].drop(columns="x_lt_pct")
    bad = Network(net.name, net.base_mva, {**net.tables, "dist_transformers": xf})
    with pytest.raises(InputError, match="x_lt_pct is required"):
        gat_pf.run_power_flow_3ph(bad)


def test_phase_reached_only_by_an_open_switch_is_left_out() -> None:
    """OpenDSS leaves the far side of an open tie dead; GAT drops that node phase."""
    net = _network()
    nodes = pd.concat(
        [net.tables["dist_nodes"], net.tables["dist_nodes"].iloc[[1]].assign(node_id="tie")],
        ignore_index=True,
    )
    nodes.loc[nodes.node_id == "tie", "phase"] = "AB"
    tie = pd.DataFrame(
        {
            "branch_id": ["to_tie", "tie_sw"],
            "from_node": ["p", "p"],
            "to_node": ["tie", "tie"],
            "r": [0.001, 0.0],
            "x": [0.001, 0.0],
            "b": 0.0,
            "tap": 1.0,
            "status": ["closed", "open"],
            "thermal_limit": np.nan,
            "branch_type": ["line", "switch"],
            "length_km": np.nan,
            "phases": ["A", "B"],
            "linecode_id": None,
        }
    )
    br = pd.concat([net.tables["dist_branches"], tie], ignore_index=True)
    tables = {**net.tables, "dist_nodes": nodes, "dist_branches": br}
    res = gat_pf.run_power_flow_3ph(Network(net.name, net.base_mva, tables))
    assert res.nodes[res.nodes.node_id == "tie"].phase.tolist() == ["A"]
    # A load on the dead phase keeps it, and the network is refused as before.
    loads = pd.concat(
        [net.tables["dist_loads"], net.tables["dist_loads"].iloc[[0]].assign(node_id="tie")],
        ignore_index=True,
    )
    with pytest.raises(InputError, match="not connected to any slack phase"):
        gat_pf.run_power_flow_3ph(Network(net.name, net.base_mva, {**tables, "dist_loads": loads}))
