"""The physics interface: both models behind one Protocol, checked against direct solves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_pf import Injection, ThreePhaseOptions, physics_model, sensitivities
from gat_pf.physics import vuf_pct
from gat_schemas import Network, read_network

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "threephase"
NETWORKS = HERE.parents[2] / "test_data" / "networks"
FIXED = ThreePhaseOptions(regulators="fixed", tol=1e-11)


def _ieee13() -> Network:
    return read_network(DATA / "ieee13" / "network")


def test_auto_picks_the_model_from_the_tables():
    assert physics_model(read_network(NETWORKS / "case33bw")).kind == "balanced"
    assert physics_model(_ieee13()).kind == "three_phase"
    assert physics_model(read_network(NETWORKS / "case33bw"), model="three_phase").kind == (
        "three_phase"
    )


def test_balanced_solve_is_bit_for_bit_solve_batch():
    net = read_network(NETWORKS / "case33bw")
    phys = physics_model(net)
    model = gat_pf.build_model(net)
    pts = phys.injection_points(["5", "18", "30"])
    p = np.array([0.5, 1.0, 2.0])
    sol = phys.solve(Injection.at_points(pts, np.arange(3), p, -0.2 * p), load_scale=0.8)
    gen_p = np.repeat(model.node_gen.real[None, :] * model.base_mva, 3, axis=0)
    gen_q = np.repeat(model.node_gen.imag[None, :] * model.base_mva, 3, axis=0)
    pos = {n: k for k, n in enumerate(model.node_ids)}
    at = [pos["5"], pos["18"], pos["30"]]
    gen_p[np.arange(3), at] += p
    gen_q[np.arange(3), at] += -0.2 * p
    ref = gat_pf.solve_batch(model, gen_p_mw=gen_p, gen_q_mvar=gen_q, load_scale=0.8)
    assert np.array_equal(sol.v, ref.voltages)
    lim = phys.limits(sol)
    assert lim.vuf_pct.shape == (3, 0) and lim.regulator_p_mw.shape == (3, 0)
    # Head flow = the slack node's net injection in pf_nodes.
    nodes = gat_pf.batch_tables(model, ref)[0]
    slack = nodes[nodes.node_id == phys.head_node_ids[0]].p_mw.to_numpy()
    assert np.allclose(lim.head_p_mw[:, 0], slack, rtol=1e-9)


def test_three_phase_injection_equals_a_generator_load_row():
    """An injection per terminal is the same as a negative constant-power dist_loads row."""
    net = _ieee13()
    phys = physics_model(net, options_3ph=FIXED)
    pts = phys.injection_points(["675", "611"], phase_mode="each")
    assert list(pts.label) == ["675.A", "675.B", "675.C", "611.C"]
    which = np.array([1, 3])
    sol = phys.solve(Injection.at_points(pts, which, np.array([0.4, 0.3]), np.array([0.1, 0.0])))
    assert sol.converged.all()
    for s, (node, leg, p, q) in enumerate([("675", "b", 0.4, 0.1), ("611", "c", 0.3, 0.0)]):
        row = {"load_id": "der", "node_id": node, "connection": "wye", "model": "pq"}
        for x in "abc":
            row[f"p_{x}_mw"] = -p if x == leg else 0.0
            row[f"q_{x}_mvar"] = -q if x == leg else 0.0
        loads = pd.concat([net.table("dist_loads"), pd.DataFrame([row])], ignore_index=True)
        edited = Network(net.name, net.base_mva, {**net.tables, "dist_loads": loads})
        ref = gat_pf.run_power_flow_3ph(edited, options=FIXED)
        assert np.abs(sol.v[s] - ref.voltages).max() < 1e-8


def test_three_phase_limits_agree_with_the_pf3_tables():
    net = _ieee13()
    phys = physics_model(net, options_3ph=FIXED)
    lim = phys.limits(phys.solve())
    ref = gat_pf.run_power_flow_3ph(net, options=FIXED)
    assert np.abs(lim.vm_pu[0] - np.abs(ref.voltages)).max() < 1e-12
    br = ref.branches
    got = pd.DataFrame(
        {"branch_id": phys.cond_branch, "phase": phys.cond_phase, "i": lim.current_a[0]}
    )
    j = got.merge(br, on=["branch_id", "phase"], validate="one_to_one")
    assert len(j) == len(got)
    assert np.allclose(j.i, np.maximum(j.i_from_a, j.i_to_a), rtol=1e-9)
    # Feeder head power = total load + losses (the summary's generation at the slack).
    assert lim.head_p_mw[0, 0] == pytest.approx(ref.summary.total_gen_mw[0], rel=1e-9)
    # Regulator phases carry power forward; unbalance is the sequence ratio, below 3 %.
    assert (lim.regulator_p_mw > 0).all() and lim.regulator_p_mw.shape == (1, 3)
    assert 0 < lim.vuf_pct.max() < 3.0


def test_vuf_of_known_sequences():
    a = np.exp(2j * np.pi / 3)
    pos = np.array([1.0, a * a, a])  # A, B lagging 120, C leading 120
    neg = np.array([1.0, a, a * a])
    assert vuf_pct(pos) == pytest.approx(0.0, abs=1e-12)
    assert vuf_pct(pos + 0.02 * neg) == pytest.approx(2.0, rel=1e-12)
    assert vuf_pct(pos + 0.05 * np.ones(3)) == pytest.approx(0.0, abs=1e-12)  # zero sequence


def test_balanced_network_gives_the_same_answer_in_both_models():
    net = read_network(NETWORKS / "case33bw")
    bal = physics_model(net, pf_options=gat_pf.PowerFlowOptions(tol=1e-12))
    tri = physics_model(net, model="three_phase", options_3ph=ThreePhaseOptions(tol=1e-12))
    nodes = ["10", "25"]
    p = np.array([1.2, 0.6])
    sb = bal.solve(Injection.at_points(bal.injection_points(nodes), np.arange(2), p, 0 * p))
    st = tri.solve(Injection.at_points(tri.injection_points(nodes), np.arange(2), p, 0 * p))
    va = np.abs(st.v[:, tri.term_phase == "A"])
    assert np.abs(va - np.abs(sb.v)).max() < 1e-8
    lb, lt = bal.limits(sb), tri.limits(st)
    assert np.allclose(lb.head_p_mw, lt.head_p_mw, rtol=1e-8)


@pytest.mark.parametrize("which", ["balanced", "three_phase"])
def test_sensitivities_predict_a_small_step(which):
    net = read_network(NETWORKS / "case33bw") if which == "balanced" else _ieee13()
    phys = physics_model(net, options_3ph=FIXED)
    node = "18" if which == "balanced" else "675"
    pts = phys.injection_points([node], phase_mode="each")
    term = pts.terms[0, 0]
    sol = phys.solve()
    sens = sensitivities(phys, sol, [term])
    step = 0.05
    moved = phys.limits(phys.solve(Injection(np.array([term]), [[step]], [[0.0]])))
    pred = sens.vm_pu + sens.dvm_dp[:, 0] * step
    assert np.abs(moved.vm_pu[0] - pred).max() < 1e-4 * step / 0.05
    assert sens.dvm_dp[term, 0] > 0  # injecting raises the local voltage
    # The head supplies the injection less, and less again for the losses it saves.
    assert -1.3 < sens.dhead_dp[0, 0] < -1.0


def test_normamps_of_line_codes_and_lines_set_the_conductor_ampacity():
    net = _ieee13()
    codes = net.table("dist_linecodes").assign(normamps=530.0, emergamps=795.0)
    br = net.branches.copy()
    br["normamps"] = np.where(br.branch_id == "632670", 250.0, np.nan)  # a line's override
    rated = Network(
        net.name, net.base_mva, {**net.tables, "dist_linecodes": codes, "dist_branches": br}
    )
    res = gat_pf.run_power_flow_3ph(rated, options=FIXED)
    b = res.branches.set_index(["branch_id", "phase"])
    lines = br[br.linecode_id.notna()].branch_id
    for bid in lines:
        want = 250.0 if bid == "632670" else 530.0
        got = b.loc[bid]
        assert np.allclose(got.ampacity_a, want)
        assert np.allclose(got.loading_pct, np.maximum(got.i_from_a, got.i_to_a) / want * 100)
    # Transformers keep the thermal_limit-derived rating.
    xf = br[br.branch_type == "transformer"].branch_id.iloc[0]
    assert not np.allclose(b.loc[xf].ampacity_a, 530.0)
    phys = physics_model(rated, options_3ph=FIXED)
    lim = phys.limits(phys.solve())
    at = phys.cond_branch == "632670"
    assert np.allclose(phys.ampacity_a[at], 250.0)
    assert np.allclose(lim.loading_pct[0, at], lim.current_a[0, at] / 250.0 * 100)


@pytest.mark.parametrize("case", ["ieee13", "ieee34"])
def test_linear_current_maps_give_the_flows_of_the_branch_tables(case, monkeypatch):
    """Limits from the cached sparse current maps equal those from flows_3ph (the maps off)."""
    from gat_pf import _physics_3ph_limits

    phys = physics_model(read_network(DATA / case / "network"), options_3ph=FIXED)
    nodes = [n for n in phys.node_ids if n not in set(phys.head_node_ids)][-3:]
    pts = phys.injection_points(nodes)
    sol = phys.solve(Injection.at_points(pts, np.arange(3), np.array([0.2, 0.5, 0.1]), np.zeros(3)))
    fast = phys.limits(sol)
    # IEEE 13's ideal switches need the loads' currents: it keeps flows_3ph.
    assert (_physics_3ph_limits.linear_currents(phys, sol.taps) is None) == (case == "ieee13")
    monkeypatch.setattr(_physics_3ph_limits, "linear_currents", lambda *a: None)
    ref = phys.limits(sol)
    # rtol 1e-9: IEEE 34's substation transformer currents move by 2e-10 relative between
    # the two formulas when the voltages move by one rounding unit (1e-16 relative).
    for name in ("current_a", "loading_pct", "head_p_mw", "regulator_p_mw"):
        a, b = getattr(fast, name), getattr(ref, name)
        assert a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), name
    assert fast.head_p_mw.shape[1] == 1 and fast.current_a.shape[1] == len(phys.cond_label)


def test_held_taps_power_totals_and_control_voltage_agree_with_the_pf3_tables():
    """``solve(taps=...)`` per scenario equals the power flow of a network whose
    ``dist_regulators.tap`` says so; power totals and control voltages equal pf3's."""
    net = _ieee13()
    phys = physics_model(net, options_3ph=ThreePhaseOptions(method="fixed_point", tol=1e-11))
    taps = np.array([[10, 8, 11], [2, -3, 5]])
    sol = phys.solve(load_scale=np.array([1.0, 0.7]), taps=taps)
    assert sol.converged.all() and (sol.taps == taps).all()
    tot = gat_pf.power_totals(phys, sol)
    v_c = gat_pf.regulator_control_v(phys, sol)
    for s, scale in enumerate([1.0, 0.7]):
        regs = net.table("dist_regulators").copy()
        regs["tap"] = taps[s]
        one = dataclasses.replace(net, tables={**net.tables, "dist_regulators": regs})
        ref = gat_pf.run_power_flow_3ph(one, options=FIXED, load_scale=scale)
        assert np.abs(sol.v[s] - ref.voltages).max() < 1e-8
        assert tot.losses_mw[s] == pytest.approx(ref.summary.p_loss_mw[0], rel=1e-7)
        assert tot.losses_mvar[s] == pytest.approx(ref.summary.q_loss_mvar[0], rel=1e-7)
        assert tot.head_p_mw[s, 0] == pytest.approx(ref.summary.total_gen_mw[0], rel=1e-7)
        # Power balance: head = loads + losses (no generation in IEEE 13).
        assert tot.head_p_mw[s, 0] == pytest.approx(
            ref.summary.total_load_mw[0] + tot.losses_mw[s], rel=1e-7
        )
        assert np.allclose(v_c[s], ref.regulators.v_regulated_v, rtol=1e-7)
    st = gat_pf.regulator_settings(phys)
    assert (st.tap0 == [10, 8, 11]).all() and np.allclose(st.v_set_v, 122.0)
    assert np.allclose(st.step_v, 0.75)  # 0.00625 * 2400 V / PT ratio 20
    assert gat_pf.regulator_settings(
        physics_model(read_network(NETWORKS / "case33bw"))
    ).tap0.shape == (0,)


def test_balanced_power_totals_balance_the_loads():
    net = read_network(NETWORKS / "case33bw")
    phys = physics_model(net)
    sol = phys.solve(load_scale=np.array([1.0, 0.5]), taps=np.zeros((2, 0)))
    tot = gat_pf.power_totals(phys, sol)
    load = net.nodes["load_p"].sum() * np.array([1.0, 0.5])
    assert np.allclose(tot.head_p_mw[:, 0], load + tot.losses_mw, rtol=1e-6)
    assert (tot.losses_mw > 0).all()
    assert gat_pf.regulator_control_v(phys, sol).shape == (2, 0)
