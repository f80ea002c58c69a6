"""Language items of issue 13: source impedance forms, like=, BatchEdit, run-time commands,
Open/Close with a terminal, BusCoords."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from gat_dist_opendss_testlib import SMALL, write_dss

from gat_dist import import_opendss, parse_opendss
from gat_schemas.errors import InputError

SOURCE = "New Circuit.small basekv=12.47 pu=1.02 angle=30 bus1=src phases=3"


def _source(tmp_path: Path, props: str):
    return parse_opendss(write_dss(tmp_path, SMALL.replace(SOURCE, f"{SOURCE} {props}"))).source


def test_source_impedance_forms_agree(tmp_path: Path) -> None:
    kv = 12.47
    mva = _source(tmp_path, "MVAsc3=300 MVAsc1=250 x1r1=6 x0r0=2")
    # Isc in A: MVA = sqrt(3) kV I / 1000.
    isc = _source(
        tmp_path,
        f"Isc3={300e3 / (math.sqrt(3) * kv)} Isc1={250e3 / (math.sqrt(3) * kv)} x1r1=6 x0r0=2",
    )
    assert isc.z1 == pytest.approx(mva.z1) and isc.z0 == pytest.approx(mva.z0)
    # |Z1| = kV^2 / MVAsc3 with X/R 6; |2 Z1 + Z0| = 3 kV^2 / MVAsc1 with X0/R0 2.
    assert abs(mva.z1) == pytest.approx(kv**2 / 300) and mva.z1.imag / mva.z1.real == 6
    assert abs(2 * mva.z1 + mva.z0) == pytest.approx(3 * kv**2 / 250)
    assert mva.z0.imag / mva.z0.real == pytest.approx(2)
    # Nothing given: OpenDSS's 2000 / 2100 MVA, X/R 4 and 3.
    dflt = _source(tmp_path, "")
    ref = _source(tmp_path, "MVAsc3=2000 MVAsc1=2100 x1r1=4 x0r0=3")
    assert dflt.z1 == ref.z1 and dflt.z0 == ref.z0 and dflt.z_from == "OpenDSS defaults"
    # The last kind written wins: ohms after MVA.
    last = _source(tmp_path, "MVAsc3=300 R1=0.1 X1=0.5 R0=0.3 X0=1.5")
    assert (last.z1, last.z0, last.z_from) == (0.1 + 0.5j, 0.3 + 1.5j, "R1/X1/R0/X0")
    with pytest.raises(InputError, match="source impedance needs X0 too"):
        _source(tmp_path, "R1=0.1 X1=0.5 R0=0.3")


def test_a_softer_source_moves_the_source_bus_further(tmp_path: Path) -> None:
    """The source bus sits behind the impedance: it leaves the EMF's 1.02 pu the more, the
    weaker the source (an ideal source holds it)."""
    import gat_pf

    def dev(props: str) -> float:
        net = import_opendss(write_dss(tmp_path, SMALL.replace(SOURCE, f"{SOURCE} {props}")))
        v = gat_pf.run_power_flow_3ph(net).nodes.set_index(["node_id", "phase"])["vm_pu"]
        return float((v.loc["src"] - 1.02).abs().max())

    soft, stiff = dev("MVAsc3=20 MVAsc1=20"), dev("MVAsc3=2000")
    ideal = dev("R1=0 X1=0 R0=0 X0=0")
    assert soft > stiff > ideal and ideal < 1e-12


def test_like_batchedit_and_runtime_commands(tmp_path: Path) -> None:
    text = SMALL + (
        "New Capacitor.C2 like=C1 kvar=150\n"
        "BatchEdit Load.L1|L2 vminpu=0.8\n"
        "New EnergyMeter.m1 Line.ab 1\n"
        "Set MaxControlIter=30 CaseName=x Mode=yearly\n"
        "Plot Profile\nShow Voltages LN Nodes\nInterpolate\nSolve\nHelp\n"
    )
    c = parse_opendss(write_dss(tmp_path, text))
    c1, c2 = c.capacitors
    assert (c2.bus, c2.nodes, c2.kv, c2.kvar) == (c1.bus, c1.nodes, c1.kv, 150.0)
    notes = "\n".join(c.notes)
    assert "BatchEdit Load.L1|L2" in notes and "applied to 2 load(s)" in notes
    assert [ld.band[0] for ld in c.loads[:2]] == [0.8, 0.8]  # vminpu is read (dist_loads)
    for word in ("New energymeter.m1", "Set MaxControlIter=30", "Mode=yearly", "Plot (", "Help ("):
        assert word in notes, word
    with pytest.raises(InputError, match="like=nothere: not defined"):
        parse_opendss(write_dss(tmp_path, SMALL + "New Capacitor.C2 like=nothere\n"))


@pytest.mark.parametrize(
    "form", ["Open Line.ab 2", "Open Line.ab term=1", "open line.ab terminal=2"]
)
def test_open_with_a_terminal_in_both_forms(tmp_path: Path, form: str) -> None:
    # A tie keeps b fed with ab open (a section no source feeds is left out, see _dead).
    tied = SMALL + "New Line.tie phases=3 bus1=a bus2=b linecode=lc3 length=600 units=m\n"
    net = import_opendss(write_dss(tmp_path, tied + form + "\n"))
    assert net.branches.set_index("branch_id").loc["ab", "status"] == "open"
    closed = import_opendss(write_dss(tmp_path, tied + form + "\nClose Line.ab 1\n"))
    assert closed.branches.set_index("branch_id").loc["ab", "status"] == "closed"
    with pytest.raises(InputError, match="terminal 3"):
        import_opendss(write_dss(tmp_path, SMALL + "Open Line.ab 3\n"))


def test_bus_coordinates_become_x_and_y(tmp_path: Path) -> None:
    (tmp_path / "xy.csv").write_text("Bus,X,Y\nsrc, 1.5, 2\n! comment\nb 10 20\nb 11 21\n")
    net = import_opendss(write_dss(tmp_path, SMALL + "BusCoords xy.csv\n"))
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["b", ["x", "y"]].tolist() == [11.0, 21.0]  # the later line wins
    assert nodes.loc["src", ["x", "y"]].tolist() == [1.5, 2.0]
    assert nodes.loc["src_vsource", "x"] == 1.5 and math.isnan(nodes.loc["c", "x"])
    (tmp_path / "xy.csv").write_text("src 1 2\nb one 2\n")
    with pytest.raises(InputError, match=r"xy.csv:2: 'b one 2' is not 'bus x y'"):
        import_opendss(write_dss(tmp_path, SMALL + "BusCoords xy.csv\n"))
