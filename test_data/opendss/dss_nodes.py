"""Node voltages of the circuit OpenDSS has solved, for the reference scripts beside it.

Used by the ``make_opendss_reference.py`` scripts of the folders here (run by hand with the
bench dependency group installed) and by the live checks of the tests; needs
``opendssdirect``, passed in so this file imports nothing itself.
"""

from __future__ import annotations

import math
from typing import Any


def node_voltages(dss: Any) -> list[tuple[str, str, float, float, float]]:
    """``(bus, phase, vm_pu, va_deg, kv_base)`` of every phase node (1, 2, 3) of the solved
    circuit: magnitude in pu of the bus's ``kVBase`` (line to neutral), angle in degrees,
    ``kv_base`` that base in kV."""
    rows = []
    for bus in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(bus)
        base = dss.Bus.kVBase() * 1000.0
        v = dss.Bus.Voltages()
        for k, node in enumerate(dss.Bus.Nodes()):
            if node not in (1, 2, 3):
                continue
            z = complex(v[2 * k], v[2 * k + 1])
            deg = math.degrees(math.atan2(z.imag, z.real))
            rows.append((bus, "ABC"[node - 1], abs(z) / base, deg, base / 1000.0))
    return rows
