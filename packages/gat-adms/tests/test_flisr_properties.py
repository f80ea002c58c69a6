"""Properties of FLISR on random feeders with ties: plans are radial with one source per
island and truthful about their AC check; ties and automation never make SAIDI worse."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gat_pf
from gat_adms import FlisrOptions, expected_indices, simulate_flisr
from gat_schemas import GatError, Network, validate_network

KINDS = ("recloser", "fuse", "sectionalizer", "disconnect")


@dataclasses.dataclass(frozen=True)
class Case:
    net: Network
    reliability: pd.DataFrame
    devices: pd.DataFrame
    ties: tuple[str, ...]


def random_case(seed: int, *, uniform_time: bool = False) -> Case:
    """One or two radial feeders (slacks n0, and n1 when two), loads, customers, devices on
    about half the branches, 1-3 normally-open ties between random non-adjacent nodes."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 14))
    two = bool(rng.integers(2)) and n >= 8
    roots = [0, 1] if two else [0]
    parent = np.full(n, -1)
    for i in range(len(roots), n):
        parent[i] = int(rng.integers(0, i))
    root = np.arange(n)
    for i in range(n):
        root[i] = root[parent[i]] if parent[i] >= 0 else i
    ids = [f"n{i}" for i in range(n)]
    load = np.where(np.isin(np.arange(n), roots), 0.0, rng.uniform(0.0, 0.6, n))
    nodes = pd.DataFrame(
        {
            "node_id": ids,
            "phase": "ABC",
            "type": ["slack" if i in roots else "load" for i in range(n)],
            "v_min": 0.9,
            "v_max": 1.1,
            "load_p": load,
            "load_q": 0.3 * load,
            "feeder_id": [f"F{root[i]}" for i in range(n)],
            "base_kv": 11.0,
            "customers": np.where(load > 0, rng.integers(0, 40, n), 0).astype(np.int64),
        }
    )
    rows = [(f"b{i}", ids[parent[i]], ids[i], "closed") for i in range(n) if parent[i] >= 0]
    adjacent = {frozenset((parent[i], i)) for i in range(n) if parent[i] >= 0}
    ties = []
    for _ in range(int(rng.integers(1, 4))):
        i, j = (int(v) for v in rng.choice(n, size=2, replace=False))
        if frozenset((i, j)) in adjacent or (i in roots and j in roots):
            continue
        adjacent.add(frozenset((i, j)))
        ties.append(f"t{len(ties)}")
        rows.append((ties[-1], ids[i], ids[j], "open"))
    m = len(rows)
    r = rng.uniform(0.005, 0.04, m)
    branches = pd.DataFrame(
        {
            "branch_id": [x[0] for x in rows],
            "from_node": [x[1] for x in rows],
            "to_node": [x[2] for x in rows],
            "r": r,
            "x": r * rng.uniform(0.8, 1.5, m),
            "b": 0.0,
            "tap": 1.0,
            "status": [x[3] for x in rows],
            "thermal_limit": np.where(rng.random(m) < 0.5, np.nan, rng.uniform(1.0, 4.0, m)),
        }
    )
    dev = []
    for bid, f, _t, status in rows:
        auto = bool(rng.integers(2))
        time = 1.0 if uniform_time else (0.05 if auto else 1.0)
        if status == "open":
            dev.append((f"D{bid}", bid, "tie", "open", auto, time))
        elif int(f[1:]) in roots:
            dev.append((f"D{bid}", bid, "breaker", "closed", True, 1.0 if uniform_time else 0.05))
        elif rng.random() < 0.5:
            dev.append((f"D{bid}", bid, KINDS[int(rng.integers(4))], "closed", auto, time))
    devices = pd.DataFrame(
        dev,
        columns=[
            "device_id",
            "branch_id",
            "device_type",
            "normal_state",
            "automated",
            "operate_time_h",
        ],
    )
    closed = [x[0] for x in rows if x[3] == "closed"]
    reliability = pd.DataFrame(
        {
            "element_id": closed,
            "element_type": "branch",
            "failure_rate_per_yr": rng.uniform(0.01, 0.5, len(closed)),
            "repair_time_h": rng.uniform(2.0, 8.0, len(closed)),
        }
    )
    net = Network(f"random{seed}", 10.0, {"dist_nodes": nodes, "dist_branches": branches})
    return Case(net, reliability, devices, tuple(ties))


def _without_ties(case: Case) -> Case:
    br = case.net.branches[~case.net.branches["branch_id"].isin(case.ties)]
    dev = case.devices[~case.devices["branch_id"].isin(case.ties)]
    net = Network(case.net.name, case.net.base_mva, {**case.net.tables, "dist_branches": br})
    return Case(net, case.reliability, dev, ())


