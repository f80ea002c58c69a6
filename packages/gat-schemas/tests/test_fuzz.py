"""Hypothesis fuzzing: bad bytes and bad values always end in a one-line GatError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gat_schemas import (
    GatError,
    ValidationError,
    read_network,
    read_table,
    validate_network,
    write_network,
    write_table,
)
from gat_schemas.folder_read import read_network_folder

SMALL = ("dist_nodes", "dist_branches")
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _one_line(err: BaseException) -> None:
    text = str(err)
    assert text and "\n" not in text and "Traceback" not in text


@st.composite
def corruptions(draw) -> tuple[str, int, bytes]:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "replace_tail"]))
    pos = draw(st.integers(min_value=0, max_value=10_000))
    payload = draw(st.binary(min_size=1, max_size=16))
    return kind, pos, payload


def _corrupt(data: bytes, kind: str, pos: int, payload: bytes) -> bytes:
    pos = pos % max(len(data), 1)
    if kind == "truncate":
        return data[:pos]
    if kind == "flip":
        return data[:pos] + bytes([data[pos] ^ (payload[0] or 1)]) + data[pos + 1 :]
    if kind == "insert":
        return data[:pos] + payload + data[pos:]
    return data[:pos] + payload


@FUZZ
@given(corruptions())
def test_corrupted_parquet_is_input_error_or_valid(make_tables, corruption):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dist_branches.parquet"
        write_table(make_tables()["dist_branches"], path, table="dist_branches")
        path.write_bytes(_corrupt(path.read_bytes(), *corruption))
        try:
            df = read_table(path)
        except GatError as err:
            _one_line(err)
            assert "dist_branches.parquet" in str(err)
        else:
            assert isinstance(df, pd.DataFrame)


@FUZZ
@given(corruptions(), st.sampled_from(list(SMALL)))
def test_corrupted_table_inside_network_folder(make_network, corruption, table):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        write_network(make_network(SMALL), folder)
        path = folder / f"{table}.parquet"
        data = path.read_bytes()
        changed = _corrupt(data, *corruption)
        assume(changed != data)
        path.write_bytes(changed)
        # An edited table is accepted when it still parses and validates (and is then
        # reported as changed); anything else is a one-line GatError.
        try:
            read = read_network_folder(folder)
        except GatError as err:
            _one_line(err)
        else:
            assert {t.name for t in read.changed} == {table}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(
    st.sampled_from(["name", "base_mva", "frequency_hz", "schema_version", "tables", "source"]),
    JSON_VALUES,
    st.booleans(),
)
def test_mangled_network_json_is_input_error_or_valid(make_network, key, value, drop):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        write_network(make_network(SMALL), folder)
        meta = json.loads((folder / "network.json").read_text())
        if drop:
            meta.pop(key)
        else:
            meta[key] = value
        (folder / "network.json").write_text(json.dumps(meta))
        try:
            net = read_network(folder)
        except GatError as err:
            _one_line(err)
        else:
            assert validate_network(net) == []


@FUZZ
@given(corruptions())
def test_corrupted_network_json_bytes(make_network, corruption):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        write_network(make_network(SMALL), folder)
        path = folder / "network.json"
        path.write_bytes(_corrupt(path.read_bytes(), *corruption))
        try:
            read_network(folder)
        except GatError as err:
            _one_line(err)


BAD_CELLS = st.sampled_from(
    [np.nan, None, -1.0, -1e12, np.inf, -np.inf, 0.0, "text", 3, True, "", "ABC", "open"]
)


@settings(FUZZ, max_examples=20)
@given(
    st.sampled_from(["dist_nodes", "dist_branches", "der_assets"]),
    st.data(),
)
def test_random_bad_cells_give_validation_errors_never_crashes(
    make_network, make_tables, table, data
):
    df = make_tables()[table]
    column = data.draw(st.sampled_from(list(df.columns)))
    row = data.draw(st.integers(min_value=0, max_value=len(df) - 1))
    value = data.draw(BAD_CELLS)
    df[column] = df[column].astype(object)
    df.loc[row, column] = value
    net = make_network((*SMALL, "der_assets"), **{table: df})
    found = validate_network(net)
    for v in found:
        _one_line(v)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            write_network(net, Path(tmp) / "net")
        except GatError as err:
            _one_line(err)
            assert found, "write_network refused a network that validate_network accepted"
            assert not (Path(tmp) / "net").exists()
        else:
            assert found == []


@FUZZ
@given(
    st.lists(st.floats(min_value=-10, max_value=-1e-9), min_size=1, max_size=5),
    st.data(),
)
def test_negative_resistance_is_always_reported(make_network, make_tables, values, data):
    br = make_tables()["dist_branches"]
    rows = data.draw(
        st.lists(st.integers(0, len(br) - 1), min_size=len(values), max_size=len(values))
    )
    for r, v in zip(rows, values, strict=True):
        br.loc[r, "r"] = v
    found = [v for v in validate_network(make_network(SMALL, dist_branches=br)) if v.column == "r"]
    assert found and set(found[0].row_ids) == {br.loc[r, "branch_id"] for r in rows}


@FUZZ
@given(st.data())
def test_duplicate_ids_and_unknown_references_always_reported(make_network, make_tables, data):
    nodes = make_tables()["dist_nodes"]
    br = make_tables()["dist_branches"]
    i, j = data.draw(st.lists(st.integers(0, len(nodes) - 1), min_size=2, max_size=2, unique=True))
    nodes.loc[j, "node_id"] = nodes.loc[i, "node_id"]
    ghost = data.draw(
        st.text(min_size=1, max_size=6).filter(lambda s: s not in set(nodes["node_id"]))
    )
    k = data.draw(st.integers(0, len(br) - 1))
    br.loc[k, "to_node"] = ghost
    net = make_network(SMALL, dist_nodes=nodes, dist_branches=br)
    checks = {(v.table, v.check) for v in validate_network(net)}
    assert ("dist_nodes", "unique") in checks
    assert ("dist_branches", "foreign_key") in checks
    with pytest.raises(ValidationError) as info:
        read_or_write(net)
    _one_line(info.value)


def read_or_write(net) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_network(net, Path(tmp) / "net")


@FUZZ
@given(st.sampled_from(["dist_nodes", "dist_branches", "pf_nodes", "pf_summary"]), st.data())
def test_wrong_dtypes_and_nan_columns(make_tables, table, data):
    df = make_tables()[table]
    column = data.draw(st.sampled_from(list(df.columns)))
    replacement = data.draw(st.sampled_from(["all_nan", "all_text", "all_int", "all_bool", "drop"]))
    if replacement == "all_nan":
        df[column] = np.nan
    elif replacement == "all_text":
        df[column] = "x"
    elif replacement == "all_int":
        df[column] = np.arange(len(df), dtype=np.int64)
    elif replacement == "all_bool":
        df[column] = True
    else:
        df = df.drop(columns=column)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{table}.parquet"
        try:
            write_table(df, path, table=table)
        except GatError as err:
            _one_line(err)
            assert not path.exists()
        else:
            read_table(path)
