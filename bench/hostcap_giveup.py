"""Hosting capacity when some trials have no power-flow solution: what giving up a stalled
scenario of the batched radial sweep saves (``gat_pf._kernels.tree.STALL_ITERATIONS``).

Usage::

    uv run --no-sync python bench/hostcap_giveup.py [--repeats 5] [--out FILE]

On a weak feeder, ``test_data/networks/case69`` with every branch impedance x20 and every
load /20 (the same voltage profile without injection, capacities about 20 times smaller: the
search's first trials lie far beyond what the buses take, and some of them have no
power-flow solution, as at the 0.4 kV buses of MATPOWER's case1197, where the sweep found
it), ``gat_dist.hostcap.hosting_capacity`` with default options runs twice per repeat,
alternating (same process, same machine load):

* ``giveup``: the kernel as shipped (a scenario whose mismatch has not fallen 10 % below its
  best in ``STALL_ITERATIONS`` iterations leaves the batch);
* ``no_giveup``: ``STALL_ITERATIONS`` set beyond the iteration limit, i.e. every scenario
  iterates until all have converged or the limit (500) is reached, as before 2026-12-05.

Correctness first: both must give the same capacities within the search tolerance (tol_mw)
and the same limiting constraints. Reports each variant's median wall time and the ratio
no_giveup / giveup of every repeat (min, median, max). Writes
``bench/results/hostcap_giveup.json``; exits 1 when the answers differ.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CASE = REPO / "test_data" / "networks" / "case69"
WEAK = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "hostcap_giveup.json")
    args = parser.parse_args()

    import numpy as np

    from gat_dist.hostcap import HostcapOptions, hosting_capacity
    from gat_pf._kernels import tree
    from gat_schemas import Network, read_network

    base = read_network(CASE)
    br = base.tables["dist_branches"].copy()
    br[["r", "x"]] *= WEAK
    nodes = base.tables["dist_nodes"].copy()
    nodes[["load_p", "load_q"]] /= WEAK
    net = Network(
        base.name, base.base_mva, {**base.tables, "dist_branches": br, "dist_nodes": nodes}
    )
    opts = HostcapOptions()
    run_warm = hosting_capacity(net, options=opts)  # imports and first-call costs
    del run_warm
    shipped = tree.STALL_ITERATIONS

    def run(stall: int) -> tuple[float, object]:
        tree.STALL_ITERATIONS = stall
        try:
            t0 = time.perf_counter()
            res = hosting_capacity(net, options=opts)
            return time.perf_counter() - t0, res
        finally:
            tree.STALL_ITERATIONS = shipped

    t_on, on = run(shipped)
    t_off, off = run(10**9)
    a, b = on.summary, off.summary  # type: ignore[attr-defined]
    diff = float(np.abs(a.hosting_capacity_mw.to_numpy() - b.hosting_capacity_mw.to_numpy()).max())
    same = diff <= opts.tol_mw and list(a.limiting_constraint) == list(b.limiting_constraint)
    times = {"giveup": [t_on], "no_giveup": [t_off]}
    for _ in range(args.repeats - 1):
        times["giveup"].append(run(shipped)[0])
        times["no_giveup"].append(run(10**9)[0])
    ratios = [off_t / on_t for on_t, off_t in zip(times["giveup"], times["no_giveup"], strict=True)]
    git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO)
    report = {
        "case": f"case69, impedances x{WEAK:g}, loads /{WEAK:g}",
        "candidates": len(a),
        "power_flows": {"giveup": on.power_flows, "no_giveup": off.power_flows},  # type: ignore[attr-defined]
        "max_capacity_difference_mw": diff,
        "tol_mw": opts.tol_mw,
        "same_answers": same,
        "seconds": times,
        "median_s": {k: statistics.median(v) for k, v in times.items()},
        "ratio_no_giveup_over_giveup": {
            "min": min(ratios),
            "median": statistics.median(ratios),
            "max": max(ratios),
        },
        "stall_iterations": shipped,
        "git_commit": git.stdout.strip() or None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    r = report["ratio_no_giveup_over_giveup"]
    print(
        f"weak case69 hostcap ({len(a)} candidates): giveup {report['median_s']['giveup']:.2f} s, "
        f"no_giveup {report['median_s']['no_giveup']:.2f} s; ratio {r['median']:.2f} "
        f"({r['min']:.2f}-{r['max']:.2f}); capacities within {diff:.1e} MW "
        f"({'same' if same else 'DIFFERENT'} answers)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
