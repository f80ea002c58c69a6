"""EPRI's full-size test feeders through GAT's OpenDSS import and three-phase power flow,
compared node phase by node phase with OpenDSS's own snapshot solve.

Usage::

    uv run --no-sync python bench/feeders_epri.py [PATH] [--feeders ckt7 K1 ...] [--out FILE]
    make bench EPRI_DISTRIB=PATH

``PATH`` is a copy of ``dss-extensions/electricdss-tst``'s ``Version8/Distrib`` folder (or the
repository root holding it); the feeders are too large to ship, so nothing runs when the path
is absent or not given (exit 0 with a message). For each feeder the master is imported **unmodified**
(``gat_dist.import_opendss``); a refusal is reported with its count and first lines. OpenDSS
(opendssdirect, a bench-only dependency) compiles the same master and solves it (snapshot,
tolerance 1e-10) with its own controls; GAT then solves at OpenDSS's control state: each
regulator's tap (steps from the tapped winding's ``Tap``) fixed, every capacitor OpenDSS has
switched off left out. Reported: node-phases compared, max |dV| (pu of each bus's base) and
max |d angle| (degrees) with where, total load and loss in both tools, and GAT's import and
solve times beside OpenDSS's compile and solve (same process, one run each: a sweep of
correctness, not a timing benchmark).

Writes ``bench/results/feeders_epri.json``; exits 1 when a feeder that imports differs from
OpenDSS by more than ``--tol`` pu.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "test_data" / "opendss"))

#: Feeder name -> master, relative to ``Version8/Distrib``.
FEEDERS = {
    "ckt5": "EPRITestCircuits/ckt5/Master_ckt5.dss",
    "ckt7": "EPRITestCircuits/ckt7/Master_ckt7.dss",
    "ckt24": "EPRITestCircuits/ckt24/master_ckt24.dss",
    "J1": "EPRITestCircuits/epri_dpv/J1/Master_noPV.dss",
    "K1": "EPRITestCircuits/epri_dpv/K1/Master_NoPV.dss",
    "M1": "EPRITestCircuits/epri_dpv/M1/Master_NoPV.dss",
    "ieee9500": "IEEETestCases/ieee9500dss/ieee9500_base.dss",
    "secondary": "IEEETestCases/SecondaryTestCircuit_modified/Master.DSS",
    "lvna": "IEEETestCases/LVTestCaseNorthAmerican/Master.dss",
}


def _distrib(path: Path) -> Path | None:
    for cand in (path, path / "Version8" / "Distrib"):
        if (cand / "EPRITestCircuits").is_dir():
            return cand
    return None


def _opendss(master: Path) -> dict[str, Any]:
    """Compile and solve ``master`` in OpenDSS; its voltages and control state."""
    import opendssdirect as dss
    from dss_nodes import node_voltages

    t0 = time.perf_counter()
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{master}"')
    t1 = time.perf_counter()
    dss.Text.Command("Set Mode=Snap Tolerance=1e-10 MaxIterations=200")
    dss.Text.Command("Solve")
    t2 = time.perf_counter()
    taps: dict[str, float] = {}
    for name in dss.RegControls.AllNames() if dss.RegControls.Count() else []:
        dss.RegControls.Name(name)
        xf, wdg = dss.RegControls.Transformer(), dss.RegControls.Winding()
        dss.Transformers.Name(xf)
        dss.Transformers.Wdg(wdg)
        taps[name.lower()] = dss.Transformers.Tap()
    caps = {}
    for name in dss.Capacitors.AllNames() if dss.Capacitors.Count() else []:
        dss.Capacitors.Name(name)
        caps[name.lower()] = any(dss.Capacitors.States())
    volts = pd.DataFrame(
        node_voltages(dss), columns=["key", "phase", "vm_dss", "va_dss", "kv_base"]
    )
    loss = dss.Circuit.Losses()[0] / 1e3
    load_kw = -sum(dss.Circuit.TotalPower()[:1]) - loss
    return {
        "converged": bool(dss.Solution.Converged()),
        "volts": volts,
        "taps": taps,
        "caps_on": caps,
        "compile_s": t1 - t0,
        "solve_s": t2 - t1,
        "loss_kw": loss,
        "source_kw": -dss.Circuit.TotalPower()[0],
        "load_kw": load_kw,
    }


def _at_opendss_controls(net: Any, ref: dict[str, Any]) -> tuple[Any, list[str]]:
    """``net`` with OpenDSS's regulator taps fixed and its switched-off capacitors removed."""
    from gat_schemas import Network

    tables = dict(net.tables)
    missing: list[str] = []
    if "dist_regulators" in tables:
        regs = tables["dist_regulators"].copy()
        steps = []
        for r in regs.itertuples():
            tap = ref["taps"].get(str(r.regulator_id).lower())
            if tap is None:
                missing.append(str(r.regulator_id))
                steps.append(int(r.tap))
            else:
                steps.append(round((tap - 1.0) / float(r.step_pu)))
        regs["tap"] = np.asarray(steps, dtype=np.int64)
        regs["mode"] = "fixed"
        tables["dist_regulators"] = regs
    if "dist_caps" in tables:
        # OpenDSS's state, closed or open (a states=0 bank its control closed is closed).
        caps = tables["dist_caps"].copy()
        on = [ref["caps_on"].get(str(c).lower()) for c in caps.cap_id]
        caps["status"] = [
            s if o is None else ("closed" if o else "open")
            for s, o in zip(caps["status"], on, strict=True)
        ]
        tables["dist_caps"] = caps
    out = Network(net.name, net.base_mva, tables, frequency_hz=net.frequency_hz, source=net.source)
    return out, missing


