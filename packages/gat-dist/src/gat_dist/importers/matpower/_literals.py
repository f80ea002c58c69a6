"""Numeric literals of a MATPOWER file: scalars and matrices written as ``[a b c; d e f]``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import InputError

from ._lexer import Token

__all__ = ["MatrixLiteral", "parse_matrix", "parse_scalar"]

_SPECIAL = {"Inf": math.inf, "inf": math.inf, "NaN": math.nan, "nan": math.nan}


@dataclass(frozen=True)
class MatrixLiteral:
    """A parsed matrix: values (rows x columns) and the file line of each row."""

    values: np.ndarray
    row_lines: np.ndarray


def _fail(fname: str, line: int, what: str) -> InputError:
    return InputError(f"{fname}:{line}: {what}")


def _value(tok: Token, fname: str, where: str) -> float:
    if tok.kind == "num":
        return float(tok.text)
    if tok.kind == "ident" and tok.text in _SPECIAL:
        return _SPECIAL[tok.text]
    shown = f"'{tok.text}'" if tok.kind == "str" else repr(tok.text)
    raise _fail(fname, tok.line, f"non-numeric entry {shown} in {where}")


def parse_scalar(tokens: Sequence[Token], fname: str, where: str) -> float:
    """Read a scalar: a number, ``Inf``/``NaN``, or an arithmetic expression of them with
    ``+ - * / ^`` and parentheses, as MATLAB evaluates it (``mpc.baseMVA = 50/3;``).

    Raises
    ------
    InputError
        Anything else (names of variables, strings, several values).
    """
    toks = [t for t in tokens if t.kind != "nl"]
    line = tokens[0].line if tokens else 0
    if not toks:
        raise _fail(fname, line, f"{where} must be a single number")
    pos = 0

    def fail() -> InputError:
        return _fail(fname, line, f"{where} must be a single number or arithmetic of numbers")

    def peek(*ops: str) -> bool:
        return pos < len(toks) and toks[pos].kind == "op" and toks[pos].text in ops

    def atom() -> float:
        nonlocal pos
        if peek("+", "-"):
            sign = -1.0 if toks[pos].text == "-" else 1.0
            pos += 1
            return sign * power()
        if peek("("):
            pos += 1
            val = expr()
            if not peek(")"):
                raise fail()
            pos += 1
            return val
        if pos < len(toks) and toks[pos].kind in ("num", "ident"):
            tok = toks[pos]
            pos += 1
            return _value(tok, fname, where)
        raise fail()

    def power() -> float:
        nonlocal pos
        base = atom()
        if peek("^"):
            pos += 1
            return float(base ** power())
        return base

    def term() -> float:
        nonlocal pos
        val = power()
        while peek("*", "/"):
            op = toks[pos].text
            pos += 1
            rhs = power()
            with np.errstate(divide="ignore", invalid="ignore"):  # MATLAB: 1/0 Inf, 0/0 NaN
                val = float(np.float64(val) * rhs if op == "*" else np.float64(val) / rhs)
        return val

    def expr() -> float:
        nonlocal pos
        val = term()
        while peek("+", "-"):
            op = toks[pos].text
            pos += 1
            rhs = term()
            val = val + rhs if op == "+" else val - rhs
        return val

    value = expr()
    if pos != len(toks):
        raise fail()
    return float(value)


def parse_matrix(tokens: Sequence[Token], fname: str, where: str) -> MatrixLiteral:
    """Read a matrix literal ``[ ... ]`` (brackets included in ``tokens``).

    Rows end at ``;`` or a line end; entries are separated by white space or ``,``. A sign
    directly attached to a number (``-0.5``, ``-Inf``) belongs to it; a free-standing ``-``
    would make MATLAB evaluate an expression, which case files never need, so it is an error.

    Raises
    ------
    InputError
        Non-numeric entries, expressions, nested brackets, rows of different lengths.
    """
    first, last = tokens[0], tokens[-1]
    if first.text != "[" or last.text != "]" or first.kind != "op" or last.kind != "op":
        raise _fail(fname, first.line, f"{where} must be a matrix written as [ ... ]")
    rows: list[list[float] | np.ndarray] = []
    lines: list[int] = []
    row: list[float] = []
    row_line = first.line
    body = list(tokens[1:-1])
    i = 0
    expect_sep = False  # True right after an entry: the next entry needs white space or ','

    def end_row() -> None:
        nonlocal row
        if row:
            rows.append(row)
            lines.append(row_line)
        row = []

    while i < len(body):
        tok = body[i]
        if tok.kind == "rows":  # whole lines of numbers, already read by the lexer
            end_row()
            values, counts = tok.rows
            ends = np.cumsum(counts).tolist()
            for r, (start, end) in enumerate(zip([0, *ends[:-1]], ends, strict=True)):
                if end > start:  # a line of only separators or a comment holds no row
                    rows.append(values[start:end])
                    lines.append(tok.line + r)
            expect_sep = False
            i += 1
            continue
        if tok.kind == "nl" or (tok.kind == "op" and tok.text == ";"):
            end_row()
            expect_sep = False
            i += 1
            continue
        if tok.kind == "op" and tok.text == ",":
            if not expect_sep:
                raise _fail(fname, tok.line, f"empty entry (',,') in {where}")
            expect_sep = False
            i += 1
            continue
        if expect_sep and not tok.space_before:
            raise _fail(fname, tok.line, f"entries must be separated in {where}: {tok.text!r}")
        sign = 1.0
        if tok.kind == "op" and tok.text in "+-":
            nxt = body[i + 1] if i + 1 < len(body) else None
            if nxt is None or nxt.space_before or nxt.kind not in ("num", "ident"):
                raise _fail(fname, tok.line, f"expressions are not supported in {where}")
            sign = -1.0 if tok.text == "-" else 1.0
            i += 1
            tok = nxt
        if not row:
            row_line = tok.line
        row.append(sign * _value(tok, fname, where))
        expect_sep = True
        i += 1
    end_row()
    if not rows:
        return MatrixLiteral(np.zeros((0, 0)), np.zeros(0, dtype=np.int64))
    width = len(rows[0])
    for r, line in zip(rows, lines, strict=True):
        if len(r) != width:
            raise _fail(
                fname,
                line,
                f"{where} row has {len(r)} columns but the first row has {width}",
            )
    return MatrixLiteral(np.array(rows, dtype=float), np.array(lines, dtype=np.int64))
