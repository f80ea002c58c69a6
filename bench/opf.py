"""OPF benchmark: build and solve times on the synthetic feeder, and what reuse saves.

Usage::

    uv run --no-sync python bench/opf.py [--size 1000] [--scenarios 8] [--quick] [--out FILE]

Measures, on the deterministic synthetic radial feeder of ``feeders.py``:

1. ``single``: model build time (power-flow model, Pyomo model, HiGHS instance, seed cuts) and
   first-solve time of the ``socp`` and ``lindistflow`` loss OPF without DER, and the ``socp``
   cut loop from no cut at all (``seed_cuts=False``).
2. ``der``: the same feeder with PV on every 20th node (0.3 MW each), curtailment objective
   with ``v_max`` 1.03 pu: build, solve, curtailment and the AC check.
3. ``sweep``: repeated solves done twice, (a) on ONE built model whose parameters change
   between solves (persistent HiGHS instance, cuts and basis kept) and (b) rebuilding the
   model for every solve: a load-scale sweep (``socp`` loss; ``lindistflow`` curtailment with
   PV) and an OPF hosting-capacity sweep over several nodes (``socp``, v_max 1.05). Per-solve
   medians and their ratio; the target is reuse at least 3x faster per solve. The load
   sweeps include the AC verification of every answer.

Writes ``bench/results/opf.json`` and prints a summary. Exits 1 when the reused and rebuilt
answers disagree (objective or losses differ by more than 1e-6 MW).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402

from gat_dist.opf import OpfOptions, OpfProblem  # noqa: E402
from gat_schemas import Network  # noqa: E402

TARGET_SPEEDUP = 3.0
AGREE_MW = 1e-6
PACKAGES = ("gat-dist", "gat-pf", "gat-schemas", "pyomo", "highspy", "numpy", "scipy")


def _pv_assets(net: Network, every: int = 20, p_mw: float = 0.3) -> pd.DataFrame:
    """PV on every ``every``-th load node (sorted by id): p in [0, p_mw], q within 0.44 p."""
    loads = sorted(net.nodes.loc[net.nodes["type"] != "slack", "node_id"].astype(str))[::every]
    n = len(loads)
    return pd.DataFrame(
        {
            "asset_id": [f"pv_{b}" for b in loads],
            "bus_id": loads,
            "phase": ["ABC"] * n,
            "asset_type": ["pv"] * n,
            "p_min": np.zeros(n),
            "p_max": np.full(n, p_mw),
            "q_min": np.full(n, -0.44 * p_mw),
            "q_max": np.full(n, 0.44 * p_mw),
            "efficiency": np.full(n, 0.97),
            "priority": np.ones(n, dtype=np.int64),
            "s_max": np.full(n, 1.1 * p_mw),
        }
    )


def _one(net: Network, options: OpfOptions, assets: pd.DataFrame | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    prob = OpfProblem(net, assets=assets, options=options)
    build = time.perf_counter() - t0
    res = prob.solve()
    s = res.summary.iloc[0]
    return {
        "formulation": options.formulation.value,
        "objective": options.objective.value,
        "seed_cuts": options.seed_cuts,
        "build_s": build,
        "solve_s": float(s["solve_s"]),
        "verify_s": float(s["verify_s"]),
        "cut_rounds": int(s["cut_rounds"]),
        "cuts": int(s["cuts"]),
        "objective_value": float(s["objective_value"]),
        "p_loss_mw": float(s["p_loss_mw"]),
        "ac_p_loss_mw": float(s["ac_p_loss_mw"]),
        "relaxation_gap_pu": float(s["relaxation_gap_pu"]),
        "vm_error_max_pu": float(s["vm_error_max_pu"]),
        "ac_vm_violation_pu": float(s["ac_vm_violation_pu"]),
        "curtailment_mw": float(s["curtailment_mw"]),
    }


def _sweep(
    net: Network, options: OpfOptions, scales: list[float], assets: pd.DataFrame | None
) -> dict[str, Any]:
    """Per-solve times with one reused model against a rebuild per scenario."""
    prob = OpfProblem(net, assets=assets, options=options)
    prob.solve()  # the first solve is the single-case figure; the sweep starts after it
    reuse, reuse_obj = [], []
    for s in scales:
        t0 = time.perf_counter()
        prob.set_load_scale(s)
        r = prob.solve()
        reuse.append(time.perf_counter() - t0)
        reuse_obj.append(float(r.summary.iloc[0]["objective_value"]))
    rebuild, rebuild_obj = [], []
    for s in scales:
        opts = OpfOptions(**{**_fields(options), "load_scale": s})
        t0 = time.perf_counter()
        r = OpfProblem(net, assets=assets, options=opts).solve()
        rebuild.append(time.perf_counter() - t0)
        rebuild_obj.append(float(r.summary.iloc[0]["objective_value"]))
    diff = float(np.max(np.abs(np.array(reuse_obj) - np.array(rebuild_obj))))
    speedup = statistics.median(rebuild) / statistics.median(reuse)
    return {
        "formulation": options.formulation.value,
        "objective": options.objective.value,
        "der_assets": 0 if assets is None else len(assets),
        "load_scales": scales,
        "reuse_s": reuse,
        "rebuild_s": rebuild,
        "reuse_median_s": statistics.median(reuse),
        "rebuild_median_s": statistics.median(rebuild),
        "speedup": speedup,
        "target_speedup": TARGET_SPEEDUP,
        "target_met": speedup >= TARGET_SPEEDUP,
        "objective_max_diff": diff,
        "agree": diff <= AGREE_MW,
    }


def _hostcap_sweep(net: Network, nodes: list[str], max_mw: float) -> dict[str, Any]:
    """Hosting capacity by OPF node after node: one model against a rebuild per node."""
    options = OpfOptions(objective="hostcap", v_max=1.05)
    prob = OpfProblem(net, options=options)
    reuse, caps = [], []
    for node in nodes:
        t0 = time.perf_counter()
        _, sol = prob.solve_host(node, max_injection_mw=max_mw)
        reuse.append(time.perf_counter() - t0)
        caps.append(float(sol.p_host.sum() * net.base_mva))
    rebuild, caps_rebuilt = [], []
    for node in nodes:
        t0 = time.perf_counter()
        _, sol = OpfProblem(net, options=options).solve_host(node, max_injection_mw=max_mw)
        rebuild.append(time.perf_counter() - t0)
        caps_rebuilt.append(float(sol.p_host.sum() * net.base_mva))
    diff = float(np.max(np.abs(np.array(caps) - np.array(caps_rebuilt))))
    speedup = statistics.median(rebuild) / statistics.median(reuse)
    return {
        "formulation": "socp",
        "objective": "hostcap",
        "nodes": nodes,
        "hosting_capacity_mw": caps,
        "reuse_s": reuse,
        "rebuild_s": rebuild,
        "reuse_median_s": statistics.median(reuse),
        "rebuild_median_s": statistics.median(rebuild),
        "speedup": speedup,
        "target_speedup": TARGET_SPEEDUP,
        "target_met": speedup >= TARGET_SPEEDUP,
        "objective_max_diff": diff,
        # The first tight loss weight differs between a fresh model and a warm one, so the
        # capacities may differ slightly; the AC check of hostcap_opf is the arbiter.
        "agree": diff <= 1e-3,
    }


def _fields(options: OpfOptions) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(options, f.name) for f in fields(options)}


def _provenance() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    git = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE.parent
    )
    out["git_commit"] = git.stdout.strip() or None
    return {
        "versions": out,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000, help="buses of the synthetic feeder")
    ap.add_argument("--scenarios", type=int, default=8, help="load scales in the sweep")
    ap.add_argument("--hostcap-nodes", type=int, default=6, help="nodes in the hostcap sweep")
    ap.add_argument("--quick", action="store_true", help="200 buses, 3 scenarios (smoke test)")
    ap.add_argument("--out", type=Path, default=None, help="report (default results/opf.json)")
    args = ap.parse_args(argv)
    if args.quick:
        args.size, args.scenarios, args.hostcap_nodes = 200, 3, 3
        args.out = args.out or Path("/tmp/gat-bench-opf-quick.json")
    args.out = args.out or HERE / "results" / "opf.json"

    net = feeders.make_network(args.size)
    pv = _pv_assets(net)
    scales = [round(float(x), 4) for x in np.linspace(0.6, 1.3, args.scenarios)]
    report: dict[str, Any] = {"network": {"name": net.name, "buses": len(net.nodes)}}
    report["single"] = [
        _one(net, OpfOptions(formulation="socp")),
        _one(net, OpfOptions(formulation="socp", seed_cuts=False)),
        _one(net, OpfOptions(formulation="lindistflow")),
    ]
    curt = {"objective": "curtailment", "v_max": 1.03}
    report["der"] = {
        "pv_assets": len(pv),
        "pv_mw": float(pv["p_max"].sum()),
        "runs": [
            _one(net, OpfOptions(formulation="socp", **curt), pv),
            _one(net, OpfOptions(formulation="lindistflow", loss_weight=0.0, **curt), pv),
        ],
    }
    report["sweep"] = [
        _sweep(net, OpfOptions(formulation="socp"), scales, None),
        _sweep(net, OpfOptions(formulation="lindistflow", loss_weight=0.0, **curt), scales, pv),
    ]
    loads = sorted(net.nodes.loc[net.nodes["type"] != "slack", "node_id"].astype(str))
    picks = [loads[i] for i in np.linspace(0, len(loads) - 1, args.hostcap_nodes).astype(int)]
    report["sweep"].append(_hostcap_sweep(net, picks, max_mw=20.0))
    report["provenance"] = _provenance()
    ok = all(s["agree"] for s in report["sweep"])
    report["status"] = "success" if ok else "failed"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"OPF on {net.name} ({len(net.nodes)} buses)")
    for r in report["single"] + report["der"]["runs"]:
        seed = "" if r["seed_cuts"] else " (no seed cuts)"
        print(
            f"  {r['formulation']:<11} {r['objective']:<11}{seed}: build {r['build_s']:.2f} s, "
            f"solve {r['solve_s']:.2f} s in {r['cut_rounds']} LP solves, "
            f"AC check {r['verify_s'] * 1e3:.1f} ms, AC voltage violation "
            f"{r['ac_vm_violation_pu']:.1e} pu"
        )
    for s in report["sweep"]:
        what = f"{len(s['nodes'])} nodes" if "nodes" in s else f"{len(scales)} load scales"
        print(
            f"  sweep {s['formulation']:<11} {s['objective']:<11} ({what}): "
            f"reuse {s['reuse_median_s']:.3f} s/solve, rebuild {s['rebuild_median_s']:.3f} "
            f"s/solve -> {s['speedup']:.1f}x (target {TARGET_SPEEDUP:.0f}x: "
            f"{'met' if s['target_met'] else 'NOT met'}); answers agree: {s['agree']}"
        )
    print(f"report: {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
