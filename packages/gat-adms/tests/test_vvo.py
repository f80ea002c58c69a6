"""Volt/VAR optimisation (``gat_adms.vvo``) on IEEE 13.

Expected values come from outside the VVO code: the settings are written into the network's
tables by hand and solved by the physics interface (``gat_pf.physics_model``, ``solve``,
``power_totals``); the brute force enumerates taps and capacitor states through the same
interface; limits are the network's own.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_adms.vvo import DayType, VvoOptions, optimise_period, parse_objective, plan_vvo
from gat_dist.datasets import build_dataset
from gat_schemas import InputError

pytest.importorskip("highspy")


@pytest.fixture(scope="module")
def ieee13():  # type: ignore[no-untyped-def]
    return build_dataset("ieee13")


def _with_settings(net, taps: dict, caps: dict):  # type: ignore[no-untyped-def]
    regs = net.table("dist_regulators").copy()
    regs["tap"] = [int(taps[r]) for r in regs["regulator_id"]]
    regs["mode"] = "fixed"
    cp = net.table("dist_caps").copy()
    cp["status"] = ["closed" if caps[c] else "open" for c in cp["cap_id"]]
    return net.with_table("dist_regulators", regs).with_table("dist_caps", cp)


def _solve(net, settings: pd.DataFrame):  # type: ignore[no-untyped-def]
    """Independent AC solve of one period's settings: losses (MW) and terminal voltages."""
    import gat_pf
    from gat_pf import Injection, ThreePhaseOptions, power_totals

    s = settings.set_index("device_id")
    taps = s.loc[s.kind == "regulator", "setting"].to_dict()
    caps = (s.loc[s.kind == "capacitor", "setting"] > 0.5).to_dict()
    net2 = _with_settings(net, taps, caps)
    if (s.kind == "substation").any():
        nodes = net2.nodes.copy()
        for nid, v in s.loc[s.kind == "substation", "setting"].items():
            nodes.loc[nodes.node_id == nid, "v_set"] = v
        net2 = net2.with_table("dist_nodes", nodes)
    phys = gat_pf.physics_model(net2, options_3ph=ThreePhaseOptions(regulators="fixed"))
    der = s[s.kind == "der"]
    assets = net.table("der_assets").set_index("asset_id")
    n_t = len(phys.term_node)
    p, q = np.zeros((1, n_t)), np.zeros((1, n_t))
    for aid, row in der.iterrows():
        a = assets.loc[aid]
        node = np.flatnonzero(np.asarray(phys.node_ids).astype(str) == str(a.bus_id))[0]
        at = np.flatnonzero(np.asarray(phys.term_node) == node)
        at = at[[ph in a.phase for ph in np.asarray(phys.term_phase)[at]]]
        p[0, at] += row.p_mw / len(at)
        q[0, at] += row.setting / len(at)
    sol = phys.solve(Injection(np.arange(n_t), p, q))
    assert sol.converged.all()
    lim = phys.limits(sol)
    return float(power_totals(phys, sol).losses_mw[0]), lim.vm_pu[0], phys


def test_loss_period_on_ieee13_is_ac_exact_and_beats_the_baseline(ieee13) -> None:  # type: ignore[no-untyped-def]
    res = optimise_period(ieee13, options=VvoOptions(objective="loss"))
    summ = res.summary.set_index("case")
    assert summ.loc["optimised", "status"] == "optimal"
    assert summ.loc["optimised", "objective"] <= summ.loc["baseline", "objective"]
    per = res.periods.set_index("case")
    assert bool(per.loc["optimised", "ac_ok"])
    loss, vm, phys = _solve(ieee13, res.settings)
    assert loss == pytest.approx(per.loc["optimised", "loss_mw"], rel=1e-6)
    limited = ~np.asarray(phys.term_slack)
    band = (vm[limited] >= 0.95 - 1e-4) & (vm[limited] <= 1.05 + 1e-4)
    assert band.all()
    # Every DER within its reactive limits and rating.
    assets = ieee13.table("der_assets").set_index("asset_id")
    der = res.settings[res.settings.kind == "der"].set_index("device_id")
    a = assets.loc[der.index]
    assert (der.setting <= a.q_max + 1e-9).all() and (der.setting >= a.q_min - 1e-9).all()
    assert (der.setting**2 + der.p_mw**2 <= a.s_max**2 + 1e-9).all()


