"""State estimation on networks with near-zero-impedance branches (:mod:`gat_adms.se._stiff`).

A stiff source's Thevenin branch or a milliohm jumper has an admittance many orders above
the rest of the network; with a flow sensor on it the gain matrix was numerically singular
(split-phase test feeder: "numerically unobservable" with the default placement) or
Gauss-Newton needed 30+ iterations. The estimator now joins the ends of such branches.
Expected values are independent of the estimator: the power flow's true state (the
measurements are generated from it), the chi-square threshold, Gauss-Newton against the
batch's rectangular chord, and the power flow's own branch flows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_adms.se import Placement, estimate_state, make_measurements, prepare_grid
from gat_adms.se._batch import solve_batch
from gat_adms.se._model import MeasArrays, evaluate
from gat_adms.se._stiff import STIFF_RATIO, merge_stiff
from gat_adms.se._tables import parse_measurements
from gat_adms.se._wls import solve_one
from gat_pf import physics_model
from gat_pf.admittance import network_admittance
from gat_schemas import Network, read_network
from gat_schemas.conform import apply_defaults
from gat_schemas.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
SPLIT = ROOT / "test_data" / "opendss" / "split_phase" / "split_phase.dss"
IEEE8500 = ROOT / "test_data" / "opendss" / "ieee8500" / "Master.dss"
CASE33 = ROOT / "test_data" / "networks" / "case33bw"


def _split_phase() -> Network:
    from gat_dist.importers import import_opendss

    return import_opendss(SPLIT)


def _noise_free(meas: pd.DataFrame) -> pd.DataFrame:
    out = meas.copy()
    out["value"] = out["true_value"]
    return out


def _within_sigma(net: Network, est, k: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    """Every terminal's estimate within k standard deviations of the power flow's state
    (plus 1e-6 pu: the neglected drop across the joined branches)."""
    true = physics_model(net).solve().v[0]
    n = est.nodes
    assert (np.abs(n["vm_pu"] - np.abs(true)) <= k * n["vm_std_pu"] + 1e-6).all()
    va_err = np.degrees(np.angle(np.exp(1j * (np.radians(n["va_deg"]) - np.angle(true)))))
    assert (np.abs(va_err) <= k * n["va_std_deg"] + 1e-4).all()


def _batch_equals_gauss_newton(net: Network, meas: pd.DataFrame) -> None:
    table, _ = apply_defaults("measurements", meas)
    prep = prepare_grid(net)
    (snap,), _ = parse_measurements(prep.grid, table)
    one = solve_one(prep.model, snap.arrays, snap.z, prep.zero, prep.x0)
    batch = solve_batch(prep.model, snap.arrays, snap.z[None], prep.zero, prep.x0)
    assert one.converged[0] and batch.converged[0]
    np.testing.assert_allclose(batch.v[0], one.v[0], rtol=0, atol=1e-7)


@pytest.mark.parametrize("noisy", [True, False])
def test_split_phase_default_placement_estimates(noisy: bool) -> None:
    """The lead's case: slack voltages, a flow sensor on the source's Thevenin branch
    (Z1 = 3.8e-8 ohm, 2e7 times the median admittance), 20 % pseudo-loads. Before: the gain
    was numerically singular (UnobservableError)."""
    net = _split_phase()
    meas = make_measurements(net, Placement(), seed=0)
    if not noisy:
        meas = _noise_free(meas)
    est = estimate_state(net, meas)
    s = est.summary.iloc[0]
    assert s["converged"] and s["iterations"] <= 8
    assert s["chi2_passed"] and s["n_removed"] == 0
    if not noisy:
        assert s["objective_j"] < 1e-6
    _within_sigma(net, est)
    _batch_equals_gauss_newton(net, meas)
    # The source branch's estimated flow is the head sensor's quantity (within its sigma).
    br = est.branches.set_index(["branch_id", "phase"])
    got = br.loc[("Vsource.source", "A"), "p_from_mw"]
    sensor = meas.set_index("measurement_id").loc["p_flow:Vsource.source.A"]
    assert abs(got - sensor["true_value"]) <= 3 * sensor["sigma"]


def test_split_phase_all_flows_converge_in_few_iterations() -> None:
    """With a flow sensor on every conductor Gauss-Newton took 34 iterations."""
    net = _split_phase()
    meas = make_measurements(net, Placement(flows="all"), seed=3)
    est = estimate_state(net, meas)
    s = est.summary.iloc[0]
    assert s["converged"] and s["iterations"] <= 8 and s["chi2_passed"]
    _within_sigma(net, est)


def _case33_with_jumpers() -> Network:
    """case33bw with two 1e-9-ohm-like jumpers: one behind the slack (1 -> 1j, branch 1
    then 1j -> 2) and one mid-feeder (6 -> 6j, branch 6 then 6j -> 7), both with an unloaded
    far end; and branch 20 made stiff between two loaded nodes."""
    net = read_network(CASE33)
    br = net.table("dist_branches").copy()
    nodes = net.table("dist_nodes").copy()
    new_br, new_nodes = [], []
    for bid, node in (("1", "1j"), ("6", "6j")):
        row = br.loc[br["branch_id"] == bid].iloc[0]
        jumper = row.copy()
        jumper["branch_id"], jumper["to_node"] = f"J{bid}", node
        jumper["r"], jumper["x"], jumper["b"] = 1e-9, 2e-9, 0.0
        new_br.append(jumper)
        br.loc[br["branch_id"] == bid, "from_node"] = node
        n = nodes.loc[nodes["node_id"] == row["to_node"]].iloc[0].copy()
        n["node_id"], n["load_p"], n["load_q"] = node, 0.0, 0.0
        new_nodes.append(n)
    br.loc[br["branch_id"] == "20", ["r", "x"]] = [1e-9, 2e-9]
    br = pd.concat([br, pd.DataFrame(new_br)], ignore_index=True)
    nodes = pd.concat([nodes, pd.DataFrame(new_nodes)], ignore_index=True)
    return Network(
        name="case33_jumpers",
        base_mva=net.base_mva,
        tables={"dist_branches": br, "dist_nodes": nodes},
        source={"file": "case33bw with jumpers"},
    )


def test_balanced_jumpers_are_joined_and_their_flows_are_estimated() -> None:
    net = _case33_with_jumpers()
    prep = prepare_grid(net)
    assert prep.merged_branches == ("20", "J1", "J6")
    placement = Placement(
        voltages="1,12,18,25,33", flows="J1,J6,10,25", injections="14,28", pseudo_pct=30.0
    )
    meas = make_measurements(net, placement, seed=7)
    est = estimate_state(net, meas)
    s = est.summary.iloc[0]
    assert s["converged"] and s["iterations"] <= 8 and s["chi2_passed"]
    _within_sigma(net, est)
    _batch_equals_gauss_newton(net, meas)
    # The jumpers' estimated flows against the power flow's (within 3 sigma of the sensor).
    got = est.branches.set_index("branch_id")
    sensors = meas.set_index("measurement_id")
    for bid in ("J1", "J6"):
        sig = sensors.loc[f"p_flow:{bid}", "sigma"]
        assert abs(got.loc[bid, "p_from_mw"] - sensors.loc[f"p_flow:{bid}", "true_value"]) <= (
            3 * sig
        )
    # Branch 20 joins two loaded nodes: its current is not a function of the voltages.
    assert np.isnan(got.loc["20", "p_from_mw"])
    assert prepare_grid(net).undetermined == ("20",)
    # A flow sensor on it keeps it a branch (estimate_state) or is refused (a grid
    # prepared with it joined).
    on20 = make_measurements(net, Placement(flows="1,20", pseudo_pct=30.0), seed=7)
    with pytest.raises(InputError, match="near-zero-impedance"):
        estimate_state(net, on20, prepared=prepare_grid(net))
    assert prepare_grid(net, keep=("20",)).merged_branches == ("J1", "J6")


def test_joined_branch_flows_equal_the_power_flow() -> None:
    """The merged model's flow functions on the jumpers, at the power flow's voltages, give
    the power flow's flows (the jumpers' drop is neglected: ~1e-9 pu)."""
    net = _case33_with_jumpers()
    phys = physics_model(net)
    sol = phys.solve()
    adm = network_admittance(phys)
    v_full = np.ones(adm.n_elec, dtype=complex)
    v_full[adm.term_elec] = sol.v[0]
    merge = merge_stiff(adm, phys.cond_branch, adm.elec_fixed)
    m_adm = merge.adm
    assert m_adm.n_elec == adm.n_elec - 3
    v = np.ones(m_adm.n_elec, dtype=complex)
    v[m_adm.term_elec] = sol.v[0]
    from gat_adms.se._model import SeModel

    full, merged = SeModel.from_admittance(adm), SeModel.from_admittance(m_adm)
    conds = np.flatnonzero(np.isin(phys.cond_branch.astype(str), ["J1", "J6", "2", "7"]))
    for to_side in (False, True):
        arrays = MeasArrays(
            np.full(len(conds), 4),
            np.full(len(conds), -1),
            conds,
            np.full(len(conds), to_side),
            np.ones(len(conds)),
        )
        want = evaluate(full, arrays, v_full[None])[0]
        got = evaluate(merged, arrays, v[None])[0]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-7)


def test_networks_without_stiff_branches_are_unchanged() -> None:
    net = read_network(CASE33)
    phys = physics_model(net)
    adm = network_admittance(phys)
    merge = merge_stiff(adm, phys.cond_branch, adm.elec_fixed)
    assert merge.adm is adm and merge.branches == ()
    assert STIFF_RATIO == 1e4


@pytest.mark.slow
def test_ieee8500_default_placement_estimates() -> None:
    """IEEE 8500 (imported): slack voltages, the head flow on the source's Thevenin branch
    (1.3e7 pu, joined), 20 % pseudo-loads, load factor 0.8. Before, Gauss-Newton stalled
    at 30 iterations and the batch ended 0.004 pu away from it."""
    from gat_dist.importers import import_opendss

    net = import_opendss(IEEE8500)
    assert prepare_grid(net).merged_branches == ("Vsource.source",)
    meas = make_measurements(net, Placement(), load_scale=0.8, seed=0)
    table, _ = apply_defaults("measurements", meas)
    prep = prepare_grid(net)
    (snap,), _ = parse_measurements(prep.grid, table)
    one = solve_one(prep.model, snap.arrays, snap.z, prep.zero, prep.x0)
    assert one.converged[0] and one.iterations[0] <= 10
    batch = solve_batch(prep.model, snap.arrays, snap.z[None], prep.zero, prep.x0)
    assert batch.converged[0]
    np.testing.assert_allclose(batch.v[0], one.v[0], rtol=0, atol=1e-7)
