"""OpenDSS ``Fuse``, ``Recloser`` and ``Relay`` -> ``switching_devices`` rows.

A device sits on its ``SwitchedObj`` (OpenDSS's default: the ``MonitoredObj``), a line or
transformer, i.e. a ``dist_branches`` row; it is normally closed. Kinds: ``Fuse`` -> ``fuse``
(not automated, ``operate_time_h`` 1 h: a crew replaces it), ``Recloser`` -> ``recloser`` and
``Relay`` -> ``breaker`` (the breaker the relay trips; both automated, ``operate_time_h`` 0).
OpenDSS gives no switching times: these are GAT's values for manual and automatic devices
(as in its reliability test feeders), named in the import notes; edit the table to change
them. Curves, pickup currents and reclosing settings are recorded, not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

from gat_schemas.errors import InputError

from ._props import fail, last
from ._script import DssObject

__all__ = ["DEVICE_KINDS", "ProtectionDevice", "protection_rows", "read_protection"]

#: OpenDSS class -> (device_type, automated, operate_time_h).
DEVICE_KINDS: dict[str, tuple[str, bool, float]] = {
    "fuse": ("fuse", False, 1.0),
    "recloser": ("recloser", True, 0.0),
    "relay": ("breaker", True, 0.0),
}
_BRANCH_CLASSES = ("line", "transformer")


@dataclass(frozen=True)
class ProtectionDevice:
    """A protective device and the branch (class, name) it opens."""

    name: str
    cls: str
    branch_class: str
    branch: str
    where: str


def read_protection(obj: DssObject) -> ProtectionDevice:
    """Read ``New Fuse|Recloser|Relay.NAME MonitoredObj= [SwitchedObj=]`` (or positional)."""
    p = last(obj)
    ref = p.get("switchedobj", p.get("monitoredobj"))
    if ref is None:
        raise fail(obj.where, obj, "monitoredobj= (or switchedobj=) is required")
    cls, dot, name = ref.text.strip().partition(".")
    if not dot or cls.lower() not in _BRANCH_CLASSES:
        raise fail(
            ref.where, obj, f"{ref.shown()}: GAT reads devices on Line.NAME or Transformer.NAME"
        )
    return ProtectionDevice(obj.name, obj.cls, cls.lower(), name, obj.where)


def protection_rows(
    devices: list[ProtectionDevice], branches: dict[tuple[str, str], str], notes: list[str]
) -> list[dict]:
    """``switching_devices`` rows; ``branches``: (class, lower-case name) -> ``branch_id``."""
    rows: list[dict] = []
    count: dict[str, int] = {}
    for d in devices:
        branch_id = branches.get((d.branch_class, d.branch.lower()))
        if branch_id is None:
            raise InputError(
                f"{d.where}: {d.cls} {d.name}: {d.branch_class} {d.branch} is not defined"
            )
        kind, automated, hours = DEVICE_KINDS[d.cls]
        count[d.cls] = count.get(d.cls, 0) + 1
        rows.append(
            {
                "device_id": d.name,
                "branch_id": branch_id,
                "device_type": kind,
                "normal_state": "closed",
                "automated": automated,
                "operate_time_h": hours,
            }
        )
    if rows:
        what = ", ".join(f"{n} {c}" for c, n in count.items())
        notes.append(
            f"{what} -> switching_devices (normally closed; fuses manual with operate_time_h "
            "1 h, reclosers and relays' breakers automated with 0 h: OpenDSS gives no "
            "switching times)"
        )
    return rows