def test_brute_force_finds_no_better_tap_and_capacitor_setting(ieee13) -> None:  # type: ignore[no-untyped-def]
    """Taps within 2 steps of the plan's, both capacitors, DER at zero reactive power."""
    import gat_pf
    from gat_pf import ThreePhaseOptions, power_totals

    res = optimise_period(ieee13, options=VvoOptions(objective="loss", der_q=False))
    plan = res.periods.set_index("case").loc["optimised"]
    assert bool(plan.ac_ok)
    s = res.settings.set_index("device_id")
    reg_ids = list(ieee13.table("dist_regulators")["regulator_id"])
    t_opt = np.array([s.loc[r, "setting"] for r in reg_ids], dtype=int)
    grid = np.array(list(itertools.product(range(-2, 3), repeat=len(reg_ids)))) + t_opt
    best = np.inf
    for c1, c2 in itertools.product([False, True], repeat=2):
        net = _with_settings(
            ieee13, dict(zip(reg_ids, t_opt, strict=True)), {"Cap1": c1, "Cap2": c2}
        )
        phys = gat_pf.physics_model(net, options_3ph=ThreePhaseOptions(regulators="fixed"))
        sol = phys.solve(n_scenarios=len(grid), taps=grid)
        vm = phys.limits(sol).vm_pu[:, ~np.asarray(phys.term_slack)]
        ok = sol.converged & ((vm >= 0.95 - 1e-4) & (vm <= 1.05 + 1e-4)).all(axis=1)
        loss = power_totals(phys, sol).losses_mw
        if ok.any():
            best = min(best, float(loss[ok].min()))
    assert np.isfinite(best)
    assert plan.loss_mw <= best + 1e-7


@pytest.mark.parametrize("objective", ["cvr", "voltage-deviation", "loss=1,voltage-deviation=0.5"])
def test_other_objectives_improve_on_the_baseline(ieee13, objective: str) -> None:  # type: ignore[no-untyped-def]
    res = optimise_period(ieee13, options=VvoOptions(objective=objective))
    summ = res.summary.set_index("case")
    assert summ.loc["optimised", "status"] == "optimal"
    assert summ.loc["optimised", "objective"] < summ.loc["baseline", "objective"]
    if objective == "cvr":
        # Lower voltages, less demand at the head.
        assert summ.loc["optimised", "energy_mwh"] < summ.loc["baseline", "energy_mwh"]


def test_day_plan_respects_operation_limits(ieee13) -> None:  # type: ignore[no-untyped-def]
    day = DayType(
        "test", np.array([0.6, 0.9, 1.0, 0.7]), np.array([0.0, 0.5, 1.0, 0.2]), np.ones(4)
    )
    opts = VvoOptions(objective="loss", max_tap_ops=2, max_cap_ops=1)
    res = plan_vvo(ieee13, [day], options=opts)
    st = res.settings
    regs = st[st.kind == "regulator"].pivot(index="period", columns="device_id", values="setting")
    assert (regs.diff().abs().sum() <= 2).all()
    caps = st[st.kind == "capacitor"].pivot(index="period", columns="device_id", values="setting")
    assert (caps.diff().abs().sum() <= 1).all()
    summ = res.summary.set_index("case")
    assert summ.loc["optimised", "objective"] <= summ.loc["baseline", "objective"] + 1e-9
    assert summ.loc["optimised", "periods"] == 4
    per = res.periods[res.periods.case == "optimised"]
    assert per.ac_ok.all()
    from gat_schemas.validation import validate_table

    for name, df in (
        ("vvo_settings", res.settings),
        ("vvo_periods", res.periods),
        ("vvo_summary", res.summary),
    ):
        assert validate_table(name, df) == []


def test_objective_parsing() -> None:
    assert parse_objective("loss") == {"loss": 1.0}
    assert parse_objective("loss=2, cvr=0.5") == {"loss": 2.0, "cvr": 0.5}
    for bad in ("power", "loss=-1", "loss=x", "loss=0"):
        with pytest.raises(InputError):
            parse_objective(bad)
    with pytest.raises(InputError):
        VvoOptions(v_min=1.1, v_max=1.0)


def test_balanced_network_taps_on_transformers_and_capacitors_as_shunts() -> None:
    """case33bw with its first branch made a transformer and two switched capacitors."""
    import gat_pf
    from gat_pf import Injection, power_totals
    from gat_schemas import read_network

    root = Path(__file__).resolve().parents[3] / "test_data"
    net = read_network(root / "networks" / "case33bw")
    br = net.branches.copy()
    br.loc[0, "branch_type"] = "transformer"
    caps = pd.DataFrame(
        {
            "cap_id": ["C30", "C14"],
            "node_id": ["30", "14"],
            "phase": ["ABC", "ABC"],
            "q_mvar": [0.6, 0.3],
            "status": ["open", "open"],
            "kind": ["capacitor", "capacitor"],
        }
    )
    net = net.with_table("dist_branches", br).with_table("dist_caps", caps)
    der = pd.read_csv(root / "assets" / "case33bw_der.csv")
    res = optimise_period(
        net, assets=der, options=VvoOptions(objective="loss", v_min=0.95, v_max=1.05), pv_scale=0.5
    )
    assert res.model == "balanced"
    summ = res.summary.set_index("case")
    assert summ.loc["optimised", "status"] == "optimal"
    assert summ.loc["optimised", "objective"] < summ.loc["baseline", "objective"]
    # The settings written by hand into the tables, solved by the balanced model.
    s = res.settings.set_index("device_id")
    br2 = br.copy()
    br2.loc[0, "tap"] = 1.0 + 0.00625 * s.loc[str(br.loc[0, "branch_id"]), "setting"]
    caps2 = caps.copy()
    caps2["status"] = ["closed" if s.loc[c, "setting"] > 0.5 else "open" for c in caps.cap_id]
    phys = gat_pf.physics_model(net.with_table("dist_branches", br2).with_table("dist_caps", caps2))
    d = s[s.kind == "der"]
    node = {n: i for i, n in enumerate(np.asarray(phys.node_ids).astype(str))}
    terms = np.array([node[str(b)] for b in der.set_index("asset_id").loc[d.index, "bus_id"]])
    sol = phys.solve(Injection(terms, d.p_mw.to_numpy()[None, :], d.setting.to_numpy()[None, :]))
    loss = float(power_totals(phys, sol).losses_mw[0])
    per = res.periods.set_index("case").loc["optimised"]
    assert loss == pytest.approx(per.loss_mw, rel=1e-6)


