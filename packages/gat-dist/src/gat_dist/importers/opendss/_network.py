"""``opendss_to_network``: map an :class:`OpenDssCircuit` onto GAT's network tables.

Mapping (see ``history/2026-11-30-three-phase-contract.md`` for the tables):

* **Buses** -> ``dist_nodes``: ``node_id`` is the bus name as first written (OpenDSS bus names
  are case-insensitive: ``Mid810`` and ``mid810`` are one bus); ``phase`` is the set of
  nodes 1, 2, 3 any element connects there (A, B, C); ``base_kv`` from :mod:`._bases`; the
  source bus is the ``slack`` (``v_set`` = ``pu``, ``va_set_deg`` = ``angle``), every other bus
  a ``load`` node with ``load_p = load_q = 0`` (loads are in ``dist_loads``).
* **Source**: an EMF behind its Thevenin impedance, as OpenDSS models a ``Vsource``: the slack
  is a node of its own, ``<bus>_vsource`` (``v_set`` = ``pu``, ``va_set_deg`` = ``angle``),
  joined to the source bus by the line ``Vsource.source`` (OpenDSS's name) whose line code (same id, 1 km)
  holds the phase impedance made from Z1 and Z0 (self ``(2 Z1 + Z0) / 3``, mutual
  ``(Z0 - Z1) / 3``). Z1, Z0 come from ``R1 X1 R0 X0``, ``MVAsc3 MVAsc1`` or ``Isc3 Isc1``
  (with ``x1r1``, ``x0r0``) or OpenDSS's defaults (2000 and 2100 MVA, X/R 4 and 3). A zero
  impedance leaves an ideal slack at the source bus.
* **Bus coordinates** (``BusCoords``) -> ``dist_nodes.x``, ``y`` as written (NaN where a bus
  has none; the columns are left out when the script reads no coordinates).
* **Lines** -> ``dist_branches`` (``branch_type`` line) with ``phases`` (nodes 1, 2, 3 ->
  A, B, C in the order written), ``linecode_id``, ``length_km``; ``r``, ``x``, ``b`` are the
  positive-sequence equivalent in per unit (self minus mutual average of the matrices).
  A line code's matrices become ``dist_linecodes`` rows in ohm/km and uS/km
  (``b = 2 pi f C``); a code without a unit takes the unit of the lines using it.
* **Switches** (``Switch=y``) -> ``branch_type`` switch with the series impedance OpenDSS
  gives them (1 + j1 milliohm per phase unless the file writes other values after
  ``switch=y``; a line code written after it counts), as a line. A switch whose impedance is
  below :data:`IDEAL_SWITCH_PU` of ``kV^2 / 1 MVA`` (the drop across it is below 1e-6 pu per
  MVA it carries: IEEE 13's and IEEE 123's 1e-7 and 1e-6 ohm) is written ideal, ``r = x = b
  = 0`` (its huge admittance would only stall Newton's mismatch tolerance); the notes name
  both kinds.
* **Transformers** -> ``dist_branches`` (``branch_type`` transformer, winding 1 = from) and
  ``dist_transformers`` (``wye`` windings are grounded: ``wye_g``); ``r_pct`` is the sum of
  both windings' ``%r`` on winding 1's kVA.
* **RegControls** -> ``dist_regulators`` (one row per control: a single-phase regulator, or a
  ganged three-phase one whose ``phase`` lists its phases and ``pt_phase`` the measured
  one): the winding-2 tap of the transformer becomes the step position (``tap_to`` stays 1),
  the step is ``(maxtap - mintap) / numtaps``; ``mode`` is ``auto`` unless
  ``Set ControlMode=OFF`` or the control's ``maxtapchange=0``.
* **Loads** -> ``dist_loads`` (``model`` 1, 2, 5 -> ``pq``, ``z``, ``i``); power is split
  equally over the phases (wye) or legs (delta) and, for ``z`` and ``i`` loads, rescaled from
  the load's rated kV to the node's nominal voltage (line to neutral for wye, line to line for
  delta), as the contract defines the columns at nominal voltage.
* **Capacitors** -> ``dist_caps`` (``q_mvar`` rescaled from rated kV to the nominal voltage).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError
from gat_schemas.network import Network

from ._bases import bus_bases
from ._branch_ids import transformer_branch_ids
from ._centertap import center_tap_rows
from ._dead import drop_dead_sections
from ._der_tables import der_buses, der_tables
from ._gc import cyclic_gc_paused
from ._loadpower import default_kw_notes
from ._parse import OpenDssCircuit, parse_opendss
from ._rows import (
    Buses,
    cap_rows,
    line_rows,
    load_rows,
    phase_set,
    regulator_rows,
    transformer_rows,
)
from ._zip import expand_zip

__all__ = ["TABLE_BUILDERS", "TableBuilder", "import_opendss", "opendss_to_network"]


class TableBuilder(NamedTuple):
    """How the elements of a class added by another module become table rows.

    ``buses(circuit)`` lists ``(bus name, node numbers)`` the elements connect (so they get
    nodes and base voltages); ``rows(circuit, bus_names, bases, notes)`` returns
    ``{table: rows}`` with ``bus_names`` mapping lower-case bus keys to node ids and ``bases``
    their base kV (line to line); it may append import notes.
    """

    buses: Callable[[OpenDssCircuit], list[tuple[str, tuple[int, ...]]]]
    rows: Callable[[OpenDssCircuit, dict[str, str], dict[str, float], list[str]], dict]


#: Builders of the tables of classes added by other modules (see :data:`._parse.READERS`).
TABLE_BUILDERS: list[TableBuilder] = []


#: A switch with ``|z1| < IDEAL_SWITCH_PU * kV^2 / (1 MVA)`` is written ideal (see above).
IDEAL_SWITCH_PU = 1e-6

_BRANCH_COLUMNS = [
    "branch_id", "from_node", "to_node", "r", "x", "b", "tap", "status", "thermal_limit",
    "shift_deg", "branch_type", "length_km", "phases", "linecode_id", "normamps", "emergamps",
]  # fmt: skip


def _branch_table(rows: list[dict], buses: Buses, bases: dict[str, float], base_mva: float):
    out = []
    for row in rows:
        base_from, base_to = bases[row["from"]], bases[row["to"]]
        zbase = base_from**2 / base_mva
        if row["branch_type"] == "transformer":
            kv_ll, taps = row["kv_ll"], row["taps"]
            scale = base_mva / row["s_mva"] * (kv_ll[0] / base_from) ** 2
            r, x, b = row["r_pct"] / 100.0 * scale, row["x_pct"] / 100.0 * scale, 0.0
            tap = (kv_ll[0] * taps[0] / base_from) / (kv_ll[1] * taps[1] / base_to)
        else:
            z1 = row["z1"] / zbase
            r, x, b, tap = z1.real, z1.imag, row["b1"] * zbase, 1.0
        out.append(
            {
                "branch_id": row["branch_id"],
                "from_node": buses.name[row["from"]],
                "to_node": buses.name[row["to"]],
                "r": float(r),
                "x": float(x),
                "b": float(b),
                "tap": float(tap),
                "status": row["status"],
                "thermal_limit": row["thermal_limit"],
                "shift_deg": row["shift_deg"],
                "branch_type": row["branch_type"],
                "length_km": row["length_km"],
                "phases": row["phases"],
                "linecode_id": row["linecode_id"],
                "normamps": float(row.get("normamps", np.nan)),
                "emergamps": float(row.get("emergamps", np.nan)),
            }
        )
    return pd.DataFrame(out, columns=_BRANCH_COLUMNS)


def _ideal_switches(branches: pd.DataFrame, base_mva: float, notes: list[str]) -> pd.DataFrame:
    """Switches whose impedance is negligible (:data:`IDEAL_SWITCH_PU`) made ideal."""
    z = np.hypot(branches.r.to_numpy(), branches.x.to_numpy())
    tiny = (
        (branches.branch_type == "switch").to_numpy() & (z > 0) & (z < IDEAL_SWITCH_PU * base_mva)
    )
    if not tiny.any():
        return branches
    out = branches.copy()
    out.loc[tiny, ["r", "x", "b"]] = 0.0
    out.loc[tiny, "linecode_id"] = None
    out.loc[tiny, "length_km"] = np.nan
    names = out.branch_id[tiny].tolist()
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    notes.append(
        f"{len(names)} switch(es) {shown}: impedance below {IDEAL_SWITCH_PU:g} of kV^2/1 MVA "
        "(a drop under 1e-6 pu per MVA carried): written ideal (r = x = b = 0)"
    )
    return out


def _all_buses(circuit: OpenDssCircuit) -> set[str]:
    names = {b.lower() for line in circuit.lines for b in (line.bus1, line.bus2)}
    names |= {b.lower() for t in circuit.transformers for b in t.buses}
    names |= {x.bus.lower() for x in (*circuit.loads, *circuit.capacitors)}
    return names


def _override_bases(
    bases: dict[str, float], overrides: Mapping[str, float], notes: list[str]
) -> None:
    """``SetkVBase``: the bus's base replaces the computed one (OpenDSS's order: after
    ``CalcVoltageBases``); a bus not in the network is named in the notes."""
    missing = sorted(b for b in overrides if b not in bases)
    for bus, kv in overrides.items():
        if bus in bases:
            bases[bus] = kv
    if overrides:
        notes.append(
            f"SetkVBase: base voltage of {len(overrides) - len(missing)} bus(es) set as the "
            "script says"
            + (f"; not in the network (ignored): {', '.join(missing)}" if missing else "")
        )


def _free_name(name: str, taken: set[str]) -> str:
    out, k = name, 1
    while out.lower() in taken:
        out, k = f"{name}{k}", k + 1
    return out


def _ohm(z: complex) -> str:
    return f"{z.real:.6g}+j{z.imag:.6g}"


def _source_code(src) -> dict:
    """The Thevenin impedance as a 3-phase line code of 1 km (ohm/km, no shunt)."""
    zs, zm = (2 * src.z1 + src.z0) / 3, (src.z0 - src.z1) / 3
    row: dict[str, object] = {"linecode_id": "Vsource.source", "n_phases": 3}
    for ij in ("11", "12", "13", "22", "23", "33"):
        z = zs if ij[0] == ij[1] else zm
        row[f"r{ij}"], row[f"x{ij}"], row[f"b{ij}"] = z.real, z.imag, 0.0
    return row


def _source_row(src, emf_key: str, bus_key: str) -> dict:
    return {
        "branch_id": "Vsource.source", "from": emf_key, "to": bus_key, "phases": "ABC",
        "status": "closed", "thermal_limit": np.nan, "tap": 1.0, "shift_deg": 0.0,
        "branch_type": "line", "linecode_id": "Vsource.source", "length_km": 1.0,
        "z1": src.z1, "b1": 0.0,
    }  # fmt: skip


def _unique(rows: list[dict], col: str, what: str, fname: str) -> None:
    seen: set[str] = set()
    for row in rows:
        key = str(row[col]).lower()
        if key in seen:
            raise InputError(
                f"{fname}: two {what} named {row[col]!r}; GAT needs unique {col} values"
            )
        seen.add(key)


def opendss_to_network(
    circuit: OpenDssCircuit,
    *,
    name: str | None = None,
    feeder_id: str | None = None,
    base_mva: float = 1.0,
    v_min: float = 0.95,
    v_max: float = 1.05,
) -> Network:
    """Build a GAT :class:`~gat_schemas.network.Network` from a parsed OpenDSS circuit.

    Parameters
    ----------
    circuit
        Output of :func:`parse_opendss`.
    name
        Network name (default: the circuit name).
    feeder_id
        ``feeder_id`` of every node (default: the circuit name).
    base_mva
        Power base (MVA) of the per-unit ``r``, ``x``, ``b`` in ``dist_branches``.
    v_min, v_max
        Voltage limits written on every node (pu); OpenDSS scripts carry none.

    Returns
    -------
    Network
        ``dist_nodes``, ``dist_branches``, ``dist_linecodes`` (the codes lines use),
        ``dist_transformers``, ``dist_regulators``, ``dist_loads``, ``dist_caps`` (tables
        without rows are left out); ``source`` holds ``file``, ``format`` (``"opendss"``),
        ``sha256``, ``files`` (every file read, with its SHA-256) and ``import_notes``.

    Raises
    ------
    InputError
        Buses not connected to the source, inconsistent voltages, a bus far from every
        voltage base, undefined transformers in regcontrols, duplicate ids.
    """
    if not (base_mva > 0 and math.isfinite(base_mva)):
        raise InputError(f"base_mva={base_mva} must be positive")
    if not 0 < v_min < v_max:
        raise InputError(f"v_min={v_min}, v_max={v_max}: need 0 < v_min < v_max")
    circuit, zip_notes = expand_zip(circuit)
    notes = [*circuit.notes, *zip_notes]
    src = circuit.source
    buses = Buses()
    fname = os.path.basename(circuit.source_path)
    if not circuit.lines and not circuit.transformers:
        raise InputError(f"{fname}: the circuit has no lines, switches or transformers")
    thevenin = src.z1 != 0 or src.z0 != 0
    bus_key = src.bus.lower()
    emf_name = _free_name(f"{src.bus}_vsource", _all_buses(circuit)) if thevenin else src.bus
    src_key = buses.add(emf_name, (1, 2, 3))
    lines, codes, edges = line_rows(circuit, buses, notes)
    if thevenin:
        buses.add(src.bus, (1, 2, 3))
        lines.insert(0, _source_row(src, src_key, bus_key))
        codes = {"Vsource.source": _source_code(src), **codes}
        edges.append((src_key, bus_key, 1.0, src.where))
    xf_rows, xf_table, xf_edges, xfs = transformer_rows(circuit, buses)
    ct_rows, ct_table, ct_edges = center_tap_rows(
        list(circuit.elements.get("centertap", ())), buses
    )
    xf_rows, xf_edges = xf_rows + ct_rows, xf_edges + ct_edges
    xf_ids = transformer_branch_ids(circuit)
    xf_table = [{"noload_loss_pct": 0.0, "imag_pct": 0.0, **r} for r in xf_table] + [
        {"ppm_antifloat": 1.0, **r} for r in ct_table
    ]
    for ld in circuit.loads:
        buses.add(ld.bus, tuple(k for leg in ld.legs for k in leg))
    for cap in circuit.capacitors:
        buses.add(cap.bus, cap.nodes)
    for bus, bus_nodes in der_buses(circuit.der):
        buses.add(bus, bus_nodes)
    for builder in TABLE_BUILDERS:
        for bus, bus_nodes in builder.buses(circuit):
            buses.add(bus, bus_nodes)
    open_buses = frozenset(
        k for row in lines if row.get("status") == "open" for k in (row["from"], row["to"])
    )
    bases = bus_bases(
        src_key, src.basekv, edges + xf_edges, buses.name, circuit.voltage_bases, fname,
        open_buses, frozenset(circuit.kv_base_overrides),
    )  # fmt: skip
    _override_bases(bases, circuit.kv_base_overrides, notes)
    reg_rows = regulator_rows(circuit, xfs, xf_table)
    renamed = {k: v for k, v in xf_ids.items() if v.lower() != k}
    if renamed:
        for row in (*xf_rows, *xf_table, *reg_rows):
            row["branch_id"] = renamed.get(str(row["branch_id"]).lower(), row["branch_id"])
        notes.append(
            f"{len(renamed)} transformer(s) named like a line: branch_id Transformer.NAME "
            f"({', '.join(sorted(renamed.values())[:5])}"
            + (f" and {len(renamed) - 5} more)" if len(renamed) > 5 else ")")
        )
    if thevenin:
        notes.append(
            f"source {src.name} ({src.where}): EMF at node {emf_name} behind Z1={_ohm(src.z1)}, "
            f"Z0={_ohm(src.z0)} ohm (from {src.z_from}), line Vsource.source to bus {src.bus}"
        )
    else:
        notes.append(f"source {src.name} ({src.where}): zero impedance, ideal slack at {src.bus}")
    feeder = feeder_id if feeder_id is not None else circuit.name
    nodes = pd.DataFrame(
        [
            {
                "node_id": bus,
                "phase": phase_set(buses.nodes[k]),
                "type": "slack" if k == src_key else "load",
                "v_min": v_min,
                "v_max": v_max,
                "load_p": 0.0,
                "load_q": 0.0,
                "feeder_id": feeder,
                "base_kv": bases[k],
                # OpenDSS's EMF is pu x basekV, whatever voltage base the bus snaps to
                # (EPRI M1: basekV=67, base 66 kV: v_set 1.01515).
                "v_set": src.pu * src.basekv / bases[k] if k == src_key else 1.0,
                "va_set_deg": src.angle_deg if k == src_key else 0.0,
            }
            for k, bus in buses.name.items()
        ]
    )
    if circuit.bus_coords:
        xy = dict(circuit.bus_coords)
        if thevenin and bus_key in xy:
            xy.setdefault(src_key, xy[bus_key])
        nodes["x"] = [xy.get(k, (np.nan, np.nan))[0] for k in buses.name]
        nodes["y"] = [xy.get(k, (np.nan, np.nan))[1] for k in buses.name]
        missing = sum(k not in xy for k in buses.name)
        if missing:
            notes.append(f"{missing} node(s) without bus coordinates: x, y left NaN")
    branch_rows = lines + xf_rows
    if not branch_rows:
        raise InputError(f"{fname}: the circuit has no lines, switches or transformers")
    _unique(branch_rows, "branch_id", "lines/transformers", fname)
    tables: dict[str, pd.DataFrame] = {
        "dist_nodes": nodes,
        "dist_branches": _ideal_switches(
            _branch_table(branch_rows, buses, bases, base_mva), base_mva, notes
        ),
    }
    loads = load_rows(circuit, buses, bases, notes)
    notes.extend(default_kw_notes(circuit.loads))
    caps = cap_rows(circuit, buses, bases, notes)
    _unique(loads, "load_id", "loads", fname)
    _unique(caps, "cap_id", "capacitors", fname)
    _unique(reg_rows, "regulator_id", "regcontrols", fname)
    for table, rows in (
        ("dist_linecodes", list(codes.values())),
        ("dist_transformers", xf_table),
        ("dist_regulators", reg_rows),
        ("dist_loads", loads),
        ("dist_caps", caps),
    ):
        if rows:
            tables[table] = pd.DataFrame(rows)
    for builder in TABLE_BUILDERS:
        for table, rows in builder.rows(circuit, dict(buses.name), bases, notes).items():
            if rows:
                tables[table] = pd.DataFrame(rows)
    der, shape_files = der_tables(
        circuit, bus_names=buses.name, cap_ids=[c["cap_id"] for c in caps],
        loads=tables.get("dist_loads"), notes=notes,
    )  # fmt: skip
    tables.update(der)
    tables = drop_dead_sections(tables, notes)
    unused = sorted(set(circuit.linecodes) - {c.lower() for c in codes})
    if unused:
        notes.append(f"{len(unused)} line code(s) defined but not used by any line: not exported")
    source = {
        "file": circuit.source_path,
        "format": "opendss",
        "sha256": circuit.sha256,
        "files": [{"path": p, "sha256": h} for p, h in (*circuit.files, *shape_files)],
        "import_notes": notes,
    }
    return Network(
        name=name if name is not None else circuit.name,
        base_mva=base_mva,
        tables=tables,
        frequency_hz=circuit.frequency_hz,
        source=source,
    )


def import_opendss(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    feeder_id: str | None = None,
    base_mva: float = 1.0,
    v_min: float = 0.95,
    v_max: float = 1.05,
) -> Network:
    """Parse an OpenDSS script and map it to a GAT network (see :func:`opendss_to_network`).

    Python's cyclic garbage collector is paused during the call (:mod:`._gc`: the import
    creates no reference cycles, and the collector's passes were a third of the time).

    Raises
    ------
    InputError
        Any problem with the files (see :func:`parse_opendss`) or the mapping.
    """
    with cyclic_gc_paused():
        circuit = parse_opendss(path)
        return opendss_to_network(
            circuit, name=name, feeder_id=feeder_id, base_mva=base_mva, v_min=v_min, v_max=v_max
        )
