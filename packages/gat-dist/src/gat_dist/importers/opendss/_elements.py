"""Typed OpenDSS elements (source, line codes, lines, loads, capacitors) in OpenDSS's units.

Each reader applies OpenDSS's semantics for the properties listed in :mod:`._classes`: the
last assignment of a property wins (transformers, read in :mod:`._windings`, follow ``wdg=``
instead). Values keep
OpenDSS units here (kV, kVA, kW, kvar, ohm and nF per length unit, %); conversion to the
network tables happens in :mod:`._network`.

OpenDSS defaults that carry physics are applied only where the IEEE feeders rely on them and
are then named in the import notes (line-code capacitance); properties whose default would
silently decide a result (load and transformer ratings, voltages, powers) are required.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ._geometry_names import geometry_code_name
from ._lexer import Value
from ._linecodes import LineCode, _amps, _impedance, read_linecode
from ._loadpower import load_power
from ._props import conn_of, fail, last, need, phases_of, positive, unsupported
from ._script import DssObject
from ._values import (
    KM_PER_UNIT,
    as_array,
    as_bus,
    as_int,
    as_number,
    as_numbers,
    as_unit,
    as_yesno,
)
from ._zip import zip_sums_ok

__all__ = [
    "Capacitor",
    "Line",
    "LineCode",
    "Load",
    "Source",
    "read_capacitor",
    "read_line",
    "read_linecode",
    "read_load",
    "read_source",
]


#: OpenDSS's Vsource defaults: short-circuit MVA (three-phase, single-phase) and X/R ratios.
_DEFAULT_MVASC = (2000.0, 2100.0)
_DEFAULT_XR = (4.0, 3.0)
#: OpenDSS's Vsource default base voltage (kV line to line) when ``basekv=`` is not given.
_DEFAULT_BASEKV = 115.0


@dataclass(frozen=True)
class Source:
    """The circuit's voltage source (``New Circuit``): an EMF behind its Thevenin impedance.

    ``z1`` and ``z0`` are the positive- and zero-sequence impedance (ohm) between the EMF
    (``pu`` x ``basekv`` at ``angle_deg``) and the bus; ``z_from`` says which properties gave
    them (``"R1/X1/R0/X0"``, ``"MVAsc3/MVAsc1"``, ``"Isc3/Isc1"`` or ``"OpenDSS defaults"``).
    """

    name: str
    bus: str
    basekv: float
    pu: float
    angle_deg: float
    z1: complex
    z0: complex
    z_from: str
    frequency: float | None
    where: str
    #: False when ``basekv=`` was not written (OpenDSS's default 115 kV applied).
    basekv_given: bool = True


def _z_from_short_circuit(kv: float, mva3: float, mva1: float, xr1: float, xr0: float):
    """(Z1, Z0) in ohm from short-circuit MVA and X/R ratios.

    ``|Z1| = kV^2 / MVAsc3``; a single-phase fault draws ``3 V_LN / |2 Z1 + Z0|``, so
    ``|2 Z1 + Z0| = 3 kV^2 / MVAsc1`` with ``Z0 = R0 (1 + j X0/R0)``: a quadratic in ``R0``.
    """
    x1 = kv**2 / mva3 / math.sqrt(1.0 + 1.0 / xr1**2)
    r1 = x1 / xr1
    target = 3.0 * kv**2 / mva1
    a = 1.0 + xr0**2
    b = 4.0 * (r1 + x1 * xr0)
    c = 4.0 * (r1**2 + x1**2) - target**2
    disc = b * b - 4.0 * a * c
    if disc < 0 or c > 0:
        return None
    r0 = (-b + math.sqrt(disc)) / (2.0 * a)
    return complex(r1, x1), complex(r0, r0 * xr0)


def _source_impedance(
    obj: DssObject, p: dict[str, Value], kv: float
) -> tuple[complex, complex, str]:
    """Z1, Z0 (ohm) under OpenDSS's rule: the last kind of specification written wins."""
    kinds = {"r1": "z", "x1": "z", "r0": "z", "x0": "z", "mvasc3": "mva", "mvasc1": "mva"}
    kinds.update(isc3="isc", isc1="isc")
    last_kind = None
    for prop, _ in obj.assignments:
        last_kind = kinds.get(prop, last_kind)
    if last_kind == "z":
        missing = [k.upper() for k in ("r1", "x1", "r0", "x0") if k not in p]
        if missing:
            raise fail(obj.where, obj, f"source impedance needs {', '.join(missing)} too")
        v = {k: as_number(p[k], k) for k in ("r1", "x1", "r0", "x0")}
        if min(v.values()) < 0:
            raise fail(obj.where, obj, "R1, X1, R0, X0 must not be negative")
        return complex(v["r1"], v["x1"]), complex(v["r0"], v["x0"]), "R1/X1/R0/X0"
    xr1 = positive(obj, p["x1r1"], "x1r1") if "x1r1" in p else _DEFAULT_XR[0]
    xr0 = positive(obj, p["x0r0"], "x0r0") if "x0r0" in p else _DEFAULT_XR[1]
    mva3, mva1 = _DEFAULT_MVASC
    what = "OpenDSS defaults"
    if last_kind == "isc":
        # MVA = sqrt(3) kV I (kA); I given in A.
        if "isc3" in p:
            mva3 = math.sqrt(3.0) * kv * positive(obj, p["isc3"], "isc3") / 1000.0
        if "isc1" in p:
            mva1 = math.sqrt(3.0) * kv * positive(obj, p["isc1"], "isc1") / 1000.0
        what = "Isc3/Isc1"
    elif last_kind == "mva":
        mva3 = positive(obj, p["mvasc3"], "mvasc3") if "mvasc3" in p else mva3
        mva1 = positive(obj, p["mvasc1"], "mvasc1") if "mvasc1" in p else mva1
        what = "MVAsc3/MVAsc1"
    z = _z_from_short_circuit(kv, mva3, mva1, xr1, xr0)
    if z is None:
        raise fail(
            obj.where,
            obj,
            f"MVAsc1={mva1:g} is not reachable with MVAsc3={mva3:g} (the single-phase fault "
            "would need a negative zero-sequence resistance)",
        )
    return z[0], z[1], what


