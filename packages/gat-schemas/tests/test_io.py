"""Atomic writes, table files and network folders."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

import gat_schemas.io as gio
from gat_schemas import (
    InputError,
    ValidationError,
    atomic_write_bytes,
    atomic_write_json,
    read_network,
    read_table,
    sha256_file,
    write_network,
    write_table,
)


def test_table_round_trip_preserves_data_and_sha(tmp_path, make_tables):
    for name, df in make_tables().items():
        info = write_table(df, tmp_path / f"{name}.parquet", table=name)
        assert info["rows"] == len(df)
        assert info["sha256"] == sha256_file(tmp_path / f"{name}.parquet")
        back = read_table(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, df)
    again = write_table(
        make_tables()["dist_nodes"], tmp_path / "x" / "dist_nodes.parquet", table="dist_nodes"
    )
    assert again["sha256"] == sha256_file(tmp_path / "dist_nodes.parquet")  # deterministic bytes


def test_read_table_names_the_file_on_errors(tmp_path, make_tables):
    with pytest.raises(InputError, match=r"mystery.parquet: cannot tell which table"):
        write_table(make_tables()["dist_nodes"], tmp_path / "mystery.parquet", table="mystery")
    bad = make_tables()["dist_nodes"].assign(phase="Q")
    write_table(bad, tmp_path / "nodes.parquet", table="dist_nodes", validate=False)
    with pytest.raises(ValidationError, match=r"nodes.parquet: dist_nodes.phase rows \[n1"):
        read_table(tmp_path / "nodes.parquet", table="dist_nodes")
    with pytest.raises(InputError, match="cannot tell which table"):
        read_table(tmp_path / "nodes.parquet")
    with pytest.raises(InputError, match=r"missing.parquet: file not found"):
        read_table(tmp_path / "missing.parquet")


def test_write_table_refuses_invalid_table_and_writes_nothing(tmp_path, make_tables):
    bad = make_tables()["dist_branches"].assign(r=-1.0)
    with pytest.raises(ValidationError):
        write_table(bad, tmp_path / "dist_branches.parquet", table="dist_branches")
    assert list(tmp_path.iterdir()) == []


def test_corrupted_and_truncated_parquet_are_input_errors(tmp_path, make_tables):
    path = tmp_path / "dist_nodes.parquet"
    write_table(make_tables()["dist_nodes"], path, table="dist_nodes")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"dist_nodes.parquet: not a readable Parquet file"):
        read_table(path)
    path.write_bytes(b"node_id,phase\n1,A\n")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_table(path)


def test_a_string_that_is_not_utf8_is_an_input_error(tmp_path):
    """A flipped byte inside a string value leaves a Parquet file its reader accepts; the
    invalid UTF-8 must be an InputError naming the file (folder reads too), not an
    ArrowException from pandas later (found by the fuzz test under pandas 3)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gat_schemas.folder_read import _parse_parquet

    path = tmp_path / "dist_nodes.parquet"
    pq.write_table(pa.table({"node_id": ["node_abc"]}), path, compression="none")
    data = path.read_bytes()
    assert data.count(b"node_abc") >= 1  # the value, its dictionary and statistics
    bad = data.replace(b"node_abc", b"node_\x80bc")
    path.write_bytes(bad)
    with pytest.raises(
        InputError, match=r"dist_nodes.parquet: not a readable Parquet file .*Invalid UTF8"
    ):
        read_table(path)
    with pytest.raises(
        InputError, match=r"dist_nodes.parquet: not a readable Parquet file .*Invalid UTF8"
    ):
        _parse_parquet(path, bad)


def test_atomic_write_leaves_no_partial_file_when_writer_fails(tmp_path, monkeypatch, make_tables):
    target = tmp_path / "dist_nodes.parquet"
    atomic_write_bytes(target, b"old")

    def half_then_fail(df, path):
        path.write_bytes(b"PAR1 half written")
        raise RuntimeError("disk full")

    monkeypatch.setattr(gio, "_to_parquet", half_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        write_table(make_tables()["dist_nodes"], target, table="dist_nodes")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist_nodes.parquet"]


def test_atomic_write_json(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"b": 1, "a": [1.5, "x"]})
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1.5, "x"], "b": 1}


