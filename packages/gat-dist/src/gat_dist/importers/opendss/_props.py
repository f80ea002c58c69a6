"""Reading OpenDSS property values of one object: the helpers every element reader uses."""

from __future__ import annotations

from gat_schemas.errors import InputError

from ._lexer import Value
from ._script import DssObject
from ._values import as_int, as_number, as_yesno

__all__ = [
    "CONNS",
    "UnsupportedInput",
    "conn_of",
    "enabled",
    "fail",
    "last",
    "need",
    "phases_of",
    "positive",
    "unsupported",
]

CONNS = {"y": "wye", "w": "wye", "ln": "wye", "d": "delta", "ll": "delta"}


class UnsupportedInput(InputError):
    """Input that is valid OpenDSS but that GAT does not model (listed as unsupported)."""


def unsupported(where: str, obj: DssObject, what: str) -> UnsupportedInput:
    """An :class:`UnsupportedInput` naming ``file:line``, the object's class and name."""
    return UnsupportedInput(f"{where}: {obj.cls} {obj.name}: {what}")


def fail(where: str, obj: DssObject, what: str) -> InputError:
    """An error naming ``file:line``, the object's class and name."""
    return InputError(f"{where}: {obj.cls} {obj.name}: {what}")


def last(obj: DssObject) -> dict[str, Value]:
    """Property -> value, the last assignment of each property winning (OpenDSS's rule)."""
    out: dict[str, Value] = {}
    for prop, value in obj.assignments:
        out[prop] = value
    return out


def need(obj: DssObject, props: dict[str, Value], name: str) -> Value:
    """The value of a required property."""
    if name not in props:
        raise fail(obj.where, obj, f"{name}= is required")
    return props[name]


def positive(obj: DssObject, value: Value, name: str) -> float:
    """A number > 0."""
    x = as_number(value, name)
    if x <= 0:
        raise fail(value.where, obj, f"{name}={value.shown()} must be positive")
    return x


def phases_of(obj: DssObject, props: dict[str, Value], default: int) -> int:
    """``phases=`` (1, 2 or 3), or ``default``."""
    if "phases" not in props:
        return default
    n = as_int(props["phases"], "phases")
    if n not in (1, 2, 3):
        raise fail(props["phases"].where, obj, f"phases={n}; GAT reads 1, 2 or 3")
    return n


def conn_of(obj: DssObject, value: Value, name: str) -> str:
    """``wye`` or ``delta`` by OpenDSS's rule, which reads the first letter: ``y`` or ``w``
    (``wye``, ``w``) is wye, ``d`` (``delta``, ``dt``) is delta, and ``ln`` is wye, ``ll``
    delta (checked with opendssdirect)."""
    word = value.text.strip().lower()
    conn = CONNS.get(word) or CONNS.get(word[:1]) or CONNS.get(word[:2])
    if conn is None:
        raise fail(value.where, obj, f"{name}={value.shown()} is not wye or delta")
    return conn


def enabled(obj: DssObject) -> bool:
    """OpenDSS's ``enabled`` of a circuit element (the last assignment; yes by default)."""
    value = next((v for prop, v in reversed(obj.assignments) if prop == "enabled"), None)
    return True if value is None else as_yesno(value, "enabled")
