"""State-estimation benchmark: ``gat_adms.se`` against power-grid-model and pandapower.

Usage::

    uv run --no-sync python bench/adms_se.py [--snapshots 1000] [--repeats 3]

The job (issue 15, item 7): the 1,000-node radial feeder of ``bench/feeders.py``; one
measurement set of 11 voltage sensors (sigma 0.5 % = 0.005 pu, the slack and 10 nodes), 100
P/Q flow sensors (from end of 100 branches, sigma 1 % of the reading, at least 1 kW) and
pseudo-measurements of every load (sigma 5 % of the nominal apparent power); ``--snapshots``
snapshots whose true states are power flows at load factors drawn in [0.6, 1.2], read with
seeded Gaussian noise.

- gat batch: ``gat_adms.se._batch.solve_batch`` (every snapshot; groups of ~100 snapshots
  along the first principal component of the readings, each with one factorisation of the
  rectangular gain in the zero-injection constraints' null space at a reference estimate
  (Gauss-Newton), Anderson-accelerated chord steps with
  all snapshots' right-hand sides together, to 1e-9 pu on the update, where
  power-grid-model stops at 1e-8 pu; snapshots that fail fall back to their own
  Gauss-Newton and are counted), model built and
  started from the power flow at nominal load beforehand (``prepare_grid``, not timed, as
  the peers' model construction is not).
- gat single: ``solve_one`` on snapshot 0: Gauss-Newton on the augmented KKT system
  assembled by value on the measurement set's fixed pattern, LDL^T (qdldl) with the
  ordering computed once per measurement set (the first call, like the peers' model
  construction, is not timed: each round takes the fastest of ``SINGLE_CALLS`` calls),
  chord steps on the last factorisation once steps are small.
- pgm: ``calculate_state_estimation`` (``iterative_linear``, sequential threading, node
  output) on the same sensors, batch (``update_data``) and single.
- pandapower: ``pandapower.estimation.estimate`` (WLS, flat start) on snapshot 0.

Correctness first: GAT's single estimate must agree with pandapower's and power-grid-model's
iterative-linear estimate within 1e-3 pu (see ``TOL_PP_PU``), and the batch must equal
Gauss-Newton per snapshot within 1e-6 pu on 8 snapshots; otherwise exit 1 before timing. Ratios are of medians from the same run (wall clock; the same ratios
of this thread's CPU time are reported next to them). Targets: batch per snapshot <= 1.0x
pgm's, single <= 2x pgm's, single <= 0.2x pandapower's. Writes
``bench/results/adms_se.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from feeders import make_network, to_pandapower, to_pgm_input  # noqa: E402
from hostcap import _machine, _versions  # noqa: E402

N_NODES = 1000
#: pandapower solves the same WLS problem, but holds zero injections by weight (sigma 0.001 pu)
#: where GAT holds them exactly; power-grid-model's iterative linear method linearises the
#: power measurements (its Newton-Raphson estimator reports a singular matrix on this case,
#: its issue 864), so its answer is close, not equal.
TOL_PP_PU = 1e-3
TOL_PGM_PU = 1e-3
#: The batch (one factorisation, chord steps) must reach each snapshot's own WLS optimum.
TOL_BATCH_PU = 1e-6
TARGETS = {"batch_vs_pgm": 1.0, "single_vs_pgm": 2.0, "single_vs_pandapower": 0.2}
#: Single estimates (GAT and power-grid-model, a few ms each) per round; the round keeps the
#: fastest, so a slice lost to other processes on a shared machine does not count (was 5).
SINGLE_CALLS = 20
#: CPU time (``time.thread_time``) of the last timed section. Every peer runs in this thread
#: (power-grid-model with ``threading=-1``, BLAS with one thread), so the CPU-time ratios,
#: reported next to the wall-clock ones, show what load from other processes hides: a
#: 4 ms run is preempted on a busy machine far more often than a 2 ms one.
_CPU_LAST = [0.0]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--snapshots", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "adms_se.json")
    return ap.parse_args(argv)


def _case(n_snap: int) -> dict[str, Any]:
    """Network, measurement structure and the snapshots' readings (per unit)."""
    from gat_adms.se import prepare_grid
    from gat_adms.se._model import evaluate
    from gat_adms.se._tables import parse_measurements

    net = make_network(N_NODES)
    prep = prepare_grid(net)
    phys, adm = prep.grid.phys, prep.grid.adm
    rng = np.random.default_rng(15)
    nodes = phys.node_ids.astype(str)
    slack = nodes[phys.term_slack]
    others = rng.choice(np.setdiff1d(nodes, slack), 10, replace=False)
    branches = rng.choice(phys.cond_branch.astype(str), 100, replace=False)
    loaded = np.flatnonzero(np.abs(adm.elec_load) > 0)
    rows = [("v_mag", n, "from") for n in [*slack, *others]]
    rows += [(k, b, "from") for b in branches for k in ("p_flow", "q_flow")]
    rows += [(k, nodes[adm.elec_node[e]], "from") for e in loaded for k in ("p_inj", "q_inj")]
    df = pd.DataFrame(rows, columns=["kind", "element_id", "side"])
    df.insert(0, "measurement_id", [f"m{i}" for i in range(len(df))])
    df["phase"] = "ABC"
    df["value"] = 0.0
    df["sigma"] = 1.0
    df["pseudo"] = df["kind"].isin(["p_inj", "q_inj"])
    df["snapshot"] = "0"
    snap = parse_measurements(prep.grid, df)[0][0]
    df = snap.rows  # the rows in the estimator's order (sorted by kind and element)
    arrays = snap.arrays
    scales = rng.uniform(0.6, 1.2, n_snap)
    sol = phys.solve(load_scale=scales)
    assert sol.converged.all()
    v = np.ones((n_snap, adm.n_elec), dtype=complex)
    v[:, adm.term_elec] = sol.v
    true = evaluate(prep.model, arrays, v)
    kind = df["kind"].to_numpy()
    sig = np.where(
        kind == "v_mag", 0.005, np.maximum(0.01 * np.abs(true[0]), 1e-3 / adm.s_base_mva)
    )
    pseudo = df["pseudo"].to_numpy()
    sig[pseudo] = 0.05 * np.abs(adm.elec_load[arrays.elec[pseudo]]) / adm.s_base_mva
    from gat_adms.se._model import MeasArrays

    arrays = MeasArrays(arrays.kind, arrays.elec, arrays.cond, arrays.to_side, sig)
    z = true + rng.normal(size=true.shape) * sig
    return {"net": net, "prep": prep, "df": df, "arrays": arrays, "z": z, "true_v": v}