def test_network_round_trip(tmp_path, make_network):
    net = make_network()
    meta = write_network(net, tmp_path / "net")
    back = read_network(tmp_path / "net")
    assert back.name == net.name and back.base_mva == net.base_mva
    assert back.frequency_hz == net.frequency_hz and dict(back.source) == dict(net.source)
    assert set(back.tables) == set(net.tables)
    for name, df in net.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df)
        assert meta["tables"][name]["sha256"] == sha256_file(tmp_path / "net" / f"{name}.parquet")
    on_disk = json.loads((tmp_path / "net" / "network.json").read_text())
    assert on_disk == meta
    assert sorted(on_disk) == [
        "base_mva",
        "frequency_hz",
        "name",
        "schema_version",
        "source",
        "tables",
    ]


def test_table_edited_outside_gat_is_read(tmp_path, make_network, make_tables):
    # Edited tables are accepted (and reported: see test_edited_tables.py).
    write_network(make_network(), tmp_path / "net")
    edited = make_tables()["dist_nodes"].assign(load_p=1.0)
    edited.to_parquet(tmp_path / "net" / "dist_nodes.parquet", index=False)
    assert (read_network(tmp_path / "net").nodes["load_p"] == 1.0).all()


def test_row_count_mismatch_and_missing_files(tmp_path, make_network):
    folder = tmp_path / "net"
    write_network(make_network(), folder)
    meta = json.loads((folder / "network.json").read_text())
    meta["tables"]["dist_caps"]["rows"] = 7
    (folder / "network.json").write_text(json.dumps(meta))
    assert len(read_network(folder).tables["dist_caps"]) == 1  # a row count change is a change
    os.remove(folder / "dist_caps.parquet")
    with pytest.raises(InputError, match=r"dist_caps.parquet: file not found"):
        read_network(folder)
    os.remove(folder / "network.json")
    with pytest.raises(InputError, match=r"network.json: file not found"):
        read_network(folder)
    with pytest.raises(InputError, match="not a network folder"):
        read_network(tmp_path / "nowhere")


def test_network_json_shape_errors(tmp_path, make_network):
    folder = tmp_path / "net"
    write_network(make_network(), folder)
    meta = json.loads((folder / "network.json").read_text())
    for key in ("base_mva", "tables", "name"):
        broken = dict(meta)
        del broken[key]
        (folder / "network.json").write_text(json.dumps(broken))
        with pytest.raises(InputError, match=f"field '{key}' is missing"):
            read_network(folder)
    broken = dict(meta, tables={k: v for k, v in meta["tables"].items() if k != "dist_nodes"})
    (folder / "network.json").write_text(json.dumps(broken))
    with pytest.raises(InputError, match="required table 'dist_nodes'"):
        read_network(folder)
    (folder / "network.json").write_text("{not json")
    with pytest.raises(InputError, match=r"network.json: not valid JSON"):
        read_network(folder)


def test_write_network_refuses_invalid_and_existing(tmp_path, make_network, make_tables):
    br = make_tables()["dist_branches"].assign(to_node="nowhere")
    with pytest.raises(ValidationError):
        write_network(make_network(dist_branches=br), tmp_path / "bad")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        write_network(make_network(), tmp_path / "user")
    assert (tmp_path / "user" / "notes.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    write_network(make_network(), tmp_path / "empty")
    assert (tmp_path / "empty" / "network.json").is_file()


def test_overwrite_replaces_whole_folder_and_failure_keeps_old(tmp_path, make_network, monkeypatch):
    folder = tmp_path / "net"
    write_network(make_network(), folder)
    (folder / "stale.txt").write_text("old")
    write_network(make_network(), folder, overwrite=True)
    assert not (folder / "stale.txt").exists()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def fail_on_third(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail_on_third)
    with pytest.raises(InputError, match="disk full"):
        write_network(make_network(), folder, overwrite=True)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]  # no temp folder left
    monkeypatch.undo()
    read_network(folder)


def test_network_pickles_for_worker_processes():
    import pickle

    import pandas as pd

    from gat_schemas import Network

    net = Network(
        name="n",
        base_mva=10.0,
        tables={"dist_nodes": pd.DataFrame({"node_id": ["a"]})},
        source={"file": "x.m"},
    )
    back = pickle.loads(pickle.dumps(net))
    assert back.name == "n" and back.base_mva == 10.0 and back.source["file"] == "x.m"
    assert back.nodes.equals(net.nodes)
