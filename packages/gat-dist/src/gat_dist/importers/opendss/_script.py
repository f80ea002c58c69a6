"""Run the commands of an OpenDSS script into an object store (no physics here).

The network GAT imports is the circuit **as defined at the end of the script**: every command
is applied in file order, ``Redirect``/``Compile`` read another file (path relative to the
file that names it) in place. The rule for each command:

======================================  ==========================================================
command                                 rule
======================================  ==========================================================
``Clear``                               applied: forgets every object defined so far
``New``, ``Edit``, ``Class.Name.prop=``  applied: define or change an object (``_classes`` lists
                                        the classes and properties read)
``Redirect``, ``Compile``               applied: run another file
``Open Line.X``, ``Close Line.X``       applied: the line's status (other classes unsupported)
``Set DefaultBaseFrequency=``           applied: frequency of the network and of line codes
``Set VoltageBases=``                   applied: node base voltages snap to the nearest
``Set ControlMode=``                    applied: ``OFF`` fixes every regulator tap, ``STATIC``
                                        (the default), ``EVENT`` or ``TIME`` leave them automatic
``Set Mode=snapshot``                   recorded (GAT solves a snapshot); other modes unsupported
``Set MaxIterations/Tolerance/          recorded: solver settings are the solver's options
MaxControlIter=``
``CalcVoltageBases``, ``calcv``         applied: bases are computed from ``VoltageBases``
``Solve``                               recorded: solving is ``gat dist pf --unbalanced``'s job
``BusCoords FILE``                      recorded after checking the file exists (the network
                                        tables have no coordinate columns)
``Show``, ``Export``, ``Plot``,         recorded: output only
``Summary``, ``Visualize``
======================================  ==========================================================

Everything else is collected as unsupported and reported all at once, together with every load
whose ``model`` GAT does not read (1, 2 and 5 are read).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from gat_schemas.errors import InputError

from ._classes import CLASSES, PROPERTY_ALIASES, RECORDED, class_name
from ._lexer import Command, Param, Value, read_commands
from ._values import as_int, as_number, as_numbers

__all__ = ["DssObject", "ScriptState", "run_script"]

_MAX_DEPTH = 20
_OUTPUT_COMMANDS = frozenset({"show", "export", "plot", "summary", "visualize"})
_SOLVER_SETTINGS = frozenset({"maxiterations", "maxiter", "tolerance", "maxcontroliter"})
_CONTROL_MODES = {"off": "fixed", "static": "auto", "event": "auto", "time": "auto"}
#: OpenDSS load models the importer reads (``_elements.read_load`` maps them).
_LOAD_MODELS = (1, 2, 5)
_LOAD_MODELS_READ = "1 (constant P,Q), 2 (constant Z) and 5 (constant current magnitude)"


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
        ``(property, value)`` pairs, property lower case, in the order applied.
    """

    cls: str
    name: str
    where: str
    assignments: list[tuple[str, Value]] = field(default_factory=list)


@dataclass
class ScriptState:
    """Everything the script defined, plus what was recorded on the way."""

    objects: dict[tuple[str, str], DssObject] = field(default_factory=dict)
    circuit: DssObject | None = None
    base_frequency: float = 60.0
    voltage_bases: tuple[float, ...] = ()
    control_mode: str = "auto"
    notes: list[str] = field(default_factory=list)
    recorded: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    line_status: dict[str, str] = field(default_factory=dict)


def _fail(where: str, what: str) -> InputError:
    return InputError(f"{where}: {what}")


