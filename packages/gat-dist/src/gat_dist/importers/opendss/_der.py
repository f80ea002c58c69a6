"""OpenDSS ``PVSystem``, ``Generator`` and ``Storage`` -> ``der_assets`` rows.

Mapping (OpenDSS kW, kvar, kVA, kWh -> GAT MW, Mvar, MVA, MWh; generation positive):

==============  ==============================================================================
OpenDSS         ``der_assets``
==============  ==============================================================================
PVSystem        ``pv``: ``p_max`` = ``Pmpp`` x ``irradiance`` (irradiance 1 unless given),
                capped at ``kVA`` (named in the notes); ``p_min`` 0; ``s_max`` = ``kVA``
Generator       ``genset``: ``p_max`` = ``kW``, ``p_min`` 0; ``s_max`` = ``kVA`` (NaN without)
Storage         ``battery``: ``p_max`` = ``kWrated``, ``p_min`` = -``kWrated``;
                ``energy_cap`` = ``kWhrated``; ``soc_min`` = ``%reserve`` / 100 (OpenDSS's 20 %
                unless given), ``soc_max`` 1; ``efficiency`` = ``%EffCharge`` (the geometric
                mean of ``%EffCharge`` and ``%EffDischarge`` when they differ, which keeps the
                round trip; OpenDSS's 90 % unless given); ``s_max`` = ``kVA``, else ``kWrated``
                (OpenDSS's default)
all             ``bus_id``, ``phase`` from ``bus1`` and ``phases`` (a delta single-phase unit
                between nodes 1 and 2 is ``AB``); reactive range: ``q_min`` = -``kvarMaxAbs``,
                ``q_max`` = ``kvarMax`` (PVSystem, Storage) or ``minkvar``/``maxkvar``
                (Generator) when given, else the fixed output at ``p_max`` (``kvar``, or
                ``pf``: positive pf injects, as OpenDSS signs it); ``efficiency`` 1 for
                ``pv`` and ``genset``; ``priority`` 0; ramps, owner, aggregator and cost
                curve empty; ``daily``/``yearly``/``duty`` name the shapes
==============  ==============================================================================

Ratings that decide the result are required (``Pmpp`` and ``kVA`` for PV, ``kW`` for a
generator, ``kWhrated`` for storage). A Storage without ``kWrated`` takes OpenDSS's default,
25 kW whatever its ``kVA`` (measured with opendssdirect), and is named in the import notes
(IEEE 9500's two batteries: the script defines the units, so refusing would only stop the
feeder). The power flow does not inject DER assets (they are the controllable resources of
OPF, envelopes and schedules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._lexer import Value
from ._props import conn_of, fail, last, need, phases_of, positive
from ._script import DssObject
from ._shapes import read_shape_links
from ._values import as_bus, as_number

__all__ = ["DerUnit", "der_rows", "phase_letters", "read_der"]

_ASSET_TYPE = {"pvsystem": "pv", "generator": "genset", "storage": "battery"}
_PHASE_SET = {"A": "A", "B": "B", "C": "C", "AB": "AB", "BC": "BC", "AC": "CA", "ABC": "ABC"}


#: OpenDSS's ``kWrated`` of a Storage that does not give one (kW).
STORAGE_KW_RATED = 25.0


def phase_letters(nodes: tuple[int, ...]) -> str:
    """The phase set (``A`` .. ``ABC``, ``CA`` for nodes 1 and 3) of node numbers 1, 2, 3."""
    return _PHASE_SET["".join("ABC"[k - 1] for k in sorted(set(nodes)))]


@dataclass(frozen=True)
class DerUnit:
    """One DER in GAT units (MW, Mvar, MVA, MWh); ``q_range`` None = fixed ``q``."""

    name: str
    cls: str
    bus: str
    nodes: tuple[int, ...]
    p_min: float
    p_max: float
    q: float
    q_range: tuple[float, float] | None
    s_max: float
    energy_cap: float
    soc_min: float
    efficiency: float
    shapes: tuple[str | None, str | None, str | None]
    capped: bool
    where: str
    rated_default: bool = False


def _nodes(obj: DssObject, p: dict[str, Value]) -> tuple[str, tuple[int, ...]]:
    n = phases_of(obj, p, 3)
    conn = conn_of(obj, p["conn"], "conn") if "conn" in p else "wye"
    bus, nodes = as_bus(need(obj, p, "bus1"), "bus1")
    want = n + 1 if conn == "delta" and n == 1 else n
    nodes = nodes or tuple(range(1, want + 1))
    if len(nodes) != want:
        raise fail(p["bus1"].where, obj, f"{n} phase(s) {conn} need {want} node(s)")
    return bus, nodes


def _fixed_q(obj: DssObject, p: dict[str, Value], p_kw: float) -> float:
    """kvar at ``p_kw``: the later of ``kvar=`` and ``pf=`` wins; neither: 0 (pf 1)."""
    given = [k for k, _ in obj.assignments if k in ("kvar", "pf")]
    if not given:
        return 0.0
    if given[-1] == "kvar":
        return as_number(p["kvar"], "kvar")
    pf = as_number(p["pf"], "pf")
    if not 0 < abs(pf) <= 1:
        raise fail(p["pf"].where, obj, f"pf={pf:g} must be in [-1, 0) or (0, 1]")
    return math.copysign(abs(p_kw) * math.tan(math.acos(abs(pf))), pf)


def _pct(obj: DssObject, p: dict[str, Value], name: str, default: float) -> float:
    x = as_number(p[name], name) if name in p else default
    if not 0 <= x <= 100:
        raise fail(p[name].where, obj, f"{name}={x:g} must be in [0, 100]")
    return x


def read_der(obj: DssObject) -> DerUnit:
    """Read a ``PVSystem``, ``Generator`` or ``Storage`` (rules in the module docstring)."""
    p = last(obj)
    bus, nodes = _nodes(obj, p)
    kva = positive(obj, p["kva"], "kva") if "kva" in p else math.nan
    energy, soc_min, eff, capped = math.nan, math.nan, 1.0, False
    if obj.cls == "pvsystem":
        pmpp = positive(obj, need(obj, p, "pmpp"), "pmpp")
        kva = positive(obj, need(obj, p, "kva"), "kva")
        irr = as_number(p["irradiance"], "irradiance") if "irradiance" in p else 1.0
        if irr < 0:
            raise fail(p["irradiance"].where, obj, "irradiance must not be negative")
        p_max_kw = pmpp * irr
        capped = p_max_kw > kva
        p_max_kw, p_min_kw = min(p_max_kw, kva), 0.0
        q_keys = ("kvarmaxabs", "kvarmax")
    elif obj.cls == "generator":
        p_max_kw, p_min_kw = as_number(need(obj, p, "kw"), "kw"), 0.0
        if p_max_kw < 0:
            raise fail(p["kw"].where, obj, "kw must not be negative (a generator injects)")
        q_keys = ("minkvar", "maxkvar")
    else:
        rated = positive(obj, p["kwrated"], "kwrated") if "kwrated" in p else STORAGE_KW_RATED
        energy = positive(obj, need(obj, p, "kwhrated"), "kwhrated") / 1000.0
        soc_min = _pct(obj, p, "%reserve", 20.0) / 100.0
        e_c = _pct(obj, p, "%effcharge", 90.0) / 100.0
        e_d = _pct(obj, p, "%effdischarge", 90.0) / 100.0
        if e_c <= 0 or e_d <= 0:
            raise fail(obj.where, obj, "%effcharge and %effdischarge must be positive")
        eff = math.sqrt(e_c * e_d)
        p_max_kw, p_min_kw = rated, -rated
        kva = kva if "kva" in p else rated
        q_keys = ("kvarmaxabs", "kvarmax")
    q_kvar = _fixed_q(obj, p, p_max_kw)
    q_range = None
    lo_key, hi_key = q_keys
    if lo_key in p or hi_key in p:
        hi = as_number(p[hi_key], hi_key) if hi_key in p else abs(q_kvar)
        lo_given = as_number(p[lo_key], lo_key) if lo_key in p else -hi
        lo = -abs(lo_given) if lo_key == "kvarmaxabs" else lo_given
        if lo > hi:
            raise fail(obj.where, obj, f"{lo_key}/{hi_key} give an empty reactive range")
        q_range = (lo / 1000.0, hi / 1000.0)
    links = read_shape_links(obj)
    return DerUnit(
        name=obj.name,
        cls=obj.cls,
        bus=bus,
        nodes=nodes,
        p_min=p_min_kw / 1000.0,
        p_max=p_max_kw / 1000.0,
        q=q_kvar / 1000.0,
        q_range=q_range,
        s_max=kva / 1000.0,
        energy_cap=energy,
        soc_min=soc_min,
        efficiency=eff,
        shapes=(links.daily, links.yearly, links.duty),
        capped=capped,
        where=obj.where,
        rated_default=obj.cls == "storage" and "kwrated" not in p,
    )


def der_rows(units: list[DerUnit], bus_names: dict[str, str], notes: list[str]) -> list[dict]:
    """``der_assets`` rows (``bus_names``: lower-case bus key -> node id)."""
    rows: list[dict] = []
    for u in units:
        q_lo, q_hi = u.q_range if u.q_range is not None else (u.q, u.q)
        if u.rated_default:
            notes.append(
                f"storage {u.name} ({u.where}): no kWrated; OpenDSS's default "
                f"{STORAGE_KW_RATED:g} kW taken (p_max, p_min = -p_max)"
            )
        if u.capped:
            notes.append(
                f"pvsystem {u.name} ({u.where}): Pmpp x irradiance above kVA: p_max capped "
                f"at kVA ({u.s_max * 1000:g} kW)"
            )
        rows.append(
            {
                "asset_id": u.name,
                "bus_id": bus_names[u.bus.lower()],
                "phase": phase_letters(u.nodes),
                "asset_type": _ASSET_TYPE[u.cls],
                "p_min": u.p_min,
                "p_max": u.p_max,
                "q_min": q_lo,
                "q_max": q_hi,
                "ramp_up": math.nan,
                "ramp_down": math.nan,
                "energy_cap": u.energy_cap,
                "soc_min": u.soc_min,
                "soc_max": 1.0 if u.cls == "storage" else math.nan,
                "efficiency": u.efficiency,
                "owner_id": None,
                "agg_id": None,
                "priority": 0,
                "cost_curve_id": None,
                "s_max": u.s_max,
                "daily": u.shapes[0],
                "yearly": u.shapes[1],
                "duty": u.shapes[2],
            }
        )
    if rows:
        fixed = sum(u.q_range is None for u in units)
        notes.append(
            f"{len(rows)} DER (PVSystem, Generator, Storage) -> der_assets; {fixed} with a "
            "fixed reactive output (q_min = q_max from kvar/pf at p_max); DER assets are "
            "not injected by gat dist pf (they are the resources of opf and derms)"
        )
    return rows
