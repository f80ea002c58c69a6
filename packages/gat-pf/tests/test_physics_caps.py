"""``solve(cap_on=...)``: capacitor banks switched per scenario equal models built with
``dist_caps.status`` edited (three-phase through low-rank updates of one factor; balanced
through model variants)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_pf import ThreePhaseOptions, physics_model
from gat_schemas import Network, read_network
from gat_schemas.errors import InputError

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "threephase"
NETWORKS = HERE.parents[2] / "test_data" / "networks"
OPTS = ThreePhaseOptions(method="fixed_point", regulators="fixed", tol=1e-11)


def _with_caps(net: Network, caps: pd.DataFrame) -> Network:
    return dataclasses.replace(net, tables={**net.tables, "dist_caps": caps})


def _ieee13_more_caps() -> Network:
    """IEEE 13 with its two banks plus an open delta bank and an open one-phase bank."""
    net = read_network(DATA / "ieee13" / "network")
    caps = net.table("dist_caps")
    extra = pd.DataFrame(
        {
            "cap_id": ["CapD", "CapB"],
            "node_id": ["671", "645"],
            "phase": ["ABC", "B"],
            "q_mvar": [0.45, 0.2],
            "status": ["open", "open"],
            "kind": ["capacitor", "capacitor"],
            "connection": ["delta", "wye"],
        }
    )
    return _with_caps(net, pd.concat([caps, extra], ignore_index=True))


def _edited(net: Network, state: np.ndarray) -> Network:
    caps = net.table("dist_caps").copy()
    caps["status"] = np.where(state, "closed", "open")
    return _with_caps(net, caps)


def test_three_phase_cap_states_equal_models_with_edited_status():
    net = _ieee13_more_caps()
    phys = physics_model(net, options_3ph=OPTS)
    assert phys.cap_ids.tolist() == ["Cap1", "Cap2", "CapD", "CapB"]
    assert phys.cap_on0.tolist() == [True, True, False, False]
    states = np.array(
        [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1]], dtype=bool
    )
    scale = np.array([1.0, 0.6, 1.1, 0.4, 0.9])
    taps = np.tile(phys.model.regulators.tap0, (len(states), 1))
    taps[1:3] += np.array([[2, -1, 3], [-4, 0, 1]])
    sol = phys.solve(load_scale=scale, taps=taps, cap_on=states)
    assert sol.converged.all()
    for s, state in enumerate(states):
        ref_phys = physics_model(_edited(net, state), options_3ph=OPTS)
        ref = ref_phys.solve(load_scale=scale[s : s + 1], taps=taps[s : s + 1])
        assert ref.converged.all()
        np.testing.assert_allclose(sol.v[s], ref.v[0], atol=1e-9)
        # A bank's state is a shunt: the branch flows of the solution are the reference's.
        np.testing.assert_allclose(
            phys.limits(sol).current_a[s], ref_phys.limits(ref).current_a[0], rtol=1e-7
        )
    # The tables' states give the plain solve.
    plain = phys.solve(load_scale=scale, taps=taps)
    same = phys.solve(load_scale=scale, taps=taps, cap_on=phys.cap_on0)
    np.testing.assert_array_equal(plain.v, same.v)


def test_switching_a_bank_in_raises_the_voltage_at_its_node():
    net = _ieee13_more_caps()
    phys = physics_model(net, options_3ph=OPTS)
    sol = phys.solve(n_scenarios=2, cap_on=np.array([[1, 1, 0, 0], [1, 1, 0, 1]], dtype=bool))
    at = list(phys.term_label).index("645.B")
    vm = np.abs(sol.v[:, at])
    assert vm[1] > vm[0] + 1e-4


def test_cap_on_shape_and_regulator_loop_are_refused():
    net = _ieee13_more_caps()
    phys = physics_model(net, options_3ph=OPTS)
    with pytest.raises(InputError, match="cap_on"):
        phys.solve(cap_on=np.ones(3, dtype=bool))
    auto = physics_model(net, options_3ph=ThreePhaseOptions(regulators="auto"))
    with pytest.raises(InputError, match="cap_on"):
        auto.solve(cap_on=np.zeros(4, dtype=bool))


def test_balanced_cap_states_equal_models_with_edited_status():
    net = read_network(NETWORKS / "case33bw")
    caps = pd.DataFrame(
        {
            "cap_id": ["C18", "C30"],
            "node_id": [str(net.nodes["node_id"].iloc[17]), str(net.nodes["node_id"].iloc[29])],
            "phase": ["ABC", "ABC"],
            "q_mvar": [0.4, 0.9],
            "status": ["closed", "open"],
            "kind": ["capacitor", "capacitor"],
        }
    )
    net = _with_caps(net, caps)
    phys = physics_model(net)
    assert phys.kind == "balanced"
    assert phys.cap_on0.tolist() == [True, False]
    states = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=bool)
    scale = np.array([1.0, 1.2, 0.7, 0.5])
    sol = phys.solve(load_scale=scale, cap_on=states)
    assert sol.converged.all()
    for s, state in enumerate(states):
        ref = physics_model(_edited(net, state)).solve(load_scale=scale[s : s + 1])
        np.testing.assert_allclose(sol.v[s], ref.v[0], atol=1e-10)


@pytest.mark.parametrize("which", ["ieee13", "case33bw"])
def test_conductor_power_of_a_few_conductors_equals_the_full_columns(which):
    from gat_pf import conductor_power

    if which == "ieee13":
        phys = physics_model(_ieee13_more_caps(), options_3ph=OPTS)
        n_r = len(phys.regulator_ids)
        taps = np.tile(phys.model.regulators.tap0, (3, 1)) + np.arange(3)[:, None]
        sol = phys.solve(load_scale=np.array([1.0, 0.5, 1.2]), taps=taps[:, :n_r])
    else:
        phys = physics_model(read_network(NETWORKS / "case33bw"))
        sol = phys.solve(load_scale=np.array([1.0, 0.5, 1.2]))
    s_f, s_t = conductor_power(phys, sol)
    # Every conductor, regulated ones included (they take the full path).
    for conds in (np.array([0, 3, 5]), np.arange(len(phys.cond_branch))[::-1]):
        f, t = conductor_power(phys, sol, conds=conds)
        np.testing.assert_allclose(f, s_f[:, conds], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t, s_t[:, conds], rtol=1e-12, atol=1e-12)
