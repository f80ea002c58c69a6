"""``parse_opendss``: run an OpenDSS script and read its elements into an :class:`OpenDssCircuit`.

Every problem is collected before anything is reported: the script run lists what GAT does not
support (:mod:`._script`), then every element is read by its class's reader (:data:`READERS`)
and every failure is added, so one import names every input that needs attention
(:class:`OpenDssImportError`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gat_schemas.errors import InputError

from ._centertap import is_center_tap, read_center_tap, with_code
from ._classes import ELEMENT_CLASSES
from ._der_tables import DerElements, read_der_elements
from ._elements import (
    Capacitor,
    Line,
    LineCode,
    Load,
    Source,
    read_capacitor,
    read_line,
    read_linecode,
    read_load,
    read_source,
)
from ._gc import cyclic_gc_paused
from ._geometry import geometry_codes
from ._props import UnsupportedInput, enabled
from ._reactor import read_reactor
from ._script import DssObject, ScriptState, run_script
from ._shapes import actual_peaks
from ._windings import RegControl, Transformer, read_regcontrol, read_transformer

__all__ = ["READERS", "OpenDssCircuit", "OpenDssImportError", "parse_opendss"]

#: Problems shown in the one-line message; the error's ``problems`` holds all of them.
SHOWN = 8

#: Class -> reader of one object. Readers of the classes with their own field in
#: :class:`OpenDssCircuit` are listed here too; a class added by another module registers its
#: reader here and finds its elements in ``OpenDssCircuit.elements[class]``. (``line`` needs
#: the line codes and is read separately.)
READERS: dict[str, Callable[[DssObject], Any]] = {
    "linecode": read_linecode,
    "load": read_load,
    "transformer": read_transformer,
    "regcontrol": read_regcontrol,
    "capacitor": read_capacitor,
}


class OpenDssImportError(InputError):
    """Every problem found in one import (``problems``: one line each, file and line named).

    ``unsupported`` counts the problems that are valid OpenDSS GAT does not model; the others
    are invalid values or references.
    """

    def __init__(self, message: str, problems: tuple[str, ...], unsupported: int) -> None:
        super().__init__(message)
        self.problems = problems
        self.unsupported = unsupported


@dataclass(frozen=True)
class OpenDssCircuit:
    """The circuit an OpenDSS script defines, in OpenDSS units (kV, kVA, kW, ohm, nF, %).

    Parameters
    ----------
    name
        Circuit name (``New Circuit.NAME``).
    source
        The voltage source (EMF and Thevenin impedance).
    frequency_hz
        System frequency (the source's ``frequency``, else ``DefaultBaseFrequency``, else 60).
    voltage_bases
        ``Set VoltageBases`` (kV line to line, sorted), possibly empty.
    control_mode
        ``"auto"`` (OpenDSS ``STATIC``, ``EVENT``, ``TIME``) or ``"fixed"`` (``OFF``).
    linecodes
        Line codes by lower-case name.
    lines, loads, transformers, regcontrols, capacitors
        Elements in definition order.
    notes
        What was recorded rather than applied (commands, properties), in plain words.
    files
        ``(path, sha256)`` of every file read, the main file first.
    source_path
        The main file, as given.
    der
        PVSystems, Generators, Storage, LoadShapes, CapControls, Fuses, Reclosers, Relays and
        the shape links of loads (:mod:`._der_tables`).
    bus_coords
        ``(x, y)`` by lower-case bus name, from ``BusCoords`` (as written in the file).
    elements
        Elements of every class in :data:`READERS` (by class), in definition order, and
        ``centertap`` (center-tapped transformers, :mod:`._centertap`).
    """

    name: str
    source: Source
    frequency_hz: float
    voltage_bases: tuple[float, ...]
    control_mode: str
    linecodes: Mapping[str, LineCode]
    lines: tuple[Line, ...]
    loads: tuple[Load, ...]
    transformers: tuple[Transformer, ...]
    regcontrols: tuple[RegControl, ...]
    capacitors: tuple[Capacitor, ...]
    notes: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    source_path: str
    bus_coords: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    elements: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: MappingProxyType({}))

    der: DerElements = field(default_factory=DerElements)
    #: ``SetkVBase`` still in force at the end: lower-case bus -> base kV (line to line).
    kv_base_overrides: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def sha256(self) -> str:
        """SHA-256 of the main file."""
        return self.files[0][1]


_AT = re.compile(r"[^:\s]+:\d+$")


def _named(message: str, obj: DssObject) -> str:
    """``message`` naming the element it is about: ``file:line: class name: ...`` (a value
    reader such as a bus name's names only the property; K1's ``bus=K_LSB.1.2.3.4``)."""
    if obj.name.lower() in message.lower():
        return message
    head, sep, rest = message.partition(": ")
    if sep and _AT.match(head):
        return f"{head}: {obj.cls} {obj.name}: {rest}"
    return f"{obj.cls} {obj.name}: {message}"


class _Problems:
    """Unsupported input and invalid values, in the order found."""

    def __init__(self, state: ScriptState) -> None:
        self.unsupported = [text for text, _ in state.unsupported]
        self.invalid: list[str] = []
        self.skip = {key for _, key in state.unsupported if key is not None}

    def read(self, reader: Callable[[DssObject], Any], obj: DssObject) -> Any:
        try:
            return reader(obj)
        except UnsupportedInput as exc:
            self.unsupported.append(_named(str(exc), obj))
        except InputError as exc:
            self.invalid.append(_named(str(exc), obj))
        return None

    def raise_any(self, fname: str, hints: list[str]) -> None:
        problems = tuple(self.unsupported + self.invalid)
        if not problems:
            return
        if len(problems) == 1 and self.invalid:
            raise OpenDssImportError(problems[0], problems, 0)
        n, u = len(problems), len(self.unsupported)
        head = (
            f"{n} unsupported OpenDSS input(s)"
            if u == n
            else f"{n} OpenDSS input(s) GAT cannot import ({u} unsupported, {n - u} invalid)"
        )
        shown = "; ".join(problems[:SHOWN])
        tail = f"; and {n - SHOWN} more" if n > SHOWN else ""
        tail += "".join(f"; {h}" for h in hints)
        raise OpenDssImportError(f"{fname}: {head}: {shown}{tail}", problems, u)


def _check_regcontrols(
    problems: _Problems, regs: list[RegControl], xfs: dict[str, Transformer], defined: set[str]
) -> None:
    """Regulator controls GAT cannot model, named with the control's line (a control of a
    transformer that could not be read is left out: that transformer is already listed)."""
    used: dict[str, str] = {}
    for rc in regs:
        t = xfs.get(rc.transformer.lower())
        if t is None and rc.transformer.lower() in defined:
            continue
        if t is None:
            problems.invalid.append(
                f"{rc.where}: regcontrol {rc.name}: transformer {rc.transformer} is not defined"
            )
            continue
        # Any connection: the PT reads winding 2's phase ptphase (to ground on a wye, to
        # the next phase on a delta) and every phase's winding-2 tap moves together, as on
        # OpenDSS's delta-wye and wye-delta banks (measured: test_data/opendss/xfmr2/ltc.dss).
        if rc.pt_bus is not None and (
            rc.pt_bus.lower() != t.buses[1].lower() or t.conns[1] == "delta"
        ):
            problems.unsupported.append(
                f"{rc.where}: regcontrol {rc.name}: bus={rc.pt_bus}: GAT's PT reads the "
                f"regulated winding ({t.name}'s winding 2, {t.conns[1]} on bus {t.buses[1]}); "
                "a PT on another bus, or to ground beside a delta winding, is not modelled"
            )
        elif rc.pt_bus is not None and rc.pt_node not in t.nodes[1]:
            problems.invalid.append(
                f"{rc.where}: regcontrol {rc.name}: bus={rc.pt_bus}.{rc.pt_node}: node "
                f"{rc.pt_node} is not on {t.name}'s winding 2"
            )
        elif rc.ptphase > t.phases:
            problems.invalid.append(
                f"{rc.where}: regcontrol {rc.name}: ptphase={rc.ptphase} but {t.name} has "
                f"{t.phases} phase(s)"
            )
        if t.name.lower() in used:
            problems.invalid.append(
                f"{rc.where}: regcontrol {rc.name}: transformer {t.name} already has "
                f"regcontrol {used[t.name.lower()]}"
            )
        used[t.name.lower()] = rc.name


def _disabled_notes(disabled: list[DssObject]) -> list[str]:
    """Import notes naming the disabled elements (``enabled=no``), by class."""
    by_cls: dict[str, list[DssObject]] = {}
    for obj in disabled:
        by_cls.setdefault(obj.cls, []).append(obj)
    out = []
    for cls, objs in by_cls.items():
        shown = ", ".join(f"{o.name} ({o.where})" for o in objs[:5])
        more = f" and {len(objs) - 5} more" if len(objs) > 5 else ""
        what = (
            "open branches (a line out of the circuit carries no current)"
            if cls == "line"
            else "left out (not in OpenDSS's circuit)"
        )
        out.append(f"{len(objs)} disabled {cls}(s) (enabled=no): {shown}{more}: {what}")
    return out


def parse_opendss(path: str | os.PathLike[str]) -> OpenDssCircuit:
    """Run an OpenDSS script and read the circuit it defines.

    Parameters
    ----------
    path
        The ``.dss`` file. ``Redirect``/``Compile`` paths are relative to the file naming them.

    Returns
    -------
    OpenDssCircuit
        The circuit as defined at the end of the script.

    Raises
    ------
    OpenDssImportError
        Every unsupported class, property and command and every element that cannot be read,
        in one error (its ``problems`` lists them all, each naming file and line; the message
        shows the count and the first few).
    InputError
        Syntax errors and missing files (the script cannot be run further).
    """
    with cyclic_gc_paused():  # see ._gc: the script run allocates most of the objects
        state = run_script(Path(path))
    fname = Path(path).name
    problems = _Problems(state)
    if state.circuit is None:
        problems.invalid.append(f"{fname}: no New Circuit in the script")
        problems.raise_any(fname, state.hints)
    assert state.circuit is not None
    source = problems.read(read_source, state.circuit)
    by_class: dict[str, list[DssObject]] = {}
    disabled = []
    for (cls, _), obj in state.objects.items():
        if cls in ELEMENT_CLASSES and not problems.read(enabled, obj):
            disabled.append(obj)
            if cls != "line":
                continue
        by_class.setdefault(cls, []).append(obj)
    notes = [*state.notes, *_disabled_notes(disabled)]
    xf_codes = {o.name.lower(): o for o in by_class.get("xfmrcode", [])}
    centertaps = [o for o in by_class.get("transformer", []) if is_center_tap(o, xf_codes)]
    by_class["transformer"] = [
        with_code(o, xf_codes)
        for o in by_class.get("transformer", [])
        if not is_center_tap(o, xf_codes)
    ]

    def read_all(cls: str, reader: Callable[[DssObject], Any]) -> list[Any]:
        out = []
        for obj in by_class.get(cls, []):
            if (cls, obj.name.lower()) in problems.skip:
                continue
            item = problems.read(reader, obj)
            if item is not None:
                out.append(item)
        return out

    # Loads linking to a useactual=yes shape take its peak (OpenDSS, see _loadpower).
    peaks = actual_peaks(by_class.get("loadshape", []), tuple(state.files))
    readers = {**READERS, "load": lambda o: read_load(o, peaks)} if peaks else READERS
    read = {cls: read_all(cls, reader) for cls, reader in readers.items()}
    codes = {o.name.lower(): o for o in read["linecode"]}
    geo_f = (source.frequency if source is not None else None) or state.base_frequency
    # A line with unsupported input (CNData cables) is skipped; others' errors are each
    # recorded, so one bad line does not leave every geometry line without its code.
    geo_lines = [
        o for o in by_class.get("line", []) if ("line", o.name.lower()) not in problems.skip
    ]
    geo_failed: list[str] = []

    def geo_read(reader: Callable[[DssObject], Any], obj: DssObject) -> Any:
        item = problems.read(reader, obj)
        if item is None and obj.cls == "line":
            geo_failed.append(obj.name.lower())  # named once: not read again as a line
        return item

    geo = problems.read(
        lambda _: geometry_codes(by_class, geo_lines, geo_f, geo_read, state.earth_model),
        state.circuit,
    )
    problems.skip.update(("line", n) for n in geo_failed)
    codes.update(geo or {})
    status = dict(state.line_status)
    status.update({o.name.lower(): "open" for o in disabled if o.cls == "line"})
    lines = read_all("line", lambda o: read_line(o, codes, status.get(o.name.lower(), "closed")))
    lines += read_all("reactor", read_reactor)
    xfs = {t.name.lower(): t for t in read["transformer"]}
    transformer_names = {n for c, n in state.objects if c == "transformer"}
    _check_regcontrols(problems, read["regcontrol"], xfs, transformer_names)
    center = [problems.read(lambda o: read_center_tap(o, xf_codes), o) for o in centertaps]
    center = [c for c in center if c is not None]
    frequency = (source.frequency if source is not None else None) or state.base_frequency
    for what, items in (("linecode", codes.values()), ("line", lines)):
        for item in items:
            f = item.base_frequency
            if f is not None and abs(f - frequency) > 1e-9:
                problems.invalid.append(
                    f"{item.where}: {what} {item.name}: basefreq={f:g} differs from the "
                    f"circuit frequency {frequency:g} Hz (GAT does not rescale reactances)"
                )
    der = read_der_elements(by_class, problems.read)
    problems.raise_any(fname, state.hints)
    assert source is not None
    loads = tuple(read["load"])
    if state.load_mult != 1.0:
        m = state.load_mult
        loads = tuple(dataclasses.replace(ld, kw=ld.kw * m, kvar=ld.kvar * m) for ld in loads)
        notes.append(
            f"Set LoadMult={m:g}: applied, the kW and kvar of all {len(loads)} load(s) "
            "multiplied by it (dist_loads holds the scaled values)"
        )
    if not source.basekv_given:
        notes.append(
            f"source {source.name} ({source.where}): no basekv=, OpenDSS's default "
            f"{source.basekv:g} kV applied"
        )
    return OpenDssCircuit(
        name=state.circuit.name,
        source=source,
        frequency_hz=frequency,
        voltage_bases=state.voltage_bases,
        control_mode=state.control_mode,
        linecodes=MappingProxyType(codes),
        lines=tuple(lines),
        loads=loads,
        transformers=tuple(read["transformer"]),
        regcontrols=tuple(read["regcontrol"]),
        capacitors=tuple(read["capacitor"]),
        notes=tuple(notes),
        files=tuple(state.files),
        source_path=str(path),
        der=der,
        bus_coords=MappingProxyType(dict(state.bus_coords)),
        kv_base_overrides=MappingProxyType(dict(state.kv_base_overrides)),
        elements=MappingProxyType(
            {
                **{cls: tuple(items) for cls, items in read.items()},
                "centertap": tuple(center),
            }
        ),
    )
