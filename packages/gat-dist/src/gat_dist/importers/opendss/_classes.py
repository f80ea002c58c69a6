"""The OpenDSS object classes and properties the importer reads, and the rule for each.

Every property is one of:

* **applied**: read into the network (its kind says how its value is parsed);
* **recorded**: accepted because it cannot change a snapshot power flow in GAT's model, and
  listed in the network's ``source["import_notes"]`` with the reason;
* ``like=OTHER`` (every class) copies OTHER's assignments in its place (:mod:`._script`);
* anything else is **unsupported**: the import fails with a message that lists every
  unsupported class, property and command with its file and line.

Names are case-insensitive, as in OpenDSS; OpenDSS's abbreviation of property names is not
supported (write the full name; the error names the properties an abbreviation could mean).
"""

from __future__ import annotations

__all__ = ["CLASSES", "ELEMENT_CLASSES", "PROPERTY_ALIASES", "RECORDED", "class_name"]

#: Class -> property -> kind of value (see :mod:`._elements` for how each is read).
CLASSES: dict[str, dict[str, str]] = {
    "circuit": {
        "basekv": "num",
        "pu": "num",
        "angle": "num",
        "phases": "int",
        "bus1": "bus",
        "mvasc3": "num",
        "mvasc1": "num",
        "isc3": "num",
        "isc1": "num",
        "x1r1": "num",
        "x0r0": "num",
        "r1": "num",
        "x1": "num",
        "r0": "num",
        "x0": "num",
        "frequency": "num",
    },
    "linecode": {
        "nphases": "int",
        "r1": "num",
        "x1": "num",
        "r0": "num",
        "x0": "num",
        "c1": "num",
        "c0": "num",
        "rmatrix": "matrix",
        "xmatrix": "matrix",
        "cmatrix": "matrix",
        "units": "unit",
        "basefreq": "num",
        "normamps": "num",
        "emergamps": "num",
        "neutral": "int",
        "kron": "yesno",
    },
    "line": {
        "phases": "int",
        "bus1": "bus",
        "bus2": "bus",
        "linecode": "str",
        "length": "num",
        "units": "unit",
        "switch": "yesno",
        "r1": "num",
        "x1": "num",
        "r0": "num",
        "x0": "num",
        "c1": "num",
        "c0": "num",
        "rmatrix": "matrix",
        "xmatrix": "matrix",
        "cmatrix": "matrix",
        "basefreq": "num",
        "normamps": "num",
        "emergamps": "num",
    },
    "load": {
        "phases": "int",
        "bus1": "bus",
        "conn": "str",
        "model": "int",
        "kv": "num",
        "kw": "num",
        "kvar": "num",
        "pf": "num",
        "kva": "num",
        "xfkva": "num",
        "allocationfactor": "num",
        "zipv": "array",
        "vminpu": "num",
        "vmaxpu": "num",
        "vlowpu": "num",
        "daily": "str",
        "yearly": "str",
        "duty": "str",
    },
    "transformer": {
        "phases": "int",
        "windings": "int",
        "wdg": "int",
        "bus": "bus",
        "conn": "str",
        "kv": "num",
        "kva": "num",
        "%r": "num",
        "tap": "num",
        "buses": "array",
        "conns": "array",
        "kvs": "array",
        "kvas": "array",
        "%rs": "array",
        "taps": "array",
        "xhl": "num",
        "xht": "num",
        "xlt": "num",
        "%loadloss": "num",
        "maxtap": "num",
        "mintap": "num",
        "numtaps": "int",
        "bank": "str",
        "ppm_antifloat": "num",
        "normhkva": "num",
        "normamps": "num",
        "emergamps": "num",
        "emerghkva": "num",
    },
    "regcontrol": {
        "transformer": "str",
        "winding": "int",
        "tapwinding": "int",
        "vreg": "num",
        "band": "num",
        "ptratio": "num",
        "ctprim": "num",
        "r": "num",
        "x": "num",
        "delay": "num",
        "tapdelay": "num",
        "maxtapchange": "int",
        "ptphase": "int",
        "bus": "bus",
        "tapnum": "int",
        "vlimit": "num",
        "reversible": "str",
        **dict.fromkeys(("revr", "revx", "revvreg", "revband", "revthreshold", "revdelay"), "num"),
    },
    "capacitor": {
        "bus1": "bus",
        "phases": "int",
        "kvar": "num",
        "kv": "num",
        "conn": "str",
        "r": "num",
        "xl": "num",
        "states": "str",
    },
}

