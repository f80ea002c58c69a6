"""Factorisation reuse in Newton-Raphson: chord steps reach the same solution as full Newton."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gat_pf_testlib import random_radial

import gat_pf
from gat_pf._kernels.newton import newton
from gat_pf._model import BUS_PQ, BUS_PV
from gat_pf._solve import _elimination_order, bus_specs, scenario_injections
from gat_schemas import read_network

NETWORKS = Path(__file__).resolve().parents[3] / "test_data" / "networks"


def _solve(model, scale, *, chord, order=None, tol=1e-10):
    inj = scenario_injections(model, load_scale=np.asarray(scale, dtype=float))
    s_const, s_i, s_z = bus_specs(model, inj)
    n_s = s_const.shape[0]
    v0 = np.ones((n_s, model.n_bus), dtype=complex)
    ctl = model.bus_type != BUS_PQ
    v0[:, ctl] = model.bus_v_set[ctl]
    pv = np.broadcast_to(model.bus_type == BUS_PV, v0.shape).copy()
    s_const = np.array(np.broadcast_to(s_const, v0.shape))
    return newton(
        model.ybus,
        model.nonslack,
        v0,
        model.bus_v_set,
        pv,
        s_const,
        s_i,
        s_z,
        tol=tol,
        max_iter=50,
        order=order,
        chord=chord,
    )


@pytest.mark.parametrize("case", ["case9", "case30"])
def test_chord_equals_full_newton_on_meshed_cases_with_pv(case):
    model = gat_pf.build_model(read_network(NETWORKS / case))
    assert len(model.pv) and not model.is_radial
    scale = [0.6, 1.0, 1.3]
    full = _solve(model, scale, chord=False)
    fast = _solve(model, scale, chord=True)
    assert full.converged.all() and fast.converged.all()
    assert full.factorisations == int(full.iterations.max())
    assert np.abs(full.v - fast.v).max() < 1e-9
    assert (fast.mismatch <= 1e-10).all()


def test_chord_reuses_factors_and_radial_order_matches_colamd():
    model = gat_pf.build_model(random_radial(80, np.random.default_rng(5), load_mw=0.15))
    order = _elimination_order(model)
    assert order is not None and sorted(order) == sorted(model.nonslack)
    full = _solve(model, [1.0], chord=False)
    fast = _solve(model, [1.0], chord=True, order=order)
    assert fast.factorisations < fast.iterations.max()
    assert np.abs(full.v - fast.v).max() < 1e-10


def test_heavy_load_chord_meets_tolerance():
    """Under heavy load chord contraction is poor; the result still matches full Newton."""
    model = gat_pf.build_model(random_radial(30, np.random.default_rng(9), load_mw=0.2))
    full = _solve(model, [3.0], chord=False, tol=1e-11)
    fast = _solve(model, [3.0], chord=True, order=_elimination_order(model), tol=1e-11)
    assert fast.converged.all() and full.converged.all()
    assert np.abs(full.v - fast.v).max() < 1e-10


def test_batch_shares_one_jacobian_and_matches_block_newton():
    model = gat_pf.build_model(random_radial(50, np.random.default_rng(21), load_mw=0.1))
    scale = np.linspace(0.4, 1.6, 12)
    block = _solve(model, scale, chord=False)
    shared = _solve(model, scale, chord=True, order=_elimination_order(model))
    assert shared.converged.all() and block.converged.all()
    assert shared.factorisations < len(scale)  # not one block per scenario
    assert np.abs(block.v - shared.v).max() < 1e-10
