"""Transformer and regulator rules of EPRI's feeders (history/2026-12-04-feeder-sweep.md,
section "2026-12-05, xfmr2"), each measured with opendssdirect on one-unit circuits.
Expected values are OpenDSS's (``test_data/opendss/xfmr2``), not GAT's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import write_dss

import gat_pf
from gat_dist import import_opendss
from gat_pf import ThreePhaseOptions

CASE = Path(__file__).resolve().parents[3] / "test_data" / "opendss" / "xfmr2"
HEAD = "Clear\nNew Circuit.t basekv=12.47 pu=1.0 phases=3\n"


def _xf(tmp_path: Path, unit: str) -> pd.Series:
    text = HEAD + unit + "\nSet VoltageBases=[12.47, 0.415692]\nCalcVoltageBases\n"
    net = import_opendss(write_dss(tmp_path, text))
    return net.tables["dist_transformers"].set_index("branch_id").loc["x"]


@pytest.mark.parametrize(
    ("unit", "s_mva", "r_pct"),
    [
        # a scalar kVA= sets both windings: the last one written rates the unit
        ("wdg=1 bus=sourcebus.1 kv=7.2 kva=75 wdg=2 bus=lv.1 kv=0.24 kva=50", 0.05, 1.2),
        ("wdg=2 bus=lv.1 kv=0.24 kva=50 wdg=1 bus=sourcebus.1 kv=7.2 kva=75", 0.075, 1.2),
        # kvas= keeps two ratings; every % is on winding 1's, %r summed as written
        ("buses=(sourcebus.1 lv.1) kvs=(7.2 0.24) kvas=(75 50)", 0.075, 1.2),
        ("buses=(sourcebus.1 lv.1) kvs=(7.2 0.24) kvas=(50 75)", 0.05, 1.2),
    ],
)
def test_winding_kva_rule(tmp_path: Path, unit: str, s_mva: float, r_pct: float) -> None:
    row = _xf(tmp_path, f"New Transformer.x phases=1 {unit} %rs=(0.8 0.4) xhl=2")
    assert row["s_rated_mva"] == pytest.approx(s_mva, rel=1e-12)
    assert row["r_pct"] == pytest.approx(r_pct, rel=1e-12)
    assert row["x_pct"] == pytest.approx(2.0)


def test_xfmr2_feeder_matches_opendss() -> None:
    net = import_opendss(CASE / "xfmr2.dss")
    result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
    assert bool(result.summary["converged"].iloc[0])
    ref = pd.read_csv(CASE / "opendss_voltages.csv")
    got = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(got, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref)
    da = (both["va_deg"] - both["va_deg_gat"] + 180.0) % 360.0 - 180.0
    assert np.abs(both["vm_pu"] - both["vm_pu_gat"]).max() < 1e-8
    assert np.abs(da).max() < 1e-6


def test_reference_file_is_opendss_s() -> None:
    """Re-run OpenDSS (when installed) and compare with the shipped CSV."""
    pytest.importorskip("opendssdirect")
    spec = importlib.util.spec_from_file_location(
        "xfmr2_reference", CASE / "make_opendss_reference.py"
    )
    assert spec is not None and spec.loader is not None
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    live = pd.DataFrame(ref.solve(), columns=["node_id", "phase", "vm_pu", "va_deg"])
    shipped = pd.read_csv(CASE / "opendss_voltages.csv")
    assert live["node_id"].tolist() == shipped["node_id"].tolist()
    assert live["vm_pu"].astype(float).to_numpy() == pytest.approx(shipped["vm_pu"], abs=1e-9)
    taps, ltc = ref.solve_ltc()
    assert taps == pd.read_csv(CASE / "ltc_taps.csv").set_index("transformer")["tap"].to_dict()
    shipped = pd.read_csv(CASE / "ltc_voltages.csv")
    assert [float(r[2]) for r in ltc] == pytest.approx(shipped["vm_pu"].tolist(), abs=1e-9)


def test_regulators_on_delta_wye_and_wye_delta_banks_match_opendss() -> None:
    # The PT reads winding 2's phase ptphase: to ground on the wye of the delta-wye
    # substation bank, to the next phase on the delta of the wye-delta bank (A-B for
    # ptphase=1: 118.39 V, in the band; A-C would read 124.66 V and move the tap).
    net = import_opendss(CASE / "ltc.dss")
    regs = net.tables["dist_regulators"].set_index("regulator_id")
    assert regs["mode"].tolist() == ["auto", "auto"]
    assert regs.loc["sub_ltc", "pt_phase"] == "B"
    result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
    assert bool(result.summary["converged"].iloc[0])
    taps = pd.read_csv(CASE / "ltc_taps.csv").set_index("transformer")["tap"]
    got = result.regulators.set_index("branch_id")["tap"]
    assert got.to_dict() == taps.to_dict()
    assert result.regulators.set_index("regulator_id").loc[
        "wd_ltc", "v_regulated_v"
    ] == pytest.approx(118.387127, abs=1e-5)
    ref = pd.read_csv(CASE / "ltc_voltages.csv")
    nodes = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(nodes, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref) == 15
    da = (both["va_deg"] - both["va_deg_gat"] + 180.0) % 360.0 - 180.0
    assert np.abs(both["vm_pu"] - both["vm_pu_gat"]).max() < 1e-8
    assert np.abs(da).max() < 1e-6
