"""Center-tapped single-phase service transformers (OpenDSS three-winding units, ``XfmrCode``).

OpenDSS writes a 120/240 V service transformer as ``phases=1 windings=3
buses=[P.k S.1.0 S.0.2] kvs=[7.2 0.12 0.12]``: the primary from phase ``k`` to neutral and two
secondary halves, half 1 from leg 1 to the grounded center tap and half 2 from the center tap
to leg 2. GAT maps it to a ``dist_transformers`` row with ``conn_to = center_tap``,
``phases`` the primary letter, ``phases_to`` the legs' letters (OpenDSS nodes 1, 2 -> A, B),
the pairwise short-circuit impedances (``r_pct = %R1 + %R2``, ``r_lt_pct = %R2 + %R3``, each
``%R`` as written: OpenDSS takes every percentage on winding 1's kVA, whatever the other
windings' kVA; ``x_pct = XHL``, ``x_ht_pct = XHT``, ``x_lt_pct = XLT``) and the
magnetising branch (``%noloadloss``, ``%imag``). See ``history/2026-12-04-split-phase.md``.

``XfmrCode=NAME`` copies the code's properties where it is written (later properties
override), as OpenDSS does. OpenDSS defaults applied: ``%R`` 0.2 per winding, ``XHL`` 7,
``XHT`` 35, ``XLT`` 30, ``%imag`` and ``%noloadloss`` 0, taps 1; ``kv`` and ``kva`` are required.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from gat_schemas.errors import GatError

from ._bases import Edge, winding_kv_ll
from ._lexer import Value
from ._props import conn_of, fail
from ._script import DssObject
from ._values import as_array, as_int, as_number

__all__ = ["CenterTap", "center_tap_rows", "is_center_tap", "read_center_tap", "with_code"]

_ARRAYS = {"buses": "bus", "conns": "conn", "kvs": "kv", "kvas": "kva", "%rs": "%r", "taps": "tap"}
_GLOBAL = ("phases", "windings", "xhl", "xht", "xlt", "%imag", "%noloadloss")
_IGNORED = ("normhkva", "emerghkva", "bank", "ppm_antifloat")
#: OpenDSS defaults of a three-winding unit.
_DEFAULTS = {"%r": 0.2, "xhl": 7.0, "xht": 35.0, "xlt": 30.0, "%imag": 0.0, "%noloadloss": 0.0}


@dataclass(frozen=True)
class CenterTap:
    """A center-tapped unit in OpenDSS units (kV, kVA, % on winding 1's kVA)."""

    name: str
    primary_bus: str
    primary_node: int
    secondary_bus: str
    legs: tuple[int, int]
    kv_primary: float
    kv_half: float
    kva: float
    r_hx_pct: float
    r_lt_pct: float
    xhl: float
    xht: float
    xlt: float
    imag_pct: float
    noloadloss_pct: float
    taps: tuple[float, float]
    where: str


def _expanded(obj: DssObject, codes: dict[str, DssObject]) -> list[tuple[str, Value]]:
    out: list[tuple[str, Value]] = []
    for prop, value in obj.assignments:
        if prop == "xfmrcode":
            code = codes.get(value.text.strip().lower())
            if code is None:
                raise fail(value.where, obj, f"xfmrcode {value.text.strip()} is not defined")
            out.extend(code.assignments)
        else:
            out.append((prop, value))
    return out


# XfmrCode values are shared by every unit using the code: parse each once.
@lru_cache(maxsize=4096)
def _split(value: Value, name: str) -> tuple[Value, ...]:
    """The entries of an array value, each a value of its own."""
    return tuple(value._replace(text=w, delim="") for w in as_array(value, name))


_number = lru_cache(maxsize=4096)(as_number)


def _bus(obj: DssObject, value: Value) -> tuple[str, tuple[int, ...]]:
    """Bus name and nodes, node 0 (ground) allowed (the center tap)."""
    parts = value.text.strip().split(".")
    if not parts[0] or not all(p.isdigit() for p in parts[1:]):
        raise fail(value.where, obj, f"bus={value.shown()} is not a bus name with node numbers")
    return parts[0], tuple(int(p) for p in parts[1:])


def is_center_tap(obj: DssObject, codes: dict[str, DssObject]) -> bool:
    """Whether a transformer object is read here (three windings, or a center-tap property,
    its ``XfmrCode``'s included); a two-winding unit on an ``XfmrCode`` is read by
    :func:`._windings.read_transformer` on :func:`with_code` of it."""
    try:
        assigned = _expanded(obj, codes)
    except GatError:
        return True  # the code is not defined: this reader names it
    for prop, value in assigned:
        if prop in ("xht", "xlt"):
            return True
        if prop == "windings" and value.text.strip() == "3":
            return True
    return False


def with_code(obj: DssObject, codes: dict[str, DssObject]) -> DssObject:
    """``obj`` with each ``xfmrcode=`` replaced by the code's assignments, where written."""
    if not any(p == "xfmrcode" for p, _ in obj.assignments):
        return obj
    return replace(obj, assignments=_expanded(obj, codes))


def read_center_tap(obj: DssObject, codes: dict[str, DssObject]) -> CenterTap:
    """Read one center-tapped unit (see the module docstring)."""
    glob: dict[str, Value] = {}
    wdgs: list[dict[str, Value]] = [{}, {}, {}]
    active = 0
    assigned = _expanded(obj, codes)
    last = {p: v for p, v in assigned if p in ("phases", "windings")}
    n_ph = as_int(last["phases"], "phases") if "phases" in last else 3
    n_w = as_int(last["windings"], "windings") if "windings" in last else 2
    if n_ph != 1 or n_w != 3:
        raise fail(
            obj.where,
            obj,
            f"phases={n_ph}, windings={n_w}: GAT reads two-winding transformers only, except "
            "single-phase center-tapped units (three windings; XHT and XLT are read only on "
            "those)",
        )
    for prop, value in assigned:
        if prop in _GLOBAL:
            glob[prop] = value
        elif prop == "wdg":
            k = as_int(value, prop)
            if k not in (1, 2, 3):
                raise fail(value.where, obj, f"wdg={k}: a center-tapped unit has 3 windings")
            active = k - 1
        elif prop in ("bus", "conn", "kv", "kva", "%r", "tap"):
            wdgs[active][prop] = value
        elif prop in _ARRAYS:
            parts = _split(value, prop)
            if len(parts) != 3:
                raise fail(value.where, obj, f"{prop} has {len(parts)} entries for 3 windings")
            for k, part in enumerate(parts):
                wdgs[k][_ARRAYS[prop]] = part
        elif prop not in _IGNORED:
            raise fail(value.where, obj, f"{prop}= is not read on center-tapped transformers")

    def num(k: int, key: str) -> float:
        if key in wdgs[k]:
            return _number(wdgs[k][key], key)
        if key in _DEFAULTS:
            return _DEFAULTS[key]
        raise fail(obj.where, obj, f"{key} of winding {k + 1} is required")

    for k in range(3):
        # conn= by its first letter, as OpenDSS reads it (IEEE 9500's XfmrCodes write conn=w).
        if "conn" in wdgs[k] and conn_of(obj, wdgs[k]["conn"], "conn") != "wye":
            raise fail(wdgs[k]["conn"].where, obj, "center-tapped windings are wye")
        if "bus" not in wdgs[k]:
            raise fail(obj.where, obj, f"bus of winding {k + 1} is required")
    (pbus, pn), (s1, n1), (s2, n2) = (_bus(obj, wdgs[k]["bus"]) for k in range(3))
    pn = pn or (1,)
    ok = (
        len(pn) in (1, 2)
        and pn[0] != 0
        and (len(pn) == 1 or pn[1] == 0)
        and s1.lower() == s2.lower()
        and len(n1) == 2
        and len(n2) == 2
        and n1[1] == 0
        and n2[0] == 0
        and n1[0] not in (0, n2[1])
        and n2[1] != 0
    )
    if not ok or max(pn[0], n1[0], n2[1]) > 3:
        raise fail(
            obj.where,
            obj,
            "GAT reads three-winding units wired as center taps: buses=[P.k S.a.0 S.0.b] "
            "(primary phase to ground, half 1 from leg a to ground, half 2 from ground to leg b)",
        )
    kv = [num(k, "kv") for k in range(3)]
    # Every %r, XHL, XHT and XLT is on winding 1's kVA; the other windings' kVA play no part
    # (measured on OpenDSS's Yprim with kvas=(50 25 25) and (100 25 50)).
    kva = [num(0, "kva")]
    if abs(kv[1] - kv[2]) > 1e-9 * kv[1]:
        raise fail(obj.where, obj, "the two secondary halves must have the same kv")
    r = [num(k, "%r") for k in range(3)]
    if abs(r[1] - r[2]) > 1e-9 * max(r[1], 1e-12):
        raise fail(obj.where, obj, "the two secondary halves must have the same %r")
    taps = [num(k, "tap") if "tap" in wdgs[k] else 1.0 for k in range(3)]
    if abs(taps[1] - taps[2]) > 1e-12:
        raise fail(obj.where, obj, "the two secondary halves must have the same tap")

    def g(key: str) -> float:
        return _number(glob[key], key) if key in glob else _DEFAULTS[key]

    return CenterTap(
        name=obj.name,
        primary_bus=pbus,
        primary_node=pn[0],
        secondary_bus=s1,
        legs=(n1[0], n2[1]),
        kv_primary=kv[0],
        kv_half=kv[1],
        kva=kva[0],
        r_hx_pct=r[0] + r[1],
        r_lt_pct=r[1] + r[2],
        xhl=g("xhl"),
        xht=g("xht"),
        xlt=g("xlt"),
        imag_pct=g("%imag"),
        noloadloss_pct=g("%noloadloss"),
        taps=(taps[0], taps[1]),
        where=obj.where,
    )


def center_tap_rows(
    units: list[CenterTap], buses: object
) -> tuple[list[dict], list[dict], list[Edge]]:
    """Branch rows, ``dist_transformers`` rows and voltage-base edges of the units.

    ``buses`` is the importer's bus registry (``add(name, nodes) -> key``). Branch rows carry
    the keys ``_network`` needs for the balanced equivalent (``s_mva``, ``r_pct``, ``x_pct``,
    ``kv_ll``, ``taps``: primary to leg 1).
    """
    letters = "ABC"
    rows: list[dict] = []
    xf: list[dict] = []
    edges: list[Edge] = []
    for u in units:
        a = buses.add(u.primary_bus, (u.primary_node,))  # type: ignore[attr-defined]
        b = buses.add(u.secondary_bus, u.legs)  # type: ignore[attr-defined]
        kv_ll = [winding_kv_ll(u.kv_primary, 1, "wye"), winding_kv_ll(u.kv_half, 1, "wye")]
        edges.append((a, b, kv_ll[1] / kv_ll[0], u.where))
        s_mva = u.kva / 1000.0
        rows.append(
            {
                "branch_id": u.name, "from": a, "to": b, "phases": None,
                "status": "closed", "thermal_limit": s_mva, "shift_deg": 0.0,
                "branch_type": "transformer", "linecode_id": None, "length_km": np.nan,
                "s_mva": s_mva, "r_pct": u.r_hx_pct, "x_pct": u.xhl, "kv_ll": kv_ll,
                "taps": u.taps,
            }
        )  # fmt: skip
        xf.append(
            {
                "branch_id": u.name,
                "phases": letters[u.primary_node - 1],
                "phases_to": letters[u.legs[0] - 1] + letters[u.legs[1] - 1],
                "conn_from": "wye_g",
                "conn_to": "center_tap",
                "kv_from": u.kv_primary,
                "kv_to": u.kv_half,
                "s_rated_mva": s_mva,
                "r_pct": u.r_hx_pct,
                "x_pct": u.xhl,
                "x_ht_pct": u.xht,
                "r_lt_pct": u.r_lt_pct,
                "x_lt_pct": u.xlt,
                "noload_loss_pct": u.noloadloss_pct,
                "imag_pct": u.imag_pct,
                "tap_from": u.taps[0],
                "tap_to": u.taps[1],
            }
        )
    return rows, xf, edges
