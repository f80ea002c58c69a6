"""Two-winding transformers and their regulator controls, read from OpenDSS objects.

``wdg=`` selects the winding that ``bus``, ``conn``, ``kv``, ``kva``, ``%r`` and ``tap`` apply
to; the array forms (``buses``, ``conns``, ``kvs``, ``kvas``, ``%rs``, ``taps``) set both
windings; ``%LoadLoss`` sets half on each winding's ``%r``. A scalar ``kva=`` sets *both*
windings' kVA, whichever winding is active (OpenDSS's rule for two windings: ``wdg=1 kva=75
wdg=2 kva=50`` is a 50/50 kVA unit); only ``kvas=`` gives them different ratings. Every
percentage (each ``%r``, ``XHL``, ``%noloadloss``, ``%imag``) and the anti-floating shunt is on
winding 1's kVA, whatever winding 2's (measured on OpenDSS's ``Yprim`` with ``kvas=(75 50)``,
``(50 75)``, one- and three-phase): the unit's impedance is ``%r1 + %r2 + j XHL`` on winding 1's
kVA. ``%noloadloss`` and ``%imag`` (the
magnetising branch, % of winding 1's kVA at rated voltage) are read as written: the three-phase
model puts them across winding 2, where OpenDSS does. OpenDSS defaults applied: ``conn`` wye,
``%r`` 0.2, ``XHL`` 7, ``%noloadloss`` and ``%imag`` 0, taps 1, tap range 0.9..1.1 in 32 steps;
``kv`` and ``kva`` of both windings are required. A RegControl keeps OpenDSS's defaults (vreg
120 V, band 3 V, PT ratio 60, CT 300 A, R = X = 0 V) for what it does not set; ``tapnum=N``
sets the initial tap (a winding-2 ``tap=`` written on the transformer must agree with it:
OpenDSS keeps the one written last); ``vlimit=0`` and the reverse-power settings without
``reversible=yes`` change nothing in OpenDSS and are read as such.

Each winding keeps its own nodes: a single-phase unit may be wound phase to ground on one
side and phase to phase on the other (an open-wye/open-delta bank: ``bus=n2.1.0 conn=wye``,
``bus=n3.1.2 conn=delta``), or on two different node pairs (the open-delta regulators of IEEE
37: ``799.3.2``). A single-phase wye winding given two phase nodes (``bus=n.1.2 conn=wye``)
has its neutral conductor on the second node: it is wound between them, as a delta one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._lexer import Value
from ._props import conn_of, fail, last, need, phases_of, positive, unsupported
from ._script import DssObject
from ._values import as_array, as_bus, as_int, as_number, as_yesno

__all__ = ["RegControl", "Transformer", "read_regcontrol", "read_transformer"]


@dataclass(frozen=True)
class Transformer:
    """A two-winding transformer (winding 1 = from); per-winding lists have two entries."""

    name: str
    phases: int
    buses: tuple[str, str]
    nodes: tuple[tuple[int, ...], tuple[int, ...]]
    conns: tuple[str, str]
    kvs: tuple[float, float]
    kvas: tuple[float, float]
    r_pct: tuple[float, float]
    x_pct: float
    taps: tuple[float, float]
    mintap: float
    maxtap: float
    numtaps: int
    where: str
    ppm_antifloat: float = 1.0
    noloadloss_pct: float = 0.0
    imag_pct: float = 0.0
    #: Winding 2's ``tap`` was written (not OpenDSS's default 1).
    tap2_written: bool = False


def _winding_values(obj: DssObject) -> tuple[dict[str, Value], list[dict[str, Value]]]:
    """Global properties and per-winding properties (values as written)."""
    glob: dict[str, Value] = {}
    wdgs: list[dict[str, Value]] = [{}, {}]
    active = 0
    array_of = {"buses": "bus", "conns": "conn", "kvs": "kv", "kvas": "kva", "%rs": "%r"}
    array_of["taps"] = "tap"
    for prop, value in obj.assignments:
        if prop == "windings":
            if as_int(value, prop) != 2:
                raise unsupported(value.where, obj, "GAT reads two-winding transformers only")
        elif prop == "wdg":
            k = as_int(value, prop)
            if k not in (1, 2):
                raise unsupported(
                    value.where, obj, f"wdg={k}; GAT reads two-winding transformers only"
                )
            active = k - 1
        elif prop == "kva":
            # OpenDSS: a two-winding unit's scalar kva= sets both windings (measured).
            wdgs[0][prop] = wdgs[1][prop] = value
        elif prop in ("bus", "conn", "kv", "%r", "tap"):
            wdgs[active][prop] = value
        elif prop in array_of:
            words = as_array(value, prop)
            if len(words) != 2:
                raise fail(value.where, obj, f"{prop} has {len(words)} entries for 2 windings")
            for k, w in enumerate(words):
                wdgs[k][array_of[prop]] = Value(w, "", value.fname, value.line)
        elif prop == "%loadloss":
            half = Value(f"{as_number(value, prop) / 2!r}", "", value.fname, value.line)
            wdgs[0]["%r"] = half
            wdgs[1]["%r"] = half
        elif prop in ("xht", "xlt"):
            raise unsupported(value.where, obj, f"{prop} belongs to three-winding transformers")
        else:
            glob[prop] = value
    return glob, wdgs


def read_transformer(obj: DssObject) -> Transformer:
    """Read a two-winding transformer in the ``wdg=`` form or the ``buses=``/``kvs=`` form."""
    glob, wdgs = _winding_values(obj)
    n = phases_of(obj, glob, 3)
    if n == 2:
        raise unsupported(obj.where, obj, "two-phase transformers are not supported")
    buses, nodes, conns, kvs, kvas, rs, taps = [], [], [], [], [], [], []
    for k, w in enumerate(wdgs):
        if "bus" not in w:
            raise fail(obj.where, obj, f"winding {k + 1} has no bus")
        conn = conn_of(obj, w["conn"], "conn") if "conn" in w else "wye"
        # A last node 0 grounds a wye winding's neutral explicitly (GAT's wye is grounded).
        bus, nd = as_bus(w["bus"], "bus", ground=conn == "wye")
        if conn == "wye" and n == 1 and len(nd) == 2:
            conn = "delta"  # OpenDSS's neutral conductor on a phase node: phase to phase
        want = n if conn == "wye" or n == 3 else 2
        nd = nd or tuple(range(1, want + 1))
        if len(nd) != want:
            raise fail(w["bus"].where, obj, f"winding {k + 1} needs {want} node(s)")
        for key in ("kv", "kva"):
            if key not in w:
                raise fail(obj.where, obj, f"winding {k + 1} has no {key}")
        buses.append(bus)
        nodes.append(nd)
        conns.append(conn)
        kvs.append(positive(obj, w["kv"], "kv"))
        kvas.append(positive(obj, w["kva"], "kva"))
        rs.append(as_number(w["%r"], "%r") if "%r" in w else 0.2)
        taps.append(positive(obj, w["tap"], "tap") if "tap" in w else 1.0)
    if buses[0].lower() == buses[1].lower():
        raise fail(obj.where, obj, f"connects bus {buses[0]} to itself")
    if min(rs) < 0:
        raise fail(obj.where, obj, "%r must not be negative")
    x = as_number(glob["xhl"], "xhl") if "xhl" in glob else 7.0
    if x < 0:
        raise fail(glob["xhl"].where, obj, "xhl must not be negative")
    mintap = positive(obj, glob["mintap"], "mintap") if "mintap" in glob else 0.9
    maxtap = positive(obj, glob["maxtap"], "maxtap") if "maxtap" in glob else 1.1
    numtaps = as_int(glob["numtaps"], "numtaps") if "numtaps" in glob else 32
    if numtaps < 1 or not mintap < maxtap:
        raise fail(obj.where, obj, "needs mintap < maxtap and numtaps >= 1")
    ppm = as_number(glob["ppm_antifloat"], "ppm_antifloat") if "ppm_antifloat" in glob else 1.0
    mag = {}
    for key in ("%noloadloss", "%imag"):
        mag[key] = as_number(glob[key], key) if key in glob else 0.0
        if mag[key] < 0:
            raise fail(glob[key].where, obj, f"{key} must not be negative")
    return Transformer(
        ppm_antifloat=ppm,
        noloadloss_pct=mag["%noloadloss"],
        imag_pct=mag["%imag"],
        tap2_written="tap" in wdgs[1],
        name=obj.name,
        phases=n,
        buses=(buses[0], buses[1]),
        nodes=(nodes[0], nodes[1]),
        conns=(conns[0], conns[1]),
        kvs=(kvs[0], kvs[1]),
        kvas=(kvas[0], kvas[1]),
        r_pct=(rs[0], rs[1]),
        x_pct=x,
        taps=(taps[0], taps[1]),
        mintap=mintap,
        maxtap=maxtap,
        numtaps=numtaps,
        where=obj.where,
    )


@dataclass(frozen=True)
class RegControl:
    """A regulator control on winding 2 of a transformer (OpenDSS defaults).

    ``ptphase`` is the conductor (1-based, of the transformer's phases) the PT and CT measure;
    on a three-phase transformer one control moves every phase's tap together (a ganged
    regulator). ``locked`` is ``maxtapchange=0``: the tap stays where it is.
    """

    name: str
    transformer: str
    vreg: float
    band: float
    ptratio: float
    ctprim: float
    r: float
    x: float
    ptphase: int
    locked: bool
    where: str
    delay: float = 15.0
    maxtapchange: int = 16
    #: ``bus=NAME.n``: the PT reads node ``n`` (default 1) of that bus to ground and the
    #: line-drop compensator is off (measured with opendssdirect); ``None`` without ``bus=``.
    pt_bus: str | None = None
    pt_node: int = 1
    #: ``tapnum=N``: the tapped winding's tap set to ``1 + N x step`` (measured with
    #: opendssdirect; a later ``tap=`` on the transformer would win); ``None`` without it.
    tapnum: int | None = None


def _ptphase(obj: DssObject, p: dict[str, Value]) -> int:
    if "ptphase" not in p:
        return 1
    word = p["ptphase"].text.strip().lower()
    if word in ("max", "min"):
        raise unsupported(
            p["ptphase"].where,
            obj,
            f"ptphase={word} (the highest or lowest phase) is not supported; give a phase number",
        )
    k = as_int(p["ptphase"], "ptphase")
    if k not in (1, 2, 3):
        raise fail(p["ptphase"].where, obj, f"ptphase={k}; give 1, 2 or 3")
    return k


def read_regcontrol(obj: DssObject) -> RegControl:
    """Read ``New RegControl.NAME transformer= winding=2 vreg= band= ptratio= ctprim= R= X=``."""
    p = last(obj)
    winding = as_int(p["winding"], "winding") if "winding" in p else 1
    tapw = as_int(p["tapwinding"], "tapwinding") if "tapwinding" in p else winding
    if winding != 2 or tapw != 2:
        raise unsupported(
            obj.where, obj, "GAT's regulators measure and tap winding 2 (winding=2 is required)"
        )

    pt_bus, pt_node = None, 1
    if "bus" in p:
        pt_bus, nodes = as_bus(p["bus"], "bus")
        if len(nodes) > 1:
            raise fail(p["bus"].where, obj, "bus= names one node (bus.n)")
        pt_node = nodes[0] if nodes else 1
        if _ptphase(obj, p) != 1:
            # OpenDSS's PT on a bus reads one node; with ptphase=2 its control hunts to a
            # tap limit (measured), which a snapshot cannot reproduce.
            raise unsupported(
                p["ptphase"].where, obj, "ptphase= with bus= is not supported (give bus=NAME.n)"
            )

    if "vlimit" in p and as_number(p["vlimit"], "vlimit") > 0:
        raise unsupported(
            p["vlimit"].where,
            obj,
            "vlimit > 0 (OpenDSS's first-house limit on the tap) is not modelled; "
            "vlimit=0 (off, OpenDSS's default) is read",
        )
    if "reversible" in p and as_yesno(p["reversible"], "reversible"):
        raise unsupported(
            p["reversible"].where,
            obj,
            "reversible=yes (reverse-power settings revvreg/revband/revr/revx) is not "
            "modelled; without it OpenDSS ignores those settings, as GAT does",
        )

    def num(name: str, default: float, signed: bool = False) -> float:
        if name not in p:
            return default
        return as_number(p[name], name) if signed else positive(obj, p[name], name)

    return RegControl(
        name=obj.name,
        transformer=need(obj, p, "transformer").text.strip(),
        vreg=num("vreg", 120.0),
        band=num("band", 3.0),
        ptratio=num("ptratio", 60.0),
        ctprim=num("ctprim", 300.0),
        r=num("r", 0.0, signed=True),
        x=num("x", 0.0, signed=True),
        ptphase=_ptphase(obj, p),
        locked="maxtapchange" in p and as_int(p["maxtapchange"], "maxtapchange") == 0,
        where=obj.where,
        delay=_non_negative(obj, p, "delay", 15.0),
        maxtapchange=int(_non_negative(obj, p, "maxtapchange", 16)),
        pt_bus=pt_bus,
        pt_node=pt_node,
        tapnum=as_int(p["tapnum"], "tapnum") if "tapnum" in p else None,
    )


def _non_negative(obj: DssObject, p: dict[str, Value], name: str, default: float) -> float:
    if name not in p:
        return default
    x = as_int(p[name], name) if name == "maxtapchange" else as_number(p[name], name)
    if x < 0:
        raise fail(p[name].where, obj, f"{name}={x}; give a value >= 0")
    return float(x)