def run_feeder(name: str, master: Path, tol: float) -> dict[str, Any]:
    import gat_pf
    from gat_dist import import_opendss
    from gat_pf import ThreePhaseOptions
    from gat_schemas.errors import GatError

    out: dict[str, Any] = {"feeder": name, "master": str(master)}
    t0 = time.perf_counter()
    try:
        net = import_opendss(master)
    except GatError as exc:
        text = str(exc)
        out.update(status="refused", refusal=text[:2000])
        return out
    out["import_s"] = time.perf_counter() - t0
    ref = _opendss(master)
    out.update(
        opendss_converged=ref["converged"],
        opendss_compile_s=ref["compile_s"],
        opendss_solve_s=ref["solve_s"],
        opendss_loss_kw=ref["loss_kw"],
        opendss_source_kw=ref["source_kw"],
    )
    fixed, missing = _at_opendss_controls(net, ref)
    out["regulators_without_opendss_tap"] = missing
    t1 = time.perf_counter()
    try:
        res = gat_pf.run_power_flow_3ph(fixed, options=ThreePhaseOptions(tol=1e-10))
    except GatError as exc:
        out.update(status="gat pf failed", error=str(exc)[:500])
        return out
    out["solve_s"] = time.perf_counter() - t1
    summary = res.summary.iloc[0]
    out["iterations"] = int(summary["iterations"])
    got = res.nodes.assign(key=res.nodes["node_id"].str.lower())
    both = ref["volts"].merge(got, on=["key", "phase"])
    # On OpenDSS's base of each bus (M1's 67 kV source bus has OpenDSS base 66 kV).
    nodes = fixed.tables["dist_nodes"]
    base = pd.Series(nodes["base_kv"].to_numpy(), index=nodes["node_id"].str.lower())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = both["key"].map(base).to_numpy(dtype=float) / np.sqrt(3.0) / both["kv_base"]
    ratio = ratio.where(np.isfinite(ratio) & (ratio > 0), 1.0)  # a bus OpenDSS gave no base
    dv = (both["vm_dss"] - both["vm_pu"] * ratio).abs()
    da = ((both["va_dss"] - both["va_deg"] + 180.0) % 360.0 - 180.0).abs()
    missing = dv.isna()
    dv, da = dv[~missing], da[~missing]
    worst = both.loc[dv.idxmax()]
    out.update(
        status="compared",
        node_phases=len(both),
        node_phases_nan=int(missing.sum()),
        opendss_node_phases=len(ref["volts"]),
        max_dv_pu=float(dv.max()),
        max_dv_at=f"{worst['key']}.{worst['phase']}",
        max_da_deg=float(da.max()),
        gat_total_load_kw=float(summary.get("total_load_mw", np.nan) * 1e3),
        gat_loss_kw=float(summary.get("p_loss_mw", np.nan) * 1e3),
        within_tol=bool(dv.max() <= tol),
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "path", type=Path, nargs="?", help="electricdss-tst Version8/Distrib (or repo root)"
    )
    ap.add_argument("--feeders", nargs="*", default=list(FEEDERS), choices=list(FEEDERS))
    ap.add_argument("--tol", type=float, default=1e-4, help="max |dV| allowed (pu)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "feeders_epri.json")
    args = ap.parse_args(argv)
    if args.path is None:
        print("no path to electricdss-tst's Version8/Distrib given; nothing to run")
        return 0
    root = _distrib(args.path)
    if root is None:
        print(f"{args.path}: no EPRITestCircuits folder there; nothing to run")
        return 0
    try:
        import opendssdirect  # noqa: F401
    except ImportError:
        print("opendssdirect is not installed (bench dependency group); nothing to run")
        return 0
    rows = []
    for name in args.feeders:
        master = root / FEEDERS[name]
        if not master.is_file():
            rows.append({"feeder": name, "status": "absent", "master": str(master)})
            continue
        row = run_feeder(name, master, args.tol)
        rows.append(row)
        shown = {k: v for k, v in row.items() if k not in ("refusal", "master")}
        print(json.dumps(shown, default=str))
        if row["status"] == "refused":
            print("  refused:", row["refusal"][:400])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"feeders": rows}, indent=1, default=str) + "\n")
    bad = [r["feeder"] for r in rows if r.get("status") == "compared" and not r["within_tol"]]
    print(f"wrote {args.out}" + (f"; beyond {args.tol:g} pu: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
