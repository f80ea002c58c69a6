"""The MATLAB subset of the parser: accepted layouts, and one-line errors for the rest."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gat_dist import parse_matpower
from gat_schemas.errors import GatError, InputError

#: A one-generator case whose cost row ends with the entries under test (``ENTRIES``):
#: a polynomial cost of as many coefficients as entries is any width, so every split
#: of the entries gives a valid file.
ENTRIES_CASE = """function mpc = entries
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
    1  3  0    0   0  0  1  1  0  11  1  1.1  0.9;
    2  1  1.0  0.5 0  0  1  1  0  11  1  1.1  0.9;
];
mpc.gen = [1  0  0  10  -10  1  100  1  50  0];
mpc.branch = [1  2  0.01  0.02  0  5  0  0  0  0  1];
mpc.gencost = [2  0  0  NCOST  ENTRIES];
"""


def test_small_case_parses(write_case) -> None:
    case = parse_matpower(write_case())
    assert case.name == "small"
    assert case.version == "2"
    assert case.bus.shape == (3, 13)
    assert case.gen[1, 3] == math.inf and case.gen[1, 4] == -math.inf
    assert case.conversions == ()
    assert list(case.row_lines["bus"]) == [7, 8, 9]
    assert case.gencost is None
    assert len(case.sha256) == 64


def test_layout_variants(write_case, small_text) -> None:
    """Rows on one line, commas, continuation, sci notation, block comments, 'end'."""
    text = small_text.replace(
        "mpc.branch = [",
        "%{\nmpc.branch = [ this is commented out ];\n%}\nmpc.branch = [",
    ).replace(
        "    1  2  0.01  0.02  0  5  0  0  0  0  1;\n    2  3",
        "    1, 2, 1e-2, 2.0E-2, 0, 5, 0, 0, 0, 0, 1; 2 ...  a continued row\n    3",
    )
    text += "mpc.gencost = [2 0 0 3 0.1 20 0; 2 0 0 2 30 0 0];\nend\n"
    case = parse_matpower(write_case(text))
    assert case.branch.shape == (3, 11)
    np.testing.assert_array_equal(case.branch[:2, :4], [[1, 2, 0.01, 0.02], [2, 3, 0.01, 0.02]])
    assert case.gencost is not None and case.gencost.shape == (2, 7)


@pytest.mark.parametrize(
    ("entries", "values"),
    [
        # MATLAB's white-space rule: a sign after a blank and before a number starts an entry
        ("1 -2 +3", [1, -2, 3]),
        ("1 - 2 + 3", [2]),
        ("1-2 +3", [-1, 3]),
        ("1 -(2) 3", [1, -2, 3]),
        ("2 * 3 2^-1", [6, 0.5]),
        ("-2^2 (1 + 1)/4", [-4, 0.5]),
        ("12/sqrt(3) 50/3", [12 / math.sqrt(3), 50 / 3]),
        ("sqrt( 2 * 2 ) abs(-1)", [2, 1]),
        ("2*pi -1e3", [2 * math.pi, -1e3]),
        ("sin(acos(0.8)), 1e-3", [0.6, 1e-3]),
    ],
)
def test_matrix_entries_are_evaluated_as_matlab_does(write_case, entries, values) -> None:
    """case533mt writes baseKV as ``12/sqrt(3)``; MATLAB evaluates an entry's arithmetic
    and splits entries at white space except around binary operators. Expected values are
    MATLAB's answers, worked out by hand."""
    text = ENTRIES_CASE.replace("NCOST", str(len(values))).replace("ENTRIES", entries)
    case = parse_matpower(write_case(text))
    got = case.gencost[0, 4:] if case.gencost is not None else None
    assert got is not None
    np.testing.assert_allclose(got, values, rtol=1e-15)


def test_version_1_function(write_case) -> None:
    text = """function [baseMVA, bus, gen, branch] = v1case
baseMVA = 100;
bus = [1 3 0 0 0 0 1 1 0 230 1 1.1 0.9; 2 1 10 5 0 0 1 1 0 230 1 1.1 0.9];
gen = [1 0 0 300 -300 1 100 1 250 10];
branch = [1 2 0.01 0.1 0.02 250 250 250 0 0 1];
"""
    case = parse_matpower(write_case(text, "v1case.m"))
    assert case.version == "1"
    assert case.bus[1, 2] == 10.0
    assert case.gen.shape == (1, 10)


