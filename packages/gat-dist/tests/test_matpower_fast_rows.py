"""The lexer's fast path for lines of numbers reads exactly what the token-by-token path reads."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gat_dist.importers.matpower import _lexer, parse_matpower
from gat_schemas.errors import InputError

CASES = sorted((Path(__file__).resolve().parents[3] / "test_data" / "matpower").glob("*.m"))

TRICKY = """function mpc = tricky
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05\t0.95;
  2, 1, 1.5e-1, .25, 0, 0, 1, 1, 0, 12.66, 1, 1.05, 0.95 % a comment
\t3 1 -0.5 +0.1 0 0 1 1 0 12.66 1 1.05 0.95;\r
4 1 1. 2.e-2 0 0 1 1 0 12.66 1 1.05 ...
 0.95;
];
mpc.gen = [
\t1\t0\t0\t100\t-100\t1\t100\t1\t100\t0;
];
mpc.branch = [
\t1\t2\t0.01\t0.02\t0\t0\t0\t0\t0\t0\t1\t-360\t360;

% a comment line and an empty line inside the matrix hold no row
\t2\t3\t0.01\t0.02\t0\t0\t0\t0\t0\t0\t1\t-360\t360;
\t3\t4\t0.01\t0.02\t0\t0\t0\t0\t0\t0\t1\t-360\t360;
];
"""


def _slow(monkeypatch):
    monkeypatch.setattr(_lexer, "_ROWS", re.compile(r"(?!)"))  # never matches


def _same(a, b):
    assert a.base_mva == b.base_mva
    for field in ("bus", "gen", "branch"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
        assert np.array_equal(a.row_lines[field], b.row_lines[field]), field
    assert a.conversions == b.conversions


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shipped_cases_parse_the_same_both_ways(path, monkeypatch):
    fast = parse_matpower(path)
    _slow(monkeypatch)
    _same(fast, parse_matpower(path))


def test_tricky_rows_parse_the_same_both_ways(tmp_path, monkeypatch):
    path = tmp_path / "tricky.m"
    path.write_text(TRICKY, encoding="utf-8")
    kinds = [t.kind for t in _lexer.tokenize(TRICKY, "tricky.m")]
    assert kinds.count("rows") == 2  # gen, branch; bus holds a continuation: token by token
    fast = parse_matpower(path)
    assert fast.bus[1, 2:4].tolist() == [0.15, 0.25]
    assert fast.bus[2, 2:4].tolist() == [-0.5, 0.1]
    assert fast.bus[3, 12] == 0.95  # a continued row is one row
    _slow(monkeypatch)
    _same(fast, parse_matpower(path))


@pytest.mark.parametrize(
    "lines",
    [
        "\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05\t0.95; 9 1 0 0 0 0 1 1 0 12.66 1 1.05 0.95",
        "%{\n1 2 3\n%}\n\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05\t0.95;",
        "\t1 3 0 0 0 0 1 1 0 12.66 1 1.05 0.95,;\n;",
    ],
    ids=["two rows on a line", "block comment", "trailing separators"],
)
def test_unusual_rows_parse_the_same_both_ways(tmp_path, monkeypatch, lines):
    path = tmp_path / "unusual.m"
    path.write_text(TRICKY.replace("\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05\t0.95;", lines))
    try:
        fast = parse_matpower(path)
    except InputError as exc:
        _slow(monkeypatch)
        with pytest.raises(InputError) as slow:
            parse_matpower(path)
        assert str(exc) == str(slow.value)
        return
    _slow(monkeypatch)
    _same(fast, parse_matpower(path))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("\t1\t3\t0\t0 - 1\t0\t1\t1\t0\t12.66\t1\t1.05\t0.95;", "first row has 12"),
        ("\t1\t3\t0\t0\t0,,0\t1\t1\t0\t12.66\t1\t1.05\t0.95;", "empty entry"),
        ("\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05\t1.2.3;", "malformed number"),
        ("\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05;", "columns"),
    ],
)
def test_bad_rows_fail_the_same_way(tmp_path, monkeypatch, row, message):
    path = tmp_path / "bad.m"
    path.write_text(TRICKY.replace("\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1.05\t0.95;", row))
    with pytest.raises(InputError, match=message) as fast:
        parse_matpower(path)
    _slow(monkeypatch)
    with pytest.raises(InputError) as slow:
        parse_matpower(path)
    assert str(fast.value) == str(slow.value)
