"""Network folders whose tables were edited outside GAT: read, validated, reported."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pandas as pd
import pytest

from gat_schemas import InputError, ValidationError, read_network, sha256_file, write_network
from gat_schemas.folder_read import folder_input_record, input_digest, read_network_folder
from gat_schemas.manifest import RunManifest


@pytest.fixture
def folder(tmp_path, make_network):
    path = tmp_path / "net"
    write_network(make_network(only=("dist_nodes", "dist_branches", "der_assets")), path)
    return path


def _statuses(read):
    return {t.name: t.status for t in read.tables}


def test_untouched_folder_reads_unchanged_with_network_json_digest(folder):
    read = read_network_folder(folder)
    assert set(_statuses(read).values()) == {"unchanged"}
    assert read.changed == ()
    assert read.digest == sha256_file(folder / "network.json") == input_digest(folder)


def test_edited_table_is_read_validated_and_reported(folder):
    before = input_digest(folder)
    nodes = pd.read_parquet(folder / "dist_nodes.parquet")
    nodes.loc[nodes["node_id"] == "n3", "load_p"] *= 1.5
    nodes.to_parquet(folder / "dist_nodes.parquet", index=False)
    read = read_network_folder(folder)
    assert _statuses(read) == {
        "dist_nodes": "changed",
        "dist_branches": "unchanged",
        "der_assets": "unchanged",
    }
    (changed,) = read.changed
    assert changed.sha256 == sha256_file(folder / "dist_nodes.parquet")
    assert changed.listed_sha256 != changed.sha256 and changed.rows == changed.listed_rows == 5
    assert read.network.nodes.set_index("node_id").loc["n3", "load_p"] == pytest.approx(0.3)
    # the digest run.json records moves with the edit, and agrees with the read
    assert read.digest == input_digest(folder) != before
    record = folder_input_record(folder)
    assert record["tables"]["dist_nodes"]["status"] == "changed"
    assert record["tables"]["dist_nodes"]["sha256"] == changed.sha256


def test_added_row_is_a_change_not_an_error(folder):
    der = pd.read_parquet(folder / "der_assets.parquet")
    extra = der.iloc[[0]].assign(asset_id="pv9", bus_id="n2")
    pd.concat([der, extra]).to_parquet(folder / "der_assets.parquet", index=False)
    read = read_network_folder(folder)
    (changed,) = read.changed
    assert (changed.name, changed.rows, changed.listed_rows) == ("der_assets", 3, 2)
    assert "pv9" in set(read.network.tables["der_assets"]["asset_id"])


@pytest.mark.parametrize(
    ("table", "edit", "match"),
    [
        ("dist_nodes", lambda df: df.assign(v_min=-0.5), r"dist_nodes.v_min"),
        (
            "dist_branches",
            lambda df: df.assign(from_node=df["from_node"].where(df.index != 1, "ghost")),
            r"dist_branches.from_node rows \[b2\]",
        ),
    ],
)
def test_bad_edit_fails_validation_with_the_usual_message(folder, table, edit, match):
    edit(pd.read_parquet(folder / f"{table}.parquet")).to_parquet(
        folder / f"{table}.parquet", index=False
    )
    with pytest.raises(ValidationError, match=match) as info:
        read_network(folder)
    assert str(folder) in str(info.value) and "\n" not in str(info.value)


def test_unlisted_known_table_is_read_and_unknown_files_ignored(folder, make_tables):
    make_tables()["dist_caps"].to_parquet(folder / "dist_caps.parquet", index=False)
    pd.DataFrame({"x": [1]}).to_parquet(folder / "notes.parquet", index=False)
    read = read_network_folder(folder)
    assert _statuses(read)["dist_caps"] == "unlisted"
    assert "dist_caps" in read.network.tables and "notes" not in read.network.tables
    assert folder_input_record(folder)["tables"]["dist_caps"]["status"] == "unlisted"
    bad = make_tables()["dist_caps"].assign(node_id="ghost")
    bad.to_parquet(folder / "dist_caps.parquet", index=False)
    with pytest.raises(ValidationError, match=r"dist_caps.node_id"):
        read_network(folder)


def test_listed_table_file_missing_is_still_an_error(folder):
    (folder / "der_assets.parquet").unlink()
    with pytest.raises(InputError, match=r"der_assets.parquet: file not found"):
        read_network(folder)
    assert folder_input_record(folder)["tables"]["der_assets"]["status"] == "missing"


def test_run_json_input_records_tables_read(folder, tmp_path):
    nodes = pd.read_parquet(folder / "dist_nodes.parquet").assign(load_p=0.2)
    nodes.to_parquet(folder / "dist_nodes.parquet", index=False)
    run = RunManifest.start(tmp_path / "out", command="t", argv=[], params={}, inputs=[folder])
    (entry,) = json.loads(run.path.read_text())["inputs"]
    assert entry["sha256"] == input_digest(folder)
    assert entry["tables"]["dist_nodes"] == {
        "sha256": sha256_file(folder / "dist_nodes.parquet"),
        "rows": 5,
        "status": "changed",
    }
    assert entry["tables"]["dist_branches"]["status"] == "unchanged"


def test_network_repr_is_short_and_with_table_returns_a_new_network(make_network):
    net = make_network()
    text = repr(net)
    assert text.startswith("Network(name=") and "dist_nodes 5 rows" in text
    assert "\n" not in text and len(text) < 400
    scaled = net.with_table("dist_nodes", net.nodes.assign(load_p=net.nodes["load_p"] * 2))
    assert scaled is not net and (scaled.nodes["load_p"] == net.nodes["load_p"] * 2).all()
    assert net.with_table("dist_caps", None).table("dist_caps") is None
    assert net.table("dist_caps") is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.name = "x"  # type: ignore[misc]
    assert repr(pickle.loads(pickle.dumps(scaled))) == repr(scaled)
