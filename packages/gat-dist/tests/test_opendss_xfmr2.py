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
from gat_schemas.errors import InputError

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


def _ltc_text(extra: str) -> str:
    return (CASE / "ltc.dss").read_text().replace("ptphase=2\n", f"ptphase=1 {extra}\n")


def test_regcontrol_bus_on_its_own_winding_matches_opendss(tmp_path: Path) -> None:
    # bus=NAME.n: the PT reads node n (default 1) to ground and OpenDSS drops the line-drop
    # compensation (R=3 X=6 here): taps as OpenDSS's controls left them (ltc_bus_cases.csv).
    # Row "" (no bus=, compensation on) shows the compensator matters in OpenDSS (15 steps
    # against bus=lsb's 12); GAT steps to the set point and lands on 16 there, both in the
    # band (123.2 and 124.0 V of 123-125): the stepping rule, not the PT.
    cases = pd.read_csv(CASE / "ltc_bus_cases.csv", keep_default_na=False)
    assert cases.set_index("extra").loc["", "tap"] != cases.set_index("extra").loc["bus=lsb", "tap"]
    cases = cases[cases["extra"] != ""]
    for extra, tap in zip(cases["extra"], cases["tap"], strict=True):
        net = import_opendss(write_dss(tmp_path, _ltc_text(extra)))
        result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
        got = result.regulators.set_index("branch_id").loc["sub", "tap"]
        assert (extra, int(got)) == (extra, int(tap))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("bus=b", r"regcontrol sub_ltc: bus=b: GAT's PT reads the regulated winding"),
        ("bus=lsb ptphase=2", r"ptphase= with bus= is not supported"),
    ],
)
def test_regcontrol_bus_gat_cannot_model_is_refused(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        import_opendss(write_dss(tmp_path, _ltc_text(extra)))


CAP = """Clear
New Circuit.c basekv=12.47 bus1=s
New Line.l bus1=s bus2=b r1=0.5 x1=1 r0=1 x0=3 c1=0 c0=0 units=km length=2
New Load.x bus1=b kv=12.47 kw=2000 kvar=1500
New Capacitor.c1 bus1=b kv=12.47 kvar=600 {}
Set VoltageBases=[12.47]
CalcVoltageBases
"""


@pytest.mark.parametrize(("states", "vm"), [("states=0", 0.965542), ("states=[1]", 0.973549)])
def test_capacitor_states(tmp_path: Path, states: str, vm: float) -> None:
    # OpenDSS (opendssdirect, snapshot): states=0 leaves the bank open; bus b at 0.965542 pu,
    # 0.973549 with it closed.
    net = import_opendss(write_dss(tmp_path, CAP.format(states)))
    caps = net.tables["dist_caps"]
    assert caps["status"].tolist() == ["closed" if "1" in states else "open"]
    result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
    nodes = result.nodes.set_index(["node_id", "phase"])
    assert nodes.loc[("b", "A"), "vm_pu"] == pytest.approx(vm, abs=2e-6)


def test_capacitor_of_several_steps_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"states=\[1 0\]: GAT's capacitor has one step"):
        import_opendss(write_dss(tmp_path, CAP.format("states=[1 0]")))


def test_source_emf_is_pu_times_its_basekv(tmp_path: Path) -> None:
    # EPRI M1: basekV=67 while the bus snaps to the 66 kV voltage base; OpenDSS's EMF is
    # 1.0 x 67 kV (opendssdirect: s 1.0151104 pu and b 1.0144312 pu of 66 kV). GAT's EMF
    # was 1.0 pu of the snapped base: 1.5 % low everywhere.
    text = (
        "Clear\nNew Circuit.m basekv=67 pu=1.0 bus1=s r1=0.0518 x1=0.1555 r0=0.0518 x0=0.155\n"
        "New Line.l bus1=s bus2=b r1=0.5 x1=1 r0=1 x0=3 c1=0 c0=0 units=km length=2\n"
        "New Load.x bus1=b kv=67 kw=2000 kvar=500\nSet VoltageBases=[66]\nCalcVoltageBases\n"
    )
    net = import_opendss(write_dss(tmp_path, text))
    result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
    nodes = result.nodes.set_index(["node_id", "phase"])
    assert nodes.loc[("s", "A"), "vm_pu"] == pytest.approx(1.0151104228, abs=1e-8)
    assert nodes.loc[("b", "A"), "vm_pu"] == pytest.approx(1.0144312060, abs=1e-8)


REG = """Clear
New Circuit.c basekv=12.47 bus1=s
New Transformer.r phases=1 buses=(s.1 b.1) kvs=(7.2 7.2) kvas=(1000 1000) xhl=0.1 %rs=(0.01 0.01)
New RegControl.c transformer=r winding=2 vreg=120 {}
New Load.x bus1=b.1 phases=1 kv=7.2 kw=500 kvar=100
Set VoltageBases=[12.47]
CalcVoltageBases
"""


@pytest.mark.parametrize(
    ("extra", "tap"),
    [
        # opendssdirect: tapnum=-2 sets winding 2's tap to 0.9875 (steps of 0.00625), also
        # with a consistent later edit (IEEE 9500 writes both); vlimit=0 and the reverse
        # settings without reversible=yes change nothing
        ("tapnum=-2", -2),
        ("tapnum=-1\nEdit Transformer.r wdg=2 tap=0.99375", -1),
        ("tapnum=-2 vlimit=0 revr=0 revx=0 reversible=no", -2),
    ],
)
def test_regcontrol_tapnum_and_inert_settings(tmp_path: Path, extra: str, tap: int) -> None:
    net = import_opendss(write_dss(tmp_path, REG.format(extra)))
    assert net.tables["dist_regulators"]["tap"].tolist() == [tap]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("tapnum=-2\nEdit Transformer.r wdg=2 tap=1.0125", r"tapnum=-2 \(tap 0.9875\) and"),
        ("vlimit=125", r"regcontrol c: vlimit > 0 \(OpenDSS's first-house limit"),
        ("reversible=yes revvreg=118", r"regcontrol c: reversible=yes"),
    ],
)
def test_regcontrol_settings_gat_cannot_model_are_refused(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        import_opendss(write_dss(tmp_path, REG.format(extra)))


ONE = """Clear
New Circuit.c basekv=12.47 bus1=s
New Line.l phases=1 bus1=s.2 bus2=b.2 r1=0.5 x1=1 r0=1 x0=3 c1=0 c0=0 units=km length=2
New Load.x bus1=b.2 phases=1 kv=7.2 kw=200 kvar=150
New Capacitor.c1 phases=1 bus1=b.2 kv=7.2 kvar=600
New CapControl.cc capacitor=c1 element=line.l terminal=1 ptratio=1 ptphase=2 {}
Set VoltageBases=[12.47]
CalcVoltageBases
"""


def test_capcontrol_ptphase_beyond_the_element_only_where_unread(tmp_path: Path) -> None:
    # IEEE 9500's capbank3b: a kvar control with ptphase=2 on a one-phase line. OpenDSS's
    # kvar control reads the terminal's total, not that PT: read (pt_phase avg). A voltage
    # control does read it (opendssdirect: then it switches on whatever the voltage).
    net = import_opendss(write_dss(tmp_path, ONE.format("type=kvar on=200 off=-300")))
    assert net.tables["dist_cap_controls"]["pt_phase"].tolist() == ["avg"]
    with pytest.raises(InputError, match=r"capcontrol cc: ptphase=2 but the element has 1"):
        import_opendss(write_dss(tmp_path, ONE.format("type=voltage on=118 off=125")))
