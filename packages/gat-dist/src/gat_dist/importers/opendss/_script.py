"""Run the commands of an OpenDSS script into an object store (no physics here).

The network GAT imports is the circuit **as defined at the end of the script**: every command
is applied in file order, ``Redirect``/``Compile`` read another file (path relative to the
file that names it) in place. The rule for each command (the dispatch table is
:data:`COMMANDS`):

======================================  ==========================================================
command                                 rule
======================================  ==========================================================
``Clear``                               applied: forgets every object defined so far
``New``, ``Edit``, ``Class.Name.prop=``  applied: define or change an object (``_classes`` lists
                                        the classes and properties read); ``like=OTHER`` (any
                                        class) copies OTHER's properties at that point
``BatchEdit Class.regex prop=..``       applied: the edit on every object of the class whose name
                                        matches the regular expression
``Redirect``, ``Compile``               applied: run another file
``Open``/``Close Class.Name [term=]N``  applied to lines and switches: the branch's status (a
                                        branch open at either terminal carries no current);
                                        other classes unsupported
``Set DefaultBaseFrequency=``           applied: frequency of the network and of line codes
``Set VoltageBases=``                   applied: node base voltages snap to the nearest
``Set ControlMode=``                    applied: ``OFF`` fixes every regulator tap, ``STATIC``
                                        (the default), ``EVENT`` or ``TIME`` leave them automatic
``Set LoadMult=``                       applied: every load's kW and kvar are multiplied by it
                                        (OpenDSS's snapshot load multiplier; the last value
                                        set counts, also for loads defined after it)
``Disable``/``Enable Class.Name``       applied: ``enabled=no``/``yes`` on the element (a
                                        disabled element is not in the circuit, see
                                        :mod:`._parse`)
``Set Mode=``                           recorded (GAT imports the network; a time series is not
                                        run)
other ``Set`` options                   recorded when :data:`._runtime.RUNTIME_OPTIONS` names them
                                        (an option may be abbreviated, as OpenDSS allows, when
                                        the prefix names one option: ``maxcontrol``)
``CalcVoltageBases``, ``calcv``         applied: bases are computed from ``VoltageBases``
``SetkVBase bus= kVLL=|kVLN=``          applied: that bus's base (until the next ``calcv``)
``BusCoords FILE``                      applied: ``x``, ``y`` of the nodes it names
run-time commands                       recorded (:data:`._runtime.RUNTIME_COMMANDS`: ``Solve``,
                                        ``Show``, ``Plot``, ``Export``, ``Interpolate``, ...)
``New EnergyMeter``/``Monitor``         recorded (:data:`._runtime.RECORDED_CLASSES`)
======================================  ==========================================================

Everything else is collected as unsupported (:attr:`ScriptState.unsupported`) and reported
together with every problem the element readers find (see :mod:`._parse`), including every load
whose ``model`` GAT does not read (1, 2 and 5 are read).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from gat_schemas.errors import InputError

from ._classes import CLASSES, PROPERTY_ALIASES, RECORDED, class_name
from ._coords import read_bus_coords
from ._dss_order import PROPERTY_ORDER
from ._lexer import Command, Param, Value, read_commands
from ._options import set_kv_base, set_options
from ._runtime import RECORDED_CLASSES, RUNTIME_COMMANDS
from ._state import DssObject, ScriptState
from ._state import fail_at as _fail
from ._state import note_unsupported as _unsupported
from ._values import as_int

__all__ = ["COMMANDS", "DssObject", "ScriptState", "run_script"]

_MAX_DEPTH = 20
#: OpenDSS load models the importer reads (``_elements.read_load`` maps them).
_LOAD_MODELS = (1, 2, 3, 4, 5, 6, 7, 8)
_LOAD_MODELS_READ = "1 to 8 (model 4 with any CVRwatts and CVRvars)"
#: General objects OpenDSS lets a script define before ``New Circuit`` (load shapes, wire
#: data, spacings, transformer codes; checked with opendssdirect: ``LineCode`` and
#: ``LineGeometry`` need a circuit); they belong to the circuit defined next.
_BEFORE_CIRCUIT = frozenset({"loadshape", "wiredata", "linespacing", "xfmrcode"})
#: Classes whose objects can be opened and closed (their status is a branch's status).
_SWITCHABLE = frozenset({"line"})


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


def _split_ref(text: str, where: str) -> tuple[str, str]:
    cls, dot, name = text.partition(".")
    if not dot or not cls or not name:
        raise _fail(where, f"{text!r} is not an object reference Class.Name")
    return class_name(cls), name


def _like(state: ScriptState, obj: DssObject, value: Value) -> None:
    """``like=OTHER``: OTHER's assignments (of the same class) applied in place."""
    other = state.objects.get((obj.cls, value.text.strip().lower()))
    if other is None:
        raise _fail(value.where, f"{obj.cls} {obj.name}: like={value.text}: not defined")
    obj.assignments.extend(other.assignments)


