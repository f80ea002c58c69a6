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

The unbalanced feeder is built by ``feeders3.make_network_3ph`` (see that module).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402
from feeders3 import dss_voltages, make_network_3ph, to_dss, to_pgm  # noqa: E402

from gat_schemas import Network  # noqa: E402

VM_TOL_PU = 1e-6
PACKAGES = (
    "gat-pf",
    "gat-schemas",
    "numpy",
    "scipy",
    "opendssdirect.py",
    "dss-python",
    "power-grid-model",
)


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
    node, phase, v_dss = dss_voltages(net)
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
