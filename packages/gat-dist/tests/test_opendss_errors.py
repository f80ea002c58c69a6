"""Bad OpenDSS input: one-line InputErrors naming file and line; unsupported input listed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from gat_dist_opendss_testlib import IEEE13, OPENDSS, SMALL, write_dss

from gat_dist import import_opendss
from gat_schemas.errors import InputError


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(InputError) as err:
        import_opendss(write_dss(tmp_path, text))
    msg = str(err.value)
    assert "\n" not in msg and msg == msg.strip()
    assert "small.dss" in msg, msg
    return msg


def _line(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, ln in enumerate(text.split("\n"), start=1) if needle in ln)


def test_unsupported_input_is_listed_all_at_once(tmp_path: Path) -> None:
    text = SMALL + (
        "New GICLine.g1 bus1=c.2\n"
        "New Line.g1 bus1=b bus2=g linecode=lc3 length=1 units=km seasons=2\n"
        "Reduce\n"
        "Set EarthModel=Carson\n"
    )
    msg = _error(tmp_path, text)
    assert msg.startswith("small.dss: 4 unsupported OpenDSS input(s): ")
    assert f"object class 'GICLine' (small.dss:{_line(text, 'GICLine')})" in msg
    assert f"property line.seasons (small.dss:{_line(text, 'seasons')})" in msg
    assert f"command 'Reduce' (small.dss:{_line(text, 'Reduce')})" in msg
    assert "Set option 'EarthModel'" in msg


def test_an_abbreviated_property_unsupported_names_the_full_one(tmp_path: Path) -> None:
    # OpenDSS reads a prefix as the first property (in its order) starting with it; when that
    # property is one GAT does not read, the message names both.
    text = SMALL + "New Line.g1 bus1=b bus2=g linecode=lc3 length=1 seas=2\n"
    msg = _error(tmp_path, text)
    assert "property line.seas (seasons) (small.dss:" in msg, msg
    # A full name GAT does not read: named as written.
    msg = _error(tmp_path, SMALL + "New Line.g1 bus1=b bus2=g linecode=lc3 length=1 seasons=2\n")
    assert "property line.seasons (small.dss:" in msg, msg


def test_many_unsupported_items_are_counted(tmp_path: Path) -> None:
    text = SMALL + "".join(f"New GICLine.s{k} bus1=c.2\n" for k in range(12))
    msg = _error(tmp_path, text)
    assert "12 unsupported" in msg and "; and 4 more" in msg


def test_mod1_imports_with_its_model_4_loads() -> None:
    # Mod 1's two model=4 loads (default CVRwatts 1, CVRvars 2) and six one-node delta loads
    # (node to ground, see test_opendss_feeder_sweep) are read as OpenDSS reads them.
    net = import_opendss(OPENDSS / "ieee34" / "ieee34Mod1.dss")
    loads = net.tables["dist_loads"].set_index("load_id")
    assert loads.loc["D808_810sb", ["model", "p_exp", "q_exp"]].tolist() == ["exp", 1.0, 2.0]
    assert loads.loc["D832_858sa", "connection"] == "wye"


def test_unsupported_load_models_are_listed_with_other_unsupported_input(tmp_path: Path) -> None:
    text = SMALL.replace("model=2 kv=4.16", "model=9 kv=4.16", 1) + "New GICLine.g1 bus1=c.2\n"
    msg = _error(tmp_path, text)
    assert msg.startswith("small.dss: 2 unsupported OpenDSS input(s): "), msg
    assert f"model=9 (small.dss:{_line(text, 'model=9')})" in msg
    assert "object class 'GICLine'" in msg


def test_the_last_load_model_assigned_counts(tmp_path: Path) -> None:
    # model=9 changed back to 2 by a later Edit is not unsupported.
    text = SMALL.replace("model=2 kv=4.16", "model=9 kv=4.16", 1)
    name = next(ln.split()[1] for ln in text.split("\n") if "model=9" in ln)
    import_opendss(write_dss(tmp_path, text + f"Edit {name} model=2\n"))


@pytest.mark.parametrize(
    ("edit", "needle", "message"),
    [
        ("linecode=lc3 length=500", "linecode=nothere", "linecode nothere is not defined"),
        ("Redirect codes.dss", "Redirect nothere.dss", "cannot read nothere.dss"),
        ("model=2 kv=4.16", "model=9 kv=4.16", r"model=9 \(small.dss:\d+\); GAT reads load models"),
        ("phases=3 conn=delta model=2 kv=4.16", "phases=3 conn=delta model=2", "kv= is required"),
        ("kw=100 kvar=50", "kw=100", "kvar= or pf= is required"),
        ("kw=100 kvar=50", "kva=100 kvar=50", "give kVA= with pf="),
        ("kw=100 kvar=50", "kw=100 pf=1.2", r"pf=1.2 must be in"),
        ("bus2=c.2", "bus2=c.3", "bus1 and bus2 must list the same nodes"),
        ("bus2=b.1.2.3", "bus2=b.3.1", r"bus2=b.3.1: conductors on one node \(3, 1, 3\)"),
        ("transformer=R1 winding=2", "transformer=R9 winding=2", "transformer R9 is not defined"),
        ("transformer=R1 winding=2", "transformer=R1 winding=1", "winding=2 is required"),
        ("windings=2 XHL", "windings=3 XHL", "two-winding transformers only"),
        ("kvar=300 kv=4.16", "kvar=-300 kv=4.16", "kvar must not be negative"),
        ("XHL=(6 2 /)", "XHL=(6 2)", "must leave one value, not 2"),
        ("length=500 units=m", "length=500 units=yd", "is not a length unit"),
        ("taps=[1.0 1.025]", "taps=[1.0 1.0251]", "not a whole number of steps"),
        ("Set VoltageBases=[12.47, 4.16]", "Set VoltageBases=[12.47, 0.48]", "not within 10%"),
        ("bus1=f.1 phases=1 model=5", "bus1=zz.1 phases=1 model=5", "zz not connected"),
        ("New Load.L3", "Edit Load.L3", "Load.L3 is not defined"),
        ("New Linecode.seq", "New Linecode.lc3", "linecode.lc3 is already defined at small.dss:"),
        ("bus1=b bus2=d switch=y", "bus1=b bus2=b switch=y", "connects bus b to itself"),
        ("bus1=d phases=3 conn=delta", "bus1=d phases=2 conn=delta", "two-phase delta load"),
        ("New Load.L1 bus1=c.2", "New Load.L1 bus1=c.0", r"node 0 \(ground\)"),
        ("c0=8 units=mi", "c0=8 units=mi rmatrix=[1]", r"both matrices \(rmatrix\) and sequence"),
        ("c0=8 units=mi", "units=mi", "give both c1= and c0=, or neither"),
        ("length=500 units=m", "length=500 units=m basefreq=50", "basefreq=50 differs"),
        ("nphases=3 units=km", "nphases=3 units=km basefreq=50", "linecode lc3: basefreq=50"),
    ],
)
def test_bad_values_name_file_and_line(
    tmp_path: Path, edit: str, needle: str, message: str
) -> None:
    text = SMALL.replace("Redirect codes.dss", "")
    if edit == "Redirect codes.dss":
        text = text + "Redirect nothere.dss\n"
    else:
        assert edit in text, edit
        text = text.replace(edit, needle, 1)
    msg = _error(tmp_path, text)
    assert re.search(message, msg), msg
    # Where the problem is on one line, that line is named.
    assert msg.startswith("small.dss"), msg


def test_redirect_cycle_and_missing_main_file(tmp_path: Path) -> None:
    write_dss(tmp_path, "Redirect b.dss\n", "a.dss")
    write_dss(tmp_path, "Redirect a.dss\n", "b.dss")
    with pytest.raises(InputError, match=r"b.dss:1: a.dss redirects to itself"):
        import_opendss(tmp_path / "a.dss")
    with pytest.raises(InputError, match="OpenDSS file not found"):
        import_opendss(tmp_path / "missing.dss")


def test_a_circuit_without_branches(tmp_path: Path) -> None:
    msg = _error(tmp_path, "New Circuit.c basekv=4.16\n")
    assert msg == "small.dss: the circuit has no lines, switches or transformers"


def test_no_circuit_and_objects_before_circuit(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"small.dss: no New Circuit"):
        import_opendss(write_dss(tmp_path, "Set DefaultBaseFrequency=50\n"))
    with pytest.raises(InputError, match=r"small.dss:1: New load.x before New Circuit"):
        import_opendss(write_dss(tmp_path, "New Load.x bus1=a kv=1 kw=1 kvar=1\n"))


def test_a_transformer_named_like_a_line_becomes_transformer_dot_name(tmp_path: Path) -> None:
    # OpenDSS names per class (IEEE's LVTestCaseNorthAmerican has Line.1 and Transformer.1);
    # GAT's branch_id is one namespace, so the transformer is renamed (it was refused).
    text = SMALL.replace("New Line.ab ", "New Line.T1 ").replace("Line.ab", "Line.T1")
    net = import_opendss(write_dss(tmp_path, text))
    ids = set(net.branches["branch_id"])
    assert {"T1", "Transformer.T1"} <= ids
    assert set(net.table("dist_transformers")["branch_id"]) >= {"Transformer.T1"}
    notes = " ".join(net.source["import_notes"])
    assert "transformer(s) named like a line" in notes


def test_islanded_part_is_named(tmp_path: Path) -> None:
    text = SMALL + "New Line.iso phases=3 bus1=x1 bus2=x2 linecode=lc3 length=1 units=km\n"
    msg = _error(tmp_path, text)
    assert "bus(es) x1, x2 not connected to the source bus src" in msg


def test_ieee13_imports_without_errors() -> None:
    assert len(import_opendss(IEEE13).nodes) == 17  # 16 buses and the source EMF node


def test_transformer_loop_with_different_ratios(tmp_path: Path) -> None:
    text = SMALL + (
        "New Transformer.T2 phases=3 windings=2 XHL=4\n"
        "~ wdg=1 bus=src conn=delta kv=12.47 kva=3000 wdg=2 bus=a conn=wye kv=4.8 kva=3000\n"
    )
    msg = _error(tmp_path, text)
    assert msg.startswith("small.dss:25: bus a is reached at 4.16 kV and at 4.8 kV")


def test_open_needs_a_defined_line(tmp_path: Path) -> None:
    assert "Line.nothere is not defined" in _error(tmp_path, SMALL + "Open Line.nothere 1\n")
    assert "Open of a load (only lines and switches)" in _error(tmp_path, SMALL + "Open Load.L1\n")


def test_coupled_impedance_without_unit_is_value_times_length(tmp_path: Path) -> None:
    # OpenDSS multiplies a unitless line's own impedance by its length as written, coupled or
    # not (EPRI ckt24 and M1 have such lines); GAT did that for unitless line codes and
    # uncoupled lines but refused coupled ones. Phase matrix from sequence values: self
    # (2 z1 + z0) / 3, mutual (z0 - z1) / 3, per unit of the written length (2.5 here).
    text = SMALL + (
        "New Line.z phases=3 bus1=b bus2=z r1=0.1 x1=0.2 r0=0.3 x0=0.6 c1=0 c0=0 length=2.5\n"
    )
    net = import_opendss(write_dss(tmp_path, text))
    br = net.branches.set_index("branch_id").loc["z"]
    assert br["length_km"] == pytest.approx(2.5)
    code = net.table("dist_linecodes").set_index("linecode_id").loc[br["linecode_id"]]
    assert code["r11"] == pytest.approx((2 * 0.1 + 0.3) / 3)
    assert code["r12"] == pytest.approx((0.3 - 0.1) / 3)
    assert code["x11"] == pytest.approx((2 * 0.2 + 0.6) / 3)
    assert code["x12"] == pytest.approx((0.6 - 0.2) / 3)


def test_regulator_on_a_three_phase_delta_wye_bank_is_read(tmp_path: Path) -> None:
    # A ganged regulator on a delta-wye bank is read since 2026-12-05 (xfmr2): OpenDSS's PT
    # reads winding 2's phase ptphase (test_opendss_xfmr2 checks it against OpenDSS).
    text = SMALL.replace("New Transformer.R1 phases=1", "New Transformer.R1 phases=3").replace(
        "Buses=[d.1 e.1]", "Buses=[d e] conns=[delta wye]"
    )
    regs = import_opendss(write_dss(tmp_path, text)).tables["dist_regulators"]
    assert regs["phase"].tolist() == ["ABC"]
