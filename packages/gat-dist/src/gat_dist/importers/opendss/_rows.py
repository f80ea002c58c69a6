"""Rows of the network tables built from the OpenDSS elements (see :mod:`._network`).

Each builder turns one element kind into table rows in GAT units (MW, Mvar, kV, ohm/km,
uS/km, %), recording the buses it touches in a :class:`Buses` registry.
"""

from __future__ import annotations

import math

import numpy as np

from gat_schemas.errors import InputError

from ._bases import Edge, winding_kv_ll
from ._elements import Line, LineCode
from ._parse import OpenDssCircuit
from ._values import KM_PER_UNIT
from ._windings import Transformer

__all__ = [
    "Buses",
    "cap_rows",
    "letters",
    "line_rows",
    "load_rows",
    "phase_set",
    "regulator_rows",
    "transformer_rows",
]

_LETTER = {1: "A", 2: "B", 3: "C"}
#: dist_loads.model of a load whose P and Q share one voltage exponent.
_MODEL_OF_EXP = {0.0: "pq", 1.0: "i", 2.0: "z"}
_SET = {"A": "A", "B": "B", "C": "C", "AB": "AB", "BC": "BC", "AC": "CA", "ABC": "ABC"}
_LEG = {frozenset((1, 2)): "a", frozenset((2, 3)): "b", frozenset((1, 3)): "c"}
_TRIU = ("11", "12", "13", "22", "23", "33")
_SQRT3 = math.sqrt(3.0)


def letters(nodes: tuple[int, ...]) -> str:
    return "".join(_LETTER[k] for k in nodes)


def phase_set(nodes: set[int]) -> str:
    return _SET["".join(_LETTER[k] for k in sorted(nodes))]


class Buses:
    """Bus names (first spelling), phases seen, in order of appearance."""

    def __init__(self) -> None:
        self.name: dict[str, str] = {}
        self.nodes: dict[str, set[int]] = {}

    def add(self, bus: str, nodes: tuple[int, ...]) -> str:
        key = bus.lower()
        self.name.setdefault(key, bus)
        self.nodes.setdefault(key, set()).update(nodes)
        return key


def _seq1(m: np.ndarray) -> float:
    """Positive-sequence value of a phase matrix (self minus mutual average)."""
    n = m.shape[0]
    if n == 1:
        return float(m[0, 0])
    self_ = float(np.trace(m)) / n
    mutual = (float(m.sum()) - float(np.trace(m))) / (n * (n - 1))
    return self_ - mutual


def _code_row(code_id: str, code: LineCode, km_per_unit: float, freq: float) -> dict:
    row: dict[str, object] = {"linecode_id": code_id, "n_phases": code.n_phases}
    b = 2.0 * math.pi * freq * code.c * 1e-3  # nF -> uS per length unit
    for kind, m in (("r", code.r), ("x", code.x), ("b", b)):
        full = np.zeros((3, 3))
        full[: code.n_phases, : code.n_phases] = m / km_per_unit
        for ij in _TRIU:
            row[f"{kind}{ij}"] = float(full[int(ij[0]) - 1, int(ij[1]) - 1])
    row["normamps"], row["emergamps"] = float(code.normamps), float(code.emergamps)
    return row


def _line_units(line: Line, code: LineCode) -> tuple[float, float]:
    """(km per unit of the code's values, length in km) under OpenDSS's unit rules.

    Neither the line nor its code giving a unit, OpenDSS multiplies the code's values by the
    length as written (measured with opendssdirect); so does GAT, taking that unknown unit as
    the kilometre (the impedance is exact, ``length_km`` holds the length as written).
    """
    code_km = KM_PER_UNIT[code.unit]
    line_km = KM_PER_UNIT[line.unit]
    if code_km is None and line_km is None:
        return 1.0, line.length
    per = code_km if code_km is not None else line_km
    assert per is not None
    return per, line.length * (line_km if line_km is not None else per)


