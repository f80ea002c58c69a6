"""Kernel checks from mathematics: hand-solved 2-bus case, Y-bus symmetry, Jacobian, options."""

from __future__ import annotations

import numpy as np
import pytest
from gat_pf_testlib import make_branches, make_nodes, network, random_radial

import gat_pf
from gat_pf import Method, PowerFlowOptions
from gat_schemas.errors import InputError, NotConvergedError

TIGHT = PowerFlowOptions(tol=1e-11)


def _two_bus(r=0.01, x=0.03, p=0.4, q=0.2):
    nodes = make_nodes(["s", "l"], ["slack", "load"], [0.0, p], [0.0, q])
    return network(nodes, make_branches(["s"], ["l"], [r], [x]), base_mva=1.0)


def _two_bus_voltage(r, x, p, q):
    """Closed form: |V|^4 + (2(rP + xQ) - 1)|V|^2 + (r^2 + x^2)(P^2 + Q^2) = 0 (source 1 pu)."""
    a = 2 * (r * p + x * q) - 1
    c = (r * r + x * x) * (p * p + q * q)
    vm2 = (-a + np.sqrt(a * a - 4 * c)) / 2
    vm = np.sqrt(vm2)
    # angle from V = 1 - z conj(S) / conj(V): Im(V) = -(x P - r Q) / |V| with V real part
    va = -np.arcsin((x * p - r * q) / vm)
    return vm, va


@pytest.mark.parametrize("method", [Method.NR, Method.BFS])
def test_two_bus_by_hand(method):
    r, x, p, q = 0.01, 0.03, 0.4, 0.2
    res = gat_pf.run_power_flow(
        _two_bus(r, x, p, q), options=PowerFlowOptions(method=method, tol=1e-12)
    )
    vm, va = _two_bus_voltage(r, x, p, q)
    v = res.voltages[1]
    assert abs(abs(v) - vm) < 1e-10
    assert abs(np.angle(v) - va) < 1e-10
    # losses = r |I|^2 with |I| = |S| / |V|
    loss = r * (p * p + q * q) / vm**2
    assert res.summary.p_loss_mw[0] == pytest.approx(loss, abs=1e-10)


def test_ybus_symmetric_without_taps():
    rng = np.random.default_rng(1)
    model = gat_pf.build_model(random_radial(30, rng))
    y = model.ybus.toarray()
    assert np.allclose(y, y.T, rtol=0, atol=1e-12)
    assert model.is_radial


def test_ybus_asymmetric_with_phase_shift():
    nodes = make_nodes(["a", "b"], ["slack", "load"], [0, 1], [0, 0])
    br = make_branches(["a"], ["b"], [0.01], [0.1], shift_deg=[10.0])
    y = gat_pf.build_model(network(nodes, br)).ybus.toarray()
    assert abs(y[0, 1] - y[1, 0]) > 1e-3


def test_unknown_method_is_input_error():
    with pytest.raises(InputError):
        PowerFlowOptions(method="nope")


def test_island_without_source_is_input_error():
    nodes = make_nodes(
        ["a", "b", "c", "d"], ["slack", "load", "load", "load"], [0, 1, 1, 1], [0, 0, 0, 0]
    )
    br = make_branches(["a", "c"], ["b", "d"], [0.01, 0.01], [0.01, 0.01])
    with pytest.raises(InputError, match="island"):
        gat_pf.build_model(network(nodes, br))


def test_not_converged_carries_last_iterate():
    net = _two_bus(p=40.0, q=20.0)  # far beyond the maximum loadability
    with pytest.raises(NotConvergedError) as err:
        gat_pf.run_power_flow(net, options=PowerFlowOptions(method=Method.BFS, max_iter=20))
    assert err.value.last_iterate.shape == (2,)
    assert err.value.exit_code == 3


def test_nr_and_sweep_agree_on_random_feeder():
    net = random_radial(60, np.random.default_rng(7))
    a = gat_pf.run_power_flow(net, options=PowerFlowOptions(method=Method.NR, tol=1e-11))
    b = gat_pf.run_power_flow(net, options=PowerFlowOptions(method=Method.BFS, tol=1e-11))
    assert np.abs(a.voltages - b.voltages).max() < 1e-8
    assert a.summary.method[0] == "nr" and b.summary.method[0] == "bfs"


def test_auto_picks_sweep_on_radial():
    net = random_radial(10, np.random.default_rng(3))
    assert gat_pf.run_power_flow(net).method is Method.BFS
