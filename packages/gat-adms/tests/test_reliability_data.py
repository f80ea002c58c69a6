"""Reliability inputs: the shipped tables are valid, and every broken rule is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_adms import element_rates, simulate_flisr, validate_reliability
from gat_dist.table_files import read_table_file
from gat_schemas import InputError, Network, ValidationError, read_network

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "test_data" / "adms"


def _inputs(prefix: str = "feeder4", devices: str = "feeder4_tie", folder: str = "feeder4_tie"):  # type: ignore[no-untyped-def]
    net = read_network(DATA / folder)
    rel = read_table_file(DATA / f"{prefix}_reliability.csv", "reliability", validate=False)
    dev = read_table_file(
        DATA / f"{devices}_switching_devices.csv", "switching_devices", validate=False
    )
    return net, rel, dev


def _found(violations) -> dict[tuple[str, str, str], tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """Row ids per (table, column, check), over every violation of that kind."""
    out: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for v in violations:
        key = (v.table, v.column, v.check)
        out[key] = out.get(key, ()) + tuple(v.row_ids)
    return out


@pytest.mark.parametrize(
    ("folder", "prefix", "devices", "scenarios"),
    [
        ("feeder4", "feeder4", "feeder4", None),
        ("feeder4_tie", "feeder4", "feeder4_tie", None),
        ("case33bw", "case33bw", "case33bw", "case33bw_outage_scenarios.csv"),
    ],
)
def test_shipped_tables_are_valid(
    folder: str, prefix: str, devices: str, scenarios: str | None
) -> None:
    net, rel, dev = _inputs(prefix, devices, folder)
    scen = None if scenarios is None else read_table_file(DATA / scenarios, "outage_scenarios")
    assert validate_reliability(net, rel, dev, scen) == []


def test_per_km_rates_use_the_branch_length() -> None:
    net, rel, _ = _inputs()
    rates = element_rates(net, rel).set_index("element_id")["failure_rate_per_yr"]
    assert rates["M2"] == pytest.approx(0.3) and rates["La"] == pytest.approx(0.75)


def test_element_references_by_type() -> None:
    net, rel, dev = _inputs()
    extra = pd.DataFrame(
        {
            "element_id": ["M9", "M3x", "CB", "Q1", "1"],
            "element_type": ["branch", "node", "device", "device", "node"],
            "failure_rate_per_yr": [0.1, 0.1, 0.1, 0.1, 0.1],
            "failure_rate_per_km_yr": np.nan,
            "repair_time_h": 2.0,
        }
    )
    found = _found(validate_reliability(net, pd.concat([rel, extra], ignore_index=True), dev))
    rows = [r for (t, c, k), ids in found.items() if k == "foreign_key" for r in ids]
    assert sorted(rows) == ["M3x", "M9", "Q1"]


def test_exactly_one_rate_per_row() -> None:
    net, rel, dev = _inputs()
    rel.loc[rel["element_id"] == "M1", "failure_rate_per_yr"] = 0.2  # and the per-km rate
    rel.loc[rel["element_id"] == "M2", "failure_rate_per_km_yr"] = np.nan  # neither
    found = _found(validate_reliability(net, rel, dev))
    assert found["reliability", "failure_rate_per_km_yr", "one_rate"] == ("M1",)
    assert found["reliability", "failure_rate_per_yr", "failure_rate"] == ("M2",)


def test_per_km_rate_needs_a_branch_with_a_length() -> None:
    net, rel, dev = _inputs()
    br = net.branches.copy()
    br.loc[br["branch_id"] == "M3", "length_km"] = np.nan
    rel = pd.concat(
        [
            rel,
            pd.DataFrame(
                {
                    "element_id": ["2"],
                    "element_type": ["node"],
                    "failure_rate_per_km_yr": [0.1],
                    "repair_time_h": [1.0],
                }
            ),
        ],
        ignore_index=True,
    )
    net = Network(net.name, net.base_mva, {**net.tables, "dist_branches": br})
    msgs = {
        (v.row_ids, v.message) for v in validate_reliability(net, rel, dev) if v.check == "per_km"
    }
    assert (("2",), "a per-km failure rate applies to branches only") in msgs
    assert (("M3",), "per-km failure rate but the branch has no length_km") in msgs


def test_device_rules() -> None:
    net, rel, dev = _inputs()
    dev.loc[dev["device_id"] == "FA", "branch_id"] = "L9"  # no such branch
    dev.loc[dev["device_id"] == "DS3", "normal_state"] = "open"  # but M3 is closed
    dev.loc[dev["device_id"] == "TIE", "normal_state"] = "closed"  # a closed tie, TIE is open
    found = _found(validate_reliability(net, rel, dev))
    assert found["switching_devices", "branch_id", "foreign_key"] == ("FA",)
    assert found["switching_devices", "normal_state", "normal_state"] == ("DS3", "TIE")
    assert found["switching_devices", "normal_state", "tie_open"] == ("TIE",)


def test_schema_errors_and_scenario_references() -> None:
    net, rel, dev = _inputs()
    rel.loc[0, "repair_time_h"] = 0.0
    rel.loc[1, "failure_rate_per_km_yr"] = -1.0
    dev.loc[0, "device_type"] = "valve"
    scen = pd.DataFrame(
        {"scenario_id": ["s1"], "element_id": ["Z9"], "start_h": [0.0], "duration_h": [3.0]}
    )
    found = _found(validate_reliability(net, rel, dev, scen))
    assert found["reliability", "repair_time_h", "must be > 0"] == ("M1",)
    assert found["reliability", "failure_rate_per_km_yr", "must be >= 0"] == ("M2",)
    kinds = "must be one of breaker, recloser, fuse, sectionalizer, disconnect, tie"
    assert found["switching_devices", "device_type", kinds] == ("CB",)
    assert found["outage_scenarios", "element_id", "foreign_key"] == ("s1:Z9",)


def test_a_network_without_customers_has_no_load_points() -> None:
    net, rel, dev = _inputs()
    nodes = net.nodes.drop(columns="customers")
    bare = Network(net.name, net.base_mva, {**net.tables, "dist_nodes": nodes})
    found = _found(validate_reliability(bare, rel, dev))
    assert ("dist_nodes", "customers", "load_points") in found


def test_simulate_refuses_bad_data_with_one_clear_message() -> None:
    net, rel, dev = _inputs()
    rel.loc[rel["element_id"] == "Lb", "element_id"] = "Lz"
    with pytest.raises(ValidationError) as err:
        simulate_flisr(net, rel, dev)
    text = str(err.value)
    assert "\n" not in text and "reliability.element_id" in text and "Lz" in text


def test_a_meshed_normal_configuration_is_refused() -> None:
    net, rel, dev = _inputs()
    br = net.branches.assign(status="closed")
    dev = dev.assign(
        normal_state="closed", device_type=dev["device_type"].replace("tie", "disconnect")
    )
    meshed = Network(net.name, net.base_mva, {**net.tables, "dist_branches": br})
    with pytest.raises(InputError, match="connected through closed branches"):
        simulate_flisr(meshed, rel, dev)
    # One source, a loop: the tie closed back onto the same feeder.
    nodes = net.nodes.assign(type="load", feeder_id="F1")
    nodes.loc[nodes["node_id"] == "S", "type"] = "slack"
    loop = br.copy()
    loop.loc[loop["branch_id"] == "TIE", "from_node"] = "1"
    looped = Network(
        net.name, net.base_mva, {**net.tables, "dist_branches": loop, "dist_nodes": nodes}
    )
    with pytest.raises(InputError, match="not radial") as err:
        simulate_flisr(looped, rel, dev)
    text = str(err.value)
    assert "\n" not in text and text.startswith("dist_branches")
    assert "branches M2, M3, M4, TIE form a loop" in text
