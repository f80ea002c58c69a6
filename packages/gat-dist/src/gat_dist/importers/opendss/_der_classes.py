"""The OpenDSS classes of DER, load shapes, capacitor controls and protection the importer reads.

Merged into :data:`._classes.CLASSES` and :data:`._classes.RECORDED` (same rules: every
property listed is applied or recorded, anything else is unsupported). Values written
without a name (``New Fuse.F1 Line.L1 1``) follow OpenDSS's property order (:mod:`._dss_order`).
"""

from __future__ import annotations

__all__ = ["DER_CLASSES", "DER_RECORDED"]

_SHAPE_LINKS = {"daily": "str", "yearly": "str", "duty": "str"}
_DER_COMMON = {
    "phases": "int",
    "bus1": "bus",
    "kv": "num",
    "conn": "str",
    "kva": "num",
    "pf": "num",
    "kvar": "num",
    "model": "int",
    "vminpu": "num",
    "vmaxpu": "num",
    **_SHAPE_LINKS,
}
_PROTECTION_ENDS = {
    "monitoredobj": "str",
    "monitoredterm": "int",
    "switchedobj": "str",
    "switchedterm": "int",
}

#: Class -> property -> kind of value (read in ``_der``, ``_shapes``, ``_capcontrol``,
#: ``_protection``).
DER_CLASSES: dict[str, dict[str, str]] = {
    "pvsystem": {
        **_DER_COMMON,
        "pmpp": "num",
        "irradiance": "num",
        "kvarmax": "num",
        "kvarmaxabs": "num",
        "%cutin": "num",
        "%cutout": "num",
        "temperature": "num",
        "limitcurrent": "yesno",
    },
    "generator": {
        **_DER_COMMON,
        "kw": "num",
        "maxkvar": "num",
        "minkvar": "num",
        "xd": "num",
        "xdp": "num",
        "xdpp": "num",
        "h": "num",
        "d": "num",
    },
    "storage": {
        **_DER_COMMON,
        "kwrated": "num",
        "kwhrated": "num",
        "%reserve": "num",
        "%effcharge": "num",
        "%effdischarge": "num",
        "%stored": "num",
        "kwhstored": "num",
        "kvarmax": "num",
        "kvarmaxabs": "num",
        "kw": "num",
        "state": "str",
        "dispmode": "str",
        "%charge": "num",
        "%discharge": "num",
        "%idlingkw": "num",
    },
    "loadshape": {
        "npts": "int",
        "interval": "num",
        "sinterval": "num",
        "minterval": "num",
        "mult": "array",
        "hour": "array",
        "qmult": "array",
        "useactual": "yesno",
        "action": "str",
        "pbase": "num",
    },
    "capcontrol": {
        "element": "str",
        "terminal": "int",
        "capacitor": "str",
        "type": "str",
        "ptratio": "num",
        "ctratio": "num",
        "onsetting": "num",
        "offsetting": "num",
        "delay": "num",
        "voltoverride": "yesno",
        "vmax": "num",
        "vmin": "num",
        "delayoff": "num",
        "deadtime": "num",
        "ctphase": "str",
        "ptphase": "str",
        "eventlog": "yesno",
    },
    "fuse": {**_PROTECTION_ENDS, "fusecurve": "str", "ratedcurrent": "num", "delay": "num"},
    "recloser": {
        **_PROTECTION_ENDS,
        "numfast": "int",
        "phasefast": "str",
        "phasedelayed": "str",
        "groundfast": "str",
        "grounddelayed": "str",
        "phasetrip": "num",
        "groundtrip": "num",
        "phaseinst": "num",
        "groundinst": "num",
        "reset": "num",
        "shots": "int",
        "recloseintervals": "array",
        "delay": "num",
    },
    "relay": {
        **_PROTECTION_ENDS,
        "type": "str",
        "phasecurve": "str",
        "groundcurve": "str",
        "phasetrip": "num",
        "groundtrip": "num",
        "tdphase": "num",
        "tdground": "num",
        "phaseinst": "num",
        "groundinst": "num",
        "reset": "num",
        "shots": "int",
        "recloseintervals": "array",
        "delay": "num",
        "breakertime": "num",
    },
}

_DYNAMICS = "machine constants are for dynamic studies; GAT solves steady state"
_DER_MODEL = "der_assets hold ratings and limits, not the voltage behaviour of OpenDSS models"
_SETTINGS = (
    "curves and pickup currents are for fault studies; the device is a switching_devices row"
)
_DISPATCH = "der_assets hold ratings and limits, not a dispatch state"

#: (class, property) -> why the property is accepted but not modelled.
DER_RECORDED: dict[tuple[str, str], str] = {
    **{(c, "kv"): "the DER takes its node's base voltage" for c in ("pvsystem", "generator")},
    ("storage", "kv"): "the DER takes its node's base voltage",
    **{(c, "model"): _DER_MODEL for c in ("pvsystem", "generator", "storage")},
    **{(c, "vminpu"): _DER_MODEL for c in ("pvsystem", "generator", "storage")},
    **{(c, "vmaxpu"): _DER_MODEL for c in ("pvsystem", "generator", "storage")},
    ("pvsystem", "%cutin"): "inverter cut-in and cut-out thresholds are not modelled",
    ("pvsystem", "%cutout"): "inverter cut-in and cut-out thresholds are not modelled",
    ("pvsystem", "temperature"): "the power-temperature curve is not modelled",
    # OpenDSS limits the current to its value at vminpu; it acts only below vminpu, like
    # vminpu itself (IEEE 9500 writes LimitCurrent=yes on its 178 PVSystems).
    ("pvsystem", "limitcurrent"): _DER_MODEL,
    **{("generator", p): _DYNAMICS for p in ("xd", "xdp", "xdpp", "h", "d")},
    **{
        ("storage", p): _DISPATCH
        for p in ("kw", "state", "dispmode", "%charge", "%discharge", "%idlingkw")
    },
    ("storage", "%stored"): "der_assets have no initial state of charge",
    ("storage", "kwhstored"): "der_assets have no initial state of charge",
    ("loadshape", "qmult"): "load_shapes hold active-power multipliers only",
    ("capcontrol", "eventlog"): "output only",
    **{
        (c, p): _SETTINGS
        for c, props in (
            ("fuse", ("fusecurve", "ratedcurrent", "delay")),
            ("recloser", tuple(DER_CLASSES["recloser"])[4:]),
            ("relay", tuple(DER_CLASSES["relay"])[4:]),
        )
        for p in props
    },
    **{
        (c, p): "GAT's devices act on the whole branch, whichever terminal"
        for c in ("fuse", "recloser", "relay")
        for p in ("monitoredterm", "switchedterm")
    },
}