#: :data:`PROPERTY_ALIASES` and :data:`RECORDED` by class (looked up once per command).
_ALIASES_BY_CLASS: dict[str, dict[str, str]] = {}
for (_cls, _alias), _prop in PROPERTY_ALIASES.items():
    _ALIASES_BY_CLASS.setdefault(_cls, {})[_alias] = _prop
_RECORDED_BY_CLASS: dict[str, frozenset[str]] = {
    _cls: frozenset(p for c, p in RECORDED if c == _cls) for _cls, _ in RECORDED
}
#: Class -> property -> its place in OpenDSS's property order (:mod:`._dss_order`).
_POSITION = {
    cls: {prop: i for i, prop in enumerate(order)} for cls, order in PROPERTY_ORDER.items()
}


def _property(cls: str, key: str) -> str:
    """The property ``key`` names: an alias's property, the name itself, or (OpenDSS's rule
    for a name that is not a full name) the first property in OpenDSS's order that starts
    with it (``gmr`` is ``gmrac``); else ``key`` (then unknown)."""
    key = _ALIASES_BY_CLASS.get(cls, {}).get(key, key)
    if key in CLASSES[cls] or key in _POSITION.get(cls, {}):
        return key
    full = next((name for name in PROPERTY_ORDER.get(cls, ()) if name.startswith(key)), None)
    if full is None:
        return key
    return _ALIASES_BY_CLASS.get(cls, {}).get(full, full)


def _assign(state: ScriptState, obj: DssObject, params: list[Param], where: str) -> None:
    cls = obj.cls
    props = CLASSES[cls]
    order = PROPERTY_ORDER.get(cls, ())
    rank = _POSITION.get(cls, {})
    recorded = _RECORDED_BY_CLASS.get(cls, frozenset())
    assignments = obj.assignments
    pos = -1  # a value without a name sets the property after the one set last (OpenDSS)
    for p in params:
        if p.key is None and pos + 1 >= len(order):
            raise _fail(
                p.value.where,
                f"{obj.cls} {obj.name}: positional value {p.value.shown()!r}; write property=value",
            )
        prop = order[pos + 1] if p.key is None else _property(cls, p.key.lower())
        pos = rank.get(prop, len(order))
        if prop == "like":
            _like(state, obj, p.value)
            continue
        if prop not in props:
            named = f"{p.key} ({prop})" if p.key is not None and p.key.lower() != prop else prop
            if p.key is None:
                named = f"{prop} (positional value {p.value.shown()!r})"
            _unsupported(state, p.value.where, f"property {obj.cls}.{named}", obj)
            continue
        if prop in recorded:
            state.recorded.setdefault((cls, prop), []).append((obj.name, p.value))
        assignments.append((prop, p.value))


def _record_object(state: ScriptState, cmd: Command, cls: str, name: str, verb: str) -> None:
    state.notes.append(
        f"{verb} {cls}.{name} ({cmd.where}): recorded, not imported ({RECORDED_CLASSES[cls]})"
    )


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
    if cls in RECORDED_CLASSES:
        _record_object(state, cmd, cls, name, "New")
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
        _forget(state, keep_general=state.circuit is None)
        obj = DssObject(cls, name, cmd.where)
        state.circuit = obj
        state.objects[(cls, name.lower())] = obj
        _assign(state, obj, rest, cmd.where)
        return
    if state.circuit is None and cls not in _BEFORE_CIRCUIT:
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
    if cls in RECORDED_CLASSES:
        _record_object(state, cmd, cls, name, "Edit")
        return
    obj = state.objects.get((cls, name.lower()))
    if obj is None:
        if cls not in CLASSES:
            _unsupported(state, cmd.where, f"object class {ref.partition('.')[0]!r}")
            return
        raise _fail(cmd.where, f"{ref} is not defined")
    _assign(state, obj, params, cmd.where)


