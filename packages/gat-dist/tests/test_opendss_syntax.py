"""The OpenDSS language subset: lexer, values (RPN, arrays, matrices, buses, units), commands."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pytest
from gat_dist_opendss_testlib import SMALL, write_dss

from gat_dist import import_opendss, parse_opendss
from gat_dist.importers.opendss._lexer import Value, read_commands
from gat_dist.importers.opendss._values import (
    KM_PER_UNIT,
    as_array,
    as_bus,
    as_matrix,
    as_number,
    as_unit,
    as_yesno,
)
from gat_schemas.errors import InputError


def _v(text: str, delim: str = "") -> Value:
    return Value(text, delim, "t.dss", 7)


def _keys(text: str) -> list[list[tuple[str | None, str, str]]]:
    return [
        [(p.key, p.value.text, p.value.delim) for p in c.params] for c in read_commands(text, "t")
    ]


def test_comments_continuation_and_delimiters() -> None:
    text = (
        "! a comment line\n"
        "// another\n"
        "New Line.a  bus1=x.1.2 ! trailing comment\n"
        "~ length = 2.5  units=kft // more comment\n"
        "more phases=2\n"
        "\n"
        "/* a block\n"
        "   comment */\n"
        "New Load.b conns=\"wye wye\", rmatrix=(1 | 2 3) kvs={1 2} x='a b'\n"
    )
    cmds = read_commands(text, "t.dss")
    assert [c.line for c in cmds] == [3, 9]
    assert _keys(text)[0] == [
        (None, "New", ""),
        (None, "Line.a", ""),
        ("bus1", "x.1.2", ""),
        ("length", "2.5", ""),
        ("units", "kft", ""),
        ("phases", "2", ""),
    ]
    assert _keys(text)[1][2:] == [
        ("conns", "wye wye", '"'),
        ("rmatrix", "1 | 2 3", "("),
        ("kvs", "1 2", "{"),
        ("x", "a b", "'"),
    ]
    # The value of a continued parameter keeps its own line number.
    assert cmds[0].params[3].value.line == 4


def test_spaces_around_equals_and_commas() -> None:
    assert _keys("Set VoltageBases = [69, 24.9, 4.16]")[0][1] == (
        "VoltageBases",
        "69, 24.9, 4.16",
        "[",
    )
    assert _keys("New Load.x kV= 24.900 kW=  60.0")[0][2:] == [
        ("kV", "24.900", ""),
        ("kW", "60.0", ""),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("New Line.a bus1=(1 2", "is not closed on its line"),
        ("New Line.a bus1=1 2)", "has no matching opening bracket"),
        ("=3", "'=' without a property name"),
        ("New Line.a length=", "has no value"),
        ("~ length=3", "continuation line with no command"),
        ("/* never closed\nNew Line.a", r"block comment '/\*' is never closed"),
        ("New Line.a (x)=3", "cannot be delimited"),
    ],
)
def test_lexer_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        read_commands(text, "t.dss")
    assert str(err.value).startswith("t.dss:")


@pytest.mark.parametrize(
    ("text", "delim", "expected"),
    [
        ("4.16", "", 4.16),
        (".48", "", 0.48),
        ("1e-4", "", 1e-4),
        ("-2.5", "", -2.5),
        ("8 1000 /", "(", 0.008),
        (".5 1000 /", "(", 0.0005),
        ("1.73 2 /", "(", 0.865),
        ("2 3 + 4 *", "(", 20.0),
        ("2 3 -", "[", -1.0),
        ("2 10 ^", '"', 1024.0),
        ("9 sqrt", "(", 3.0),
        ("3 sqr", "(", 9.0),
        ("4 inv", "(", 0.25),
        ("pi 2 *", "(", 2 * math.pi),
        ("5", "(", 5.0),
    ],
)
def test_numbers_and_rpn(text: str, delim: str, expected: float) -> None:
    assert as_number(_v(text, delim), "p") == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "delim", "message"),
    [
        ("abc", "", "is not a number"),
        ("1 /", "(", "needs two operands"),
        ("sqrt", "(", "needs an operand"),
        ("1 2", "(", "must leave one value, not 2"),
        ("1 0 /", "(", "cannot evaluate"),
        ("-1 sqrt", "(", "cannot evaluate"),
        ("1e999", "", "not a finite number"),
        ("1 foo +", "(", "is not a number"),
    ],
)
def test_number_errors(text: str, delim: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        as_number(_v(text, delim), "kw")
    assert str(err.value).startswith("t.dss:7: kw=")


def test_arrays_yesno_units() -> None:
    assert as_array(_v("115, 4.16, .48", "["), "v") == ["115", "4.16", ".48"]
    assert as_array(_v("wye wye", "'"), "c") == ["wye", "wye"]
    assert as_array(_v("650.1 RG60.1", "["), "b") == ["650.1", "RG60.1"]
    with pytest.raises(InputError, match=r"'\|' is only allowed in a matrix"):
        as_array(_v("1 | 2", "["), "kvs")
    with pytest.raises(InputError, match="is empty"):
        as_array(_v("", "["), "kvs")
    assert as_yesno(_v("y"), "s") and as_yesno(_v("True"), "s")
    assert not as_yesno(_v("no"), "s") and not as_yesno(_v("F"), "s")
    with pytest.raises(InputError, match="is not yes or no"):
        as_yesno(_v("maybe"), "switch")
    assert {as_unit(_v(u.upper()), "units") for u in KM_PER_UNIT} == set(KM_PER_UNIT)
    with pytest.raises(InputError, match="is not a length unit"):
        as_unit(_v("furlong"), "units")


@pytest.mark.parametrize(
    ("unit", "km"),
    [("mi", 1.609344), ("kft", 0.3048), ("km", 1.0), ("m", 0.001), ("ft", 0.0003048)],
)
def test_unit_factors(unit: str, km: float) -> None:
    """Each unit's km factor, from the definitions (1 ft = 0.3048 m, 1 mi = 5280 ft)."""
    assert KM_PER_UNIT[unit] == pytest.approx(km, rel=1e-15)
    assert KM_PER_UNIT["mi"] == pytest.approx(5280 * KM_PER_UNIT["ft"], rel=1e-15)
    assert KM_PER_UNIT["none"] is None


