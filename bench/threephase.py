"""Three-phase power-flow benchmark: GAT against OpenDSS and power-grid-model (asymmetric).

Usage::

    uv run --no-sync python bench/threephase.py [--sizes 10000] [--repeats 5] [--quick]

Builds an unbalanced version of the synthetic feeder of ``feeders.py`` (same topology,
conductors, lengths and loads), solves it with ``gat_pf.solve_batch_3ph``, with OpenDSS
(``opendssdirect``) and with power-grid-model's asymmetric Newton-Raphson in the same process,
and writes ``bench/results/threephase.json``: build and solve times per tool (repeats
interleaved), the ratios, and the largest voltage difference between the tools on every node
phase; then a batch of load levels (GAT's batch, power-grid-model's batch, OpenDSS in a loop). Exits 1 (after writing the report with ``"status": "failed"``) when the tools disagree
by more than 1e-6 pu.

The unbalanced feeder (:func:`make_network_3ph`):

* every line gets a phase-impedance line code from its conductor's positive-sequence values,
  with zero-sequence impedance ``z0 = 3 z1`` and capacitance ``c0 = 0.6 c1`` (typical overhead
  and cable ratios), i.e. self ``(z0 + 2 z1) / 3`` and mutual ``(z0 - z1) / 3`` per km;
* every small branch of the tree (at most 12 buses, hanging off a larger one) becomes a
  single-phase lateral on a phase drawn at random, with the conductor's self impedance and
  no charging (power-grid-model has no single-phase lines: it gets a three-phase line with
  the same self impedance, no mutual coupling and no charging, which gives the loaded phase
  the same voltages);
* each load is split over the phases of its bus with random weights (wye, constant power);
  single-phase buses carry their load on their one phase.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402

from gat_schemas import Network  # noqa: E402

VM_TOL_PU = 1e-6
LATERAL_MAX_BUSES = 12
Z0_OVER_Z1 = 3.0
C0_OVER_C1 = 0.6
PACKAGES = (
    "gat-pf",
    "gat-schemas",
    "numpy",
    "scipy",
    "opendssdirect.py",
    "dss-python",
    "power-grid-model",
)


def _tree(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parent node of every node, breadth-first order, and the branch to each node's parent."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    nodes, br = net.nodes, net.branches
    index = pd.Index(nodes["node_id"])
    f, t = index.get_indexer(br["from_node"]), index.get_indexer(br["to_node"])
    n = len(nodes)
    g = sp.coo_matrix((np.ones(len(f)), (f, t)), shape=(n, n)).tocsr()
    slack = int(np.flatnonzero(nodes["type"].to_numpy() == "slack")[0])
    order, pred = breadth_first_order(g, slack, directed=False, return_predecessors=True)
    up_branch = np.full(n, -1)
    child = np.where(pred[t] == f, t, f)
    up_branch[child] = np.arange(len(f))
    return pred, order, up_branch


def make_network_3ph(n_buses: int, *, seed: int = 20261124) -> Network:
    """The unbalanced synthetic feeder (see the module docstring)."""
    base = feeders.make_network(n_buses, seed=seed)
    rng = np.random.default_rng(seed + 1)
    nodes, br = base.nodes.copy(), base.branches.copy()
    pred, order, _ = _tree(base)
    n = len(nodes)
    size = np.ones(n, dtype=np.int64)
    for k in order[::-1][:-1]:
        size[pred[k]] += size[k]
    phase = np.full(n, "ABC", dtype=object)
    for k in order[1:]:  # parents come first: a lateral's phase reaches its whole subtree
        p = pred[k]
        if phase[p] != "ABC":
            phase[k] = phase[p]
        elif size[k] <= LATERAL_MAX_BUSES and size[p] > LATERAL_MAX_BUSES:
            phase[k] = "ABC"[int(rng.integers(0, 3))]
    nodes["phase"] = phase
    z_base = feeders.BASE_KV**2 / feeders.BASE_MVA
    km = br["length_km"].to_numpy()
    z1 = (br["r"].to_numpy() + 1j * br["x"].to_numpy()) * z_base / km
    b1 = br["b"].to_numpy() / z_base / km * 1e6  # uS/km
    index = pd.Index(nodes["node_id"])
    single = phase[index.get_indexer(br["to_node"])] != "ABC"
    single &= phase[index.get_indexer(br["from_node"])] != "ABC"
    # A lateral's first section starts at a three-phase bus: single-phase by its to end.
    single |= phase[index.get_indexer(br["to_node"])] != "ABC"
    key = np.round(z1.real, 9).astype(str) + "/" + np.round(z1.imag, 9).astype(str)
    key = key + "/" + np.round(b1, 6).astype(str) + "/" + np.where(single, "1", "3")
    codes, inverse = np.unique(key, return_inverse=True)
    rows = []
    for c, code in enumerate(codes):
        k = int(np.flatnonzero(inverse == c)[0])
        zs = (Z0_OVER_Z1 + 2.0) / 3.0 * z1[k]
        zm = (Z0_OVER_Z1 - 1.0) / 3.0 * z1[k]
        bs = (C0_OVER_C1 + 2.0) / 3.0 * b1[k]
        bm = (C0_OVER_C1 - 1.0) / 3.0 * b1[k]
        row = {"linecode_id": f"lc{c}", "n_phases": 1 if code.endswith("/1") else 3}
        for ij in ("11", "12", "13", "22", "23", "33"):
            diag = ij[0] == ij[1]
            on = row["n_phases"] == 3 or ij == "11"
            row[f"r{ij}"] = (zs.real if diag else zm.real) if on else 0.0
            row[f"x{ij}"] = (zs.imag if diag else zm.imag) if on else 0.0
            row[f"b{ij}"] = ((bs if diag else bm) if on else 0.0) if row["n_phases"] == 3 else 0.0
        rows.append(row)
    br["linecode_id"] = [f"lc{c}" for c in inverse]
    br["phases"] = np.where(single, phase[index.get_indexer(br["to_node"])], "ABC")
    p, q = nodes["load_p"].to_numpy(), nodes["load_q"].to_numpy()
    w = rng.uniform(0.4, 1.6, (n, 3))
    w /= w.sum(axis=1, keepdims=True)
    for k, letter in enumerate("ABC"):
        one = phase == letter
        w[one] = 0.0
        w[one, k] = 1.0
    loaded = np.flatnonzero(p != 0)
    loads = pd.DataFrame(
        {
            "load_id": [f"d{k}" for k in loaded],
            "node_id": nodes["node_id"].to_numpy()[loaded],
            "connection": "wye",
            "model": "pq",
            **{
                col: (p if part == "p" else q)[loaded] * w[loaded, j]
                for j, leg in enumerate("abc")
                for part, col in (("p", f"p_{leg}_mw"), ("q", f"q_{leg}_mvar"))
            },
        }
    )
    nodes["load_p"] = 0.0
    nodes["load_q"] = 0.0
    return Network(
        name=f"synthetic3_{n_buses}",
        base_mva=base.base_mva,
        tables={
            "dist_nodes": nodes,
            "dist_branches": br,
            "dist_linecodes": pd.DataFrame(rows),
            "dist_loads": loads,
        },
        frequency_hz=base.frequency_hz,
        source={"file": "bench/threephase.py", "format": "synthetic", "sha256": f"seed={seed}"},
    )


# ---- OpenDSS -----------------------------------------------------------------------------------


def _lower(m: np.ndarray) -> str:
    return (
        "("
        + " | ".join(" ".join(f"{m[i, j]:.12g}" for j in range(i + 1)) for i in range(len(m)))
        + ")"
    )


def to_dss(net: Network) -> str:
    """The network as an OpenDSS script (stiff source, loads keep their model at any voltage)."""
    kv = feeders.BASE_KV
    nodes = net.nodes
    slack = nodes.loc[nodes["type"] == "slack", "node_id"].iloc[0]
    out = [
        "Clear",
        "Set DefaultBaseFrequency=60",
        f"New Circuit.bench basekv={kv} pu=1.0 angle=0 phases=3 bus1={slack} "
        "MVAsc3=1e10 MVAsc1=1e10",
    ]
    w = 2 * math.pi * feeders.FREQUENCY_HZ
    for rec in net.tables["dist_linecodes"].to_dict("records"):
        n = int(rec["n_phases"])
        mats = {m: np.zeros((n, n)) for m in "rxb"}
        for i in range(n):
            for j in range(i, n):
                for m in "rxb":
                    mats[m][i, j] = mats[m][j, i] = rec[f"{m}{i + 1}{j + 1}"]
        c_nf = mats["b"] / w * 1e3  # uS/km -> nF/km
        out.append(
            f"New LineCode.{rec['linecode_id']} nphases={n} units=km rmatrix={_lower(mats['r'])} "
            f"xmatrix={_lower(mats['x'])} cmatrix={_lower(c_nf)}"
        )
    num = {"A": ".1", "B": ".2", "C": ".3"}
    for rec in net.branches.to_dict("records"):
        ph = rec["phases"]
        sfx = "".join(num[p] for p in ph)
        out.append(
            f"New Line.{rec['branch_id']} phases={len(ph)} bus1={rec['from_node']}{sfx} "
            f"bus2={rec['to_node']}{sfx} linecode={rec['linecode_id']} "
            f"length={rec['length_km']:.12g} units=km"
        )
    kv_ln = kv / math.sqrt(3.0)
    for rec in net.tables["dist_loads"].to_dict("records"):
        for leg, p in zip("abc", "ABC", strict=True):
            pw, qv = rec[f"p_{leg}_mw"] * 1e3, rec[f"q_{leg}_mvar"] * 1e3
            if pw == 0 and qv == 0:
                continue
            out.append(
                f"New Load.{rec['load_id']}{leg} phases=1 bus1={rec['node_id']}{num[p]} "
                f"kv={kv_ln:.9g} kw={pw:.12g} kvar={qv:.12g} model=1 vminpu=0.5 vmaxpu=2"
            )
    out += [
        f"Set VoltageBases=[{kv}]",
        "CalcVoltageBases",
        "Set tolerance=1e-8 maxiterations=100 controlmode=off",
    ]
    return "\n".join(out) + "\n"


def _dss_voltages(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(node index, phase index, complex pu) of every node phase OpenDSS solved."""
    import opendssdirect as dss

    index = {str(k).lower(): i for i, k in enumerate(net.nodes["node_id"])}
    names = dss.Circuit.AllNodeNames()
    v = np.asarray(dss.Circuit.AllBusVolts()).reshape(-1, 2)
    v = (v[:, 0] + 1j * v[:, 1]) / (feeders.BASE_KV / math.sqrt(3.0) * 1e3)
    node = np.array([index[s.rsplit(".", 1)[0]] for s in names])
    phase = np.array([int(s.rsplit(".", 1)[1]) - 1 for s in names])
    return node, phase, v


