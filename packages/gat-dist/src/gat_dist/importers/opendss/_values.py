"""Meaning of OpenDSS parameter values: numbers, in-line RPN math, arrays, matrices, buses, units.

* A number is a bare word (``4.16``, ``.48``, ``1e-4``) or, when delimited (``(8 1000 /)``,
  ``[2.4]``, ``"5"``), an in-line RPN expression: numbers are pushed, ``+ - * / ^`` pop two
  (``a b /`` is ``a / b``), ``sqr sqrt inv`` pop one, ``pi`` pushes pi; exactly one value
  must remain.
* An array is a delimited list split on white space and commas (``[115, 4.16, .48]``,
  ``"wye wye"``, ``(814.1 814r.1)``).
* A matrix has rows separated by ``|``: the lower triangle (row ``i`` has ``i`` entries) or
  the full square matrix, which must then be symmetric.
* A bus is ``name`` or ``name.n1.n2...`` with node numbers 1, 2, 3 (phases A, B, C).
* Length units (OpenDSS names): ``mi``, ``kft``, ``km``, ``m``, ``ft``, ``in``, ``cm``,
  ``none``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from gat_schemas.errors import InputError

from ._lexer import Value

__all__ = [
    "KM_PER_UNIT",
    "as_array",
    "as_bus",
    "as_int",
    "as_matrix",
    "as_number",
    "as_unit",
    "as_yesno",
]

#: Kilometres per OpenDSS length unit (``none``: the length carries no unit).
KM_PER_UNIT: dict[str, float | None] = {
    "mi": 1.609344,
    "kft": 0.3048,
    "km": 1.0,
    "m": 1e-3,
    "ft": 0.3048e-3,
    "in": 0.0254e-3,
    "cm": 1e-5,
    "none": None,
}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}
_UNARY = {"sqr": lambda a: a * a, "sqrt": math.sqrt, "inv": lambda a: 1.0 / a}
_YES = frozenset({"y", "yes", "t", "true"})
_NO = frozenset({"n", "no", "f", "false"})


def _fail(value: Value, what: str) -> InputError:
    return InputError(f"{value.where}: {what}")


def _plain_number(word: str, value: Value, name: str) -> float:
    if not _NUMBER.match(word):
        raise _fail(value, f"{name}={value.shown()}: {word!r} is not a number")
    return float(word)


def _rpn(value: Value, name: str) -> float:
    stack: list[float] = []
    for word in value.text.replace(",", " ").split():
        op = word.lower()
        try:
            if op in _BINARY:
                if len(stack) < 2:
                    raise _fail(value, f"{name}={value.shown()}: {word!r} needs two operands")
                b, a = stack.pop(), stack.pop()
                stack.append(float(_BINARY[op](a, b)))
            elif op in _UNARY:
                if not stack:
                    raise _fail(value, f"{name}={value.shown()}: {word!r} needs an operand")
                stack.append(float(_UNARY[op](stack.pop())))
            elif op == "pi":
                stack.append(math.pi)
            else:
                stack.append(_plain_number(word, value, name))
        except (ZeroDivisionError, ValueError, OverflowError):
            raise _fail(value, f"{name}={value.shown()}: cannot evaluate {word!r}") from None
    if len(stack) != 1:
        raise _fail(
            value,
            f"{name}={value.shown()}: an RPN expression must leave one value, not {len(stack)}",
        )
    return stack[0]


def as_number(value: Value, name: str) -> float:
    """A finite number: a bare word, or an in-line RPN expression when delimited."""
    x = _rpn(value, name) if value.delim else _plain_number(value.text, value, name)
    if not math.isfinite(x) or isinstance(x, complex):
        raise _fail(value, f"{name}={value.shown()} is not a finite number")
    return x


def as_int(value: Value, name: str) -> int:
    """An integer (written as a whole number)."""
    x = as_number(value, name)
    if x != round(x):
        raise _fail(value, f"{name}={value.shown()} is not a whole number")
    return round(x)


def as_yesno(value: Value, name: str) -> bool:
    """``y``/``yes``/``t``/``true`` or ``n``/``no``/``f``/``false`` (any case)."""
    word = value.text.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _fail(value, f"{name}={value.shown()} is not yes or no")


def as_array(value: Value, name: str) -> list[str]:
    """Words of an array (a bare word is a one-element array)."""
    words = value.text.replace(",", " ").split()
    if not words:
        raise _fail(value, f"{name}={value.shown()} is empty")
    if "|" in words:
        raise _fail(value, f"{name}={value.shown()}: '|' is only allowed in a matrix")
    return words


def as_numbers(value: Value, name: str) -> list[float]:
    """A numeric array (each element a plain number)."""
    out = [_plain_number(w, value, name) for w in as_array(value, name)]
    if not all(math.isfinite(x) for x in out):
        raise _fail(value, f"{name}={value.shown()} has a non-finite entry")
    return out


def as_matrix(value: Value, name: str, n: int) -> np.ndarray:
    """An ``n`` x ``n`` symmetric matrix, lower triangle or full, rows separated by ``|``."""
    rows_text = value.text.split("|")
    rows = [[_plain_number(w, value, name) for w in r.replace(",", " ").split()] for r in rows_text]
    if len(rows) != n:
        raise _fail(value, f"{name} has {len(rows)} rows; the line code has {n} phases")
    m = np.zeros((n, n))
    lower = all(len(r) == i + 1 for i, r in enumerate(rows))
    full = all(len(r) == n for r in rows)
    if lower:
        for i, r in enumerate(rows):
            m[i, : i + 1] = r
            m[: i + 1, i] = r
    elif full:
        m[:, :] = rows
        # OpenDSS reads a full matrix's lower triangle and mirrors it (checked with
        # opendssdirect). A difference beyond rounding of the written digits (1e-6 of the
        # largest entry; EPRI M1's 0.0180495455 vs 0.018049545) is refused as a likely typo.
        scale = float(np.abs(m).max(initial=0.0))
        if np.abs(m - m.T).max(initial=0.0) > 1e-6 * scale:
            raise _fail(value, f"{name} is not symmetric (OpenDSS would take its lower triangle)")
        m = np.tril(m) + np.tril(m, -1).T
    else:
        raise _fail(
            value,
            f"{name} must be the lower triangle (row i has i entries) or the full {n}x{n} matrix",
        )
    if not np.isfinite(m).all():
        raise _fail(value, f"{name} has a non-finite entry")
    return m


def as_bus(value: Value, name: str, *, ground: bool = False) -> tuple[str, tuple[int, ...]]:
    """Bus name and node numbers (each 1, 2 or 3) of ``name.n1.n2...``.

    With ``ground=True`` (a wye element's neutral), a last node 0 after the phase nodes is
    accepted and dropped: node 0 is OpenDSS's ground, where GAT's wye neutrals already are
    (``bus.1.2.3.0`` is ``bus.1.2.3`` solidly grounded).
    """
    parts = value.text.strip().split(".")
    bus = parts[0]
    if not bus or any(c in bus for c in " \t"):
        raise _fail(value, f"{name}={value.shown()} is not a bus name")
    nodes: list[int] = []
    if ground and len(parts) > 2 and parts[-1].strip() == "0":
        parts = parts[:-1]
    for p in parts[1:]:
        if not (p.isascii() and p.isdigit()):  # "1¹".isdigit() is True; int() refuses it
            raise _fail(value, f"{name}={value.shown()}: node {p!r} is not a number")
        k = int(p)
        if k not in (1, 2, 3):
            what = "ground" if k == 0 else "a neutral or extra conductor"
            raise _fail(
                value,
                f"{name}={value.shown()}: node {k} ({what}) is not supported; GAT models phase "
                "conductors 1, 2, 3 (Kron-reduced, neutral grounded)",
            )
        if k in nodes:
            raise _fail(value, f"{name}={value.shown()}: node {k} is repeated")
        nodes.append(k)
    return bus, tuple(nodes)


def as_unit(value: Value, name: str) -> str:
    """A length unit name (lower case), one of :data:`KM_PER_UNIT`."""
    word = value.text.strip().lower()
    if word not in KM_PER_UNIT:
        known = ", ".join(KM_PER_UNIT)
        raise _fail(value, f"{name}={value.shown()} is not a length unit ({known})")
    return word
