"""Batches, merged switches, reactive limits, ZIP loads, DC, the Jacobian, random feeders."""

from __future__ import annotations

import numpy as np
import pytest
from gat_pf_testlib import make_branches, make_nodes, network, random_radial
from hypothesis import given, settings
from hypothesis import strategies as st

import gat_pf
from gat_pf import Method, PowerFlowOptions
from gat_schemas.errors import NotConvergedError


def _meshed_pv():
    """5-bus meshed network with a source (PV) node and a line-charging branch."""
    nodes = make_nodes(
        ["s", "a", "b", "g", "c"],
        ["slack", "load", "load", "source", "load"],
        [0, 2.0, 1.5, 0.5, 1.0],
        [0, 0.8, 0.5, 0.1, 0.4],
        gen_p=[0, 0, 0, 2.0, 0],
        v_set=[1.02, 1, 1, 1.01, 1],
        q_min=[np.nan, np.nan, np.nan, -0.3, np.nan],
        q_max=[np.nan, np.nan, np.nan, 0.3, np.nan],
    )
    br = make_branches(
        ["s", "a", "b", "s", "g"],
        ["a", "b", "g", "c", "c"],
        [0.01, 0.02, 0.015, 0.03, 0.02],
        [0.04, 0.06, 0.05, 0.08, 0.05],
        b=[0.01, 0.0, 0.02, 0.0, 0.0],
    )
    br.loc[1, "tap"] = 1.025
    return network(nodes, br)


def test_batch_equals_single_solves_sweep():
    net = random_radial(40, np.random.default_rng(11))
    model = gat_pf.build_model(net)
    scale = np.array([0.3, 1.0, 1.7, 2.2])
    batch = gat_pf.solve_batch(model, load_scale=scale, options=PowerFlowOptions(tol=1e-11))
    assert batch.voltages.shape == (4, 40) and batch.converged.all()
    for s, k in enumerate(scale):
        one = gat_pf.run_power_flow(model, load_scale=k, options=PowerFlowOptions(tol=1e-11))
        assert np.abs(one.voltages - batch.voltages[s]).max() < 1e-10
    nodes, branches, summary = gat_pf.batch_tables(model, batch, ["a", "b", "c", "d"])
    assert (
        len(nodes) == 160 and len(branches) == 4 * 39 and list(summary.scenario_id) == list("abcd")
    )
    assert summary.p_loss_mw.is_monotonic_increasing


def test_wide_batch_sweep_matches_newton_and_single_runs():
    """A batch wide enough for the row-wise prefix sums, with taps, shunts and charging."""
    rng = np.random.default_rng(23)
    net = random_radial(60, rng)
    br = net.branches
    br.loc[[3, 17], "tap"] = [1.03, 0.97]
    br["b"] = rng.uniform(0.0, 0.002, len(br))
    net.nodes["bs_mvar"] = np.where(np.arange(60) % 7 == 3, 0.05, 0.0)
    model = gat_pf.build_model(net)
    scale = rng.uniform(0.2, 1.8, (96, 60))
    opt = PowerFlowOptions(method=Method.BFS, tol=1e-11)
    bfs = gat_pf.solve_batch(model, load_scale=scale, options=opt)
    nr = gat_pf.solve_batch(
        model, load_scale=scale, options=PowerFlowOptions(method=Method.NR, tol=1e-11)
    )
    assert bfs.converged.all() and nr.converged.all()
    assert np.abs(bfs.voltages - nr.voltages).max() < 1e-8
    for s in (0, 50, 95):
        one = gat_pf.solve_batch(model, load_scale=scale[s : s + 1], options=opt)
        assert np.abs(one.voltages[0] - bfs.voltages[s]).max() < 1e-10


def test_batch_equals_single_solves_newton_with_pv():
    model = gat_pf.build_model(_meshed_pv())
    rng = np.random.default_rng(5)
    gen_p = np.tile(model.node_gen.real * model.base_mva, (3, 1))
    gen_p[:, 3] = [0.5, 2.0, 3.0]
    load_p = model.node_load.real * model.base_mva * rng.uniform(0.5, 1.5, (3, 5))
    opt = PowerFlowOptions(tol=1e-11)
    batch = gat_pf.solve_batch(model, load_p_mw=load_p, gen_p_mw=gen_p, options=opt)
    assert batch.method is Method.NR
    for s in range(3):
        one = gat_pf.solve_batch(model, load_p_mw=load_p[s], gen_p_mw=gen_p[s], options=opt)
        assert np.abs(one.voltages[0] - batch.voltages[s]).max() < 1e-10


