"""IEEE 8500 benchmark: GAT's OpenDSS import and three-phase power flow against OpenDSS itself.

Usage::

    uv run --no-sync python bench/ieee8500.py [--repeats 5] [--out FILE]

Same process, repeats interleaved, on ``test_data/opendss/ieee8500/Master.dss``:

* **import**: ``gat_dist.import_opendss`` (parse + tables) against OpenDSS's ``compile``
  (parse + build its circuit, ``CalcVoltageBases``, ``BusCoords``); target ratio <= 3;
* **power flow at fixed taps**: GAT ``build_model_3ph`` + ``run_power_flow_3ph`` with OpenDSS's
  regulator taps and capacitor states fixed (``ieee8500_opendss_controls.csv``), against
  OpenDSS's first ``Solve`` after ``compile`` with the same taps and ``ControlMode=OFF`` (its
  Y-matrix build, start and iterations); target ratio <= 1. GAT's solve alone (model built) is
  reported too.

Writes ``bench/results/ieee8500.json`` (medians, samples, ratios, the largest voltage difference
between the two solutions). The solve alone is also reported as same-round ratios (each GAT
solve over the OpenDSS solve of its round), in wall and in process CPU time, with their range:
on a shared machine these move less than the ratio of the two medians. Exits 1 when the solutions differ by more than 1e-3 pu.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CASE = HERE.parent / "test_data" / "opendss" / "ieee8500"
V_TOL_PU = 1e-3


def _fixed(net: Any, controls: pd.DataFrame) -> Any:
    """OpenDSS's taps and capacitor states fixed (see the IEEE 8500 test)."""
    from gat_schemas import Network

    taps = dict(zip(controls.name, controls.value, strict=True))
    regs = net.tables["dist_regulators"].copy()
    regs["tap"] = [int(taps[r.lower()]) for r in regs.regulator_id]
    regs["mode"] = "fixed"
    caps = net.tables["dist_caps"]
    caps = caps[[taps[c.lower()] == 1 for c in caps.cap_id]]
    tables = {**net.tables, "dist_regulators": regs, "dist_caps": caps}
    return Network(net.name, net.base_mva, tables, frequency_hz=net.frequency_hz, source=net.source)


def _dss_compile() -> None:
    import opendssdirect as dss

    dss.Text.Command("clear")
    dss.Text.Command(f"compile [{CASE / 'Master.dss'}]")


def _dss_fix(controls: pd.DataFrame) -> None:
    import opendssdirect as dss

    dss.Text.Command("set controlmode=off")
    for kind, name, value in controls.itertuples(index=False):
        if kind == "regulator":
            dss.RegControls.Name(name)
            dss.RegControls.TapNumber(int(value))
        else:
            dss.Capacitors.Name(name)
            dss.Capacitors.States([int(value)])


def _stats(samples: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(samples), "min": min(samples), "samples": samples}


