"""OpenDSS ``LoadShape`` -> ``load_shapes`` rows, and the shape links of loads and DER.

Rules (OpenDSS's own, checked against OpenDSS 10 through opendssdirect):

* The points are ``mult=`` (an array ``[0.5 0.6 ...]``, or ``(file=NAME)``: one value per
  line, the first comma-separated field, the path relative to the file holding the command;
  ``pmult=`` is the same property).
* ``npts=`` keeps the first ``npts`` values; a shorter list shortens the shape to the values
  given (as OpenDSS does; named in the notes); without ``npts`` every value is a point.
* The time step is the last of ``interval=`` (h), ``sinterval=`` (s), ``minterval=`` (min);
  none: OpenDSS's 1 h (named in the notes). ``interval=0`` with ``hour=[...]`` gives each
  point its own hour (non-decreasing, one per point).
* ``action=normalize`` divides the values given so far by ``pbase=`` when positive, else by
  their largest magnitude (sign kept); a ``mult=`` after it is taken as written, and one
  before any ``mult=`` is an error (as in OpenDSS). ``action=dblsave``/``sngsave`` (write
  files) change no value.
* ``qmult=`` is recorded, not read (the table holds active-power multipliers), except for
  ``useactual=yes``: values in kW; a load linking to such a shape takes its peak P and the
  Q at that point as kW and kvar (:func:`actual_peak`, :mod:`._loadpower`), and the table
  holds the values over that peak. ``mult=(dblfile=NAME)``/``(sngfile=NAME)`` are binary
  little-endian 64/32-bit floats.
* Links ``daily=``, ``yearly=``, ``duty=`` name a shape (empty = no shape); a name no
  ``LoadShape`` defines is an error, as in OpenDSS (which has no ``none`` shape either).
* The columns hold the shape OpenDSS uses in each mode, so its fallbacks between the three
  are applied here (one place; the time-series engine reads the columns as they are).
  Measured with opendssdirect 0.9.4 on ``test_data/qsts/ieee13_pv_daily.dss``: a Load or a
  PVSystem without ``yearly=`` follows its daily shape in yearly mode (a Load reports
  ``Loads.Yearly() == daily``; a PVSystem repeats its daily shape), a Generator without one
  does not vary in yearly mode; a Load, PVSystem or Generator without ``duty=`` follows its
  daily shape in duty mode; nothing falls back in daily mode. Storage keeps what the script
  says (its shapes are dispatch curves).
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from ._lexer import Value
from ._props import fail, last
from ._script import DssObject
from ._values import as_int, as_number, as_numbers, as_yesno

__all__ = [
    "DEFAULT_SHAPE",
    "SHAPE_KINDS",
    "LoadShape",
    "ShapeLinks",
    "actual_peak",
    "actual_peaks",
    "builtin_default",
    "read_loadshape",
    "read_shape_links",
    "shape_rows",
]

#: Study kinds a load or DER can name a shape for (the link columns).
SHAPE_KINDS = ("daily", "yearly", "duty")
#: OpenDSS's built-in ``default`` shape (24 hourly multipliers, read from OpenDSS 10 through
#: opendssdirect): a link to ``default`` with no ``LoadShape.default`` in the script uses it.
DEFAULT_SHAPE = (
    0.677, 0.6256, 0.6087, 0.5833, 0.58028, 0.6025, 0.657, 0.7477, 0.832, 0.88, 0.94, 0.989,
    0.985, 0.98, 0.9898, 0.999, 1.0, 0.958, 0.936, 0.913, 0.876, 0.876, 0.828, 0.756,
)  # fmt: skip
_INTERVAL_SCALE = {"interval": 1.0, "sinterval": 1.0 / 3600.0, "minterval": 1.0 / 60.0}


@dataclass(frozen=True)
class LoadShape:
    """A load shape as written: inline values, or the file holding them (read later).

    ``interval_h`` is ``None`` for shapes given by ``hour=``; ``default_interval`` is True
    when no interval was given (OpenDSS's 1 h applies). ``normalize``: see the field.
    """

    name: str
    npts: int | None
    interval_h: float | None
    default_interval: bool
    values: tuple[float, ...] | None
    file: Value | None
    hours: tuple[float, ...] | None
    where: str
    #: ``action=normalize`` after the last ``mult=``: divide by this (``pbase=``), or by the
    #: largest magnitude when 0; ``None``: no normalising.
    normalize: float | None = None
    #: Kind of ``file`` (:data:`_FILE_KINDS`: ``text``, ``<f8``, ``<f4``).
    file_kind: str = "text"
    #: ``useactual=yes`` (values in kW, not normalised after): loads linking to the shape
    #: take its peak (:func:`actual_peak`), the table holds the values over the peak P.
    actual: bool = False
    #: ``qmult=`` of an actual shape (its Q at the peak is the kvar of loads linking to it).
    q_values: tuple[float, ...] | None = None
    q_file: Value | None = None
    q_file_kind: str = "text"


@dataclass(frozen=True)
class ShapeLinks:
    """``daily``, ``yearly``, ``duty`` shape names of one load or DER (``None``: none)."""

    name: str
    daily: str | None
    yearly: str | None
    duty: str | None
    where: str


#: ``mult=(KIND=NAME)`` file kinds: text (first comma-separated field per line), 64-bit and
#: 32-bit little-endian floats (OpenDSS's ``dblfile``, ``sngfile``).
_FILE_KINDS = {"file": "text", "dblfile": "<f8", "sngfile": "<f4"}


def _file_spec(obj: DssObject, value: Value, prop: str = "mult") -> tuple[Value, str]:
    """``file=NAME`` (or ``dblfile=``, ``sngfile=``) inside ``mult=(...)`` -> the name as a
    Value (same file:line; ``\\`` read as ``/``, the scripts were written on Windows) and the
    file kind (:data:`_FILE_KINDS`)."""
    key, eq, rest = value.text.strip().partition("=")
    key = key.strip().lower()
    if not eq or key not in _FILE_KINDS:
        raise fail(
            value.where,
            obj,
            f"{prop}={value.shown()}: GAT reads {prop}=[values] or {prop}=(file=NAME), "
            "(dblfile=NAME), (sngfile=NAME)",
        )
    name = rest.strip().strip("\"'").replace("\\", "/")
    if not name or " " in name.strip():
        raise fail(value.where, obj, f"{prop}={value.shown()}: one file name expected")
    return value._replace(text=name), _FILE_KINDS[key]


def _points(
    obj: DssObject, value: Value, prop: str
) -> tuple[tuple[float, ...] | None, Value | None, str]:
    """``(values, None, "")`` of an inline array or ``(None, file, kind)`` of a file."""
    if "=" in value.text:
        file, kind = _file_spec(obj, value, prop)
        return None, file, kind
    return tuple(as_numbers(value, prop)), None, ""


#: ``action=`` words by first letter (OpenDSS: Normalize, DblSave, SngSave).
_ACTIONS = {"n": "normalize", "d": "dblsave", "s": "sngsave"}


def _normalize(obj: DssObject) -> float | None:
    """The divisor of ``action=normalize`` after the last ``mult=`` (0: the peak), or None."""
    out: float | None = None
    pbase = 0.0
    seen_mult = False
    for prop, value in obj.assignments:
        if prop == "mult":
            seen_mult, out = True, None
        elif prop == "pbase":
            pbase = as_number(value, "pbase")
        elif prop == "action":
            word = value.text.strip().lower()
            action = _ACTIONS.get(word[:1]) if word else None
            if action is None:
                raise fail(value.where, obj, f"action={value.shown()}: GAT reads normalize, "
                           "dblsave, sngsave")  # fmt: skip
            if action == "normalize":
                if not seen_mult:
                    raise fail(value.where, obj, "action=normalize before mult= (no values)")
                out = pbase if pbase > 0 else 0.0
    return out


def read_loadshape(obj: DssObject) -> LoadShape:
    """Read ``New LoadShape.NAME npts= interval=|sinterval=|minterval= mult= [hour=]``."""
    p = last(obj)
    normalize = _normalize(obj)
    # action=normalize makes the values per unit: OpenDSS then no longer takes them as kW.
    actual = "useactual" in p and as_yesno(p["useactual"], "useactual") and normalize is None
    npts = as_int(p["npts"], "npts") if "npts" in p else None
    if npts is not None and npts < 1:
        raise fail(p["npts"].where, obj, f"npts={npts} must be at least 1")
    step_props = [k for k, _ in obj.assignments if k in _INTERVAL_SCALE]
    interval: float | None = 1.0
    if step_props:
        key = step_props[-1]
        interval = as_number(p[key], key) * _INTERVAL_SCALE[key]
        if interval < 0:
            raise fail(p[key].where, obj, f"{key}={p[key].shown()} must not be negative")
    if "mult" not in p:
        raise fail(obj.where, obj, "mult= is required (the shape's multipliers)")
    values, file, kind = _points(obj, p["mult"], "mult")
    q_values, q_file, q_kind = (
        _points(obj, p["qmult"], "qmult") if actual and "qmult" in p else (None, None, "")
    )
    hours = None
    if interval == 0:
        if "hour" not in p:
            raise fail(obj.where, obj, "interval=0 needs hour= (the hour of every point)")
        hours = tuple(as_numbers(p["hour"], "hour"))
        if any(b < a for a, b in itertools.pairwise(hours)) or hours[0] < 0:
            raise fail(p["hour"].where, obj, "hour= must be non-negative and non-decreasing")
        interval = None
    elif "hour" in p:
        raise fail(p["hour"].where, obj, "hour= needs interval=0 (else the interval applies)")
    return LoadShape(
        name=obj.name,
        npts=npts,
        interval_h=interval,
        default_interval=not step_props,
        values=values,
        file=file,
        hours=hours,
        where=obj.where,
        normalize=normalize,
        file_kind=kind or "text",
        actual=actual,
        q_values=q_values,
        q_file=q_file,
        q_file_kind=q_kind or "text",
    )


def builtin_default(where: str) -> LoadShape:
    """OpenDSS's built-in ``default`` shape (hourly, 24 points)."""
    return LoadShape("default", 24, 1.0, False, DEFAULT_SHAPE, None, None, where)


def _link(value: Value | None) -> str | None:
    if value is None:
        return None
    name = value.text.strip()
    return name or None


#: Classes whose yearly / duty shape defaults to the daily one (OpenDSS's rule, see above).
_YEARLY_FROM_DAILY = frozenset({"load", "pvsystem"})
_DUTY_FROM_DAILY = frozenset({"load", "pvsystem", "generator"})


def read_shape_links(obj: DssObject) -> ShapeLinks:
    """The ``daily``, ``yearly``, ``duty`` shape names a load or DER follows in each mode
    (the script's links, a missing yearly or duty one replaced by the daily one where
    OpenDSS does so)."""
    p = last(obj)
    daily, yearly, duty = (_link(p.get(k)) for k in SHAPE_KINDS)
    if yearly is None and obj.cls in _YEARLY_FROM_DAILY:
        yearly = daily
    if duty is None and obj.cls in _DUTY_FROM_DAILY:
        duty = daily
    return ShapeLinks(obj.name, daily, yearly, duty, obj.where)


def _read_file(
    name: str,
    spec: Value,
    kind: str,
    files: tuple[tuple[str, str], ...],
    read: list[tuple[str, str]],
) -> tuple[float, ...]:
    """Values of ``mult=(file=NAME)`` (or a binary ``dblfile``/``sngfile``): NAME relative to
    the script file holding the shape."""
    where_file = spec.fname
    candidates = [Path(p).parent / spec.text for p, _ in files if Path(p).name == where_file]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        raise InputError(f"{spec.where}: loadshape {name}: file {spec.text} not found")
    raw = path.read_bytes()
    read.append((str(path), hashlib.sha256(raw).hexdigest()))
    if kind != "text":
        size = np.dtype(kind).itemsize
        if len(raw) % size:
            raise InputError(
                f"{spec.where}: loadshape {name}: {spec.text} is not a whole number of "
                f"{8 * size}-bit floats ({len(raw)} bytes)"
            )
        arr = np.frombuffer(raw, dtype=kind).astype(float)
        if not np.isfinite(arr).all():
            raise InputError(
                f"{spec.where}: loadshape {name}: {spec.text} holds a non-finite value"
            )
        out = tuple(arr.tolist())
    else:
        out = _text_values(name, path, raw)
    if not out:
        raise InputError(f"{spec.where}: loadshape {name}: {spec.text} holds no values")
    return out


def _text_values(name: str, path: Path, raw: bytes) -> tuple[float, ...]:
    out: list[float] = []
    for k, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        field = line.split(",")[0].strip()
        if not field:
            continue
        try:
            x = float(field)
        except ValueError:
            raise InputError(
                f"{path.name}:{k}: loadshape {name}: {field!r} is not a number"
            ) from None
        if not math.isfinite(x):
            raise InputError(f"{path.name}:{k}: loadshape {name}: {field!r} is not finite")
        out.append(x)
    return tuple(out)


def _p_values(
    shape: LoadShape, files: tuple[tuple[str, str], ...], read: list[tuple[str, str]]
) -> tuple[float, ...]:
    if shape.values is not None:
        return shape.values
    assert shape.file is not None
    return _read_file(shape.name, shape.file, shape.file_kind, files, read)


def actual_peak(shape: LoadShape, files: tuple[tuple[str, str], ...]) -> tuple[float, float]:
    """(kW, kvar) a load linking to a ``useactual=yes`` shape takes (OpenDSS, measured with
    opendssdirect): the P of largest magnitude among the shape's points (sign kept, the
    first on ties) and the Q (``qmult``) at that point, 0 without one."""
    values = _p_values(shape, files, [])
    n = len(values) if shape.npts is None else min(shape.npts, len(values))
    p = np.asarray(values[:n], dtype=float)
    k = int(np.argmax(np.abs(p)))
    q: tuple[float, ...] = ()
    if shape.q_values is not None:
        q = shape.q_values
    elif shape.q_file is not None:
        q = _read_file(shape.name, shape.q_file, shape.q_file_kind, files, [])
    return float(p[k]), (float(q[k]) if k < len(q) else 0.0)


def _normalized(values: np.ndarray, shape: LoadShape) -> np.ndarray:
    """``values`` divided as ``action=normalize`` says (unchanged without it or at peak 0)."""
    if shape.normalize is None:
        return values
    base = shape.normalize or float(np.max(np.abs(values), initial=0.0))
    return values / base if base > 0 else values


def actual_peaks(
    objs: list[DssObject], files: tuple[tuple[str, str], ...]
) -> dict[str, tuple[float, float]]:
    """Lower-case name -> :func:`actual_peak` of every ``useactual=yes`` shape among
    ``objs`` (a shape that cannot be read is left out: its reader reports it)."""
    out: dict[str, tuple[float, float]] = {}
    for obj in objs:
        value = last(obj).get("useactual")
        if value is None or value.text.strip().lower()[:1] not in ("y", "t"):
            continue
        try:
            shape = read_loadshape(obj)
            if shape.actual:
                out[obj.name.lower()] = actual_peak(shape, files)
        except InputError:
            continue
    return out


def _per_unit(values: np.ndarray, shape: LoadShape, notes: list[str]) -> np.ndarray:
    """The table's multipliers: normalised as the shape says; an actual shape's kW over its
    peak P (the kW of the loads linking to it), so rated power x multiplier is the shape."""
    values = _normalized(values, shape)
    if not shape.actual:
        return values
    k = int(np.argmax(np.abs(values)))
    peak = float(values[k]) if values.size else 0.0
    if peak == 0.0:
        return values
    notes.append(
        f"loadshape {shape.name} ({shape.where}): useactual=yes, values in kW divided by its "
        f"peak {peak:g} kW (the kW of the loads linking to it, as in OpenDSS); its qmult is "
        "not in the table (Q follows P's multiplier)"
    )
    return values / peak


def shape_rows(
    shapes: list[LoadShape], files: tuple[tuple[str, str], ...], notes: list[str]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The ``load_shapes`` table of every shape, and the ``(path, sha256)`` of the files read."""
    parts: list[pd.DataFrame] = []
    read: list[tuple[str, str]] = []
    default_interval: list[str] = []
    for shape in shapes:
        values = _p_values(shape, files, read)
        n = len(values) if shape.npts is None else min(shape.npts, len(values))
        if shape.npts is not None and shape.npts > len(values):
            notes.append(
                f"loadshape {shape.name} ({shape.where}): npts={shape.npts} but {len(values)} "
                f"value(s) given: the shape has {len(values)} points (as in OpenDSS)"
            )
        if shape.hours is not None:
            if len(shape.hours) < n:
                raise InputError(
                    f"{shape.where}: loadshape {shape.name}: {n} points but "
                    f"{len(shape.hours)} hour= value(s)"
                )
            hours = np.asarray(shape.hours[:n], dtype=float)
            interval = math.nan
        else:
            assert shape.interval_h is not None
            hours = np.arange(n, dtype=float) * shape.interval_h
            interval = shape.interval_h
        if shape.default_interval:
            default_interval.append(shape.name)
        parts.append(
            pd.DataFrame(
                {
                    "shape_id": pd.Series([shape.name] * n, dtype=object),
                    "step": np.arange(n, dtype=np.int64),
                    "hour": hours,
                    "multiplier": _per_unit(np.asarray(values[:n], dtype=float), shape, notes),
                    "interval_h": np.full(n, interval),
                }
            )
        )
    if default_interval:
        notes.append(
            f"loadshape(s) {', '.join(default_interval)} give no interval: OpenDSS's 1 h applied"
        )
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return table, read