# ---- power-grid-model --------------------------------------------------------------------------


def to_pgm(net: Network) -> dict[Any, np.ndarray]:
    """power-grid-model input: three-phase lines from sequence values, wye asym loads."""
    from power_grid_model import ComponentType, DatasetType, LoadGenType, initialize_array

    nodes, br = net.nodes, net.branches
    codes = net.tables["dist_linecodes"].set_index("linecode_id")
    index = pd.Index(nodes["node_id"])
    n, m = len(nodes), len(br)
    node = initialize_array(DatasetType.input, ComponentType.node, n)
    node["id"] = np.arange(n)
    node["u_rated"] = feeders.BASE_KV * 1e3
    line = initialize_array(DatasetType.input, ComponentType.line, m)
    line["id"] = n + np.arange(m)
    line["from_node"] = index.get_indexer(br["from_node"])
    line["to_node"] = index.get_indexer(br["to_node"])
    line["from_status"] = line["to_status"] = 1
    c = codes.loc[br["linecode_id"]]
    km = br["length_km"].to_numpy()
    zs = (c["r11"].to_numpy() + 1j * c["x11"].to_numpy()) * km
    zm = (c["r12"].to_numpy() + 1j * c["x12"].to_numpy()) * km
    w = 2 * math.pi * feeders.FREQUENCY_HZ
    bs, bm = c["b11"].to_numpy() * km * 1e-6, c["b12"].to_numpy() * km * 1e-6
    z1, z0 = zs - zm, zs + 2 * zm
    line["r1"], line["x1"], line["r0"], line["x0"] = z1.real, z1.imag, z0.real, z0.imag
    line["c1"], line["c0"] = (bs - bm) / w, (bs + 2 * bm) / w
    line["tan1"] = line["tan0"] = 0.0
    line["i_n"] = 1e6
    ld = net.tables["dist_loads"]
    load = initialize_array(DatasetType.input, ComponentType.asym_load, len(ld))
    load["id"] = n + m + np.arange(len(ld))
    load["node"] = index.get_indexer(ld["node_id"])
    load["status"] = 1
    load["type"] = LoadGenType.const_power
    load["p_specified"] = ld[["p_a_mw", "p_b_mw", "p_c_mw"]].to_numpy() * 1e6
    load["q_specified"] = ld[["q_a_mvar", "q_b_mvar", "q_c_mvar"]].to_numpy() * 1e6
    source = initialize_array(DatasetType.input, ComponentType.source, 1)
    source["id"] = n + m + len(ld)
    source["node"] = int(np.flatnonzero(nodes["type"].to_numpy() == "slack")[0])
    source["status"] = 1
    source["u_ref"] = 1.0
    source["sk"] = feeders.PGM_SOURCE_SK_VA
    return {
        ComponentType.node: node,
        ComponentType.line: line,
        ComponentType.asym_load: load,
        ComponentType.source: source,
    }


