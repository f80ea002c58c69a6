"""OpenDSS load model 8 (ZIP, ``ZIPV=``) as three ``dist_loads`` rows.

OpenDSS's ZIP load (its source's ``DoZIPVModel``, checked with opendssdirect on a one-load
circuit at 0.98, 1.0 and 1.02 pu) is the sum of three loads on the same terminals: a
constant impedance drawing ``ZIPV[1]`` of the rated P and ``ZIPV[4]`` of the rated Q at
rated voltage, a constant current magnitude (``ZIPV[2]``, ``ZIPV[5]``) and a constant power
(``ZIPV[3]``, ``ZIPV[6]``). Outside ``vminpu``..``vmaxpu`` each part switches as the pure
model of its kind does (impedance never; current and power to the impedances of models 5
and 1), so three GAT rows of models ``z``, ``i``, ``pq`` with the same band are the same load.
At or below ``vlowpu`` OpenDSS makes the whole load its rated impedance, which equals the
sum of the three parts' only when ``ZIPV[1..3]`` and ``ZIPV[4..6]`` each sum to 1: other
coefficients are refused naming the load. ``ZIPV[7]`` > 0 scales the load's current by
``0.5 (1 + tanh(500 (|V| / V_rated - ZIPV[7])))``, exactly 1 in floating point from
``ZIPV[7] + 0.04`` up; GAT does not model that drop-out and says so in the notes.

Rows are named ``NAME.zip_z``, ``NAME.zip_i``, ``NAME.zip_p`` (a part with no P and no Q is
left out) and keep the load's shape links.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["PARTS", "expand_zip", "zip_sums_ok"]

#: (suffix, model, exponents, index of the P and of the Q coefficient in ZIPV).
PARTS = (
    ("zip_z", 2, (2.0, 2.0), 0, 3),
    ("zip_i", 5, (1.0, 1.0), 1, 4),
    ("zip_p", 1, (0.0, 0.0), 2, 5),
)
_SUM_TOL = 1e-6


def zip_sums_ok(zipv: tuple[float, ...]) -> bool:
    """Whether the P coefficients and the Q coefficients each sum to 1."""
    return abs(sum(zipv[0:3]) - 1.0) <= _SUM_TOL and abs(sum(zipv[3:6]) - 1.0) <= _SUM_TOL


def expand_zip(circuit: Any) -> tuple[Any, list[str]]:
    """``circuit`` with every ZIP load replaced by its parts (and their shape links), and the
    import notes saying so."""
    zips = [ld for ld in circuit.loads if ld.zipv is not None]
    if not zips:
        return circuit, []
    loads = []
    parts_of: dict[str, list[str]] = {}
    for ld in circuit.loads:
        if ld.zipv is None:
            loads.append(ld)
            continue
        names = []
        for suffix, model, exps, ip, iq in PARTS:
            kw, kvar = ld.kw * ld.zipv[ip], ld.kvar * ld.zipv[iq]
            if kw == 0.0 and kvar == 0.0:
                continue
            name = f"{ld.name}.{suffix}"
            names.append(name)
            loads.append(
                dataclasses.replace(
                    ld, name=name, model=model, exps=exps, kw=kw, kvar=kvar, zipv=None
                )
            )
        parts_of[ld.name.lower()] = names
    links = []
    for link in circuit.der.load_links:
        for name in parts_of.get(link.name.lower(), [link.name]):
            links.append(dataclasses.replace(link, name=name))
    der = dataclasses.replace(circuit.der, load_links=tuple(links))
    notes = [
        f"{len(zips)} ZIP load(s) (model 8), first {zips[0].name} ({zips[0].where}): each "
        "written as its constant-impedance, -current and -power parts (dist_loads "
        "NAME.zip_z, NAME.zip_i, NAME.zip_p), OpenDSS's ZIPV model"
    ]
    cut = [ld for ld in zips if ld.zipv[6] > 0.0]
    if cut:
        notes.append(
            f"{len(cut)} ZIP load(s) with a drop-out voltage ZIPV[7] > 0, first {cut[0].name} "
            f"({cut[0].where}, {cut[0].zipv[6]:g}): OpenDSS reduces their current below "
            "ZIPV[7] + 0.04 pu of the load's kV, GAT does not (equal above it)"
        )
    return dataclasses.replace(circuit, loads=tuple(loads), der=der), notes
