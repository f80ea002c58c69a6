"""OpenDSS ``LineCode``: phase matrices per length unit, from matrices or sequence values.

Split from :mod:`._elements` (which re-exports :class:`LineCode` and :func:`read_linecode`);
the sequence rules follow OpenDSS (checked with opendssdirect): self ``(2 z1 + z0) / 3``,
mutual ``(z0 - z1) / 3``, and one phase takes the positive-sequence value ``z1``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ._lexer import Value
from ._props import fail, last, positive, unsupported
from ._script import DssObject
from ._values import as_int, as_matrix, as_number, as_unit, as_yesno

__all__ = ["DEFAULT_C1_C0", "LineCode", "read_linecode"]

#: OpenDSS's default positive- and zero-sequence capacitance of a line code (nF per length
#: unit), used when a code gives neither ``cmatrix`` nor ``c1``/``c0``.
DEFAULT_C1_C0 = (3.4, 1.6)


@dataclass(frozen=True)
class LineCode:
    """Phase matrices per length unit: ``r``, ``x`` (ohm), ``c`` (nF); ``unit`` may be none."""

    name: str
    n_phases: int
    r: np.ndarray
    x: np.ndarray
    c: np.ndarray
    unit: str
    base_frequency: float | None
    default_c: bool
    where: str
    #: Rated currents (A); OpenDSS's defaults 400 and 600 when the code gives none
    #: (``amps_given`` False).
    normamps: float = 400.0
    emergamps: float = 600.0
    amps_given: bool = False
    #: ``(r1, x1, r0, x0, c1, c0)`` of a code given by sequence values (``c1``, ``c0`` None
    #: when not given), else None: a line of fewer phases rebuilds its matrices from them.
    sequence: tuple[float, float, float, float, float | None, float | None] | None = None

    def with_phases(self, n: int, name: str, where: str) -> LineCode:
        """This sequence code rebuilt for ``n`` phases (OpenDSS, when a line sets
        ``phases=`` after ``linecode=``); a one-phase code gives ``n`` uncoupled phases."""
        assert self.sequence is not None
        r1, x1, r0, x0, c1, c0 = self.sequence
        if c1 is None or c0 is None:
            c1, c0 = DEFAULT_C1_C0
        if self.n_phases == 1:
            # A one-phase code on a line of more phases: every phase takes z1 and c1, with no
            # coupling (checked with opendssdirect: R1=1.5 R0=3 on phases=2 gives diag 1.5;
            # EPRI ckt24's UG_1/0_Al_XLPE_35kV_1_Phase on two- and three-phase lines).
            r0, x0, c0 = r1, x1, c1
        return dataclasses.replace(
            self,
            name=name,
            n_phases=n,
            r=_sequence(r1, r0, n),
            x=_sequence(x1, x0, n),
            c=_sequence(c1, c0, n),
            where=where,
        )


def _amps(obj: DssObject, p: dict[str, Value]) -> tuple[float | None, float | None]:
    """``normamps``/``emergamps`` given on an object (A), or None."""
    out = []
    for key in ("normamps", "emergamps"):
        value = as_number(p[key], key) if key in p else None
        if value is not None and not value >= 0:
            raise fail(p[key].where, obj, f"{key}={value:g} must be >= 0")
        out.append(value)
    return out[0], out[1]


def _sequence(z1: float, z0: float, n: int) -> np.ndarray:
    """Phase matrix (n x n) of sequence values: self ``(2 z1 + z0) / 3``, mutual
    ``(z0 - z1) / 3``; one phase takes the positive-sequence value ``z1``, as OpenDSS does
    (checked with opendssdirect: a one-phase line or code with r1=0.3, r0=0.9 has R = 0.3)."""
    if n == 1:
        return np.array([[z1]], dtype=float)
    self_ = (2.0 * z1 + z0) / 3.0
    mutual = (z0 - z1) / 3.0
    return np.full((n, n), mutual) + np.eye(n) * (self_ - mutual)


def _impedance(obj: DssObject, p: dict[str, Value], n: int) -> tuple[np.ndarray, ...] | None:
    """(r, x, c, default_c) from matrices or sequence values; None when neither is given."""
    matrix = [k for k in ("rmatrix", "xmatrix", "cmatrix") if k in p]
    seq = [k for k in ("r1", "x1", "r0", "x0", "c1", "c0") if k in p]
    if matrix and seq:
        raise fail(
            obj.where,
            obj,
            f"both matrices ({', '.join(matrix)}) and sequence values "
            f"({', '.join(seq)}) given; use one form",
        )
    if matrix:
        if "rmatrix" not in p or "xmatrix" not in p:
            raise fail(obj.where, obj, "rmatrix= and xmatrix= are both required")
        r = as_matrix(p["rmatrix"], "rmatrix", n)
        x = as_matrix(p["xmatrix"], "xmatrix", n)
        c = as_matrix(p["cmatrix"], "cmatrix", n) if "cmatrix" in p else None
    elif seq:
        missing = [k for k in ("r1", "x1", "r0", "x0") if k not in p]
        if missing:
            raise fail(obj.where, obj, f"sequence impedance needs {', '.join(missing)} too")
        if ("c1" in p) != ("c0" in p):
            raise fail(obj.where, obj, "give both c1= and c0=, or neither")
        v = {k: as_number(p[k], k) for k in seq}
        r = _sequence(v["r1"], v["r0"], n)
        x = _sequence(v["x1"], v["x0"], n)
        c = _sequence(v["c1"], v["c0"], n) if "c1" in v else None
    else:
        return None
    default_c = c is None
    if c is None:
        c = _sequence(*DEFAULT_C1_C0, n)
    if (np.diag(r) < 0).any():
        raise fail(obj.where, obj, "negative self resistance")
    return r, x, c, np.bool_(default_c)


def read_linecode(obj: DssObject) -> LineCode:
    """Read ``New LineCode.NAME nphases= rmatrix= xmatrix= [cmatrix=] units=`` (or r1 .. c0)."""
    p = last(obj)
    n = as_int(p["nphases"], "nphases") if "nphases" in p else 3
    drop = _kron_steps(obj, n)
    if n - len(drop) not in (1, 2, 3):
        raise unsupported(
            obj.where, obj, f"nphases={n}; GAT reads Kron-reduced codes of 1 to 3 phases"
        )
    imp = _impedance(obj, p, n)
    if imp is None:
        raise fail(obj.where, obj, "no impedance: give rmatrix/xmatrix or r1/x1/r0/x0")
    r, x, c, default_c = imp
    for k in drop:
        # OpenDSS reduces the series impedance and drops the conductor's row and column of
        # the capacitance matrix (checked with opendssdirect).
        z = _kron(r + 1j * x, k)
        keep = [i for i in range(len(c)) if i != k]
        r, x, c = z.real, z.imag, c[np.ix_(keep, keep)]
    n -= len(drop)
    norm, emerg = _amps(obj, p)
    seq = None
    if "r1" in p and not drop:
        v = {
            k: as_number(p[k], k) if k in p else None for k in ("r1", "x1", "r0", "x0", "c1", "c0")
        }
        seq = (v["r1"], v["x1"], v["r0"], v["x0"], v["c1"], v["c0"])
    return LineCode(
        name=obj.name,
        n_phases=n,
        r=r,
        x=x,
        c=c,
        unit=as_unit(p["units"], "units") if "units" in p else "none",
        base_frequency=positive(obj, p["basefreq"], "basefreq") if "basefreq" in p else None,
        default_c=bool(default_c),
        where=obj.where,
        normamps=400.0 if norm is None else norm,
        emergamps=600.0 if emerg is None else emerg,
        amps_given=norm is not None or emerg is not None,
        sequence=seq,  # type: ignore[arg-type]
    )


def _kron_steps(obj: DssObject, n: int) -> list[int]:
    """The conductors (0-based, of the matrix as it is then) each ``kron=yes`` eliminates, in
    order. OpenDSS's rule (checked with opendssdirect): ``kron=yes`` Kron-reduces the series
    impedance (the capacitance matrix loses the conductor's row and column) eliminating the
    ``neutral=`` conductor (default the last) and resets ``neutral`` to 0, so a second
    ``kron=yes`` acts only after another ``neutral=`` (triplex codes write both twice)."""
    steps: list[int] = []
    neutral: int | None = None  # None: not written, the last conductor
    shape = ("nphases", "rmatrix", "xmatrix", "cmatrix", "r1", "x1", "r0", "x0", "c1", "c0")
    for prop, value in obj.assignments:
        if prop == "neutral":
            neutral = as_int(value, prop)
        elif prop in shape and steps:
            raise unsupported(
                value.where, obj, f"{prop}= after kron=yes (the reduced code would change)"
            )
        elif prop == "kron" and as_yesno(value, prop):
            size = n - len(steps)
            k = size if neutral is None else neutral
            if k == 0 or size < 2:
                continue
            if not 1 <= k <= size:
                raise fail(value.where, obj, f"neutral={k}: the code has {size} conductors")
            steps.append(k - 1)
            neutral = 0
    return steps


def _kron(m: np.ndarray, k: int) -> np.ndarray:
    """``m`` without conductor ``k``: ``m_pp - m_pk m_kk^-1 m_kp`` (Kron reduction)."""
    keep = [i for i in range(m.shape[0]) if i != k]
    return m[np.ix_(keep, keep)] - np.outer(m[keep, k], m[k, keep]) / m[k, k]