def _batch_edit(state: ScriptState, cmd: Command, params: list[Param]) -> None:
    """``BatchEdit Class.regex prop=value ...``: edit every object of the class whose name the
    regular expression matches anywhere (``Load..*``: every load)."""
    if not params or params[0].key is not None:
        raise _fail(cmd.where, "BatchEdit expects Class.pattern first")
    text = params[0].value.text
    # OpenDSS: the class ends at the first dot, the rest is the regular expression searched
    # in each name (Load..* is class Load, pattern .*; checked against OpenDSS).
    cls_text, dots, pattern = text.partition(".")
    if not dots:
        raise _fail(cmd.where, f"BatchEdit {text}: write Class.pattern (Load..* for every load)")
    cls = class_name(cls_text)
    if cls not in CLASSES:
        _unsupported(state, cmd.where, f"BatchEdit of class {cls_text!r}")
        return
    try:
        rx = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise _fail(cmd.where, f"BatchEdit {text}: bad pattern ({exc})") from None
    hits = [o for (c, _), o in state.objects.items() if c == cls and rx.search(o.name)]
    for obj in hits:
        _assign(state, obj, list(params[1:]), cmd.where)
    state.notes.append(f"BatchEdit {text} ({cmd.where}): applied to {len(hits)} {cls}(s)")


def _open_close(state: ScriptState, cmd: Command, verb: str, params: list[Param]) -> None:
    """``Open Class.NAME [term=]N`` / ``Close ...``: the status of a line or switch."""
    terms = [p for p in params[1:] if p.key is None or p.key.lower() in ("term", "terminal")]
    if not params or params[0].key is not None or len(terms) != len(params) - 1 or len(terms) > 1:
        raise _fail(cmd.where, f"{verb.title()} expects Class.Name and an optional terminal")
    ref = params[0].value.text
    cls, name = _split_ref(ref, cmd.where)
    term = ""
    if terms:
        n = as_int(terms[0].value, "terminal")
        if n not in (1, 2):
            raise _fail(cmd.where, f"{verb.title()} {ref}: terminal {n}; a line has terminals 1, 2")
        term = f" terminal {n}"
    if cls not in _SWITCHABLE:
        _unsupported(state, cmd.where, f"{verb.title()} of a {cls} (only lines and switches)")
        return
    if (cls, name.lower()) not in state.objects:
        raise _fail(cmd.where, f"{ref} is not defined")
    state.line_status[name.lower()] = "open" if verb == "open" else "closed"
    state.notes.append(f"{verb.title()} {ref}{term} ({cmd.where}): applied to the whole branch")


def _enable(state: ScriptState, cmd: Command, verb: str, params: list[Param]) -> None:
    """``Disable Class.Name`` / ``Enable Class.Name``: ``enabled=no``/``yes`` on the element."""
    if len(params) != 1 or params[0].key is not None:
        raise _fail(cmd.where, f"{verb.title()} expects one Class.Name")
    flag = Value("no" if verb == "disable" else "yes", "", cmd.fname, cmd.line)
    _edit(state, cmd, params[0].value.text, [Param("enabled", flag)])


def _file_arg(cmd: Command, params: list[Param], verb: str) -> Value:
    args = [p.value for p in params if p.key is None or p.key.lower() == "file"]
    if len(args) != 1 or len(args) != len(params):
        raise _fail(cmd.where, f"{verb} expects one file name")
    return args[0]


def _same_but_case(path: Path) -> Path | None:
    """The one file in ``path``'s folder whose name equals ``path.name`` but for case."""
    try:
        found = [p for p in path.parent.iterdir() if p.name.lower() == path.name.lower()]
    except OSError:
        return None
    return found[0] if len(found) == 1 and found[0].is_file() else None


def _run_file(state: ScriptState, path: Path, where: str, stack: tuple[Path, ...]) -> None:
    if not path.exists() and (other := _same_but_case(path)) is not None:
        # EPRI's scripts were written where file names ignore case (Run_8500Node.dss
        # compiles master.dss; the file is Master.dss).
        state.notes.append(
            f"{where}: {path.name} read as {other.name} (file names differ only in case)"
        )
        path = other
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


def _forget(state: ScriptState, *, keep_general: bool = False) -> None:
    """Forget the circuit and its objects; with ``keep_general`` the general objects defined
    before it (:data:`_BEFORE_CIRCUIT`) stay, as OpenDSS keeps them for the next circuit."""
    kept = {k: o for k, o in state.objects.items() if keep_general and k[0] in _BEFORE_CIRCUIT}
    state.objects.clear()
    state.objects.update(kept)
    state.circuit = None
    state.line_status.clear()
    recorded = {
        key: [(name, v) for name, v in uses if (key[0], name.lower()) in kept]
        for key, uses in state.recorded.items()
    }
    state.recorded = {key: uses for key, uses in recorded.items() if uses}
    state.unsupported = [u for u in state.unsupported if u[1] is None or u[1] in kept]


#: A command handler: (state, command, its parameters after the verb, folder, file stack).
Handler = Callable[[ScriptState, Command, list[Param], Path, tuple[Path, ...]], None]


