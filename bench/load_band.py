"""Load-band benchmark: the fixed point's element currents with and without OpenDSS's band.

Usage::

    uv run --no-sync python bench/load_band.py [--repeats 5]

The job: the three-phase fixed point's per-iteration element-current function
(``gat_pf._threephase._solve._currents``) on IEEE 8500 and IEEE 123 as imported from OpenDSS
(every load with its ``vminpu``/``vmaxpu`` band) against the same feeders with the band
columns dropped (GAT's old constant models, the path every feeder without bands takes), for
one scenario and a batch of 96, with all element voltages inside the band (the quick test
only) and with 2 % of them below ``vminpu`` (the band's impedance rules act).

Correctness first: the test feeder ``test_data/opendss/loadband`` (loads in every band
region, model 4 with exponents 0.8/3) must match OpenDSS's stored voltages within 1e-8 pu,
else exit 1. Each round times the three variants back to back (interleaved, so a busy spell
of the shared machine slows all); ratios are to the band-less run of the same round, the
reported ratio the median of the rounds, with the rounds' range. Writes
``bench/results/load_band.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from hostcap import _machine, _versions  # noqa: E402

BAND = ["v_min_pu", "v_max_pu", "v_low_pu", "v_rated_pu"]
CASES = {
    "ieee8500": REPO / "test_data" / "opendss" / "ieee8500" / "Master.dss",
    "ieee123": REPO / "test_data" / "opendss" / "ieee123" / "IEEE123Master.dss",
}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "load_band.json")
    return ap.parse_args(argv)


def _check() -> float:
    import pandas as pd

    import gat_pf
    from gat_dist import import_opendss

    case = REPO / "test_data" / "opendss" / "loadband"
    result = gat_pf.run_power_flow_3ph(import_opendss(case / "loadband.dss"))
    ref = pd.read_csv(case / "opendss_voltages.csv")
    got = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(got, on=["node_id", "phase"], suffixes=("", "_gat"))
    return float(np.abs(both["vm_pu"] - both["vm_pu_gat"]).max())


def _per_call(fn: Any, calls: int) -> float:
    t = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t) / calls


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    dv = _check()
    if not dv < 1e-8:
        print(f"load band: test feeder {dv:.3g} pu from OpenDSS (> 1e-8)")
        return 1
    from gat_dist import import_opendss
    from gat_pf._threephase import _solve
    from gat_pf._threephase._ratings import build_model_3ph

    rows: list[dict[str, Any]] = []
    for name, path in CASES.items():
        net = import_opendss(path)
        plain = net.with_table("dist_loads", net.tables["dist_loads"].drop(columns=BAND))
        with_band, without = build_model_3ph(net).loads, build_model_3ph(plain).loads
        rng = np.random.default_rng(1)
        e = with_band.incidence.shape[0]
        base = with_band.v_nom * np.exp(1j * rng.uniform(-3, 3, e)) * rng.uniform(0.97, 1.03, e)
        for n_s in (1, 96):
            inside = np.tile(base, (n_s, 1))
            outside = inside.copy()
            outside[:, ::50] *= 0.9
            calls = 200 if n_s == 1 else 10
            variants = {
                "no_band": (without, inside),
                "band_inside": (with_band, inside),
                "band_2pct_outside": (with_band, outside),
            }
            times: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(args.repeats):
                for key, (loads, ve) in variants.items():
                    times[key].append(
                        min(
                            _per_call(
                                lambda ld=loads, v=ve: _solve._currents(ld, v.copy(), None), calls
                            )
                            for _ in range(3)
                        )
                    )
            ref_t = np.array(times["no_band"])
            row: dict[str, Any] = {"case": name, "elements": e, "scenarios": n_s}
            for key, ts in times.items():
                ratios = np.array(ts) / ref_t
                row[key] = {
                    "median_us": statistics.median(ts) * 1e6,
                    "ratio": float(np.median(ratios)),
                    "ratio_range": [float(ratios.min()), float(ratios.max())],
                }
            rows.append(row)
            print(
                f"{name} S={n_s}: "
                + ", ".join(
                    f"{k} {row[k]['median_us']:.1f} us ({row[k]['ratio']:.2f}x)" for k in times
                )
            )
    out = {
        "benchmark": "load_band",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "versions": _versions(),
        "check_max_dv_pu": dv,
        "rounds": args.repeats,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
