"""The ieee123 dataset: EPRI's model through its run script, with the generated tables."""

from __future__ import annotations

import pytest

import gat_pf
from gat_dist.datasets import build_dataset
from gat_schemas import validate_network

#: Kersting's taps, as EPRI's Run_IEEE123Bus.DSS sets them (its comments name them).
KERSTING = {"creg1a": 7, "creg2a": -1, "creg3a": 0, "creg3c": -1, "creg4a": 8, "creg4b": 1}
KERSTING["creg4c"] = 5


@pytest.fixture(scope="module")
def net():
    return build_dataset("ieee123")


def test_valid_with_published_taps_coordinates_and_a_head_breaker(net) -> None:
    assert validate_network(net) == []
    reg = net.tables["dist_regulators"].set_index("regulator_id")
    assert reg["tap"].to_dict() == KERSTING and (reg["mode"] == "fixed").all()
    nodes = net.nodes.set_index("node_id")
    # BusCoords.dat line "150 100 1500"; only the dangling open-point buses have none.
    assert nodes.loc["150", ["x", "y"]].tolist() == [100.0, 1500.0]
    assert sorted(nodes.index[nodes["x"].isna()]) == ["300_OPEN", "94_OPEN"]
    dev = net.tables["switching_devices"].set_index("branch_id")
    # L115 leaves the substation (149) below the ganged regulator and switch Sw1.
    assert dev.loc["L115", "device_type"] == "breaker"
    assert "Vsource.source" not in dev.index
    assert int(nodes["customers"].sum()) > 0 and len(net.tables["der_assets"]) > 0


def test_solves_in_band_with_balanced_power(net) -> None:
    result = gat_pf.run_power_flow_3ph(net)
    s = result.summary.iloc[0]
    assert result.converged and int(s["regulator_rounds"]) == 1
    assert s["total_gen_mw"] == pytest.approx(s["total_load_mw"] + s["p_loss_mw"], abs=1e-6)
    assert 0.98 < s["vm_min_pu"] and s["vm_max_pu"] < 1.05
