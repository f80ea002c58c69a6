"""run.json life cycle: running -> success / failed, staging, overwrite policy."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gat_schemas import (
    InputError,
    RunManifest,
    ValidationError,
    check_output_dir,
    check_output_file,
    list_runs,
    read_manifest,
    read_table,
    write_network,
)
from gat_schemas.manifest import STAGING_PREFIX


def _start(tmp_path, out, make_network, **kw):
    write_network(make_network(), tmp_path / "net")
    return RunManifest.start(
        out,
        command="dist pf",
        argv=["gat", "dist", "pf", "--grid-file", str(tmp_path / "net")],
        params={"method": "auto", "tol": 1e-8, "grid": tmp_path / "net"},
        inputs=[tmp_path / "net"],
        **kw,
    )


def test_running_then_success(tmp_path, make_network, make_tables):
    out = tmp_path / "out"
    run = _start(tmp_path, out, make_network, seed=7)
    data = json.loads((out / "run.json").read_text())
    assert data["status"] == "running"
    assert data["params"] == {"method": "auto", "tol": 1e-8, "grid": str(tmp_path / "net")}
    assert data["inputs"][0]["sha256"] and data["seed"] == 7
    assert "gat-schemas" in data["versions"] and "pandas" in data["versions"]

    run.stage_table(make_tables()["pf_nodes"], "pf_nodes")
    run.record_defaults("dist_nodes", {"v_set": 1.0})
    assert not (out / "pf_nodes.parquet").exists()  # staged, not yet in place
    run.finish()

    done = read_manifest(out)
    assert done.status == "success" and done.error is None
    assert done.outputs == [
        {"path": "pf_nodes.parquet", "sha256": done.outputs[0]["sha256"], "rows": 2}
    ]
    assert done.duration_s is not None and done.duration_s >= 0
    assert done.defaults == {"dist_nodes": {"v_set": 1.0}}
    assert done.finished_at >= done.started_at
    pd.testing.assert_frame_equal(read_table(out / "pf_nodes.parquet"), make_tables()["pf_nodes"])
    assert not any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())


def test_running_then_failed_leaves_no_table(tmp_path, make_network, make_tables):
    out = tmp_path / "out"
    run = _start(tmp_path, out, make_network)
    run.stage_table(make_tables()["pf_nodes"], "pf_nodes")
    with open(run.stage_path("pf_branches.parquet"), "wb") as fh:
        fh.write(b"half")
    run.fail(RuntimeError("did not converge\nafter 30 iterations"))
    data = json.loads((out / "run.json").read_text())
    assert data["status"] == "failed"
    assert data["error"] == "RuntimeError: did not converge after 30 iterations"
    assert data["outputs"] == []
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_invalid_staged_table_is_refused(tmp_path, make_network, make_tables):
    run = _start(tmp_path, tmp_path / "out", make_network)
    with pytest.raises(ValidationError):
        run.stage_table(make_tables()["pf_nodes"].assign(vm_pu=-1.0), "pf_nodes")


def test_second_run_overwrites_tables_of_first(tmp_path, make_network, make_tables):
    out = tmp_path / "out"
    first = _start(tmp_path, out, make_network)
    first.stage_table(make_tables()["pf_nodes"], "pf_nodes")
    first.finish()
    second = RunManifest.start(out, command="dist pf", argv=[], params={})
    second.stage_table(make_tables()["pf_nodes"].assign(vm_pu=0.5), "pf_nodes")
    second.finish()
    assert read_table(out / "pf_nodes.parquet")["vm_pu"].tolist() == [0.5, 0.5]
    assert read_manifest(out).run_id == second.run_id != first.run_id


def test_overwrite_policy(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match=r"not write .*--force"):
        check_output_dir(user)
    with pytest.raises(InputError):
        RunManifest.start(user, command="x", argv=[], params={})
    check_output_dir(user, force=True)
    check_output_dir(tmp_path / "new")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(InputError, match="not written by GAT"):
        check_output_file(user / "thesis.docx")
    check_output_file(user / "thesis.docx", force=True)


def test_shards_and_resume_check(tmp_path):
    out = tmp_path / "out"
    run = RunManifest.start(out, command="adms outage-mc", argv=[], params={"samples": 2}, seed=1)
    (out / "part-0.parquet").write_bytes(b"a")
    run.record_shard(0, status="success", outputs=["part-0.parquet"])
    run.record_shard(1, status="failed")
    again = read_manifest(out / "run.json")
    assert [s["id"] for s in again.shards] == ["0", "1"]
    assert again.shard_is_intact(0) and not again.shard_is_intact(1)
    (out / "part-0.parquet").write_bytes(b"b")
    assert not again.shard_is_intact(0)


def test_read_and_list_runs(tmp_path):
    a = RunManifest.start(tmp_path / "a", command="one", argv=[], params={})
    a.finish()
    b = RunManifest.start(tmp_path / "deep" / "b", command="two", argv=[], params={})
    b.fail("boom")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "run.json").write_text('{"not": "gat"}')
    runs = list_runs(tmp_path)
    assert [r.command for r in runs] == ["one", "two"]
    assert [r.status for r in runs] == ["success", "failed"]
    with pytest.raises(InputError, match="not a GAT run manifest"):
        read_manifest(tmp_path / "other")
    (tmp_path / "other" / "run.json").write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        read_manifest(tmp_path / "other" / "run.json")
    with pytest.raises(InputError, match="not found"):
        read_manifest(tmp_path / "nope")