def _uncoupled(line: Line, code: LineCode, freq: float) -> tuple[complex, float] | None:
    """(z ohm, b S) per phase of a line whose matrices are diagonal with equal entries, or
    ``None`` when the phases are coupled (the line then gets its own line code)."""
    for m in (code.r, code.x, code.c):
        off = m - np.diag(np.diag(m))
        if np.abs(off).max() > 0 or np.ptp(np.diag(m)) > 0:
            return None
    z = complex(code.r[0, 0], code.x[0, 0]) * line.length
    return z, 2.0 * math.pi * freq * code.c[0, 0] * 1e-9 * line.length


def line_rows(
    circuit: OpenDssCircuit, buses: Buses, notes: list[str]
) -> tuple[list[dict], dict[str, dict], list[Edge]]:
    rows: list[dict] = []
    codes: dict[str, dict] = {}
    code_unit: dict[str, tuple[float, str]] = {}
    edges: list[Edge] = []
    no_c: list[str] = []
    no_amps: list[str] = []
    seq: dict[str, tuple[complex, float]] = {}
    switches: list[str] = []
    unitless: list[str] = []
    freq = circuit.frequency_hz
    for line in circuit.lines:
        a = buses.add(line.bus1, line.nodes)
        b = buses.add(line.bus2, line.nodes)
        edges.append((a, b, 1.0, line.where))
        row = {
            "branch_id": line.name, "from": a, "to": b, "phases": letters(line.nodes),
            "status": line.status, "thermal_limit": np.nan, "tap": 1.0, "shift_deg": 0.0,
            "normamps": np.nan if line.normamps is None else line.normamps,
            "emergamps": np.nan if line.emergamps is None else line.emergamps,
        }  # fmt: skip
        kind = "switch" if line.switch else "line"
        if line.switch:
            switches.append(f"{line.name} ({line.where})")
        own = line.own_code
        plain = (
            _uncoupled(line, own, freq)
            if own is not None and own.unit == "none" and line.unit == "none"
            else None
        )
        if plain is not None:
            z1, b1 = plain
            row.update(branch_type=kind, linecode_id=None, length_km=np.nan, z1=z1, b1=b1)
            # No line code to hold the ratings: the line's own, else OpenDSS's defaults.
            row["normamps"] = 400.0 if line.normamps is None else line.normamps
            row["emergamps"] = 600.0 if line.emergamps is None else line.emergamps
            if line.normamps is None:
                no_amps.append(f"{line.name} ({line.where})")
            if not line.switch:
                notes.append(
                    f"line {line.name} ({line.where}): impedance without a length unit and "
                    "without mutual coupling: per-phase r, x, b without a line code (length "
                    "unknown)"
                )
            rows.append(row)
            continue
        code = own or circuit.linecodes[str(line.linecode).lower()]
        code_id = f"line.{line.name}" if line.own_code is not None else code.name
        per, length_km = _line_units(line, code)
        if KM_PER_UNIT[code.unit] is None and KM_PER_UNIT[line.unit] is None:
            unitless.append(f"{line.name} ({line.where})")
        seen = code_unit.setdefault(code_id, (per, line.where))
        if abs(seen[0] - per) > 1e-12:
            raise InputError(
                f"{line.where}: line {line.name}: linecode {code.name} has no unit and is used "
                f"with different length units (first at {seen[1]})"
            )
        if code_id not in codes:
            codes[code_id] = _code_row(code_id, code, per, circuit.frequency_hz)
            if code.default_c:
                no_c.append(f"{code.name} ({code.where})")
            if not code.amps_given and line.normamps is None:
                no_amps.append(f"{code.name} ({code.where})")
        if code_id not in seq:
            c1 = _seq1(code.c) * 1e-9  # F per unit length
            seq[code_id] = (complex(_seq1(code.r), _seq1(code.x)), 2.0 * math.pi * freq * c1)
        z1_per, b1_per = seq[code_id]
        z1 = z1_per / per * length_km
        b1 = b1_per / per * length_km
        row.update(branch_type=kind, linecode_id=code_id, length_km=length_km, z1=z1, b1=b1)
        rows.append(row)
    if switches:
        shown = ", ".join(switches[:5]) + (
            f" and {len(switches) - 5} more" if len(switches) > 5 else ""
        )
        notes.append(
            f"{len(switches)} switch(es) (switch=y) {shown}: branch_type switch with OpenDSS's "
            "series impedance (R1 = X1 = R0 = X0 = 1 ohm x length 0.001, unless the file gives "
            "other values after switch=y); OpenDSS's switch capacitance (about 1e-12 F) is "
            "left out; a switch with zero impedance is ideal"
        )
    if unitless:
        shown = ", ".join(unitless[:5]) + (
            f" and {len(unitless) - 5} more" if len(unitless) > 5 else ""
        )
        notes.append(
            f"{len(unitless)} line(s) {shown}: neither the line nor its line code gives a length "
            "unit; impedance = code value x length as written (OpenDSS's rule); length_km holds "
            "the length as written (its unit is unknown)"
        )
    if no_c:
        notes.append(
            f"line code(s) {', '.join(no_c)} give no capacitance: OpenDSS's default c1=3.4, "
            "c0=1.6 nF per length unit applied"
        )
    if no_amps:
        shown = ", ".join(no_amps[:5]) + (
            f" and {len(no_amps) - 5} more" if len(no_amps) > 5 else ""
        )
        notes.append(
            f"line code(s) or line(s) {shown} give no normamps/emergamps: OpenDSS's defaults "
            "400 and 600 A applied (dist_linecodes/dist_branches normamps, emergamps)"
        )
    return rows, codes, edges