def _gat(case: dict[str, Any], n: int | None) -> tuple[float, np.ndarray]:
    from gat_adms.se._batch import solve_batch
    from gat_adms.se._wls import solve_one

    prep, arrays, z = case["prep"], case["arrays"], case["z"]
    t0, c0 = time.perf_counter(), time.thread_time()
    if n is None:
        sol = solve_one(prep.model, arrays, z[0], prep.zero, prep.x0)
        assert sol.converged.all()
    else:
        sol = solve_batch(prep.model, arrays, z[:n], prep.zero, prep.x0)
        assert sol.converged.all()
        case["fallbacks"] = int(sol.fallback.sum())
        case["batch_iterations"] = sol.iterations
    _CPU_LAST[0] = time.thread_time() - c0
    return time.perf_counter() - t0, sol.v


def _batch_vs_one(case: dict[str, Any], n: int) -> float:
    """Largest |dV| (pu) between the batch (split into groups of 3, as 1,000 snapshots are
    into groups of 100) and Gauss-Newton per snapshot on ``n`` snapshots."""
    from gat_adms.se._batch import solve_batch
    from gat_adms.se._wls import solve_one

    prep, arrays, z = case["prep"], case["arrays"], case["z"]
    batch = solve_batch(prep.model, arrays, z[:n], prep.zero, prep.x0, group_size=3)
    one = np.stack([solve_one(prep.model, arrays, zk, prep.zero, prep.x0).v[0] for zk in z[:n]])
    return float(np.abs(batch.v - one).max())


