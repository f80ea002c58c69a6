"""Recogniser of the unit-conversion code at the end of MATPOWER's distribution cases.

MATPOWER's distribution feeders (case33bw, case69, case85, case141, case136ma, case118zh) store
branch impedances in ohms and loads in kW/kvar (or kVA), then convert them with a few MATLAB
statements. This module recognises exactly those statement shapes, ignoring white space:

=====================================================  =========================================
shape                                                  effect
=====================================================  =========================================
``[PQ, PV, ..., MU_VMIN] = idx_bus;``                  binds MATPOWER's bus column names
``[F_BUS, T_BUS, ..., MU_ANGMAX] = idx_brch;``         binds MATPOWER's branch column names
``V = mpc.bus(ROW, COL) * NUMBER;``                    a scalar read from one bus entry
``S = mpc.baseMVA * NUMBER;``                          a scalar from the system base
``pf = NUMBER;``                                       a scalar constant
``mpc.M(:, COLS) = mpc.M(:, COLS) / (V^2 / S);``       columns divided by a base impedance
``mpc.M(:, COLS) = mpc.M(:, COLS) / NUMBER;``          columns divided by a number
``mpc.M(:, COL) = mpc.M(:, COL2) * sin(acos(pf));``    one column from another and a power factor
``mpc.M(:, COLS) = mpc.M(:, COLS) * pf;``              columns multiplied by a scalar
=====================================================  =========================================

They are executed in file order with the numbers read from the file. Any other statement is an
:class:`~gat_schemas.errors.InputError` quoting it: guessing what unknown code does is how unit
errors creep in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field

import numpy as np

from gat_schemas.errors import InputError

from ._lexer import Statement

__all__ = ["BRANCH_COLUMNS", "BUS_COLUMNS", "ConversionState", "apply_statement"]

#: MATPOWER's bus-type constants followed by its bus column names, in the order ``idx_bus``
#: returns them (bus types 1..4, then columns 1..17).
_IDX_BUS = (
    "PQ PV REF NONE BUS_I BUS_TYPE PD QD GS BS BUS_AREA VM VA BASE_KV ZONE VMAX VMIN "
    "LAM_P LAM_Q MU_VMAX MU_VMIN"
).split()
#: MATPOWER's branch column names in the order ``idx_brch`` returns them (columns 1..21).
_IDX_BRCH = (
    "F_BUS T_BUS BR_R BR_X BR_B RATE_A RATE_B RATE_C TAP SHIFT BR_STATUS PF QF PT QT "
    "MU_SF MU_ST ANGMIN ANGMAX MU_ANGMIN MU_ANGMAX"
).split()
_IDX_VALUES = {
    "idx_bus": dict(zip(_IDX_BUS, [1, 2, 3, 4, *range(1, 18)], strict=True)),
    "idx_brch": dict(zip(_IDX_BRCH, range(1, 22), strict=True)),
}
_IDX_ORDER = {"idx_bus": _IDX_BUS, "idx_brch": _IDX_BRCH}

#: Column headings MATPOWER's case files print above each matrix (1-based column -> name).
BUS_COLUMNS = (
    "bus_i type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin lam_P lam_Q mu_Vmax mu_Vmin".split()
)
BRANCH_COLUMNS = (
    "fbus tbus r x b rateA rateB rateC ratio angle status angmin angmax Pf Qf Pt Qt "
    "mu_Sf mu_St mu_angmin mu_angmax"
).split()
_HEADINGS = {"bus": BUS_COLUMNS, "branch": BRANCH_COLUMNS}

_N = r"[A-Za-z]\w*"  # a name
_NUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # a number token
_COLS = rf"(?:{_N}|\[(?: {_N})+ \])"
_PATTERNS: dict[str, re.Pattern[str]] = {
    "unpack": re.compile(rf"^\[(?P<names>(?: {_N})+) \] = (?P<fn>idx_bus|idx_brch)(?: \( \))?$"),
    "entry": re.compile(
        rf"^(?P<var>{_N}) = (?P<s>{_N}) \. (?P<m>bus) \( (?P<row>{_NUM}) , (?P<col>{_N}) \)"
        rf" \* (?P<k>{_NUM})$"
    ),
    "base": re.compile(rf"^(?P<var>{_N}) = (?P<s>{_N}) \. baseMVA \* (?P<k>{_NUM})$"),
    "const": re.compile(rf"^(?P<var>{_N}) = (?P<k>{_NUM})$"),
    "zbase": re.compile(
        rf"^(?P<s>{_N}) \. (?P<m>bus|branch) \( : , (?P<cols>{_COLS}) \) = "
        rf"(?P<s2>{_N}) \. (?P<m2>bus|branch) \( : , (?P<cols2>{_COLS}) \) / "
        rf"\( (?P<v>{_N}) \^ 2 / (?P<sb>{_N}) \)$"
    ),
    "divide": re.compile(
        rf"^(?P<s>{_N}) \. (?P<m>bus|branch) \( : , (?P<cols>{_COLS}) \) = "
        rf"(?P<s2>{_N}) \. (?P<m2>bus|branch) \( : , (?P<cols2>{_COLS}) \) / (?P<k>{_NUM})$"
    ),
    "pf_q": re.compile(
        rf"^(?P<s>{_N}) \. (?P<m>bus) \( : , (?P<cols>{_N}) \) = "
        rf"(?P<s2>{_N}) \. (?P<m2>bus) \( : , (?P<src>{_N}) \) \* "
        rf"sin \( acos \( (?P<v>{_N}|{_NUM}) \) \)$"
    ),
    "scale": re.compile(
        rf"^(?P<s>{_N}) \. (?P<m>bus|branch) \( : , (?P<cols>{_COLS}) \) = "
        rf"(?P<s2>{_N}) \. (?P<m2>bus|branch) \( : , (?P<cols2>{_COLS}) \) \* "
        rf"(?P<v>{_N}|{_NUM})$"
    ),
}


@dataclass
class ConversionState:
    """Mutable state while executing a file: names bound so far and the log of conversions.

    Parameters
    ----------
    fname
        File name for error messages.
    struct
        Name of the case struct (``mpc``).
    matrices
        Field name -> matrix (``bus``, ``branch``, ...), updated in place by conversions.
    scalars
        Field name -> scalar (``baseMVA``).
    """

    fname: str
    struct: str
    matrices: MutableMapping[str, np.ndarray]
    scalars: MutableMapping[str, float]
    columns: dict[str, int] = field(default_factory=dict)
    variables: dict[str, float] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


def _canonical(stmt: Statement) -> str | None:
    """Tokens joined by single spaces, commas inside ``[...]`` dropped; None if unsuitable."""
    words: list[str] = []
    depth = 0
    for tok in stmt.tokens:
        if tok.kind in ("nl", "str"):
            return None
        if tok.text == "[":
            depth += 1
        elif tok.text == "]":
            depth -= 1
        elif tok.text == "," and depth > 0:
            continue
        words.append(tok.text)
    return " ".join(words)


def _fail(state: ConversionState, stmt: Statement, what: str) -> InputError:
    return InputError(f"{state.fname}:{stmt.line}: {what}: {stmt.text()}")


def _names(cols: str) -> list[str]:
    return cols.strip("[] ").split()


def _column(state: ConversionState, stmt: Statement, name: str, matrix: str) -> int:
    """0-based column index bound to ``name``, checked against the matrix width."""
    if name not in state.columns:
        raise _fail(state, stmt, f"column name {name} is not defined by idx_bus/idx_brch")
    col = state.columns[name]
    width = state.matrices[matrix].shape[1]
    if not 1 <= col <= width:
        raise _fail(state, stmt, f"column {name} = {col} is outside {state.struct}.{matrix}")
    return col - 1


def _scalar(state: ConversionState, stmt: Statement, word: str) -> float:
    if word in state.variables:
        return state.variables[word]
    if word in state.columns:
        return float(state.columns[word])
    if re.fullmatch(_NUM, word):
        return float(word)
    raise _fail(state, stmt, f"{word} is not defined")


def _matrix(state: ConversionState, stmt: Statement, m: re.Match[str]) -> str:
    """Check the struct and matrix names of an in-place column statement; return the matrix."""
    names = {m.group("s")} | ({m.group("s2")} if "s2" in m.groupdict() else set())
    if names != {state.struct}:
        raise _fail(state, stmt, f"only the case struct {state.struct} can be converted")
    mat = m.group("m")
    if "m2" in m.groupdict() and m.group("m2") != mat:
        raise _fail(state, stmt, "both sides must refer to the same matrix")
    if mat not in state.matrices:
        raise _fail(state, stmt, f"{state.struct}.{mat} is used before it is assigned")
    return mat


def _describe(mat: str, cols: list[int]) -> str:
    heads = _HEADINGS[mat]
    return mat + " " + ", ".join(heads[c] if c < len(heads) else f"column {c + 1}" for c in cols)


def _store(state: ConversionState, stmt: Statement, mat: str, cols: list[int], new: np.ndarray):
    if not np.all(np.isfinite(new)):
        raise _fail(state, stmt, "the conversion gives non-finite values")
    state.matrices[mat][:, cols] = new


def _do_unpack(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    fn = m.group("fn")
    names = m.group("names").split()
    if names != _IDX_ORDER[fn][: len(names)]:
        raise _fail(state, stmt, f"the names do not follow MATPOWER's {fn} order")
    for name in names:
        state.columns[name] = _IDX_VALUES[fn][name]
        state.variables.pop(name, None)


def _do_entry(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    if m.group("s") != state.struct or "bus" not in state.matrices:
        raise _fail(state, stmt, f"{state.struct}.bus is used before it is assigned")
    bus = state.matrices["bus"]
    row = float(m.group("row"))
    if not 1 <= row <= bus.shape[0] or row != int(row):
        raise _fail(state, stmt, f"row {m.group('row')} is outside {state.struct}.bus")
    col = _column(state, stmt, m.group("col"), "bus")
    k = float(m.group("k"))
    value = float(bus[int(row) - 1, col]) * k
    var = m.group("var")
    state.variables[var] = value
    state.columns.pop(var, None)
    unit = " V" if col == 9 and k == 1e3 else ""  # baseKV (kV) x 1000 = volts
    state.origins[var] = f"{value:.10g}{unit} = bus row {int(row)} {BUS_COLUMNS[col]} x {k:g}"


def _do_base(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    if m.group("s") != state.struct or "baseMVA" not in state.scalars:
        raise _fail(state, stmt, f"{state.struct}.baseMVA is used before it is assigned")
    k = float(m.group("k"))
    var = m.group("var")
    state.variables[var] = value = state.scalars["baseMVA"] * k
    state.columns.pop(var, None)
    unit = " VA" if k == 1e6 else ""  # baseMVA (MVA) x 1e6 = volt-amperes
    state.origins[var] = f"{value:.10g}{unit} = baseMVA x {k:g}"


def _do_const(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    var = m.group("var")
    state.variables[var] = float(m.group("k"))
    state.columns.pop(var, None)
    state.origins[var] = f"{float(m.group('k')):.10g}"


def _same_columns(state: ConversionState, stmt: Statement, m: re.Match[str], mat: str) -> list:
    if _names(m.group("cols")) != _names(m.group("cols2")):
        raise _fail(state, stmt, "both sides must name the same columns")
    return [_column(state, stmt, n, mat) for n in _names(m.group("cols"))]


def _do_zbase(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    mat = _matrix(state, stmt, m)
    cols = _same_columns(state, stmt, m, mat)
    v, s = _scalar(state, stmt, m.group("v")), _scalar(state, stmt, m.group("sb"))
    if not (v > 0 and s > 0 and math.isfinite(v) and math.isfinite(s)):
        raise _fail(state, stmt, f"{m.group('v')} and {m.group('sb')} must be positive")
    zbase = v * v / s
    _store(state, stmt, mat, cols, state.matrices[mat][:, cols] / zbase)
    vo, so = state.origins.get(m.group("v"), ""), state.origins.get(m.group("sb"), "")
    ohms = vo.split(" = ")[0].endswith(" V") and so.split(" = ")[0].endswith(" VA")
    state.log.append(
        f"line {stmt.line}: {_describe(mat, cols)} divided by {m.group('v')}^2/{m.group('sb')}"
        f" = {zbase:.10g}{' ohm' if ohms else ''} ({m.group('v')} = {vo or v},"
        f" {m.group('sb')} = {so or s}){': ohms to per unit' if ohms else ''}"
    )


def _do_divide(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    mat = _matrix(state, stmt, m)
    cols = _same_columns(state, stmt, m, mat)
    k = float(m.group("k"))
    if k == 0:
        raise _fail(state, stmt, "division by zero")
    _store(state, stmt, mat, cols, state.matrices[mat][:, cols] / k)
    powers = mat == "bus" and set(cols) <= {2, 3}  # Pd, Qd columns (MW, Mvar after)
    why = ": kilo to mega (kW to MW)" if powers and k == 1e3 else ""
    state.log.append(f"line {stmt.line}: {_describe(mat, cols)} divided by {k:.10g}{why}")


def _do_pf_q(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    mat = _matrix(state, stmt, m)
    dst = _column(state, stmt, m.group("cols"), mat)
    src = _column(state, stmt, m.group("src"), mat)
    pf = _scalar(state, stmt, m.group("v"))
    if not 0 < pf <= 1:
        raise _fail(state, stmt, f"power factor {pf:g} must be in (0, 1]")
    factor = math.sin(math.acos(pf))
    _store(state, stmt, mat, [dst], state.matrices[mat][:, [src]] * factor)
    state.log.append(
        f"line {stmt.line}: {_describe(mat, [dst])} set to {_describe(mat, [src])}"
        f" x sin(acos({pf:.10g})) (= {factor:.10g})"
    )


def _do_scale(state: ConversionState, stmt: Statement, m: re.Match[str]) -> None:
    mat = _matrix(state, stmt, m)
    cols = _same_columns(state, stmt, m, mat)
    k = _scalar(state, stmt, m.group("v"))
    _store(state, stmt, mat, cols, state.matrices[mat][:, cols] * k)
    state.log.append(f"line {stmt.line}: {_describe(mat, cols)} multiplied by {k:.10g}")


_HANDLERS: dict[str, Callable[[ConversionState, Statement, re.Match[str]], None]] = {
    "unpack": _do_unpack,
    "entry": _do_entry,
    "base": _do_base,
    "const": _do_const,
    "zbase": _do_zbase,
    "divide": _do_divide,
    "pf_q": _do_pf_q,
    "scale": _do_scale,
}


def apply_statement(state: ConversionState, stmt: Statement) -> None:
    """Execute one conversion statement, or raise :class:`InputError` quoting it.

    Raises
    ------
    InputError
        The statement is not one of the recognised shapes, refers to names or matrices not yet
        defined, or would produce non-finite numbers.
    """
    text = _canonical(stmt)
    if text is not None:
        for key, pattern in _PATTERNS.items():
            m = pattern.match(text)
            if m is not None:
                _HANDLERS[key](state, stmt, m)
                return
    raise _fail(state, stmt, "statement not understood (GAT executes no other MATLAB code)")