SEEDS = st.integers(min_value=0, max_value=2**31 - 1)
FEW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ac_ok(net: Network, live: np.ndarray, closed: np.ndarray) -> bool:
    """Independent AC check: converged, no voltage below min(v_min, normal), no branch over
    max(rating, normal flow)."""
    normal = gat_pf.run_power_flow(net)
    sub = Network(
        net.name,
        net.base_mva,
        {
            "dist_nodes": net.nodes[live],
            "dist_branches": net.branches[closed].assign(status="closed"),
        },
    )
    try:
        pf = gat_pf.run_power_flow(sub)
    except GatError:
        return False
    vm = pf.nodes.set_index("node_id")["vm_pu"]
    floor = np.minimum(
        net.nodes.set_index("node_id")["v_min"], normal.nodes.set_index("node_id")["vm_pu"]
    )
    if (vm < floor.loc[vm.index] - 1e-4).any():
        return False
    s = pf.branches.set_index("branch_id")
    flow = np.maximum(s["s_from_mva"], np.hypot(s["p_to_mw"], s["q_to_mvar"]))
    rating = net.branches.set_index("branch_id")["thermal_limit"].loc[flow.index].fillna(np.inf)
    nb = normal.branches.set_index("branch_id").reindex(flow.index).fillna(0.0)
    base = np.maximum(nb["s_from_mva"], np.hypot(nb["p_to_mw"], nb["q_to_mvar"]))
    return bool(~(flow > np.maximum(rating, base) * (1 + 1e-4)).any())


def check_plans(seed: int) -> None:
    """Every plan is a forest with one slack per tree, and ac_check_ok is what an
    independent power flow finds."""
    case = random_case(seed)
    assert validate_network(case.net) == []
    res = simulate_flisr(case.net, case.reliability, case.devices)
    net = case.net
    index = {n: i for i, n in enumerate(res.node_ids)}
    f = net.branches["from_node"].map(index).to_numpy()
    t = net.branches["to_node"].map(index).to_numpy()
    slack = (net.nodes["type"] == "slack").to_numpy()
    for k, (live, closed) in enumerate(zip(res.energised, res.closed, strict=True)):
        run = res.runs.iloc[k]
        # Forest: edges = live nodes - live slacks, and every live node reaches a slack.
        assert closed.sum() == live.sum() - (live & slack).sum()
        reach = live & slack
        for _ in range(len(live)):
            reach |= np.bincount(
                np.concatenate([t[closed & reach[f]], f[closed & reach[t]]]), minlength=len(live)
            ).astype(bool)
        assert (reach == live).all()
        assert _ac_ok(net, live, closed) == bool(run["ac_check_ok"]), run.to_dict()
    cust = res.runs
    assert (
        cust["customers_restored_by_switching"] + cust["customers_awaiting_repair"]
        == cust["customers_interrupted"]
    ).all()


def check_tie(seed: int) -> None:
    """With equal switching times and customers as the only objective, removing the ties
    never lowers SAIDI (the MILP's choices only grow with a tie)."""
    case = random_case(seed, uniform_time=True)
    opts = FlisrOptions(load_weight_per_mw=0.0, ac_rounds=0)
    with_ties = expected_indices(
        simulate_flisr(case.net, case.reliability, case.devices, options=opts).impacts
    )
    bare = _without_ties(case)
    without = expected_indices(
        simulate_flisr(bare.net, bare.reliability, bare.devices, options=opts).impacts
    )
    assert with_ties.saidi <= without.saidi + 1e-9
    assert with_ties.saifi == pytest.approx(without.saifi)


def check_automation(seed: int, pick: int) -> None:
    """Automating devices (faster operation) never raises SAIDI or SAIFI."""
    case = random_case(seed)
    before = expected_indices(simulate_flisr(case.net, case.reliability, case.devices).impacts)
    dev = case.devices.copy()
    chosen = np.random.default_rng(pick).random(len(dev)) < 0.5
    dev.loc[chosen, "automated"] = True
    dev.loc[chosen, "operate_time_h"] = np.minimum(dev.loc[chosen, "operate_time_h"], 0.05)
    after = expected_indices(simulate_flisr(case.net, case.reliability, dev).impacts)
    assert after.saidi <= before.saidi + 1e-9
    assert after.saifi <= before.saifi + 1e-9


@pytest.mark.solver
@FEW
@given(seed=SEEDS)
def test_plans_are_radial_and_their_ac_check_is_truthful(seed: int) -> None:
    check_plans(seed)


@pytest.mark.solver
@FEW
@given(seed=SEEDS)
def test_a_tie_never_makes_saidi_worse(seed: int) -> None:
    check_tie(seed)


@pytest.mark.solver
@FEW
@given(seed=SEEDS, pick=SEEDS)
def test_automation_never_makes_saidi_or_saifi_worse(seed: int, pick: int) -> None:
    check_automation(seed, pick)


@pytest.mark.slow
@pytest.mark.solver
@MANY
@given(seed=SEEDS, pick=SEEDS)
def test_every_property_on_many_feeders(seed: int, pick: int) -> None:
    check_plans(seed)
    check_tie(seed)
    check_automation(seed, pick)
