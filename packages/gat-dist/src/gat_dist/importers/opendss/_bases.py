"""Base voltage of every bus, as OpenDSS's ``CalcVoltageBases`` would choose it.

The nominal line-to-line voltage starts at the source's ``basekv`` and is carried through
lines and switches unchanged and through transformers by the ratio of their rated winding
voltages (a single-phase winding connected phase to neutral counts ``sqrt(3)`` times its kV).
Each bus then takes the nearest voltage of ``Set VoltageBases`` (which must be within 10 %); a
script without ``VoltageBases`` keeps the carried value. Regulator taps do not change bases.
"""

from __future__ import annotations

import math
from collections import deque

from gat_schemas.errors import InputError

__all__ = ["Edge", "bus_bases", "winding_kv_ll"]

#: Largest relative distance between a carried nominal voltage and the base it snaps to.
SNAP_TOLERANCE = 0.10

#: ``(bus_a, bus_b, ratio b/a, where)`` with bus keys lower case.
Edge = tuple[str, str, float, str]


def winding_kv_ll(kv: float, phases: int, conn: str) -> float:
    """Line-to-line equivalent of a winding's rated kV (``kv`` of a one-phase wye winding is
    phase to neutral)."""
    return kv * math.sqrt(3.0) if phases == 1 and conn == "wye" else kv


def _snap(kv: float, bases: tuple[float, ...], bus: str, fname: str) -> float:
    if not bases:
        return kv
    best = min(bases, key=lambda b: abs(b - kv))
    if abs(best - kv) > SNAP_TOLERANCE * kv:
        shown = ", ".join(f"{b:g}" for b in bases)
        raise InputError(
            f"{fname}: bus {bus}: nominal voltage {kv:.4g} kV is not within 10% of a voltage base "
            f"(Set VoltageBases=[{shown}])"
        )
    return best


def bus_bases(
    source_bus: str,
    source_kv: float,
    edges: list[Edge],
    buses: dict[str, str],
    voltage_bases: tuple[float, ...],
    fname: str,
    open_buses: frozenset[str] = frozenset(),
    set_buses: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """Base kV (line to line) of every bus.

    Parameters
    ----------
    source_bus
        Key (lower case) of the source bus.
    source_kv
        Source ``basekv`` (kV line to line).
    edges
        Lines, switches (ratio 1) and transformers (ratio of rated voltages, to/from).
    buses
        Key -> bus name as first written (for messages).
    voltage_bases
        ``Set VoltageBases`` (kV line to line), possibly empty.
    fname
        The script's file name, for messages.
    open_buses
        Keys of buses at an open (or disabled) line. A part of the circuit that only such
        lines join, with no path to the source, is dead in OpenDSS: its buses get NaN (the
        importer leaves them out, ``_dead.drop_dead_sections``). Any other bus without a
        path to the source is an error (usually a misspelt bus name).
    set_buses
        Keys of buses whose base the script sets (``SetkVBase``): not snapped to a voltage
        base (their nominal voltage is returned; the caller puts the script's base there).

    Raises
    ------
    InputError
        A bus not connected to the source, a bus reached with two different nominal
        voltages, or a nominal voltage far from every voltage base.
    """
    adj: dict[str, list[tuple[str, float, str]]] = {k: [] for k in buses}
    for a, b, ratio, where in edges:
        adj[a].append((b, ratio, where))
        adj[b].append((a, 1.0 / ratio, where))
    nominal = {source_bus: source_kv}
    queue = deque([source_bus])
    while queue:
        a = queue.popleft()
        for b, ratio, where in adj[a]:
            kv = nominal[a] * ratio
            if b not in nominal:
                nominal[b] = kv
                queue.append(b)
            elif abs(nominal[b] - kv) > 1e-6 * kv:
                raise InputError(
                    f"{where}: bus {buses[b]} is reached at {nominal[b]:.4g} kV and at "
                    f"{kv:.4g} kV (transformer ratios around a loop disagree)"
                )
    lost = [k for k in buses if k not in nominal]
    dead = _dead_parts(lost, adj, open_buses)
    missing = [buses[k] for k in lost if k not in dead]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise InputError(
            f"{fname}: bus(es) {shown} not connected to the source bus {buses[source_bus]}"
        )
    bases = {
        k: v if k in set_buses else _snap(v, voltage_bases, buses[k], fname)
        for k, v in nominal.items()
    }
    return {**bases, **dict.fromkeys(dead, math.nan)}


def _dead_parts(
    lost: list[str], adj: dict[str, list[tuple[str, float, str]]], open_buses: frozenset[str]
) -> set[str]:
    """The buses of ``lost`` (no path to the source) in parts holding an open line's bus."""
    todo, dead = set(lost), set()
    while todo:
        part, queue = set(), deque([todo.pop()])
        while queue:
            a = queue.popleft()
            part.add(a)
            for b, _, _ in adj[a]:
                if b in todo:
                    todo.discard(b)
                    queue.append(b)
        if part & open_buses:
            dead |= part
    return dead
