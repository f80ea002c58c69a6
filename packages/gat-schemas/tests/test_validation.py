"""Cross-table checks fire with the right row ids; assert_valid raises them all."""

from __future__ import annotations

import numpy as np
import pytest

from gat_schemas import Network, ValidationError, assert_valid, validate_network
from gat_schemas._checks import components


def _by_check(found):
    return {(v.table, v.column, v.check): v for v in found}


def test_valid_network_has_no_violation(make_network):
    assert validate_network(make_network()) == []
    assert_valid(make_network())


def test_branch_ends_that_do_not_exist(make_network, make_tables):
    br = make_tables()["dist_branches"]
    br.loc[[1, 3], "to_node"] = "99"
    br.loc[0, "from_node"] = "77"
    found = validate_network(make_network(dist_branches=br))
    msgs = [str(v) for v in found if v.check == "foreign_key"]
    assert (
        "dist_branches.to_node rows [b2, b4]: refers to node '99' which is not in dist_nodes"
        in msgs
    )
    assert (
        "dist_branches.from_node rows [b1]: refers to node '77' which is not in dist_nodes" in msgs
    )


def test_der_bus_cap_node_switch_and_device_references(make_network, make_tables):
    t = make_tables()
    t["der_assets"].loc[1, "bus_id"] = "nX"
    t["dist_caps"].loc[0, "node_id"] = "nY"
    t["dist_switches"].loc[0, "branch_id"] = "bX"
    t["switching_devices"].loc[1, "branch_id"] = "bY"
    net = make_network(
        der_assets=t["der_assets"],
        dist_caps=t["dist_caps"],
        dist_switches=t["dist_switches"],
        switching_devices=t["switching_devices"],
    )
    found = _by_check(validate_network(net))
    assert found["der_assets", "bus_id", "foreign_key"].row_ids == ("bat1",)
    assert found["dist_caps", "node_id", "foreign_key"].row_ids == ("c1",)
    assert found["dist_switches", "branch_id", "foreign_key"].row_ids == ("s1",)
    assert found["switching_devices", "branch_id", "foreign_key"].row_ids == ("d2",)
    assert "refers to branch 'bY' which is not in dist_branches" in str(
        found["switching_devices", "branch_id", "foreign_key"]
    )


def test_reliability_and_outage_references(make_network, make_tables):
    t = make_tables()
    t["reliability"].loc[2, "element_id"] = "n99"
    t["outage_scenarios"].loc[2, "element_id"] = "b5"
    t["reliability"].loc[1, "element_id"] = "b5"  # per-km rate on a branch without length
    net = make_network(reliability=t["reliability"], outage_scenarios=t["outage_scenarios"])
    found = _by_check(validate_network(net))
    assert found["reliability", "element_id", "foreign_key"].row_ids == ("n99",)
    assert found["reliability", "failure_rate_per_km_yr", "per_km"].row_ids == ("b5",)
    outage = found["outage_scenarios", "element_id", "foreign_key"]
    assert outage.row_ids == ("s1:b2",)  # s2 now names b5, which reliability lists


def test_duplicate_ids_in_network(make_network, make_tables):
    nodes = make_tables()["dist_nodes"]
    nodes.loc[4, "node_id"] = "n2"
    found = [v for v in validate_network(make_network(dist_nodes=nodes)) if v.check == "unique"]
    assert [(v.table, v.row_ids) for v in found] == [("dist_nodes", ("n2",))]


def test_exactly_one_slack_per_feeder(make_network, make_tables):
    nodes = make_tables()["dist_nodes"]
    nodes.loc[2, "type"] = "slack"
    nodes.loc[2, "v_min"] = 1.0
    found = [v for v in validate_network(make_network(dist_nodes=nodes)) if v.check == "one_slack"]
    assert len(found) == 1
    assert found[0].row_ids == ("n1", "n3")
    assert "feeder 'f1' has 2 slack nodes" in found[0].message

    nodes = make_tables()["dist_nodes"]
    nodes.loc[0, "type"] = "load"
    nodes.loc[0, "v_max"] = 1.05
    found = [v for v in validate_network(make_network(dist_nodes=nodes)) if v.check == "one_slack"]
    assert [v.message for v in found] == ["feeder 'f1' has no slack node"]


def test_island_without_source(make_network, make_tables):
    br = make_tables()["dist_branches"]
    br.loc[3, "status"] = "open"  # n5 is now fed only by the open tie b5
    found = [v for v in validate_network(make_network(dist_branches=br)) if v.check == "island"]
    assert [v.row_ids for v in found] == [("n5",)]
    nodes = make_tables()["dist_nodes"]
    nodes.loc[4, "type"] = "source"
    found = validate_network(make_network(dist_branches=br, dist_nodes=nodes))
    assert [v for v in found if v.check == "island"] == []


def test_impedance_thermal_limit_and_voltage_rules(make_network, make_tables):
    br = make_tables()["dist_branches"]
    br.loc[1, ["r", "x"]] = 0.0  # a line with zero impedance
    br.loc[2, "thermal_limit"] = -5.0
    br.loc[0, "thermal_limit"] = np.nan  # unrated: fine
    nodes = make_tables()["dist_nodes"]
    nodes.loc[3, ["v_min", "v_max"]] = [1.1, 1.0]
    nodes.loc[2, "base_kv"] = 0.0
    found = _by_check(validate_network(make_network(dist_branches=br, dist_nodes=nodes)))
    assert found["dist_branches", "x", "impedance"].row_ids == ("b2",)
    assert found["dist_branches", "thermal_limit", "must be > 0"].row_ids == ("b3",)
    assert found["dist_nodes", "v_min", "v_min<v_max"].row_ids == ("n4",)
    assert found["dist_nodes", "base_kv", "must be > 0"].row_ids == ("n3",)


def test_network_level_fields_and_missing_tables(make_tables):
    t = make_tables()
    net = Network("bad", 0.0, {"dist_nodes": t["dist_nodes"]}, frequency_hz=-1.0)
    found = [str(v) for v in validate_network(net)]
    assert "network.base_mva: must be > 0, found 0.0" in found
    assert "network.frequency_hz: must be > 0, found -1.0" in found
    assert "dist_branches: required table is missing" in found


def test_assert_valid_raises_with_every_violation(make_network, make_tables):
    br = make_tables()["dist_branches"]
    br.loc[0, "to_node"] = "99"
    br.loc[1, "r"] = -1.0
    with pytest.raises(ValidationError) as info:
        assert_valid(make_network(dist_branches=br), source="net/")
    err = info.value
    assert len(err.violations) >= 2
    assert str(err).startswith("net/: dist_branches.r rows [b2]: must be >= 0")
    assert "\n" not in str(err)
    with pytest.raises(ValueError):
        assert_valid(br)


def test_components_union_find():
    comp = components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert comp[0] == comp[1] == comp[2]
    assert comp[4] == comp[5]
    assert len({comp[0], comp[3], comp[4]}) == 3
    n = 20000  # a long chain: path halving keeps this fast
    chain = components(n, np.arange(n - 1)[::-1].copy(), np.arange(1, n)[::-1].copy())
    assert (chain == chain[0]).all()