def test_matrices() -> None:
    lower = as_matrix(_v("0.3465 | 0.1560 0.3375 | 0.1580 0.1535 0.3414", "("), "r", 3)
    np.testing.assert_array_equal(lower, lower.T)
    assert lower[0, 2] == 0.1580 and lower[2, 1] == 0.1535 and lower[1, 1] == 0.3375
    full = as_matrix(_v("1 2 | 2 3", "["), "r", 2)
    np.testing.assert_array_equal(full, [[1, 2], [2, 3]])
    assert as_matrix(_v("236", "["), "c", 1)[0, 0] == 236.0
    with pytest.raises(InputError, match="is not symmetric"):
        as_matrix(_v("1 2 | 5 3", "["), "r", 2)
    # Within rounding of the written digits: OpenDSS's lower triangle, mirrored (EPRI M1).
    near = as_matrix(_v("0.48 0.0180495455 | 0.018049545 0.48", "["), "r", 2)
    np.testing.assert_array_equal(near, [[0.48, 0.018049545], [0.018049545, 0.48]])
    with pytest.raises(InputError, match="has 2 rows; the line code has 3 phases"):
        as_matrix(_v("1 | 2 3", "["), "r", 3)
    with pytest.raises(InputError, match="lower triangle"):
        as_matrix(_v("1 2 | 3", "["), "r", 2)


def test_buses() -> None:
    assert as_bus(_v("671.1.2.3"), "bus1") == ("671", (1, 2, 3))
    assert as_bus(_v("632.3.2"), "bus1") == ("632", (3, 2))
    assert as_bus(_v("RG60"), "bus1") == ("RG60", ())
    with pytest.raises(InputError, match=r"node 0 \(ground\) is not supported"):
        as_bus(_v("x.1.0"), "bus1")
    with pytest.raises(InputError, match=r"node 4 .* is not supported"):
        as_bus(_v("x.1.2.3.4"), "bus1")
    with pytest.raises(InputError, match="node 1 is repeated"):
        as_bus(_v("x.1.1"), "bus1")
    with pytest.raises(InputError, match="is not a number"):
        as_bus(_v("x.a"), "bus1")
    with pytest.raises(InputError, match="is not a bus name"):
        as_bus(_v(".1"), "bus1")