def _pgm_setup(case: dict[str, Any]) -> dict[str, Any]:
    from power_grid_model import ComponentType, DatasetType, MeasuredTerminalType, initialize_array

    net, df, arrays = case["net"], case["df"], case["arrays"]
    adm = case["prep"].grid.adm
    phys = case["prep"].grid.phys
    data = to_pgm_input(net)
    load = data[ComponentType.sym_load]
    n_nodes = len(net.nodes)
    node_pos = {nid: k for k, nid in enumerate(net.nodes["node_id"].astype(str))}
    line_of = {str(b): n_nodes + k for k, b in enumerate(net.branches["branch_id"].astype(str))}
    load_of = dict(zip(load["node"].tolist(), load["id"].tolist(), strict=True))
    next_id = int(max(load["id"].max(), data[ComponentType.source]["id"].max())) + 1
    kind = df["kind"].to_numpy()
    elem = df["element_id"].to_numpy()
    vsel = np.flatnonzero(kind == "v_mag")
    vs = initialize_array(DatasetType.input, ComponentType.sym_voltage_sensor, len(vsel))
    vs["id"] = next_id + np.arange(len(vsel))
    vs["measured_object"] = [node_pos[e] for e in elem[vsel]]
    u_rated = data[ComponentType.node]["u_rated"][vs["measured_object"]]
    vs["u_sigma"] = arrays.sigma[vsel] * u_rated
    next_id += len(vsel)
    # One P/Q sensor per flow pair and per load (pseudo), sigma per component.
    flow = np.flatnonzero(kind == "p_flow")
    pinj = np.flatnonzero(kind == "p_inj")
    n_ps = len(flow) + len(pinj)
    ps = initialize_array(DatasetType.input, ComponentType.sym_power_sensor, n_ps)
    ps["id"] = next_id + np.arange(n_ps)
    ps["measured_object"][: len(flow)] = [line_of[e] for e in elem[flow]]
    ps["measured_terminal_type"][: len(flow)] = MeasuredTerminalType.branch_from
    inj_node = [node_pos[e] for e in elem[pinj]]
    ps["measured_object"][len(flow) :] = [load_of[k] for k in inj_node]
    ps["measured_terminal_type"][len(flow) :] = MeasuredTerminalType.load
    base = adm.s_base_mva * 1e6
    p_rows = np.concatenate([flow, pinj])
    q_of = {(k, e): i for i, (k, e) in enumerate(zip(kind, elem, strict=True))}
    q_rows = np.array([q_of[("q" + kind[i][1:], elem[i])] for i in p_rows])
    ps["p_sigma"] = arrays.sigma[p_rows] * base
    ps["q_sigma"] = arrays.sigma[q_rows] * base
    ps["power_sigma"] = np.hypot(ps["p_sigma"], ps["q_sigma"])
    sign = np.r_[np.ones(len(flow)), -np.ones(len(pinj))]  # loads: consumption positive
    data[ComponentType.sym_voltage_sensor] = vs
    data[ComponentType.sym_power_sensor] = ps
    del phys
    return {
        "data": data,
        "vsel": vsel,
        "u_rated": u_rated,
        "p_rows": p_rows,
        "q_rows": q_rows,
        "sign": sign,
        "base": base,
        "vs_id": vs["id"],
        "ps_id": ps["id"],
    }


def _pgm_update(setup: dict[str, Any], z: np.ndarray) -> dict[Any, np.ndarray]:
    from power_grid_model import ComponentType, DatasetType, initialize_array

    n_s = z.shape[0]
    vs = initialize_array(
        DatasetType.update, ComponentType.sym_voltage_sensor, (n_s, len(setup["vs_id"]))
    )
    vs["id"] = setup["vs_id"]
    vs["u_measured"] = z[:, setup["vsel"]] * setup["u_rated"]
    ps = initialize_array(
        DatasetType.update, ComponentType.sym_power_sensor, (n_s, len(setup["ps_id"]))
    )
    ps["id"] = setup["ps_id"]
    ps["p_measured"] = z[:, setup["p_rows"]] * setup["base"] * setup["sign"]
    ps["q_measured"] = z[:, setup["q_rows"]] * setup["base"] * setup["sign"]
    return {ComponentType.sym_voltage_sensor: vs, ComponentType.sym_power_sensor: ps}


