"""The single-snapshot KKT solver (``gat_adms.se._kkt``: augmented KKT matrix assembled by
value, LDL^T with a reused ordering, refinement, SuperLU fallback).

Expected values come from the SuperLU path kept in ``gat_adms.se._wls`` (``kkt`` +
``factor``: the KKT matrix built from scipy.sparse products and factorised with partial
pivoting), which shares no assembly or factorisation code with the module under test, and
from a Gauss-Newton iteration written here on that path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_adms.se._kkt as kkt_mod
from gat_adms.se import Placement, make_measurements, prepare_grid
from gat_adms.se._kkt import SingularGainError, assembly_for
from gat_adms.se._model import constraints, evaluate, residual
from gat_adms.se._pattern import JacobianPattern
from gat_adms.se._tables import parse_measurements
from gat_adms.se._wls import WlsOptions, factor, kkt, solve_one
from gat_schemas import Network, read_network
from gat_schemas.conform import apply_defaults

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
SE_DATA = ROOT / "test_data" / "se"
CASE33 = ROOT / "test_data" / "networks" / "case33bw"
IEEE13 = ROOT / "packages" / "gat-pf" / "tests" / "data" / "threephase" / "ieee13" / "network"
IEEE34 = ROOT / "packages" / "gat-pf" / "tests" / "data" / "threephase" / "ieee34" / "network"


def _abur3() -> tuple[Network, pd.DataFrame]:
    d = SE_DATA / "abur3"
    nodes = pd.read_csv(d / "dist_nodes.csv", dtype={"node_id": str, "feeder_id": str})
    branches = pd.read_csv(
        d / "dist_branches.csv", dtype={"branch_id": str, "from_node": str, "to_node": str}
    )
    net = Network(
        name="abur3",
        base_mva=1.0,
        tables={"dist_nodes": nodes, "dist_branches": branches},
        source={"file": "abur3"},
    )
    meas = pd.read_csv(d / "measurements.csv", dtype={"measurement_id": str, "element_id": str})
    return net, meas


def _case(name: str) -> tuple:
    """Prepared grid, measurement arrays and readings of one snapshot."""
    if name == "abur3":
        net, meas = _abur3()
    elif name == "case33bw":
        net = read_network(CASE33)
        placement = Placement(
            voltages="1,6,12,18,25,30,33",
            flows="1,2,5,10,18,22,25,30",
            injections="3,8,14,20,28",
            pseudo_pct=30.0,
        )
        meas = make_measurements(net, placement, seed=11)
    else:
        net = read_network(IEEE13)
        placement = Placement(voltages="SourceBus,632,671,675", flows="head", pseudo_pct=20.0)
        meas = make_measurements(net, placement, seed=5)
    meas, _ = apply_defaults("measurements", meas)
    prep = prepare_grid(net)
    snap = parse_measurements(prep.grid, meas)[0][0]
    return prep, snap.arrays, snap.z


def _reference_gauss_newton(prep, arrays, z, tol: float = 1e-11) -> np.ndarray:
    """Gauss-Newton on the SuperLU path (full steps, refactorised every iteration)."""
    model, zero = prep.model, prep.zero
    x = prep.x0.copy()
    lam = np.zeros(2 * len(zero))
    w = 1.0 / arrays.sigma**2
    n = model.n_state
    for _ in range(40):
        v = model.voltages(x)[0]
        mat, h, c, scale = kkt(model, arrays, zero, v)
        r = residual(arrays, z, evaluate(model, arrays, v[None, :])[0])
        rhs = np.concatenate(
            [h.T @ (w * r) - c.T @ (lam * scale), -constraints(model, zero, v[None, :])[0] * scale]
        )
        step = factor(mat).solve(rhs)
        x += step[:n]
        lam += step[n:]
        if np.abs(step[:n]).max() < tol:
            return model.voltages(x)[0]
    raise AssertionError("reference Gauss-Newton did not converge")


CASES = ["abur3", "case33bw", "ieee13"]


@pytest.mark.parametrize("name", CASES)
def test_kkt_step_equals_superlu_step(name: str) -> None:
    """One Gauss-Newton step (the augmented system with its right-hand side) equals the
    step of the unaugmented KKT system solved by SuperLU, at a state off the optimum."""
    prep, arrays, z = _case(name)
    model, zero = prep.model, prep.zero
    rng = np.random.default_rng(3)
    x = prep.x0 + rng.normal(0.0, 1e-3, model.n_state)
    v = model.voltages(x)[0]
    lam = rng.normal(0.0, 1.0, 2 * len(zero))
    w = 1.0 / arrays.sigma**2
    mat, h, c, scale = kkt(model, arrays, zero, v)
    r = residual(arrays, z, evaluate(model, arrays, v[None, :])[0])
    cs = constraints(model, zero, v[None, :])[0] * scale
    want = factor(mat).solve(np.concatenate([h.T @ (w * r) - c.T @ (lam * scale), -cs]))
    pattern = JacobianPattern(model, arrays, zero)
    jac, hx, cx = pattern.evaluate(v)
    np.testing.assert_allclose(hx, evaluate(model, arrays, v[None, :])[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cx * scale, cs, rtol=1e-12, atol=1e-14)
    lu = assembly_for(pattern).factor(jac, w)
    assert lu.scale == pytest.approx(scale, rel=1e-12)
    y = np.concatenate([w * r, -(lam + lu.rho * cs) * scale])
    got = lu.solve(np.concatenate([pattern.rmatvec(jac, y), -cs]), tol=1e-13)
    n = model.n_state
    assert np.abs(got[:n] - want[:n]).max() <= 1e-6 * np.abs(want[:n]).max()


@pytest.mark.parametrize("name", CASES)
def test_solve_one_reaches_the_superlu_optimum(name: str) -> None:
    prep, arrays, z = _case(name)
    want = _reference_gauss_newton(prep, arrays, z)
    got = solve_one(prep.model, arrays, z, prep.zero, prep.x0, WlsOptions(tol=1e-11))
    assert got.converged[0]
    assert np.abs(got.v[0] - want).max() < 1e-9


def test_solve_one_falls_back_to_superlu_when_ldl_breaks_down(monkeypatch) -> None:
    """An LDL^T breakdown (qdldl's error on a matrix it finds not quasi-definite) hands the
    matrix to SuperLU, and the optimum is the same."""
    prep, arrays, z = _case("case33bw")
    want = solve_one(prep.model, arrays, z, prep.zero, prep.x0).v[0]

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise ValueError("Input matrix is not quasi-definite")

    monkeypatch.setattr(kkt_mod.qdldl, "Solver", Broken)
    calls = []
    real = kkt_mod.KktFactor._superlu

    def spy(self) -> None:
        calls.append(1)
        real(self)

    monkeypatch.setattr(kkt_mod.KktFactor, "_superlu", spy)
    pattern = JacobianPattern(prep.model, arrays, prep.zero)
    got = solve_one(prep.model, arrays, z, prep.zero, prep.x0, pattern=pattern)
    assert calls and got.converged[0]
    assert np.abs(got.v[0] - want).max() < 1e-9


def test_ldl_breakdown_is_retried_with_more_regularisation(monkeypatch) -> None:
    """IEEE 13 without the constraint block's regularisation: qdldl meets a zero pivot; the
    factorisation is retried with a larger regularisation, kept for the pattern, and the
    optimum is the SuperLU path's."""
    prep, arrays, z = _case("ieee13")
    want = _reference_gauss_newton(prep, arrays, z)
    monkeypatch.setattr(kkt_mod, "DELTA", 0.0)
    pattern = JacobianPattern(prep.model, arrays, prep.zero)
    got = solve_one(
        prep.model, arrays, z, prep.zero, prep.x0, WlsOptions(tol=1e-11), pattern=pattern
    )
    assert got.converged[0]
    assert np.abs(got.v[0] - want).max() < 1e-9
    assert 0.0 < assembly_for(pattern).delta <= kkt_mod.DELTA_MAX


def test_ieee34_converges_whatever_was_estimated_before() -> None:
    """IEEE 34 three-phase (regulators, long laterals), 20 % pseudo-loads, five load levels:
    Gauss-Newton converges on every snapshot (chord steps from a factorisation taken before
    the quadratic phase stalled two of them at 30 iterations), and an estimate on a pattern
    that has served other snapshots (a raised regularisation, a reused LDL^T) is the one
    on a fresh pattern."""
    net = read_network(IEEE34)
    placement = Placement(voltages="head", flows="head", pseudo_pct=20.0)
    meas = make_measurements(net, placement, load_scale=[0.6, 0.9, 1.0, 1.2, 1.3], seed=3)
    meas, _ = apply_defaults("measurements", meas)
    prep = prepare_grid(net)
    snaps, _ = parse_measurements(prep.grid, meas)
    arrays = snaps[0].arrays
    shared = JacobianPattern(prep.model, arrays, prep.zero)
    for s in snaps:
        fresh = solve_one(
            prep.model,
            arrays,
            s.z,
            prep.zero,
            prep.x0,
            pattern=JacobianPattern(prep.model, arrays, prep.zero),
        )
        assert fresh.converged[0]
        again = solve_one(prep.model, arrays, s.z, prep.zero, prep.x0, pattern=shared)
        assert again.iterations[0] == fresh.iterations[0]
        assert np.abs(again.v - fresh.v).max() < 1e-12


@pytest.mark.parametrize("drop", ["powers", "three_injections"])
def test_unobservable_measurement_set_raises_singular_gain(drop: str) -> None:
    """Voltage magnitudes only (angles undetermined: an empty row), or the first three
    P/Q injection pairs removed (a rank-deficient gain with no empty row): the SuperLU path
    and the LDL^T path both refuse with SingularGainError."""
    prep, arrays, z = _case("case33bw")
    if drop == "powers":
        keep = arrays.kind == 0  # v_mag
    else:
        keep = np.ones(len(arrays), dtype=bool)
        for code in (2, 3):  # p_inj, q_inj
            keep[np.flatnonzero(arrays.kind == code)[:3]] = False
    sub = arrays.subset(keep)
    v = prep.model.voltages(prep.x0)[0]
    with pytest.raises(SingularGainError):
        factor(kkt(prep.model, sub, prep.zero, v)[0])
    pattern = JacobianPattern(prep.model, sub, prep.zero)
    jac, _, _ = pattern.evaluate(v)
    with pytest.raises(SingularGainError):
        assembly_for(pattern).factor(jac, 1.0 / sub.sigma**2)
    with pytest.raises(SingularGainError):
        solve_one(prep.model, sub, z[keep], prep.zero, prep.x0)