def read_source(obj: DssObject) -> Source:
    """Read ``New Circuit.NAME basekv= pu= angle= bus1=`` and its impedance (``R1 X1 R0 X0``,
    ``MVAsc3 MVAsc1``, ``Isc3 Isc1`` with ``x1r1 x0r0``, or OpenDSS's defaults).

    Defaults are OpenDSS's Vsource defaults: ``basekv=115``, ``bus1=SourceBus``, ``pu=1``,
    ``angle=0`` (the importer names an unwritten ``basekv`` in its notes)."""
    p = last(obj)
    if phases_of(obj, p, 3) != 3:
        raise fail(obj.where, obj, "the source must be three-phase")
    bus, nodes = as_bus(p["bus1"], "bus1") if "bus1" in p else ("sourcebus", ())
    if nodes and nodes != (1, 2, 3):
        raise fail(p["bus1"].where, obj, "the source must connect to nodes 1.2.3")
    basekv = positive(obj, p["basekv"], "basekv") if "basekv" in p else _DEFAULT_BASEKV
    z1, z0, z_from = _source_impedance(obj, p, basekv)
    return Source(
        name=obj.name,
        bus=bus,
        basekv=basekv,
        pu=positive(obj, p["pu"], "pu") if "pu" in p else 1.0,
        angle_deg=as_number(p["angle"], "angle") if "angle" in p else 0.0,
        z1=z1,
        z0=z0,
        z_from=z_from,
        frequency=positive(obj, p["frequency"], "frequency") if "frequency" in p else None,
        where=obj.where,
        basekv_given="basekv" in p,
    )