def _pgm(
    setup: dict[str, Any], z: np.ndarray, method: str, batch: bool
) -> tuple[float, np.ndarray]:
    from power_grid_model import CalculationMethod, ComponentType, PowerGridModel

    model = PowerGridModel(setup["data"], system_frequency=60.0)
    update = _pgm_update(setup, z if batch else z[:1])
    t0, c0 = time.perf_counter(), time.thread_time()
    res = model.calculate_state_estimation(
        update_data=update,
        symmetric=True,
        calculation_method=getattr(CalculationMethod, method),
        threading=-1,
        output_component_types=[ComponentType.node],
    )
    dt_s = time.perf_counter() - t0
    _CPU_LAST[0] = time.thread_time() - c0
    node = res[ComponentType.node]
    v = node["u_pu"] * np.exp(1j * node["u_angle"])
    return dt_s, v


def _pandapower(case: dict[str, Any]) -> tuple[float, np.ndarray]:
    import pandapower as pp
    from pandapower.estimation import estimate

    net, df, arrays, z = case["net"], case["df"], case["arrays"], case["z"][0]
    base = case["prep"].grid.adm.s_base_mva
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnet = to_pandapower(net)
        node_pos = {nid: k for k, nid in enumerate(net.nodes["node_id"].astype(str))}
        line_pos = {b: k for k, b in enumerate(net.branches["branch_id"].astype(str))}
        for i, row in enumerate(df.itertuples()):
            if row.kind == "v_mag":
                pp.create_measurement(
                    pnet, "v", "bus", z[i], arrays.sigma[i], element=node_pos[row.element_id]
                )
            elif row.kind in ("p_inj", "q_inj"):
                pp.create_measurement(
                    pnet,
                    row.kind[0],
                    "bus",
                    -z[i] * base,
                    arrays.sigma[i] * base,
                    element=node_pos[row.element_id],
                )
            else:
                pp.create_measurement(
                    pnet,
                    row.kind[0],
                    "line",
                    z[i] * base,
                    arrays.sigma[i] * base,
                    element=line_pos[row.element_id],
                    side="from",
                )
        t0, c0 = time.perf_counter(), time.thread_time()
        ok = estimate(
            pnet, init="flat", tolerance=1e-9, maximum_iterations=50, zero_injection="no_inj_bus"
        )
        dt_s = time.perf_counter() - t0
        _CPU_LAST[0] = time.thread_time() - c0
    assert ok
    res = pnet.res_bus_est
    return dt_s, res["vm_pu"].to_numpy() * np.exp(1j * np.radians(res["va_degree"].to_numpy()))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    case = _case(args.snapshots)
    adm = case["prep"].grid.adm
    order = adm.term_elec  # node k of dist_nodes is terminal k (balanced)
    # --- correctness before timing ---------------------------------------------------------
    _, v_gat = _gat(case, None)
    v_gat = v_gat[0][order]
    _, v_pp = _pandapower(case)
    setup = _pgm_setup(case)
    _, v_pgm_il = _pgm(setup, case["z"], "iterative_linear", False)
    diff = {
        "pandapower_pu": float(np.abs(v_gat - v_pp).max()),
        "pgm_iterative_linear_pu": float(np.abs(v_gat - v_pgm_il[0]).max()),
        "true_state_pu": float(np.abs(v_gat - case["true_v"][0][order]).max()),
    }
    print("agreement (max |dV| pu):", json.dumps(diff))
    diff["batch_vs_gauss_newton_pu"] = _batch_vs_one(case, min(8, args.snapshots))
    print(f"batch vs Gauss-Newton per snapshot: {diff['batch_vs_gauss_newton_pu']:.1e} pu")
    if (
        diff["pandapower_pu"] > TOL_PP_PU
        or diff["pgm_iterative_linear_pu"] > TOL_PGM_PU
        or diff["batch_vs_gauss_newton_pu"] > TOL_BATCH_PU
    ):
        print("estimates disagree: not timing", file=sys.stderr)
        return 1
    _, v_batch = _gat(case, args.snapshots)
    _, v_pgm_b = _pgm(setup, case["z"], "iterative_linear", True)
    batch_diff = float(np.abs(v_batch[:, order] - v_pgm_b).max())
    print(f"batch agreement with pgm iterative_linear: {batch_diff:.2e} pu")
    # --- timing, interleaved rounds --------------------------------------------------------
    names = ("gat_batch", "pgm_batch", "gat_single", "pgm_single", "pandapower_single")
    rounds: dict[str, list[float]] = {k: [] for k in names}
    cpu_rounds: dict[str, list[float]] = {k: [] for k in names}

    def record(name: str, run: Any, calls: int = 1) -> None:
        """Fastest wall and fastest CPU time of ``calls`` runs (each ``run()`` -> seconds)."""
        walls, cpus = [], []
        for _ in range(calls):
            walls.append(run())
            cpus.append(_CPU_LAST[0])
        rounds[name].append(min(walls))
        cpu_rounds[name].append(min(cpus))

    for _ in range(args.repeats):
        record("pgm_batch", lambda: _pgm(setup, case["z"], "iterative_linear", True)[0])
        record("gat_batch", lambda: _gat(case, args.snapshots)[0])
        single = lambda: _pgm(setup, case["z"], "iterative_linear", False)[0]  # noqa: E731
        record("pgm_single", single, SINGLE_CALLS)
        record("gat_single", lambda: _gat(case, None)[0], SINGLE_CALLS)
        record("pandapower_single", lambda: _pandapower(case)[0])
    med = {k: statistics.median(v) for k, v in rounds.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu_rounds.items()}

    def ratios_of(m: dict[str, float]) -> dict[str, float]:
        return {
            "batch_vs_pgm": m["gat_batch"] / m["pgm_batch"],
            "single_vs_pgm": m["gat_single"] / m["pgm_single"],
            "single_vs_pandapower": m["gat_single"] / m["pandapower_single"],
        }

    ratios = ratios_of(med)
    ratios_cpu = ratios_of(cpu_med)
    for k, r in ratios.items():
        print(
            f"{k}: {r:.2f} (target <= {TARGETS[k]}) {'met' if r <= TARGETS[k] else 'NOT met'}"
            f"; CPU time {ratios_cpu[k]:.2f}"
        )
    print(
        f"per snapshot in batch: gat {med['gat_batch'] / args.snapshots * 1e3:.2f} ms, "
        f"pgm {med['pgm_batch'] / args.snapshots * 1e3:.2f} ms; single: gat "
        f"{med['gat_single'] * 1e3:.1f} ms, pgm {med['pgm_single'] * 1e3:.1f} ms, "
        f"pandapower {med['pandapower_single'] * 1e3:.1f} ms"
    )
    report = {
        "benchmark": "adms_se",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "versions": _versions(),
        "case": {
            "nodes": N_NODES,
            "snapshots": args.snapshots,
            "measurements": len(case["df"]),
            "voltage_sensors": 11,
            "flow_sensors": 100,
            "pseudo_loads": int(case["df"]["pseudo"].sum() // 2),
            "states": case["prep"].model.n_state,
            "zero_injection": len(case["prep"].zero),
        },
        "batch": {
            "fallbacks_to_gauss_newton": case["fallbacks"],
            "iterations_median": float(np.median(case["batch_iterations"])),
            "iterations_max": int(case["batch_iterations"].max()),
        },
        "agreement_max_dv_pu": {**diff, "batch_vs_pgm_iterative_linear_pu": batch_diff},
        "seconds_median": med,
        "seconds_rounds": rounds,
        "ratios": ratios,
        "cpu_seconds_median": cpu_med,
        "cpu_seconds_rounds": cpu_rounds,
        "ratios_cpu": ratios_cpu,
        "targets": TARGETS,
        "targets_met": {k: ratios[k] <= TARGETS[k] for k in ratios},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
