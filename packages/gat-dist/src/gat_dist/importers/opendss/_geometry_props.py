"""Properties of OpenDSS ``WireData``, ``LineSpacing`` and ``LineGeometry`` that GAT reads.

Kept apart from :mod:`._classes` (which merges them in) so the geometry readers in
:mod:`._geometry` own their property lists; kinds as in :mod:`._classes`.
"""

from __future__ import annotations

__all__ = ["GEOMETRY_CLASSES", "GEOMETRY_RECORDED", "LINE_GEOMETRY_PROPS"]

#: Properties every conductor type has (WireData; CNData and TSData add their cable layers).
_CONDUCTOR: dict[str, str] = {
    "rdc": "num",
    "rac": "num",
    "runits": "str",
    "gmrac": "num",
    "gmrunits": "str",
    "radius": "num",
    "radunits": "str",
    "diam": "num",
    "normamps": "num",
    "emergamps": "num",
}

GEOMETRY_CLASSES: dict[str, dict[str, str]] = {
    "wiredata": dict(_CONDUCTOR),
    "cndata": {
        **_CONDUCTOR,
        "k": "int",
        "diastrand": "num",
        "gmrstrand": "num",
        "rstrand": "num",
        "epsr": "num",
        "inslayer": "num",
        "diains": "num",
        "diacable": "num",
    },
    "tsdata": {
        **_CONDUCTOR,
        "diashield": "num",
        "tapelayer": "num",
        "tapelap": "num",
        "epsr": "num",
        "inslayer": "num",
        "diains": "num",
        "diacable": "num",
    },
    "linespacing": {
        "nconds": "int",
        "nphases": "int",
        "x": "array",
        "h": "array",
        "units": "str",
    },
    "linegeometry": {
        "nconds": "int",
        "nphases": "int",
        "cond": "int",
        "wire": "str",
        "x": "num",
        "h": "num",
        "units": "str",
        "reduce": "yesno",
        "spacing": "str",
        "wires": "array",
        "cncable": "str",
        "cncables": "array",
        "tscable": "str",
        "tscables": "array",
        "normamps": "num",
        "emergamps": "num",
    },
}

#: Line properties that name a geometry (or a spacing and its wires) instead of a line code.
LINE_GEOMETRY_PROPS: dict[str, str] = {
    "geometry": "str",
    "spacing": "str",
    "wires": "array",
    "cncables": "array",
    "tscables": "array",
    "earthmodel": "str",
    "rho": "num",
}

GEOMETRY_RECORDED: dict[tuple[str, str], str] = {
    (cls, prop): "ratings are not imported (thermal_limit stays NaN)"
    for cls in ("wiredata", "cndata", "tsdata", "linegeometry")
    for prop in ("normamps", "emergamps")
}