#: What ``switch=yes`` resets on a line (OpenDSS, checked through opendssdirect): any impedance,
#: line code, geometry, length and unit given before it are replaced by R1 = X1 = R0 = X0 =
#: 1 ohm and C1 = 1.1, C0 = 1 nF per (unitless) length, length 0.001; properties written after
#: it apply as on any line (``switch=y linecode=X length=L`` has the code's impedance).
_SWITCH_RESETS = (
    "linecode", "geometry", "spacing", "wires", "r1", "x1", "r0", "x0", "c1", "c0", "rmatrix",
    "xmatrix", "cmatrix", "length", "units",
)  # fmt: skip
_SWITCH_DEFAULTS = {"r1": "1", "x1": "1", "r0": "1", "x0": "1", "length": "0.001"}
#: The switch capacitance OpenDSS adds (C1 = 1.1, C0 = 1 nF x 0.001, about 1e-12 F) is left
#: out: a switch keeps its series impedance only (named in the import notes).
_SWITCH_NO_C = {"c1": "0", "c0": "0"}


def _switch_props(obj: DssObject) -> tuple[dict[str, Value], bool]:
    """Property values of a line under OpenDSS's ``switch=yes`` rule, and whether it is a
    switch (the last ``switch=`` written)."""
    p = last(obj)
    switch = as_yesno(p["switch"], "switch") if "switch" in p else False
    at = [i for i, (k, v) in enumerate(obj.assignments) if k == "switch" and as_yesno(v, k)]
    if not at:
        return p, switch
    after = {k for k, _ in obj.assignments[at[-1] + 1 :]}
    for key in _SWITCH_RESETS:
        if key not in after:
            p.pop(key, None)
    own = ("linecode", "geometry", "spacing", "rmatrix", "xmatrix", "cmatrix")
    if not any(k in p for k in own):
        sw = obj.assignments[at[-1]][1]
        for key, text in {**_SWITCH_DEFAULTS, **_SWITCH_NO_C}.items():
            p.setdefault(key, Value(text, "", sw.fname, sw.line))
    return p, switch


@dataclass(frozen=True)
class Line:
    """A line or switch between two buses; ``own_code`` holds impedance given on the line."""

    name: str
    bus1: str
    bus2: str
    nodes: tuple[int, ...]
    linecode: str | None
    own_code: LineCode | None
    length: float
    unit: str
    switch: bool
    base_frequency: float | None
    where: str
    status: str = "closed"
    #: Rated currents given on the line itself (A), overriding its code's; None = not given.
    normamps: float | None = None
    emergamps: float | None = None


def _nodes(obj: DssObject, p: dict[str, Value], key: str, n: int) -> tuple[str, tuple[int, ...]]:
    value = need(obj, p, key)
    parts = value.text.strip().split(".")
    if len(parts) > n + 1:
        # OpenDSS connects a line's n conductors to the first n nodes named and ignores the
        # rest (checked with opendssdirect: bus1=b.1.0 on a one-phase line is node 1; EPRI K1
        # writes .1.0 and .1.2.3.0 on its lines).
        value = value._replace(text=".".join(parts[: n + 1]))
    bus, nodes = as_bus(value, key)
    if len(nodes) < n:
        # Conductor k without a node named takes node k (OpenDSS; checked with opendssdirect:
        # bus2=c.1.2 on a three-phase line is nodes 1, 2, 3; EPRI ckt24 writes it).
        nodes = (*nodes, *range(len(nodes) + 1, n + 1))
    if len(set(nodes)) != n:
        raise fail(p[key].where, obj, f"{key}={value.shown()}: conductors on one node {nodes}")
    return bus, nodes


_SEQUENCE_Z = frozenset({"r1", "x1", "r0", "x0"})
_KM_PER_KFT = 0.3048


def _default_c_scale(obj: DssObject, unit: str) -> float:
    """Factor on OpenDSS's default capacitance of a line given by sequence values and no
    ``c1``/``c0``: when ``units=`` comes after them OpenDSS converts that default as if it were
    per kft (measured with opendssdirect: ``R1=1 .. units=km`` draws 3.28 times the shunt of
    ``units=km R1=1 ..``; mi 5.28, m 0.00328; matrices and a ``units=`` first: no change).
    EPRI ckt24's ``Other_Feeders`` line is such a line."""
    order = [k for k, _ in obj.assignments]
    if "units" not in order or not _SEQUENCE_Z & set(order) or "rmatrix" in order:
        return 1.0
    last_units = len(order) - 1 - order[::-1].index("units")
    first_z = min(order.index(k) for k in _SEQUENCE_Z if k in order)
    km = KM_PER_UNIT[unit]
    if km is None or last_units < first_z:
        return 1.0
    return km / _KM_PER_KFT


