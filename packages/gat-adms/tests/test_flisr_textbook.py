"""The hand-worked textbook feeder (test_data/adms/README.md): every number from the CSVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_adms import FlisrOptions, expected_indices, index_tables, simulate_flisr
from gat_dist.table_files import read_table_file
from gat_schemas import read_network, validate_table

DATA = Path(__file__).resolve().parents[3] / "test_data" / "adms"
CASES = {
    "radial": ("feeder4", "feeder4"),
    "tie": ("feeder4_tie", "feeder4_tie"),
    "auto": ("feeder4_tie", "feeder4_auto"),
}


def _run(case: str, **options: object):  # type: ignore[no-untyped-def]
    folder, devices = CASES[case]
    net = read_network(DATA / folder)
    rel = read_table_file(DATA / "feeder4_reliability.csv", "reliability")
    dev = read_table_file(DATA / f"{devices}_switching_devices.csv", "switching_devices")
    return simulate_flisr(net, rel, dev, options=FlisrOptions(**options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return {case: _run(case) for case in CASES}


@pytest.mark.parametrize("case", list(CASES))
def test_load_point_indices_match_the_hand_working(case: str, results) -> None:  # type: ignore[no-untyped-def]
    expected = pd.read_csv(DATA / "feeder4_expected_load_points.csv", dtype={"node_id": str})
    expected = expected[expected["case"] == case].set_index("node_id")
    _, points, _ = index_tables(results[case].impacts)
    got = points.set_index("node_id").loc[expected.index]
    assert (got["customers"] == expected["customers"]).all()
    for col in ("lambda_per_yr", "r_h", "u_h_per_yr", "ens_mwh_per_yr"):
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-6, err_msg=col)


@pytest.mark.parametrize("case", list(CASES))
def test_system_indices_match_the_hand_working(case: str, results) -> None:  # type: ignore[no-untyped-def]
    expected = pd.read_csv(DATA / "feeder4_expected_system.csv").set_index("case").loc[case]
    _, _, system = index_tables(results[case].impacts)
    assert validate_table("reliability_indices", system) == []
    for col in ("SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS"):
        assert system[col].iloc[0] == pytest.approx(expected[col], rel=1e-6), col


@pytest.mark.parametrize("case", list(CASES))
def test_each_fault_matches_the_hand_working(case: str, results) -> None:  # type: ignore[no-untyped-def]
    expected = pd.read_csv(DATA / "feeder4_expected_runs.csv", keep_default_na=False)
    expected = expected[expected["case"] == case].set_index("fault_element")
    runs = results[case].runs
    assert validate_table("flisr_runs", runs) == []
    runs = runs.set_index("fault_element").loc[expected.index]
    for col in (
        "customers_interrupted",
        "customers_momentary",
        "customers_restored_by_switching",
        "customers_transferred",
    ):
        assert runs[col].tolist() == expected[col].astype(int).tolist(), col
    assert runs["tripped_device"].tolist() == expected["tripped_device"].tolist()
    for got, want in zip(runs["opened_devices"], expected["opened_devices"], strict=True):
        assert sorted(filter(None, got.split(","))) == sorted(want.split()), (got, want)
    assert runs["closed_ties"].tolist() == expected["closed_ties"].tolist()
    want_t = pd.to_numeric(expected["restoration_time_h"]).to_numpy(float)
    np.testing.assert_allclose(runs["restoration_time_h"].to_numpy(float), want_t)
    np.testing.assert_allclose(runs["unserved_mwh"], pd.to_numeric(expected["unserved_mwh"]))
    assert runs["ac_check_ok"].all()


def test_rate_weighted_unserved_energy_is_ens(results) -> None:  # type: ignore[no-untyped-def]
    for res in results.values():
        ens = expected_indices(res.impacts).ens
        total = float((res.runs["failure_rate_per_yr"] * res.runs["unserved_mwh"]).sum())
        assert total == pytest.approx(ens, rel=1e-12)


def test_without_transfer_the_tie_changes_nothing() -> None:
    radial = expected_indices(_run("radial").impacts)
    idle = expected_indices(_run("tie", restore="none").impacts)
    assert idle.saidi == pytest.approx(radial.saidi) and idle.ens == pytest.approx(radial.ens)
    np.testing.assert_allclose(idle.u_h_per_yr, radial.u_h_per_yr)


def test_final_configurations_are_radial_with_one_source(results) -> None:  # type: ignore[no-untyped-def]
    res = results["tie"]
    net = read_network(DATA / "feeder4_tie")
    f = net.branches["from_node"].map({n: i for i, n in enumerate(res.node_ids)}).to_numpy()
    t = net.branches["to_node"].map({n: i for i, n in enumerate(res.node_ids)}).to_numpy()
    slack = (net.nodes["type"] == "slack").to_numpy()
    for live, closed in zip(res.energised, res.closed, strict=True):
        # A forest with one slack per tree: edges = live nodes - live slacks, and every
        # live node reaches a slack.
        assert closed.sum() == live.sum() - (live & slack).sum()
        reach = live & slack
        for _ in range(len(live)):
            reach = reach | np.bincount(
                np.concatenate([t[closed & reach[f]], f[closed & reach[t]]]),
                minlength=len(live),
            ).astype(bool)
        assert (reach == live).all()
