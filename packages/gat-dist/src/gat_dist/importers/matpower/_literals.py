"""Numeric literals of a MATPOWER file: scalars and matrices written as ``[a b c; d e f]``.

An entry (or a scalar) may be arithmetic of numbers, as MATLAB evaluates it:
``+ - * / ^``, parentheses, ``pi`` and the elementary functions in :data:`FUNCTIONS`
(``12/sqrt(3)`` in case533mt). Inside a matrix, white space separates entries the way MATLAB
splits them: ``[1 -2]`` is two entries, ``[1 - 2]`` and ``[1-2]`` are one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import InputError

from ._lexer import Statement, Token

__all__ = ["FUNCTIONS", "MatrixLiteral", "parse_matrix", "parse_scalar"]

_SPECIAL = {"Inf": math.inf, "inf": math.inf, "NaN": math.nan, "nan": math.nan, "pi": math.pi}
#: MATLAB functions of one real argument an entry may call, with the arguments for which
#: MATLAB's answer is real (outside them MATLAB returns a complex number, which a case file
#: cannot hold, so they are refused).
FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[[float], bool]]] = {
    "sqrt": (math.sqrt, lambda x: x >= 0),
    "abs": (abs, lambda x: True),
    "exp": (math.exp, lambda x: True),
    "log": (math.log, lambda x: x > 0),
    "log10": (math.log10, lambda x: x > 0),
    "sin": (math.sin, math.isfinite),
    "cos": (math.cos, math.isfinite),
    "tan": (math.tan, math.isfinite),
    "asin": (math.asin, lambda x: -1 <= x <= 1),
    "acos": (math.acos, lambda x: -1 <= x <= 1),
    "atan": (math.atan, lambda x: True),
}


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


def parse_scalar(tokens: Sequence[Token], fname: str, where: str, *, entry: bool = False) -> float:
    """Read a scalar: a number, ``Inf``/``NaN``/``pi``, or an arithmetic expression of them
    with ``+ - * / ^``, parentheses and :data:`FUNCTIONS`, as MATLAB evaluates it
    (``mpc.baseMVA = 50/3;``). ``entry``: the tokens are one entry of the matrix ``where``
    (changes only the error message).

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
        if entry:
            text = Statement(tuple(toks), line).text()
            return _fail(fname, line, f"entry {text!r} of {where} is not arithmetic of numbers")
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
            if tok.kind == "ident" and tok.text in FUNCTIONS and peek("("):
                return call(tok)
            return _value(tok, fname, where)
        raise fail()

    def call(tok: Token) -> float:
        nonlocal pos
        pos += 1  # the "("
        arg = expr()
        if not peek(")"):
            raise fail()
        pos += 1
        func, real = FUNCTIONS[tok.text]
        if math.isnan(arg):
            return math.nan
        if not real(arg):
            raise _fail(fname, tok.line, f"{tok.text}({arg:g}) in {where} is not a real number")
        try:
            return float(func(arg))
        except OverflowError:
            return math.inf

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


def _starts_entry(prev: Token, tok: Token, nxt: Token | None) -> bool:
    """Whether ``tok`` (outside parentheses) starts a new matrix entry after ``prev``.

    MATLAB's rule: white space separates entries, except before a binary operator. ``*``,
    ``/``, ``^`` and ``)`` always continue; ``+``/``-`` after white space continue only when
    white space also follows them (``1 - 2`` is one entry, ``1 -2`` two). After an operator
    or ``(`` the entry always continues.
    """
    if not tok.space_before:
        return False
    if prev.kind == "op" and prev.text not in ")":
        return False
    if tok.kind == "op" and tok.text in "*/^)":
        return False
    if tok.kind == "op" and tok.text in "+-":
        return nxt is not None and not nxt.space_before
    return True


def _entry(entry: list[Token], fname: str, where: str) -> float:
    """The value of one matrix entry (a number, a signed number or arithmetic)."""
    if len(entry) == 1:
        return _value(entry[0], fname, where)
    if (
        len(entry) == 2
        and entry[0].kind == "op"
        and entry[0].text in "+-"
        and entry[1].kind in ("num", "ident")
        and entry[1].text not in FUNCTIONS
    ):
        sign = -1.0 if entry[0].text == "-" else 1.0
        return sign * _value(entry[1], fname, where)
    return parse_scalar(entry, fname, where, entry=True)


def parse_matrix(tokens: Sequence[Token], fname: str, where: str) -> MatrixLiteral:
    """Read a matrix literal ``[ ... ]`` (brackets included in ``tokens``).

    Rows end at ``;`` or a line end; entries are separated by white space or ``,`` following
    MATLAB's rule (see :func:`_starts_entry`). An entry is a number, ``Inf``/``NaN``, or
    arithmetic of them (``135/sqrt(3)``), evaluated as MATLAB would.

    Raises
    ------
    InputError
        Non-numeric entries, expressions other than arithmetic of numbers, nested brackets,
        rows of different lengths.
    """
    first, last = tokens[0], tokens[-1]
    if first.text != "[" or last.text != "]" or first.kind != "op" or last.kind != "op":
        raise _fail(fname, first.line, f"{where} must be a matrix written as [ ... ]")
    rows: list[list[float] | np.ndarray] = []
    lines: list[int] = []
    row: list[float] = []
    row_line = first.line
    body = list(tokens[1:-1])
    entry: list[Token] = []
    depth = 0  # open parentheses in the current entry

    def end_entry() -> None:
        nonlocal entry, row_line
        if entry:
            if not row:
                row_line = entry[0].line
            row.append(_entry(entry, fname, where))
        entry = []

    def end_row() -> None:
        nonlocal row
        end_entry()
        if row:
            rows.append(row)
            lines.append(row_line)
        row = []

    for i, tok in enumerate(body):
        if tok.kind == "rows":  # whole lines of numbers, already read by the lexer
            end_row()
            values, counts = tok.rows
            ends = np.cumsum(counts).tolist()
            for r, (start, end) in enumerate(zip([0, *ends[:-1]], ends, strict=True)):
                if end > start:  # a line of only separators or a comment holds no row
                    rows.append(values[start:end])
                    lines.append(tok.line + r)
            continue
        if depth == 0:
            if tok.kind == "nl" or (tok.kind == "op" and tok.text == ";"):
                end_row()
                continue
            if tok.kind == "op" and tok.text == ",":
                if not entry:
                    raise _fail(fname, tok.line, f"empty entry (',,') in {where}")
                end_entry()
                continue
            nxt = body[i + 1] if i + 1 < len(body) else None
            if entry and _starts_entry(entry[-1], tok, nxt):
                end_entry()
        if tok.kind == "op" and tok.text == "(":
            depth += 1
        elif tok.kind == "op" and tok.text == ")":
            depth -= 1
        entry.append(tok)
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