# ---- the run -----------------------------------------------------------------------------------


def _tools(net: Network, workdir: Path) -> dict[str, dict[str, Any]]:
    import gat_pf

    script = workdir / "bench3.dss"
    script.write_text(to_dss(net), encoding="utf-8")
    pgm_input = to_pgm(net)

    def gat_build() -> Any:
        return gat_pf.build_model_3ph(net)

    def gat_calc(model: Any) -> Any:
        return gat_pf.solve_batch_3ph(model, options=gat_pf.ThreePhaseOptions(tol=1e-9))

    def dss_build() -> Any:
        import opendssdirect as dss

        dss.Text.Command("Clear")
        dss.Text.Command(f"Redirect {script}")
        return dss

    def dss_calc(dss: Any) -> Any:
        dss.Solution.Solve()
        if not dss.Solution.Converged():
            raise RuntimeError("OpenDSS did not converge")
        return dss.Solution.Iterations()

    def pgm_build() -> Any:
        from power_grid_model import PowerGridModel

        return PowerGridModel(pgm_input, system_frequency=feeders.FREQUENCY_HZ)

    def pgm_calc(model: Any) -> Any:
        from power_grid_model import CalculationMethod

        return model.calculate_power_flow(
            symmetric=False,
            error_tolerance=1e-8,
            max_iterations=50,
            calculation_method=CalculationMethod.newton_raphson,
        )

    return {
        "gat": {
            "build": gat_build,
            "calc": gat_calc,
            "label": "gat_pf.solve_batch_3ph (fixed point, one LU)",
        },
        "opendss": {
            "build": dss_build,
            "calc": dss_calc,
            "label": "OpenDSS snapshot (opendssdirect)",
        },
        "pgm": {
            "build": pgm_build,
            "calc": pgm_calc,
            "label": "power-grid-model asymmetric Newton-Raphson",
        },
    }


