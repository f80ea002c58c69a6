"""OpenDSS DER, load shapes, capacitor controls and protection -> der_assets, load_shapes,
dist_cap_controls, switching_devices (expected values: the EPRI files and OpenDSS's own reading
of them, stored in test_data/opendss/der/expected_*.csv by make_der_cases.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS, write_dss

from gat_dist import import_opendss
from gat_schemas import read_network, validate_network, write_network
from gat_schemas.errors import InputError

DER = OPENDSS / "der"
DER_CASE = DER / "der_case.dss"
PROTECTION_CASE = DER / "ieee8500_protection_case.dss"


@pytest.fixture(scope="module")
def der_net():
    return import_opendss(DER_CASE)


@pytest.fixture(scope="module")
def protection_net():
    return import_opendss(PROTECTION_CASE)


def _file_values(name: str) -> np.ndarray:
    return np.array([float(x) for x in (DER / name).read_text().split()])


def test_load_shape_multipliers_are_the_files(der_net) -> None:
    shapes = der_net.tables["load_shapes"]
    year = shapes[shapes["shape_id"] == "LoadShape1"]
    np.testing.assert_array_equal(year["multiplier"].to_numpy(), _file_values("LoadShape1.CSV"))
    np.testing.assert_array_equal(year["step"].to_numpy(), np.arange(8760))
    np.testing.assert_allclose(year["hour"].to_numpy(), np.arange(8760.0))
    assert (year["interval_h"] == 1.0).all()
    pv = shapes[shapes["shape_id"] == "PVCurve"]
    # npts=3000 but the file holds 2913 values: OpenDSS keeps the 2913.
    np.testing.assert_array_equal(
        pv["multiplier"].to_numpy(), _file_values("Normalized-1s-2900-pts.CSV")
    )
    np.testing.assert_allclose(pv["interval_h"].to_numpy(), 1.0 / 3600.0, rtol=1e-15)
    np.testing.assert_allclose(pv["hour"].to_numpy()[-1], 2912 / 3600.0, rtol=1e-12)
    notes = der_net.source["import_notes"]
    assert any("npts=3000 but 2913 value(s)" in n for n in notes)
    read = {Path(f["path"]).name for f in der_net.source["files"]}
    assert {"LoadShape1.CSV", "Normalized-1s-2900-pts.CSV"} <= read


def test_load_shapes_agree_with_opendss(der_net) -> None:
    expected = pd.read_csv(DER / "expected_shapes.csv")
    shapes = der_net.tables["load_shapes"]
    for row in expected.itertuples():
        got = shapes[shapes["shape_id"].str.lower() == row.name]
        m = got["multiplier"].to_numpy()
        assert len(got) == row.npts
        assert got["interval_h"].iloc[0] == pytest.approx(row.interval_h, rel=1e-12)
        assert m.sum() == pytest.approx(row.sum, rel=1e-12)
        assert (m[0], m[-1]) == (pytest.approx(row.first), pytest.approx(row.last))


def test_loads_and_der_name_their_shapes(der_net) -> None:
    loads = der_net.tables["dist_loads"].set_index("load_id")
    # L2 writes yearly=loadshape1: the link takes the shape's own spelling (a foreign key).
    assert loads.loc["L1", "yearly"] == loads.loc["L2", "yearly"] == "LoadShape1"
    assert loads["daily"].isna().all() and loads["duty"].isna().all()
    der = der_net.tables["der_assets"].set_index("asset_id")
    assert der.loc["G1", "duty"] == "PVCurve" and der.loc["PV1", "daily"] == "PVCurve"
    assert der.loc["B1", ["daily", "yearly", "duty"]].isna().all()


def _opendss_der() -> dict[tuple[str, str], dict[str, str]]:
    expected = pd.read_csv(DER / "expected_der.csv", dtype=str, keep_default_na=False)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for row in expected.itertuples():
        out.setdefault((row[1], row.name), {})[row.property] = row.value
    return out


def test_der_assets_follow_opendss_ratings(der_net) -> None:
    ods = _opendss_der()
    der = der_net.tables["der_assets"].assign(key=lambda d: d["asset_id"].str.lower())
    der = der.set_index("key")
    pv, p = der.loc["pv1"], ods[("PVSystem", "pv1")]
    assert pv["asset_type"] == "pv" and pv["phase"] == "A" and pv["bus_id"] == "load1"
    assert pv["p_max"] == pytest.approx(float(p["Pmpp"]) * float(p["Irradiance"]) / 1000)
    assert pv["q_min"] == pv["q_max"] == pytest.approx(float(p["kvar"]) / 1000, rel=1e-9)
    assert pv["s_max"] == pytest.approx(float(p["kVA"]) / 1000)
    for name in ("g_m1125934", "g1"):
        g, p = der.loc[name], ods[("Generator", name)]
        assert g["asset_type"] == "genset" and g["p_min"] == 0.0
        assert g["p_max"] == pytest.approx(float(p["kW"]) / 1000)
        assert g["q_max"] == pytest.approx(float(p["kvar"]) / 1000)
    assert der.loc["g_m1125934", "s_max"] == pytest.approx(1.0)
    assert math.isnan(der.loc["g1", "s_max"])  # no kVA= written: no circle limit
    b, p = der.loc["b1"], ods[("Storage", "b1")]
    assert b["asset_type"] == "battery"
    assert (b["p_min"], b["p_max"]) == (-0.25, pytest.approx(float(p["kWRated"]) / 1000))
    assert b["energy_cap"] == pytest.approx(float(p["kWhRated"]) / 1000)
    assert b["soc_min"] == pytest.approx(float(p["%Reserve"]) / 100) and b["soc_max"] == 1.0
    round_trip = float(p["%EffCharge"]) * float(p["%EffDischarge"]) / 1e4
    assert b["efficiency"] ** 2 == pytest.approx(round_trip)
    assert b["q_min"] == pytest.approx(-float(p["kvarMaxAbs"]) / 1000)
    assert b["q_max"] == pytest.approx(float(p["kvarMax"]) / 1000)
    assert b["s_max"] == pytest.approx(float(p["kVA"]) / 1000)


def test_network_with_der_validates_and_round_trips(der_net, protection_net, tmp_path) -> None:
    for k, net in enumerate((der_net, protection_net)):
        assert validate_network(net) == []
        write_network(net, tmp_path / f"n{k}")
        back = read_network(tmp_path / f"n{k}")
        for name in ("der_assets", "load_shapes", "dist_cap_controls", "switching_devices"):
            if name in net.tables:
                pd.testing.assert_frame_equal(
                    back.tables[name].reset_index(drop=True),
                    net.tables[name].reset_index(drop=True),
                    check_dtype=False,
                )


def test_cap_controls_are_the_files_settings(protection_net) -> None:
    expected = pd.read_csv(DER / "expected_cap_controls.csv", dtype=str, keep_default_na=False)
    got = protection_net.tables["dist_cap_controls"]
    got = got.assign(key=got["control_id"].str.lower()).set_index("key")
    assert len(got) == len(expected) == 9
    branches = protection_net.tables["dist_branches"].set_index("branch_id")
    for row in expected.itertuples():
        c = got.loc[row.name]
        assert c["cap_id"].lower() == row.Capacitor
        assert "line." + c["element_id"].lower() == row.Element.lower()
        assert c["terminal"] == int(row.Terminal) and c["control_type"] == row.Type.lower()
        for col, prop in (
            ("pt_ratio", "PTRatio"), ("ct_ratio", "CTRatio"), ("on_setting", "OnSetting"),
            ("off_setting", "OffSetting"), ("delay_s", "Delay"), ("delay_off_s", "DelayOff"),
            ("dead_time_s", "DeadTime"), ("v_min_v", "VMin"), ("v_max_v", "VMax"),
        ):  # fmt: skip
            assert c[col] == float(getattr(row, prop)), col
        assert c["volt_override"] == (row.VoltOverride == "Yes")
        phases = branches.loc[c["element_id"], "phases"]
        assert c["pt_phase"] == phases[int(row.PTPhase) - 1]
        assert c["ct_phase"] == phases[int(row.CTPhase) - 1]


def test_fuses_and_relay_sit_on_their_lines(protection_net) -> None:
    expected = pd.read_csv(DER / "expected_protection.csv", dtype=str)
    dev = protection_net.tables["switching_devices"]
    dev = dev.assign(key=dev["device_id"].str.lower()).set_index("key")
    assert len(dev) == len(expected) == 31
    for row in expected.itertuples():
        d = dev.loc[row.name]
        assert "line." + d["branch_id"].lower() == row.SwitchedObj.lower()
        assert d["device_type"] == {"Fuse": "fuse", "Relay": "breaker"}[row[1]]
        assert d["normal_state"] == "closed"
    assert not dev.loc[dev["device_type"] == "fuse", "automated"].any()
    assert dev.loc["subbreaker", "automated"]


_HEAD = """Clear
New Circuit.t basekv=12.47 bus1=src
New Line.l1 bus1=src bus2=b r1=0.1 x1=0.1 r0=0.3 x0=0.3 c1=0 c0=0 units=km length=1
New Line.l2 bus1=b.3.1 bus2=c.3.1 phases=2 r1=0.1 x1=0.1 r0=0.3 x0=0.3 c1=0 c0=0 units=km length=1
New Capacitor.c1 bus1=b kv=12.47 kvar=300
Set VoltageBases=[12.47]
"""


def _net(tmp_path: Path, text: str):
    return import_opendss(write_dss(tmp_path, _HEAD + text))


def test_positional_values_and_interval_spellings(tmp_path) -> None:
    net = _net(
        tmp_path,
        "New Linecode.tx nphases=1 r1=.1 x1=.1 r0=.1 x0=.1 units=km NormAmps=580 {580 1.25 *}\n"
        "New Fuse.f1 switchedobj=line.l2 2 ratedcurrent=65\n"
        "New Recloser.r1 Line.l1 1\n"
        "New Loadshape.s 3 (15 60 /) [1 2 3]\n"
        "New Loadshape.m npts=2 minterval=30 mult=(0.5, 0.75)\n"
        "New Loadshape.h npts=3 interval=0 hour=[0 1.5 4] mult=[1 2 3]\n"
        "New CapControl.cc capacitor=c1 element=line.l2 terminal=2 type=voltage "
        "onsetting=118 offsetting=125 ptratio=60 ptphase=2 ctphase=max\n",
    )
    dev = net.tables["switching_devices"].set_index("device_id")
    assert dev.loc["f1", "branch_id"] == "l2" and dev.loc["r1", "device_type"] == "recloser"
    shapes = net.tables["load_shapes"].set_index(["shape_id", "step"])
    assert shapes.loc[("s", 2), "hour"] == pytest.approx(0.5)
    assert shapes.loc[("m", 1), "interval_h"] == 0.5
    assert shapes.loc[("h", 2), "hour"] == 4.0 and math.isnan(shapes.loc[("h", 2), "interval_h"])
    ctl = net.tables["dist_cap_controls"].iloc[0]
    # Line l2 has conductors C, A in that order: PTphase=2 is phase A.
    assert (ctl["terminal"], ctl["pt_phase"], ctl["ct_phase"]) == (2, "A", "max")
    assert ctl["delay_s"] == 15.0 and ctl["dead_time_s"] == 300.0  # OpenDSS defaults
    notes = net.source["import_notes"]
    assert any("OpenDSS defaults applied" in n for n in notes)
    # NormAmps=580 {580 1.25 *}: the value after normamps is emergamps (OpenDSS's order),
    # read as the code's ratings.
    from gat_dist.importers.opendss._parse import parse_opendss

    code = parse_opendss(
        write_dss(
            tmp_path,
            _HEAD + "New Linecode.tx nphases=1 r1=.1 x1=.1 "
            "r0=.1 x0=.1 units=km NormAmps=580 {580 1.25 *}\n",
        )
    ).linecodes["tx"]
    assert (code.normamps, code.emergamps) == (580.0, pytest.approx(725.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("New Load.x bus1=b kv=12.47 kw=1 kvar=0 daily=nosuch\n", "undefined load shapes"),
        ("New Generator.g bus1=b kw=1 duty=nosuch\n", "undefined load shapes"),
        ("New Loadshape.s npts=2 mult=[1 2] action=bogus\n", "action=bogus"),
        ("New Loadshape.s npts=2 mult=(csvfile=x.csv)\n", r"\(dblfile=NAME\), \(sngfile=NAME\)"),
        ("New Loadshape.s npts=2 mult=(sngfile=x.sng)\n", "x.sng not found"),
        ("New Loadshape.s npts=2 mult=(file=missing.csv)\n", "missing.csv not found"),
        ("New Loadshape.s npts=2 interval=0 mult=[1 2]\n", "needs hour="),
        ("New CapControl.cc capacitor=nosuch element=line.l1\n", "capacitor nosuch"),
        ("New CapControl.cc capacitor=c1 element=line.nosuch\n", "line nosuch"),
        ("New CapControl.cc capacitor=c1 element=line.l1 type=var\n", "type=var"),
        ("New Fuse.f Line.nosuch 1\n", "line nosuch"),
        ("New Fuse.f Load.x 1\n", "Line.NAME or Transformer.NAME"),
        ("New PVSystem.p bus1=b pmpp=10\n", "kva= is required"),
        ("New Storage.s bus1=b kwrated=10\n", "kwhrated= is required"),
        ("New Generator.g bus1=b kw=1 kvar=1 foo=2\n", "generator.foo"),
        ("New Generator.g bus1=nowhere kw=1\n", "nowhere"),
    ],
)
def test_bad_der_input_is_named(tmp_path, text, message) -> None:
    with pytest.raises(InputError, match=message):
        _net(tmp_path, text)


def test_storage_without_kwrated_takes_opendss_default(tmp_path) -> None:
    # IEEE 9500's batteries give kVA and kWhrated only; opendssdirect reports kWrated 25
    # (OpenDSS's default, whatever the kVA) and kvarMax = kVA = 250.
    net = _net(tmp_path, "New Storage.s bus1=b kva=250 kv=12.47 kwhrated=500\n")
    row = net.tables["der_assets"].set_index("asset_id").loc["s"]
    assert (row.p_max, row.p_min, row.s_max, row.energy_cap) == (0.025, -0.025, 0.25, 0.5)
    assert any("storage s" in n and "25 kW" in n for n in net.source["import_notes"])


def test_power_flow_ignores_der_shapes_and_controls(der_net) -> None:
    gat_pf = pytest.importorskip("gat_pf")
    bare = der_net.__class__(
        name=der_net.name,
        base_mva=der_net.base_mva,
        tables={
            k: v
            for k, v in der_net.tables.items()
            if k not in ("der_assets", "load_shapes", "dist_cap_controls", "switching_devices")
        },
        frequency_hz=der_net.frequency_hz,
        source=der_net.source,
    )
    with_der = gat_pf.run_power_flow_3ph(der_net)
    without = gat_pf.run_power_flow_3ph(bare)
    pd.testing.assert_frame_equal(with_der.nodes, without.nodes)


def test_opendss_reads_the_same_shapes_and_settings(der_net, protection_net) -> None:
    dss = pytest.importorskip("opendssdirect")
    dss.Text.Command(f"Redirect [{DER_CASE}]")
    shapes = der_net.tables["load_shapes"]
    for name in ("LoadShape1", "PVCurve"):
        dss.LoadShape.Name(name)
        got = shapes.loc[shapes["shape_id"] == name, "multiplier"].to_numpy()
        # OpenDSS's decimal parser differs from Python's by one ulp on a few values.
        np.testing.assert_allclose(got, np.array(dss.LoadShape.PMult()), rtol=4e-16, atol=0)
    dss.Text.Command(f"Redirect [{PROTECTION_CASE}]")
    controls = protection_net.tables["dist_cap_controls"].set_index("control_id")
    for name in dss.CapControls.AllNames():
        dss.CapControls.Name(name)
        row = controls.loc[next(i for i in controls.index if i.lower() == name)]
        assert row["on_setting"] == dss.CapControls.ONSetting()
        assert row["off_setting"] == dss.CapControls.OFFSetting()
        assert row["delay_s"] == dss.CapControls.Delay()
        assert row["v_max_v"] == dss.CapControls.Vmax()


def test_ieee123_yearly_links_every_load(tmp_path) -> None:
    net = import_opendss(DER / "ieee123_yearly.dss")
    loads_file = (OPENDSS / "ieee123" / "IEEE123Loads.DSS").read_text().lower()
    n_loads = loads_file.count("new load.")
    loads = net.tables["dist_loads"]
    assert len(loads) == n_loads == 91
    assert (loads["yearly"] == "LoadShape1").all()
    assert len(net.tables["load_shapes"]) == 8760
    assert validate_network(net) == []


def test_batch_edit_pattern_follows_opendss(tmp_path) -> None:
    # OpenDSS (checked through opendssdirect): BatchEdit Load.l.* changes l1 and xl2 (the
    # pattern is searched anywhere in the name), not abc; Load..* changes every load.
    text = "".join(f"New Load.{n} bus1=b kv=12.47 kw=1 kvar=0\n" for n in ("l1", "xl2", "abc"))
    net = _net(
        tmp_path,
        text + "New Loadshape.s npts=1 mult=[1]\nBatchEdit Load.l.* daily=s\n"
        "BatchEdit Load..* yearly=s\n",
    )
    loads = net.tables["dist_loads"].set_index("load_id")
    assert loads["daily"].to_dict() == {"l1": "s", "xl2": "s", "abc": None}
    assert (loads["yearly"] == "s").all()


def test_opendss_links_every_ieee123_load_too() -> None:
    dss = pytest.importorskip("opendssdirect")
    dss.Text.Command(f"Redirect [{DER / 'ieee123_yearly.dss'}]")
    names = dss.Loads.AllNames()
    yearly = set()
    for name in names:
        dss.Loads.Name(name)
        yearly.add(dss.Loads.Yearly().lower())
    assert len(names) == 91 and yearly == {"loadshape1"}
