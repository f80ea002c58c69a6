"""``parse_matpower``: read a MATPOWER case file into a :class:`MatpowerCase`.

Two layouts are read. Version 2 is a function returning a struct (``function mpc = case9``
followed by ``mpc.baseMVA = ...; mpc.bus = [...]; ...``). Version 1 is a function returning
plain variables (``function [baseMVA, bus, gen, branch] = t_case9_pf``). Unit-conversion code
at the end of MATPOWER's distribution cases is executed by :mod:`._conversions`; no other
MATLAB code is accepted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from gat_schemas.errors import InputError

from ._checks import check_case, check_width
from ._conversions import ConversionState, apply_statement
from ._lexer import Statement, Token, expand_rows, split_statements, tokenize
from ._literals import parse_matrix, parse_scalar

__all__ = ["MatpowerCase", "parse_matpower"]

_MATRICES = ("bus", "gen", "branch", "gencost", "areas")
_V1_OUTPUTS = frozenset({"baseMVA", "bus", "gen", "branch", "areas", "gencost"})


@dataclass(frozen=True)
class MatpowerCase:
    """The data of a MATPOWER case file, after the file's own unit conversions.

    Arrays are read-only, in MATPOWER's column layout (1-based column ``k`` of the file is
    ``[:, k - 1]`` here) and MATPOWER's units: ``Pd``, ``Qd`` MW and Mvar, ``Vm`` pu, ``baseKV``
    kV line-to-line, branch ``r``, ``x``, ``b`` pu on ``base_mva``, ratings MVA.

    Parameters
    ----------
    name
        Case name (the file name without ``.m``).
    version
        MATPOWER case format version, ``"1"`` or ``"2"``.
    base_mva
        System base power (MVA).
    bus, gen, branch
        The bus (13 or 17 columns), generator (10, 21 or 25) and branch (11, 13, 17 or 21)
        matrices. ``gen`` may have zero rows.
    gencost
        Generator cost matrix, or ``None`` when the file has none.
    conversions
        Plain-words description of each conversion statement the file applied, in order,
        with its line number (empty for files that store per-unit data directly).
    source_path
        The path the file was read from, as given.
    sha256
        SHA-256 of the file bytes (hex).
    row_lines
        ``"bus"``, ``"gen"``, ``"branch"`` -> file line number of each matrix row.
    """

    name: str
    version: str
    base_mva: float
    bus: np.ndarray
    gen: np.ndarray
    branch: np.ndarray
    gencost: np.ndarray | None
    conversions: tuple[str, ...]
    source_path: str
    sha256: str
    row_lines: Mapping[str, np.ndarray]


def _fail(fname: str, line: int, what: str) -> InputError:
    return InputError(f"{fname}:{line}: {what}")


def _is(tok: Token, kind: str, text: str | None = None) -> bool:
    return tok.kind == kind and (text is None or tok.text == text)


def _header(stmt: Statement, fname: str) -> tuple[str | None, frozenset[str]]:
    """Read ``function OUT = NAME`` or ``function [O1, O2, ...] = NAME``.

    Returns ``(struct name, set())`` for version 2 and ``(None, outputs)`` for version 1.
    """
    toks = [t for t in stmt.tokens if not _is(t, "op", ",")]
    bad = _fail(fname, stmt.line, "a MATPOWER case file starts with 'function mpc = NAME'")
    if not toks or not _is(toks[0], "ident", "function"):
        raise bad
    rest = toks[1:]
    if rest and _is(rest[0], "op", "["):
        close = next((i for i, t in enumerate(rest) if _is(t, "op", "]")), None)
        if close is None:
            raise bad
        outs = rest[1:close]
        rest = rest[close + 1 :]
        if not outs or not all(_is(t, "ident") for t in outs):
            raise bad
        names = [t.text for t in outs]
        unknown = [n for n in names if n not in _V1_OUTPUTS]
        if unknown or len(set(names)) != len(names):
            raise _fail(
                fname, stmt.line, f"unsupported version-1 outputs {', '.join(names)} of function"
            )
        struct, outputs = None, frozenset(names)
    elif len(rest) >= 1 and _is(rest[0], "ident"):
        struct, outputs = rest[0].text, frozenset()
        rest = rest[1:]
    else:
        raise bad
    if len(rest) == 4 and _is(rest[2], "op", "(") and _is(rest[3], "op", ")"):
        rest = rest[:2]
    if len(rest) != 2 or not _is(rest[0], "op", "=") or not _is(rest[1], "ident"):
        raise bad
    return struct, outputs


def _data_target(stmt: Statement, struct: str | None, outputs: frozenset[str]) -> str | None:
    """Field name when ``stmt`` assigns a data field (``mpc.bus = ...`` / ``bus = ...``)."""
    t = stmt.tokens
    if struct is not None:
        if (
            len(t) >= 5
            and _is(t[0], "ident", struct)
            and _is(t[1], "op", ".")
            and _is(t[2], "ident")
            and _is(t[3], "op", "=")
        ):
            return t[2].text
        return None
    if len(t) >= 3 and _is(t[0], "ident") and t[0].text in outputs and _is(t[1], "op", "="):
        return t[0].text
    return None


class _Reader:
    """Executes the statements of one file in order."""

    def __init__(self, fname: str, struct: str | None) -> None:
        self.fname = fname
        self.struct = struct
        self.mats: dict[str, np.ndarray] = {}
        self.scalars: dict[str, float] = {}
        self.lines: dict[str, np.ndarray] = {}
        self.assigned: dict[str, int] = {}
        self.version: str | None = None
        self.state = ConversionState(fname, struct or "", self.mats, self.scalars)

    def where(self, field: str) -> str:
        return f"{self.struct}.{field}" if self.struct else field

    def assign(self, field: str, stmt: Statement, rhs: tuple[Token, ...]) -> None:
        where = self.where(field)
        if field in self.assigned:
            raise _fail(
                self.fname,
                stmt.line,
                f"{where} is assigned again (first at line {self.assigned[field]})",
            )
        self.assigned[field] = stmt.line
        if field == "version" and self.struct:
            if len(rhs) != 1 or rhs[0].kind != "str" or rhs[0].text not in ("1", "2"):
                raise _fail(self.fname, stmt.line, f"{where} must be '1' or '2'")
            self.version = rhs[0].text
        elif field == "baseMVA":
            self.scalars["baseMVA"] = parse_scalar(rhs, self.fname, where)
        elif field in _MATRICES:
            lit = parse_matrix(rhs, self.fname, where)
            check_width(self.fname, where, field, lit.values, stmt.line)
            values = lit.values
            if values.shape[0] == 0 and field == "gen":
                values = np.zeros((0, 21))
            self.mats[field] = values
            self.lines[field] = lit.row_lines
        else:
            raise _fail(self.fname, stmt.line, f"{where} is not a field GAT reads")


def _read_text(path: Path) -> tuple[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read MATPOWER file ({exc.strerror or exc})") from None
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Comments in old case files may hold Latin-1 names; data is ASCII either way.
        text = raw.decode("latin-1")
    return text.removeprefix("\ufeff"), digest  # a byte-order mark is not MATLAB code


def parse_matpower(path: str | os.PathLike[str]) -> MatpowerCase:
    """Parse a MATPOWER case file (format version 1 or 2).

    Parameters
    ----------
    path
        The ``.m`` file.

    Returns
    -------
    MatpowerCase
        The matrices after the file's own unit conversions (listed in ``conversions``).

    Raises
    ------
    InputError
        The file cannot be read, uses MATLAB code other than data assignments and the
        recognised conversions, or its data is malformed (wrong column counts, non-numeric or
        non-finite entries, missing ``baseMVA``/``bus``/``gen``/``branch``, duplicate bus
        numbers, branch or generator ends not in the bus data, ...). The one-line message
        names the file and line.
    """
    path = Path(path)
    fname = path.name
    text, digest = _read_text(path)
    statements = split_statements(tokenize(text, fname), fname)
    if not statements:
        raise _fail(fname, 1, "file holds no MATLAB statements")
    struct, outputs = _header(statements[0], fname)
    reader = _Reader(fname, struct)
    body = statements[1:]
    for k, stmt in enumerate(body):
        if len(stmt.tokens) == 1 and _is(stmt.tokens[0], "ident", "end"):
            if k != len(body) - 1:
                raise _fail(fname, stmt.line, "'end' before the end of the file")
            continue
        field = _data_target(stmt, struct, outputs)
        if field is not None:
            rhs = stmt.tokens[4:] if struct else stmt.tokens[2:]
            reader.assign(field, stmt, rhs)
        else:
            apply_statement(reader.state, expand_rows(stmt, fname))
    version = "1" if struct is None else reader.version
    last = statements[-1].line
    if version is None:
        raise _fail(fname, last, f"{struct}.version is missing")
    for field in ("baseMVA", "bus", "gen", "branch"):
        if field not in reader.assigned:
            raise _fail(fname, last, f"{reader.where(field)} is missing")
    names = {f: reader.where(f) for f in (*_MATRICES, "baseMVA")}
    base_mva = reader.scalars["baseMVA"]
    check_case(fname, names, base_mva, reader.mats, reader.lines, reader.assigned["baseMVA"])
    arrays = {}
    for field in ("bus", "gen", "branch", "gencost"):
        if field in reader.mats:
            arr = np.array(reader.mats[field], dtype=float)
            arr.setflags(write=False)
            arrays[field] = arr
    lines = {}
    for field in ("bus", "gen", "branch"):
        ln = np.array(reader.lines[field], dtype=np.int64)
        ln.setflags(write=False)
        lines[field] = ln
    gencost = arrays.get("gencost")
    if gencost is not None and gencost.shape[0] == 0:
        gencost = None
    return MatpowerCase(
        name=path.stem,
        version=version,
        base_mva=float(base_mva),
        bus=arrays["bus"],
        gen=arrays["gen"],
        branch=arrays["branch"],
        gencost=gencost,
        conversions=tuple(reader.state.log),
        source_path=str(path),
        sha256=digest,
        row_lines=MappingProxyType(lines),
    )
