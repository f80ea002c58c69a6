"""Write the OpenDSS reference case of gat-pf's three-phase tests (run it by hand, rarely).

Usage::

    uv run --no-sync python bench/threephase_reference.py

Builds one small unbalanced feeder, ``u10``, twice from the same parameters: as a GAT
network folder and as an OpenDSS script. It then solves the script with OpenDSS
(``opendssdirect``, a bench-only dependency) and writes every bus-phase voltage OpenDSS finds
into ``packages/gat-pf/tests/data/threephase/u10/``:

* ``network/``: the GAT network folder (``gat_schemas.write_network``);
* ``u10.dss``: the OpenDSS script;
* ``opendss_voltages.csv``: ``node_id, phase, v_ln_volts, angle_deg`` from OpenDSS.

It also writes ``ieee34/``: the IEEE 34-node feeder (``test_data/opendss/ieee34/ieee34Mod2.dss``)
imported by ``gat_dist.import_opendss``, with the regulator taps OpenDSS's own control
settled on fixed (kept in ``tap_opendss_auto`` too), and OpenDSS's voltages.

The feeder exercises what the three-phase model must get right: three-phase line codes with
mutual coupling and charging, two- and one-phase laterals (one wired ``CB``), delta/wye_g,
wye_g/delta, delta/delta and wye_g/wye_g banks, a single-phase phase-to-neutral unit, three
single-phase regulators with fixed taps, wye and delta loads of constant power, impedance and
current, wye and delta capacitors. OpenDSS is made to model the same thing: a stiff source,
loads that keep their model at any voltage (``vminpu=0.5 vmaxpu=2``), tight tolerance.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from gat_schemas import Network, write_network

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "packages" / "gat-pf" / "tests" / "data" / "threephase" / "u10"
F_HZ = 60.0
BASE_MVA = 1.0

# Line codes: ohm/km and nF/km (symmetric upper triangles, row-major).
CODES = {
    "oh3": (
        3,
        [0.35, 0.16, 0.158, 0.34, 0.154, 0.342],
        [1.02, 0.50, 0.42, 1.05, 0.38, 1.03],
        [8.0, -2.0, -1.2, 8.4, -1.5, 8.2],
    ),
    "oh2": (2, [0.75, 0.16, 0.75], [1.18, 0.42, 1.20], [6.0, -1.5, 6.0]),
    "oh1": (1, [0.83], [0.87], [5.0]),
}
# node: (phases, base kV line to line)
NODES = {
    "src": ("ABC", 12.47),
    "n1": ("ABC", 12.47),
    "n2": ("ABC", 4.16),
    "r2": ("ABC", 4.16),
    "n3": ("ABC", 4.16),
    "n4": ("BC", 4.16),
    "n5": ("A", 4.16),
    "n6": ("ABC", 4.16),
    "n7": ("ABC", 2.4),
    "n8": ("ABC", 0.48),
    "n9": ("B", 0.24 * math.sqrt(3.0)),
}
# branch: (from, to, phases, linecode, km)
LINES = {
    "L1": ("src", "n1", "ABC", "oh3", 0.8),
    "L2": ("r2", "n3", "ABC", "oh3", 0.5),
    "L3": ("n3", "n4", "CB", "oh2", 0.3),
    "L4": ("n3", "n5", "A", "oh1", 0.25),
}
# transformer: (from, to, phases, conn_from, conn_to, kv_from, kv_to, MVA, r%, x%)
TRANSFORMERS = {
    "Tdy": ("n1", "n2", "ABC", "delta", "wye_g", 12.47, 4.16, 2.0, 1.0, 6.0),
    "Tyd": ("n1", "n6", "ABC", "wye_g", "delta", 12.47, 4.16, 0.5, 1.2, 5.0),
    "Tdd": ("n1", "n7", "ABC", "delta", "delta", 12.47, 2.4, 0.3, 1.5, 4.0),
    "Tyy": ("n3", "n8", "ABC", "wye_g", "wye_g", 4.16, 0.48, 0.15, 1.1, 2.0),
    "T1p": ("n3", "n9", "B", "wye_g", "wye_g", 2.4, 0.24, 0.05, 1.6, 2.4),
    "RgA": ("n2", "r2", "A", "wye_g", "wye_g", 2.4, 2.4, 1.666, 0.01, 0.01),
    "RgB": ("n2", "r2", "B", "wye_g", "wye_g", 2.4, 2.4, 1.666, 0.01, 0.01),
    "RgC": ("n2", "r2", "C", "wye_g", "wye_g", 2.4, 2.4, 1.666, 0.01, 0.01),
}
TAPS = {"RgA": 6, "RgB": -2, "RgC": 3}
# load: (node, connection, model, {leg: (kW, kvar)})
LOADS = {
    "ld3y": ("n3", "wye", "pq", {"a": (420, 180), "b": (250, 120), "c": (330, 90)}),
    "ld3d": ("n3", "delta", "z", {"a": (150, 60), "b": (100, 50), "c": (200, 40)}),
    "ld4": ("n4", "delta", "i", {"b": (180, 110)}),
    "ld5": ("n5", "wye", "pq", {"a": (140, 70)}),
    "ld6": ("n6", "delta", "pq", {"a": (120, 50), "b": (90, 40), "c": (60, 30)}),
    "ld7": ("n7", "delta", "z", {"a": (80, 30), "b": (80, 30), "c": (40, 20)}),
    "ld8": ("n8", "wye", "i", {"a": (40, 20), "b": (30, 10), "c": (20, 10)}),
    "ld9": ("n9", "wye", "pq", {"b": (25, 10)}),
}
# capacitor: (node, phases, connection, kvar total)
CAPS = {
    "c3": ("n3", "ABC", "wye", 300.0),
    "c6": ("n6", "ABC", "delta", 150.0),
    "c5": ("n5", "A", "wye", 50.0),
}
_DSS_MODEL = {"pq": 1, "z": 2, "i": 5}
_LEGS = {"a": (1, 2), "b": (2, 3), "c": (3, 1)}
_NUM = {"A": 1, "B": 2, "C": 3}


def network() -> Network:
    """The u10 feeder as GAT tables."""
    nodes = pd.DataFrame(
        {
            "node_id": list(NODES),
            "phase": [p for p, _ in NODES.values()],
            "type": ["slack" if n == "src" else "load" for n in NODES],
            "v_min": 0.9,
            "v_max": 1.1,
            "load_p": 0.0,
            "load_q": 0.0,
            "feeder_id": "u10",
            "base_kv": [kv for _, kv in NODES.values()],
        }
    )
    rows = []
    for bid, (f, t, ph, code, km) in LINES.items():
        rows.append((bid, f, t, 1e-3, 2e-3, 0.0, 1.0, "line", km, ph, code))
    for bid, (f, t, ph, *_rest) in TRANSFORMERS.items():
        rows.append((bid, f, t, 1e-3, 1e-2, 0.0, 1.0, "transformer", np.nan, ph, None))
    branches = pd.DataFrame(
        rows,
        columns=[
            "branch_id",
            "from_node",
            "to_node",
            "r",
            "x",
            "b",
            "tap",
            "branch_type",
            "length_km",
            "phases",
            "linecode_id",
        ],
    ).assign(status="closed", thermal_limit=np.nan)
    lc = []
    for cid, (n, r, x, c) in CODES.items():
        row = {"linecode_id": cid, "n_phases": n}
        tri = [(i, j) for i in range(n) for j in range(i, n)]
        for key in ("11", "12", "13", "22", "23", "33"):
            row[f"r{key}"] = row[f"x{key}"] = row[f"b{key}"] = 0.0
        for k, (i, j) in enumerate(tri):
            key = f"{i + 1}{j + 1}"
            row[f"r{key}"], row[f"x{key}"] = r[k], x[k]
            row[f"b{key}"] = 2 * math.pi * F_HZ * c[k] * 1e-3  # nF/km -> uS/km
        lc.append(row)
    tr = pd.DataFrame(
        [
            (bid, ph, cf, ct, kf, kt, s, r, x)
            for bid, (_f, _t, ph, cf, ct, kf, kt, s, r, x) in TRANSFORMERS.items()
        ],
        columns=[
            "branch_id",
            "phases",
            "conn_from",
            "conn_to",
            "kv_from",
            "kv_to",
            "s_rated_mva",
            "r_pct",
            "x_pct",
        ],
    )
    regs = pd.DataFrame(
        {
            "regulator_id": list(TAPS),
            "branch_id": list(TAPS),
            "phase": [TRANSFORMERS[b][2] for b in TAPS],
            "tap": np.array(list(TAPS.values()), dtype=np.int64),
            "mode": "fixed",
        }
    )
    loads = []
    for lid, (node, conn, model, legs) in LOADS.items():
        row = {"load_id": lid, "node_id": node, "connection": conn, "model": model}
        for leg in "abc":
            kw, kvar = legs.get(leg, (0.0, 0.0))
            row[f"p_{leg}_mw"], row[f"q_{leg}_mvar"] = kw / 1e3, kvar / 1e3
        loads.append(row)
    caps = pd.DataFrame(
        [(cid, n, ph, q / 1e3, "closed", conn) for cid, (n, ph, conn, q) in CAPS.items()],
        columns=["cap_id", "node_id", "phase", "q_mvar", "status", "connection"],
    )
    return Network(
        name="u10",
        base_mva=BASE_MVA,
        tables={
            "dist_nodes": nodes,
            "dist_branches": branches,
            "dist_caps": caps,
            "dist_linecodes": pd.DataFrame(lc),
            "dist_transformers": tr,
            "dist_regulators": regs,
            "dist_loads": pd.DataFrame(loads),
        },
        source={"file": "u10.dss", "format": "opendss"},
    )


def _bus(node: str, phases: str) -> str:
    return node + "".join(f".{_NUM[p]}" for p in phases)


def dss_script() -> str:
    """The same feeder in the OpenDSS language."""
    out = [
        "Clear",
        "Set DefaultBaseFrequency=60",
        "New Circuit.u10 basekv=12.47 pu=1.0 angle=0 phases=3 bus1=src MVAsc3=1e9 MVAsc1=1e9",
    ]
    for cid, (n, r, x, c) in CODES.items():

        def tri(v: list[float], n: int = n) -> str:
            rows, k = [], 0
            for i in range(n):
                rows.append(" ".join(f"{v[k + j]:g}" for j in range(i + 1)))
                k += i + 1
            return "(" + " | ".join(rows) + ")"

        full = {m: np.zeros((n, n)) for m in "rxc"}
        k = 0
        for i in range(n):
            for j in range(i, n):
                for m, vals in (("r", r), ("x", x), ("c", c)):
                    full[m][i, j] = full[m][j, i] = vals[k]
                k += 1
        lower = {m: [full[m][i, j] for i in range(n) for j in range(i + 1)] for m in "rxc"}
        out.append(
            f"New LineCode.{cid} nphases={n} units=km rmatrix={tri(lower['r'])} "
            f"xmatrix={tri(lower['x'])} cmatrix={tri(lower['c'])}"
        )
    for bid, (f, t, ph, code, km) in LINES.items():
        out.append(
            f"New Line.{bid} phases={len(ph)} bus1={_bus(f, ph)} bus2={_bus(t, ph)} "
            f"linecode={code} length={km} units=km"
        )
    for bid, (f, t, ph, cf, ct, kf, kt, s, r, x) in TRANSFORMERS.items():
        conn = {"delta": "delta", "wye_g": "wye"}
        tap = 1.0 + 0.00625 * TAPS.get(bid, 0)
        out.append(
            f"New Transformer.{bid} phases={len(ph)} windings=2 xhl={x} "
            f"buses=[{_bus(f, ph)} {_bus(t, ph)}] conns=[{conn[cf]} {conn[ct]}] "
            f"kvs=[{kf} {kt}] kvas=[{s * 1e3} {s * 1e3}] %rs=[{r / 2} {r / 2}] "
            f"taps=[1.0 {tap}] %noloadloss=0 %imag=0"
        )
    for lid, (node, conn, model, legs) in LOADS.items():
        kv = NODES[node][1]
        for leg, (kw, kvar) in legs.items():
            if conn == "wye":
                bus, kv_el = f"{node}.{_NUM[leg.upper()]}", kv / math.sqrt(3.0)
            else:
                a, b = _LEGS[leg]
                bus, kv_el = f"{node}.{a}.{b}", kv
            out.append(
                f"New Load.{lid}_{leg} phases=1 bus1={bus} conn={conn} model={_DSS_MODEL[model]} "
                f"kv={kv_el:.6f} kw={kw} kvar={kvar} vminpu=0.5 vmaxpu=2"
            )
    for cid, (node, ph, conn, q) in CAPS.items():
        kv = NODES[node][1]
        kv_el = kv if (conn == "delta" or len(ph) == 3) else kv / math.sqrt(3.0)
        out.append(
            f"New Capacitor.{cid} phases={len(ph)} bus1={_bus(node, ph)} conn={conn} "
            f"kvar={q} kv={kv_el:.6f}"
        )
    bases = sorted({kv for _, kv in NODES.values()}, reverse=True)
    out += [
        f"Set VoltageBases=[{' '.join(f'{b:.6f}' for b in bases)}]",
        "CalcVoltageBases",
        "Set tolerance=1e-10 maxiterations=1000 controlmode=off",
        "Solve",
    ]
    return "\n".join(out) + "\n"


def opendss_voltages(script: Path) -> pd.DataFrame:
    """Solve the script with OpenDSS; every bus phase's line-to-neutral volts and angle."""
    import opendssdirect as dss

    dss.Text.Command("Clear")
    dss.Text.Command(f"Redirect {script}")
    if not dss.Solution.Converged():
        raise SystemExit("OpenDSS did not converge")
    rows = []
    for node, (phases, _kv) in NODES.items():
        dss.Circuit.SetActiveBus(node)
        nums = list(dss.Bus.Nodes())
        va = dss.Bus.VMagAngle()
        for p in phases:
            k = nums.index(_NUM[p])
            rows.append((node, p, va[2 * k], va[2 * k + 1]))
    return pd.DataFrame(rows, columns=["node_id", "phase", "v_ln_volts", "angle_deg"])


