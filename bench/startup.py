"""Whole-process benchmark: start-up, validation and I/O of `gat`, against peer scripts.

Usage::

    uv run --no-sync python bench/startup.py [--repeats 5] [--buses 100000] [--out FILE]

Every case is a separate process started with ``subprocess`` and timed by wall clock, from
start to exit, so imports, reading, validation, solving and writing all count. Each repeat
runs every command once, in turn (interleaved), so load from other processes falls on all
of them alike; medians and their ratios are reported in ``bench/results/startup.json``
(the targets are judged on the ratio of medians), with, for each GAT/peer pair, the median
of the per-repeat ratios and the ratio of the fastest runs (``ratios_paired``).

Cases (issue 11, item 4):

- ``gat --help`` alone: target <= 0.3 s.
- ``gat dist pf`` on ``test_data/networks/case33bw`` against a script that imports
  pandapower and runs ``runpp`` on its built-in ``case33bw``: target <= 0.5x.
- ``gat dist pf`` on a network folder of the benchmark's ``--buses``-bus feeder
  (:func:`feeders.make_network`) against a power-grid-model script (``pgm_script.py``) that
  reads the same Parquet files, builds its input arrays, solves with iterative current and
  writes the node voltages as Parquet: target <= 1.0x.
- ``gat dist import matpower`` of the same feeder written as a MATPOWER case file: target
  <= 5 s.

Before timing, the workspace sources are compiled to bytecode (what a normal first run, or
an install with ``UV_COMPILE_BYTECODE=1``, leaves behind), and every command runs once
untimed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402

PP_SCRIPT = (
    "import pandapower as pp, pandapower.networks as pn\n"
    "net = pn.case33bw()\n"
    "pp.runpp(net)\n"
    "print(float(net.res_bus.vm_pu.min()))\n"
)


def write_matpower(net: Any, path: Path) -> None:
    """Write a single-voltage, line-only benchmark network as a MATPOWER version 2 case."""
    nodes, br = net.nodes, net.branches
    index = {n: i + 1 for i, n in enumerate(nodes["node_id"].tolist())}
    kind = np.where(nodes["type"].to_numpy() == "slack", 3, 1)
    n = len(nodes)
    bus = np.column_stack(
        [
            np.arange(1, n + 1),
            kind,
            nodes["load_p"].to_numpy(),
            nodes["load_q"].to_numpy(),
            np.zeros(n),
            np.zeros(n),
            np.ones(n),
            np.ones(n),
            np.zeros(n),
            nodes["base_kv"].to_numpy(),
            np.ones(n),
            nodes["v_max"].to_numpy(),
            nodes["v_min"].to_numpy(),
        ]
    )
    m = len(br)
    rate = np.nan_to_num(br["thermal_limit"].to_numpy(dtype=float), nan=0.0)
    branch = np.column_stack(
        [
            br["from_node"].map(index).to_numpy(),
            br["to_node"].map(index).to_numpy(),
            br["r"].to_numpy(),
            br["x"].to_numpy(),
            br["b"].to_numpy(),
            rate,
            rate,
            rate,
            np.zeros(m),
            np.zeros(m),
            (br["status"].to_numpy() == "closed").astype(float),
            np.full(m, -360.0),
            np.full(m, 360.0),
        ]
    )
    slack = int(np.flatnonzero(kind == 3)[0]) + 1

    def rows(a: np.ndarray) -> str:
        return "\n".join("\t" + "\t".join(f"{v:.10g}" for v in row) + ";" for row in a.tolist())

    text = (
        f"function mpc = {path.stem}\n"
        "mpc.version = '2';\n"
        f"mpc.baseMVA = {net.base_mva:g};\n"
        f"mpc.bus = [\n{rows(bus)}\n];\n"
        f"mpc.gen = [\n\t{slack}\t0\t0\t100\t-100\t1\t100\t1\t100\t0;\n];\n"
        f"mpc.branch = [\n{rows(branch)}\n];\n"
    )
    path.write_text(text, encoding="utf-8")


def _run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def _stats(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--buses", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "startup.json")
    args = ap.parse_args(argv)

    for src in [*ROOT.glob("packages/*/src"), *ROOT.glob("apps/*/src")]:
        compileall.compile_dir(str(src), quiet=1)
    py = sys.executable
    gat = [py, "-m", "gat_cli"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    work = Path(tempfile.mkdtemp(prefix="gat-startup-"))
    try:
        from gat_schemas import write_network

        net = feeders.make_network(args.buses)
        folder = work / "feeder"
        write_network(net, folder)
        case = work / f"synthetic{args.buses}.m"
        write_matpower(net, case)
        pp_script = work / "pp_case33bw.py"
        pp_script.write_text(PP_SCRIPT, encoding="utf-8")
        case33 = ROOT / "test_data" / "networks" / "case33bw"
        cases: dict[str, list[str]] = {
            "gat_help": [*gat, "--help"],
            "gat_pf_case33bw": [*gat, "dist", "pf", "--grid-file", str(case33), "-d",
                                str(work / "o33"), "--force"],
            "pandapower_runpp_case33bw": [py, str(pp_script)],
            "gat_pf_feeder": [*gat, "dist", "pf", "--grid-file", str(folder), "-d",
                              str(work / "obig"), "--force"],
            "pgm_ic_feeder": [py, str(HERE / "pgm_script.py"), str(folder),
                              str(work / "pgm_nodes.parquet")],
            "gat_import_matpower": [*gat, "dist", "import", "matpower", "--file", str(case),
                                    "-d", str(work / "imported"), "--force"],
        }  # fmt: skip
        for cmd in cases.values():
            _run(cmd, env)  # warm-up: file caches, first-run bytecode of the peers
        samples: dict[str, list[float]] = {k: [] for k in cases}
        loads = []
        for _ in range(args.repeats):
            for key, cmd in cases.items():
                samples[key].append(_run(cmd, env))
            loads.append(_load())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    times = {k: _stats(v) for k, v in samples.items()}
    med = {k: v["median"] for k, v in times.items()}
    ratios = {
        "gat_pf_case33bw/pandapower_runpp_case33bw": med["gat_pf_case33bw"]
        / med["pandapower_runpp_case33bw"],
        "gat_pf_feeder/pgm_ic_feeder": med["gat_pf_feeder"] / med["pgm_ic_feeder"],
    }
    # Each repeat ran the pair back to back: the ratio within a repeat shares that moment's
    # load from other work; its median and the ratio of the fastest runs are given too.
    paired = {
        name: {
            "median_of_repeat_ratios": statistics.median(
                g / p for g, p in zip(samples[a], samples[b], strict=True)
            ),
            "min_over_min": min(samples[a]) / min(samples[b]),
        }
        for name, (a, b) in {
            "gat_pf_case33bw/pandapower_runpp_case33bw": (
                "gat_pf_case33bw",
                "pandapower_runpp_case33bw",
            ),
            "gat_pf_feeder/pgm_ic_feeder": ("gat_pf_feeder", "pgm_ic_feeder"),
        }.items()
    }
    targets = [
        _target("help", "gat --help, whole process (s)", med["gat_help"], 0.3),
        _target(
            "pf_case33bw",
            "gat dist pf on case33bw / pandapower import + runpp script",
            ratios["gat_pf_case33bw/pandapower_runpp_case33bw"],
            0.5,
        ),
        _target(
            "pf_feeder",
            f"gat dist pf on the {args.buses}-bus folder / power-grid-model script on it",
            ratios["gat_pf_feeder/pgm_ic_feeder"],
            1.0,
        ),
        _target(
            "import_matpower",
            f"gat dist import matpower of the {args.buses}-bus case (s)",
            med["gat_import_matpower"],
            5.0,
        ),
    ]
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg_1min": loads,
        },
        "settings": {"repeats": args.repeats, "buses": args.buses},
        "times_s": times,
        "ratios": ratios,
        "ratios_paired": paired,
        "targets": targets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for key, value in med.items():
        print(f"{key:28s} {value:8.3f} s (median of {args.repeats})")
    for name, r in paired.items():
        print(
            f"{name}: median of per-repeat ratios {r['median_of_repeat_ratios']:.3f}, "
            f"fastest over fastest {r['min_over_min']:.3f}"
        )
    for t in targets:
        mark = "met" if t["met"] else "MISSED"
        print(f"{t['description']}: {t['value']:.3f} (limit {t['limit']}) {mark}")
    return 0


def _target(name: str, description: str, value: float, limit: float) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "value": value,
        "limit": limit,
        "met": value <= limit,
    }


if __name__ == "__main__":
    raise SystemExit(main())
