"""Three-phase DERMS benchmark: envelope and schedule on IEEE 34 against their balanced
case33bw times, in the same run.

Usage::

    uv run --no-sync python bench/derms3.py [--repeats 3] [--out FILE]

The jobs (issue 12 item 5: each three-phase job within 3x its balanced job's time):

- envelope: 32-direction P-Q envelopes grouped by ``agg_id``. Balanced: the shipped
  13-asset portfolio on ``test_data/derms/case33bw`` (``der_assets.csv``, socp model, as
  ``bench/derms_envelope.py``). Three-phase: the ``ieee34`` dataset's 29 assets (one
  ``agg_id`` group of 26; the three utility batteries are in none), linearised three-phase
  model with secant cuts.
- schedule: the shipped day (``prices.csv``, ``pv.csv``: 96 periods of 15 minutes), cost
  objective. Balanced: the 13-asset portfolio on case33bw with ``loads.csv`` (per node).
  Three-phase: the ieee34 dataset's assets with one load scale per period (the mean over
  nodes of ``loads.csv``'s scales, as the three-phase schedule takes one factor a period).

Correctness is checked before timing: every envelope AC-verified, every schedule period
AC-converged with no violation. Each of ``--repeats`` rounds times the balanced job then the
three-phase one (interleaved, so a busy spell of the shared machine slows both); the ratio
is the median of the rounds' ratios. Model builds are included, imports and file reading
are not. Writes ``bench/results/derms3.json``; exits 1 when a correctness check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DERMS = REPO / "test_data" / "derms"
TARGET_RATIO = 3.0


def _inputs() -> dict[str, Any]:
    import pandas as pd

    from gat_derms.schedule import read_series
    from gat_dist.datasets import build_dataset
    from gat_dist.table_files import read_table_file
    from gat_schemas import read_network

    loads = read_series(DERMS / "loads.csv", "load_series")
    scale = loads.groupby("timestamp", sort=True)["scale"].mean().reset_index()
    ieee34 = build_dataset("ieee34")
    return {
        "case33bw": read_network(DERMS / "case33bw"),
        "shipped": read_table_file(DERMS / "der_assets.csv", "der_assets"),
        "ieee34": ieee34,
        "ieee34_assets": ieee34.table("der_assets"),
        "prices": read_series(DERMS / "prices.csv", "price_series"),
        "pv": read_series(DERMS / "pv.csv", "pv_series"),
        "loads": loads,
        "loads_scale": pd.DataFrame(scale),
    }


def _envelope(net, assets):  # type: ignore[no-untyped-def]
    from gat_derms.envelope import EnvelopeOptions, compute_envelopes

    t0 = time.perf_counter()
    res = compute_envelopes(net, assets, EnvelopeOptions(group_by="agg_id", directions=32))
    wall = time.perf_counter() - t0
    s = res.summary
    return wall, {
        "groups": len(s),
        "vertices": len(res.envelopes),
        "lp_solves": res.lp_solves,
        "ac_verified": bool(s["ac_verified"].all()),
        "ac_corrections": [int(x) for x in s["ac_corrections"]],
        "held_limits": len(res.held),
    }


def _schedule(net, assets, inp, loads):  # type: ignore[no-untyped-def]
    from gat_derms.schedule import run_schedule

    t0 = time.perf_counter()
    res = run_schedule(net, assets, inp["prices"], loads=loads, pv=inp["pv"])
    wall = time.perf_counter() - t0
    s = res.summary.iloc[0]
    return wall, {
        "model": res.model,
        "periods": int(s["periods"]),
        "assets": int(s["assets"]),
        "ac_corrections": int(s["ac_corrections"]),
        "ac_converged_periods": int(s["ac_converged_periods"]),
        "ac_voltage_violations": int(s["ac_voltage_violations"]),
        "ac_thermal_violations": int(s["ac_thermal_violations"]),
        "cost": float(s["cost"]),
        "cost_lp": float(s["cost_lp"]),
        "held_limits": len(res.held),
    }


def _ok_envelope(facts: dict[str, Any]) -> bool:
    return bool(facts["ac_verified"])


def _ok_schedule(facts: dict[str, Any]) -> bool:
    return (
        facts["ac_converged_periods"] == facts["periods"]
        and facts["ac_voltage_violations"] == 0
        and facts["ac_thermal_violations"] == 0
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (median ratio)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "derms3.json")
    args = ap.parse_args(argv)

    inp = _inputs()
    jobs = {
        "envelope": (
            lambda: _envelope(inp["case33bw"], inp["shipped"]),
            lambda: _envelope(inp["ieee34"], inp["ieee34_assets"]),
            _ok_envelope,
        ),
        "schedule": (
            lambda: _schedule(inp["case33bw"], inp["shipped"], inp, inp["loads"]),
            lambda: _schedule(inp["ieee34"], inp["ieee34_assets"], inp, inp["loads_scale"]),
            _ok_schedule,
        ),
    }
    report: dict[str, Any] = {}
    failed = []
    for name, (balanced, three, ok) in jobs.items():
        # Correctness first (also the warm-up: imports, HiGHS, first-call caches).
        _, facts_b = balanced()
        _, facts_3 = three()
        correct = ok(facts_b) and ok(facts_3)
        if not correct:
            failed.append(name)
        walls_b, walls_3, ratios = [], [], []
        for _ in range(args.repeats):
            wb, _ = balanced()
            w3, _ = three()
            walls_b.append(wb)
            walls_3.append(w3)
            ratios.append(w3 / wb)
        ratio = statistics.median(ratios)
        report[name] = {
            "balanced": {"network": "case33bw", "wall_s": statistics.median(walls_b),
                         "wall_s_all": walls_b, **facts_b},
            "three_phase": {"network": "ieee34", "wall_s": statistics.median(walls_3),
                            "wall_s_all": walls_3, **facts_3},
            "ratio": ratio,
            "ratios": ratios,
            "target_ratio": TARGET_RATIO,
            "target_met": ratio <= TARGET_RATIO,
            "correct": correct,
        }  # fmt: skip
    out = {
        "benchmark": "derms3",
        "status": "failed" if failed else "success",
        "jobs": report,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"three-phase DERMS on ieee34 against balanced case33bw, median of {args.repeats}")
    for name, r in report.items():
        b, t = r["balanced"], r["three_phase"]
        print(
            f"  {name:<8} case33bw {b['wall_s']:.2f} s, ieee34 {t['wall_s']:.2f} s: ratio "
            f"{r['ratio']:.2f} ({'ok' if r['target_met'] else 'MISSED'}, target "
            f"<= {TARGET_RATIO:g}); AC {'ok' if r['correct'] else 'FAILED'}"
        )
    print(f"written to {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
