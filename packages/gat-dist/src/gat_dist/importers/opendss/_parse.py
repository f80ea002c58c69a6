"""``parse_opendss``: run an OpenDSS script and read its elements into an :class:`OpenDssCircuit`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gat_schemas.errors import InputError

from ._centertap import is_center_tap, read_center_tap
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
from ._geometry import geometry_codes
from ._script import run_script
from ._windings import RegControl, Transformer, read_regcontrol, read_transformer

__all__ = ["OpenDssCircuit", "parse_opendss"]


@dataclass(frozen=True)
class OpenDssCircuit:
    """The circuit an OpenDSS script defines, in OpenDSS units (kV, kVA, kW, ohm, nF, %).

    Parameters
    ----------
    name
        Circuit name (``New Circuit.NAME``).
    source
        The voltage source (an ideal slack in GAT).
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
    elements
        Elements of other classes by class (``centertap``: center-tapped transformers).
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
    elements: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def sha256(self) -> str:
        """SHA-256 of the main file."""
        return self.files[0][1]


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
    InputError
        One line naming file and line: syntax errors, missing files, undefined line codes or
        objects, values that cannot be used, and (listed together) every unsupported class,
        property or command.
    """
    state = run_script(Path(path))
    assert state.circuit is not None  # run_script guarantees a circuit
    source = read_source(state.circuit)
    by_class: dict[str, list] = {}
    for (cls, _), obj in state.objects.items():
        by_class.setdefault(cls, []).append(obj)
    xf_codes = {o.name.lower(): o for o in by_class.get("xfmrcode", [])}
    centertaps = [o for o in by_class.get("transformer", []) if is_center_tap(o, xf_codes)]
    by_class["transformer"] = [
        o for o in by_class.get("transformer", []) if not is_center_tap(o, xf_codes)
    ]
    codes = {o.name.lower(): read_linecode(o) for o in by_class.get("linecode", [])}
    frequency = source.frequency or state.base_frequency
    codes.update(geometry_codes(by_class, by_class.get("line", []), frequency))
    lines = tuple(
        read_line(o, codes, state.line_status.get(o.name.lower(), "closed"))
        for o in by_class.get("line", [])
    )
    for what, items in (("linecode", codes.values()), ("line", lines)):
        for item in items:
            f = item.base_frequency
            if f is not None and abs(f - frequency) > 1e-9:
                raise InputError(
                    f"{item.where}: {what} {item.name}: basefreq={f:g} differs from the "
                    f"circuit frequency {frequency:g} Hz (GAT does not rescale reactances)"
                )
    return OpenDssCircuit(
        name=state.circuit.name,
        source=source,
        frequency_hz=frequency,
        voltage_bases=state.voltage_bases,
        control_mode=state.control_mode,
        linecodes=MappingProxyType(codes),
        lines=lines,
        loads=tuple(read_load(o) for o in by_class.get("load", [])),
        transformers=tuple(read_transformer(o) for o in by_class.get("transformer", [])),
        regcontrols=tuple(read_regcontrol(o) for o in by_class.get("regcontrol", [])),
        capacitors=tuple(read_capacitor(o) for o in by_class.get("capacitor", [])),
        notes=tuple(state.notes),
        files=tuple(state.files),
        source_path=str(path),
        elements=MappingProxyType(
            {"centertap": tuple(read_center_tap(o, xf_codes) for o in centertaps)}
        ),
    )
