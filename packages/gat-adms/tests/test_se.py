"""State estimation (``gat_adms.se``): textbook example, noisy feeders, bad data, kernels.

Expected values come from outside the code under test: the published 3-bus example, the
power flow's true state (measurements are generated from it with known noise), and
finite differences for the Jacobian.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_adms.se import Placement, SeOptions, UnobservableError, estimate_state, make_measurements
from gat_adms.se._model import MeasArrays, SeModel, constraints, evaluate, gradient, jacobian
from gat_adms.se._pattern import JacobianPattern
from gat_pf import physics_model
from gat_pf.admittance import network_admittance
from gat_schemas import Network, read_network

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
SE_DATA = ROOT / "test_data" / "se"
CASE33 = ROOT / "test_data" / "networks" / "case33bw"
IEEE13 = ROOT / "packages" / "gat-pf" / "tests" / "data" / "threephase" / "ieee13" / "network"


def _abur3() -> Network:
    d = SE_DATA / "abur3"
    nodes = pd.read_csv(d / "dist_nodes.csv", dtype={"node_id": str, "feeder_id": str})
    branches = pd.read_csv(
        d / "dist_branches.csv", dtype={"branch_id": str, "from_node": str, "to_node": str}
    )
    return Network(
        name="abur3",
        base_mva=1.0,
        tables={"dist_nodes": nodes, "dist_branches": branches},
        source={"file": "abur3"},
    )


def _read_meas(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"measurement_id": str, "element_id": str})


def test_abur_exposito_three_bus_example() -> None:
    est = estimate_state(_abur3(), _read_meas(SE_DATA / "abur3" / "measurements.csv"))
    want = pd.read_csv(SE_DATA / "abur3" / "expected.csv", dtype={"node_id": str})
    got = est.nodes.set_index("node_id").loc[want["node_id"]]
    np.testing.assert_allclose(got["vm_pu"], want["vm_pu"], atol=1e-4)
    np.testing.assert_allclose(got["va_deg"], want["va_deg"], atol=1e-4)
    s = est.summary.iloc[0]
    assert s["converged"] and s["chi2_dof"] == 8 - 5


def _within_sigma(net: Network, est, k: float = 3.0) -> None:
    true = physics_model(net).solve().v[0]
    n = est.nodes
    assert (np.abs(n["vm_pu"] - np.abs(true)) <= k * n["vm_std_pu"] + 1e-9).all()
    va_err = np.degrees(np.angle(np.exp(1j * (np.radians(n["va_deg"]) - np.angle(true)))))
    assert (np.abs(va_err) <= k * n["va_std_deg"] + 1e-9).all()


CASE33_PLACEMENT = Placement(
    voltages="1,6,12,18,25,30,33",
    flows="1,2,5,10,18,22,25,30",
    injections="3,8,14,20,28",
    pseudo_pct=30.0,
)


def test_case33bw_noisy_measurements_within_three_sigma() -> None:
    net = read_network(CASE33)
    meas = make_measurements(net, CASE33_PLACEMENT, seed=11)
    est = estimate_state(net, meas)
    assert est.summary["n_removed"].iat[0] == 0
    assert est.summary["chi2_passed"].iat[0]
    _within_sigma(net, est)


def test_ieee13_three_phase_within_three_sigma() -> None:
    net = read_network(IEEE13)
    placement = Placement(voltages="SourceBus,632,671,675", flows="head", pseudo_pct=20.0)
    meas = make_measurements(net, placement, seed=5)
    est = estimate_state(net, meas)
    s = est.summary.iloc[0]
    assert s["model"] == "three_phase" and s["converged"] and s["n_zero_injection"] > 0
    assert set(est.nodes["phase"]) == {"A", "B", "C"}
    _within_sigma(net, est)


@pytest.mark.parametrize("planted", ["p_flow:2", "v_mag:18", "q_flow:5"])
def test_planted_gross_error_is_found_and_removed(planted: str) -> None:
    net = read_network(CASE33)
    meas = make_measurements(net, CASE33_PLACEMENT, seed=11)
    row = meas["measurement_id"] == planted
    meas.loc[row, "value"] += 25.0 * meas.loc[row, "sigma"]
    est = estimate_state(net, meas)
    s = est.summary.iloc[0]
    assert s["removed_ids"] == planted
    removed = est.measurements.loc[est.measurements["removed"]]
    assert removed["normalised_residual"].iat[0] > 3.0
    assert removed["removal_round"].iat[0] == 1
    _within_sigma(net, est)


def test_chi_square_flags_bad_data_when_removal_is_off() -> None:
    net = read_network(CASE33)
    meas = make_measurements(net, CASE33_PLACEMENT, seed=11)
    row = meas["measurement_id"] == "p_flow:2"
    meas.loc[row, "value"] += 25.0 * meas.loc[row, "sigma"]
    s = estimate_state(net, meas, options=SeOptions(max_removals=0)).summary.iloc[0]
    assert not s["chi2_passed"] and s["objective_j"] > s["chi2_threshold"]
    assert s["max_normalised_residual"] > 3.0 and s["n_removed"] == 0


def test_duplicates_are_merged_by_inverse_variance() -> None:
    net = read_network(CASE33)
    meas = make_measurements(net, CASE33_PLACEMENT, seed=11)
    dup = meas.loc[meas["measurement_id"] == "v_mag:18"].copy()
    dup["measurement_id"] = "v_mag:18b"
    dup["value"] = dup["value"] + 0.002
    dup["sigma"] = dup["sigma"] * 2.0
    orig = meas.loc[meas["measurement_id"] == "v_mag:18"].iloc[0]
    est = estimate_state(net, pd.concat([meas, dup], ignore_index=True))
    row = est.measurements.loc[est.measurements["measurement_id"] == "v_mag:18+v_mag:18b"].iloc[0]
    w1, w2 = 1 / orig["sigma"] ** 2, 1 / (2 * orig["sigma"]) ** 2
    assert row["merged"] == 2
    assert row["value"] == pytest.approx(
        (w1 * orig["value"] + w2 * (orig["value"] + 0.002)) / (w1 + w2)
    )
    assert row["sigma"] == pytest.approx(1 / np.sqrt(w1 + w2))
    assert est.summary["n_duplicates_merged"].iat[0] == 1


def test_unobservable_nodes_are_named_and_pseudo_loads_fill_them() -> None:
    net = read_network(CASE33)
    meas = make_measurements(net, Placement(voltages="1", flows="1", pseudo_pct=None), seed=1)
    with pytest.raises(UnobservableError) as err:
        estimate_state(net, meas)
    assert "31 node(s) unobservable" in str(err.value) and "--pseudo-from-loads" in str(err.value)
    assert "3" in err.value.nodes and "1" not in err.value.nodes
    est = estimate_state(net, meas, options=SeOptions(pseudo_from_loads_pct=30.0))
    s = est.summary.iloc[0]
    assert s["converged"] and s["n_pseudo"] == 2 * 32  # every loaded node (2..33)
    _within_sigma(net, est, k=4.0)


def test_critical_measurements_are_marked() -> None:
    net = _abur3()
    meas = _read_meas(SE_DATA / "abur3" / "measurements.csv")
    # Five measurements for five states (two angles, three magnitudes): all critical.
    est = estimate_state(net, meas[~meas["measurement_id"].isin(["P12", "Q12", "V2"])])
    crit = set(est.measurements.loc[est.measurements["critical"], "measurement_id"])
    assert crit == {"V1", "P2", "Q2", "P13", "Q13"}
    assert est.summary["chi2_dof"].iat[0] == 0
    assert est.measurements.loc[est.measurements["critical"], "normalised_residual"].isna().all()


def test_batch_of_snapshots_equals_one_by_one() -> None:
    net = read_network(CASE33)
    meas = make_measurements(net, CASE33_PLACEMENT, load_scale=[0.6, 1.0, 1.3], seed=4)
    batch = estimate_state(net, meas)
    assert list(batch.summary["snapshot"]) == ["0", "1", "2"]
    for snap in ("1", "2"):
        one = estimate_state(net, meas[meas["snapshot"] == snap])
        np.testing.assert_allclose(batch.v[snap], one.v[snap], atol=1e-8)


def _arrays(adm, n_e: int, okc: np.ndarray) -> MeasArrays:
    kinds = [np.full(n_e, k) for k in range(4)] + [np.full(len(okc), k) for k in (4, 5, 6, 4)]
    elec = np.r_[np.tile(np.arange(n_e), 4), -np.ones(4 * len(okc), int)]
    cond = np.r_[-np.ones(4 * n_e, int), np.tile(okc, 4)]
    to_side = np.r_[np.zeros(4 * n_e + 3 * len(okc), bool), np.ones(len(okc), bool)]
    kind = np.concatenate(kinds).astype(np.int64)
    return MeasArrays(kind, elec, cond, to_side, np.full(len(kind), 0.01))


@pytest.mark.parametrize("path", [CASE33, IEEE13], ids=["case33bw", "ieee13"])
def test_jacobian_matches_finite_differences(path: Path) -> None:
    phys = physics_model(read_network(path))
    sol = phys.solve()
    adm = network_admittance(phys, None if sol.taps.shape[1] == 0 else sol.taps[0])
    model = SeModel.from_admittance(adm)
    v_true = np.zeros(model.n_elec, dtype=complex)
    v_true[adm.term_elec] = sol.v[0]
    meas = _arrays(adm, model.n_elec, np.flatnonzero(~adm.cond_ideal))
    rng = np.random.default_rng(0)
    x = model.flat_start(v_true) + rng.normal(0.0, 0.01, model.n_state)
    h = jacobian(model, meas, model.voltages(x)[0]).toarray()
    eps = 1e-7
    fd = np.empty_like(h)
    for j in range(model.n_state):
        xp, xm = x.copy(), x.copy()
        xp[j] += eps
        xm[j] -= eps
        fd[:, j] = (
            evaluate(model, meas, model.voltages(xp)) - evaluate(model, meas, model.voltages(xm))
        )[0] / (2 * eps)
    scale = np.maximum(np.abs(fd).max(axis=1, keepdims=True), 1.0)
    assert (np.abs(h - fd) / scale).max() < 1e-5
    u = rng.normal(size=len(meas))
    g = gradient(model, meas, model.voltages(x), u[None, :])[0]
    np.testing.assert_allclose(g, h.T @ u, rtol=1e-9, atol=1e-9 * np.abs(h).max())


@pytest.mark.parametrize("path", [CASE33, IEEE13], ids=["case33bw", "ieee13"])
def test_fixed_pattern_jacobian_matches_finite_differences(path: Path) -> None:
    """The values filled into the fixed sparsity pattern (measurements and zero-injection
    constraints) are the derivatives of ``evaluate`` and ``constraints``."""
    phys = physics_model(read_network(path))
    sol = phys.solve()
    adm = network_admittance(phys, None if sol.taps.shape[1] == 0 else sol.taps[0])
    model = SeModel.from_admittance(adm)
    v_true = np.zeros(model.n_elec, dtype=complex)
    v_true[adm.term_elec] = sol.v[0]
    meas = _arrays(adm, model.n_elec, np.flatnonzero(~adm.cond_ideal))
    zero = np.arange(0, model.n_elec, 3)
    rng = np.random.default_rng(1)
    x = model.flat_start(v_true) + rng.normal(0.0, 0.01, model.n_state)
    h, c = JacobianPattern(model, meas, zero).fill(model.voltages(x)[0])
    assert h.shape == (len(meas), model.n_state) and c.shape == (2 * len(zero), model.n_state)

    def f(xx: np.ndarray) -> np.ndarray:
        vv = model.voltages(xx)
        return np.concatenate([evaluate(model, meas, vv)[0], constraints(model, zero, vv)[0]])

    eps = 1e-7
    fd = np.empty((len(meas) + 2 * len(zero), model.n_state))
    for j in range(model.n_state):
        xp, xm = x.copy(), x.copy()
        xp[j] += eps
        xm[j] -= eps
        fd[:, j] = (f(xp) - f(xm)) / (2 * eps)
    got = np.vstack([h.toarray(), c.toarray()])
    scale = np.maximum(np.abs(fd).max(axis=1, keepdims=True), 1.0)
    assert (np.abs(got - fd) / scale).max() < 1e-5


def _case33_batch(n_snap: int) -> tuple:
    from gat_adms.se import prepare_grid
    from gat_adms.se._tables import parse_measurements
    from gat_schemas.conform import apply_defaults

    net = read_network(CASE33)
    scales = list(np.linspace(0.5, 1.5, n_snap))
    meas, _ = apply_defaults(
        "measurements", make_measurements(net, CASE33_PLACEMENT, load_scale=scales, seed=7)
    )
    prep = prepare_grid(net)
    snaps, _ = parse_measurements(prep.grid, meas)
    assert len({s.key() for s in snaps}) == 1
    # The sensors' sigmas follow the readings: one measurement set, sigmas per snapshot.
    sigma = np.stack([s.arrays.sigma for s in snaps])
    assert np.ptp(sigma, axis=0).max() > 0
    return prep, [s.arrays for s in snaps], np.stack([s.z for s in snaps]), sigma


@pytest.mark.parametrize("mode", ["chord", "fallback", "groups"])
def test_batch_solver_equals_gauss_newton_per_snapshot(mode: str, monkeypatch) -> None:
    """The batch (one rectangular KKT factorisation, Anderson-accelerated chord steps, each
    snapshot with its own sigmas), its per-snapshot Gauss-Newton fallback and its split into
    groups all reach each snapshot's own WLS optimum."""
    import gat_adms.se._batch as batch_mod
    import gat_adms.se._wls as wls

    prep, arrays, z, sigma = _case33_batch(8)
    if mode == "fallback":
        monkeypatch.setattr(batch_mod, "CHORD_FACTOR", 0)
    batch = batch_mod.solve_batch(
        prep.model,
        arrays[0],
        z,
        prep.zero,
        prep.x0,
        sigma=sigma,
        group_size=3 if mode == "groups" else None,
    )
    assert batch.converged.all()
    want_fallback = {"chord": 0, "groups": 0, "fallback": len(z) - batch_mod.CHORD_ROUNDS}
    assert batch.fallback.sum() == want_fallback[mode]
    for k in range(len(z)):
        one = wls.solve_one(prep.model, arrays[k], z[k], prep.zero, prep.x0)
        np.testing.assert_allclose(batch.v[k], one.v[0], atol=1e-8)
        np.testing.assert_allclose(batch.objective[k], one.objective[0], rtol=1e-9)