def test_small_circuit_parses(tmp_path: Path) -> None:
    c = parse_opendss(write_dss(tmp_path))
    assert c.name == "small"
    assert c.frequency_hz == 60.0
    assert c.voltage_bases == (4.16, 12.47)
    assert c.control_mode == "auto"
    assert c.source.angle_deg == 30.0 and c.source.pu == 1.02 and c.source.bus == "src"
    t1 = c.transformers[0]
    assert t1.x_pct == 3.0  # XHL=(6 2 /)
    assert t1.conns == ("delta", "wye") and t1.kvs == (12.47, 4.16)
    r1 = c.transformers[1]
    assert r1.r_pct == (0.005, 0.005) and r1.taps == (1.0, 1.025)  # %LoadLoss split
    assert r1.nodes == ((1,), (1,)) and r1.buses == ("d", "e")
    seq = c.linecodes["seq"]
    assert seq.r[0, 0] == pytest.approx(0.5) and seq.c[0, 0] == pytest.approx(8.0)
    lc3 = c.linecodes["lc3"]
    assert lc3.c[0, 1] == -2.0 and lc3.unit == "km" and not lc3.default_c
    sw = next(ln for ln in c.lines if ln.name == "sw")
    assert sw.switch and sw.nodes == (1, 2, 3)
    l2 = next(ld for ld in c.loads if ld.name == "L2")
    assert l2.kvar == pytest.approx(300 * math.tan(math.acos(0.9)))
    assert l2.legs == ((1, 2), (2, 3), (3, 1))
    assert c.regcontrols[0].vreg == 121.0 and c.regcontrols[0].ctprim == 600.0
    assert any(n.startswith("Solve (small.dss:") for n in c.notes)
    assert len(c.files) == 1 and len(c.sha256) == 64


