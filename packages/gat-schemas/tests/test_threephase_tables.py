"""Three-phase tables: a valid unbalanced feeder passes, round-trips, and each rule bites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gat_schemas import Network, read_network, validate_network, write_network


def _linecodes() -> pd.DataFrame:
    rows = []
    for code, n in (("lc3", 3), ("lc2", 2), ("lc1", 1)):
        row = {"linecode_id": code, "n_phases": n}
        for kind, diag, mutual in (("r", 0.3, 0.1), ("x", 0.8, 0.4), ("b", 3.0, -0.8)):
            for ij in ("11", "12", "13", "22", "23", "33"):
                i, j = int(ij[0]), int(ij[1])
                row[f"{kind}{ij}"] = 0.0 if max(i, j) > n else (diag if i == j else mutual)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["n_phases"] = out["n_phases"].astype(np.int64)
    return out


def _tables() -> dict[str, pd.DataFrame]:
    nodes = pd.DataFrame(
        {
            "node_id": ["src", "n650", "rg60", "n632", "n645", "n611"],
            "phase": ["ABC", "ABC", "ABC", "ABC", "BC", "C"],
            "type": ["slack", "load", "load", "load", "load", "load"],
            "v_min": [0.9] * 6,
            "v_max": [1.1] * 6,
            "load_p": [0.0] * 6,
            "load_q": [0.0] * 6,
            "feeder_id": ["f"] * 6,
            "base_kv": [115.0, 4.16, 4.16, 4.16, 4.16, 4.16],
            "va_set_deg": [30.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": ["sub", "reg", "l1", "l2", "l3"],
            "from_node": ["src", "n650", "rg60", "n632", "n645"],
            "to_node": ["n650", "rg60", "n632", "n645", "n611"],
            "r": [1e-5, 1e-5, 0.01, 0.02, 0.02],
            "x": [1e-4, 1e-4, 0.02, 0.03, 0.03],
            "b": [0.0] * 5,
            "tap": [1.0] * 5,
            "status": ["closed"] * 5,
            "thermal_limit": [np.nan] * 5,
            "branch_type": ["transformer", "transformer", "line", "line", "line"],
            "length_km": [np.nan, np.nan, 0.6, 0.15, 0.1],
            "phases": [None, None, "ABC", "CB", "C"],
            "linecode_id": [None, None, "lc3", "lc2", "lc1"],
        }
    )
    transformers = pd.DataFrame(
        {
            "branch_id": ["sub", "reg"],
            "phases": ["ABC", "ABC"],
            "conn_from": ["delta", "wye_g"],
            "conn_to": ["wye_g", "wye_g"],
            "kv_from": [115.0, 4.16],
            "kv_to": [4.16, 4.16],
            "s_rated_mva": [5.0, 5.0],
            "r_pct": [0.001, 0.001],
            "x_pct": [0.008, 0.01],
        }
    )
    regulators = pd.DataFrame(
        {
            "regulator_id": ["ra", "rb", "rc"],
            "branch_id": ["reg"] * 3,
            "phase": ["A", "B", "C"],
            "tap": np.array([10, 8, 11], dtype=np.int64),
            "mode": ["auto", "fixed", "fixed"],
            "v_set_v": [122.0, np.nan, np.nan],
            "band_v": [2.0, np.nan, np.nan],
            "pt_ratio": [20.0, np.nan, np.nan],
            "ct_primary_a": [700.0, np.nan, np.nan],
            "r_comp_v": [3.0, 0.0, 0.0],
            "x_comp_v": [9.0, 0.0, 0.0],
        }
    )
    loads = pd.DataFrame(
        {
            "load_id": ["L632", "L645", "L611"],
            "node_id": ["n632", "n645", "n611"],
            "connection": ["delta", "delta", "wye"],
            "model": ["pq", "z", "i"],
            "p_a_mw": [0.3, 0.0, 0.0],
            "q_a_mvar": [0.1, 0.0, 0.0],
            "p_b_mw": [0.3, 0.23, 0.0],
            "q_b_mvar": [0.1, 0.132, 0.0],
            "p_c_mw": [0.3, 0.0, 0.17],
            "q_c_mvar": [0.1, 0.0, 0.08],
        }
    )
    caps = pd.DataFrame(
        {
            "cap_id": ["c1"],
            "node_id": ["n632"],
            "phase": ["ABC"],
            "q_mvar": [0.6],
            "status": ["closed"],
            "connection": ["delta"],
        }
    )
    return {
        "dist_nodes": nodes,
        "dist_branches": branches,
        "dist_caps": caps,
        "dist_linecodes": _linecodes(),
        "dist_transformers": transformers,
        "dist_regulators": regulators,
        "dist_loads": loads,
    }


def _net(**replace: pd.DataFrame | None) -> Network:
    tables = _tables()
    for name, df in replace.items():
        if df is None:
            tables.pop(name)
        else:
            tables[name] = df
    return Network(name="u6", base_mva=1.0, tables=tables)


def _found(net: Network) -> dict[tuple[str, str, str], tuple[str, ...]]:
    return {(v.table, v.column, v.check): v.row_ids for v in validate_network(net)}


def test_valid_unbalanced_feeder_round_trips(tmp_path):
    net = _net()
    assert validate_network(net) == []
    write_network(net, tmp_path / "u6")
    back = read_network(tmp_path / "u6")
    for name in ("dist_linecodes", "dist_transformers", "dist_regulators", "dist_loads"):
        pd.testing.assert_frame_equal(back.tables[name], net.tables[name], check_dtype=False)
    assert back.branches["phases"].tolist()[2:] == ["ABC", "CB", "C"]


def test_branch_phases_must_be_at_both_ends():
    br = _tables()["dist_branches"]
    br.loc[4, "phases"] = "B"  # n611 has phase C only
    found = _found(_net(dist_branches=br))
    assert found["dist_branches", "phases", "phases_within_nodes"] == ("l3",)


def test_branch_without_common_phase_in_a_three_phase_network():
    nodes = _tables()["dist_nodes"]
    nodes.loc[5, "phase"] = "A"
    br = _tables()["dist_branches"]
    br.loc[4, ["phases", "linecode_id"]] = None
    br.loc[4, "length_km"] = np.nan
    found = _found(_net(dist_nodes=nodes, dist_branches=br))
    assert found["dist_branches", "phases", "phases_common"] == ("l3",)


def test_linecode_rules():
    br = _tables()["dist_branches"]
    br.loc[3, "linecode_id"] = "lc3"  # two conductors, three-phase code
    br.loc[2, "length_km"] = np.nan
    found = _found(_net(dist_branches=br))
    assert found["dist_branches", "linecode_id", "linecode_phases"] == ("l2",)
    assert found["dist_branches", "length_km", "linecode_length"] == ("l1",)
    found = _found(_net(dist_linecodes=None))
    assert found["dist_branches", "linecode_id", "foreign_key"] == ("l1", "l2", "l3")
    codes = _linecodes()
    codes.loc[2, "x22"] = 0.5
    found = _found(_net(dist_linecodes=codes))
    assert found["dist_linecodes", "x22", "beyond_n_phases"] == ("lc1",)
    br = _tables()["dist_branches"]
    br.loc[2, "linecode_id"] = "nope"
    found = _found(_net(dist_branches=br))
    assert found["dist_branches", "linecode_id", "foreign_key"] == ("l1",)


def test_transformer_and_regulator_rules():
    br = _tables()["dist_branches"]
    br.loc[1, "branch_type"] = "line"
    found = _found(_net(dist_branches=br))
    assert found["dist_transformers", "branch_id", "transformer_branch"] == ("reg",)
    assert found["dist_regulators", "branch_id", "transformer_branch"] == ("ra", "rb", "rc")
    tr = _tables()["dist_transformers"]
    tr.loc[1, "phases"] = "AB"
    found = _found(_net(dist_transformers=tr))
    assert found["dist_regulators", "phase", "regulator_phase"] == ("rc",)
    tr.loc[1, ["phases", "conn_from"]] = ["A", "delta"]
    found = _found(_net(dist_transformers=tr))
    assert found["dist_transformers", "phases", "single_phase_delta"] == ("reg",)
    reg = _tables()["dist_regulators"]
    reg.loc[2, "phase"] = "B"
    reg.loc[0, "tap"] = 17
    reg.loc[0, "pt_ratio"] = np.nan
    reg.loc[0, "ct_primary_a"] = np.nan
    found = _found(_net(dist_regulators=reg))
    assert found["dist_regulators", "phase", "one_per_phase"] == ("rb", "rc")
    assert found["dist_regulators", "tap", "tap_range"] == ("ra",)
    assert found["dist_regulators", "pt_ratio", "auto_setting"] == ("ra",)
    assert found["dist_regulators", "ct_primary_a", "auto_setting"] == ("ra",)


def test_ganged_regulator_rules():
    # One ganged row for the three phases is valid; it overlaps any other row on its branch.
    reg = _tables()["dist_regulators"].iloc[[0]].copy()
    reg["phase"] = "ABC"
    reg["pt_phase"] = "B"
    assert not _found(_net(dist_regulators=reg))
    both = pd.concat([reg, _tables()["dist_regulators"].iloc[[1]]], ignore_index=True)
    found = _found(_net(dist_regulators=both))
    assert found["dist_regulators", "phase", "one_per_phase"] == ("ra", "rb")
    reg["phase"], reg["pt_phase"] = "AB", "C"
    found = _found(_net(dist_regulators=reg))
    assert found["dist_regulators", "pt_phase", "pt_phase_in_phase"] == ("ra",)


def test_load_and_capacitor_phases():
    loads = _tables()["dist_loads"]
    loads.loc[1, "p_a_mw"] = 0.1  # delta leg AB at a BC node
    loads.loc[2, "q_b_mvar"] = 0.1  # wye phase B at a C node
    found = _found(_net(dist_loads=loads))
    assert found["dist_loads", "node_id", "phases_within_node"] == ("L645", "L611")
    caps = _tables()["dist_caps"]
    caps.loc[0, "phase"] = "A"
    found = _found(_net(dist_caps=caps))
    assert found["dist_caps", "connection", "delta_phases"] == ("c1",)


def test_balanced_network_with_disjoint_node_phases_stays_valid(make_network):
    # The shared test feeder has an open branch between an AB node and a C node and no
    # three-phase data: the phase rules of the three-phase model do not apply to it.
    assert validate_network(make_network()) == []


@pytest.mark.parametrize("bad", ["", "AA", "ABCA", "abc", "AD"])
def test_phase_order_strings(bad):
    br = _tables()["dist_branches"]
    br.loc[2, "phases"] = bad
    found = _found(_net(dist_branches=br))
    assert ("dist_branches", "phases", "must be 1 to 3 distinct letters of ABC") in found