def run(repeats: int) -> dict[str, Any]:
    import opendssdirect as dss

    import gat_pf
    from gat_dist import import_opendss

    controls = pd.read_csv(CASE / "ieee8500_opendss_controls.csv")
    t: dict[str, list[float]] = {k: [] for k in ("gat_import", "dss_compile", "gat_pf", "gat_solve", "dss_solve")}  # fmt: skip
    cpu: dict[str, list[float]] = {"gat_solve": [], "dss_solve": []}  # process CPU time
    net = import_opendss(CASE / "Master.dss")  # warm-up (imports, caches)
    fixed = _fixed(net, controls)
    gat_pf.run_power_flow_3ph(fixed)
    _dss_compile()
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        net = import_opendss(CASE / "Master.dss")
        t["gat_import"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _dss_compile()
        t["dss_compile"].append(time.perf_counter() - t0)
        _dss_fix(controls)
        c0, t0 = time.process_time(), time.perf_counter()
        dss.Solution.Solve()
        t["dss_solve"].append(time.perf_counter() - t0)
        cpu["dss_solve"].append(time.process_time() - c0)
        assert dss.Solution.Converged()
        fixed = _fixed(net, controls)
        gc.collect()
        t0 = time.perf_counter()
        model = gat_pf.build_model_3ph(fixed)
        c1, t1 = time.process_time(), time.perf_counter()
        res = gat_pf.run_power_flow_3ph(model)
        c2, t2 = time.process_time(), time.perf_counter()
        cpu["gat_solve"].append(c2 - c1)
        t["gat_pf"].append(t2 - t0)
        t["gat_solve"].append(t2 - t1)
    names = dss.Circuit.AllNodeNames()
    v = np.array(dss.Circuit.AllBusVolts()).reshape(-1, 2) @ np.array([1.0, 1j])
    got = res.nodes.assign(key=res.nodes.node_id.str.lower()).set_index(["key", "phase"])
    keys = [(n.rsplit(".", 1)[0], "ABC"[int(n.rsplit(".", 1)[1]) - 1]) for n in names]
    # The three phases reached only through open switches are dead in OpenDSS, absent in GAT.
    live = np.array([k in got.index for k in keys])
    g = got.loc[[k for k, ok in zip(keys, live, strict=True) if ok]]
    dv = np.abs(g.v_kv.to_numpy() - np.abs(v[live]) / 1e3) / (g.v_kv / g.vm_pu).to_numpy()
    med = {k: statistics.median(s) for k, s in t.items()}
    # Same-round ratios (each GAT solve against the OpenDSS solve just before it) and the
    # same in process CPU time: other processes' load moves both less than the wall clock.
    rounds = [g / o for g, o in zip(t["gat_solve"], t["dss_solve"], strict=True)]
    cpu_rounds = [g / o for g, o in zip(cpu["gat_solve"], cpu["dss_solve"], strict=True)]
    return {
        "times_s": {k: _stats(s) for k, s in t.items()},
        "cpu_times_s": {k: _stats(s) for k, s in cpu.items()},
        "ratios": {
            "import_gat_over_opendss_compile": med["gat_import"] / med["dss_compile"],
            "pf_gat_build_solve_over_opendss_solve": med["gat_pf"] / med["dss_solve"],
            "pf_gat_solve_over_opendss_solve": med["gat_solve"] / med["dss_solve"],
            "pf_solve_round_ratios": _stats(rounds),
            "pf_solve_round_ratios_cpu": _stats(cpu_rounds),
        },
        "targets": {"import": 3.0, "pf": 1.0},
        "node_phases": int(live.sum()),
        "max_dvm_pu_vs_opendss": float(dv.max()),
        "p_loss_mw": float(res.summary.p_loss_mw.iloc[0]),
        "opendss_p_loss_mw": dss.Circuit.Losses()[0] / 1e6,
        "iterations": {
            "gat": int(res.summary.iterations.iloc[0]),
            "opendss": dss.Solution.Iterations(),
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "ieee8500.json")
    args = ap.parse_args(argv)
    report: dict[str, Any] = {
        "benchmark": "IEEE 8500 import and three-phase power flow vs OpenDSS",
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }
    res = run(args.repeats)
    report.update(res)
    ok = res["max_dvm_pu_vs_opendss"] <= V_TOL_PU
    report["status"] = "success" if ok else "failed"
    m = {k: v["median"] * 1e3 for k, v in res["times_s"].items()}
    r = res["ratios"]
    print(
        f"import: gat {m['gat_import']:.0f} ms, OpenDSS compile {m['dss_compile']:.0f} ms "
        f"(ratio {r['import_gat_over_opendss_compile']:.2f}, target <= 3)"
    )
    print(
        f"power flow, fixed taps: gat build+solve {m['gat_pf']:.0f} ms (solve {m['gat_solve']:.0f} "
        f"ms), OpenDSS solve {m['dss_solve']:.0f} ms (ratio "
        f"{r['pf_gat_build_solve_over_opendss_solve']:.2f}, solve only "
        f"{r['pf_gat_solve_over_opendss_solve']:.2f}, target <= 1); max |dV| "
        f"{res['max_dvm_pu_vs_opendss']:.1e} pu over {res['node_phases']} node phases"
    )
    rr, rc = r["pf_solve_round_ratios"], r["pf_solve_round_ratios_cpu"]
    print(
        f"solve alone, same-round ratios: median {rr['median']:.2f} (range {rr['min']:.2f}-"
        f"{max(rr['samples']):.2f}); in process CPU time median {rc['median']:.2f} (range "
        f"{rc['min']:.2f}-{max(rc['samples']):.2f})"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"report: {args.out} ({report['status']})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