def transformer_rows(
    circuit: OpenDssCircuit, buses: Buses
) -> tuple[list[dict], list[dict], list[Edge], dict[str, Transformer]]:
    rows: list[dict] = []
    xf_rows: list[dict] = []
    edges: list[Edge] = []
    by_name: dict[str, Transformer] = {}
    for t in circuit.transformers:
        a = buses.add(t.buses[0], t.nodes[0])
        b = buses.add(t.buses[1], t.nodes[1])
        kv_ll = [winding_kv_ll(t.kvs[k], t.phases, t.conns[k]) for k in (0, 1)]
        edges.append((a, b, kv_ll[1] / kv_ll[0], t.where))
        by_name[t.name.lower()] = t
        # Every percentage is on winding 1's kVA in OpenDSS, winding 2's kVA plays no part
        # (measured on Yprim with kvas=(75 50) and (50 75), see _windings).
        s_mva = t.kvas[0] / 1000.0
        r_pct = t.r_pct[0] + t.r_pct[1]
        # OpenDSS's delta windings make the low side lag by 30 degrees in both Dy and Yd
        # (checked against OpenDSS on both connections, stepping down and up); shift_deg is
        # a delay, so a step-up bank's is -30.
        mixed = (t.conns[0] == "delta") != (t.conns[1] == "delta")
        shift = (-30.0 if kv_ll[1] > kv_ll[0] else 30.0) if mixed else 0.0
        # Each winding's own letters; the branch has the from letters then the to ones.
        p_from, p_to = letters(t.nodes[0]), letters(t.nodes[1])
        union = p_from + "".join(c for c in p_to if c not in p_from)
        rows.append(
            {
                "branch_id": t.name, "from": a, "to": b, "phases": union,
                "status": "closed", "thermal_limit": s_mva, "shift_deg": shift,
                "branch_type": "transformer", "linecode_id": None, "length_km": np.nan,
                "s_mva": s_mva, "r_pct": r_pct, "x_pct": t.x_pct, "kv_ll": kv_ll,
                "taps": t.taps,
            }
        )  # fmt: skip
        xf_rows.append(
            {
                "branch_id": t.name,
                "phases": p_from,
                "phases_to": p_to if p_to != p_from else None,
                "conn_from": "wye_g" if t.conns[0] == "wye" else "delta",
                "conn_to": "wye_g" if t.conns[1] == "wye" else "delta",
                "kv_from": t.kvs[0],
                "kv_to": t.kvs[1],
                "s_rated_mva": s_mva,
                "r_pct": r_pct,
                "x_pct": t.x_pct,
                "tap_from": t.taps[0],
                "tap_to": t.taps[1],
                "ppm_antifloat": t.ppm_antifloat,
                "noload_loss_pct": t.noloadloss_pct,
                "imag_pct": t.imag_pct,
            }
        )
    return rows, xf_rows, edges, by_name