def test_distribution_conversions(write_case, small_text) -> None:
    text = (
        small_text
        + """
[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD, GS, BS, BUS_AREA, VM, ...
    VA, BASE_KV, ZONE, VMAX, VMIN, LAM_P, LAM_Q, MU_VMAX, MU_VMIN] = idx_bus;
[F_BUS,T_BUS,BR_R,BR_X, BR_B] = idx_brch;
Vbase=mpc.bus(1,BASE_KV)*1e3;   %% volts
Sbase  =  mpc.baseMVA * 1e6;
mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R, BR_X]) / (Vbase^2 / Sbase);
mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;
pf = 0.8;
mpc.bus(:, QD) = mpc.bus(:, PD) * sin(acos(pf));
mpc.bus(:, PD) = mpc.bus(:, PD) * pf;
"""
    )
    case = parse_matpower(write_case(text))
    zbase = 11.0**2 / 100.0
    assert case.branch[0, 2] == pytest.approx(0.01 / zbase)
    assert case.branch[0, 3] == pytest.approx(0.02 / zbase)
    assert case.bus[2, 2] == pytest.approx(2.0e-3 * 0.8)
    assert case.bus[2, 3] == pytest.approx(2.0e-3 * 0.6)
    assert len(case.conversions) == 4
    assert case.conversions[0].startswith("line ")


def _error(write_case, text: str, name: str = "bad.m") -> str:
    with pytest.raises(InputError) as info:
        parse_matpower(write_case(text, name))
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(name)
    return msg


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # wrong column count in bus
        (
            ("0  11  1  1.1  0.9;\n    2", "0  11  1  1.1;\n    2"),
            "bad.m:8: mpc.bus row has 13 columns but the first row has 12",
        ),
        # fewer columns than MATPOWER's input format
        (
            (
                "0  0  0  0  1;\n    2  3  0.01  0.02  0  0  0  0  0  0  1;\n    1  3  0.01  0.02  0  0  0  0  0  0  0;",
                "0  0  0  1;\n    2  3  0.01  0.02  0  0  0  0  0  1;\n    1  3  0.01  0.02  0  0  0  0  0  0;",
            ),
            "bad.m:15: mpc.branch has 10 columns; MATPOWER needs at least 11",
        ),
        # non-numeric entry
        (("1.5  0.5", "1.5  abc"), "bad.m:8: non-numeric entry 'abc' in mpc.bus"),
        # an expression inside a matrix is one entry, as in MATLAB: the row is one short
        (("1.5  0.5", "1.5 - 0.5"), "bad.m:8: mpc.bus row has 12 columns but the first row has 13"),
        # arithmetic of something other than numbers
        (("1.5  0.5", "1.5  0.5*x"), "bad.m:8: non-numeric entry 'x' in mpc.bus"),
        (("1.5  0.5", "1.5  (0.5 1)"), "bad.m:8: entry '(0.5 1)' of mpc.bus is not arithmetic"),
        (("1.5  0.5", "1.5  sqrt(-1)"), "bad.m:8: sqrt(-1) in mpc.bus is not a real number"),
        (("1.5  0.5", "1.5  (0.5"), "bad.m:8: line ends inside parentheses without '...'"),
        # Inf where MATPOWER does not allow it
        (("2.0  1.0", "Inf  1.0"), "bad.m:9: mpc.bus row 3: Pd = inf is not a finite number"),
        # duplicate bus number
        (
            ("    3  1  2.0", "    2  1  2.0"),
            "bad.m:9: mpc.bus row 3: bus 2 is already defined at line 8",
        ),
        # branch end not in the bus data
        (
            ("    2  3  0.01", "    2  7  0.01"),
            "bad.m:17: mpc.branch row 2: to bus 7 is not in the bus data",
        ),
        # generator at an unknown bus
        (
            ("    2  1.0  0", "    9  1.0  0"),
            "bad.m:13: mpc.gen row 2: bus 9 is not in the bus data",
        ),
        # bus type out of range
        (("    3  1  2.0", "    3  5  2.0"), "bus type 5 is not 1, 2, 3 or 4"),
        # status not 0/1
        (("0  0  0  0  1;\n    2  3", "0  0  0  0  2;\n    2  3"), "status must be 0 or 1"),
        # missing fields
        (("mpc.baseMVA = 100;", ""), "mpc.baseMVA is missing"),
        (("mpc.version = '2';", ""), "mpc.version is missing"),
        (("mpc.version = '2';", "mpc.version = '3';"), "mpc.version must be '1' or '2'"),
        # a field assigned twice
        (("mpc.baseMVA = 100;", "mpc.baseMVA = 100; mpc.baseMVA = 10;"), "assigned again"),
        # negative or zero base
        (("mpc.baseMVA = 100;", "mpc.baseMVA = -100;"), "must be positive"),
        # unsupported field
        (
            ("mpc.baseMVA = 100;", "mpc.baseMVA = 100; mpc.dcline = [1 2];"),
            "mpc.dcline is not a field",
        ),
        # unterminated matrix
        (("];\nmpc.gen", "\nmpc.gen"), "'[' is never closed"),
        # malformed number
        (("1.5  0.5", "1.5  0.5.3"), "malformed number"),
        # not a function file
        (("function mpc = small", "mpc = small"), "starts with 'function mpc = NAME'"),
    ],
)
def test_bad_data_errors(write_case, small_text, edit, expected) -> None:
    old, new = edit
    assert old in small_text
    msg = _error(write_case, small_text.replace(old, new, 1))
    assert expected in msg


