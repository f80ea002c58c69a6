"""Mapping OpenDSS circuits onto GAT tables: hand-computed values, bases, phases, validity."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import DATA, IEEE13, IEEE13_FIXED, IEEE34, SMALL, write_dss
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_dist import import_opendss, opendss_to_network, parse_opendss
from gat_schemas import read_network, validate_network, write_network
from gat_schemas.errors import InputError
from gat_schemas.network import Network

_FILES = {"ieee13": IEEE13, "ieee13_fixed": IEEE13_FIXED, "ieee34": IEEE34}
_IDS = {
    "dist_linecodes": "linecode_id",
    "dist_branches": "branch_id",
    "dist_nodes": "node_id",
    "dist_transformers": "branch_id",
    "dist_regulators": "regulator_id",
    "dist_loads": "load_id",
    "dist_caps": "cap_id",
}
EXPECTED = pd.read_csv(DATA / "mapping_expected.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def networks() -> dict[str, Network]:
    return {case: import_opendss(path) for case, path in _FILES.items()}


@pytest.mark.parametrize(
    "row", EXPECTED.to_dict("records"), ids=lambda r: f"{r['case']}-{r['row_id']}-{r['column']}"
)
def test_hand_computed_values(networks: dict[str, Network], row: dict[str, str]) -> None:
    table = networks[row["case"]].tables[row["table"]].set_index(_IDS[row["table"]])
    got = table.loc[row["row_id"], row["column"]]
    try:
        expected = float(row["expected"])
    except ValueError:
        assert got == row["expected"], row["derivation"]
    else:
        assert float(got) == pytest.approx(expected, rel=1e-9, abs=1e-12), row["derivation"]


@pytest.mark.parametrize("case", sorted(_FILES))
def test_networks_are_valid_and_round_trip(
    networks: dict[str, Network], case: str, tmp_path: Path
) -> None:
    net = networks[case]
    assert validate_network(net) == []
    write_network(net, tmp_path / case)
    back = read_network(tmp_path / case)
    assert set(back.tables) == set(net.tables)
    assert back.source["format"] == "opendss"


def test_ieee13_structure(networks: dict[str, Network]) -> None:
    net = networks["ieee13"]
    nodes = net.nodes.set_index("node_id")
    assert len(nodes) == 17 and (nodes["type"] == "slack").sum() == 1  # 16 buses + the EMF node
    assert (nodes["load_p"] == 0).all() and (nodes["load_q"] == 0).all()
    br = net.branches
    assert br["branch_type"].value_counts().to_dict() == {"line": 12, "transformer": 5, "switch": 1}
    loads = net.tables["dist_loads"]
    assert len(loads) == 15
    # The 3466 kW / 2102 kvar of the feeder (IEEE report total), apart from the z and i loads
    # rescaled to the base voltage.
    total_p = loads[["p_a_mw", "p_b_mw", "p_c_mw"]].to_numpy().sum()
    assert total_p == pytest.approx(3.466, abs=0.001)
    assert len(net.tables["dist_linecodes"]) == 8  # the codes lines use and the source's
    assert net.frequency_hz == 60.0
    assert [Path(f["path"]).name for f in net.source["files"]] == [
        "IEEE13Nodeckt.dss",
        "IEEELineCodes.DSS",
    ]
    notes = "\n".join(net.source["import_notes"])
    assert "EMF at node SourceBus_vsource" in notes and "(from MVAsc3/MVAsc1)" in notes
    assert "BusCoords IEEE13Node_BusXY.csv" in notes
    # The coordinates as written in the file; the EMF node takes its bus's.
    assert nodes.loc["650", ["x", "y"]].tolist() == [200.0, 350.0]
    assert nodes.loc["SourceBus_vsource", "x"] == nodes.loc["SourceBus", "x"]


def test_ieee34_case_insensitive_buses(networks: dict[str, Network]) -> None:
    net = networks["ieee34"]
    ids = list(net.nodes["node_id"])
    assert "Mid810" in ids and "mid810" not in ids
    lowered = [i.lower() for i in ids]
    assert len(set(lowered)) == len(lowered)
    assert len(net.tables["dist_regulators"]) == 6
    assert (net.tables["dist_regulators"]["mode"] == "auto").all()


def test_positive_sequence_of_a_two_phase_line(networks: dict[str, Network]) -> None:
    """Branch 632645 (mtx603, 500 ft): r1 = mean self - mutual of the 2x2 matrix."""
    br = networks["ieee13"].branches.set_index("branch_id")
    r1_ohm_per_mi = (1.3238 + 1.3294) / 2 - 0.2066
    x1_ohm_per_mi = (1.3569 + 1.3471) / 2 - 0.4591
    length_mi = 500 / 5280
    zbase = 4.16**2 / 1.0
    assert br.loc["632645", "r"] == pytest.approx(r1_ohm_per_mi * length_mi / zbase, rel=1e-12)
    assert br.loc["632645", "x"] == pytest.approx(x1_ohm_per_mi * length_mi / zbase, rel=1e-12)


def test_transformer_per_unit_and_taps(tmp_path: Path) -> None:
    net = import_opendss(write_dss(tmp_path), base_mva=10.0)
    br = net.branches.set_index("branch_id")
    # T1: %r 0.5 + 0.5 on 3 MVA, XHL = 3 %, rated = base kV: pu on 10 MVA.
    assert br.loc["T1", "r"] == pytest.approx(0.01 * 10 / 3)
    assert br.loc["T1", "x"] == pytest.approx(0.03 * 10 / 3)
    assert br.loc["T1", "shift_deg"] == 30.0
    # R1: winding-2 tap 1.025 = 4 steps of 0.00625; tap_to stays 1 (the regulator carries it).
    reg = net.tables["dist_regulators"].set_index("regulator_id").loc["R1"]
    assert reg["tap"] == 4 and reg["mode"] == "auto" and reg["phase"] == "A"
    xf = net.tables["dist_transformers"].set_index("branch_id")
    assert xf.loc["R1", "tap_to"] == 1.0
    assert br.loc["R1", "tap"] == pytest.approx(1 / 1.025)
    # Line ab: 500 m of lc3 (ohm/km): r1 = 0.3 - 0.1 ohm/km.
    zbase = 4.16**2 / 10.0
    assert br.loc["ab", "r"] == pytest.approx(0.2 * 0.5 / zbase)
    assert br.loc["ab", "length_km"] == 0.5
    # Line bc: sequence code in ohm per mile, 0.5 mi; one phase takes the self impedance.
    assert br.loc["bc", "r"] == pytest.approx(0.5 * 0.5 / zbase)
    assert br.loc["bc", "length_km"] == pytest.approx(0.5 * 1.609344)
    codes = net.tables["dist_linecodes"].set_index("linecode_id")
    assert codes.loc["seq", "r11"] == pytest.approx(0.5 / 1.609344)
    assert codes.loc["lc3", "b12"] == pytest.approx(2 * math.pi * 60 * -2e-3)
    loads = net.tables["dist_loads"].set_index("load_id")
    # L2: delta, model 2 at 4.16 kV (= base), 300 kW at pf 0.9 over three legs.
    assert loads.loc["L2", "p_b_mw"] == pytest.approx(0.1)
    assert loads.loc["L2", "q_c_mvar"] == pytest.approx(0.1 * math.tan(math.acos(0.9)))
    assert validate_network(net) == []


def test_line_without_unit_takes_the_code_unit(tmp_path: Path) -> None:
    text = (
        "New Circuit.c basekv=4.16 bus1=a\n"
        "New Linecode.k nphases=3 r1=0.2 x1=0.4 r0=0.6 x0=1.2 c1=3 c0=1 units=kft\n"
        "New Linecode.n nphases=3 r1=0.2 x1=0.4 r0=0.6 x0=1.2 c1=3 c0=1\n"
        "New Line.x bus1=a bus2=b linecode=k length=2\n"
        "New Line.y bus1=b bus2=c linecode=n length=2 units=km\n"
    )
    net = import_opendss(write_dss(tmp_path, text))
    br = net.branches.set_index("branch_id")
    assert br.loc["x", "length_km"] == pytest.approx(2 * 0.3048)
    assert br.loc["y", "length_km"] == 2.0
    codes = net.tables["dist_linecodes"].set_index("linecode_id")
    assert codes.loc["k", "r11"] == pytest.approx((2 * 0.2 + 0.6) / 3 / 0.3048)
    assert codes.loc["n", "r11"] == pytest.approx((2 * 0.2 + 0.6) / 3)
    nodes = net.nodes.set_index("node_id")
    assert (nodes["base_kv"] == 4.16).all()  # no VoltageBases: carried value kept


def test_options_and_names(tmp_path: Path) -> None:
    c = parse_opendss(write_dss(tmp_path))
    net = opendss_to_network(c, name="demo", feeder_id="F7", v_min=0.9, v_max=1.1)
    assert net.name == "demo"
    assert (net.nodes["feeder_id"] == "F7").all()
    assert (net.nodes["v_min"] == 0.9).all() and (net.nodes["v_max"] == 1.1).all()
    with pytest.raises(InputError, match="base_mva"):
        opendss_to_network(c, base_mva=0.0)
    with pytest.raises(InputError, match="v_min"):
        opendss_to_network(c, v_min=1.1, v_max=1.0)


def test_delta_wye_shift_and_node_phase_sets(tmp_path: Path) -> None:
    net = import_opendss(write_dss(tmp_path))
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["c", "phase"] == "B" and nodes.loc["e", "phase"] == "A"
    assert nodes.loc["src", "base_kv"] == 12.47 and nodes.loc["a", "base_kv"] == 4.16
    assert nodes.loc["e", "base_kv"] == 4.16  # 2.4 kV single-phase wye winding ~ 4.157 LL
    caps = net.tables["dist_caps"].set_index("cap_id")
    assert caps.loc["C1", "q_mvar"] == pytest.approx(0.3) and caps.loc["C1", "phase"] == "ABC"
    assert np.isnan(net.branches.set_index("branch_id").loc["sw", "length_km"])
    # Yd: the low side lags by 30 degrees too (OpenDSS's delta), so the shift is the same.
    text = SMALL.replace("bus=src conn=delta", "bus=src conn=wye").replace(
        "bus=a conn=wye", "bus=a conn=delta"
    )
    yd = import_opendss(write_dss(tmp_path, text, "yd.dss")).branches.set_index("branch_id")
    assert yd.loc["T1", "shift_deg"] == 30.0


def test_open_close_and_unitless_uncoupled_lines(tmp_path: Path) -> None:
    """IEEE 123-style switch lines (r1 = r0, x1 = x0, no unit) and Open/Close commands."""
    text = SMALL + (
        "New Line.s1 phases=3 bus1=b bus2=s r1=1e-3 r0=1e-3 x1=0 x0=0 c1=0 c0=0\n"
        "New Line.s2 phases=3 bus1=s bus2=t r1=1e-3 r0=1e-3 x1=0 x0=0 c1=0 c0=0\n"
        "Open Line.s1 1\n"
        "Open Line.sw\n"
        "Close line.S1\n"
    )
    net = import_opendss(write_dss(tmp_path, text))
    br = net.branches.set_index("branch_id")
    assert br.loc["s1", "status"] == "closed"
    assert br.loc["s2", "r"] == pytest.approx(1e-3 / 4.16**2)  # ohm / (kV^2 / 1 MVA)
    assert br.loc["s2", "x"] == 0.0 and pd.isna(br.loc["s2", "linecode_id"])
    assert np.isnan(br.loc["s2", "length_km"])
    notes = "\n".join(net.source["import_notes"])
    assert "Open Line.sw (small.dss:" in notes and "1 switch(es) (switch=y) sw" in notes
    # Opening sw cuts d, e, f off the source: left out, as OpenDSS leaves them dead.
    assert not {"d", "e", "f"} & set(net.nodes["node_id"]) and "sw" not in br.index
    assert "3 node(s) that no source feeds" in notes and validate_network(net) == []
    # With a tie feeding d, the open switch stays, open.
    tied = text + "New Line.tie phases=3 bus1=a bus2=d linecode=lc3 length=600 units=m\n"
    br = import_opendss(write_dss(tmp_path, tied)).branches.set_index("branch_id")
    assert br.loc["sw", "status"] == "open" and br.loc["s1", "status"] == "closed"


_UNITS = {"mi": 1.609344, "kft": 0.3048, "km": 1.0, "m": 1e-3, "ft": 0.3048e-3}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code_unit=st.sampled_from([*_UNITS, "none"]),
    line_unit=st.sampled_from([*_UNITS, "none"]),
    length=st.floats(0.01, 5000.0),
    r_self=st.floats(0.01, 2.0),
    r_mut=st.floats(0.0, 0.009),
    c_self=st.floats(0.0, 500.0),
)
def test_units_property(
    tmp_path_factory: pytest.TempPathFactory,
    code_unit: str,
    line_unit: str,
    length: float,
    r_self: float,
    r_mut: float,
    c_self: float,
) -> None:
    """Any unit pair: ohm/km in the code, km on the branch, and r = z1 * length / z_base."""
    units = "" if code_unit == "none" else f" units={code_unit}"
    text = (
        "New Circuit.c basekv=4.16 bus1=a\n"
        f"New Linecode.k nphases=2 rmatrix=[{r_self!r} | {r_mut!r} {r_self!r}]"
        f" xmatrix=[0.5 | 0.1 0.5] cmatrix=[{c_self!r} | 0 {c_self!r}]{units}\n"
        f"New Line.l phases=2 bus1=a.1.2 bus2=b.1.2 linecode=k length={length!r}"
        + ("" if line_unit == "none" else f" units={line_unit}")
        + "\n"
    )
    path = write_dss(tmp_path_factory.mktemp("u"), text)
    net = import_opendss(path)
    # Neither giving a unit, OpenDSS takes the code's values times the length as written:
    # GAT reads that unknown unit as the kilometre (same impedance).
    none = code_unit == "none" and line_unit == "none"
    per = 1.0 if none else (_UNITS[code_unit] if code_unit != "none" else _UNITS[line_unit])
    km = length * (_UNITS[line_unit] if line_unit != "none" else per)
    br = net.branches.set_index("branch_id").loc["l"]
    code = net.tables["dist_linecodes"].set_index("linecode_id").loc["k"]
    assert br["length_km"] == pytest.approx(km, rel=1e-12)
    assert code["r11"] == pytest.approx(r_self / per, rel=1e-12)
    assert code["r12"] == pytest.approx(r_mut / per, rel=1e-12, abs=1e-300)
    assert code["b22"] == pytest.approx(2 * math.pi * 60 * c_self * 1e-3 / per, rel=1e-12)
    assert br["r"] == pytest.approx((r_self - r_mut) / per * km / 4.16**2, rel=1e-9)
    assert br["phases"] == "AB"


def test_single_phase_transformer_between_two_phases(tmp_path: Path) -> None:
    """A one-phase unit with both windings delta on nodes 1.2 is a two-letter delta bank."""
    text = SMALL + (
        "New Transformer.T9 phases=1 windings=2 xhl=2 buses=[b.1.2 x.1.2] conns=[delta delta]"
        " kvs=[4.16 0.24] kvas=[50 50] %rs=[0.6 0.6]\n"
        "New Load.L9 bus1=x.1.2 phases=1 conn=delta kv=0.24 kw=30 kvar=10\n"
        "Set VoltageBases=[12.47, 4.16, 0.24]\n"
    )
    net = import_opendss(write_dss(tmp_path, text))
    xf = net.tables["dist_transformers"].set_index("branch_id").loc["T9"]
    assert (xf["phases"], xf["conn_from"], xf["conn_to"]) == ("AB", "delta", "delta")
    assert (xf["kv_from"], xf["kv_to"], xf["r_pct"]) == (4.16, 0.24, 1.2)
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["x", "phase"] == "AB" and nodes.loc["x", "base_kv"] == 0.24
    assert net.tables["dist_loads"].set_index("load_id").loc["L9", "p_a_mw"] == 0.03
    assert validate_network(net) == []
