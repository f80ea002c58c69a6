"""OpenDSS ``WireData``, ``LineSpacing`` and ``LineGeometry``: line codes from conductor positions.

A line written ``geometry=NAME`` (or ``spacing=NAME wires=[...]``) gets the Kron-reduced phase
matrices of :func:`._carson.line_constants` (OpenDSS's default ``EarthModel=Deri``) at the
circuit frequency and the line's earth resistivity ``rho`` (ohm-m, default 100 as in OpenDSS).
The result is an ordinary :class:`._elements.LineCode` in ohm/km and nF/km named
``geometry.NAME`` (or ``spacing.NAME.WIRE1.WIRE2...``), so it becomes a ``dist_linecodes`` row.

OpenDSS's rules kept here: ``cond=i`` selects the conductor that ``wire=``, ``x=``, ``h=`` and
``units=`` describe; a conductor without ``units=`` takes the last unit given in the geometry
(feet before any); ``spacing=`` copies a spacing's conductor count, phases, positions and unit;
``wires=[...]`` names every conductor's wire at once. Wire data: ``rac`` or ``rdc`` (the other
is derived with OpenDSS's factor 1.02), ``gmrac`` or ``radius``/``diam`` (the other derived
with ``GMR = 0.7788 r``, a solid round conductor). Units ``none`` mean metres (OpenDSS does not
convert them). Only reduced geometries are read (neutrals eliminated): conductors beyond
``nphases`` are assumed at earth potential, whatever ``reduce=`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._cable import EPS_R_DEFAULT, CNCable, TSCable, cable_constants
from ._carson import EARTH_MODELS, line_constants
from ._elements import LineCode
from ._geometry_names import geometry_code_name
from ._lexer import Value
from ._props import fail, last, need, positive
from ._script import DssObject
from ._values import as_array, as_int, as_number, as_numbers

__all__ = [
    "LineGeometry",
    "LineSpacing",
    "WireData",
    "geometry_codes",
    "read_cndata",
    "read_linegeometry",
    "read_linespacing",
    "read_tsdata",
    "read_wiredata",
]

#: Metres per OpenDSS length unit (``none``: no conversion, i.e. metres).
M_PER_UNIT = {
    "mi": 1609.344,
    "kft": 304.8,
    "km": 1000.0,
    "m": 1.0,
    "ft": 0.3048,
    "in": 0.0254,
    "cm": 0.01,
    "mm": 0.001,
    "none": 1.0,
}
#: OpenDSS's ratio of AC to DC resistance when only one is given.
RAC_OVER_RDC = 1.02
#: GMR of a solid round conductor over its radius (exp(-1/4)).
GMR_OVER_RADIUS = 0.7788


@dataclass(frozen=True)
class WireData:
    """One conductor type (SI units): DC resistance (ohm/m), GMR and outside radius (m);
    AC resistance (ohm/m); for a ``CNData`` cable its concentric neutral and insulation."""

    name: str
    rdc_ohm_m: float
    gmr_m: float
    radius_m: float
    where: str
    rac_ohm_m: float = float("nan")
    cable: CNCable | TSCable | None = None


@dataclass(frozen=True)
class LineSpacing:
    """Conductor positions (m): horizontal ``x_m`` and height ``h_m``, phases first."""

    name: str
    n_phases: int
    x_m: tuple[float, ...]
    h_m: tuple[float, ...]
    where: str


@dataclass(frozen=True)
class LineGeometry:
    """Positions (m) and wire of every conductor; the first ``n_phases`` are phases."""

    name: str
    n_phases: int
    x_m: tuple[float, ...]
    h_m: tuple[float, ...]
    wires: tuple[WireData, ...]
    where: str


def _unit(obj: DssObject, value: Value, name: str) -> float:
    word = value.text.strip().lower()
    if word not in M_PER_UNIT:
        raise fail(value.where, obj, f"{name}={value.shown()} is not a length unit "
                   f"({', '.join(M_PER_UNIT)})")  # fmt: skip
    return M_PER_UNIT[word]


def read_wiredata(obj: DssObject) -> WireData:
    """Read ``New WireData.NAME rac|rdc= runits= gmrac= gmrunits= radius|diam= radunits=``."""
    p = last(obj)
    per_m = 1.0 / _unit(obj, p["runits"], "runits") if "runits" in p else 1.0
    if "rdc" not in p and "rac" not in p:
        raise fail(obj.where, obj, "give rac= or rdc=")
    rdc = positive(obj, p["rdc"], "rdc") * per_m if "rdc" in p else None
    rac = positive(obj, p["rac"], "rac") * per_m if "rac" in p else None
    rdc = rac / RAC_OVER_RDC if rdc is None else rdc  # type: ignore[operator]
    rac = rdc * RAC_OVER_RDC if rac is None else rac
    rad_unit = _unit(obj, p["radunits"], "radunits") if "radunits" in p else 1.0
    radius = None
    if "radius" in p:
        radius = positive(obj, p["radius"], "radius") * rad_unit
    elif "diam" in p:
        radius = positive(obj, p["diam"], "diam") * rad_unit / 2.0
    gmr = None
    if "gmrac" in p:
        gmr_unit = _unit(obj, p["gmrunits"], "gmrunits") if "gmrunits" in p else 1.0
        gmr = positive(obj, p["gmrac"], "gmrac") * gmr_unit
    if gmr is None and radius is None:
        raise fail(obj.where, obj, "give gmrac= or radius= (or diam=)")
    if gmr is None:
        gmr = GMR_OVER_RADIUS * float(radius)  # type: ignore[arg-type]
    if radius is None:
        radius = gmr / GMR_OVER_RADIUS
    return WireData(obj.name, rdc, gmr, radius, obj.where, rac)


def read_cndata(obj: DssObject) -> WireData:
    """Read ``New CNData.NAME`` (the core as :func:`read_wiredata`, then ``k= DiaStrand=
    GmrStrand= Rstrand= EpsR= InsLayer= DiaIns= DiaCable=``, units as :mod:`._cable` says)."""
    core = read_wiredata(obj)
    p = last(obj)
    rad = _unit(obj, p["radunits"], "radunits") if "radunits" in p else 1.0
    gmr_unit = _unit(obj, p["gmrunits"], "gmrunits") if "gmrunits" in p else 1.0
    r_unit = 1.0 / _unit(obj, p["runits"], "runits") if "runits" in p else 1.0
    k = as_int(need(obj, p, "k"), "k")
    if k < 1:
        raise fail(p["k"].where, obj, f"k={k}: a cable needs at least one neutral strand")
    dia_strand = positive(obj, need(obj, p, "diastrand"), "diastrand") * rad
    gmr_strand = (
        positive(obj, p["gmrstrand"], "gmrstrand") * gmr_unit
        if "gmrstrand" in p
        else GMR_OVER_RADIUS * dia_strand / 2.0
    )
    dims = {n: positive(obj, need(obj, p, n), n) * rad for n in ("diacable", "diains", "inslayer")}
    eps = positive(obj, p["epsr"], "epsr") if "epsr" in p else EPS_R_DEFAULT
    if not dims["inslayer"] < dims["diains"] / 2.0:
        raise fail(obj.where, obj, "InsLayer must be less than DiaIns / 2")
    if not dia_strand < dims["diacable"]:
        raise fail(obj.where, obj, "DiaStrand must be less than DiaCable")
    cable = CNCable(
        k,
        dia_strand,
        gmr_strand,
        positive(obj, need(obj, p, "rstrand"), "rstrand") * r_unit,
        dims["diacable"],
        dims["diains"],
        dims["inslayer"],
        eps,
    )
    return WireData(
        core.name, core.rdc_ohm_m, core.gmr_m, core.radius_m, core.where, core.rac_ohm_m, cable
    )


def read_tsdata(obj: DssObject) -> WireData:
    """Read ``New TSData.NAME`` (the core as :func:`read_wiredata`, then ``DiaShield=
    TapeLayer= TapeLap= EpsR= InsLayer= DiaIns= DiaCable=``; lengths in ``radunits``)."""
    core = read_wiredata(obj)
    p = last(obj)
    rad = _unit(obj, p["radunits"], "radunits") if "radunits" in p else 1.0
    names = ("diashield", "tapelayer", "diacable", "diains", "inslayer")
    dims = {n: positive(obj, need(obj, p, n), n) * rad for n in names}
    lap = as_number(p["tapelap"], "tapelap") if "tapelap" in p else 20.0
    if not 0.0 <= lap < 100.0:
        raise fail(p["tapelap"].where, obj, f"tapelap={lap:g} must be in [0, 100) %")
    if not dims["inslayer"] < dims["diains"] / 2.0:
        raise fail(obj.where, obj, "InsLayer must be less than DiaIns / 2")
    if not dims["tapelayer"] < dims["diashield"]:
        raise fail(obj.where, obj, "TapeLayer must be less than DiaShield")
    eps = positive(obj, p["epsr"], "epsr") if "epsr" in p else EPS_R_DEFAULT
    cable = TSCable(
        dims["diashield"], dims["tapelayer"], lap, dims["diacable"], dims["diains"],
        dims["inslayer"], eps,
    )  # fmt: skip
    return WireData(
        core.name, core.rdc_ohm_m, core.gmr_m, core.radius_m, core.where, core.rac_ohm_m, cable
    )


def _counts(obj: DssObject, p: dict[str, Value]) -> tuple[int, int]:
    n = as_int(need(obj, p, "nconds"), "nconds")
    k = as_int(p["nphases"], "nphases") if "nphases" in p else n
    if not (1 <= k <= 3 and k <= n):
        raise fail(obj.where, obj, f"nphases={k}, nconds={n}: GAT reads 1 to 3 phases "
                   "(other conductors are eliminated as earthed neutrals)")  # fmt: skip
    return n, k


def read_linespacing(obj: DssObject) -> LineSpacing:
    """Read ``New LineSpacing.NAME nconds= nphases= x=[...] h=[...] units=``."""
    p = last(obj)
    n, k = _counts(obj, p)
    unit = _unit(obj, p["units"], "units") if "units" in p else M_PER_UNIT["ft"]
    x = as_numbers(need(obj, p, "x"), "x")
    h = as_numbers(need(obj, p, "h"), "h")
    if len(x) != n or len(h) != n:
        raise fail(obj.where, obj, f"x and h need {n} entries (nconds)")
    if 0.0 in h:
        raise fail(obj.where, obj, "a height h is 0 (above ground > 0, cables below < 0)")
    return LineSpacing(
        obj.name, k, tuple(v * unit for v in x), tuple(v * unit for v in h), obj.where
    )


#: Property -> the data class it names (``None``: a bare ``WireData``).
_KIND = {"wire": None, "wires": None, "cncable": CNCable, "cncables": CNCable,
         "tscable": TSCable, "tscables": TSCable}  # fmt: skip
_KIND_NAME = {None: "WireData", CNCable: "CNData", TSCable: "TSData"}


def _wire(
    obj: DssObject, value: Value, wires: dict[str, WireData], kind: type | None = None
) -> WireData:
    w = wires.get(value.text.strip().lower())
    what = _KIND_NAME[kind]
    if w is None or (None if w.cable is None else type(w.cable)) is not kind:
        raise fail(value.where, obj, f"wire {value.text.strip()} is not defined ({what})")
    return w


def _cables(
    obj: DssObject, value: Value, wires: dict[str, WireData], k: int, prop: str
) -> list[WireData]:
    """The ``cncables=``/``tscables=[...]`` of the ``k`` phase conductors (OpenDSS reads
    ``nphases``)."""
    names = as_array(value, prop)
    if len(names) < k:
        raise fail(value.where, obj, f"{prop}= has {len(names)} entries for {k} phases")
    return [_wire(obj, value._replace(text=w, delim=""), wires, _KIND[prop]) for w in names[:k]]


def read_linegeometry(
    obj: DssObject, wires: dict[str, WireData], spacings: dict[str, LineSpacing]
) -> LineGeometry:
    """Read ``New LineGeometry.NAME nconds= nphases= cond= wire= x= h= units= ...``."""
    n = k = 0
    cond = -1
    x: list[float | None] = []
    h: list[float | None] = []
    unit: list[float | None] = []
    wire: list[WireData | None] = []
    last_unit = M_PER_UNIT["ft"]
    for prop, value in obj.assignments:
        if prop in ("nconds", "nphases"):
            v = as_int(value, prop)
            if prop == "nconds":
                n, k = v, k or v
                x, h, unit, wire = [None] * n, [None] * n, [None] * n, [None] * n
            else:
                k = v
        elif prop == "spacing":
            sp = spacings.get(value.text.strip().lower())
            if sp is None:
                raise fail(value.where, obj, f"spacing {value.text.strip()} is not defined")
            n, k = len(sp.x_m), sp.n_phases
            x, h, unit = list(sp.x_m), list(sp.h_m), [1.0] * n
            wire = (wire + [None] * n)[:n]
        elif prop == "wires":
            names = as_array(value, prop)
            if len(names) != n:
                raise fail(value.where, obj, f"wires= has {len(names)} entries for {n} conductors")
            wire = [_wire(obj, value._replace(text=w, delim=""), wires) for w in names]
        elif prop in ("cncables", "tscables"):
            wire[:k] = _cables(obj, value, wires, k, prop)
        elif prop in ("cncable", "tscable"):
            if cond < 0:
                raise fail(value.where, obj, f"{prop}= before cond= (which conductor?)")
            wire[cond] = _wire(obj, value, wires, _KIND[prop])
        elif prop == "cond":
            cond = as_int(value, prop) - 1
            if not 0 <= cond < n:
                raise fail(value.where, obj, f"cond={cond + 1} outside 1..nconds={n}")
        elif prop in ("wire", "x", "h", "units"):
            if cond < 0:
                raise fail(value.where, obj, f"{prop}= before cond= (which conductor?)")
            if prop == "wire":
                wire[cond] = _wire(obj, value, wires)
            elif prop == "units":
                unit[cond] = last_unit = _unit(obj, value, prop)
            else:
                (x if prop == "x" else h)[cond] = as_number(value, prop)
    if n == 0:
        raise fail(obj.where, obj, "nconds= (or spacing=) is required")
    if not 1 <= k <= min(3, n):
        raise fail(obj.where, obj, f"nphases={k}: GAT reads 1 to 3 phases (at most nconds={n})")
    missing = [i + 1 for i in range(n) if x[i] is None or h[i] is None or wire[i] is None]
    if missing:
        raise fail(obj.where, obj, f"conductor(s) {missing} lack wire=, x= or h=")
    scale = [u if u is not None else last_unit for u in unit]
    hm = tuple(float(h[i]) * scale[i] for i in range(n))  # type: ignore[arg-type]
    xm = tuple(float(x[i]) * scale[i] for i in range(n))  # type: ignore[arg-type]
    return LineGeometry(obj.name, k, xm, hm, tuple(wire), obj.where)  # type: ignore[arg-type]


def _code(
    name: str, g: LineGeometry, frequency_hz: float, rho: float, model: str, line: DssObject
) -> LineCode:
    cables = [w.cable for w in g.wires]
    k = g.n_phases
    x, h = np.array(g.x_m), np.array(g.h_m)
    rdc = np.array([w.rdc_ohm_m for w in g.wires])
    rac = np.array([w.rac_ohm_m for w in g.wires])
    gmr = np.array([w.gmr_m for w in g.wires])
    if any(c is not None for c in cables):
        if any(c is None for c in cables[:k]) or any(c is not None for c in cables[k:]):
            raise fail(line.where, line, f"{name}: cables must be the {k} phase conductors "
                       "(bare neutrals after them are WireData)")  # fmt: skip
        lc = cable_constants(
            x, h, rdc, rac, gmr, cables[:k],  # type: ignore[arg-type]
            frequency_hz=frequency_hz, rho_ohm_m=rho, model=model,
        )  # fmt: skip
    else:
        if min(g.h_m) <= 0:
            raise fail(line.where, line, f"{name}: a bare wire below ground (h < 0) has no "
                       "overhead capacitance; use CNData or TSData cables")  # fmt: skip
        lc = line_constants(
            x, h, rdc, gmr, np.array([w.radius_m for w in g.wires]),
            n_phases=k, frequency_hz=frequency_hz, rho_ohm_m=rho, model=model, rac=rac,
        )  # fmt: skip
    # Per metre: a line on a geometry or spacing without units= has its length in metres
    # (OpenDSS computes the matrices per metre and converts them only to a unit the line
    # names; measured with opendssdirect: length=100 alone is units=m, not 100 of anything
    # else; EPRI M1's unitless service drops).
    return LineCode(
        name, k, lc.r * 1e-3, lc.x * 1e-3, lc.c * 1e-3, "m", frequency_hz, False, g.where
    )


def geometry_codes(
    by_class: dict[str, list[DssObject]],
    lines: Iterable[DssObject],
    frequency_hz: float,
    read: Callable[[Callable[[DssObject], Any], DssObject], Any] | None = None,
    earth_model: str = "deri",
) -> dict[str, LineCode]:
    """Line codes (by lower-case name) of every geometry or spacing the ``lines`` use.

    ``read(reader, obj)``, when given, runs the reader of each wire, spacing and line and
    records its error instead of raising, returning None (the importer's one-pass problem
    list): a line it cannot read is named once, and the codes of the others are still made.
    ``earth_model`` is the model of lines without ``earthmodel=`` (``Set EarthModel``).
    """
    bad: set[str] = set()

    def each(cls: str, reader: Callable[[DssObject], Any]) -> dict[str, Any]:
        got: dict[str, Any] = {}
        for o in by_class.get(cls, []):
            item = reader(o) if read is None else read(reader, o)
            if item is None:
                bad.add(o.name.lower())
            else:
                got[o.name.lower()] = item
        return got

    wires = each("wiredata", read_wiredata)
    wires.update(each("cndata", read_cndata))
    wires.update(each("tsdata", read_tsdata))
    spacings = each("linespacing", read_linespacing)
    geoms = {o.name.lower(): o for o in by_class.get("linegeometry", [])}
    done: dict[str, LineGeometry] = {}
    out: dict[str, LineCode] = {}

    def one(line: DssObject) -> bool:
        p = last(line)
        name = geometry_code_name(p)
        if name is None or name.lower() in out:
            return True
        if "linecode" in p:
            raise fail(line.where, line, "both linecode= and geometry/spacing given; use one")
        rho = positive(line, p["rho"], "rho") if "rho" in p else 100.0
        model = p["earthmodel"].text.strip().lower() if "earthmodel" in p else earth_model
        props = [prop for prop, _ in line.assignments]
        wired = [i for i, q in enumerate(props) if q in ("wires", "cncables", "tscables")]
        if "earthmodel" in p and "geometry" not in p and wired:
            if max(i for i, q in enumerate(props) if q == "earthmodel") > max(wired):
                raise fail(p["earthmodel"].where, line, "earthmodel= after wires=/cncables=/tscables= "
                           "(OpenDSS ignores it there); write it before spacing=")  # fmt: skip
        if model not in EARTH_MODELS:
            raise fail(p["earthmodel"].where, line, f"earthmodel={model}: GAT computes "
                       f"{', '.join(EARTH_MODELS)}")  # fmt: skip
        if "geometry" in p:
            key = p["geometry"].text.strip().lower()
            if key not in geoms:
                raise fail(p["geometry"].where, line, f"geometry {key} is not defined")
            if key not in done:
                done[key] = read_linegeometry(geoms[key], wires, spacings)
            g = done[key]
        else:
            key = p["spacing"].text.strip().lower()
            sp = spacings.get(key)
            if sp is None:
                what = "cannot be read (its error is listed)" if key in bad else "is not defined"
                raise fail(p["spacing"].where, line, f"spacing {key} {what}")
            cab = next((q for q in ("cncables", "tscables") if q in p), None)
            if cab is not None:
                # cncables=/tscables= name the phase cables, a later wires= the bare
                # neutrals after them.
                ws_list = _cables(line, p[cab], wires, sp.n_phases, cab)
                rest = as_array(p["wires"], "wires") if "wires" in p else []
                if len(rest) < len(sp.x_m) - sp.n_phases:
                    raise fail(line.where, line, f"spacing {key} has {len(sp.x_m)} conductors: "
                               f"give wires= for the neutrals after {cab}=")  # fmt: skip
                ws_list += [
                    _wire(line, p["wires"]._replace(text=w, delim=""), wires)
                    for w in rest[: len(sp.x_m) - sp.n_phases]
                ]
                ws = tuple(ws_list)
            else:
                names = as_array(need(line, p, "wires"), "wires")
                if len(names) != len(sp.x_m):
                    raise fail(p["wires"].where, line, f"wires= needs {len(sp.x_m)} entries")
                ws = tuple(_wire(line, p["wires"]._replace(text=w, delim=""), wires) for w in names)
            g = LineGeometry(sp.name, sp.n_phases, sp.x_m, sp.h_m, ws, sp.where)
        out[name.lower()] = _code(name, g, frequency_hz, rho, model, line)
        return True

    for line in lines:
        if read is None:
            one(line)
        else:
            read(one, line)
    return out