@pytest.mark.parametrize(
    "statement",
    [
        "disp('hello');",
        "mpc.bus(:, PD) = mpc.bus(:, PD) * 2;",  # PD is not defined without idx_bus
        "x = mpc.bus(1, 10) * 1e3;",  # a column by number: not one of the recognised shapes
        "[BUS_I, PQ] = idx_bus;",  # names out of MATPOWER's order
        "mpc.branch(:, 3) = mpc.branch(:, 3) / 2;",
        "mpc.bus(:, 3) = mpc.bus(:, 4);",
        "mpc = ext2int(mpc);",
        "pf = 0.85; mpc.bus(:, 4) = mpc.bus(:, 3) * tan(acos(pf));",
    ],
)
def test_unknown_trailing_code_is_quoted(write_case, small_text, statement) -> None:
    text = small_text + "\n%% trailing code\n" + statement + "\n"
    line = text.count("\n", 0, text.index(statement)) + 1
    msg = _error(write_case, text)
    assert msg.startswith(f"bad.m:{line}: ")


def test_unknown_statement_message_quotes_it(write_case, small_text) -> None:
    msg = _error(write_case, small_text + "mpc.bus(:, 3) = mpc.bus(:, 3) .* 2;\n")
    assert "statement not understood" in msg
    assert "mpc.bus(:, 3) = mpc.bus(:, 3) .* 2" in msg


def test_unreadable_file(tmp_path) -> None:
    with pytest.raises(GatError, match=r"missing\.m"):
        parse_matpower(tmp_path / "missing.m")
    with pytest.raises(GatError, match="cannot read"):
        parse_matpower(tmp_path)


def test_byte_order_mark_and_crlf(tmp_path, small_text) -> None:
    path = tmp_path / "crlf.m"
    path.write_bytes(b"\xef\xbb\xbf" + small_text.replace("\n", "\r\n").encode())
    case = parse_matpower(path)
    assert case.bus.shape == (3, 13)
    assert list(case.row_lines["bus"]) == [7, 8, 9]


def test_wider_matrices_are_read_by_position(write_case, small_text) -> None:
    """MATPOWER reads columns by position and never checks a matrix's width (case533mt has
    an 18-column gen and a 14-column branch with a "ratedCurr" column): the columns GAT
    reads are taken, the rest ignored, and the importer notes the unusual width."""
    from gat_dist import import_matpower

    text = small_text.replace("1.02  100  1  50  0;", "1.02  100  1  50  0  7  8;").replace(
        "1.01  100  1  50  0;", "1.01  100  1  50  0  7  8;"
    )
    text = text.replace("0  0  0  0  1;\n", "0  0  0  0  1  99;\n").replace(
        "0  0  0  0  0;\n", "0  0  0  0  0  99;\n"
    )
    path = write_case(text)
    case = parse_matpower(path)
    assert case.gen.shape == (2, 12) and case.branch.shape == (3, 12)
    np.testing.assert_array_equal(
        case.branch[:, :11], parse_matpower(write_case(name="plain.m")).branch
    )
    notes = import_matpower(path).source["import_notes"]
    assert (
        "gen matrix has 12 columns (MATPOWER's layouts: 10, 21, 25); GAT reads its first 10"
        in notes
    )
    assert any(n.startswith("branch matrix has 12 columns") for n in notes)