def read_line(obj: DssObject, codes: dict[str, LineCode], status: str = "closed") -> Line:
    """Read ``New Line.NAME bus1= bus2= linecode= length= units=`` (or ``switch=y``).

    A switch keeps the impedance OpenDSS gives it (:data:`_SWITCH_RESETS`): 1 + j1 milliohm
    per phase unless the file writes other values after ``switch=y``.
    """
    p, switch = _switch_props(obj)
    code_name = p["linecode"].text.strip() if "linecode" in p else geometry_code_name(p)
    code = None
    if code_name is not None:
        code = codes.get(code_name.lower())
        if code is None:
            at = p.get("linecode") or p.get("geometry") or p.get("spacing")
            raise fail(at.where if at else obj.where, obj, f"linecode {code_name} is not defined")
    n = phases_of(obj, p, code.n_phases if code is not None else 3)
    derived = None
    if code is not None and code.n_phases != n and not switch:
        order = [k for k, _ in obj.assignments]
        after = "phases" in order and order[::-1].index("phases") < order[::-1].index("linecode")
        if code.sequence is None or (n > code.n_phases > 1) or not after:
            raise fail(
                obj.where, obj, f"phases={n} but linecode {code.name} has {code.n_phases} phases"
            )
        # OpenDSS rebuilds a sequence code's matrices for the phases set after linecode=
        # (checked with opendssdirect; a matrix code refuses the change).
        derived = code.with_phases(n, obj.name, obj.where)
    bus1, nodes1 = _nodes(obj, p, "bus1", n)
    bus2, nodes2 = _nodes(obj, p, "bus2", n)
    if nodes1 != nodes2:
        raise fail(p["bus2"].where, obj, "bus1 and bus2 must list the same nodes in the same order")
    if bus1.lower() == bus2.lower():
        raise fail(obj.where, obj, f"connects bus {bus1} to itself")
    unit = as_unit(p["units"], "units") if "units" in p else "none"
    freq = positive(obj, p["basefreq"], "basefreq") if "basefreq" in p else None
    own = None
    imp = _impedance(obj, p, n)
    if imp is not None and code is not None:
        raise fail(obj.where, obj, "both linecode= and impedance values given; use one")
    if imp is not None:
        r, x, c, default_c = imp
        if default_c:
            c = c * _default_c_scale(obj, unit)
        own = LineCode(obj.name, n, r, x, c, unit, freq, bool(default_c), obj.where)
    elif derived is not None:
        own = derived
    elif code is None:
        raise fail(obj.where, obj, "no impedance: give linecode= or r1/x1/r0/x0 or matrices")
    length = as_number(p["length"], "length") if "length" in p else 1.0
    if length <= 0 and not switch:
        raise fail(obj.where, obj, f"length={length:g} must be positive")
    norm, emerg = _amps(obj, p)
    return Line(
        obj.name, bus1, bus2, nodes1, code_name, own, length, unit, switch, freq, obj.where,
        status, norm, emerg,
    )  # fmt: skip


@dataclass(frozen=True)
class Load:
    """A load: ``legs`` are node pairs (delta) or single nodes (wye); kW/kvar of the whole load."""

    name: str
    bus: str
    conn: str
    legs: tuple[tuple[int, ...], ...]
    model: int
    kv: float
    kw: float
    kvar: float
    where: str
    fixed: bool = False
    #: Voltage exponents of P and Q (0 constant power, 1 constant current, 2 constant
    #: impedance), from the model (:data:`LOAD_EXPONENTS`, model 4: CVRwatts, CVRvars).
    exps: tuple[float, float] = (0.0, 0.0)
    #: ``vminpu``, ``vmaxpu``, ``vlowpu`` (pu of the load's kV; OpenDSS's defaults): outside
    #: the band OpenDSS makes the load an impedance (models other than 2).
    band: tuple[float, float, float] = (0.95, 1.05, 0.5)
    #: True: ``xfkVA=0`` and no kW given; kW is OpenDSS's default (named in the notes).
    default_kw: bool = False
    #: Model 8: the seven ``ZIPV`` numbers (:mod:`._zip` splits the load into parts).
    zipv: tuple[float, ...] | None = None