def test_batch_failure_names_scenarios():
    model = gat_pf.build_model(random_radial(10, np.random.default_rng(2)))
    with pytest.raises(NotConvergedError, match=r"scenario\(s\) 1\b") as err:
        gat_pf.solve_batch(model, load_scale=[1.0, 1e5], options=PowerFlowOptions(max_iter=30))
    assert err.value.last_iterate.shape == (2, 10)


def test_reactive_limit_switches_source_to_pq():
    net = _meshed_pv()
    free = gat_pf.run_power_flow(net, options=PowerFlowOptions(tol=1e-10))
    q_free = free.nodes.set_index("node_id").loc["g", "q_mvar"] + 0.1
    assert abs(q_free) > 0.3  # the unconstrained source needs more than its limit
    held = gat_pf.run_power_flow(net, options=PowerFlowOptions(tol=1e-10, enforce_q_limits=True))
    g = held.nodes.set_index("node_id").loc["g"]
    assert abs(abs(g.q_mvar + 0.1) - 0.3) < 1e-8
    assert abs(g.vm_pu - 1.01) > 1e-4


def test_merged_switch_reports_both_nodes_and_its_flow():
    nodes = make_nodes(
        ["s", "a", "b", "c"],
        ["slack", "load", "load", "load"],
        [0, 0.2, 0.3, 0.4],
        [0, 0.1, 0.1, 0.2],
    )
    br = make_branches(
        ["s", "a", "b"],
        ["a", "b", "c"],
        [0.01, 0.0, 0.02],
        [0.02, 0.0, 0.03],
        branch_type=["line", "switch", "line"],
    )
    model = gat_pf.build_model(network(nodes, br))
    assert model.n_bus == 3
    res = gat_pf.run_power_flow(model, options=PowerFlowOptions(tol=1e-12))
    v = res.nodes.set_index("node_id").vm_pu
    assert v["a"] == v["b"]
    sw = res.branches.set_index("branch_id").loc["L2"]
    last = res.branches.set_index("branch_id").loc["L3"]
    # The switch carries node b's load plus what line L3 takes from b.
    assert sw.p_from_mw == pytest.approx(0.3 + last.p_from_mw, abs=1e-12)
    assert sw.p_loss_mw == pytest.approx(0.0, abs=1e-15)


def test_zip_loads_agree_and_scale_with_voltage():
    net = random_radial(25, np.random.default_rng(4), load_mw=0.4)
    nodes = net.nodes.copy()
    nodes["load_z_frac"] = 0.3
    nodes["load_i_frac"] = 0.2
    zip_net = network(nodes, net.branches)
    nr = gat_pf.run_power_flow(zip_net, options=PowerFlowOptions(method=Method.NR, tol=1e-11))
    bfs = gat_pf.run_power_flow(zip_net, options=PowerFlowOptions(method=Method.BFS, tol=1e-11))
    assert np.abs(nr.voltages - bfs.voltages).max() < 1e-8
    vm = np.abs(bfs.voltages)
    p0 = nodes.load_p.to_numpy()
    expected = (p0 * (0.5 + 0.2 * vm + 0.3 * vm**2)).sum()
    assert bfs.summary.total_load_mw[0] == pytest.approx(expected, abs=1e-9)