@pytest.mark.parametrize("name", ["ieee34", pytest.param("ieee123", marks=pytest.mark.slow)])
def test_never_worse_than_the_baseline_and_ac_clean(name: str) -> None:
    """At full load both feeders break v_max with their own regulators; the plan does not."""
    net = build_dataset(name)
    res = optimise_period(net, options=VvoOptions(objective="loss"))
    summ = res.summary.set_index("case")
    assert summ.loc["optimised", "objective"] <= summ.loc["baseline", "objective"]
    assert summ.loc["optimised", "status"] == "optimal"
    assert summ.loc["optimised", "hours_outside"] == 0
    per = res.periods.set_index("case").loc["optimised"]
    assert bool(per.ac_ok) and per.violation_pu <= 1e-4


def test_substation_set_point_is_a_control(ieee13) -> None:  # type: ignore[no-untyped-def]
    res = optimise_period(ieee13, options=VvoOptions(objective="cvr", substation=True))
    st = res.settings.set_index("device_id")
    v_set = st.loc["SourceBus_vsource"]
    assert v_set.kind == "substation" and v_set.baseline == pytest.approx(1.0001)
    # Whole steps of 0.625 % within +-5 % of the data value.
    k = (v_set.setting - 1.0001) / 0.00625
    assert abs(k - round(k)) < 1e-9 and abs(k) <= 8
    summ = res.summary.set_index("case")
    assert summ.loc["optimised", "status"] == "optimal"
    assert summ.loc["optimised", "objective"] < summ.loc["baseline", "objective"]
    loss, _, _ = _solve(ieee13, res.settings)
    assert loss == pytest.approx(
        res.periods.set_index("case").loc["optimised", "loss_mw"], rel=1e-6
    )


def test_day_types_picked_by_date_from_a_yearly_shape() -> None:
    from gat_adms.vvo import day_types_from_shapes

    days = pd.date_range("2025-01-01", periods=365, freq="D")
    # Constant within a day: month / 10, plus 0.5 on Saturdays and Sundays.
    daily = pd.Series(days.month / 10 + 0.5 * (days.dayofweek >= 5), index=days)
    shape = pd.DataFrame(
        {
            "shape_id": "year",
            "step": np.arange(365 * 24),
            "hour": np.arange(365 * 24, dtype=float),
            "multiplier": np.repeat(daily.to_numpy(), 24),
            "interval_h": 1.0,
        }
    )
    out = day_types_from_shapes(
        shape, day_types=["weekend-summer", "weekday", "winter"], year_start="2025-01-01"
    )
    summer_we = daily[(days.dayofweek >= 5) & days.month.isin([6, 7, 8])].mean()
    assert out[0].name == "weekend-summer" and len(out[0].load_scale) == 24
    assert out[0].load_scale == pytest.approx(np.full(24, summer_we))
    assert out[1].load_scale[0] == pytest.approx(daily[days.dayofweek < 5].mean())
    assert out[2].load_scale[5] == pytest.approx(daily[days.month.isin([12, 1, 2])].mean())
    with pytest.raises(InputError, match="unknown shape"):
        day_types_from_shapes(shape, day_types=["weekday-monsoon"])


def test_a_plan_stopped_by_max_rounds_does_not_claim_optimal(ieee13) -> None:  # type: ignore[no-untyped-def]
    """Two rounds of cvr on IEEE 13 still gain (the plan needs 9): AC-feasible, but the
    status says the rounds ran out instead of ``optimal``."""
    res = optimise_period(ieee13, options=VvoOptions(objective="cvr", max_rounds=2))
    row = res.summary.set_index("case").loc["optimised"]
    assert row["status"] == "round_limit"
    assert row["rounds"] == 2 and "not converged" in row["message"]
    assert row["periods_ac_ok"] == row["periods"]
