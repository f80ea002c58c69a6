"""Conductor powers and power totals of a batch whose scenarios sit at different taps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gat_pf
from gat_pf import ThreePhaseOptions, physics_model
from gat_pf._threephase._tables import flows_3ph
from gat_schemas import read_network

DATA = Path(__file__).resolve().parent / "data" / "threephase"


@pytest.mark.parametrize("case", ["ieee13", "ieee34"])
def test_mixed_tap_batch_powers_equal_the_branch_tables(case):
    """Every scenario at its own taps: conductor end powers, head power and losses equal
    those of :func:`flows_3ph` (the branch tables' own currents) scenario by scenario."""
    phys = physics_model(
        read_network(DATA / case / "network"),
        options_3ph=ThreePhaseOptions(method="fixed_point", tol=1e-11),
    )
    n_r = len(gat_pf.regulator_settings(phys))
    rng = np.random.default_rng(3)
    taps = rng.integers(-8, 12, size=(4, n_r))
    taps[2] = taps[0]  # two scenarios share a tap vector
    sol = phys.solve(load_scale=np.array([1.0, 0.8, 0.6, 1.1]), taps=taps)
    assert sol.converged.all()
    s_f, s_t = gat_pf.conductor_power(phys, sol)
    tot = gat_pf.power_totals(phys, sol)
    m = phys.model
    s_phase = m.base_mva / 3.0
    heads = np.concatenate(phys.head_pn)
    for s in range(4):
        fl = flows_3ph(m, sol.v[s : s + 1], taps[s : s + 1], None)
        ref_f = sol.v[s, phys.cond_pf] * np.conj(fl.i_from[0, phys.cond_cols]) * s_phase
        ref_t = sol.v[s, phys.cond_pt] * np.conj(fl.i_to[0, phys.cond_cols]) * s_phase
        # Sums of large admittance terms: agreement to ~1e-10 MVA (the old per-tap-vector
        # maps differ from the tables by as much).
        if case == "ieee34":  # no ideal switches: every conductor is in the maps
            assert np.allclose(s_f[s], ref_f, rtol=1e-9, atol=1e-9)
            assert np.allclose(s_t[s], ref_t, rtol=1e-9, atol=1e-9)
        ref_loss = (ref_f + ref_t).sum()
        assert tot.losses_mw[s] == pytest.approx(ref_loss.real, rel=1e-8, abs=1e-8)
        assert tot.losses_mvar[s] == pytest.approx(ref_loss.imag, rel=1e-8, abs=1e-8)
        ref_head = fl.s_node[0, heads].sum() * s_phase
        assert tot.head_p_mw[s, 0] == pytest.approx(ref_head.real, rel=1e-8)
        assert tot.head_q_mvar[s, 0] == pytest.approx(ref_head.imag, rel=1e-8)


def test_mixed_tap_batch_control_voltages_equal_one_scenario_at_a_time():
    """A batch at several tap vectors sees the control voltages of each scenario solved and
    measured alone (IEEE 34: two three-phase banks of line-drop-compensated regulators)."""
    phys = physics_model(
        read_network(DATA / "ieee34" / "network"),
        options_3ph=ThreePhaseOptions(method="fixed_point", tol=1e-11),
    )
    n_r = len(gat_pf.regulator_settings(phys))
    taps = np.random.default_rng(5).integers(-6, 10, size=(5, n_r))
    taps[3] = taps[1]
    scale = np.linspace(0.6, 1.1, 5)
    sol = phys.solve(load_scale=scale, taps=taps)
    got = gat_pf.regulator_control_v(phys, sol)
    assert got.shape == (5, n_r) and np.isfinite(got).all()
    for s in range(5):
        alone = phys.solve(load_scale=scale[s : s + 1], taps=taps[s : s + 1])
        one = gat_pf.regulator_control_v(phys, alone)
        assert np.allclose(got[s], one[0], rtol=1e-9, atol=0)
    # Moving one bank's taps changes its own control voltages (its compensator sees it).
    assert np.ptp(got, axis=0).max() > 0.1


def test_unique_rows_matches_numpy_unique():
    """Integer rows through mixed-radix keys give np.unique(axis=0)'s rows and inverse."""
    from gat_pf._physics_controls import unique_rows

    rng = np.random.default_rng(0)
    for rows in (
        rng.integers(-16, 17, size=(40, 7)),
        rng.integers(0, 2, size=(9, 3)),
        np.array([[2**40, -(2**40)], [0, 5], [2**40, -(2**40)]]),  # keys would overflow
        np.array([[3, 1], [3, 1]]),
        rng.integers(-3, 3, size=(6, 1)),
    ):
        uniq, inv = unique_rows(rows)
        ref, ref_inv = np.unique(rows, axis=0, return_inverse=True)
        assert np.array_equal(uniq, ref) and np.array_equal(inv, ref_inv.ravel())
        assert np.array_equal(uniq[inv], rows)


def test_conductor_current_equals_the_power_flow_tables_on_both_models():
    """``conductor_current_a`` against the result tables: balanced |s_from| / (sqrt(3) V_LL
    |V|) per phase, three-phase the conductor's own ``i_from_a``/``i_to_a``."""
    root = Path(__file__).resolve().parents[3]
    net = read_network(root / "test_data" / "networks" / "case33bw")
    phys = physics_model(net)
    sol = phys.solve()
    a_f, _ = gat_pf.conductor_current_a(phys, sol, np.arange(len(phys.cond_branch)))
    res = gat_pf.run_power_flow(net)
    br = res.branches.set_index("branch_id").loc[phys.cond_branch.astype(str)]
    vm = res.nodes.set_index("node_id").loc[br["from_node"].astype(str), "vm_pu"].to_numpy()
    kv = net.nodes.set_index("node_id").loc[br["from_node"].astype(str), "base_kv"].to_numpy()
    want = br["s_from_mva"].to_numpy() * 1e3 / (np.sqrt(3.0) * kv * vm)
    np.testing.assert_allclose(a_f[0], want, rtol=1e-6)

    # Three-phase: the branch tables' own conductor currents (pu of the phase current
    # base s_phase / V_base), IEEE 34 with its regulators at mixed taps.
    phys3 = physics_model(
        read_network(DATA / "ieee34" / "network"),
        options_3ph=ThreePhaseOptions(method="fixed_point", tol=1e-11),
    )
    taps = np.random.default_rng(5).integers(
        -8, 12, size=(2, len(gat_pf.regulator_settings(phys3)))
    )
    sol3 = phys3.solve(load_scale=np.array([1.0, 0.7]), taps=taps)
    conds = np.arange(len(phys3.cond_branch))
    f3, t3 = gat_pf.conductor_current_a(phys3, sol3, conds)
    m = phys3.model
    vb = np.asarray(m.pn_vbase_kv)
    for k in range(2):
        fl = flows_3ph(m, sol3.v[k : k + 1], taps[k : k + 1], None)
        scale = m.base_mva / 3.0 * 1e3
        ref_f = np.abs(fl.i_from[0, phys3.cond_cols]) * scale / vb[phys3.cond_pf]
        ref_t = np.abs(fl.i_to[0, phys3.cond_cols]) * scale / vb[phys3.cond_pt]
        np.testing.assert_allclose(f3[k], ref_f, rtol=1e-7, atol=1e-6)
        np.testing.assert_allclose(t3[k], ref_t, rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize("case", ["ieee13", "ieee34"])
def test_regulated_block_rows_equal_each_rows_block(case):
    """Blocks of every regulated branch for a batch of tap vectors (a table per tap
    position for a branch with one regulator, distinct settings otherwise: a batch with a
    tap beyond the limits takes that way) equal :func:`regulated_block` row by row, bit for
    bit."""
    from gat_pf._threephase._branches import regulated_block, regulated_block_rows

    m = physics_model(read_network(DATA / case / "network")).model
    regs = m.branches.regulators
    n_r = len(regs.slot)
    rng = np.random.default_rng(7)
    taps = rng.integers(-16, 17, size=(30, n_r))
    taps[5] = taps[0]
    wide = taps.copy()
    wide[3] = 20  # beyond tap_max: not in a table
    for rows in (taps, wide, taps[:1]):
        for slot in range(len(m.branches.regulated)):
            got = regulated_block_rows(m, slot, rows)
            want = np.stack([regulated_block(m, slot, row) for row in rows])
            assert got.shape == want.shape and (got == want).all()