def _agreement(net: Network, gat_model: Any, gat_res: Any, pgm_res: Any) -> dict[str, float]:
    from power_grid_model import ComponentType

    v_gat = np.full((len(net.nodes), 3), np.nan, dtype=complex)
    v_gat[gat_model.pn_node, gat_model.pn_phase] = gat_res.voltages[0]
    node, phase, v_dss = _dss_voltages(net)
    d_dss = v_gat[node, phase] - v_dss
    have = ~np.isnan(v_gat)
    pn = pgm_res[ComponentType.node]
    v_pgm = pn["u_pu"] * np.exp(1j * pn["u_angle"])
    d_pgm = (v_gat - v_pgm)[have]

    def deg(d: np.ndarray, v: np.ndarray) -> float:
        a = np.angle(v + d) - np.angle(v)
        return float(np.degrees(np.abs((a + np.pi) % (2 * np.pi) - np.pi)).max())

    return {
        "node_phases": int(have.sum()),
        "opendss_node_phases": len(v_dss),
        "gat_vs_opendss_max_dvm_pu": float(
            np.abs(np.abs(v_gat[node, phase]) - np.abs(v_dss)).max()
        ),
        "gat_vs_opendss_max_dva_deg": deg(d_dss, v_dss),
        "gat_vs_pgm_max_dvm_pu": float(np.abs(np.abs(v_gat[have]) - np.abs(v_pgm[have])).max()),
        "gat_vs_pgm_max_dva_deg": deg(d_pgm, v_pgm[have]),
        "vm_min_pu": float(np.abs(v_gat[have]).min()),
    }