def ieee34() -> None:
    """IEEE 34 (Mod 2) solved by OpenDSS with its regulator control: the GAT folder from the
    importer with OpenDSS's final taps fixed, and OpenDSS's voltages of every bus phase."""
    import opendssdirect as dss

    from gat_dist import import_opendss

    src = ROOT / "test_data" / "opendss" / "ieee34" / "ieee34Mod2.dss"
    out = OUT.parent / "ieee34"
    dss.Text.Command("Clear")
    dss.Text.Command(f"Redirect {src}")
    dss.Text.Command("Solve")
    if not dss.Solution.Converged():
        raise SystemExit("OpenDSS did not converge on IEEE 34")
    net = import_opendss(src, feeder_id="ieee34")
    regs = net.tables["dist_regulators"].copy()
    taps = []
    for reg in regs.itertuples():
        dss.RegControls.Name(reg.regulator_id)
        dss.Transformers.Name(dss.RegControls.Transformer())
        dss.Transformers.Wdg(2)
        taps.append(round((dss.Transformers.Tap() - 1.0) / reg.step_pu))
    regs["tap"] = np.array(taps, dtype=np.int64)
    regs["tap_opendss_auto"] = regs["tap"]
    regs["mode"] = "fixed"
    net = Network(
        net.name,
        net.base_mva,
        {**net.tables, "dist_regulators": regs},
        net.frequency_hz,
        net.source,
    )
    write_network(net, out / "network", overwrite=True)
    names = dss.Circuit.AllNodeNames()
    volts = np.asarray(dss.Circuit.AllBusVolts()).reshape(-1, 2)
    ids = {str(n).lower(): str(n) for n in net.nodes["node_id"]}
    ref = pd.DataFrame(
        {
            "node_id": [ids[n.rsplit(".", 1)[0]] for n in names],
            "phase": ["ABC"[int(n.rsplit(".", 1)[1]) - 1] for n in names],
            "v_ln_volts": np.hypot(volts[:, 0], volts[:, 1]),
            "angle_deg": np.degrees(np.arctan2(volts[:, 1], volts[:, 0])),
        }
    )
    ref.to_csv(out / "opendss_voltages.csv", index=False, float_format="%.9g")
    print(f"wrote {out} ({len(ref)} bus phases, OpenDSS taps {taps})")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    write_network(network(), OUT / "network", overwrite=True)
    script = OUT / "u10.dss"
    script.write_text(dss_script(), encoding="utf-8")
    ref = opendss_voltages(script)
    ref.to_csv(OUT / "opendss_voltages.csv", index=False, float_format="%.9g")
    print(f"wrote {OUT} ({len(ref)} bus phases)")
    ieee34()
    return 0


if __name__ == "__main__":
    sys.exit(main())
