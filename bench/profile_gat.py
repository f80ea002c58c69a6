"""Where GAT's power-flow time goes: cProfile of the benchmark cases, top entries printed.

Usage::

    uv run --no-sync python bench/profile_gat.py [--size 100000] [--top 25] [--out FILE]

Profiles, on the benchmark's synthetic network: ``build_model`` + ``run_power_flow`` with the
sweep and with Newton-Raphson (``--size`` buses), and ``solve_batch`` with the sweep on the
batch case (``--scenarios`` x ``--batch-size``). One untimed warm-up precedes each profile.
Only GAT and numpy/scipy are needed (no peer tools).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feeders  # noqa: E402

import gat_pf  # noqa: E402


def _profile(title: str, func, top: int) -> str:
    func()  # warm-up: imports, caches
    prof = cProfile.Profile()
    prof.enable()
    func()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    return f"==== {title} (profiled total {stats.total_tt:.3f} s)\n{buf.getvalue()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000, help="buses of the single-run network")
    ap.add_argument("--scenarios", type=int, default=1_000)
    ap.add_argument("--batch-size", type=int, default=1_000)
    ap.add_argument("--top", type=int, default=25, help="entries per profile")
    ap.add_argument("--out", type=Path, default=None, help="also write the text here")
    args = ap.parse_args(argv)

    net = feeders.make_network(args.size)
    bnet = feeders.make_network(args.batch_size)
    p, q = feeders.load_scenarios(bnet, args.scenarios)
    sweep = gat_pf.PowerFlowOptions(method=gat_pf.Method.BFS)
    newton = gat_pf.PowerFlowOptions(method=gat_pf.Method.NR)

    def single(options):
        return lambda: gat_pf.run_power_flow(gat_pf.build_model(net), options=options)

    def batch() -> object:
        model = gat_pf.build_model(bnet)
        return gat_pf.solve_batch(model, load_p_mw=p, load_q_mvar=q, options=sweep)

    parts = [
        _profile(f"build_model + run_power_flow(BFS), {args.size} buses", single(sweep), args.top),
        _profile(f"build_model + run_power_flow(NR), {args.size} buses", single(newton), args.top),
        _profile(f"solve_batch(BFS), {args.scenarios} x {args.batch_size}", batch, args.top),
    ]
    import run  # provenance: git commit and whether gat-pf, gat-schemas or bench had edits

    versions = run._versions()
    head = f"gat_pf at git {versions['git_commit']} (uncommitted edits: {versions['git_dirty']})"
    text = "\n".join([head, *parts])
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
