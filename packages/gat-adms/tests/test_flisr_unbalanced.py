"""FLISR on networks with three-phase tables: phase-agnostic zones, bundles of single-phase
regulators, loads from dist_loads, and restorations checked by the three-phase power flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gat_adms import expected_indices, simulate_flisr
from gat_adms.flisr.grid import build_grid
from gat_dist import export_dataset


@pytest.fixture(scope="module")
def ieee13(tmp_path_factory):  # type: ignore[no-untyped-def]
    return export_dataset("ieee13", tmp_path_factory.mktemp("ieee13") / "ieee13")


def test_the_exported_ieee13_tables_drive_flisr(ieee13) -> None:  # type: ignore[no-untyped-def]
    res = simulate_flisr(ieee13)
    runs = res.runs.set_index("fault_element")
    assert len(runs) == len(ieee13.table("reliability"))
    # Every fault interrupts someone but a fault on the unloaded 671-680 stub.
    assert (runs.drop(index="671680")["customers_interrupted"] > 0).all()
    ix = expected_indices(res.impacts)
    assert 0 < ix.saifi and 0 < ix.saidi and ix.ens > 0


def test_parallel_single_phase_regulators_are_one_bundle(ieee13) -> None:  # type: ignore[no-untyped-def]
    grid = build_grid(ieee13, ieee13.table("switching_devices"))
    ids = list(grid.branch_ids)
    reg = [ids.index(r) for r in ("Reg1", "Reg2", "Reg3")]
    assert len(set(grid.bundle[reg].tolist())) == 1
    rep = int(grid.bundle[reg[0]])
    # One unit per phase: the positive sequence sees one of them (mean), ratings add up.
    assert grid.r[rep] == pytest.approx(ieee13.branches.set_index("branch_id").loc["Reg1", "r"])
    assert grid.rating_pu[rep] == pytest.approx(3 * 1.666 / ieee13.base_mva)
    # A fault on one unit of the bank takes the whole bank's zone with it.
    assert grid.child(reg[1]) == grid.child(reg[0])


def test_node_loads_come_from_dist_loads(ieee13) -> None:  # type: ignore[no-untyped-def]
    grid = build_grid(ieee13, ieee13.table("switching_devices"))
    loads = ieee13.table("dist_loads")
    p = loads[["p_a_mw", "p_b_mw", "p_c_mw"]].sum(axis=1).groupby(loads["node_id"]).sum()
    at = pd.Series(grid.demand_mw, index=grid.node_ids)
    np.testing.assert_allclose(at[p.index].to_numpy(), p.to_numpy())
    assert at.sum() == pytest.approx(loads[["p_a_mw", "p_b_mw", "p_c_mw"]].to_numpy().sum())
