"""The batch state estimator's kernels: the fused rectangular measurement operator, the
zero-injection null space, and the reduced chord against Gauss-Newton per snapshot.

Expected values are independent of the code under test: ``evaluate`` (the polar
measurement functions), central finite differences, the constraint matrix itself, and
Gauss-Newton (``solve_one``) on each snapshot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gat_adms.se import Placement, make_measurements, prepare_grid
from gat_adms.se._model import MeasArrays, SeModel, evaluate
from gat_adms.se._rectops import constraint_matrix, rect_map, rect_ops
from gat_pf import physics_model
from gat_pf.admittance import network_admittance
from gat_schemas import read_network

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
CASE33 = ROOT / "test_data" / "networks" / "case33bw"
IEEE13 = ROOT / "packages" / "gat-pf" / "tests" / "data" / "threephase" / "ieee13" / "network"


def _case33_zero():
    """case33bw (which has a load at every node) with eleven loads removed: zero-injection
    clusters of one to four nodes."""
    net = read_network(CASE33)
    nodes = net.nodes.copy()
    off = (
        nodes["node_id"]
        .astype(str)
        .isin(["7", "8", "9", "10", "13", "19", "20", "21", "26", "27", "31"])
    )
    nodes.loc[off, ["load_p", "load_q"]] = 0.0
    return net.with_table("dist_nodes", nodes)


PLACEMENT33 = Placement(
    voltages="1,6,12,18,25,30,33",
    flows="1,2,5,10,18,22,25,30",
    injections="3,8,14,20,28",
    pseudo_pct=30.0,
)


def _all_kinds(n_e: int, okc: np.ndarray) -> MeasArrays:
    """Every kind at every terminal / conductor (from side; P flows also at the to side)."""
    kinds = [np.full(n_e, k) for k in range(4)] + [np.full(len(okc), k) for k in (4, 5, 6, 4)]
    elec = np.r_[np.tile(np.arange(n_e), 4), -np.ones(4 * len(okc), int)]
    cond = np.r_[-np.ones(4 * n_e, int), np.tile(okc, 4)]
    to_side = np.r_[np.zeros(4 * n_e + 3 * len(okc), bool), np.ones(len(okc), bool)]
    kind = np.concatenate(kinds).astype(np.int64)
    return MeasArrays(kind, elec, cond, to_side, np.full(len(kind), 0.01))


def _model(path: Path) -> tuple[SeModel, np.ndarray, np.ndarray]:
    phys = physics_model(read_network(path))
    sol = phys.solve()
    adm = network_admittance(phys, None if sol.taps.shape[1] == 0 else sol.taps[0])
    model = SeModel.from_admittance(adm)
    v = np.zeros(model.n_elec, dtype=complex)
    v[adm.term_elec] = sol.v[0]
    return model, v, np.flatnonzero(~adm.cond_ideal)


def _voltages(model: SeModel, y: np.ndarray) -> np.ndarray:
    """(S, E) voltages of rectangular states (n, S), written out independently."""
    n_ns = len(model.ns)
    v = np.empty((y.shape[1], model.n_elec), dtype=complex)
    v[:, model.ns] = (y[:n_ns] + 1j * y[n_ns : 2 * n_ns]).T
    v[:, model.slack] = (y[2 * n_ns :] * np.exp(1j * model.theta_slack[model.slack])[:, None]).T
    return v


@pytest.mark.parametrize("path", [CASE33, IEEE13], ids=["case33bw", "ieee13"])
def test_fused_operator_matches_measurement_functions_and_differences(path: Path) -> None:
    model, v_true, okc = _model(path)
    meas = _all_kinds(model.n_elec, okc)
    ops = rect_ops(model, meas)
    rng = np.random.default_rng(3)
    v = v_true * (1.0 + rng.normal(0.0, 0.01, (2, model.n_elec)))
    v[:, model.slack] = np.abs(v[:, model.slack]) * np.exp(1j * model.theta_slack[model.slack])
    ns = model.ns
    y = np.concatenate([v[:, ns].real.T, v[:, ns].imag.T, np.abs(v[:, model.slack]).T])
    np.testing.assert_allclose(_voltages(model, y), v, atol=1e-14)
    np.testing.assert_allclose(rect_map(model) @ y, np.r_[v.real.T, v.imag.T], atol=1e-14)
    # z = h + u / weight makes weight * (z - h) = u, so adjoint returns [Re c; -Im c] of u.
    h = evaluate(model, meas, v).T
    u = rng.normal(size=h.shape)
    weight = np.full(h.shape, 4.0)
    out = ops.adjoint(ops.f0 @ y, h + u / weight, weight)
    grad = ops.f0.T @ out
    eps = 1e-7
    for s in range(2):
        fd = np.empty(model.n_state)
        for j in range(model.n_state):
            yp, ym = y[:, s : s + 1].copy(), y[:, s : s + 1].copy()
            yp[j] += eps
            ym[j] -= eps
            hp = evaluate(model, meas, _voltages(model, yp))[0]
            hm = evaluate(model, meas, _voltages(model, ym))[0]
            fd[j] = u[:, s] @ (hp - hm) / (2 * eps)
        scale = np.abs(fd).max()
        assert np.abs(grad[:, s] - fd).max() < 1e-5 * scale


@pytest.mark.parametrize("dense", [True, False], ids=["dense", "sparse"])
@pytest.mark.parametrize("case", ["case33bw_zero", "ieee13"])
def test_null_basis_spans_the_zero_injection_constraints(
    case: str, dense: bool, monkeypatch
) -> None:
    import gat_adms.se._rectops as rectops

    monkeypatch.setattr(rectops, "DENSE_CLUSTER", 10**9 if dense else 0)
    prep = prepare_grid(_case33_zero() if case == "case33bw_zero" else read_network(IEEE13))
    model, zero = prep.model, prep.zero
    assert len(zero) > 0
    basis = rectops._null_basis(model, zero)
    assert basis is not None
    c = constraint_matrix(model, zero)
    t = basis.t.toarray()
    assert t.shape == (model.n_state, model.n_state - 2 * len(zero))
    assert np.abs(c @ t).max() < 1e-9 * np.abs(c).max()
    np.testing.assert_array_equal(t[basis.free], np.eye(len(basis.free)))
    # The constraint matrix itself: Y_Z V = 0 written out for a voltage vector.
    rng = np.random.default_rng(5)
    y = rng.normal(size=model.n_state)
    v = _voltages(model, y[:, None])[0]
    i_z = model.y[zero] @ v
    np.testing.assert_allclose(c @ y, np.r_[i_z.real, i_z.imag], atol=1e-9 * np.abs(i_z).max())


def _batch_case(case: str, n_snap: int) -> tuple:
    from gat_adms.se._tables import parse_measurements
    from gat_schemas.conform import apply_defaults

    if case == "ieee13":
        net = read_network(IEEE13)
        placement = Placement(voltages="SourceBus,632,671,675", flows="head", pseudo_pct=20.0)
    else:
        net, placement = _case33_zero(), PLACEMENT33
    scales = list(np.linspace(0.6, 1.3, n_snap))
    meas, _ = apply_defaults(
        "measurements", make_measurements(net, placement, load_scale=scales, seed=9)
    )
    prep = prepare_grid(net)
    assert len(prep.zero) > 0
    snaps, _ = parse_measurements(prep.grid, meas)
    assert len({s.key() for s in snaps}) == 1
    sigma = np.stack([s.arrays.sigma for s in snaps])
    return prep, [s.arrays for s in snaps], np.stack([s.z for s in snaps]), sigma


@pytest.mark.parametrize("reduce", [True, False], ids=["null_space", "kkt_rows"])
@pytest.mark.parametrize("case", ["case33bw_zero", "ieee13"])
def test_batch_with_zero_injections_equals_gauss_newton_per_snapshot(
    case: str, reduce: bool, monkeypatch
) -> None:
    """Zero-injection clusters on case33bw, and IEEE 13 (three-phase, zero-injection phases,
    regulator and transformer admittances of ~1e5 pu): the batch's chord, in the
    constraints' null space or with them as KKT rows, with groups and per-snapshot sigmas,
    reaches each snapshot's own Gauss-Newton optimum."""
    import gat_adms.se._batch as batch_mod
    import gat_adms.se._rect as rect_mod
    import gat_adms.se._wls as wls

    if not reduce:
        monkeypatch.setattr(rect_mod, "null_basis", lambda model, zero: None)
    prep, arrays, z, sigma = _batch_case(case, 7)
    assert (rect_mod.null_basis(prep.model, prep.zero) is not None) == reduce
    batch = batch_mod.solve_batch(
        prep.model, arrays[0], z, prep.zero, prep.x0, sigma=sigma, group_size=3
    )
    assert batch.converged.all() and not batch.fallback.any()
    assert batch.iterations.max() > 0
    for k in range(len(z)):
        one = wls.solve_one(prep.model, arrays[k], z[k], prep.zero, prep.x0)
        np.testing.assert_allclose(batch.v[k], one.v[0], atol=1e-8)
        np.testing.assert_allclose(batch.objective[k], one.objective[0], rtol=1e-8)
