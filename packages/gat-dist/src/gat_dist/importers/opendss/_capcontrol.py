"""OpenDSS ``CapControl`` -> ``dist_cap_controls`` rows.

``capacitor=`` names a ``Capacitor`` (its ``cap_id``), ``element=`` a line or transformer
(``Line.NAME``; its ``branch_id``) and ``terminal=`` its measured end (1 = bus1 = from_node).
``type`` is one of ``current``, ``voltage``, ``kvar``, ``pf``, ``time``; ``ONsetting`` and
``OFFsetting`` keep OpenDSS's units for the type (A and V on the CT and PT secondaries,
kvar, power factor, hour of day). ``PTphase``/``CTphase`` (the k-th conductor of the
terminal, or ``AVG``/``MAX``/``MIN``) become the phase letter of that conductor.

Properties left out take OpenDSS's defaults (checked against OpenDSS through
opendssdirect), named in the import notes: type current, ONsetting 300, OFFsetting 200,
PTratio 60, CTratio 60, Delay 15 s, DelayOFF 15 s, DeadTime 300 s, VoltOverride no,
Vmin 115 V, Vmax 126 V, PTphase and CTphase 1, terminal 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from gat_schemas.errors import InputError

from ._props import fail, last, need
from ._script import DssObject
from ._values import as_int, as_number, as_yesno

__all__ = ["CONTROL_DEFAULTS", "CapControl", "cap_control_rows", "read_capcontrol"]

#: OpenDSS's default of every setting (``None``: required).
CONTROL_DEFAULTS: dict[str, object] = {
    "type": "current",
    "onsetting": 300.0,
    "offsetting": 200.0,
    "ptratio": 60.0,
    "ctratio": 60.0,
    "delay": 15.0,
    "delayoff": 15.0,
    "deadtime": 300.0,
    "voltoverride": False,
    "vmin": 115.0,
    "vmax": 126.0,
    "ptphase": "1",
    "ctphase": "1",
    "terminal": 1,
}
_TYPES = {"current": "current", "voltage": "voltage", "kvar": "kvar", "pf": "pf", "time": "time"}
_BRANCH_CLASSES = ("line", "transformer")
_AGGREGATES = ("avg", "max", "min")


@dataclass(frozen=True)
class CapControl:
    """One capacitor control as written (OpenDSS units); ``defaulted`` lists the defaults used."""

    name: str
    capacitor: str
    element_class: str
    element: str
    settings: dict[str, object]
    defaulted: tuple[str, ...]
    where: str


def read_capcontrol(obj: DssObject) -> CapControl:
    """Read ``New CapControl.NAME capacitor= element= [terminal= type= ONsetting= ...]``."""
    p = last(obj)
    cap = need(obj, p, "capacitor").text.strip()
    ref = need(obj, p, "element")
    cls, dot, elem = ref.text.strip().partition(".")
    if not dot or cls.lower() not in _BRANCH_CLASSES:
        raise fail(
            ref.where, obj, f"element={ref.shown()}: GAT reads Line.NAME or Transformer.NAME"
        )
    settings: dict[str, object] = {}
    defaulted = []
    for key, default in CONTROL_DEFAULTS.items():
        if key not in p:
            settings[key] = default
            defaulted.append(key)
            continue
        v = p[key]
        if key == "type":
            # A type's abbreviation is read (EPRI's J1 writes type=volt). OpenDSS reads only
            # the first letter, so it would take type=var as voltage: refused here instead.
            word = v.text.strip().lower()
            match = [t for t in _TYPES if word and t.startswith(word)]
            if len(match) != 1:
                same = [t for t in _TYPES if word and t[0] == word[0]]
                hint = f" (OpenDSS reads its first letter: {same[0]})" if same else ""
                raise fail(
                    v.where, obj, f"type={v.shown()} is not one of {', '.join(_TYPES)}{hint}"
                )
            settings[key] = _TYPES[match[0]]
        elif key == "voltoverride":
            settings[key] = as_yesno(v, key)
        elif key == "terminal":
            t = as_int(v, key)
            if t not in (1, 2):
                raise fail(v.where, obj, f"terminal={t}: a branch has terminals 1 and 2")
            settings[key] = t
        elif key in ("ptphase", "ctphase"):
            word = v.text.strip().lower()
            if word not in _AGGREGATES and word not in ("1", "2", "3"):
                raise fail(v.where, obj, f"{key}={v.shown()}: 1, 2, 3, avg, max or min")
            settings[key] = word
        else:
            x = as_number(v, key)
            if key in ("ptratio", "ctratio", "vmin", "vmax") and x <= 0:
                raise fail(v.where, obj, f"{key}={v.shown()} must be positive")
            if key in ("delay", "delayoff", "deadtime") and x < 0:
                raise fail(v.where, obj, f"{key}={v.shown()} must not be negative")
            settings[key] = x
    return CapControl(obj.name, cap, cls.lower(), elem, settings, tuple(defaulted), obj.where)


def _phase(word: str, phases: str, ctl: CapControl, key: str, used: bool = True) -> str:
    """The phase letter of ``key``'s conductor; a conductor the element does not have is
    refused when the control measures it, else (IEEE 9500's kvar controls with ``ptphase=2``
    on one-phase lines: OpenDSS never reads that PT) read as ``avg``, the terminal."""
    if word in _AGGREGATES:
        return word
    k = int(word)
    if k > len(phases) and not used:
        return "avg"
    if k > len(phases):
        raise InputError(
            f"{ctl.where}: capcontrol {ctl.name}: {key}={k} but the element has "
            f"{len(phases)} phase(s)"
        )
    return phases[k - 1]


def cap_control_rows(
    controls: list[CapControl],
    caps: dict[str, str],
    branches: dict[tuple[str, str], tuple[str, str]],
    notes: list[str],
) -> list[dict]:
    """``dist_cap_controls`` rows.

    ``caps``: lower-case capacitor name -> ``cap_id``; ``branches``: (class, lower-case
    name) -> (``branch_id``, conductor phases in order, e.g. ``CB``).
    """
    rows: list[dict] = []
    used: dict[str, int] = {}
    for ctl in controls:
        cap_id = caps.get(ctl.capacitor.lower())
        if cap_id is None:
            raise InputError(
                f"{ctl.where}: capcontrol {ctl.name}: capacitor {ctl.capacitor} is not defined"
            )
        branch = branches.get((ctl.element_class, ctl.element.lower()))
        if branch is None:
            raise InputError(
                f"{ctl.where}: capcontrol {ctl.name}: {ctl.element_class} {ctl.element} is "
                "not defined"
            )
        branch_id, phases = branch
        s = ctl.settings
        for key in ctl.defaulted:
            used[key] = used.get(key, 0) + 1
        rows.append(
            {
                "control_id": ctl.name,
                "cap_id": cap_id,
                "control_type": s["type"],
                "element_id": branch_id,
                "terminal": int(s["terminal"]),  # type: ignore[call-overload]
                "on_setting": float(s["onsetting"]),  # type: ignore[arg-type]
                "off_setting": float(s["offsetting"]),  # type: ignore[arg-type]
                "pt_ratio": float(s["ptratio"]),  # type: ignore[arg-type]
                "ct_ratio": float(s["ctratio"]),  # type: ignore[arg-type]
                "delay_s": float(s["delay"]),  # type: ignore[arg-type]
                "delay_off_s": float(s["delayoff"]),  # type: ignore[arg-type]
                "dead_time_s": float(s["deadtime"]),  # type: ignore[arg-type]
                "volt_override": bool(s["voltoverride"]),
                "v_min_v": float(s["vmin"]),  # type: ignore[arg-type]
                "v_max_v": float(s["vmax"]),  # type: ignore[arg-type]
                # The PT is read by voltage and pf controls and by the voltage override;
                # the CT by current and pf controls (kvar: the terminal's total).
                "pt_phase": _phase(
                    str(s["ptphase"]),
                    phases,
                    ctl,
                    "ptphase",
                    s["type"] in ("voltage", "pf") or bool(s["voltoverride"]),
                ),
                "ct_phase": _phase(
                    str(s["ctphase"]), phases, ctl, "ctphase", s["type"] in ("current", "pf")
                ),
            }
        )
    if rows:
        shown = ", ".join(f"{k} {CONTROL_DEFAULTS[k]!s} ({n}x)" for k, n in used.items() if n)
        notes.append(
            f"{len(rows)} capcontrol(s) -> dist_cap_controls (data for switching studies; the "
            "snapshot power flow keeps each capacitor's status)"
            + (f"; OpenDSS defaults applied: {shown}" if shown else "")
        )
    return rows
