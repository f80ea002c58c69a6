"""Hosting-capacity benchmark: ``gat_dist.hostcap`` (method ac) against a pandapower loop.

Usage::

    uv run --no-sync python bench/hostcap.py [--buses 1000] [--repeats 3] [--pp-nodes 20]

The job: the hosting capacity of every non-slack node of the synthetic feeder of
``feeders.make_network`` (unity power factor, each node's ``v_min``/``v_max`` = 0.90/1.05 pu,
every line's ``thermal_limit``, tolerance 1 kW, search between 0 and 10 MW).

- gat: ``hosting_capacity`` in process, every search step one batched AC power flow for
  all nodes; timed ``--repeats`` times (model build included, it happens inside).
- pandapower: what a user writes by hand, one ``runpp`` per trial: per node, a static
  generator at the node, a check at 10 MW, then bisection to 1 kW, each trial checking bus
  voltages, line apparent power against ``thermal_limit`` (MVA, as GAT does; pandapower's
  own ``loading_percent`` is current-based) and convergence. Only ``--pp-nodes`` nodes (spread over the
  feeder) are run; the time for all nodes is **extrapolated** as
  ``time * n_nodes / pp_nodes`` and labelled so in the report.

Both answers are compared on the nodes pandapower ran (they agree within the tolerance).
Writes ``bench/results/hostcap.json``; exits 1 when they disagree by more than 2 kW.
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
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402

TARGET_S = 10.0
TOL_MW = 0.001
MAX_MW = 10.0
AGREE_MW = 2 * TOL_MW
PACKAGES = ("gat-dist", "gat-pf", "gat-schemas", "numpy", "scipy", "pandas", "pandapower", "numba")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--buses", type=int, default=1_000, help="feeder size (default 1000)")
    ap.add_argument("--repeats", type=int, default=3, help="timed gat runs (default 3)")
    ap.add_argument("--pp-nodes", type=int, default=20, help="nodes pandapower runs (20)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "hostcap.json")
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
    }


def _versions() -> dict[str, Any]:
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
    return out


def time_gat(net: Any, repeats: int) -> tuple[dict[str, Any], Any]:
    """Median and best wall time of the full study (secant search), plus bisection once."""
    from gat_dist.hostcap import HostcapOptions, Search, hosting_capacity

    opts = HostcapOptions(max_injection_mw=MAX_MW, tol_mw=TOL_MW)
    samples, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = hosting_capacity(net, options=opts)
        samples.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    bis = hosting_capacity(
        net, options=HostcapOptions(max_injection_mw=MAX_MW, tol_mw=TOL_MW, search=Search.BISECTION)
    )
    bis_s = time.perf_counter() - t0
    assert result is not None
    s = result.summary
    timing = {
        "nodes": len(s),
        "seconds": {"median": statistics.median(samples), "min": min(samples), "samples": samples},
        "batched_power_flows": result.power_flows,
        "limiting": s["limiting_constraint"].value_counts().to_dict(),
        "hosting_capacity_mw": {
            "min": float(s["hosting_capacity_mw"].min()),
            "median": float(s["hosting_capacity_mw"].median()),
            "max": float(s["hosting_capacity_mw"].max()),
        },
        "bisection": {
            "seconds": bis_s,
            "batched_power_flows": bis.power_flows,
            "max_abs_diff_mw": float(
                np.abs(bis.summary["hosting_capacity_mw"] - s["hosting_capacity_mw"]).max()
            ),
        },
        "note": "hosting_capacity(network) in process, search 'secant', all nodes in one "
        "shard, model build included; 'bisection' is the same study with midpoint steps",
    }
    return timing, s


class PandapowerHostcap:
    """Hand-written hosting-capacity loop on pandapower: one runpp per trial."""

    def __init__(self, net: Any) -> None:
        import pandapower as pp

        self.pp = pp
        self.pnet = feeders.to_pandapower(net)
        nodes = net.tables["dist_nodes"]
        self.v_min = nodes["v_min"].to_numpy(float)
        self.v_max = nodes["v_max"].to_numpy(float)
        self.checked = nodes["type"].to_numpy() != "slack"
        line = self.pnet.line
        # GAT's thermal_limit is in MVA (apparent power at either end), as DESIGN.md says;
        # pandapower's loading_percent is current-based, so compare apparent power instead.
        self.s_max_mva = (
            3**0.5
            * self.pnet.bus.loc[line["from_bus"], "vn_kv"].to_numpy()
            * line["max_i_ka"].to_numpy()
        )
        self.sgen = pp.create_sgen(self.pnet, bus=0, p_mw=0.0, q_mvar=0.0)
        self.runs = 0
        self.numba = importlib.util.find_spec("numba") is not None

    def _violates(self, bus: int, p_mw: float) -> bool:
        self.pnet.sgen.loc[self.sgen, ["bus", "p_mw"]] = [bus, p_mw]
        self.runs += 1
        try:
            self.pp.runpp(self.pnet, algorithm="nr", lightsim2grid=False, numba=self.numba)
        except self.pp.LoadflowNotConverged:
            return True
        vm = self.pnet.res_bus.sort_index()["vm_pu"].to_numpy()[self.checked]
        if ((vm > self.v_max[self.checked]) | (vm < self.v_min[self.checked])).any():
            return True
        r = self.pnet.res_line
        s_from = np.hypot(r["p_from_mw"].to_numpy(), r["q_from_mvar"].to_numpy())
        s_to = np.hypot(r["p_to_mw"].to_numpy(), r["q_to_mvar"].to_numpy())
        return bool((np.maximum(s_from, s_to) > self.s_max_mva).any())

    def capacity(self, bus: int) -> float:
        if not self._violates(bus, MAX_MW):
            return MAX_MW
        lo, hi = 0.0, MAX_MW
        while hi - lo > TOL_MW:
            mid = 0.5 * (lo + hi)
            if self._violates(bus, mid):
                hi = mid
            else:
                lo = mid
        return lo


def time_pandapower(net: Any, gat_summary: Any, n_nodes: int) -> dict[str, Any]:
    ids = net.tables["dist_nodes"]["node_id"].astype(str).tolist()
    candidates = gat_summary["bus_id"].tolist()
    step = max(1, len(candidates) // n_nodes)
    chosen = candidates[::step][:n_nodes]
    loop = PandapowerHostcap(net)
    loop._violates(ids.index(chosen[0]), 0.0)  # warm-up (numba compilation)
    loop.runs = 0
    t0 = time.perf_counter()
    caps = [loop.capacity(ids.index(b)) for b in chosen]
    elapsed = time.perf_counter() - t0
    ref = gat_summary.set_index("bus_id").loc[chosen, "hosting_capacity_mw"].to_numpy()
    diff = np.abs(np.asarray(caps) - ref)
    n_all = len(candidates)
    return {
        "nodes_timed": len(chosen),
        "timed_s": elapsed,
        "runpp_calls": loop.runs,
        "per_node_s": elapsed / len(chosen),
        "seconds": {"extrapolated": elapsed * n_all / len(chosen)},
        "extrapolated": True,
        "agreement": {
            "nodes": chosen,
            "max_abs_diff_mw": float(diff.max()),
            "within_mw": AGREE_MW,
        },
        "note": f"one runpp per trial (check at {MAX_MW:g} MW, then bisection to "
        f"{TOL_MW * 1e3:g} kW) on {len(chosen)} of {n_all} nodes, time scaled by "
        f"{n_all}/{len(chosen)} (extrapolated, not measured)",
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    net = feeders.make_network(args.buses)
    print(f"hosting capacity of every node, synthetic feeder of {args.buses} buses")
    gat, summary = time_gat(net, args.repeats)
    gat_s = gat["seconds"]["median"]
    print(
        f"  gat (secant)      {gat_s:8.2f} s  median of {args.repeats}, "
        f"{gat['batched_power_flows']} batched power flows; bisection {gat['bisection']['seconds']:.2f} s"
    )
    pp = time_pandapower(net, summary, args.pp_nodes)
    pp_s = pp["seconds"]["extrapolated"]
    print(
        f"  pandapower loop   {pp_s:8.1f} s  EXTRAPOLATED from {pp['nodes_timed']} nodes "
        f"({pp['timed_s']:.1f} s, {pp['runpp_calls']} runpp calls)"
    )
    agree = pp["agreement"]["max_abs_diff_mw"] <= AGREE_MW
    ratio = pp_s / gat_s
    print(
        f"  ratio pandapower/gat {ratio:.0f}x; answers differ by at most "
        f"{pp['agreement']['max_abs_diff_mw'] * 1e3:.3f} kW"
    )
    met = gat_s <= TARGET_S
    print(f"  target: all nodes in at most {TARGET_S:g} s -> {'met' if met else 'MISSED'}")
    report = {
        "benchmark": "hostcap",
        "status": "ok" if agree else "failed",
        "started_at": started,
        "network": {
            "name": net.name,
            "buses": args.buses,
            "generator": "bench/feeders.py make_network (seed 20261124)",
        },
        "job": {
            "method": "ac",
            "power_factor": 1.0,
            "tolerance_mw": TOL_MW,
            "max_injection_mw": MAX_MW,
            "checks": ["voltage", "thermal"],
        },
        "gat": gat,
        "pandapower_loop": pp,
        "ratio_pandapower_over_gat": {"value": ratio, "extrapolated": True},
        "target": {"seconds": TARGET_S, "measured_s": gat_s, "met": met},
        "machine": _machine(),
        "versions": _versions(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"report: {args.out}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
