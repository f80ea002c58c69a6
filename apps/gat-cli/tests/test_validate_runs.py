"""``gat validate`` and ``gat runs``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def test_validate_valid_network(case33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("validate", case33)
    assert code == 0
    assert len(out.strip().splitlines()) == 1 and "valid" in out


def test_validate_reports_every_violation(tmp_path: Path, case33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    branches = pd.read_parquet(case33 / "dist_branches.parquet")
    branches.loc[branches.index[3], "to_node"] = "999"
    branches.loc[branches.index[5], "branch_id"] = branches.loc[branches.index[4], "branch_id"]
    bad = tmp_path / "dist_branches.parquet"
    branches.to_parquet(bad, index=False)
    code, out, _ = gat("validate", bad)
    assert code == 1
    assert "branch_id" in out  # duplicate ids, found in the single table
    code, out, _ = gat("--format", "json", "validate", bad)
    report = json.loads(out)
    assert report["valid"] is False and report["violations"]


def test_validate_network_cross_table(tmp_path: Path, case33: Path, gat) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from gat_schemas import read_network, write_network
    from gat_schemas.network import Network

    net = read_network(case33)
    branches = net.branches.copy()
    branches.loc[branches.index[3], "to_node"] = "999"
    nodes = net.nodes.copy()
    nodes.loc[nodes.index[0], "type"] = "load"
    broken = Network(name=net.name, base_mva=net.base_mva, tables={**net.tables})
    folder = tmp_path / "net"
    write_network(broken, folder)  # valid copy first
    shutil.rmtree(folder)
    # Write the broken tables by hand, as a user editing files would, then re-index.
    folder.mkdir()
    from gat_schemas.folder import NETWORK_JSON
    from gat_schemas.io import sha256_file

    meta = json.loads((case33 / NETWORK_JSON).read_text())
    for name, df in (("dist_nodes", nodes), ("dist_branches", branches)):
        df.to_parquet(folder / f"{name}.parquet", index=False)
        meta["tables"][name]["sha256"] = sha256_file(folder / f"{name}.parquet")
    (folder / NETWORK_JSON).write_text(json.dumps(meta))
    code, out, err = gat("validate", folder)
    assert code == 1
    assert "999" in out  # unknown branch end
    assert "slack" in out  # feeder lost its slack node
    assert "violation" in err


def test_runs_list_and_show(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("runs", "list", tmp_path)
    assert code == 0 and "dist import matpower" in out
    run_id = json.loads((case33 / "run.json").read_text())["run_id"]
    code, out, _ = gat("runs", "show", run_id[:8], "--root", tmp_path)
    assert code == 0 and run_id in out and "dist_nodes.parquet" in out
    code, out, _ = gat("--format", "json", "runs", "show", case33)
    assert json.loads(out)["run_id"] == run_id
    code, _, err = gat("runs", "show", "ffffffffffff", "--root", tmp_path)
    assert code == 1 and "no run" in err


def test_runs_show_a_run_without_a_live_process_as_interrupted(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    from gat_schemas import RunManifest

    out = tmp_path / "hc"
    run = RunManifest.start(out, command="dist hostcap", argv=["gat"], params={})
    code, listed, _ = gat("runs", "list", tmp_path)
    assert code == 0 and " running " in listed
    run.release()  # what a killed process leaves: run.json says running, nobody holds it
    code, listed, _ = gat("runs", "list", tmp_path)
    assert code == 0 and " interrupted " in listed and " running " not in listed
    code, shown, _ = gat("runs", "show", out)
    assert code == 0 and "(interrupted)" in shown.splitlines()[0]
    code, shown, _ = gat("--format", "json", "runs", "show", out)
    assert json.loads(shown)["status"] == "interrupted"
    assert json.loads((out / "run.json").read_text())["status"] == "running"  # not rewritten
