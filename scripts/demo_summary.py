"""Print the planner's summary of the demo outputs (reads only what the gat commands wrote)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

V_LOW = 0.95  # pu: ANSI C84.1 Range A service-voltage lower limit, a common planning threshold


def main(out: Path) -> None:
    meta = json.loads((out / "case33bw" / "network.json").read_text())
    nodes_in = pd.read_parquet(out / "case33bw" / "dist_nodes.parquet")
    branches_in = pd.read_parquet(out / "case33bw" / "dist_branches.parquet")
    base = out / "pf_base"
    summ = pd.read_parquet(base / "pf_summary.parquet").iloc[0]
    nodes = pd.read_parquet(base / "pf_nodes.parquet")
    branches = pd.read_parquet(base / "pf_branches.parquet")
    head = nodes.loc[nodes["p_mw"].idxmax()]
    n_open = int((branches_in["status"] == "open").sum())
    low = nodes[nodes["vm_pu"] < V_LOW]
    balance = nodes["p_mw"].sum() - branches["p_loss_mw"].sum()

    print(
        f"Feeder {meta['name']}: {len(nodes_in)} nodes at {nodes_in['base_kv'].iloc[0]:g} kV, "
        f"{len(branches_in) - n_open} closed branches and {n_open} normally-open ties"
    )
    print(
        f"  connected load     {nodes_in['load_p'].sum():8.3f} MW  {nodes_in['load_q'].sum():8.3f} Mvar"
    )
    print(
        f"Base case ({summ['method']}, {summ['iterations']} iterations, "
        f"mismatch {summ['max_mismatch_mva']:.1e} MVA)"
    )
    print(
        f"  feeder-head import {head['p_mw']:8.3f} MW  {head['q_mvar']:8.3f} Mvar  (node {head['node_id']})"
    )
    print(
        f"  losses             {summ['p_loss_mw'] * 1e3:8.2f} kW  "
        f"({100 * summ['p_loss_mw'] / summ['total_load_mw']:.1f} % of load)"
    )
    print(
        f"  lowest voltage     {summ['vm_min_pu']:8.4f} pu at node {summ['vm_min_node']}; "
        f"{len(low)} of {len(nodes)} nodes below {V_LOW} pu"
    )
    top = branches.nlargest(3, "s_from_mva")
    print(
        "  most loaded branches: "
        + ", ".join(
            f"{r.branch_id} ({r.from_node}-{r.to_node}) {r.s_from_mva:.2f} MVA"
            for r in top.itertuples()
        )
    )
    print(f"  check: injections - losses = {balance:.1e} MW (power balance)")

    sweep = pd.read_parquet(out / "pf_sweep" / "pf_summary.parquet")
    sweep_nodes = pd.read_parquet(out / "pf_sweep" / "pf_nodes")
    below = (
        sweep_nodes.assign(low=sweep_nodes["vm_pu"] < V_LOW)
        .groupby("scenario_id", observed=True)["low"]
        .sum()
    )
    print(f"Load sweep: {len(sweep)} scenarios solved as one batch")
    print(
        f"  {'scenario':12} {'load MW':>8} {'loss kW':>8} {'V min pu':>9} {'at':>4} {'< 0.95 pu':>10}"
    )
    for r in sweep.itertuples():
        print(
            f"  {r.scenario_id:12} {r.total_load_mw:8.3f} {r.p_loss_mw * 1e3:8.2f} "
            f"{r.vm_min_pu:9.4f} {r.vm_min_node:>4} {int(below[r.scenario_id]):>10}"
        )
    ok = sweep[sweep["vm_min_pu"] >= V_LOW]
    if len(ok):
        best = ok.loc[ok["total_load_mw"].idxmax()]
        print(
            f"  highest swept load that keeps every node >= {V_LOW} pu: "
            f"{best['total_load_mw']:.3f} MW ({best['scenario_id']})"
        )
    else:
        print(f"  no swept load keeps every node >= {V_LOW} pu")
    hostcap_summary(out)
    opf_summary(out, summ["p_loss_mw"])
    print(f"Outputs and run.json manifests are under {out}/ (try: gat runs list {out})")


def hostcap_summary(out: Path) -> None:
    """Hosting capacity: the weakest nodes and what limits them, at each load level."""
    hc = pd.read_parquet(out / "hostcap" / "hostcap_summary.parquet")
    limit = json.loads((out / "hostcap" / "run.json").read_text())["params"]["max_injection"]
    print(
        f"Hosting capacity (AC power flow at every trial, v_max 1.05 pu, search up to {limit} MW)"
    )
    for scale, rows in hc.groupby("load_scale", sort=False):
        weakest = rows.nsmallest(3, "hosting_capacity_mw")
        kinds = rows["limiting_constraint"].value_counts().to_dict()
        print(
            f"  load x{scale:g}: median {rows['hosting_capacity_mw'].median():.2f} MW per node; "
            f"weakest: "
            + ", ".join(
                f"node {r.bus_id} {r.hosting_capacity_mw:.2f} MW ({r.limiting_constraint})"
                for r in weakest.itertuples()
            )
            + f"; limited by {kinds}"
        )


def opf_summary(out: Path, base_loss_mw: float) -> None:
    """The loss-minimising DER dispatch and its AC check."""
    s = pd.read_parquet(out / "opf" / "opf_summary.parquet").iloc[0]
    der = pd.read_parquet(out / "opf" / "opf_der.parquet")
    print(
        f"OPF ({s['formulation']}, least losses, shipped PV + battery): losses "
        f"{base_loss_mw * 1e3:.1f} -> {s['p_loss_mw'] * 1e3:.1f} kW, import {s['import_mw']:.3f} MW, "
        f"{s['status']} in {s['build_s'] + s['solve_s']:.2f} s"
    )
    print(
        "  set points: "
        + ", ".join(f"{r.asset_id} {r.p_mw:+.3f} MW {r.q_mvar:+.3f} Mvar" for r in der.itertuples())
    )
    print(
        f"  AC check of the set points: losses {s['ac_p_loss_mw'] * 1e3:.1f} kW, V "
        f"{s['ac_vm_min_pu']:.4f}..{s['ac_vm_max_pu']:.4f} pu, voltage violation "
        f"{s['ac_vm_violation_pu']:.1e} pu, thermal violation {s['ac_thermal_violation_pct']:.2f} %"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo_out"))
