"""OpenDSS ``Reactor`` properties, and properties that cannot change a snapshot power flow.

Merged into :mod:`._classes`; the reactor reader is :mod:`._reactor`. The recorded properties
are the ones the IEEE 8500 feeder writes that carry no power-flow data.
"""

from __future__ import annotations

__all__ = ["EXTRA_PROPS", "EXTRA_RECORDED", "REACTOR_CLASSES"]

REACTOR_CLASSES: dict[str, dict[str, str]] = {
    "reactor": {
        "phases": "int",
        "bus1": "bus",
        "bus2": "bus",
        "r": "num",
        "x": "num",
        "normamps": "num",
        "emergamps": "num",
        "basefreq": "num",
    },
}

#: (class, property) -> kind, added to classes :mod:`._classes` defines.
EXTRA_PROPS: dict[tuple[str, str], str] = {
    ("load", "status"): "str",
    ("linecode", "faultrate"): "num",
    ("linecode", "pctperm"): "num",
    ("linecode", "repair"): "num",
    ("transformer", "sub"): "str",
    ("transformer", "subname"): "str",
    ("linecode", "rg"): "num",
    ("linecode", "xg"): "num",
    ("line", "rg"): "num",
    ("line", "xg"): "num",
    ("load", "class"): "str",
    ("load", "numcust"): "num",
    ("load", "cvrwatts"): "num",
    ("load", "cvrvars"): "num",
    ("load", "spectrum"): "str",
    ("regcontrol", "debugtrace"): "yesno",
    ("circuit", "yearly"): "str",
    ("circuit", "daily"): "str",
    ("circuit", "duty"): "str",
}

EXTRA_RECORDED: dict[tuple[str, str], str] = {
    ("reactor", "normamps"): "ratings are not imported (thermal_limit stays NaN)",
    ("reactor", "emergamps"): "ratings are not imported (thermal_limit stays NaN)",
    ("load", "status"): (
        "status=fixed is kept in dist_loads.fixed (the load ignores load shapes in "
        "time-series studies); variable and exempt loads follow their shapes"
    ),
    ("linecode", "faultrate"): "reliability data is not read from OpenDSS (use reliability tables)",
    ("linecode", "pctperm"): "reliability data is not read from OpenDSS (use reliability tables)",
    ("linecode", "repair"): "reliability data is not read from OpenDSS (use reliability tables)",
    ("transformer", "sub"): "substation marks are informational",
    ("transformer", "subname"): "substation names are informational",
    # Checked with opendssdirect: Rg and Xg leave a line's Yprim unchanged at the base
    # frequency (OpenDSS uses them to rescale the earth return for harmonics).
    **{
        (c, p): "the earth-return terms only change impedances away from the base frequency"
        for c in ("linecode", "line")
        for p in ("rg", "xg")
    },
    ("load", "class"): "load classes are informational",
    ("load", "numcust"): "customer counts are not imported (dist_nodes.customers stays unset)",
    ("load", "spectrum"): "harmonic spectra do not change the power flow",
    ("regcontrol", "debugtrace"): "a trace of OpenDSS's control actions",
    **{
        ("circuit", p): "source voltage shapes are not imported (the source keeps pu=)"
        for p in ("yearly", "daily", "duty")
    },
}
