"""Edited network tables, ``gat network build|set|add-row`` and ``gat validate`` on CSV."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gat_schemas import read_network, sha256_file
from gat_schemas.folder_read import input_digest

REPO = Path(__file__).resolve().parents[3]
ADMS = REPO / "test_data" / "adms"
FEEDER4 = {
    "--nodes": ADMS / "feeder4_nodes.csv",
    "--branches": ADMS / "feeder4_branches.csv",
    "--reliability": ADMS / "feeder4_reliability.csv",
    "--switches": ADMS / "feeder4_switching_devices.csv",
}
PV9 = (
    "asset_id=pv9,bus_id=19,phase=ABC,asset_type=pv,p_min=0,p_max=0.3,q_min=-0.1,"
    "q_max=0.1,efficiency=0.97,priority=3,cost_curve_id=pv_zero"
)


@pytest.fixture()
def net33(tmp_path: Path) -> Path:
    out = tmp_path / "case33bw"
    shutil.copytree(REPO / "test_data" / "networks" / "case33bw", out)
    return out


@pytest.fixture()
def net33_der(tmp_path: Path, gat) -> Path:  # type: ignore[no-untyped-def]
    src = REPO / "test_data" / "networks" / "case33bw"
    out = tmp_path / "case33der"
    code, _, err = gat(
        "network", "build", "--nodes", src / "dist_nodes.parquet",
        "--branches", src / "dist_branches.parquet",
        "--assets", REPO / "test_data" / "assets" / "case33bw_der.csv",
        "--base-mva", "10", "--name", "case33bw", "-d", out,
    )  # fmt: skip
    assert code == 0, err
    return out


def _build(gat, out: Path, **override: Path):  # type: ignore[no-untyped-def]
    files = {**FEEDER4, **override}
    args = [a for opt, path in files.items() for a in (opt, path)]
    return gat("network", "build", *args, "--base-mva", "10", "--frequency-hz", "50",
               "--name", "feeder4", "-d", out)  # fmt: skip


def test_edit_with_pandas_then_dist_pf(net33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    listed = sha256_file(net33 / "network.json")
    nodes = pd.read_parquet(net33 / "dist_nodes.parquet")
    total = nodes["load_p"].sum()
    nodes["load_p"] *= 1.2
    nodes.to_parquet(net33 / "dist_nodes.parquet", index=False)
    code, out, err = gat(
        "--format", "json", "dist", "pf", "--grid-file", net33, "-d", tmp_path / "pf"
    )
    assert code == 0, err
    summary = json.loads(out)  # stdout is clean JSON; the note went to stderr
    assert summary["summary"][0]["total_load_mw"] == pytest.approx(1.2 * total)
    assert summary["changed_tables"] == {str(net33): ["dist_nodes"]}
    (note,) = [line for line in err.splitlines() if line.startswith("note:")]
    assert "dist_nodes" in note and "dist_branches" not in note
    run = json.loads((tmp_path / "pf" / "run.json").read_text())
    entry = next(i for i in run["inputs"] if i["path"] == str(net33.resolve()))
    assert entry["tables"]["dist_nodes"]["status"] == "changed"
    assert entry["tables"]["dist_nodes"]["sha256"] == sha256_file(net33 / "dist_nodes.parquet")
    assert entry["tables"]["dist_branches"]["status"] == "unchanged"
    assert entry["sha256"] == input_digest(net33) != listed


def test_resume_digest_follows_edited_tables(net33: Path) -> None:
    from gat_dist.fanout import _digest

    before = _digest(net33)
    assert before == sha256_file(net33 / "network.json")
    nodes = pd.read_parquet(net33 / "dist_nodes.parquet").assign(load_q=0.0)
    nodes.to_parquet(net33 / "dist_nodes.parquet", index=False)
    assert _digest(net33) == input_digest(net33) != before


def test_resume_is_refused_after_a_table_edit(net33: Path, tmp_path: Path) -> None:
    from gat_dist.fanout import open_run
    from gat_schemas import InputError

    kw = {"command": "t", "argv": [], "params": {"x": 1}, "inputs": [net33]}
    open_run(tmp_path / "o", **kw).fail("stopped")
    open_run(tmp_path / "o", resume=True, **kw).fail("stopped again")  # unchanged: resumes
    nodes = pd.read_parquet(net33 / "dist_nodes.parquet").assign(load_q=0.0)
    nodes.to_parquet(net33 / "dist_nodes.parquet", index=False)
    with pytest.raises(InputError, match="inputs changed"):
        open_run(tmp_path / "o", resume=True, **kw)


@pytest.mark.parametrize(
    ("table", "column", "bad", "match"),
    [
        ("dist_nodes", "v_min", -0.5, "dist_nodes.v_min rows [5]"),
        ("dist_branches", "from_node", "ghost", "dist_branches.from_node rows [5]"),
    ],
)
def test_corrupt_edit_is_a_one_line_validation_error(
    net33: Path, tmp_path: Path, gat, table, column, bad, match
) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_parquet(net33 / f"{table}.parquet")
    df.loc[4, column] = bad
    df.to_parquet(net33 / f"{table}.parquet", index=False)
    code, _, err = gat("dist", "pf", "--grid-file", net33, "-d", tmp_path / "pf")
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("gat: error:")]
    assert len(errors) == 1 and match in errors[0] and str(net33) in errors[0]


def test_build_from_csv_round_trips_the_textbook_feeder(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    from gat_dist.table_files import read_table_file

    code, out, err = _build(gat, tmp_path / "f4")
    assert code == 0, err
    assert "built feeder4" in out
    built, ref = read_network(tmp_path / "f4"), read_network(ADMS / "feeder4")
    assert (built.name, built.base_mva, built.frequency_hz) == ("feeder4", 10.0, 50.0)
    for name in ("dist_nodes", "dist_branches"):
        pd.testing.assert_frame_equal(built.tables[name], ref.tables[name])
    for name, opt in (("reliability", "--reliability"), ("switching_devices", "--switches")):
        pd.testing.assert_frame_equal(built.tables[name], read_table_file(FEEDER4[opt], name))
    run = json.loads((tmp_path / "f4" / "run.json").read_text())
    assert run["status"] == "success" and len(run["inputs"]) == 4
    files = built.source["files"]
    assert files["dist_nodes"]["sha256"] == sha256_file(FEEDER4["--nodes"])


def test_build_lists_every_violation_with_its_file(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    nodes = pd.read_csv(FEEDER4["--nodes"], dtype={"node_id": str})
    nodes.loc[nodes["node_id"] == "B", "v_min"] = -0.5
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    branches = pd.read_csv(FEEDER4["--branches"], dtype=str)
    branches.loc[branches["branch_id"] == "M3", "to_node"] = "Z"
    branches.to_csv(tmp_path / "branches.csv", index=False)
    code, out, err = _build(
        gat, tmp_path / "f4", **{"--nodes": tmp_path / "nodes.csv",
                                 "--branches": tmp_path / "branches.csv"}
    )  # fmt: skip
    assert code == 1
    lines = out.splitlines()
    assert f"{tmp_path / 'nodes.csv'}: dist_nodes.v_min rows [B]: must be > 0, found -0.5" in lines
    assert any(
        line.startswith(f"{tmp_path / 'branches.csv'}: dist_branches.to_node rows [M3]")
        for line in lines
    )
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "f4" / "network.json").exists()


def test_set_scales_exactly_the_selected_rows_in_place(net33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    (net33 / "NOTES.txt").write_text("keep me")
    before = read_network(net33)
    branches_sha = sha256_file(net33 / "dist_branches.parquet")
    code, out, err = gat(
        "network", "set", "--grid-file", net33, "--table", "dist_nodes", "--column", "load_p",
        "--scale", "1.2", "--where", "node_id=18,19",
    )  # fmt: skip
    assert code == 0, err
    assert "2 row(s) scaled by 1.2" in out
    after = read_network(net33)
    picked = before.nodes["node_id"].isin(["18", "19"])
    expected = before.nodes.copy()
    expected.loc[picked, "load_p"] *= 1.2
    pd.testing.assert_frame_equal(after.nodes, expected)
    assert sha256_file(net33 / "dist_branches.parquet") == branches_sha
    assert (net33 / "NOTES.txt").read_text() == "keep me"
    # written by GAT: the folder is consistent again, no note on the next read
    code, _, err = gat("validate", net33)
    assert code == 0 and "note:" not in err


def test_set_value_to_new_folder_and_refusals(net33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    original = sha256_file(net33 / "dist_nodes.parquet")
    code, _, err = gat(
        "network", "set", "--grid-file", net33, "--table", "dist_nodes", "--column", "v_min",
        "--value", "0.9", "--where", "feeder_id=case33bw", "-d", tmp_path / "v90",
    )  # fmt: skip
    assert code == 0, err
    assert (read_network(tmp_path / "v90").nodes["v_min"] == 0.9).all()
    assert json.loads((tmp_path / "v90" / "run.json").read_text())["status"] == "success"
    assert sha256_file(net33 / "dist_nodes.parquet") == original
    for extra, match in (
        (("--value", "-1", "--where", "node_id=5"), "dist_nodes.v_min rows [5]"),
        (("--value", "x", "--where", "node_id=5"), "'x' is not a number"),
        (("--value", "0.9", "--where", "node_id=999"), "no row has 999"),
        (("--value", "0.9", "--where", "nope=1"), "has no column nope"),
    ):
        code, _, err = gat("network", "set", "--grid-file", net33, "--table", "dist_nodes",
                           "--column", "v_min", *extra)  # fmt: skip
        assert code == 1 and match in err, err
    code, _, _ = gat("network", "set", "--grid-file", net33, "--table", "dist_nodes",
                     "--column", "v_min")  # fmt: skip
    assert code == 2
    assert sha256_file(net33 / "dist_nodes.parquet") == original


def test_add_row_appends_one_der(net33_der: Path, gat) -> None:  # type: ignore[no-untyped-def]
    before = read_network(net33_der)
    code, out, err = gat("network", "add-row", "--grid-file", net33_der, "--table", "der_assets",
                         "--values", PV9)  # fmt: skip
    assert code == 0, err
    assert "1 row(s) added (3 -> 4)" in out
    der = read_network(net33_der).tables["der_assets"]
    pd.testing.assert_frame_equal(der.iloc[:3], before.tables["der_assets"])
    row = der.iloc[3]
    assert (row["asset_id"], row["bus_id"], row["p_max"], row["priority"]) == ("pv9", "19", 0.3, 3)
    assert pd.isna(row["ramp_up"]) and (net33_der / "run.json").is_file()
    pd.testing.assert_frame_equal(read_network(net33_der).nodes, before.nodes)
    # a bad row (unknown bus, unknown column) is refused and nothing changes
    sha = sha256_file(net33_der / "der_assets.parquet")
    code, _, err = gat("network", "add-row", "--grid-file", net33_der, "--table", "der_assets",
                       "--values", PV9.replace("pv9", "pv10").replace("bus_id=19", "bus_id=99"))  # fmt: skip
    assert code == 1 and "der_assets.bus_id rows [pv10]" in err
    code, _, err = gat("network", "add-row", "--grid-file", net33_der, "--table", "der_assets",
                       "--values", "asset_id=x,colour=red")  # fmt: skip
    assert code == 1 and "no column colour" in err
    assert sha256_file(net33_der / "der_assets.parquet") == sha


def test_validate_reads_csv_tables(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("validate", FEEDER4["--nodes"], "--table", "dist_nodes")
    assert code == 0 and "table dist_nodes is valid (9 dist_nodes)" in out
    shutil.copy(FEEDER4["--reliability"], tmp_path / "reliability.csv")
    code, out, _ = gat("validate", tmp_path / "reliability.csv")
    assert code == 0 and "table reliability is valid" in out
    bad = pd.read_csv(FEEDER4["--nodes"], dtype={"node_id": str}).assign(v_min=-1.0)
    bad.to_csv(tmp_path / "dist_nodes.csv", index=False)
    code, out, err = gat("validate", tmp_path / "dist_nodes.csv")
    assert code == 1 and "dist_nodes.v_min" in out and err.count("\n") == 1
    shutil.copy(FEEDER4["--nodes"], tmp_path / "mystery.csv")
    code, _, err = gat("validate", tmp_path / "mystery.csv")
    assert code == 1 and "name the file <table>.csv or pass --table" in err


def test_validate_names_edited_tables(net33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    pd.read_parquet(net33 / "dist_nodes.parquet").to_parquet(
        net33 / "dist_nodes.parquet", index=False, compression="zstd"
    )
    code, out, err = gat("--format", "json", "validate", net33)
    assert code == 0
    assert json.loads(out)["changed_tables"] == ["dist_nodes"]
    assert "dist_nodes" in err and "changed since" in err


@pytest.mark.slow
def test_build_as_a_real_subprocess(tmp_path: Path) -> None:
    args = [a for opt, path in FEEDER4.items() if opt in ("--nodes", "--branches")
            for a in (opt, str(path))]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "gat_cli", "network", "build", *args,
         "--base-mva", "10", "-d", str(tmp_path / "f4")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert read_network(tmp_path / "f4").name == "f4"


def test_unlisted_table_is_read_and_named(net33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    caps = pd.DataFrame(
        {"cap_id": ["c1"], "node_id": ["18"], "phase": ["ABC"], "q_mvar": [0.3],
         "status": ["closed"]}
    )  # fmt: skip
    caps.to_parquet(net33 / "dist_caps.parquet", index=False)
    nodes = pd.read_parquet(net33 / "dist_nodes.parquet")
    nodes.loc[nodes["node_id"] == "18", "load_p"] = 0.0
    nodes.iloc[:-1].to_parquet(net33 / "dist_nodes.parquet", index=False)  # drops node 33
    code, _, err = gat("dist", "pf", "--grid-file", net33, "-d", tmp_path / "pf")
    assert code == 1 and "dist_branches.to_node" in err  # branch 32 now dangles
    nodes.to_parquet(net33 / "dist_nodes.parquet", index=False)
    code, out, err = gat(
        "--format", "json", "dist", "pf", "--grid-file", net33, "-d", tmp_path / "pf"
    )
    assert code == 0, err
    assert json.loads(out)["network"] == "case33bw"
    (note,) = [line for line in err.splitlines() if line.startswith("note:")]
    assert "changed since the folder was written: dist_nodes" in note
    assert "not listed in network.json, read too: dist_caps" in note
    run = json.loads((tmp_path / "pf" / "run.json").read_text())
    assert run["inputs"][0]["tables"]["dist_caps"]["status"] == "unlisted"


def test_in_place_edit_refuses_a_locked_folder(net33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    from gat_schemas.lock import acquire

    before = sha256_file(net33 / "dist_nodes.parquet")
    lock = acquire(net33, command="dist hostcap", run_id="other")
    try:
        code, _, err = gat(
            "network", "set", "--grid-file", net33, "--table", "dist_nodes",
            "--column", "load_p", "--scale", "2",
        )  # fmt: skip
    finally:
        lock.release()
    assert code == 1 and "in use by gat dist hostcap" in err and err.count("\n") == 1
    assert sha256_file(net33 / "dist_nodes.parquet") == before
    code, _, err = gat(
        "network", "set", "--grid-file", net33, "--table", "dist_nodes",
        "--column", "load_p", "--scale", "2",
    )  # fmt: skip
    assert code == 0, err
    assert not (net33 / ".gat-lock").exists()


def test_validate_takes_the_shared_grid_file_option(net33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat("validate", "--grid-file", net33)
    assert code == 0 and "is valid" in out, err
    code, _, err = gat("validate", net33, "--grid-file", net33)
    assert code == 2 and err.count("\n") == 1


def test_a_violation_caused_by_an_edit_names_the_edited_table(net33: Path, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    # Opening the only branch into node 18 is an edit of dist_branches that validation
    # reports on dist_nodes (an island): the error says which table was edited.
    branches = pd.read_parquet(net33 / "dist_branches.parquet")
    branches.loc[branches["to_node"] == "18", "status"] = "open"
    branches.to_parquet(net33 / "dist_branches.parquet", index=False)
    for args in (("validate", net33), ("dist", "pf", "--grid-file", net33, "-d", tmp_path / "pf")):
        code, _, err = gat(*args)
        assert code == 1 and err.count("\n") == 1, err
        assert "island" in err and "edited since written: dist_branches" in err