#: OpenDSS load model -> voltage exponents of (P, Q), for the models GAT reads: 1 constant
#: P, Q; 2 constant Z; 3 constant P, quadratic Q; 5 constant current magnitude; 6 constant P,
#: fixed Q; 7 constant P, fixed impedance Q. Model 4 takes CVRwatts, CVRvars (default 1, 2).
LOAD_EXPONENTS = {1: (0.0, 0.0), 2: (2.0, 2.0), 3: (0.0, 2.0), 5: (1.0, 1.0), 6: (0.0, 0.0)}
LOAD_EXPONENTS[7] = (0.0, 2.0)


def _load_exponents(obj: DssObject, p: dict[str, Value], model: int) -> tuple[float, float]:
    if model != 4:
        return LOAD_EXPONENTS[model]
    exps = tuple(
        as_number(p[k], k) if k in p else d for k, d in (("cvrwatts", 1.0), ("cvrvars", 2.0))
    )
    return exps[0], exps[1]


def _zipv(obj: DssObject, p: dict[str, Value]) -> tuple[float, ...]:
    """The seven ``ZIPV`` numbers of a model-8 load (:mod:`._zip`)."""
    if "zipv" not in p:
        raise fail(p["model"].where, obj, "model=8 needs zipv= (seven numbers)")
    z = tuple(as_numbers(p["zipv"], "zipv"))
    if len(z) != 7:
        raise fail(p["zipv"].where, obj, f"zipv= has {len(z)} numbers; OpenDSS reads seven")
    if not zip_sums_ok(z):
        raise unsupported(
            p["zipv"].where,
            obj,
            f"zipv={p['zipv'].shown()}: GAT reads ZIP coefficients whose P parts (1-3) and Q "
            "parts (4-6) each sum to 1 (else OpenDSS's load below vlowpu is not their sum)",
        )
    return z