#: (class, property) -> why the property is accepted but not modelled.
RECORDED: dict[tuple[str, str], str] = {
    ("transformer", "bank"): "bank names are informational",
    ("transformer", "normhkva"): "ratings beyond kva are not imported",
    ("transformer", "emerghkva"): "ratings beyond kva are not imported",
    ("transformer", "normamps"): "ratings beyond kva are not imported",
    ("transformer", "emergamps"): "ratings beyond kva are not imported",
    ("regcontrol", "tapdelay"): "time delays do not apply to GAT's static regulator loop",
    **{
        ("regcontrol", k): "reverse-power settings act only with reversible=yes (refused)"
        for k in ("revr", "revx", "revvreg", "revband", "revthreshold", "revdelay")
    },
}

#: Other names OpenDSS accepts for a property: (class, alias) -> property.
PROPERTY_ALIASES: dict[tuple[str, str], str] = {
    ("transformer", "x12"): "xhl",
    ("transformer", "ppm"): "ppm_antifloat",
}

#: Spellings of class names accepted in object references (``Line.x``, ``object=circuit.y``).
_ALIASES = {"vsource": "circuit"}


def class_name(text: str) -> str:
    """Canonical (lower-case) class name of ``text``; unknown classes are returned lowered."""
    low = text.strip().lower()
    return _ALIASES.get(low, low)


# Line geometries (WireData, LineSpacing, LineGeometry and the line properties naming them).
from ._geometry_props import GEOMETRY_CLASSES, GEOMETRY_RECORDED, LINE_GEOMETRY_PROPS  # noqa: E402

CLASSES.update(GEOMETRY_CLASSES)
CLASSES["line"].update(LINE_GEOMETRY_PROPS)
RECORDED.update(GEOMETRY_RECORDED)
# Center-tapped (three-winding) service transformers and XfmrCode.
from ._centertap_props import (  # noqa: E402
    CENTERTAP_CLASSES,
    CENTERTAP_RECORDED,
    CENTERTAP_TRANSFORMER_PROPS,
)

CLASSES.update(CENTERTAP_CLASSES)
CLASSES["transformer"].update(CENTERTAP_TRANSFORMER_PROPS)
RECORDED.update(CENTERTAP_RECORDED)
# Series reactors, and properties of other classes that carry no power-flow data.
from ._reactor_props import EXTRA_PROPS, EXTRA_RECORDED, REACTOR_CLASSES  # noqa: E402

CLASSES.update(REACTOR_CLASSES)
for (_cls, _prop), _kind in EXTRA_PROPS.items():
    CLASSES[_cls][_prop] = _kind
RECORDED.update(EXTRA_RECORDED)


# DER, load shapes, capacitor controls and protection devices (rules in ._der_classes).
from ._der_classes import DER_CLASSES, DER_RECORDED  # noqa: E402

CLASSES.update(DER_CLASSES)
RECORDED.update(DER_RECORDED)
PROPERTY_ALIASES[("loadshape", "pmult")] = "mult"

#: Circuit elements (OpenDSS ``TDSSCktElement``): they take ``enabled=`` (a disabled element is
#: not in OpenDSS's circuit; :mod:`._parse` leaves it out, a disabled line becomes an open
#: branch). General objects (codes, shapes, wire data) have no such property in OpenDSS.
ELEMENT_CLASSES = frozenset(
    {
        "line", "load", "transformer", "regcontrol", "capacitor", "reactor", "pvsystem",
        "generator", "storage", "capcontrol", "fuse", "recloser", "relay",
    }
)  # fmt: skip
for _cls in ELEMENT_CLASSES:
    CLASSES[_cls]["enabled"] = "yesno"
