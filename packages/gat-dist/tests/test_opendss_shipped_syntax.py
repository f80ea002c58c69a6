"""OpenDSS input EPRI's shipped feeders use: switch impedance, ``enabled=``, node 0 on a wye
winding, the Vsource's default ``basekv``, ``Set LoadMult`` and abbreviated ``Set`` options.

Expected values are OpenDSS's own behaviour, checked through opendssdirect.py (OpenDSS 10) on
the same one-line circuits: ``switch=y`` alone gives R1 = X1 = R0 = X0 = 1 ohm per unitless
length with length 0.001 (1 + j1 milliohm per phase); a line code written after ``switch=y``
is used, one written before it is replaced; ``LoadMult`` scales P and Q of every load;
a Vsource without ``basekv`` is 115 kV.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
import pytest
from gat_dist_opendss_testlib import SMALL, write_dss

from gat_dist import import_opendss
from gat_dist.importers.opendss import OpenDssImportError

KV_D = 4.16  # base kV of buses b and d in SMALL (1 MVA base)


def _net(tmp_path: Path, text: str):
    return import_opendss(write_dss(tmp_path, text))


def _branch(tmp_path: Path, old: str, new: str) -> pd.Series:
    assert old in SMALL
    net = _net(tmp_path, SMALL.replace(old, new, 1))
    return net.branches.set_index("branch_id").loc["sw"]


def _ohm(row: pd.Series) -> complex:
    return complex(row.r, row.x) * KV_D**2 / 1.0


@pytest.mark.parametrize(
    ("line", "z_ohm"),
    [
        ("switch=y", 1e-3 + 1e-3j),
        ("switch=y R1=1 1 1 1 Length=0.001", 1e-3 + 1e-3j),  # EPRI's positional form
        # IEEE 123: 1e-6 ohm, under 1e-6 x kV^2 / 1 MVA (1.7e-5 ohm at 4.16 kV): ideal.
        ("switch=y r1=1e-3 r0=1e-3 x1=0 x0=0 c1=0 c0=0 Length=0.001", 0.0),
        ("switch=y r1=0.1 r0=0.1 x1=0 x0=0 Length=0.001", 1e-4),  # 1e-4 ohm: kept
        ("r1=2 x1=2 r0=2 x0=2 length=5 switch=y", 1e-3 + 1e-3j),  # reset by switch=y
    ],
)
def test_a_switch_keeps_opendss_impedance(tmp_path: Path, line: str, z_ohm: complex) -> None:
    row = _branch(tmp_path, "switch=y", line)
    assert row.branch_type == "switch" and row.status == "closed"
    assert _ohm(row) == pytest.approx(z_ohm, rel=1e-9)
    assert row.b == 0.0  # OpenDSS's ~1e-12 F switch capacitance is left out


def test_a_switch_with_a_line_code_written_after_it_has_the_code(tmp_path: Path) -> None:
    after = _branch(tmp_path, "switch=y", "switch=y linecode=lc3 length=100 units=m")
    assert after.branch_type == "switch" and after.linecode_id == "lc3"
    assert after.length_km == pytest.approx(0.1)
    # lc3: self 0.3 + j0.6, mutual 0.1 + j0.2 ohm/km -> z1 = 0.2 + j0.4 ohm/km x 0.1 km.
    assert _ohm(after) == pytest.approx(0.02 + 0.04j, rel=1e-9)
    before = _branch(tmp_path, "switch=y", "linecode=lc3 length=100 units=m switch=y")
    assert pd.isna(before.linecode_id) and _ohm(before) == pytest.approx(1e-3 + 1e-3j)


def test_a_zero_impedance_switch_stays_ideal(tmp_path: Path) -> None:
    row = _branch(tmp_path, "switch=y", "switch=y r1=0 x1=0 r0=0 x0=0")
    assert row.r == 0.0 and row.x == 0.0 and row.branch_type == "switch"


def test_disabled_elements(tmp_path: Path) -> None:
    """``enabled=no`` (property, ``Class.Name.enabled=``, ``Disable``): not in the circuit; a
    disabled line is an open branch; ``Enable`` puts an element back."""
    text = SMALL.replace("New Load.L3", "New Load.L3 enabled=False", 1) + (
        "Line.sw.enabled=no\nDisable Capacitor.C1\nDisable Load.L1\nEnable Load.L1\n"
        # A tie keeps d fed with sw disabled (a section no source feeds is left out).
        "New Line.tie phases=3 bus1=a bus2=d linecode=lc3 length=600 units=m\n"
    )
    net = _net(tmp_path, text)
    assert net.branches.set_index("branch_id").loc["sw", "status"] == "open"
    assert set(net.tables["dist_loads"].load_id) == {"L1", "L2"}
    assert "dist_caps" not in net.tables
    notes = "\n".join(net.source["import_notes"])
    assert "1 disabled line(s) (enabled=no): sw (small.dss:" in notes
    assert "1 disabled capacitor(s)" in notes and "1 disabled load(s)" in notes


def test_node_0_grounds_a_wye_winding(tmp_path: Path) -> None:
    plain = _net(tmp_path, SMALL)
    grounded = _net(tmp_path, SMALL.replace("wdg=2 bus=a conn=wye", "wdg=2 bus=a.1.2.3.0 conn=wye"))
    for name in ("dist_branches", "dist_transformers", "dist_nodes"):
        pd.testing.assert_frame_equal(plain.tables[name], grounded.tables[name])
    # On a delta winding node 0 has no meaning for GAT: refused.
    with pytest.raises(OpenDssImportError, match=r"node 0 \(ground\)"):
        _net(
            tmp_path, SMALL.replace("wdg=1 bus=src conn=delta", "wdg=1 bus=src.1.2.3.0 conn=delta")
        )


def test_the_source_defaults_to_115_kv(tmp_path: Path) -> None:
    text = (
        SMALL.replace("basekv=12.47 ", "", 1).replace(
            "wdg=1 bus=src conn=delta kv=12.47", "wdg=1 bus=src conn=delta kv=115", 1
        )
        + "Set VoltageBases=[115, 4.16]\n"
    )
    net = _net(tmp_path, text)
    assert net.nodes.set_index("node_id").base_kv["src"] == 115.0
    notes = "\n".join(net.source["import_notes"])
    assert "no basekv=, OpenDSS's default 115 kV applied" in notes


def test_loadmult_scales_every_load_and_maxcontrol_is_recorded(tmp_path: Path) -> None:
    base = _net(tmp_path, SMALL).tables["dist_loads"].set_index("load_id")
    text = SMALL.replace("New Load.L2", "Set loadmult=0.4 maxcontrol=30\nNew Load.L2", 1)
    net = _net(tmp_path, text)
    got = net.tables["dist_loads"].set_index("load_id")
    cols = [c for c in got.columns if c.startswith(("p_", "q_"))]
    pd.testing.assert_frame_equal(got[cols], 0.4 * base[cols])  # also loads defined after it
    notes = "\n".join(net.source["import_notes"])
    assert "Set LoadMult=0.4: applied" in notes
    assert "Set maxcontrol=30 (OpenDSS reads maxcontroliter)" in notes


def test_a_file_name_that_differs_only_in_case_is_read_with_a_note(tmp_path: Path) -> None:
    # EPRI's Run_8500Node.dss compiles "master.dss"; the file is Master.dss (written where
    # file names ignore case). GAT reads the one file that matches but for case.
    src = Path(__file__).resolve().parents[3] / "test_data" / "opendss" / "ieee13"
    for name in ("IEEE13Nodeckt.dss", "IEEELineCodes.DSS", "IEEE13Node_BusXY.csv"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    run = tmp_path / "run.dss"
    run.write_text("compile (ieee13nodeckt.dss)\nsolve\n")
    net = import_opendss(run)
    direct = import_opendss(tmp_path / "IEEE13Nodeckt.dss")
    assert net.tables["dist_nodes"].equals(direct.tables["dist_nodes"])
    assert any("read as IEEE13Nodeckt.dss" in n for n in net.source["import_notes"])
    (tmp_path / "ieee13nodeckt.DSS").write_bytes(b"")  # two candidates: no guess
    with pytest.raises(Exception, match=r"cannot read ieee13nodeckt\.dss"):
        import_opendss(run)


def test_shape_and_der_problems_join_the_one_pass_list(tmp_path: Path) -> None:
    # A bad load shape used to surface only after the other unsupported input was fixed.
    text = (
        SMALL
        + "\nNew XYCurve.c1 npts=2 xarray=[0 1] yarray=[0 1]"
        + "\nNew LoadShape.ls6 npts=3 interval=1 mult=(csvfile=x.csv)\n"
    )
    with pytest.raises(OpenDssImportError) as info:
        _net(tmp_path, text)
    found = " | ".join(info.value.problems)
    assert "XYCurve" in found and "loadshape ls6" in found
    assert len(info.value.problems) == 2
