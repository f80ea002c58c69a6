"""Power-flow benchmark: GAT against pandapower and power-grid-model, in one process.

Usage::

    uv run --no-sync python bench/run.py [--sizes 1000 10000 100000] [--repeats 5] [--quick]

Prints a table of timings and gat/peer ratios and writes ``bench/results/pf.json`` (see
``bench/README.md``). Exits 1 when the tools disagree by more than 1e-6 pu in voltage
magnitude (the report is written first, with ``"status": "failed"``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402
import measure  # noqa: E402
import memory  # noqa: E402
import tools  # noqa: E402

VM_TOL_PU = 1e-6
GAT = ("gat_nr", "gat_bfs")
PEERS = ("pandapower_nr", "pgm_nr", "pgm_ic")
PP_FEW_REPEATS_FROM = 100_000  # pandapower gets at most 3 repeats from this size on
PACKAGES = (
    "gat-pf",
    "gat-schemas",
    "numpy",
    "scipy",
    "pandas",
    "pandapower",
    "power-grid-model",
    "numba",
)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1_000, 10_000, 100_000],
        help="network sizes in buses (default 1000 10000 100000)",
    )
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats per tool (>= 1)")
    ap.add_argument("--scenarios", type=int, default=1_000, help="batch scenarios")
    ap.add_argument("--batch-size", type=int, default=1_000, help="batch network size (buses)")
    ap.add_argument(
        "--pp-loop",
        type=int,
        default=20,
        help="scenarios pandapower runs in the batch comparison (extrapolated)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1k buses, 3 repeats, 100 scenarios, report to a temp dir",
    )
    ap.add_argument("--out", type=Path, default=None, help="report path (default results/pf.json)")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.scenarios, args.pp_loop = [1_000], 3, 100, 5
        args.out = args.out or Path(tempfile.gettempdir()) / "gat-bench-pf-quick.json"
    args.out = args.out or HERE / "results" / "pf.json"
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    return args


def _machine() -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    with open("/proc/meminfo") as fh:
        mem_kb = int(next(ln.split()[1] for ln in fh if ln.startswith("MemTotal")))
    threads = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": sys.version.split()[0],
        "thread_env": threads,
    }


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    root = HERE.parent
    git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=root)
    dirty = subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "--",
            "packages/gat-pf",
            "packages/gat-schemas",
            "bench",
            ":(exclude)bench/results",
        ],
        capture_output=True,
        text=True,
        cwd=root,
    )
    out["git_commit"] = git.stdout.strip() or None
    out["git_dirty"] = bool(dirty.stdout.strip())  # type: ignore[assignment]
    return out


def _network_facts(net: Any, seconds: float) -> dict[str, Any]:
    nodes, br = net.nodes, net.branches
    slack = nodes.loc[nodes["type"] == "slack", "node_id"].iloc[0]
    return {
        "buses": len(nodes),
        "branches": len(br),
        "loads": int((nodes["load_p"] > 0).sum()),
        "circuits": int((br["from_node"] == slack).sum()),
        "total_load_mw": float(nodes["load_p"].sum()),
        "total_load_mvar": float(nodes["load_q"].sum()),
        "total_length_km": float(br["length_km"].sum()),
        "base_kv": feeders.BASE_KV,
        "base_mva": feeders.BASE_MVA,
        "generation_s": seconds,
    }


def _ratios(timings: dict[str, dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gats = [t for t in timings if t.startswith("gat")]
    for g in gats:
        for p in (t for t in timings if not t.startswith("gat")):
            ratio = {
                k: timings[g][k]["median"] / timings[p][k]["median"]
                for k in keys
                if k in timings[g]
                and k in timings[p]
                and timings[p][k]["median"] > 0
                # pandapower's build is not separable (runpp rebuilds): compare totals only
                and (k == "total_s" or not p.startswith("pandapower"))
            }
            if "min" in timings[p]["total_s"]:  # best-of ratio: robust to background load
                ratio["total_s_min"] = timings[g]["total_s"]["min"] / timings[p]["total_s"]["min"]
            out[f"{g}/{p}"] = ratio
    return out


def _single(args: argparse.Namespace, report: dict[str, Any]) -> list[str]:
    failures = []
    singles = tools.single_tools()
    for size in args.sizes:
        t0 = time.perf_counter()
        net = feeders.make_network(size)
        report["networks"][str(size)] = _network_facts(net, time.perf_counter() - t0)
        repeats = {t.name: args.repeats for t in singles}
        if size >= PP_FEW_REPEATS_FROM:
            repeats["pandapower_nr"] = min(args.repeats, 3)
        print(f"  {size:>7} buses: {len(singles)} tools", file=sys.stderr, flush=True)
        measured = measure.time_single(singles, net, repeats)
        timings = {k: v[0] for k, v in measured.items()}
        vm = {k: v[1] for k, v in measured.items()}
        va = {k: v[2] for k, v in measured.items()}
        agree = measure.agreement(vm, va, reference="pgm_nr")
        report["single"][str(size)] = {
            "tools": timings,
            "agreement": agree,
            "ratios": _ratios(timings, ("build_s", "calc_s", "total_s")),
        }
        if agree["spread_vm_pu"] > VM_TOL_PU:
            failures.append(f"{size} buses: tools disagree by {agree['spread_vm_pu']:.3g} pu")
    return failures


def _batch(args: argparse.Namespace, report: dict[str, Any]) -> list[str]:
    net = feeders.make_network(args.batch_size)
    p, q = feeders.load_scenarios(net, args.scenarios)
    print(f"  batch {args.scenarios} x {args.batch_size}", file=sys.stderr, flush=True)
    measured = measure.time_batch(tools.batch_tools(), net, p, q, args.repeats)
    timings = {k: v[0] for k, v in measured.items()}
    vm = {k: v[1] for k, v in measured.items()}
    va = {k: v[2] for k, v in measured.items()}
    n_pp = min(args.pp_loop, args.scenarios)
    print(f"  batch: pandapower loop on {n_pp} scenarios", file=sys.stderr, flush=True)
    pp_t, pp_vm, pp_va = measure.time_pandapower_loop(net, p, q, n_pp)
    agree = measure.agreement(vm, va, reference="pgm_batch_nr")
    sub_vm = {k: v[:n_pp] for k, v in vm.items()} | {"pandapower_loop": pp_vm}
    sub_va = {k: v[:n_pp] for k, v in va.items()} | {"pandapower_loop": pp_va}
    agree_pp = measure.agreement(sub_vm, sub_va, reference="pgm_batch_nr")
    timings["pandapower_loop"] = pp_t
    report["batch"] = {
        "buses": args.batch_size,
        "scenarios": args.scenarios,
        "scenario_model": "per scenario: level U(0.5, 1.1) x per-load noise U(0.9, 1.1) on P "
        "and Q (seed 7)",
        "tools": timings,
        "agreement": agree,
        "agreement_with_pandapower_subset": agree_pp,
        "ratios": _ratios(timings, ("build_s", "run_s", "total_s")),
    }
    worst = max(agree["spread_vm_pu"], agree_pp["spread_vm_pu"])
    return [f"batch: tools disagree by {worst:.3g} pu"] if worst > VM_TOL_PU else []


def _targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []

    def add(name: str, description: str, value: float | None, limit: float) -> None:
        rows.append(
            {
                "name": name,
                "description": description,
                "value": value,
                "limit": limit,
                "met": value is not None and value <= limit,
            }
        )

    for size in ("10000", "100000"):
        single = report["single"].get(size)
        if single is None:
            continue
        for g in GAT:
            r = single["ratios"]
            add(
                f"pf_{size}_{g}_vs_pgm_ic",
                f"{g} build+calc / pgm iterative_current construction+calc at {size} buses",
                r[f"{g}/pgm_ic"]["total_s"],
                1.0,
            )
            add(
                f"pf_{size}_{g}_vs_pandapower",
                f"{g} build+calc / pandapower runpp NR at {size} buses",
                r[f"{g}/pandapower_nr"]["total_s"],
                0.2,
            )
    batch = report.get("batch")
    if batch and batch["buses"] == 1_000 and batch["scenarios"] == 1_000:  # the target's shape
        for g in ("gat_batch_bfs", "gat_batch_nr"):
            add(
                f"batch_{g}_vs_pgm_ic",
                f"{g} build+run / pgm batch iterative_current (sequential) build+run",
                batch["ratios"][f"{g}/pgm_batch_ic"]["total_s"],
                1.0,
            )
    mem = report.get("memory", {}).get("tools")
    if mem and report["memory"]["buses"] == 100_000:  # the target's size
        for g in GAT:
            add(
                f"memory_{g}_vs_pgm_ic",
                f"peak RSS increase, {g} / pgm iterative_current at "
                f"{report['memory']['buses']} buses",
                mem[g]["peak_delta_mb"] / mem["pgm_ic"]["peak_delta_mb"],
                1.5,
            )
    imp = report.get("import", {}).get("gat_pf")
    if imp:
        add(
            "import_gat_pf",
            "wall time of python -c 'import gat_pf' (s, start-up included)",
            imp["median"],
            0.3,
        )
    return rows


def _print_tables(report: dict[str, Any]) -> None:
    for size, single in report["single"].items():
        facts = report["networks"][size]
        print(
            f"\n{size} buses ({facts['circuits']} circuits, {facts['loads']} loads, "
            f"{facts['total_load_mw']:.1f} MW), vm_min {single['agreement']['vm_min_pu']:.5f}"
            f" pu, spread {single['agreement']['spread_vm_pu']:.1e} pu"
        )
        print(
            f"{'tool':<24}{'build ms':>10}{'calc ms':>10}{'total ms':>10}"
            f"{'bfs/x':>8}{'nr/x':>8}{'n':>4}"
        )
        for name, t in single["tools"].items():
            r_bfs = single["ratios"].get(f"gat_bfs/{name}", {}).get("total_s")
            r_nr = single["ratios"].get(f"gat_nr/{name}", {}).get("total_s")
            print(
                f"{name:<24}{t['build_s']['median'] * 1e3:>10.2f}"
                f"{t['calc_s']['median'] * 1e3:>10.2f}{t['total_s']['median'] * 1e3:>10.2f}"
                f"{_fmt(r_bfs):>8}{_fmt(r_nr):>8}{t['repeats']:>4}"
            )
    if "batch" in report:
        b = report["batch"]
        print(
            f"\nbatch {b['scenarios']} scenarios x {b['buses']} buses, "
            f"spread {b['agreement']['spread_vm_pu']:.1e} pu"
        )
        print(f"{'tool':<24}{'build ms':>10}{'run ms':>10}{'total ms':>10}{'bfs/x':>8}")
        for name, t in b["tools"].items():
            r = b["ratios"].get(f"gat_batch_bfs/{name}", {}).get("total_s")
            build = _ms(t.get("build_s", {}).get("median"))
            run = _ms(t.get("run_s", {}).get("median"))
            extra = "  (extrapolated)" if t["total_s"].get("extrapolated") else ""
            print(
                f"{name:<24}{build:>10}{run:>10}{t['total_s']['median'] * 1e3:>10.1f}"
                f"{_fmt(r):>8}{extra}"
            )
    if "memory" in report:
        print(f"\npeak memory at {report['memory']['buses']} buses (MiB, child process per tool)")
        for name, m in report["memory"]["tools"].items():
            print(
                f"{name:<24} increase {m['peak_delta_mb']:>8.1f}   whole process "
                f"{m['peak_total_mb']:>8.1f}"
            )
    if "import" in report:
        print("\nimport wall time (s, python -c, start-up included)")
        for name, s in report["import"].items():
            print(f"{name:<24}{s['median']:>8.3f}")
    print("\ntargets")
    for t in report["targets"]:
        print(
            f"{'MET ' if t['met'] else 'MISS'} {t['name']:<34}{_fmt(t['value']):>8}"
            f"  <= {t['limit']}"
        )


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f}"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    report: dict[str, Any] = {
        "schema": "gat-bench-pf/1",
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": _machine(),
        "versions": _versions(),
        "settings": {
            "sizes": args.sizes,
            "repeats": args.repeats,
            "scenarios": args.scenarios,
            "batch_size": args.batch_size,
            "pp_loop": args.pp_loop,
            "vm_tolerance_pu": VM_TOL_PU,
            "quick": args.quick,
            "pandapower_max_repeats_from_100k": 3,
            "pgm_source_sk_va": feeders.PGM_SOURCE_SK_VA,
        },
        "networks": {},
        "single": {},
    }
    report["status"] = "running"
    failures = _single(args, report)
    _write(report, args.out)
    failures += _batch(args, report)
    _write(report, args.out)
    mem_size = max(args.sizes)
    print(f"  memory at {mem_size} buses (child processes)", file=sys.stderr, flush=True)
    report["memory"] = {
        "buses": mem_size,
        "what": memory.__doc__.split("\n\n")[1],
        "tools": memory.measure(feeders.make_network(mem_size), [*GAT, "pgm_nr", "pgm_ic"]),
    }
    _write(report, args.out)
    report["import"] = measure.import_times(
        ["gat_pf", "power_grid_model", "pandapower"], repeats=5 if not args.quick else 2
    )
    report["targets"] = _targets(report)
    report["status"] = "failed" if failures else "success"
    report["failures"] = failures
    _write(report, args.out)
    _print_tables(report)
    print(f"\nreport written to {args.out}")
    if failures:
        print("BENCH FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


def _write(report: dict[str, Any], path: Path) -> None:
    """Write the report (also mid-run, with ``status: running``, so a crash loses little)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1, default=_json_default) + "\n")
    tmp.replace(path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


if __name__ == "__main__":
    sys.exit(main())
