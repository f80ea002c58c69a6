"""Transformers' magnetising branch (``%noloadloss``, ``%imag``) against OpenDSS.

``test_data/opendss/magnetising/magnetising.dss`` holds one transformer of every kind GAT
builds (three-phase wye-wye with a winding-1 tap, delta-wye, wye-delta step-up with a
winding-1 tap, single-phase phase to neutral, single-phase phase to phase, center-tapped),
each with a magnetising branch; its OpenDSS solution is stored in ``opendss_voltages.csv`` and
``opendss_losses.csv`` (see the README there).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS, write_dss

import gat_pf
from gat_dist import import_opendss

MAG = OPENDSS / "magnetising"
FEEDER = MAG / "magnetising.dss"
#: The single-phase delta unit's ungrounded secondary: its common-mode voltage is set only by
#: the anti-floating reactances, so it is compared line to line (yd is both ways: OpenDSS's
#: common mode there is GAT's).
FLOATING = ("s2",)


@pytest.fixture(scope="module")
def solved() -> tuple[pd.DataFrame, pd.DataFrame]:
    net = import_opendss(FEEDER)
    res = gat_pf.run_power_flow_3ph(net, options=gat_pf.ThreePhaseOptions(tol=1e-12))
    assert bool(res.summary["converged"].iloc[0])
    return res.nodes.assign(node_id=res.nodes["node_id"].str.lower()), res.branches


def _volts(df: pd.DataFrame, vm: pd.Series, va: str) -> pd.Series:
    z = vm.to_numpy() * np.exp(1j * np.deg2rad(df[va].to_numpy()))
    return pd.Series(z, index=pd.MultiIndex.from_frame(df[["node_id", "phase"]]))


def test_magnetising_values_are_imported() -> None:
    xf = import_opendss(FEEDER).tables["dist_transformers"].set_index("branch_id")
    got = xf[["noload_loss_pct", "imag_pct"]].astype(float)
    assert got.loc["t_yy"].tolist() == [0.5, 1.5]
    assert got.loc["t_dd"].tolist() == [0.3, 1.0]
    assert got.loc["t_ct"].tolist() == [0.2, 0.5]
    assert xf.loc["t_yy", "tap_from"] == 0.975 and xf.loc["t_yd", "tap_from"] == 0.975


def test_voltages_match_opendss(solved) -> None:
    nodes, _ = solved
    ref = pd.read_csv(MAG / "opendss_voltages.csv")
    both = ref.merge(nodes, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref) == 20
    grounded = both[~both["node_id"].isin(FLOATING)]
    # Measured: 4.0e-8 pu, 1e-6 degree. Before: the feeder did not import; with the
    # magnetising branch alone, a 60 degree error at yd (step-up wye-delta made to lag).
    assert np.abs(grounded["vm_pu"] - grounded["vm_pu_gat"]).max() < 2e-7
    da = (grounded["va_deg"] - grounded["va_deg_gat"] + 180.0) % 360.0 - 180.0
    assert np.abs(da).max() < 2e-5
    # Line to line in kV (OpenDSS gives s2 the 0.416 kV base, GAT the 0.48 kV winding's).
    v_ref = _volts(both, both["vm_pu"] * both["kv_base"], "va_deg")
    v_gat = _volts(both, both["v_kv"], "va_deg_gat")
    for bus, pairs in (("yd", ("AB", "BC", "CA")), ("s2", ("BC",))):
        for a, b in pairs:
            d_ref = v_ref[(bus, a)] - v_ref[(bus, b)]
            d_gat = v_gat[(bus, a)] - v_gat[(bus, b)]
            assert abs(d_ref - d_gat) < 2e-7 * abs(d_ref), (bus, a, b)


def test_transformer_losses_match_opendss(solved) -> None:
    _, branches = solved
    ref = pd.read_csv(MAG / "opendss_losses.csv").set_index("branch_id")
    sums = branches.groupby("branch_id")[["p_from_mw", "p_to_mw", "q_from_mvar", "q_to_mvar"]]
    tot = sums.sum().loc[ref.index] * 1000.0
    p = tot["p_from_mw"] + tot["p_to_mw"]
    q = tot["q_from_mvar"] + tot["q_to_mvar"]
    # Measured: P within 1.1e-7 kW; Q within 5.1e-5 kvar (5.3e-4 before the anti-floating
    # shunt was counted per winding end, as OpenDSS's Yprim: history/2026-12-05-ieee37.md).
    assert np.abs(p - ref["p_loss_kw"]).max() < 1e-5
    assert np.abs(q - ref["q_loss_kvar"]).max() < 1e-4


def test_no_load_loss_is_the_rating_share_at_rated_voltage(tmp_path: Path) -> None:
    # Independent of OpenDSS: an unloaded 500 kVA bank with 1 % no-load loss draws 5 kW
    # times (V / V_rated)^2 at its winding-2 terminals; with a nearly ideal series impedance
    # the source side's 1 pu reaches winding 2 unchanged.
    text = (
        "Clear\nNew Circuit.c basekv=12.47 pu=1.0 phases=3 mvasc3=1e8 mvasc1=1e8\n"
        "New Transformer.t phases=3 windings=2 buses=[sourcebus lv] conns=[delta wye] "
        "kvs=[12.47 0.48] kvas=[500 500] xhl=1e-4 %rs=[1e-5 1e-5] %noloadloss=1 %imag=3\n"
        "Set VoltageBases=[12.47, 0.48]\nCalcVoltageBases\n"
    )
    net = import_opendss(write_dss(tmp_path, text))
    res = gat_pf.run_power_flow_3ph(net, options=gat_pf.ThreePhaseOptions(tol=1e-12))
    br = res.branches[res.branches["branch_id"] == "t"]
    assert (br["p_from_mw"] + br["p_to_mw"]).sum() == pytest.approx(0.005, rel=1e-5)
    assert (br["q_from_mvar"] + br["q_to_mvar"]).sum() == pytest.approx(0.015, rel=1e-4)


def test_negative_magnetising_values_are_refused(tmp_path: Path) -> None:
    text = FEEDER.read_text().replace("%noloadloss=0.5", "%noloadloss=-0.5")
    with pytest.raises(Exception, match="%noloadloss must not be negative"):
        import_opendss(write_dss(tmp_path, text))


def test_stored_reference_is_opendss_solution(tmp_path: Path) -> None:
    pytest.importorskip("opendssdirect")
    sys.path.insert(0, str(MAG))
    import make_opendss_reference as ref

    ref.solve()
    want_cols = ["node_id", "phase", "vm_pu", "va_deg", "kv_base"]
    got_v = pd.DataFrame(ref.voltages(), columns=[*want_cols])
    got_l = pd.DataFrame(ref.losses(), columns=["branch_id", "p_loss_kw", "q_loss_kvar"])
    want_v = pd.read_csv(MAG / "opendss_voltages.csv")
    want_l = pd.read_csv(MAG / "opendss_losses.csv")
    assert np.allclose(got_v["vm_pu"], want_v["vm_pu"], atol=1e-9)
    assert np.allclose(got_l[["p_loss_kw", "q_loss_kvar"]], want_l[["p_loss_kw", "q_loss_kvar"]])