def regulator_rows(
    circuit: OpenDssCircuit, xfs: dict[str, Transformer], xf_rows: list[dict]
) -> list[dict]:
    """One row per RegControl (:func:`._parse.parse_opendss` checked the transformers).

    A control on a three-phase transformer is one ganged row: ``phase`` lists the
    transformer's phases (one tap moves them all) and ``pt_phase`` is the phase its PT and CT
    measure (OpenDSS ``ptphase``).
    """
    rows: list[dict] = []
    for rc in circuit.regcontrols:
        t = xfs[rc.transformer.lower()]
        step = (t.maxtap - t.mintap) / t.numtaps
        tap2 = t.taps[1]
        if rc.tapnum is not None:
            by_num = 1.0 + rc.tapnum * step
            if t.tap2_written and abs(by_num - tap2) > 1e-6 * step:
                raise InputError(
                    f"{rc.where}: regcontrol {rc.name}: tapnum={rc.tapnum} (tap {by_num:g}) "
                    f"and transformer {t.name}'s winding-2 tap {tap2:g} disagree; OpenDSS keeps "
                    "the one written last: write one of them"
                )
            tap2 = by_num
        pos = (tap2 - 1.0) / step
        tap = round(pos)
        if abs(pos - tap) > 1e-6:
            raise InputError(
                f"{t.where}: transformer {t.name}: winding-2 tap {tap2:g} is not a whole "
                f"number of steps of {step:g} pu"
            )
        tap_min = round((t.mintap - 1.0) / step)
        tap_max = round((t.maxtap - 1.0) / step)
        if not tap_min <= tap <= tap_max:
            raise InputError(f"{t.where}: transformer {t.name}: tap {tap} outside its range")
        for row in xf_rows:
            if row["branch_id"] == t.name:
                row["tap_to"] = 1.0
        rows.append(
            {
                "regulator_id": rc.name,
                "branch_id": t.name,
                "phase": phase_set(set(t.nodes[1])),
                # bus= on the winding's own bus: the PT reads that node to ground, and
                # OpenDSS then applies no line-drop compensation (measured).
                "pt_phase": _LETTER[
                    rc.pt_node if rc.pt_bus is not None else t.nodes[1][rc.ptphase - 1]
                ],
                "tap": int(tap),
                "tap_min": int(tap_min),
                "tap_max": int(tap_max),
                "step_pu": step,
                "mode": "fixed" if rc.locked else circuit.control_mode,
                "v_set_v": rc.vreg,
                "band_v": rc.band,
                "pt_ratio": rc.ptratio,
                "ct_primary_a": rc.ctprim,
                "r_comp_v": rc.r if rc.pt_bus is None else 0.0,
                "x_comp_v": rc.x if rc.pt_bus is None else 0.0,
                "delay_s": rc.delay,
                "max_tap_change": rc.maxtapchange,
            }
        )
    return rows


def _rated_element_kv(kv: float, conn: str, n_phases: int) -> float:
    """Voltage across one element of a load or capacitor (OpenDSS: kV is line to line unless
    the element is a single-phase wye one)."""
    return kv / _SQRT3 if conn == "wye" and n_phases > 1 else kv


