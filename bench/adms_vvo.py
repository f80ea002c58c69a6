"""Volt/VAR plan benchmark: a 24-period plan of IEEE 123 (every regulator and capacitor, 20
DER) against the 60 s target (issue 14), AC checks included.

Usage::

    uv run --no-sync python bench/adms_vvo.py [--repeats 1] [--periods 24] [--out FILE]

Measures, on the ``ieee123`` dataset (7 regulators, 4 capacitors) with its first 20 pv
assets, the ``weekday`` day type of ``test_data/vvo/day_types.csv`` and its ``pv`` shape,
objective ``loss``, at most 8 tap steps per regulator and 4 switchings per capacitor:

1. ``plan``: wall time of ``gat_adms.vvo.plan_vvo`` (baseline QSTS, linearisations, MILPs,
   the AC check of every candidate), median of ``--repeats``; imports and the dataset
   build excluded.
2. ``baseline_qsts``: the same day run by the QSTS alone (the rule-based controls), in the
   same process: the plan costs ``ratio`` times the day it improves.

Correctness before timing: every period of the plan passes the AC check and the plan's
objective is not above the baseline's. Writes ``bench/results/adms_vvo.json``; exits 1 when
a check fails or the plan misses the target.
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHAPES = REPO / "test_data" / "vvo" / "day_types.csv"
TARGET_S = 60.0
PACKAGES = ("gat-adms", "gat-dist", "gat-pf", "gat-schemas", "highspy", "numpy", "scipy")


def _meta() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO)
    out["git_commit"] = git.stdout.strip() or None
    return {
        "versions": out,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def main() -> int:
    import numpy as np
    import pandas as pd

    from gat_adms.vvo import VvoOptions, day_types_from_shapes, plan_vvo
    from gat_dist.datasets import build_dataset
    from gat_dist.qsts import Multipliers, QstsOptions, simulate

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "adms_vvo.json")
    args = ap.parse_args()

    net = build_dataset("ieee123")
    assets = net.table("der_assets")
    assets = assets[assets.asset_type == "pv"].head(20).reset_index(drop=True)
    day = day_types_from_shapes(
        pd.read_csv(SHAPES), day_types=["weekday"], pv_shape="pv", periods=args.periods
    )
    options = VvoOptions(objective="loss", max_tap_ops=8, max_cap_ops=4)

    walls, res = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        res = plan_vvo(net, day, assets=assets, options=options)
        walls.append(time.perf_counter() - t0)
    assert res is not None
    summ = res.summary.set_index("case")
    opt, base = summ.loc["optimised"], summ.loc["baseline"]
    per = res.periods[res.periods.case == "optimised"]
    ok_ac = bool(per.ac_ok.all())
    ok_obj = bool(opt.objective <= base.objective + 1e-9)

    d = day[0]
    mult = Multipliers(
        load=d.load_scale, der=np.repeat(d.pv_scale[:, None], len(assets), axis=1),
        der_ids=tuple(assets.asset_id.astype(str)),
    )  # fmt: skip
    q_walls = []
    for _ in range(max(args.repeats, 3)):
        t0 = time.perf_counter()
        simulate(net, mult, QstsOptions(control_mode="static"), assets=assets)
        q_walls.append(time.perf_counter() - t0)

    plan_s = statistics.median(walls)
    qsts_s = statistics.median(q_walls)
    report = {
        **_meta(),
        "case": "ieee123, 20 pv DER, weekday (OpenDSS default shape) + clear-sky pv, loss",
        "periods": args.periods,
        "regulators": 7,
        "capacitors": 4,
        "der": len(assets),
        "target_s": TARGET_S,
        "plan_s": plan_s,
        "plan_walls_s": walls,
        "baseline_qsts_s": qsts_s,
        "ratio_plan_to_qsts": plan_s / qsts_s,
        "ac_solves": res.n_solves,
        "rounds": int(opt.rounds),
        "status": str(opt.status),
        "objective_mwh": float(opt.objective),
        "baseline_objective_mwh": float(base.objective),
        "loss_reduction_pct": float(100 * (1 - opt.loss_mwh / base.loss_mwh)),
        "hours_outside": [float(opt.hours_outside), float(base.hours_outside)],
        "tap_ops": [int(opt.tap_ops), int(base.tap_ops)],
        "cap_ops": [int(opt.cap_ops), int(base.cap_ops)],
        "checks": {"every_period_ac_ok": ok_ac, "not_worse_than_baseline": ok_obj},
        "target_met": plan_s <= TARGET_S,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"VVO plan ieee123 ({args.periods} periods, 7 regulators, 4 capacitors, {len(assets)} DER): "
        f"{plan_s:.1f} s (target {TARGET_S:.0f} s), {res.n_solves} AC solves, {opt.rounds} rounds; "
        f"baseline QSTS {qsts_s:.2f} s (ratio {plan_s / qsts_s:.0f}); losses "
        f"{opt.loss_mwh * 1e3:.1f} vs {base.loss_mwh * 1e3:.1f} kWh, hours outside "
        f"{opt.hours_outside:g} vs {base.hours_outside:g}; AC ok {ok_ac}, not worse {ok_obj}"
    )
    return 0 if (ok_ac and ok_obj and plan_s <= TARGET_S) else 1


if __name__ == "__main__":
    sys.exit(main())
