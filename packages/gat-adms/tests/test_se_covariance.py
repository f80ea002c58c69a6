"""The estimator's covariance from a selected inverse (:mod:`gat_adms.se._selinv`).

The bad-data test and the std columns need only diagonals: of the states' covariance and of
``H E1 H^T``. They used one SuperLU solve per state and per measurement (IEEE 8500: 21,782
right-hand sides, ~12 minutes). Expected values here come from dense inverses (numpy) and
from the solve-based path, not from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from gat_adms.se import Placement, make_measurements, prepare_grid
from gat_adms.se._baddata import selected_covariance, solved_covariance
from gat_adms.se._pattern import pattern_for
from gat_adms.se._rect import _polar_of_rect
from gat_adms.se._rectops import null_basis
from gat_adms.se._selinv import entries, takahashi
from gat_adms.se._tables import parse_measurements
from gat_adms.se._wls import WlsOptions, solve_one
from gat_schemas import read_network
from gat_schemas.conform import apply_defaults

ROOT = Path(__file__).resolve().parents[3]
CASE33 = ROOT / "test_data" / "networks" / "case33bw"
THREE = ROOT / "packages" / "gat-pf" / "tests" / "data" / "threephase"


def test_takahashi_equals_the_dense_inverse_on_the_factor_pattern() -> None:
    import qdldl

    rng = np.random.default_rng(4)
    n = 60
    a = sp.random(n, n, density=0.06, random_state=rng)
    a = (a + a.T + sp.identity(n) * 4.0).tocsc()
    ldl = qdldl.Solver(a)
    l_fac, d, perm = ldl.factors()
    sel = takahashi(l_fac, d)
    inv = np.linalg.inv(a.toarray())
    pinv = np.empty(n, dtype=np.int64)
    pinv[perm] = np.arange(n)
    coo = sp.triu(a).tocoo()
    got = entries(sel, pinv[coo.row], pinv[coo.col])
    np.testing.assert_allclose(got, inv[coo.row, coo.col], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(sel[3], np.diag(inv)[perm], rtol=1e-10)


def _estimate(net, placement: Placement):  # type: ignore[no-untyped-def]
    meas, _ = apply_defaults("measurements", make_measurements(net, placement, seed=1))
    prep = prepare_grid(net)
    (snap,), _ = parse_measurements(prep.grid, meas)
    one = solve_one(prep.model, snap.arrays, snap.z, prep.zero, prep.x0, WlsOptions(tol=1e-12))
    return prep, snap, one.v[0]


@pytest.mark.parametrize(
    ("path", "placement"),
    [
        (CASE33, Placement(voltages="1,12,25", flows="1,10,22", pseudo_pct=30.0)),
        (THREE / "ieee13" / "network", Placement(voltages="SourceBus,632,671", pseudo_pct=20.0)),
    ],
)
def test_selected_covariance_equals_the_solved_one(path: Path, placement: Placement) -> None:
    prep, snap, v = _estimate(read_network(path), placement)
    got = selected_covariance(prep.model, snap.arrays, prep.zero, v)
    want = solved_covariance(prep.model, snap.arrays, prep.zero, v)
    assert got is not None
    np.testing.assert_allclose(got.state_var, want.state_var, rtol=1e-6, atol=1e-14)
    sig2 = snap.arrays.sigma**2
    np.testing.assert_allclose(got.omega / sig2, want.omega / sig2, rtol=0, atol=1e-6)
    assert (got.critical == want.critical).all()


def test_selected_covariance_equals_a_dense_inverse_on_ieee34() -> None:
    """IEEE 34 with a flow sensor on every conductor: the reduced gain's condition is ~1e11;
    the dense inverse (numpy) of the same reduced gain is the reference."""
    prep, snap, v = _estimate(read_network(THREE / "ieee34" / "network"), Placement(flows="all"))
    got = selected_covariance(prep.model, snap.arrays, prep.zero, v)
    assert got is not None
    model = prep.model
    basis = null_basis(model, prep.zero)
    h, _ = pattern_for(model, snap.arrays, prep.zero).fill(v)
    jpr = _polar_of_rect(model, v)
    f_mat = (h @ jpr @ basis.t).toarray()
    m_inv = np.linalg.inv(f_mat.T @ (f_mat / snap.arrays.sigma[:, None] ** 2))
    q_mat = (jpr @ basis.t).toarray()
    want_states = np.einsum("ij,jk,ik->i", q_mat, m_inv, q_mat)
    want_heh = np.einsum("ij,jk,ik->i", f_mat, m_inv, f_mat)
    np.testing.assert_allclose(got.state_var, want_states, rtol=1e-5)
    sig2 = snap.arrays.sigma**2
    np.testing.assert_allclose((sig2 - got.omega) / sig2, want_heh / sig2, rtol=0, atol=1e-5)