def load_rows(
    circuit: OpenDssCircuit, buses: Buses, bases: dict[str, float], notes: list[str]
) -> list[dict]:
    rows: list[dict] = []
    scaled: list[float] = []
    for ld in circuit.loads:
        key = buses.name.get(ld.bus.lower())
        assert key is not None
        k = ld.bus.lower()
        n_el = len(ld.legs)
        rated = _rated_element_kv(ld.kv, ld.conn, 1 if ld.conn == "wye" and n_el == 1 else 3)
        nominal = bases[k] / _SQRT3 if ld.conn == "wye" else bases[k]
        ratio = nominal / rated
        p_exp, q_exp = ld.exps
        factor, q_factor = ratio**p_exp, ratio**q_exp
        if max(abs(factor - 1.0), abs(q_factor - 1.0)) > 1e-9:
            scaled.append(factor if abs(factor - 1.0) > abs(q_factor - 1.0) else q_factor)
        # model 4 stays exp whatever its exponents: outside vminpu..vmaxpu OpenDSS gives it
        # the impedance of its nominal power, not of its power at the band edge.
        same = _MODEL_OF_EXP.get(p_exp) if p_exp == q_exp and ld.model != 4 else None
        row: dict[str, object] = {
            "load_id": ld.name,
            "node_id": key,
            "connection": ld.conn,
            "model": same or "exp",
        }
        if same is None:
            row["p_exp"], row["q_exp"] = p_exp, q_exp
        if same != "z":  # band in pu of the node's nominal voltage (OpenDSS: of the load's kV)
            for col, value in zip(("v_min_pu", "v_max_pu", "v_low_pu"), ld.band, strict=True):
                row[col] = value / ratio
            row["v_rated_pu"] = 1.0 / ratio
        for leg in ("a", "b", "c"):
            row[f"p_{leg}_mw"] = 0.0
            row[f"q_{leg}_mvar"] = 0.0
        for nodes in ld.legs:
            leg = _LETTER[nodes[0]].lower() if len(nodes) == 1 else _LEG[frozenset(nodes)]
            row[f"p_{leg}_mw"] += ld.kw / n_el / 1000.0 * factor
            row[f"q_{leg}_mvar"] += ld.kvar / n_el / 1000.0 * q_factor
        rows.append(row)
    if any(ld.fixed for ld in circuit.loads):  # the column only when some load is fixed
        for row, ld in zip(rows, circuit.loads, strict=True):
            row["fixed"] = ld.fixed
    if scaled:
        worst = max(scaled, key=lambda f: abs(f - 1.0))
        notes.append(
            f"{len(scaled)} constant-impedance or constant-current load(s) rated at a kV other "
            f"than their node's base: powers rescaled to the base voltage (largest factor "
            f"{worst:.5f})"
        )
    return rows


def cap_rows(
    circuit: OpenDssCircuit, buses: Buses, bases: dict[str, float], notes: list[str]
) -> list[dict]:
    rows: list[dict] = []
    for cap in circuit.capacitors:
        k = cap.bus.lower()
        rated = _rated_element_kv(cap.kv, cap.conn, len(cap.nodes))
        nominal = bases[k] / _SQRT3 if cap.conn == "wye" else bases[k]
        factor = (nominal / rated) ** 2
        if abs(factor - 1.0) > 1e-9:
            notes.append(
                f"capacitor {cap.name}: rated {cap.kv:g} kV, node base {bases[k]:g} kV: "
                f"kvar rescaled to the base voltage (factor {factor:.5f})"
            )
        rows.append(
            {
                "cap_id": cap.name,
                "node_id": buses.name[k],
                "phase": phase_set(set(cap.nodes)),
                "q_mvar": cap.kvar / 1000.0 * factor,
                "status": "closed" if cap.closed else "open",
                "kind": "capacitor",
                "connection": cap.conn,
            }
        )
    return rows