def _clear(state: ScriptState, cmd: Command, rest: list[Param], *_: object) -> None:
    if rest:
        raise _fail(cmd.where, "Clear takes no parameters")
    _forget(state)
    state.voltage_bases = ()
    state.control_mode = "auto"
    state.load_mult = 1.0
    state.bus_coords.clear()
    state.kv_base_overrides.clear()


def _edit_cmd(state: ScriptState, cmd: Command, rest: list[Param], *_: object) -> None:
    if not rest or rest[0].key is not None:
        raise _fail(cmd.where, "Edit expects Class.Name first")
    _edit(state, cmd, rest[0].value.text, rest[1:])


def _redirect(
    state: ScriptState, cmd: Command, rest: list[Param], folder: Path, stack: tuple[Path, ...]
) -> None:
    value = _file_arg(cmd, rest, cmd.params[0].value.text)
    _run_file(state, folder / value.text, value.where, stack)


def _calcv(state: ScriptState, cmd: Command, *_: object) -> None:
    state.kv_base_overrides.clear()  # OpenDSS computes every base again (SetkVBase lost)
    state.notes.append(
        f"{cmd.params[0].value.text} ({cmd.where}): applied (node bases snap to VoltageBases)"
    )


def _bus_coords(
    state: ScriptState, cmd: Command, rest: list[Param], folder: Path, *_: object
) -> None:
    value = _file_arg(cmd, rest, cmd.params[0].value.text)
    coords = read_bus_coords(folder / value.text, value.where)
    state.bus_coords.update(coords)
    state.notes.append(
        f"BusCoords {value.text} ({cmd.where}): applied, {len(coords)} bus coordinates "
        "(dist_nodes x, y, in the file's unit)"
    )


def _runtime(state: ScriptState, cmd: Command, *_: object) -> None:
    state.notes.append(
        f"{cmd.params[0].value.text} ({cmd.where}): run-time command, recorded (it changes no "
        "element)"
    )


#: Command (lower case) -> handler. Modules adding commands register them here.
COMMANDS: dict[str, Handler] = {
    "clear": _clear,
    "clearall": _clear,  # OpenDSS: Clear for every circuit; GAT holds one
    "new": lambda s, c, r, *_: _new(s, c, r),
    "edit": _edit_cmd,
    "batchedit": lambda s, c, r, *_: _batch_edit(s, c, r),
    "redirect": _redirect,
    "compile": _redirect,
    "open": lambda s, c, r, *_: _open_close(s, c, "open", r),
    "close": lambda s, c, r, *_: _open_close(s, c, "close", r),
    "set": lambda s, c, r, *_: set_options(s, c, r),
    "setkvbase": lambda s, c, r, *_: set_kv_base(s, c, r),
    "disable": lambda s, c, r, *_: _enable(s, c, "disable", r),
    "enable": lambda s, c, r, *_: _enable(s, c, "enable", r),
    "calcvoltagebases": _calcv,
    "calcv": _calcv,
    "buscoords": _bus_coords,
    "buscoord": _bus_coords,
    **dict.fromkeys(RUNTIME_COMMANDS, _runtime),
}


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
    if first.value.delim:
        raise _fail(cmd.where, f"{first.value.shown()!r} is not a command")
    handler = COMMANDS.get(first.value.text.lower())
    if handler is None:
        _unsupported(state, cmd.where, f"command {first.value.text!r}")
        return
    handler(state, cmd, list(cmd.params[1:]), folder, stack)


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
            _unsupported(state, value.where, f"load {obj.name} model={model}", obj)
            found = True
    return found


def run_script(path: Path) -> ScriptState:
    """Run the script at ``path`` (and the files it redirects to).

    Unsupported input does not stop the run: it is collected in ``unsupported`` (with a hint
    about load models appended when one was found) for :func:`._parse.parse_opendss` to report
    together with the problems of the element readers.

    Raises
    ------
    InputError
        A missing or unreadable file (named with the line that refers to it), a syntax error,
        an undefined object in ``Edit``, or no circuit.
    """
    state = ScriptState()
    if not path.is_file():
        raise InputError(f"{path}: OpenDSS file not found")
    _run_file(state, path, str(path), ())
    if _unsupported_load_models(state):
        state.hints.append(f"GAT reads load models {_LOAD_MODELS_READ}")
    if state.circuit is None and not state.unsupported:
        raise InputError(f"{path.name}: no New Circuit in the script")
    for (cls, prop), uses in state.recorded.items():
        name, value = uses[0]
        state.notes.append(
            f"{cls}.{prop} on {len(uses)} object(s), first {name}={value.shown()} "
            f"({value.where}): recorded, not modelled ({RECORDED[(cls, prop)]})"
        )
    return state
