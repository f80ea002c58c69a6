"""Mapping a parsed case onto GAT tables: types, generators, root, prefix, feeder ids."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gat_dist import import_matpower, matpower_to_network, parse_matpower
from gat_schemas import validate_network
from gat_schemas.errors import InputError

MATPOWER = Path(__file__).resolve().parents[3] / "test_data" / "matpower"


def test_small_case_mapping(write_case) -> None:
    net = import_matpower(write_case())
    nodes = net.nodes.set_index("node_id")
    assert list(nodes["type"]) == ["slack", "source", "load"]
    assert nodes.loc["1", "v_set"] == 1.02
    assert nodes.loc["2", "v_set"] == 1.01  # the generator's Vg, not the bus Vm (1.0)
    assert nodes.loc["2", "gen_p"] == 1.0
    assert math.isnan(nodes.loc["2", "q_max"]) and math.isnan(nodes.loc["2", "q_min"])  # Inf
    assert nodes.loc["1", "q_max"] == 10.0
    assert nodes.loc["3", "bs_mvar"] == 0.1
    assert (nodes["feeder_id"] == "small").all()
    assert (nodes["phase"] == "ABC").all()
    br = net.branches.set_index("branch_id")
    assert list(br["status"]) == ["closed", "closed", "open"]
    assert br.loc["1", "thermal_limit"] == 5.0
    assert math.isnan(br.loc["2", "thermal_limit"])
    assert (br["tap"] == 1.0).all() and (br["branch_type"] == "line").all()
    assert net.name == "small" and net.base_mva == 100.0
    assert net.source["file"].endswith("small.m")
    assert validate_network(net) == []


def test_prefix_feeder_and_name(write_case) -> None:
    net = import_matpower(write_case(), prefix="F1_", feeder_id="north", name="demo")
    assert list(net.nodes["node_id"]) == ["F1_1", "F1_2", "F1_3"]
    assert list(net.branches["branch_id"]) == ["F1_1", "F1_2", "F1_3"]
    assert list(net.branches["from_node"]) == ["F1_1", "F1_2", "F1_1"]
    assert (net.nodes["feeder_id"] == "north").all()
    assert net.name == "demo"
    assert validate_network(net) == []


def test_root_keeps_connected_part_and_open_ties() -> None:
    case = parse_matpower(MATPOWER / "case33bw.m")
    full = matpower_to_network(case)
    # Rooted at the slack: everything is connected through closed branches.
    rooted = matpower_to_network(case, root=1)
    assert len(rooted.nodes) == 33 and len(rooted.branches) == 37
    assert (rooted.branches["status"] == "open").sum() == 5
    assert rooted.source["import_notes"][0].startswith("root 1: kept 33 of 33 buses")
    assert full.source["import_notes"] == []


def test_root_drops_an_island(write_case, small_text) -> None:
    text = small_text.replace(
        "    3  1  2.0  1.0 0  0.1  1  1   0  11  1  1.1  0.9;",
        "    3  1  2.0  1.0 0  0.1  1  1   0  11  1  1.1  0.9;\n"
        "    4  3  0    0   0  0    1  1   0  11  1  1.1  0.9;\n"
        "    5  1  1    0   0  0    1  1   0  11  1  1.1  0.9;\n"
        "    6  4  0    0   0  0    1  1   0  11  1  1.1  0.9;",
    ).replace(
        "    1  3  0.01  0.02  0  0  0  0  0  0  0;",
        "    1  3  0.01  0.02  0  0  0  0  0  0  0;\n"
        "    4  5  0.01  0.02  0  0  0  0  0  0  1;\n"
        "    3  5  0.01  0.02  0  0  0  0  0  0  0;",
    )
    path = write_case(text)
    with pytest.raises(InputError, match=r"small.m:12: bus 6 is isolated \(type 4\)"):
        import_matpower(path)
    net = import_matpower(path, root="1", prefix="a")
    assert list(net.nodes["node_id"]) == ["a1", "a2", "a3"]
    # Branch 5 (3-5) is open with one end dropped: it goes too.
    assert list(net.branches["branch_id"]) == ["a1", "a2", "a3"]
    assert validate_network(net) == []
    island = import_matpower(path, root=5)
    assert list(island.nodes["node_id"]) == ["4", "5"]
    assert list(island.branches["branch_id"]) == ["4"]  # ids keep the file's row numbers
    assert validate_network(island) == []


def test_root_of_island_with_isolated_bus_is_an_error(write_case, small_text) -> None:
    text = small_text.replace(
        "    3  1  2.0  1.0 0  0.1  1  1   0  11  1  1.1  0.9;",
        "    3  1  2.0  1.0 0  0.1  1  1   0  11  1  1.1  0.9;\n"
        "    4  4  0    0   0  0    1  1   0  11  1  1.1  0.9;",
    )
    path = write_case(text)
    with pytest.raises(InputError, match="bus 4 is isolated"):
        import_matpower(path, root=4)
    assert len(import_matpower(path, root=1).nodes) == 3


@pytest.mark.parametrize("root", ["99", 0, "x", "1.5"])
def test_unknown_root(write_case, root) -> None:
    with pytest.raises(InputError, match=r"small.m: root bus .* is not a bus of the case"):
        import_matpower(write_case(), root=root)


def test_generator_cases(write_case, small_text) -> None:
    text = small_text.replace(
        "    2  1.0  0  Inf -Inf 1.01  100  1  50  0;",
        "    2  1.0  0  Inf -Inf 1.01  100  0  50  0;\n"  # out of service
        "    3  0.5  0.2  1  -1  1.0  100  1  50  0;\n"  # at a PQ bus
        "    1  2.0  0  5  -5  1.02  100  1  50  0;",  # second generator at the slack
    )
    net = import_matpower(write_case(text))
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["2", "type"] == "load"  # PV bus left without an in-service generator
    assert nodes.loc["2", "gen_p"] == 0.0
    assert nodes.loc["3", "type"] == "load"
    assert (nodes.loc["3", "gen_p"], nodes.loc["3", "gen_q"]) == (0.5, 0.2)
    assert nodes.loc["1", "gen_p"] == 2.0
    assert (nodes.loc["1", "q_min"], nodes.loc["1", "q_max"]) == (-15.0, 15.0)
    notes = " | ".join(net.source["import_notes"])
    assert "gen row 2 at bus 2 is out of service" in notes
    assert "bus 2 is PV (type 2) without an in-service generator" in notes
    assert "bus 3 is PQ (type 1) with in-service generators" in notes
    assert validate_network(net) == []


def test_generators_disagreeing_on_vg(write_case, small_text) -> None:
    text = small_text.replace(
        "    2  1.0  0  Inf -Inf 1.01  100  1  50  0;",
        "    2  1.0  0  Inf -Inf 1.01  100  1  50  0;\n    2  1.0  0  1 -1 1.03  100  1  50  0;",
    )
    with pytest.raises(InputError, match="generators at bus 2 disagree"):
        import_matpower(write_case(text))


def test_transformer_and_switch(write_case, small_text) -> None:
    text = small_text.replace(
        "    1  2  0.01  0.02  0  5  0  0  0  0  1;",
        "    1  2  0.01  0.02  0  5  0  0  0.98  -30  1;",
    ).replace("    2  3  0.01  0.02  0  0", "    2  3  0  0  0  0")
    net = import_matpower(write_case(text))
    br = net.branches.set_index("branch_id")
    assert br.loc["1", "branch_type"] == "transformer"
    assert (br.loc["1", "tap"], br.loc["1", "shift_deg"]) == (0.98, -30.0)
    assert br.loc["2", "branch_type"] == "switch"
    assert validate_network(net) == []


def test_zero_base_kv_is_an_error(write_case, small_text) -> None:
    line = "    2  2  1.5  0.5 0  0  1  1     0  11  1  1.1  0.9;"
    assert line in small_text
    text = small_text.replace(line, line.replace(" 11 ", " 0 "))
    with pytest.raises(InputError, match=r"small\.m:8: bus 2 has baseKV 0"):
        import_matpower(write_case(text))


def test_inputs_are_not_mutated() -> None:
    case = parse_matpower(MATPOWER / "case33bw.m")
    before = case.bus.copy()
    net = matpower_to_network(case, prefix="p")
    net.nodes.loc[0, "load_p"] = 99.0
    assert (case.bus == before).all()