def _read(path: Path, where: str) -> tuple[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(where, f"cannot read {path.name} ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.removeprefix("\ufeff"), hashlib.sha256(raw).hexdigest()


def _unsupported(state: ScriptState, where: str, what: str) -> None:
    state.unsupported.append(f"{what} ({where})")


def _split_ref(text: str, where: str) -> tuple[str, str]:
    cls, dot, name = text.partition(".")
    if not dot or not cls or not name:
        raise _fail(where, f"{text!r} is not an object reference Class.Name")
    return class_name(cls), name


def _assign(state: ScriptState, obj: DssObject, params: list[Param], where: str) -> None:
    props = CLASSES[obj.cls]
    for p in params:
        if p.key is None:
            raise _fail(
                p.value.where,
                f"{obj.cls} {obj.name}: positional value {p.value.shown()!r}; write property=value",
            )
        prop = p.key.lower()
        prop = PROPERTY_ALIASES.get((obj.cls, prop), prop)
        if prop not in props:
            # OpenDSS also accepts a prefix of a property name; GAT asks for the full name.
            full = [name for name in props if name.startswith(prop)]
            hint = f", write the full name: {', '.join(full)}" if full else ""
            _unsupported(state, p.value.where, f"property {obj.cls}.{p.key}{hint}")
            continue
        reason = RECORDED.get((obj.cls, prop))
        if reason is not None:
            state.recorded.setdefault((obj.cls, prop), []).append(
                f"{obj.name}={p.value.shown()} ({p.value.where})"
            )
        obj.assignments.append((prop, p.value))


def _new(state: ScriptState, cmd: Command, params: list[Param]) -> None:
    if not params:
        raise _fail(cmd.where, "New without an object")
    first, rest = params[0], params[1:]
    if first.key is not None and first.key.lower() != "object":
        raise _fail(cmd.where, f"New expects Class.Name first, not {first.key}=")
    cls, name = _split_ref(first.value.text, cmd.where)
    if first.value.text.lower().startswith("vsource."):
        _unsupported(state, cmd.where, "a second voltage source (New Vsource)")
        return
    if cls not in CLASSES:
        _unsupported(state, cmd.where, f"object class {first.value.text.partition('.')[0]!r}")
        return
    if cls == "circuit":
        if state.circuit is not None:
            state.notes.append(
                f"New Circuit.{name} ({cmd.where}) replaces circuit {state.circuit.name} and "
                f"its {len(state.objects)} object(s): GAT imports the last circuit"
            )
        state.objects.clear()
        obj = DssObject(cls, name, cmd.where)
        state.circuit = obj
        state.objects[(cls, name.lower())] = obj
        _assign(state, obj, rest, cmd.where)
        return
    if state.circuit is None:
        raise _fail(cmd.where, f"New {cls}.{name} before New Circuit")
    key = (cls, name.lower())
    if key in state.objects:
        raise _fail(cmd.where, f"{cls}.{name} is already defined at {state.objects[key].where}")
    obj = DssObject(cls, name, cmd.where)
    state.objects[key] = obj
    _assign(state, obj, rest, cmd.where)


def _edit(state: ScriptState, cmd: Command, ref: str, params: list[Param]) -> None:
    cls, name = _split_ref(ref, cmd.where)
    if cls == "circuit" and state.circuit is not None and name.lower() == "source":
        name = state.circuit.name
    obj = state.objects.get((cls, name.lower()))
    if obj is None:
        if cls not in CLASSES:
            _unsupported(state, cmd.where, f"object class {ref.partition('.')[0]!r}")
            return
        raise _fail(cmd.where, f"{ref} is not defined")
    _assign(state, obj, params, cmd.where)


def _set(state: ScriptState, cmd: Command, params: list[Param]) -> None:
    for p in params:
        if p.key is None:
            _unsupported(state, p.value.where, f"Set option {p.value.text!r} without a value")
            continue
        opt = p.key.lower()
        if opt == "defaultbasefrequency":
            f = as_number(p.value, p.key)
            if f <= 0:
                raise _fail(p.value.where, f"{p.key}={p.value.shown()} must be positive")
            state.base_frequency = f
        elif opt == "voltagebases":
            bases = as_numbers(p.value, p.key)
            if any(b <= 0 for b in bases):
                raise _fail(p.value.where, f"{p.key}={p.value.shown()}: bases must be positive")
            state.voltage_bases = tuple(sorted(set(bases)))
        elif opt == "controlmode":
            mode = p.value.text.strip().lower()
            if mode not in _CONTROL_MODES:
                _unsupported(state, p.value.where, f"Set ControlMode={p.value.text}")
                continue
            state.control_mode = _CONTROL_MODES[mode]
            state.notes.append(
                f"Set ControlMode={p.value.text} ({p.value.where}): applied, regulator taps "
                + ("fixed" if state.control_mode == "fixed" else "automatic")
            )
        elif opt == "mode":
            if p.value.text.strip().lower() not in ("snap", "snapshot"):
                _unsupported(state, p.value.where, f"Set Mode={p.value.text} (only snapshot)")
                continue
            state.notes.append(f"Set Mode={p.value.text} ({p.value.where}): recorded")
        elif opt in _SOLVER_SETTINGS:
            state.notes.append(
                f"Set {p.key}={p.value.shown()} ({p.value.where}): recorded, not applied "
                "(solver settings are options of the power flow)"
            )
        else:
            _unsupported(state, p.value.where, f"Set option {p.key!r}")


def _open_close(state: ScriptState, cmd: Command, verb: str, params: list[Param]) -> None:
    """``Open Line.NAME [terminal]`` / ``Close ...``: the line's status (both ends)."""
    if not params or any(p.key is not None for p in params) or len(params) > 2:
        raise _fail(cmd.where, f"{verb.title()} expects Class.Name and an optional terminal")
    cls, name = _split_ref(params[0].value.text, cmd.where)
    if cls != "line":
        _unsupported(state, cmd.where, f"{verb.title()} of a {cls} (only lines)")
        return
    if (cls, name.lower()) not in state.objects:
        raise _fail(cmd.where, f"{params[0].value.text} is not defined")
    state.line_status[name.lower()] = "open" if verb == "open" else "closed"
    state.notes.append(f"{verb.title()} {params[0].value.text} ({cmd.where}): applied")


def _file_arg(cmd: Command, params: list[Param], verb: str) -> Value:
    args = [p.value for p in params if p.key is None or p.key.lower() == "file"]
    if len(args) != 1 or len(args) != len(params):
        raise _fail(cmd.where, f"{verb} expects one file name")
    return args[0]


def _run_file(state: ScriptState, path: Path, where: str, stack: tuple[Path, ...]) -> None:
    resolved = path.resolve()
    if resolved in stack:
        raise _fail(where, f"{path.name} redirects to itself (through {len(stack)} files)")
    if len(stack) >= _MAX_DEPTH:
        raise _fail(where, f"Redirect nesting deeper than {_MAX_DEPTH} files")
    text, digest = _read(path, where)
    state.files.append((str(path), digest))
    fname = path.name
    for cmd in read_commands(text, fname):
        _command(state, cmd, path.parent, (*stack, resolved))


def _command(state: ScriptState, cmd: Command, folder: Path, stack: tuple[Path, ...]) -> None:
    first = cmd.params[0]
    if first.key is not None:
        # "Class.Name.prop=value ..." edits an object.
        ref, dot, prop = first.key.rpartition(".")
        if not dot or "." not in ref:
            raise _fail(cmd.where, f"{first.key}= is not a command")
        params = [Param(prop, first.value), *cmd.params[1:]]
        _edit(state, cmd, ref, params)
        return
    verb = first.value.text.lower()
    rest = list(cmd.params[1:])
    if first.value.delim:
        raise _fail(cmd.where, f"{first.value.shown()!r} is not a command")
    if verb == "clear":
        if rest:
            raise _fail(cmd.where, "Clear takes no parameters")
        state.objects.clear()
        state.circuit = None
        state.voltage_bases = ()
        state.control_mode = "auto"
        state.line_status.clear()
    elif verb == "new":
        _new(state, cmd, rest)
    elif verb == "edit":
        if not rest or rest[0].key is not None:
            raise _fail(cmd.where, "Edit expects Class.Name first")
        _edit(state, cmd, rest[0].value.text, rest[1:])
    elif verb in ("redirect", "compile"):
        value = _file_arg(cmd, rest, first.value.text)
        _run_file(state, folder / value.text, value.where, stack)
    elif verb in ("open", "close"):
        _open_close(state, cmd, verb, rest)
    elif verb == "set":
        _set(state, cmd, rest)
    elif verb in ("calcvoltagebases", "calcv"):
        state.notes.append(
            f"{first.value.text} ({cmd.where}): applied (node bases snap to VoltageBases)"
        )
    elif verb == "solve":
        state.notes.append(f"Solve ({cmd.where}): recorded, the network is exported unsolved")
    elif verb in ("buscoords", "buscoord"):
        value = _file_arg(cmd, rest, first.value.text)
        if not (folder / value.text).is_file():
            raise _fail(value.where, f"bus coordinate file {value.text} not found")
        state.notes.append(
            f"BusCoords {value.text} ({cmd.where}): recorded, not imported (the network "
            "tables have no coordinate columns)"
        )
    elif verb in _OUTPUT_COMMANDS:
        state.notes.append(f"{first.value.text} ({cmd.where}): output command, recorded")
    else:
        _unsupported(state, cmd.where, f"command {first.value.text!r}")


def _unsupported_load_models(state: ScriptState) -> bool:
    """List every load whose model (the last ``model=`` assigned) GAT does not read.

    A ``model=`` that is not a whole number is left to the load reader, which names it.
    """
    found = False
    for (cls, _), obj in state.objects.items():
        if cls != "load":
            continue
        value = next((v for prop, v in reversed(obj.assignments) if prop == "model"), None)
        if value is None:
            continue
        try:
            model = as_int(value, "model")
        except InputError:
            continue
        if model not in _LOAD_MODELS:
            _unsupported(state, value.where, f"load {obj.name} model={model}")
            found = True
    return found


def run_script(path: Path) -> ScriptState:
    """Run the script at ``path`` (and the files it redirects to).

    Raises
    ------
    InputError
        A missing or unreadable file (named with the line that refers to it), a syntax error,
        an undefined object in ``Edit``, or, after the whole script has been read, every
        unsupported class, property and command at once.
    """
    state = ScriptState()
    if not path.is_file():
        raise InputError(f"{path}: OpenDSS file not found")
    _run_file(state, path, str(path), ())
    bad_models = _unsupported_load_models(state)
    if state.unsupported:
        shown = "; ".join(state.unsupported[:8])
        more = len(state.unsupported) - 8
        tail = f"; and {more} more" if more > 0 else ""
        if bad_models:
            tail += f"; GAT reads load models {_LOAD_MODELS_READ}"
        n = len(state.unsupported)
        raise InputError(f"{path.name}: {n} unsupported OpenDSS input(s): {shown}{tail}")
    if state.circuit is None:
        raise InputError(f"{path.name}: no New Circuit in the script")
    for (cls, prop), uses in state.recorded.items():
        state.notes.append(
            f"{cls}.{prop} on {len(uses)} object(s), first {uses[0]}: recorded, not modelled "
            f"({RECORDED[(cls, prop)]})"
        )
    _note_default_voltage_limits(state)
    return state


def _note_default_voltage_limits(state: ScriptState) -> None:
    """Name the loads that leave ``vminpu``/``vmaxpu`` at OpenDSS's defaults: OpenDSS changes
    their model outside 0.95..1.05 pu, GAT does not (the explicit values are recorded above)."""
    bare = [
        obj
        for (cls, _), obj in state.objects.items()
        if cls == "load" and not {"vminpu", "vmaxpu"} <= {prop for prop, _ in obj.assignments}
    ]
    if bare:
        state.notes.append(
            f"{len(bare)} load(s) without vminpu= or vmaxpu=, first {bare[0].name} "
            f"({bare[0].where}): OpenDSS's defaults 0.95 and 1.05 pu switch a load to constant "
            "impedance outside that range; GAT keeps the load model at every voltage"
        )
