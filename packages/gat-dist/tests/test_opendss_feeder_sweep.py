"""OpenDSS syntax rules EPRI's test feeders use (positional values after named ones,
abbreviated property names, ``conn`` by its first letter, general objects before ``New
Circuit``, a one-phase wye load on two phase nodes), checked against OpenDSS's own solution
of ``test_data/opendss/syntax/syntax_rules.dss`` (``opendss_voltages.csv``)."""

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
from gat_schemas.errors import InputError

SYNTAX = OPENDSS / "syntax"

#: A two-bus feeder; every test edits one line of it.
BASE = """Clear
New Circuit.t basekv=12.47 pu=1.0 phases=3 mvasc3=40 mvasc1=12
New Linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.8 c1=0 c0=0 units=km
New Line.l1 bus1=sourcebus bus2=b linecode=lc length=1 units=km
New Load.l bus1=b.1 phases=1 kv=7.2 kw=100 kvar=30 conn=wye
Set VoltageBases=[12.47]
CalcVoltageBases
"""


def _tables(tmp_path: Path, text: str) -> dict[str, pd.DataFrame]:
    return dict(import_opendss(write_dss(tmp_path, text)).tables)


def test_syntax_rules_feeder_matches_opendss() -> None:
    net = import_opendss(SYNTAX / "syntax_rules.dss")
    loads = net.tables["dist_loads"].set_index("load_id")
    assert loads.loc["w1", "connection"] == "wye" and loads.loc["d3", "connection"] == "delta"
    # The one-phase wye load on c.1.2 is the A-B leg of a delta load, kV across it.
    assert loads.loc["ab", "connection"] == "delta"
    assert loads.loc["ab", ["p_a_mw", "q_a_mvar"]].tolist() == pytest.approx([0.5, 0.15])
    assert loads.loc["w1", "yearly"] == "day"  # the shape defined before New Circuit
    # The one-phase delta load on b.2 is phase B to ground (constant Z: 300 kW at 12.47 kV
    # is 100 kW at the node's 7.2 kV).
    assert loads.loc["d1", "connection"] == "wye"
    assert loads.loc["d1", "p_b_mw"] == pytest.approx(0.1)
    # Voltage exponents (P, Q) by load model: 3 and 7 (0, 2), 4 (CVRwatts, CVRvars), 6 = 1.
    exps = loads[["model", "p_exp", "q_exp"]].astype(object)
    assert exps.loc["m3"].tolist() == ["exp", 0.0, 2.0]
    assert exps.loc["m4"].tolist() == ["exp", 1.0, 2.0]
    assert exps.loc["m4b"].tolist() == ["exp", 1.0, 0.0]
    assert exps.loc["m7"].tolist() == ["exp", 0.0, 2.0]
    assert loads.loc["m6", "model"] == "pq"
    result = gat_pf.run_power_flow_3ph(net)
    assert bool(result.summary["converged"].iloc[0])
    ref = pd.read_csv(SYNTAX / "opendss_voltages.csv")
    got = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(got, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref) == 15
    assert np.abs(both["vm_pu"] - both["vm_pu_gat"]).max() < 1e-7
    da = (both["va_deg"] - both["va_deg_gat"] + 180.0) % 360.0 - 180.0
    assert np.abs(da).max() < 1e-5


def test_a_value_without_a_name_follows_the_last_named(tmp_path: Path) -> None:
    named = _tables(tmp_path, BASE)
    positional = _tables(tmp_path, BASE.replace("mvasc3=40 mvasc1=12", "mvasc3=40 12"))
    pd.testing.assert_frame_equal(named["dist_linecodes"], positional["dist_linecodes"])
    # Another MVAsc1: the source's zero-sequence impedance differs.
    other = _tables(tmp_path, BASE.replace("mvasc1=12", "mvasc1=30"))
    assert not named["dist_linecodes"].equals(other["dist_linecodes"])


@pytest.mark.parametrize(
    ("written", "full"),
    [
        ("len=1 un=km", "length=1 units=km"),
        ("linec=lc length=1", "linecode=lc length=1"),
    ],
)
def test_an_abbreviation_is_the_first_property_starting_with_it(
    tmp_path: Path, written: str, full: str
) -> None:
    line = "New Line.l1 bus1=sourcebus bus2=b linecode=lc length=1 units=km"
    long = line.replace("linecode=lc length=1 units=km", f"linecode=lc {full} units=km")
    short = line.replace("linecode=lc length=1 units=km", f"linecode=lc {written} units=km")
    a = _tables(tmp_path, BASE.replace(line, long))
    b = _tables(tmp_path, BASE.replace(line, short))
    pd.testing.assert_frame_equal(a["dist_branches"], b["dist_branches"])


