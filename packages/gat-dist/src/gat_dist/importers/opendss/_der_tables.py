"""DER, load shapes, capacitor controls and protection of a circuit -> their network tables.

:func:`read_der_elements` reads the objects of the classes in :mod:`._der_classes` (and the
shape links of loads) when the script is parsed; :func:`der_buses` lists the buses DER
connect (they become nodes like any other bus); :func:`der_tables` builds ``load_shapes``,
``der_assets``, ``dist_cap_controls`` and ``switching_devices`` and the ``daily``, ``yearly``,
``duty`` columns of ``dist_loads``. The rules of each mapping are in :mod:`._shapes`,
:mod:`._der`, :mod:`._capcontrol` and :mod:`._protection`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from gat_schemas.errors import InputError

from ._branch_ids import transformer_branch_ids
from ._capcontrol import CapControl, cap_control_rows, read_capcontrol
from ._der import DerUnit, der_rows, read_der
from ._protection import ProtectionDevice, protection_rows, read_protection
from ._script import DssObject
from ._shapes import (
    SHAPE_KINDS,
    LoadShape,
    ShapeLinks,
    builtin_default,
    read_loadshape,
    read_shape_links,
    shape_rows,
)

if TYPE_CHECKING:
    from ._parse import OpenDssCircuit

__all__ = ["DerElements", "der_buses", "der_tables", "read_der_elements"]

_DER_CLASSES = ("pvsystem", "generator", "storage")
_PROTECTION_CLASSES = ("fuse", "recloser", "relay")


@dataclass(frozen=True)
class DerElements:
    """The DER, shapes, controls and protective devices of a circuit, in definition order."""

    shapes: tuple[LoadShape, ...] = ()
    der: tuple[DerUnit, ...] = ()
    cap_controls: tuple[CapControl, ...] = ()
    protection: tuple[ProtectionDevice, ...] = ()
    load_links: tuple[ShapeLinks, ...] = field(default=())


def read_der_elements(
    by_class: Mapping[str, Sequence[DssObject]],
    read: Callable[[Callable[[DssObject], Any], DssObject], Any] | None = None,
) -> DerElements:
    """Read every object of the DER, shape, control and protection classes (and load links).

    ``read(reader, obj)`` calls ``reader(obj)``; the importer passes one that records a
    failure and returns ``None`` (the object is then left out), so every problem of these
    classes joins the one list of the import.
    """

    def each(classes: Sequence[str], reader: Callable[[DssObject], Any]) -> tuple[Any, ...]:
        items = (
            reader(o) if read is None else read(reader, o)
            for c in classes
            for o in by_class.get(c, ())
        )
        return tuple(x for x in items if x is not None)

    return DerElements(
        shapes=each(("loadshape",), read_loadshape),
        der=each(_DER_CLASSES, read_der),
        cap_controls=each(("capcontrol",), read_capcontrol),
        protection=each(_PROTECTION_CLASSES, read_protection),
        load_links=each(("load",), read_shape_links),
    )


def der_buses(elements: DerElements) -> list[tuple[str, tuple[int, ...]]]:
    """``(bus, nodes)`` of every DER."""
    return [(u.bus, u.nodes) for u in elements.der]


def _check_links(links: Sequence[ShapeLinks], kind: str, known: set[str], fname: str) -> list[str]:
    bad = [
        f"{x.name} {k}={getattr(x, k)} ({x.where})"
        for x in links
        for k in SHAPE_KINDS
        if getattr(x, k) is not None and getattr(x, k).lower() not in known
    ]
    if bad:
        raise InputError(
            f"{fname}: {len(bad)} {kind} link(s) to undefined load shapes: {'; '.join(bad[:5])}"
        )
    return bad


def _unique(ids: list[str], what: str, fname: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i.lower() in seen:
            raise InputError(f"{fname}: two {what} named {i!r}; GAT needs unique ids")
        seen.add(i.lower())


def _branches(circuit: OpenDssCircuit) -> dict[tuple[str, str], tuple[str, str]]:
    """(class, lower-case name) -> (``branch_id``, conductor phases in order)."""
    out = {("line", x.name.lower()): (x.name, _letters(x.nodes)) for x in circuit.lines}
    ids = transformer_branch_ids(circuit)
    for t in circuit.transformers:
        out[("transformer", t.name.lower())] = (ids[t.name.lower()], _letters(t.nodes[0]))
    return out


def _letters(nodes: Sequence[int]) -> str:
    return "".join("ABC"[k - 1] for k in nodes)


def der_tables(
    circuit: OpenDssCircuit,
    *,
    bus_names: Mapping[str, str],
    cap_ids: Sequence[str],
    loads: pd.DataFrame | None,
    notes: list[str],
) -> tuple[dict[str, pd.DataFrame], list[tuple[str, str]]]:
    """The tables built from ``circuit.der``, and the ``(path, sha256)`` of shape files read.

    Parameters
    ----------
    circuit
        The parsed circuit (``der`` holds :func:`read_der_elements`'s output; shape files
        are found beside the script files in ``files``).
    bus_names
        Lower-case bus key -> ``node_id``.
    cap_ids
        ``cap_id`` of every capacitor.
    loads
        The ``dist_loads`` table (returned with the link columns when any load names a shape).
    notes
        Import notes (appended to).

    Raises
    ------
    InputError
        Undefined capacitors, branches or shapes; unreadable shape files; duplicate ids.
    """
    elements: DerElements = circuit.der
    files = circuit.files
    branches = _branches(circuit)
    fname = os.path.basename(circuit.source_path)
    out: dict[str, pd.DataFrame] = {}
    shapes = list(elements.shapes)
    _unique([s.name for s in shapes], "load shapes", fname)
    known = {s.name.lower() for s in shapes}
    der_links = [ShapeLinks(u.name, *u.shapes, u.where) for u in elements.der]
    named = {
        getattr(x, k).lower()
        for x in (*elements.load_links, *der_links)
        for k in SHAPE_KINDS
        if getattr(x, k) is not None
    }
    if "default" in named and "default" not in known:
        shapes.append(builtin_default("OpenDSS built-in"))
        known.add("default")
        notes.append(
            "load shape 'default' named but not defined: OpenDSS's built-in 24-hour default "
            "shape exported as load_shapes 'default'"
        )
    _check_links(elements.load_links, "load", known, fname)
    _check_links(der_links, "DER", known, fname)
    table, read = shape_rows(shapes, files, notes)
    if len(table):
        out["load_shapes"] = table
        notes.append(
            f"{len(shapes)} loadshape(s) -> load_shapes ({len(table)} points; "
            "time-series data, not applied by a snapshot power flow)"
        )
    _unique([u.name for u in elements.der], "DER (PVSystem, Generator, Storage)", fname)
    der = der_rows(list(elements.der), dict(bus_names), notes)
    canon = {s.name.lower(): s.name for s in shapes}
    for row in der:
        for kind in SHAPE_KINDS:
            row[kind] = canon[row[kind].lower()] if row[kind] is not None else None
    if der:
        out["der_assets"] = pd.DataFrame(der)
    _unique([c.name for c in elements.cap_controls], "capcontrols", fname)
    caps = {c.lower(): c for c in cap_ids}
    ctl = cap_control_rows(list(elements.cap_controls), caps, dict(branches), notes)
    if ctl:
        out["dist_cap_controls"] = pd.DataFrame(ctl)
    _unique([d.name for d in elements.protection], "fuses/reclosers/relays", fname)
    ids = {k: v[0] for k, v in branches.items()}
    dev = protection_rows(list(elements.protection), ids, notes)
    if dev:
        out["switching_devices"] = pd.DataFrame(dev)
    linked = [x for x in elements.load_links if any(getattr(x, k) for k in SHAPE_KINDS)]
    if loads is not None and linked:
        by_name = {x.name.lower(): x for x in elements.load_links}
        table = loads.copy()
        for kind in SHAPE_KINDS:
            names = [getattr(by_name.get(str(i).lower()), kind, None) for i in table["load_id"]]
            table[kind] = [canon[n.lower()] if n is not None else None for n in names]
        out["dist_loads"] = table
        notes.append(f"{len(linked)} load(s) name load shapes: dist_loads.daily/yearly/duty")
    return out, read
