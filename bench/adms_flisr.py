"""FLISR benchmark: ``gat adms flisr-sim`` for every single fault of case33bw.

Usage::

    uv run --no-sync python bench/adms_flisr.py [--repeats 3]

The job: ``test_data/adms/case33bw`` (customers per node) with
``case33bw_reliability.csv`` (33 fault elements: 32 branches and the head breaker) and
``case33bw_switching_devices.csv`` (breaker, recloser, sectionalizers, disconnects, fuses,
the five open branches as ties).

- ``command``: the whole command as a user runs it (``gat adms flisr-sim`` in a fresh process:
  imports, reading and validating inputs, the restoration MILP and AC check of every fault,
  validated Parquet writes and run.json), timed ``--repeats`` times; the target is at most
  10 s.
- ``in_process``: ``simulate_flisr`` alone, and its parts: building the MILP once (Pyomo model
  and persistent HiGHS instance) and the per-fault solves that only change variable bounds;
  ``rebuild_estimate_s`` is what building a fresh model for every solve would add.

Writes ``bench/results/adms_flisr.json``; exits 1 when the command takes more than the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ADMS = ROOT / "test_data" / "adms"
NETWORK = ADMS / "case33bw"
REL = ADMS / "case33bw_reliability.csv"
SW = ADMS / "case33bw_switching_devices.csv"
TARGET_S = 10.0
PACKAGES = ("gat-adms", "gat-pf", "gat-schemas", "numpy", "pandas", "pyomo", "highspy")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed command runs (3)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "adms_flisr.json")
    return ap.parse_args(argv)


def _machine() -> dict[str, Any]:
    cpu = ""
    if Path("/proc/cpuinfo").is_file():
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), ""
            )
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def _versions() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    out["git_commit"] = git.stdout.strip() or None
    return out


def time_command(repeats: int) -> dict[str, Any]:
    """Wall time of ``gat adms flisr-sim`` in a fresh process, ``repeats`` times."""
    samples, work, summary = [], [], None
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            cmd = [
                sys.executable,
                "-m",
                "gat_cli",
                "--format",
                "json",
                "adms",
                "flisr-sim",
                "--grid-file",
                str(NETWORK),
                "--reliability",
                str(REL),
                "--switches",
                str(SW),
                "-d",
                str(Path(tmp) / f"run{k}"),
            ]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            samples.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"gat adms flisr-sim failed: {proc.stderr.strip()}")
            summary = json.loads(proc.stdout)
            work.append(summary["seconds"])
    assert summary is not None
    return {
        "seconds": {"median": statistics.median(samples), "min": min(samples), "samples": samples},
        "simulate_seconds": {"median": statistics.median(work), "samples": work},
        "faults": summary["faults"],
        "milp_solves": summary["milp_solves"],
        "ac_checks": summary["ac_checks"],
        "restored_through_ties": summary["restored_through_ties"],
        "ac_check_failed": summary["ac_check_failed"],
        "indices": summary["indices"],
        "target_s": TARGET_S,
        "note": "python -m gat_cli adms flisr-sim in a fresh process (imports, validation, "
        "FLISR of every fault, validated Parquet writes, run.json); simulate_seconds: "
        "simulate_flisr's own time (its --format json 'seconds')",
    }


def time_in_process() -> dict[str, Any]:
    """simulate_flisr warm, the one-off MILP build, and the per-fault solves."""
    import numpy as np

    from gat_adms import FlisrOptions, simulate_flisr
    from gat_adms.flisr.grid import build_grid
    from gat_adms.flisr.milp import RestorationMilp
    from gat_adms.flisr.simulate import _normal_limits
    from gat_adms.flisr.zones import device_zones, fault_zones
    from gat_dist.table_files import read_table_file
    from gat_schemas import read_network

    net = read_network(NETWORK)
    rel = read_table_file(REL, "reliability")
    dev = read_table_file(SW, "switching_devices")
    simulate_flisr(net, rel, dev)  # warm imports and caches
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = simulate_flisr(net, rel, dev)
        runs.append(time.perf_counter() - t0)
    grid = build_grid(net, dev)
    w_min, _, rating = _normal_limits(grid)
    t0 = time.perf_counter()
    milp = RestorationMilp(grid, FlisrOptions(), w_min, rating)
    build_s = time.perf_counter() - t0
    zone = device_zones(grid)
    solves = []
    for b in range(grid.n_branch):
        z = fault_zones(grid, zone, node=-1, branch=b)
        if not z.candidates.any():
            continue
        t0 = time.perf_counter()
        milp.solve(~z.interrupted | z.upstream, z.dead)
        solves.append(time.perf_counter() - t0)
    return {
        "simulate_flisr_s": {"median": statistics.median(runs), "samples": runs},
        "faults": len(res.runs),
        "milp_build_s": build_s,
        "milp_solve_s": {"median": float(np.median(solves)), "max": float(np.max(solves))},
        "milp_solves": len(solves),
        "rebuild_estimate_s": build_s * len(solves),
        "note": "one MILP built per network; each fault changes variable bounds of the "
        "persistent HiGHS model and re-solves",
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    command = time_command(args.repeats)
    stages = time_in_process()
    ok = command["seconds"]["median"] <= TARGET_S and not command["ac_check_failed"]
    report = {
        "benchmark": "adms_flisr",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "status": "ok" if ok else "failed",
        "job": {
            "network": "case33bw",
            "inputs": "test_data/adms/case33bw, case33bw_reliability.csv, "
            "case33bw_switching_devices.csv",
            "faults": "all (every element of the reliability table)",
        },
        "command": command,
        "in_process": stages,
        "machine": _machine(),
        "versions": _versions(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"flisr-sim, {command['faults']} faults of case33bw: command "
        f"{command['seconds']['median']:.2f} s (target {TARGET_S:.0f} s); in process "
        f"{stages['simulate_flisr_s']['median']:.2f} s; MILP built once in "
        f"{stages['milp_build_s']:.3f} s, {stages['milp_solves']} solves of median "
        f"{stages['milp_solve_s']['median'] * 1000:.1f} ms (a rebuild per solve would add "
        f"{stages['rebuild_estimate_s']:.2f} s); report {args.out}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