@pytest.mark.parametrize(("word", "conn"), [("w", "wye"), ("Y", "wye"), ("LN", "wye")])
def test_conn_is_read_by_its_first_letter(tmp_path: Path, word: str, conn: str) -> None:
    loads = _tables(tmp_path, BASE.replace("conn=wye", f"conn={word}"))["dist_loads"]
    assert loads["connection"].tolist() == [conn]


@pytest.mark.parametrize("word", ["dt", "D", "LL", "delta"])
def test_conn_delta_spellings(tmp_path: Path, word: str) -> None:
    text = BASE.replace("bus1=b.1 phases=1 kv=7.2", "bus1=b.1.2 phases=1 kv=12.47").replace(
        "conn=wye", f"conn={word}"
    )
    loads = _tables(tmp_path, text)["dist_loads"]
    assert loads["connection"].tolist() == ["delta"]


def test_general_objects_before_the_circuit(tmp_path: Path) -> None:
    text = BASE.replace("Clear\n", "Clear\nNew LoadShape.s npts=2 interval=1 mult=(0.5 1)\n")
    text = text.replace("conn=wye", "conn=wye yearly=s")
    net = import_opendss(write_dss(tmp_path, text))
    assert net.tables["dist_loads"]["yearly"].tolist() == ["s"]
    # A line code needs a circuit in OpenDSS, too.
    bad = BASE.replace("Clear\n", "Clear\nNew Linecode.x nphases=1 r1=1 x1=1\n")
    with pytest.raises(Exception, match="before New Circuit"):
        import_opendss(write_dss(tmp_path, bad))


def test_one_phase_wye_load_on_two_phase_nodes_is_phase_to_phase(tmp_path: Path) -> None:
    wye = BASE.replace("bus1=b.1 phases=1 kv=7.2", "bus1=b.1.2 phases=1 kv=12.47")
    delta = wye.replace("conn=wye", "conn=delta")
    a = _tables(tmp_path, wye)["dist_loads"]
    b = _tables(tmp_path, delta)["dist_loads"]
    pd.testing.assert_frame_equal(a, b)


def test_property_orders_are_opendss_orders() -> None:
    dss = pytest.importorskip("opendssdirect")
    from gat_dist.importers.opendss._dss_order import PROPERTY_ORDER

    dss.Text.Command("Clear")
    dss.Text.Command("New Circuit.c")
    dss.Text.Command("New Line.l1 bus1=a bus2=b")
    dss.Text.Command("New Capacitor.c1 bus1=b")
    dss.Text.Command("New Transformer.t1")
    needs = {
        "capcontrol": " element=line.l1 capacitor=c1",
        "fuse": " monitoredobj=line.l1",
        "recloser": " monitoredobj=line.l1",
        "relay": " monitoredobj=line.l1",
        "regcontrol": " transformer=t1",
    }
    for cls, order in PROPERTY_ORDER.items():
        if cls == "circuit":
            dss.Circuit.SetActiveElement("Vsource.source")
        else:
            dss.Text.Command(f"New {cls}.probe{needs.get(cls, '')}")
            dss.Circuit.SetActiveClass(cls)
            dss.ActiveClass.Name("probe")
        names = tuple(n.lower() for n in dss.Element.AllPropertyNames())
        assert names == order, cls


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ("units=km\n", "units=km rg=0 xg=0\n"),  # earth terms: no effect at base frequency
        ("conn=wye\n", "conn=wye class=1 numcust=3 cvrwatts=0.8 cvrvars=3 spectrum=x\n"),
        ("Clear\n", "ClearAll\nNew Spectrum.x NumHarm=1 harmonic=(1) %mag=(100) angle=(0)\n"),
        ("mvasc1=12\n", "mvasc1=12\nEdit Vsource.source duty=s\n"),
    ],
)
def test_properties_that_do_not_change_a_snapshot_are_recorded(
    tmp_path: Path, edit: str, needle: str
) -> None:
    plain = import_opendss(write_dss(tmp_path, BASE))
    text = BASE.replace(edit, needle, 1)
    assert text != BASE
    net = import_opendss(write_dss(tmp_path, text))
    for name, table in plain.tables.items():
        pd.testing.assert_frame_equal(table, net.tables[name])
    assert len(net.source["import_notes"]) > len(plain.source["import_notes"])


