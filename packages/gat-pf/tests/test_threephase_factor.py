"""The three-phase factor: the leaves-first order eliminates a radial feeder without pivoting
and without fill outside the matrix's own pattern, and the loads' admittances moved into the
factorised matrix change the fixed point's path, not its solution (checked against Kirchhoff's
current law with the network's own matrix and the loads' textbook currents)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gat_pf import build_model_3ph
from gat_pf._threephase import _api, _solve
from gat_pf._threephase._loads import element_currents
from gat_pf._threephase._loads_in_y import load_admittance
from gat_schemas import read_network

DATA = Path(__file__).resolve().parent / "data" / "threephase"


def _model(case: str):  # type: ignore[no-untyped-def]
    return build_model_3ph(read_network(DATA / case / "network"))


def _taps(model):  # type: ignore[no-untyped-def]
    return None if model.regulators is None else model.regulators.tap0


@pytest.mark.parametrize("case", ["ieee34", "u10"])
def test_leaves_first_factor_is_kept_unpivoted_and_solves(case: str) -> None:
    model = _model(case)
    order = model.elimination_order()
    assert order is not None
    np.testing.assert_array_equal(np.sort(order), model.bp_unknown)
    fac = _api._factor(model, _taps(model))
    np.testing.assert_array_equal(fac.unknown, order)  # the tree order's factor was kept
    n = len(order)
    np.testing.assert_array_equal(fac.lu.perm_r, np.arange(n))
    np.testing.assert_array_equal(fac.lu.perm_c, np.arange(n))
    y_ll = model.ybus(_taps(model))[order][:, order]
    # A tree eliminated leaves first fills in only inside the phase blocks: no more
    # entries than the matrix's own triangles plus full 3x3 blocks would hold.
    bound = y_ll.nnz + n + 6 * n
    assert fac.lu.L.nnz + fac.lu.U.nnz <= bound
    b = np.exp(1j * np.arange(n))
    x = fac.lu.solve(b)
    # Backward error relative to the matrix's scale (its entries span 1e-6 to 1e5 pu).
    scale = abs(y_ll).sum(axis=1).max() * np.abs(x).max()
    assert np.abs(y_ll @ x - b).max() <= 1e-12 * scale


@pytest.mark.parametrize("case", ["ieee34", "u10"])
def test_load_admittance_in_the_factor_keeps_the_solution(case: str) -> None:
    model = _model(case)
    taps = _taps(model)
    ld = model.loads
    y = load_admittance(model)
    assert (y[~ld.scalable] == 0).all()
    its = np.zeros(2, dtype=np.int64)
    for scale in (0.5, 1.0, 1.5):
        sc = np.where(ld.scalable, scale, 1.0)[None, :]
        args = (ld, model.n_bp, model.v_slack, sc, 1)
        plain = _solve.fixed_point(_api._factor(model, taps), *args, tol=1e-12, max_iter=500)
        moved = _solve.fixed_point(
            _api._factor(model, taps, y_load=y), *args, tol=1e-12, max_iter=500, y_load=y
        )
        assert plain.converged[0] and moved.converged[0]
        assert np.abs(moved.v - plain.v).max() < 1e-8
        # Kirchhoff's current law with the network's matrix and the loads' own currents.
        cur, _ = element_currents(ld, moved.v, sc)
        kcl = model.ybus(taps) @ moved.v[0] + ld.incidence.T @ cur[0]
        assert np.abs(kcl[model.bp_unknown]).max() < 1e-8
        its += [plain.iterations[0], moved.iterations[0]]
    assert its[1] < its[0]  # fewer in all (a light load may take more)


def test_generation_is_not_moved_into_the_factor() -> None:
    model = _model("ieee34")
    ld = model.loads
    s = ld.s_p + ld.s_i + ld.s_z
    y = load_admittance(model)
    consuming = ld.scalable & (s.real > 0)
    np.testing.assert_allclose(y[consuming], np.conj(s[consuming]) / ld.v_nom[consuming] ** 2)
    assert (y[~consuming] == 0).all()
