"""OpenDSS rules EPRI's full-size feeders (ckt7, ckt24, K1, M1) need, each measured with
opendssdirect on one-element circuits (history/2026-12-04-feeder-sweep.md, section
"2026-12-05, epri-ckt"): load allocation (``xfkVA`` x ``AllocationFactor``), the order of
``kW``/``kvar``/``pf``/``kVA``, ``LoadShape action=normalize``, ``SetkVBase``, ZIP loads.
Expected values are OpenDSS's, written out here from its rules, not from GAT."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS, write_dss

import gat_pf
from gat_dist import import_opendss
from gat_pf import ThreePhaseOptions
from gat_schemas.errors import InputError

#: A feeder with a 12.47/0.48 kV transformer; each test appends lines.
BASE = """Clear
New Circuit.t basekv=12.47 pu=1.0 phases=3 mvasc3=40 mvasc1=12
New Linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.8 c1=0 c0=0 units=km
New Line.l1 bus1=sourcebus bus2=b linecode=lc length=1 units=km
New Transformer.t phases=3 windings=2 buses=[b, lv] conns=[delta, wye] kvs=[12.47, 0.48]
~ kvas=[300, 300] xhl=2 %r=0.5
"""
VB = "Set VoltageBases=[12.47, 0.48]\nCalcVoltageBases\n"


def _tables(tmp_path: Path, text: str) -> dict[str, pd.DataFrame]:
    return dict(import_opendss(write_dss(tmp_path, text)).tables)


def _base_kv(tables: dict[str, pd.DataFrame], node: str) -> float:
    nodes = tables["dist_nodes"].set_index("node_id")
    return float(nodes.loc[node, "base_kv"])


def test_setkvbase_sets_the_bus_base_until_calcv(tmp_path: Path) -> None:
    # OpenDSS: Calcv makes lv 0.48 kV; SetkVBase makes it 0.416 (kVLN=0.3: 0.3 sqrt 3);
    # a later Calcv computes it again (checked with opendssdirect).
    t = _tables(tmp_path, BASE + VB)
    assert _base_kv(t, "lv") == pytest.approx(0.48)
    t = _tables(tmp_path, BASE + VB + "SetkVBase bus=lv kVLL=0.416\n")
    assert _base_kv(t, "lv") == pytest.approx(0.416)
    assert _base_kv(t, "b") == pytest.approx(12.47)
    t = _tables(tmp_path, BASE + VB + "setkvbase lv 0.416\n")
    assert _base_kv(t, "lv") == pytest.approx(0.416)
    t = _tables(tmp_path, BASE + VB + "SetkVBase bus=LV kvln=0.3\n")
    assert _base_kv(t, "lv") == pytest.approx(0.3 * math.sqrt(3.0))
    t = _tables(tmp_path, BASE + VB + "SetkVBase bus=lv kVLL=0.416\nCalcv\n")
    assert _base_kv(t, "lv") == pytest.approx(0.48)


def test_setkvbase_bus_needs_no_voltage_base_near_it(tmp_path: Path) -> None:
    # EPRI K1: buses whose nominal voltage no base is within 10 % of, given their base by
    # SetkVBase (OpenDSS snaps them to the nearest base first, then SetkVBase sets it).
    bases = "Set VoltageBases=[12.47, 0.24]\nCalcVoltageBases\n"
    with pytest.raises(InputError, match=r"bus lv: nominal voltage 0.48 kV is not within 10%"):
        _tables(tmp_path, BASE + bases)
    t = _tables(tmp_path, BASE + bases + "SetkVBase bus=lv kVLL=0.48\n")
    assert _base_kv(t, "lv") == pytest.approx(0.48)


def test_reactor_basefreq_of_the_circuit_is_read(tmp_path: Path) -> None:
    # EPRI K1's grounding reactor writes basefreq=60 (the circuit's); another is refused.
    line = "New Reactor.r1 bus1=b bus2=c phases=3 r=0.1 x=0.5 basefreq={}\n"
    t = _tables(tmp_path, BASE + line.format(60) + VB)
    assert "Reactor.r1" in set(t["dist_branches"]["branch_id"])
    with pytest.raises(InputError, match=r"Reactor.r1: basefreq=50 differs from the circuit"):
        _tables(tmp_path, BASE + line.format(50) + VB)


def test_setkvbase_without_a_voltage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"SetkVBase expects bus= and kVLL="):
        _tables(tmp_path, BASE + VB + "SetkVBase bus=lv\n")


CASE = OPENDSS / "epri_rules"


def _load_cases() -> list[tuple[str, str, str, float, float]]:
    ref = pd.read_csv(CASE / "load_power_cases.csv", keep_default_na=False)
    return [(r.shape, r.first, r.then, float(r.kw), float(r.kvar)) for r in ref.itertuples()]


@pytest.mark.parametrize(("shape", "first", "then", "kw", "kvar"), _load_cases())
def test_load_power_is_opendss_s(
    tmp_path: Path, shape: str, first: str, then: str, kw: float, kvar: float
) -> None:
    # kW/kvar/pf/kVA/xfkVA/AllocationFactor and links to useactual=yes shapes replayed in
    # order, each command ending in OpenDSS's recalculation (load_power_cases.csv).
    text = (
        "Clear\nNew Circuit.c bus1=s basekv=12.47 pu=1.0\n"
        + (f"New Loadshape.a {shape}\n" if shape else "")
        + "New Line.x bus1=s bus2=b r1=0.01 x1=0.01 r0=0.01 x0=0.01 c1=0 c0=0 length=1 units=km\n"
        f"New Load.l bus1=b.1 phases=1 kv=7.2 {first}\n"
        + "".join(f"{c.strip()}\n" for c in then.split(";") if c.strip())
        + "Set VoltageBases=[12.47]\nCalcv\n"
    )
    row = _tables(tmp_path, text)["dist_loads"].iloc[0]
    assert (row["p_a_mw"] * 1e3, row["q_a_mvar"] * 1e3) == pytest.approx((kw, kvar), rel=1e-8)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ("xfkva=50", r"xfkVA= needs pf= before it \(OpenDSS would take its default pf 0.88\)"),
        ("kw=10 kvar=5 xfkva=50", "xfkVA= needs pf= before it"),
        ("xfkva=50 pf=0.9", "xfkVA= needs pf= before it"),
        ("kvar=5", "kW is not set: give kW=, give kVA= with pf=, or xfkVA= with pf="),
        ("xfkva=0", "kvar= or pf= is required"),
    ],
)
def test_power_resting_on_opendss_defaults_is_refused(
    tmp_path: Path, props: str, message: str
) -> None:
    text = BASE + f"New Load.x bus1=b.1 phases=1 kv=7.2 {props}\n" + VB
    with pytest.raises(InputError, match=r"small.dss:\d+: load x: " + message):
        _tables(tmp_path, text)


@pytest.mark.parametrize(
    ("props", "shunt_s"),
    [tuple(r) for r in pd.read_csv(CASE / "line_shunt_cases.csv").itertuples(index=False)],
)
def test_default_line_capacitance_follows_opendss_units_rule(
    tmp_path: Path, props: str, shunt_s: float
) -> None:
    # A line by sequence values without c1/c0 and units= after them: OpenDSS converts its
    # default capacitance as if per kft (line_shunt_cases.csv: OpenDSS's YPrim).
    text = (
        "Clear\nNew Circuit.c bus1=a basekv=34.5\n"
        f"New Line.o phases=3 bus1=a bus2=b {props}\n"
        "New Load.x bus1=b kv=34.5 kw=1 pf=1\nSet VoltageBases=[34.5]\nCalcv\n"
    )
    t = _tables(tmp_path, text)
    br = t["dist_branches"].set_index("branch_id").loc["o"]
    code = t["dist_linecodes"].set_index("linecode_id").loc["line.o"]
    got = (code["b11"] + code["b12"] + code["b13"]) * br["length_km"] / 2 * 1e-6
    assert got == pytest.approx(shunt_s, rel=1e-9)


def test_zero_connected_kva_keeps_opendss_default_kw_with_a_note(tmp_path: Path) -> None:
    # EPRI ckt24: xfkVA=0 and no kW: OpenDSS solves the load at its default 10 kW
    # (load_power_cases.csv); GAT does too and names the load in the notes.
    text = BASE + "New Load.x bus1=b.1 phases=1 kv=7.2 xfkVA=0 pf=0.98\n" + VB
    net = import_opendss(write_dss(tmp_path, text))
    notes = net.source["import_notes"]
    assert any("1 load(s) with xfkVA=0 and no kW= keep OpenDSS's default 10 kW" in n
               and "x (small.dss:" in n for n in notes)  # fmt: skip


def test_epri_rules_feeder_matches_opendss() -> None:
    net = import_opendss(CASE / "epri_rules.dss")
    loads = net.tables["dist_loads"].set_index("load_id")
    # 100 kVA x 0.8 x 0.95 (the AllocationFactor edited in allocation.dss), as OpenDSS; at
    # the node's 12.47/sqrt 3 kV base, not the load's 7.2 kV: x (7.19956 / 7.2)^0.8.
    ratio = (12.47 / math.sqrt(3.0) / 7.2) ** 0.8
    assert loads.loc["alloc_cvr", "p_a_mw"] == pytest.approx(0.076 * ratio, rel=1e-12)
    nodes = net.tables["dist_nodes"].set_index("node_id")
    assert nodes.loc["lv", "base_kv"] == pytest.approx(0.48)  # SetkVBase
    shape = net.tables["load_shapes"]
    assert shape["multiplier"].tolist() == [0.25, 0.5, 1.0, 0.75]  # action=normalize
    result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
    assert bool(result.summary["converged"].iloc[0])
    ref = pd.read_csv(CASE / "opendss_voltages.csv")
    got = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(got, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref) == 15
    da = (both["va_deg"] - both["va_deg_gat"] + 180.0) % 360.0 - 180.0
    assert np.abs(both["vm_pu"] - both["vm_pu_gat"]).max() < 1e-7
    assert np.abs(da).max() < 1e-5


def test_zip_load_is_three_rows_with_its_shape() -> None:
    net = import_opendss(CASE / "epri_rules.dss")
    loads = net.tables["dist_loads"].set_index("load_id")
    parts = loads.loc[["zip.zip_z", "zip.zip_i", "zip.zip_p"]]
    assert parts["model"].tolist() == ["z", "i", "pq"]
    assert parts["daily"].tolist() == ["res"] * 3
    # ZIPV P shares 0.3/0.25/0.45 and Q shares 0.2/0.3/0.5 of 400 kW at pf 0.92, per phase
    # (constant power part at rated voltage: the node's 12.47 kV is the load's).
    q = 400.0 * math.tan(math.acos(0.92))
    assert parts.loc["zip.zip_p", ["p_a_mw", "q_a_mvar"]].tolist() == pytest.approx(
        [0.45 * 400 / 3e3, 0.5 * q / 3e3]
    )
    assert "zip" not in loads.index


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ("model=8", "model=8 needs zipv= \\(seven numbers\\)"),
        ("model=8 zipv=[0.5 0.5 0 1 0 0]", "zipv= has 6 numbers"),
        ("model=8 zipv=[0.5 0.4 0 1 0 0 0]", r"zipv=\[0.5 0.4 0 1 0 0 0\]: GAT reads ZIP coeff"),
    ],
)
def test_zip_loads_GAT_cannot_hold_are_refused(tmp_path: Path, props: str, message: str) -> None:
    text = BASE + f"New Load.x bus1=b.1 phases=1 kv=7.2 kw=10 pf=0.9 {props}\n" + VB
    with pytest.raises(InputError, match=r"small.dss:\d+: load x: " + message):
        _tables(tmp_path, text)


def test_reference_files_are_opendss_s(tmp_path: Path) -> None:
    """Re-run OpenDSS (when installed) and compare with the shipped CSVs."""
    dss = pytest.importorskip("opendssdirect")
    # Loaded under its own name: other folders' scripts are also make_opendss_reference.py.
    spec = importlib.util.spec_from_file_location(
        "epri_rules_reference", CASE / "make_opendss_reference.py"
    )
    assert spec is not None and spec.loader is not None
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)

    cases = [("", f, t) for f, t in ref.CASES] + list(ref.SHAPE_CASES)
    for (shape, first, then, kw, kvar), case in zip(_load_cases(), cases, strict=True):
        assert (shape, first, then) == case
        assert ref._case(first, then, shape) == pytest.approx((kw, kvar), rel=1e-8)
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{CASE / "epri_rules.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    dss.Circuit.SetActiveBus("b2")
    shipped = pd.read_csv(CASE / "opendss_voltages.csv").set_index(["node_id", "phase"])
    assert dss.Bus.puVmagAngle()[0] == pytest.approx(shipped.loc[("b2", "A"), "vm_pu"], 1e-9)


def test_binary_shape_files_and_actual_values(tmp_path: Path) -> None:
    # mult=(dblfile=...) and qmult=(sngfile=...): little-endian 64- and 32-bit floats (a
    # Windows path, as EPRI's SecondaryTestCircuit writes). useactual=yes: the load takes the
    # peak |P| (-4 kW, third point) and the Q there (2 kvar), as opendssdirect gave on these
    # files; the table holds the values over the peak.
    (tmp_path / "prof").mkdir()
    np.array([1.0, 2.5, -4.0, 3.0], dtype="<f8").tofile(tmp_path / "prof" / "p.dbl")
    np.array([0.5, 1.5, 2.0, 3.0], dtype="<f4").tofile(tmp_path / "prof" / "q.sng")
    shape = (
        "New Loadshape.a npts=4 interval=1 mult=(dblfile=prof\\p.dbl) "
        "qmult=(sngfile=prof\\q.sng) useactual=yes\n"
    )
    load = "New Load.x bus1=b.1 phases=1 kv=7.2 kw=7 kvar=2 daily=a\n"
    t = _tables(tmp_path, BASE + shape + load + VB)
    row = t["dist_loads"].iloc[0]
    assert (row["p_a_mw"] * 1e3, row["q_a_mvar"] * 1e3) == pytest.approx((-4.0, 2.0))
    assert t["load_shapes"]["multiplier"].tolist() == [-0.25, -0.625, 1.0, -0.75]
    (tmp_path / "prof" / "p.dbl").write_bytes(b"\0" * 12)
    with pytest.raises(InputError, match=r"prof/p.dbl is not a whole number of 64-bit floats"):
        _tables(tmp_path, BASE + shape + load + VB)


def test_one_unreadable_geometry_line_is_named_once(tmp_path: Path) -> None:
    # IEEE 9500: one unreadable geometry line used to leave every spacing line "not defined"
    # (2511 follow-on errors); now each problem is named once and the other lines get their
    # codes. A spacing below ground is read (cables); bare wires on it are refused, as OpenDSS
    # does ("Conductor 1 height must be > 0"); cncables= must name CNData.
    text = BASE + (
        "New WireData.w gmr=0.0044 radius=0.0056 rac=0.3 runits=km gmrunits=ft radunits=in\n"
        "New LineSpacing.ok nconds=3 nphases=3 units=m x=[-1 0 1] h=[10 10 10]\n"
        "New LineSpacing.under nconds=3 nphases=3 units=m x=[-1 0 1] h=[-1 -1 -1]\n"
        "New LineSpacing.zero nconds=3 nphases=3 units=m x=[-1 0 1] h=[0 1 1]\n"
        "New Line.g1 bus1=b bus2=c spacing=ok wires=[w w w] length=1 units=km\n"
        "New Line.g2 bus1=c bus2=d spacing=under wires=[w w w] length=1 units=km\n"
        "New Line.g3 bus1=d bus2=e spacing=ok cncables=[w w w] length=1 units=km\n"
        "New Line.g4 bus1=e bus2=f spacing=zero wires=[w w w] length=1 units=km\n" + VB
    )
    with pytest.raises(InputError) as info:
        _tables(tmp_path, text)
    problems = info.value.problems  # type: ignore[attr-defined]
    assert len(problems) == 4, problems
    assert any("line g2" in p and "below ground" in p for p in problems)
    assert any("line g3: wire w is not defined (CNData)" in p for p in problems)
    assert any("linespacing zero" in p for p in problems)
    assert any("line g4: spacing zero cannot be read" in p for p in problems)
    assert not any("g1" in p for p in problems)


def test_center_tap_windings_read_conn_by_first_letter(tmp_path: Path) -> None:
    # IEEE 9500's XfmrCodes write conn=w on center-tapped units (OpenDSS reads the first letter).
    text = BASE + (
        "New XfmrCode.ct windings=3 phases=1 xhl=2.04 xht=2.04 xlt=1.36\n"
        "~ wdg=1 conn=w kv=7.2 kva=25 %r=0.6\n~ wdg=2 conn=w kv=0.12 kva=25 %r=1.2\n"
        "~ wdg=3 conn=w kv=0.12 kva=25 %r=1.2\n"
        "New Transformer.ct1 xfmrcode=ct buses=[b.1 s.1.0 s.0.2]\n"
        "New Load.s bus1=s.1.2 phases=1 kv=0.24 kw=5 pf=0.95\n"
        "Set VoltageBases=[12.47, 0.48, 0.208]\nCalcVoltageBases\n"
    )
    t = _tables(tmp_path, text)
    assert "ct1" in set(t["dist_transformers"]["branch_id"])


def test_a_value_error_names_its_element(tmp_path: Path) -> None:
    # EPRI K1: a bus naming a neutral node was reported without the element it belongs to.
    text = BASE + "New Reactor.gnd bus1=lv.4 bus2=lv.0 phases=1 x=0.5\n" + VB
    with pytest.raises(InputError, match=r"small.dss:\d+: reactor gnd: bus1=lv.4: node 4"):
        _tables(tmp_path, text)


def test_pv_limitcurrent_is_recorded(tmp_path: Path) -> None:
    # IEEE 9500's PVSystems write LimitCurrent=yes (it acts below vminpu only, as vminpu).
    text = BASE + (
        "New PVSystem.pv bus1=b phases=3 kv=12.47 kva=100 pmpp=100 irradiance=0.8 "
        "vminpu=0.9 LimitCurrent=yes\n" + VB
    )
    net = import_opendss(write_dss(tmp_path, text))
    assert "pv" in set(net.tables["der_assets"]["asset_id"])
    assert any("pvsystem.limitcurrent" in n for n in net.source["import_notes"])