def run_batch(net: Network, n_scenarios: int, dss_loop: int, workdir: Path) -> dict[str, Any]:
    """S load levels (0.6..1.3 of every load): GAT's batch, power-grid-model's batch
    (sequential), OpenDSS solving ``dss_loop`` of them one by one (``LoadMult``)."""
    import opendssdirect as dss
    from power_grid_model import (
        CalculationMethod,
        ComponentType,
        DatasetType,
        PowerGridModel,
        initialize_array,
    )

    import gat_pf

    levels = np.linspace(0.6, 1.3, n_scenarios)
    out: dict[str, Any] = {"scenarios": n_scenarios, "opendss_scenarios": dss_loop}
    t0 = time.perf_counter()
    model = gat_pf.build_model_3ph(net)
    batch = gat_pf.solve_batch_3ph(model, load_scale=levels)
    out["gat_s"] = time.perf_counter() - t0
    if not batch.converged.all():
        raise RuntimeError("gat batch did not converge")
    pgm_input = to_pgm(net)
    loads = pgm_input[ComponentType.asym_load]
    upd = initialize_array(DatasetType.update, ComponentType.asym_load, (n_scenarios, len(loads)))
    upd["id"] = loads["id"][None, :]
    upd["p_specified"] = levels[:, None, None] * loads["p_specified"][None]
    upd["q_specified"] = levels[:, None, None] * loads["q_specified"][None]
    t0 = time.perf_counter()
    pgm = PowerGridModel(pgm_input, system_frequency=feeders.FREQUENCY_HZ)
    res = pgm.calculate_power_flow(
        symmetric=False,
        error_tolerance=1e-8,
        max_iterations=50,
        calculation_method=CalculationMethod.newton_raphson,
        update_data={ComponentType.asym_load: upd},
        threading=-1,
    )
    out["pgm_s"] = time.perf_counter() - t0
    script = workdir / "bench3.dss"
    script.write_text(to_dss(net), encoding="utf-8")
    dss.Text.Command("Clear")
    dss.Text.Command(f"Redirect {script}")
    t0 = time.perf_counter()
    for x in levels[:dss_loop]:
        dss.Text.Command(f"Set LoadMult={x:.9g}")
        dss.Solution.Solve()
    out["opendss_s"] = time.perf_counter() - t0
    out["gat_ms_per_scenario"] = out["gat_s"] / n_scenarios * 1e3
    out["pgm_ms_per_scenario"] = out["pgm_s"] / n_scenarios * 1e3
    out["opendss_ms_per_scenario"] = out["opendss_s"] / dss_loop * 1e3
    v_gat = np.abs(batch.voltages)
    pn = res[ComponentType.node]["u_pu"]  # (S, n, 3)
    out["gat_vs_pgm_max_dvm_pu"] = float(np.abs(v_gat - pn[:, model.pn_node, model.pn_phase]).max())
    return out


def _stats(samples: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(samples), "min": min(samples), "samples": samples}