def test_shunts_and_capacitors_in_both_methods():
    net = random_radial(20, np.random.default_rng(8), load_mw=0.3)
    nodes = net.nodes.copy()
    nodes["bs_mvar"] = 0.0
    nodes.loc[5, "bs_mvar"] = 0.2
    nodes["gs_mw"] = 0.0
    nodes.loc[7, "gs_mw"] = 0.05
    import pandas as pd

    caps = pd.DataFrame(
        {
            "cap_id": ["C1"],
            "node_id": [nodes.node_id[12]],
            "phase": ["ABC"],
            "q_mvar": [0.3],
            "status": ["closed"],
        }
    )
    net2 = network(nodes, net.branches, dist_caps=caps)
    nr = gat_pf.run_power_flow(net2, options=PowerFlowOptions(method=Method.NR, tol=1e-11))
    bfs = gat_pf.run_power_flow(net2, options=PowerFlowOptions(method=Method.BFS, tol=1e-11))
    assert np.abs(nr.voltages - bfs.voltages).max() < 1e-8
    # Node injections include shunt power at the solved voltage: capacitors and bs inject Q,
    # gs consumes P.
    res = bfs.nodes
    vm2 = res.vm_pu.to_numpy() ** 2
    lq, lp = nodes.load_q.to_numpy(), nodes.load_p.to_numpy()
    assert res.q_mvar[12] == pytest.approx(-lq[12] + 0.3 * vm2[12], abs=1e-12)
    assert res.q_mvar[5] == pytest.approx(-lq[5] + 0.2 * vm2[5], abs=1e-12)
    assert res.p_mw[7] == pytest.approx(-lp[7] - 0.05 * vm2[7], abs=1e-12)


def test_dc_power_flow_balances():
    model = gat_pf.build_model(_meshed_pv())
    res = gat_pf.run_power_flow(model, options=PowerFlowOptions(method=Method.DC))
    assert res.method is Method.DC
    assert res.nodes.p_mw.sum() == pytest.approx(0.0, abs=1e-12)
    assert np.allclose(res.nodes.vm_pu, 1.0)
    assert res.branches.p_loss_mw.abs().max() < 1e-12
    slack = res.nodes.set_index("node_id").loc["s", "p_mw"]
    assert slack == pytest.approx(5.0 - 2.0, abs=1e-9)


def test_jacobian_matches_finite_differences():
    from gat_pf._kernels.newton import _injections, _Jacobian

    model = gat_pf.build_model(_meshed_pv())
    rng = np.random.default_rng(3)
    ns = model.nonslack
    m = len(ns)
    v = (1 + 0.05 * rng.standard_normal(model.n_bus)) * np.exp(
        0.1j * rng.standard_normal(model.n_bus)
    )
    v = v[None, :]
    s_const = -(0.1 * rng.random((1, model.n_bus)) + 0.05j)
    s_i = -0.03 * np.ones((1, model.n_bus)) + 0j
    s_z = -0.02 * np.ones((1, model.n_bus)) + 0j
    keep_q = np.ones((1, m), dtype=bool)
    order = ns[::-1].copy()  # any order: unknowns and equations follow it, interleaved

    def f(x):
        vv = v.copy()
        vv[0, order] = x[1::2] * np.exp(1j * x[0::2])
        _, _, s_calc, spec = _injections(vv, model.ybus, s_const, s_i, s_z)
        d = (s_calc - spec)[0, order]
        out = np.empty(2 * m)
        out[0::2], out[1::2] = d.real, d.imag
        return out

    jac = _Jacobian(model.ybus, order, 1)
    vm, ibus, _, _ = _injections(v, model.ybus, s_const, s_i, s_z)
    mat = jac.fill(v, vm, ibus, s_i, s_z, keep_q).toarray()
    x0 = np.empty(2 * m)
    x0[0::2], x0[1::2] = np.angle(v[0, order]), np.abs(v[0, order])
    h = 1e-7
    fd = np.column_stack([(f(x0 + h * e) - f(x0 - h * e)) / (2 * h) for e in np.eye(2 * m)])
    assert np.abs(mat - fd).max() < 1e-6


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 60), seed=st.integers(0, 2**31), load=st.floats(0.001, 0.2))
def test_random_radial_feeders_nr_equals_sweep(n, seed, load):
    net = random_radial(n, np.random.default_rng(seed), load_mw=load)
    nr = gat_pf.run_power_flow(net, options=PowerFlowOptions(method=Method.NR, tol=1e-10))
    bfs = gat_pf.run_power_flow(net, options=PowerFlowOptions(method=Method.BFS, tol=1e-11))
    assert np.abs(nr.voltages - bfs.voltages).max() < 1e-8
    gap = bfs.nodes.p_mw.sum() - bfs.branches.p_loss_mw.sum()
    assert abs(gap) / 10.0 < 1e-9
