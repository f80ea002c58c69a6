"""The ``Set`` options and ``SetkVBase``: script-wide settings, no objects."""

from __future__ import annotations

import math

from ._lexer import Command, Param
from ._runtime import RUNTIME_OPTIONS
from ._state import ScriptState
from ._state import fail_at as _fail
from ._state import note_unsupported as _unsupported
from ._values import as_number, as_numbers

__all__ = ["set_kv_base", "set_options"]


_CONTROL_MODES = {"off": "fixed", "static": "auto", "event": "auto", "time": "auto"}


#: ``Set`` options :func:`set_options` applies (the others it knows are in ``RUNTIME_OPTIONS``).
_SET_APPLIED = (
    "defaultbasefrequency",
    "voltagebases",
    "controlmode",
    "mode",
    "loadmult",
    "earthmodel",
)


def _set_option(name: str) -> str:
    """The option ``name`` means: itself, or the one option it abbreviates (OpenDSS accepts a
    prefix of an option's name, ``maxcontrol`` for ``MaxControlIter``); else ``name``."""
    known = (*_SET_APPLIED, *RUNTIME_OPTIONS)
    if name in known:
        return name
    hits = [k for k in known if k.startswith(name)]
    return hits[0] if len(hits) == 1 else name


def set_options(state: ScriptState, cmd: Command, params: list[Param]) -> None:
    for p in params:
        if p.key is None:
            _unsupported(state, p.value.where, f"Set option {p.value.text!r} without a value")
            continue
        opt = _set_option(p.key.lower())
        if opt == "loadmult":
            mult = as_number(p.value, p.key)
            if mult < 0:
                raise _fail(p.value.where, f"{p.key}={p.value.shown()} must not be negative")
            state.load_mult = mult
        elif opt == "earthmodel":
            _set_earth_model(state, p)
        elif opt == "defaultbasefrequency":
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
            snap = p.value.text.strip().lower() in ("snap", "snapshot")
            state.notes.append(
                f"Set Mode={p.value.text} ({p.value.where}): recorded"
                + ("" if snap else "; GAT imports the network, the simulation is not run")
            )
        elif opt in RUNTIME_OPTIONS:
            meant = "" if opt == p.key.lower() else f" (OpenDSS reads {opt})"
            state.notes.append(
                f"Set {p.key}={p.value.shown()}{meant} ({p.value.where}): recorded, not applied "
                f"({RUNTIME_OPTIONS[opt]})"
            )
        else:
            _unsupported(state, p.value.where, f"Set option {p.key!r}")


def _set_earth_model(state: ScriptState, p: Param) -> None:
    """``Set EarthModel=Deri|Carson|FullCarson`` before the first line (measured with opendssdirect: set
    later, OpenDSS recomputes lines given by spacing= but not lines given by geometry=); other
    uses are listed as unsupported."""
    model = p.value.text.strip().lower()
    if model not in ("deri", "carson", "fullcarson"):
        _unsupported(state, p.value.where, f"Set option {p.key!r}={p.value.text} (GAT "
                     "computes Deri, Carson and FullCarson)")  # fmt: skip
    elif any(cls == "line" for cls, _ in state.objects):
        _unsupported(state, p.value.where, f"Set option {p.key!r} after lines are defined "
                     "(OpenDSS then recomputes spacing= lines, not geometry= lines; set it "
                     "before the first line)")  # fmt: skip
    else:
        state.earth_model = model


#: ``SetkVBase`` parameters in OpenDSS's order (a value without a name takes the next one).
_KVBASE_PARAMS = ("bus", "kvll", "kvln")


def set_kv_base(state: ScriptState, cmd: Command, params: list[Param]) -> None:
    """``SetkVBase bus=NAME kVLL=kV`` (or ``kVLN=``): the base voltage of one bus.

    OpenDSS (checked with opendssdirect) sets that bus's ``kVBase`` at once (``kVLN`` =
    ``kVLL`` / sqrt 3); a later ``CalcVoltageBases`` computes every base again and drops it,
    a later ``Set VoltageBases`` does not. GAT keeps the bus's line-to-line kV until then.
    """
    given: dict[str, Param] = {}
    pos = -1
    for p in params:
        key = p.key.lower() if p.key is not None else None
        if key is None:
            pos += 1
            if pos >= len(_KVBASE_PARAMS):
                raise _fail(cmd.where, f"SetkVBase: value {p.value.shown()!r} without a name")
            key = _KVBASE_PARAMS[pos]
        elif key in _KVBASE_PARAMS:
            pos = _KVBASE_PARAMS.index(key)
        else:
            raise _fail(cmd.where, f"SetkVBase: {p.key}= is not bus, kVLL or kVLN")
        given[key] = p
    if "bus" not in given or not ({"kvll", "kvln"} & given.keys()):
        raise _fail(cmd.where, "SetkVBase expects bus= and kVLL= (or kVLN=)")
    bus = given["bus"].value.text.strip().split(".")[0].lower()
    last = max(("kvll", "kvln"), key=lambda k: params.index(given[k]) if k in given else -1)
    kv = as_number(given[last].value, last)
    if kv <= 0:
        raise _fail(cmd.where, f"SetkVBase {bus}: {last}={kv:g} must be positive")
    state.kv_base_overrides[bus] = kv if last == "kvll" else kv * math.sqrt(3.0)