def run_size(n_buses: int, repeats: int, workdir: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    net = make_network_3ph(n_buses)
    made_s = time.perf_counter() - t0
    tools = _tools(net, workdir)
    warm = {}
    for name, tool in tools.items():
        model = tool["build"]()
        warm[name] = (model, tool["calc"](model))
    gat_model, gat_res = warm["gat"]
    if not gat_res.converged.all():
        raise RuntimeError("gat did not converge")
    agree = _agreement(net, gat_model, gat_res, warm["pgm"][1])
    iterations = {"gat": int(gat_res.iterations[0]), "opendss": int(warm["opendss"][1])}
    del warm
    times: dict[str, dict[str, list[float]]] = {
        k: {"build_s": [], "calc_s": [], "total_s": []} for k in tools
    }
    for _ in range(repeats):
        for name, tool in tools.items():
            gc.collect()
            a = time.perf_counter()
            model = tool["build"]()
            b = time.perf_counter()
            tool["calc"](model)
            c = time.perf_counter()
            times[name]["build_s"].append(b - a)
            times[name]["calc_s"].append(c - b)
            times[name]["total_s"].append(c - a)
            del model
    out_times = {k: {m: _stats(v) for m, v in t.items()} for k, t in times.items()}
    ratios = {}
    for peer in ("opendss", "pgm"):
        for m in ("calc_s", "total_s"):
            ratios[f"gat/{peer}_{m[:-2]}"] = (
                out_times["gat"][m]["median"] / out_times[peer][m]["median"]
            )
    nodes = net.nodes
    return {
        "n_buses": n_buses,
        "node_phases": agree["node_phases"],
        "single_phase_buses": int((nodes["phase"] != "ABC").sum()),
        "load_elements": len(net.tables["dist_loads"]),
        "network_build_s": made_s,
        "labels": {k: t["label"] for k, t in tools.items()},
        "iterations": iterations,
        "times": out_times,
        "ratios": ratios,
        "agreement": agree,
    }


def _versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="1,000 buses, 2 repeats, report in TMPDIR")
    ap.add_argument("--scenarios", type=int, default=100, help="load levels of the batch")
    ap.add_argument("--dss-loop", type=int, default=20, help="of them solved by OpenDSS")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    sizes, repeats = ([1000], 2) if args.quick else (args.sizes, args.repeats)
    out = args.out or (
        Path(tempfile.gettempdir()) / "threephase.json"
        if args.quick
        else HERE / "results" / "threephase.json"
    )
    report: dict[str, Any] = {
        "benchmark": "three-phase power flow",
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
        "versions": _versions(),
        "tolerances": {
            "gat_power_pu_per_phase": 1e-9,
            "opendss_voltage_pu": 1e-8,
            "pgm_voltage_pu": 1e-8,
            "agreement_pu": VM_TOL_PU,
        },
        "results": [],
    }
    status = "success"
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            res = run_size(n, repeats, Path(tmp))
            n_scen = 10 if args.quick else args.scenarios
            res["batch"] = run_batch(
                make_network_3ph(n), n_scen, min(args.dss_loop, n_scen), Path(tmp)
            )
            report["results"].append(res)
            t, r, a = res["times"], res["ratios"], res["agreement"]
            print(
                f"{n} buses ({res['node_phases']} node phases): solve gat "
                f"{t['gat']['calc_s']['median'] * 1e3:.1f} ms, OpenDSS "
                f"{t['opendss']['calc_s']['median'] * 1e3:.1f} ms, pgm "
                f"{t['pgm']['calc_s']['median'] * 1e3:.1f} ms; build+solve gat "
                f"{t['gat']['total_s']['median'] * 1e3:.1f} ms, OpenDSS "
                f"{t['opendss']['total_s']['median'] * 1e3:.1f} ms, pgm "
                f"{t['pgm']['total_s']['median'] * 1e3:.1f} ms"
            )
            print(
                "  ratios "
                + ", ".join(f"{k} {v:.2f}" for k, v in r.items())
                + f"; max |dV| vs OpenDSS {a['gat_vs_opendss_max_dvm_pu']:.1e} pu, "
                f"vs pgm {a['gat_vs_pgm_max_dvm_pu']:.1e} pu"
            )
            bt = res["batch"]
            print(
                f"  batch of {bt['scenarios']} load levels: gat {bt['gat_ms_per_scenario']:.1f} "
                f"ms/scenario, pgm {bt['pgm_ms_per_scenario']:.1f}, OpenDSS "
                f"{bt['opendss_ms_per_scenario']:.1f} ({bt['opendss_scenarios']} solved in a loop); "
                f"max |dV| vs pgm {bt['gat_vs_pgm_max_dvm_pu']:.1e} pu"
            )
            worst = max(
                a["gat_vs_opendss_max_dvm_pu"],
                a["gat_vs_pgm_max_dvm_pu"],
                bt["gat_vs_pgm_max_dvm_pu"],
            )
            if worst > VM_TOL_PU:
                status = "failed"
    report["status"] = status
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"report: {out} ({status})")
    return 0 if status == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