def read_load(obj: DssObject, peaks: Mapping[str, tuple[float, float]] | None = None) -> Load:
    """Read ``New Load.NAME bus1= phases= conn= model= kv= kw= kvar=|pf=`` (or ``kva= pf=``,
    ``xfkVA=``; ``peaks``: the (kW, kvar) of ``useactual=yes`` shapes by lower-case name)."""
    p = last(obj)
    n = phases_of(obj, p, 3)
    conn = conn_of(obj, p["conn"], "conn") if "conn" in p else "wye"
    model = as_int(p["model"], "model") if "model" in p else 1
    if model not in (*LOAD_EXPONENTS, 4, 8):
        raise fail(p["model"].where, obj, f"model={model}; GAT reads models 1 to 8")
    zipv = _zipv(obj, p) if model == 8 else None
    exps = _load_exponents(obj, p, model) if zipv is None else (0.0, 0.0)
    bus, nodes = as_bus(need(obj, p, "bus1"), "bus1", ground=conn == "wye")
    if conn == "wye" and n == 1 and len(nodes) == 2:
        # OpenDSS ties a wye load's neutral to the node after its phase nodes: a one-phase
        # wye load on two phase nodes (bus.1.2) sits between them, its kV across them, the
        # same element as a one-phase delta load (checked with opendssdirect).
        conn = "delta"
    elif conn == "delta" and n == 1 and len(nodes) == 1:
        # A one-phase delta load's second conductor, when the bus names one node, is node 0:
        # OpenDSS connects it from that node to ground, its kV across it (checked with
        # opendssdirect: bus1=b.1 gives nodes [1, 0]), as a one-phase wye load.
        conn = "wye"
    if conn == "wye":
        nodes = nodes or tuple(range(1, n + 1))
        if len(nodes) != n:
            raise fail(
                p["bus1"].where,
                obj,
                f"a wye load of {n} phase(s) needs {n} node(s), not "
                f"{len(nodes)} (a load between two phases is Conn=Delta)",
            )
        legs: tuple[tuple[int, ...], ...] = tuple((k,) for k in nodes)
    elif n == 3:
        nodes = nodes or (1, 2, 3)
        if len(nodes) != 3:
            raise fail(p["bus1"].where, obj, "a three-phase delta load needs 3 nodes")
        legs = ((nodes[0], nodes[1]), (nodes[1], nodes[2]), (nodes[2], nodes[0]))
    elif n == 1:
        nodes = nodes or (1, 2)
        if len(nodes) != 2:
            raise fail(p["bus1"].where, obj, "a single-phase delta load needs 2 nodes")
        legs = (nodes,)
    else:
        raise unsupported(obj.where, obj, "a two-phase delta load is not supported")
    kw, kvar, default_kw = load_power(obj, peaks or {})
    kv = positive(obj, need(obj, p, "kv"), "kv")
    # status=fixed: the load ignores load shapes and multipliers (time-series studies).
    fixed = "status" in p and p["status"].text.strip().lower().startswith("f")
    band = tuple(
        as_number(p[k], k) if k in p else d
        for k, d in (("vminpu", 0.95), ("vmaxpu", 1.05), ("vlowpu", 0.5))
    )
    if not band[0] < band[1] or band[2] < 0:
        raise fail(
            obj.where, obj, f"vminpu={band[0]:g} must be below vmaxpu={band[1]:g}, vlowpu >= 0"
        )
    return Load(
        obj.name, bus, conn, legs, model, kv, kw, kvar, obj.where, fixed, exps,
        (band[0], band[1], band[2]), default_kw, zipv,
    )  # fmt: skip


@dataclass(frozen=True)
class Capacitor:
    """A shunt capacitor bank: rated kvar (total) at rated kV."""

    name: str
    bus: str
    nodes: tuple[int, ...]
    conn: str
    kvar: float
    kv: float
    where: str
    closed: bool = True


def read_capacitor(obj: DssObject) -> Capacitor:
    """Read ``New Capacitor.NAME bus1= phases= kvar= kv= conn= states=``.

    ``states=0`` (one step, OpenDSS's array form ``[0]`` too) leaves the bank open, as
    OpenDSS's snapshot does; a capacitor control then starts from that state (measured with
    opendssdirect). GAT's capacitor has one step: more states are refused.
    """
    p = last(obj)
    n = phases_of(obj, p, 3)
    conn = conn_of(obj, p["conn"], "conn") if "conn" in p else "wye"
    if conn == "delta" and n != 3:
        raise unsupported(obj.where, obj, "GAT reads delta capacitors of three phases only")
    bus, nodes = as_bus(need(obj, p, "bus1"), "bus1", ground=conn == "wye")
    nodes = nodes or tuple(range(1, n + 1))
    if len(nodes) != n:
        raise fail(p["bus1"].where, obj, f"{n} phase(s) need {n} node(s), not {len(nodes)}")
    kvar = as_number(need(obj, p, "kvar"), "kvar")
    if kvar < 0:
        raise fail(p["kvar"].where, obj, "kvar must not be negative")
    kv = positive(obj, need(obj, p, "kv"), "kv")
    for key in ("r", "xl"):
        # OpenDSS's default 0: no series reactor (written out by EPRI's 4Bus-OYOD-Bal).
        if key in p and as_number(p[key], key) != 0:
            raise unsupported(p[key].where, obj, f"{key}= (a series reactor) is not modelled")
    closed = True
    if "states" in p:
        words = as_array(p["states"], "states")
        if len(words) != 1 or words[0] not in ("0", "1"):
            raise unsupported(
                p["states"].where,
                obj,
                f"states={p['states'].shown()}: GAT's capacitor has one "
                "step, give states=0 (open) or 1 (closed)",
            )
        closed = words[0] == "1"
    return Capacitor(obj.name, bus, nodes, conn, kvar, kv, obj.where, closed)
