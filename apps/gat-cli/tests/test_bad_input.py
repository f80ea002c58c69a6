"""Bad input end to end: every case is exit 1 (or a valid result), one line, nothing partial.

Hypothesis corrupts the MATPOWER file given to ``gat dist import matpower`` and the tables
of a network folder given to ``gat validate`` and ``gat dist pf``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_cli.main import run

REPO = Path(__file__).resolve().parents[3]
CASE = (REPO / "test_data" / "matpower" / "case33bw.m").read_bytes()
NETWORK = REPO / "test_data" / "networks" / "case33bw"
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _mutate(data: bytes, kind: str, pos: float, payload: bytes) -> bytes:
    lines = data.split(b"\n")
    i = int(pos * (len(lines) - 1))
    if kind == "truncate":
        return data[: int(pos * len(data))]
    if kind == "flip":
        j = int(pos * (len(data) - 1))
        return data[:j] + payload[:1] + data[j + 1 :]
    if kind == "drop_line":
        return b"\n".join(lines[:i] + lines[i + 1 :])
    if kind == "dup_line":
        return b"\n".join(lines[: i + 1] + lines[i:])
    return b"\n".join([*lines[:i], payload, *lines[i:]])  # insert


def _assert_failed_cleanly(code: int, err: str, out: Path) -> None:
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gat: error: "), err
    assert "Traceback" not in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


@SETTINGS
@given(
    kind=st.sampled_from(["truncate", "flip", "drop_line", "dup_line", "insert"]),
    pos=st.floats(0, 1),
    payload=st.binary(min_size=1, max_size=40),
)
def test_corrupted_matpower_file(capsys, kind: str, pos: float, payload: bytes) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "case.m"
        data = _mutate(CASE, kind, pos, payload)
        src.write_bytes(data)
        out = Path(tmp) / "out"
        code = run(["dist", "import", "matpower", "--file", str(src), "-d", str(out)])
        err = capsys.readouterr().err
        assert src.read_bytes() == data  # the input is never touched
        if code == 0:  # the mutation left a valid case: the network must validate
            assert run(["validate", str(out)]) == 0
        else:
            _assert_failed_cleanly(code, err, out)


BAD_CELLS = [
    ("dist_nodes", "load_p", np.nan),
    ("dist_nodes", "v_max", -1.0),
    ("dist_nodes", "type", "generator"),
    ("dist_nodes", "node_id", None),
    ("dist_nodes", "base_kv", 0.0),
    ("dist_branches", "r", -0.5),
    ("dist_branches", "to_node", "nowhere"),
    ("dist_branches", "status", "maybe"),
    ("dist_branches", "thermal_limit", 0.0),
    ("dist_branches", "from_node", "1"),
    ("dist_branches", "x", "abc"),
]


def _rewrite(folder: Path, table: str, df: pd.DataFrame) -> None:
    """Write a table and update network.json, as a tool that bypasses GAT would."""
    path = folder / f"{table}.parquet"
    df.to_parquet(path, index=False)
    from gat_schemas import sha256_file

    meta = json.loads((folder / "network.json").read_text())
    meta["tables"][table] = {"sha256": sha256_file(path), "rows": len(df)}
    (folder / "network.json").write_text(json.dumps(meta))


@SETTINGS
@given(cell=st.sampled_from(BAD_CELLS), row=st.integers(0, 31), dup=st.booleans())
def test_bad_table_values(capsys, cell, row: int, dup: bool) -> None:  # type: ignore[no-untyped-def]
    table, column, value = cell
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        shutil.copytree(NETWORK, folder)
        df = pd.read_parquet(folder / f"{table}.parquet")
        if isinstance(value, str) and df[column].dtype.kind == "f":
            df[column] = df[column].astype("string")  # text, as a spreadsheet export gives
        df.loc[df.index[row], column] = value
        if dup:  # also duplicate an id
            id_col = "node_id" if table == "dist_nodes" else "branch_id"
            df.loc[df.index[(row + 1) % len(df)], id_col] = df.loc[df.index[row], id_col]
        _rewrite(folder, table, df)
        before = {p.name: p.read_bytes() for p in folder.iterdir()}
        code = run(["validate", str(folder)])
        captured = capsys.readouterr()
        if (table, column, value) == ("dist_branches", "from_node", "1") and not dup:
            # Reconnecting one branch may still leave a valid network (or a self loop).
            assert code in (0, 1)
            return
        assert code == 1, captured.out
        assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
        out = Path(tmp) / "pf"
        code = run(["dist", "pf", "--grid-file", str(folder), "-d", str(out)])
        err = capsys.readouterr().err
        _assert_failed_cleanly(code, err, out)
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@SETTINGS
@given(pos=st.floats(0, 1), payload=st.binary(min_size=1, max_size=16))
def test_corrupted_parquet_bytes(capsys, pos: float, payload: bytes) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        shutil.copytree(NETWORK, folder)
        path = folder / "dist_branches.parquet"
        data = path.read_bytes()
        j = int(pos * (len(data) - 1))
        path.write_bytes(data[:j] + payload + data[j + len(payload) :])
        code = run(["validate", str(folder)])
        err = capsys.readouterr().err
        if path.read_bytes() == data:
            assert code == 0
            return
        if code == 0:  # still a valid table: accepted as an edit, and named on stderr
            assert "note:" in err and "dist_branches" in err
            return
        assert code == 1
        assert len(err.strip().splitlines()) == 1 and "dist_branches" in err
