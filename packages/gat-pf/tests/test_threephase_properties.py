"""Properties of the three-phase power flow on random unbalanced radial feeders."""

from __future__ import annotations

import numpy as np
import pandas as pd
from gat_pf_testlib import network
from hypothesis import given, settings
from hypothesis import strategies as st

from gat_pf import ThreePhaseOptions, solve_batch_3ph
from gat_pf._threephase._tables import tables_3ph

LOAD_COLUMNS = ["load_id", "node_id", "model", "connection"] + [
    f"{k}_{leg}_{u}" for leg in "abc" for k, u in (("p", "mw"), ("q", "mvar"))
]


def _feeder(n: int, seed: int, head: str):
    """Random radial feeder: a transformer at the head, then lines whose phases shrink
    towards the leaves; line codes with mutual terms; wye and delta loads of every model."""
    rng = np.random.default_rng(seed)
    phases = ["ABC", "ABC"]
    parent = [-1, 0]
    for k in range(2, n):
        p = int(rng.integers(1, k))
        have = phases[p]
        if len(have) > 1 and rng.random() < 0.3:
            keep = sorted(
                rng.choice(len(have), size=int(rng.integers(1, len(have))), replace=False)
            )
            have = "".join(have[i] for i in keep)
        phases.append(have)
        parent.append(p)
    nodes = pd.DataFrame(
        {
            "node_id": [f"n{k}" for k in range(n)],
            "phase": [{"AC": "CA"}.get(p, p) for p in phases],
            "type": ["slack"] + ["load"] * (n - 1),
            "v_min": 0.9,
            "v_max": 1.1,
            "load_p": 0.0,
            "load_q": 0.0,
            "feeder_id": "f",
            "base_kv": [24.9] + [4.16] * (n - 1),
        }
    )
    conn_f, conn_t = head.split("/")
    codes, rows = [], []
    for k in range(1, n):
        m = len(phases[k])
        code = f"c{k}"
        r = rng.uniform(0.2, 0.8)
        x = rng.uniform(0.4, 1.2)
        row = {"linecode_id": code, "n_phases": m}
        for ij in ("11", "12", "13", "22", "23", "33"):
            i, j = int(ij[0]), int(ij[1])
            inside = max(i, j) <= m
            row[f"r{ij}"] = (r if i == j else 0.3 * r) if inside else 0.0
            row[f"x{ij}"] = (x if i == j else 0.4 * x) if inside else 0.0
            row[f"b{ij}"] = (4.0 if i == j else -1.0) if inside else 0.0
        codes.append(row)
        order = list(phases[k])
        rng.shuffle(order)
        rows.append(
            (f"L{k}", f"n{parent[k]}", f"n{k}", "line", "".join(order), code, rng.uniform(0.1, 0.6))
        )
    rows[0] = ("T1", "n0", "n1", "transformer", "ABC", None, np.nan)
    br = pd.DataFrame(
        rows,
        columns=[
            "branch_id",
            "from_node",
            "to_node",
            "branch_type",
            "phases",
            "linecode_id",
            "length_km",
        ],
    ).assign(r=1e-3, x=1e-2, b=0.0, tap=1.0, status="closed", thermal_limit=np.nan)
    tr = pd.DataFrame(
        [
            {
                "branch_id": "T1",
                "phases": "ABC",
                "conn_from": conn_f,
                "conn_to": conn_t,
                "kv_from": 24.9,
                "kv_to": 4.16,
                "s_rated_mva": 5.0,
                "r_pct": 1.0,
                "x_pct": 6.0,
            }
        ]
    )
    loads = []
    three_wire = conn_t == "delta"  # a delta secondary serves phase-to-phase loads only
    for k in range(2, n):
        have = phases[k]
        if three_wire and len(have) < 2:
            continue
        delta = len(have) >= 2 and (three_wire or rng.random() < 0.4)
        row = {
            "load_id": f"d{k}",
            "node_id": f"n{k}",
            "model": rng.choice(["pq", "z", "i"]),
            "connection": "delta" if delta else "wye",
        }
        legs = {"a": "AB", "b": "BC", "c": "CA"}
        for leg in "abc":
            ok = set(legs[leg]) <= set(have) if delta else leg.upper() in have
            p = rng.uniform(0.0, 0.08) if ok else 0.0
            row[f"p_{leg}_mw"], row[f"q_{leg}_mvar"] = p, p * rng.uniform(0.1, 0.5)
        loads.append(row)
    return network(
        nodes,
        br,
        base_mva=1.0,
        dist_linecodes=pd.DataFrame(codes),
        dist_transformers=tr,
        dist_loads=pd.DataFrame(loads, columns=LOAD_COLUMNS),
    )


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(3, 25),
    seed=st.integers(0, 100_000),
    head=st.sampled_from(["delta/wye_g", "wye_g/wye_g", "wye_g/delta", "delta/delta"]),
)
def test_random_unbalanced_feeders_balance_power_and_agree_across_methods(n, seed, head):
    net = _feeder(n, seed, head)
    from gat_pf import build_model_3ph

    model = build_model_3ph(net)
    fp = solve_batch_3ph(model, options=ThreePhaseOptions(method="fixed_point", tol=1e-10))
    nr = solve_batch_3ph(model, options=ThreePhaseOptions(method="newton", tol=1e-10))
    if not model.grounded_nodes().all() and not (fp.converged.all() and nr.converged.all()):
        # A region fed only through a delta winding with nothing grounded in it has just the
        # ppm_antifloat shunts as reference (OpenDSS's model): its common-mode voltage is
        # not determined. Both methods must then refuse the state alike, through the 2 pu
        # sanity bound, rather than report it.
        from gat_pf._threephase._solve import determined

        assert not fp.converged.any() and not nr.converged.any()
        assert not determined(fp.voltages).any() and not determined(nr.voltages).any()
        return
    assert fp.converged.all() and nr.converged.all()
    dv = fp.voltages - nr.voltages
    free = ~model.grounded_nodes()[model.pn_node]  # phase nodes of regions with no ground
    assert np.abs(dv[:, model.pn_bus[~free]]).max(initial=0.0) < 1e-8
    # Where only the 1 ppm antifloat shunts hold the common-mode voltage, it is determined
    # but ill-conditioned (a 1e-12 pu power mismatch leaves ~1e-8 pu of it); the phase-to-
    # phase voltages, which the loads see, must agree as tightly as elsewhere.
    for node in np.unique(model.pn_node[free]):
        bus = model.pn_bus[model.pn_node == node]
        assert np.abs(dv[:, bus] - dv[:, bus[:1]]).max() < 1e-8
        assert np.abs(dv[:, bus]).max() < 1e-6
    t = tables_3ph(
        model,
        fp.voltages,
        None,
        fp.converged,
        fp.iterations,
        fp.regulator_rounds,
        fp.max_mismatch_mva * 3.0,
        fp.v_control,
        fp.scale,
        fp.method,
        scenario_ids=None,
    )
    s = t["pf3_summary"].iloc[0]
    assert s.total_gen_mw == pytest_approx(s.total_load_mw + s.p_loss_mw)
    assert t["pf3_nodes"].p_mw.sum() == pytest_approx(t["pf3_branches"].loss_mw.sum())


def pytest_approx(value: float):
    import pytest

    return pytest.approx(value, abs=1e-8)
