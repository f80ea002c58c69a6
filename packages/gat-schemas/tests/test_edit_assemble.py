"""gat_schemas.edit (column edits, added rows, in-place writes) and gat_schemas.assemble."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gat_schemas import InputError, ValidationError, read_network, sha256_file, write_network
from gat_schemas.assemble import assemble_network, read_table_source
from gat_schemas.edit import add_rows, edit_column, parse_value, write_network_in_place


def test_edit_column_scales_only_selected_rows(make_network):
    net = make_network()
    edit = edit_column(net, "dist_nodes", "load_p", scale=2.0, where={"node_id": ["n2", "n3"]})
    assert edit.rows == 2 and edit.before_sum == pytest.approx(0.3)
    assert edit.after_sum == pytest.approx(0.6)
    expected = net.nodes["load_p"].where(~net.nodes["node_id"].isin(["n2", "n3"]), lambda s: 2 * s)
    pd.testing.assert_series_equal(edit.network.nodes["load_p"], expected)
    pd.testing.assert_frame_equal(
        edit.network.nodes.drop(columns="load_p"), net.nodes.drop(columns="load_p")
    )
    assert edit.network.branches is net.branches  # other tables untouched
    assert net.nodes["load_p"].sum() == pytest.approx(0.65)  # input not mutated


def test_edit_column_values_and_refusals(make_network):
    net = make_network()
    set_str = edit_column(net, "dist_branches", "status", value="open", where={"branch_id": ["b4"]})
    assert list(set_str.network.branches["status"]) == ["closed"] * 3 + ["open", "open"]
    ints = edit_column(net, "dist_nodes", "customers", value="7", where={"node_id": ["n2"]})
    assert ints.network.nodes["customers"].dtype == np.int64
    assert ints.network.nodes["customers"].tolist() == [0, 7, 20, 5, 30]
    with pytest.raises(InputError, match="whole numbers"):
        edit_column(net, "dist_nodes", "customers", scale=1.5)
    with pytest.raises(InputError, match="no row has n9"):
        edit_column(net, "dist_nodes", "load_p", scale=2.0, where={"node_id": ["n9"]})
    with pytest.raises(InputError, match="has no table dist_regulators"):
        edit_column(net, "dist_regulators", "tap", scale=2.0)
    with pytest.raises(InputError, match="schema does not know it"):
        edit_column(net, "dist_nodes", "colour", value="red")
    with pytest.raises(InputError, match="exactly one"):
        edit_column(net, "dist_nodes", "load_p")
    assert parse_value("", "float64", "x") is None and parse_value("TRUE", "bool", "x") is True
    with pytest.raises(InputError, match="not true or false"):
        parse_value("maybe", "bool", "t.c")


def test_add_rows_types_values_like_the_table(make_network):
    net = make_network()
    out = add_rows(
        net,
        "dist_caps",
        [{"cap_id": "c2", "node_id": "n2", "phase": "ABC", "q_mvar": "0.2", "status": "open"}],
    )
    caps = out.tables["dist_caps"]
    assert caps["cap_id"].tolist() == ["c1", "c2"] and caps["q_mvar"].dtype == np.float64
    assert caps.iloc[1]["q_mvar"] == 0.2
    pd.testing.assert_frame_equal(caps.iloc[:1], net.tables["dist_caps"])
    with pytest.raises(InputError, match="no column colour"):
        add_rows(net, "dist_caps", [{"cap_id": "c3", "colour": "red"}])
    with pytest.raises(InputError, match="not a number"):
        add_rows(net, "dist_caps", [{"cap_id": "c3", "q_mvar": "lots"}])


def test_write_in_place_keeps_other_files_and_refuses_invalid(tmp_path, make_network):
    folder = tmp_path / "net"
    write_network(make_network(only=("dist_nodes", "dist_branches", "dist_caps")), folder)
    (folder / "run.json").write_text("{}")
    (folder / "sub").mkdir()
    (folder / "sub" / "a.txt").write_text("a")
    net = read_network(folder)
    edited = edit_column(net, "dist_nodes", "load_p", scale=3.0).network.with_table(
        "dist_caps", None
    )
    branches = sha256_file(folder / "dist_branches.parquet")
    write_network_in_place(edited, folder)
    back = read_network(folder)
    assert back.nodes["load_p"].sum() == pytest.approx(3 * net.nodes["load_p"].sum())
    assert "dist_caps" not in back.tables and not (folder / "dist_caps.parquet").exists()
    assert (folder / "run.json").read_text() == "{}" and (folder / "sub" / "a.txt").is_file()
    assert sha256_file(folder / "dist_branches.parquet") == branches
    assert [p.name for p in tmp_path.iterdir()] == ["net"]  # no temporary folder left
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    bad = back.with_table("dist_nodes", back.nodes.assign(v_min=-1.0))
    with pytest.raises(ValidationError, match="v_min"):
        write_network_in_place(bad, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["net"]


def test_assemble_from_csv_and_parquet(tmp_path, make_tables):
    tables = make_tables()
    tables["dist_nodes"].to_csv(tmp_path / "nodes.csv", index=False)
    tables["dist_branches"].to_parquet(tmp_path / "branches.parquet", index=False)
    tables["der_assets"].to_csv(tmp_path / "der.csv", index=False)
    files = {
        "dist_nodes": tmp_path / "nodes.csv",
        "dist_branches": tmp_path / "branches.parquet",
        "der_assets": tmp_path / "der.csv",
    }
    net = assemble_network(files, name="t5", base_mva=10.0)
    for name in ("dist_nodes", "dist_branches"):
        pd.testing.assert_frame_equal(net.tables[name], tables[name])
    assert net.tables["der_assets"]["asset_id"].tolist() == ["pv1", "bat1"]
    assert net.source["files"]["dist_nodes"]["sha256"] == sha256_file(tmp_path / "nodes.csv")
    bad = tables["dist_nodes"].assign(v_min=-1.0)
    bad.to_csv(tmp_path / "nodes.csv", index=False)
    with pytest.raises(ValidationError, match=r"nodes\.csv") as info:
        assemble_network(files, name="t5", base_mva=-1.0)
    checks = {(v.table, v.column) for v in info.value.violations}
    assert {("dist_nodes", "v_min"), ("network", "base_mva")} <= checks
    with pytest.raises(InputError, match="not a network table"):
        assemble_network({"pf_nodes": tmp_path / "nodes.csv"}, name="x", base_mva=1.0)
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(InputError, match=r"x.txt: table dist_nodes must be a .csv or .parquet"):
        read_table_source(tmp_path / "x.txt", "dist_nodes")