def test_two_winding_magnetising_branch(tmp_path: Path) -> None:
    xf = (
        "New Transformer.t phases=3 windings=2 %noloadloss={nll} %imag={im} "
        "buses=[b c] conns=[wye wye] kvs=[12.47 0.48] kvas=[500 500] xhl=5\n"
    )
    base = BASE.replace("VoltageBases=[12.47]", "VoltageBases=[12.47, 0.48]")
    zero = base + xf.format(nll=0, im=0)
    net = import_opendss(write_dss(tmp_path, zero))
    assert len(net.tables["dist_transformers"]) == 1
    # Read as written (modelled since 2026-12-04: test_opendss_magnetising.py).
    net = import_opendss(write_dss(tmp_path, base + xf.format(nll=0.2, im=0.7)))
    row = net.tables["dist_transformers"].iloc[0]
    assert (row["noload_loss_pct"], row["imag_pct"]) == (0.2, 0.7)


def test_bus_coordinates_without_a_bus_name_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "xy.csv").write_text("sourcebus, 1, 2\n, 5, 6\nb, 3, 4\n")
    net = import_opendss(write_dss(tmp_path, BASE + "BusCoords xy.csv\n"))
    xy = net.nodes.set_index("node_id")[["x", "y"]]
    assert xy.loc["b"].tolist() == [3.0, 4.0] and xy.loc["sourcebus"].tolist() == [1.0, 2.0]


def test_kron_reduction_of_line_codes(tmp_path: Path) -> None:
    # Hand-computed: Z = [[a, m], [m, n]] with neutral 2 gives a - m^2 / n.
    code = (
        "New Linecode.k nphases=2 rmatrix=[0.4 | 0.1 0.8] xmatrix=[0.5 | 0.2 0.9] "
        "cmatrix=[9 | -2 7] units=km kron=y\n"
    )
    text = BASE.replace(
        "New Line.l1", code + "New Line.k1 bus1=b.1 bus2=k.1 linecode=k length=1\nNew Line.l1"
    )
    codes = _tables(tmp_path, text)["dist_linecodes"].set_index("linecode_id")
    z = complex(0.4, 0.5) - complex(0.1, 0.2) ** 2 / complex(0.8, 0.9)
    row = codes.loc["k"]
    assert row["n_phases"] == 1
    assert row["r11"] == pytest.approx(z.real) and row["x11"] == pytest.approx(z.imag)
    # A second kron=yes without a new neutral= does nothing (OpenDSS resets neutral to 0).
    twice = text.replace("units=km kron=y", "units=km kron=y kron=y")
    again = _tables(tmp_path, twice)["dist_linecodes"].set_index("linecode_id").loc["k"]
    assert again["r11"] == pytest.approx(z.real)


def test_cvr_exponents_of_any_value_are_read(tmp_path: Path) -> None:
    text = BASE.replace("conn=wye", "conn=wye model=4 cvrwatts=0.8 cvrvars=3")
    row = import_opendss(write_dss(tmp_path, text)).tables["dist_loads"].iloc[0]
    assert (row["model"], row["p_exp"], row["q_exp"]) == ("exp", 0.8, 3.0)
    # Model 4 stays exp even with exponents 1, 1 (its band edges differ from model 5's).
    net = import_opendss(
        write_dss(tmp_path, BASE.replace("conn=wye", "conn=wye model=4 cvrwatts=1 cvrvars=1"))
    )
    assert net.tables["dist_loads"]["model"].tolist() == ["exp"]
    # A model exp row without its exponent is refused, naming the load.
    loads = net.tables["dist_loads"].assign(p_exp=float("nan"))
    with pytest.raises(InputError, match=r"column p_exp: load\(s\) l with model exp"):
        gat_pf.run_power_flow_3ph(net.with_table("dist_loads", loads))


def test_reference_csv_is_opendss_own_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored reference is what OpenDSS gives today (live, with opendssdirect)."""
    dss = pytest.importorskip("opendssdirect")
    monkeypatch.chdir(Path.cwd())  # OpenDSS's Compile changes the working directory
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{SYNTAX / "syntax_rules.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    sys.path.insert(0, str(SYNTAX.parent))
    from dss_nodes import node_voltages

    rows = [r[:4] for r in node_voltages(dss)]
    live = pd.DataFrame(rows, columns=["node_id", "phase", "vm_live", "va_live"])
    both = pd.read_csv(SYNTAX / "opendss_voltages.csv").merge(live, on=["node_id", "phase"])
    assert len(both) == 15
    assert np.abs(both["vm_pu"] - both["vm_live"]).max() < 1e-7