def test_redirect_is_relative_to_the_file(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    write_dss(sub, "New Linecode.lc3 nphases=3 r1=0.1 x1=0.2 r0=0.3 x0=0.6 units=km\n", "codes.dss")
    main_text = SMALL.replace(
        "New Linecode.lc3 nphases=3 units=km\n"
        "~ rmatrix=[0.3 | 0.1 0.3 | 0.1 0.1 0.3] xmatrix=[0.6 | 0.2 0.6 | 0.2 0.2 0.6]\n"
        "~ cmatrix=[10 | -2 10 | -2 -2 10]\n",
        "Redirect codes.dss\n",
    )
    write_dss(sub, main_text, "main.dss")
    top = write_dss(tmp_path, "compile sub/main.dss\n", "top.dss")
    c = parse_opendss(top)
    assert [Path(p).name for p, _ in c.files] == ["top.dss", "main.dss", "codes.dss"]
    lc3 = c.linecodes["lc3"]
    assert lc3.default_c  # no c1/c0: OpenDSS's default capacitance
    assert lc3.r[0, 0] == pytest.approx((2 * 0.1 + 0.3) / 3)
    assert lc3.r[0, 1] == pytest.approx((0.3 - 0.1) / 3)


def test_edit_forms_and_control_mode(tmp_path: Path) -> None:
    text = SMALL + (
        "Transformer.R1.Taps=[1.0 1.05]\n"
        "Transformer.T1.X12=4\n"
        "Edit Load.L1 kw=120\n"
        "load.l3.kvar=12 kw=44\n"
        "Set ControlMode=OFF\n"
        "Vsource.source.pu=1.03\n"
        "New Load.L4 bus1=f.1 phases=1 kv=2.4 kva=50 pf=-0.8\n"
        "Edit Circuit.small angle=0\n"
    )
    c = parse_opendss(write_dss(tmp_path, text))
    assert c.source.pu == 1.03 and c.source.angle_deg == 0.0
    assert (c.loads[3].kw, c.loads[3].kvar) == pytest.approx((40.0, -30.0))  # kVA 50, pf -0.8
    assert c.transformers[1].taps == (1.0, 1.05)
    assert c.transformers[0].x_pct == 4.0  # X12 is XHL
    # OpenDSS keeps the pf of kW=100 kvar=50 for a later kW= (120 kW, 60 kvar), and in
    # "kvar=12 kw=44" the kW= comes last: the pf of 40/10 kW/kvar gives 11 kvar (measured
    # with opendssdirect; GAT took 12 before).
    assert (c.loads[0].kw, c.loads[0].kvar) == pytest.approx((120.0, 60.0))
    assert (c.loads[2].kw, c.loads[2].kvar) == pytest.approx((44.0, 11.0))
    assert c.control_mode == "fixed"


def test_a_second_circuit_replaces_the_first(tmp_path: Path) -> None:
    text = "New Circuit.old basekv=1\nNew Load.x bus1=a kv=1 kw=1 kvar=1\n" + SMALL.replace(
        "Clear\n", ""
    )
    c = parse_opendss(write_dss(tmp_path, text))
    assert c.name == "small" and "x" not in {ld.name for ld in c.loads}
    assert any("replaces circuit old and its 2 object(s)" in n for n in c.notes)


def test_clear_forgets_everything(tmp_path: Path) -> None:
    text = "New Circuit.old basekv=1\nNew Load.x bus1=a kv=1 kw=1 kvar=1\nClear\n" + SMALL
    c = parse_opendss(write_dss(tmp_path, text))
    assert c.name == "small" and "x" not in {ld.name for ld in c.loads}


def test_recorded_properties_and_commands(tmp_path: Path) -> None:
    text = SMALL + (
        "Load.L1.vminpu=0.85 daily=default\n"
        "New Transformer.T9 bank=b ppm_antifloat=0 buses=[f.1 g.1] kvs=[2.4 2.4] kvas=[10 10]"
        " phases=1\n"
        "Set Mode=snapshot maxiterations=50\n"
        "Show Voltages\n"
    )
    circuit = parse_opendss(write_dss(tmp_path, text))
    joined = "\n".join(circuit.notes)
    assert "load.vminpu" not in joined  # applied: dist_loads.v_min_pu
    assert circuit.loads[0].band == (0.85, 1.05, 0.5)
    assert "load.daily" not in joined  # applied: dist_loads.daily (test_opendss_der)
    assert "transformer.bank" in joined
    assert "transformer.ppm_antifloat" not in joined  # applied: dist_transformers.ppm_antifloat
    assert "Set Mode=snapshot" in joined and "Set maxiterations=50" in joined
    assert "Show (small.dss:" in joined


def test_load_band_defaults_are_opendss_own(tmp_path: Path) -> None:
    # OpenDSS turns a load into an impedance below vminpu (default 0.95 pu of its kV), above
    # vmaxpu (1.05) and again below vlowpu (0.50); dist_loads carries the band in pu of the
    # node's nominal voltage (the load's kV over the node's base) and the rated voltage.
    text = SMALL + "Load.L3.vminpu=0.8 vmaxpu=1.2 vlowpu=0.6\n"
    loads = import_opendss(write_dss(tmp_path, text)).tables["dist_loads"].set_index("load_id")
    band = loads[["v_min_pu", "v_max_pu", "v_low_pu"]].div(loads["v_rated_pu"], axis=0)
    assert band.loc["L1"].tolist() == pytest.approx([0.95, 1.05, 0.5])
    assert band.loc["L3"].tolist() == pytest.approx([0.8, 1.2, 0.6])
    assert band.loc["L2"].isna().all()  # model 2, an impedance at every voltage
    notes = "\n".join(parse_opendss(write_dss(tmp_path, SMALL)).notes)
    assert "vminpu" not in notes


def test_bus_coords_checks_the_file(tmp_path: Path) -> None:
    path = write_dss(tmp_path, SMALL + "BusCoords xy.csv\n")
    with pytest.raises(InputError, match=r"small.dss:\d+: bus coordinate file xy.csv not found"):
        parse_opendss(path)
    (tmp_path / "xy.csv").write_text("src,0,0\n")
    notes = parse_opendss(path).notes
    assert any("BusCoords xy.csv" in n and "applied, 1 bus coordinates" in n for n in notes)
