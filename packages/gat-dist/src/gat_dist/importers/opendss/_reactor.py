"""OpenDSS series ``Reactor`` (``bus1`` and ``bus2`` given): a line without length or coupling.

``r`` and ``x`` are ohms per phase (OpenDSS's defaults 0); the reactor becomes a line
``Reactor.NAME`` whose impedance has no length unit, which the importer writes as per-phase
``r``, ``x`` without a line code (as OpenDSS's unitless lines). A shunt reactor (no ``bus2``)
is not read.
"""

from __future__ import annotations

import numpy as np

from ._elements import Line, LineCode
from ._props import fail, last, need, phases_of
from ._script import DssObject
from ._values import as_bus, as_number

__all__ = ["read_reactor"]


def read_reactor(obj: DssObject) -> Line:
    """Read ``New Reactor.NAME bus1= bus2= phases= r= x= [basefreq=]`` as a :class:`Line`
    (a ``basefreq`` other than the circuit's is refused with the lines')."""
    p = last(obj)
    n = phases_of(obj, p, 3)
    if "bus2" not in p:
        raise fail(obj.where, obj, "a shunt reactor (no bus2) is not read; GAT reads series ones")
    bus1, nodes1 = as_bus(need(obj, p, "bus1"), "bus1")
    bus2, nodes2 = as_bus(p["bus2"], "bus2")
    nodes1 = nodes1 or tuple(range(1, n + 1))
    nodes2 = nodes2 or tuple(range(1, n + 1))
    if len(nodes1) != n or nodes1 != nodes2:
        raise fail(obj.where, obj, f"bus1 and bus2 need the same {n} nodes")
    r = as_number(p["r"], "r") if "r" in p else 0.0
    x = as_number(p["x"], "x") if "x" in p else 0.0
    if r < 0 or (r == 0 and x == 0):
        raise fail(
            obj.where, obj, f"r={r:g}, x={x:g}: a series reactor needs r >= 0 and r + jx != 0"
        )
    eye = np.eye(n)
    name = f"Reactor.{obj.name}"
    code = LineCode(name, n, r * eye, x * eye, 0.0 * eye, "none", None, False, obj.where)
    # basefreq= is the frequency of x (checked against the circuit's where lines are).
    freq = as_number(p["basefreq"], "basefreq") if "basefreq" in p else None
    return Line(name, bus1, bus2, nodes1, None, code, 1.0, "none", False, freq, obj.where)
