"""The object store a script runs into, and the error helpers every command uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from gat_schemas.errors import InputError

from ._lexer import Value

__all__ = ["DssObject", "ScriptState", "fail_at", "note_unsupported"]


@dataclass
class DssObject:
    """One OpenDSS object: its class, name and property assignments in the order written.

    Parameters
    ----------
    cls
        Canonical class name (``line``, ``transformer``, ...).
    name
        Name as first written (matching is case-insensitive).
    where
        ``file:line`` of the ``New`` command.
    assignments
        ``(property, value)`` pairs, property lower case, in the order applied (a ``like=``
        puts the other object's pairs in its place).
    """

    cls: str
    name: str
    where: str
    assignments: list[tuple[str, Value]] = field(default_factory=list)


@dataclass
class ScriptState:
    """Everything the script defined, plus what was recorded on the way.

    ``unsupported`` lists ``(text, (class, name) or None)``: what GAT does not import and the
    object it belongs to (whose reader is then not run, so its absence causes no second
    message). ``bus_coords`` maps lower-case bus names to ``(x, y)`` as written.
    """

    objects: dict[tuple[str, str], DssObject] = field(default_factory=dict)
    circuit: DssObject | None = None
    base_frequency: float = 60.0
    voltage_bases: tuple[float, ...] = ()
    control_mode: str = "auto"
    load_mult: float = 1.0
    #: ``Set EarthModel`` (lower case) for line constants from geometries and cables.
    earth_model: str = "deri"
    notes: list[str] = field(default_factory=list)
    recorded: dict[tuple[str, str], list[tuple[str, Value]]] = field(default_factory=dict)
    unsupported: list[tuple[str, tuple[str, str] | None]] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    line_status: dict[str, str] = field(default_factory=dict)
    bus_coords: dict[str, tuple[float, float]] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    #: ``SetkVBase`` since the last ``CalcVoltageBases``: lower-case bus -> base kV (line to
    #: line), replacing the computed base of that bus.
    kv_base_overrides: dict[str, float] = field(default_factory=dict)


def fail_at(where: str, what: str) -> InputError:
    return InputError(f"{where}: {what}")


def note_unsupported(
    state: ScriptState, where: str, what: str, obj: DssObject | None = None
) -> None:
    key = (obj.cls, obj.name.lower()) if obj is not None else None
    state.unsupported.append((f"{what} ({where})", key))
