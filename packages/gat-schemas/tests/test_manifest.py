"""run.json life cycle: running -> success / failed, staging, overwrite policy."""

from __future__ import annotations

import errno
import json
import os

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
from gat_schemas.io import StorageError
from gat_schemas.lock import LOCK_NAME, FolderInUseError
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


# -- one writer, one run per folder (issue 19, issue 11 items 3 and 8) ----------------------


def _run_writing(out, files, *, command="dist pf", writes="results", force=False, finish=True):
    run = RunManifest.start(out, command=command, argv=[], params={}, writes=writes, force=force)
    for rel, data in files.items():
        run.stage_path(rel).write_bytes(data)
    if finish:
        run.finish()
    return run


def _tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "run.json"
    }


def test_new_run_replaces_the_earlier_run_as_a_whole(tmp_path):
    out = tmp_path / "out"
    _run_writing(out, {"a.parquet": b"a", "curves/x=1/part-0.parquet": b"c"}, command="dist opf")
    second = _run_writing(out, {"b.parquet": b"b"})
    assert _tree(out) == {"b.parquet": b"b"}  # opf's tables and the empty curves/ are gone
    assert not (out / "curves").exists()
    done = read_manifest(out)
    assert [o["path"] for o in done.outputs] == ["b.parquet"] and done.superseded == []
    assert done.run_id == second.run_id


def test_failed_run_keeps_the_earlier_outputs_until_a_run_succeeds(tmp_path):
    out = tmp_path / "out"
    _run_writing(out, {"a.parquet": b"a"})
    failed = _run_writing(out, {"b.parquet": b"b"}, finish=False)
    failed.fail(RuntimeError("boom"))
    assert _tree(out) == {"a.parquet": b"a"}
    data = json.loads((out / "run.json").read_text())
    assert data["status"] == "failed" and data["superseded"] == ["a.parquet"]
    _run_writing(out, {"c.parquet": b"c"})
    assert _tree(out) == {"c.parquet": b"c"}


def test_failed_runs_keep_the_manifest_of_the_run_whose_outputs_stay(tmp_path):
    """The tables a failed run leaves in place keep their provenance: the run that wrote
    them is ``previous`` in run.json, through any number of failures, until a run succeeds."""
    out = tmp_path / "out"
    first = _run_writing(out, {"a.parquet": b"a"}, command="dist opf")
    for _ in range(2):
        failed = _run_writing(out, {"b.parquet": b"b"}, finish=False)
        failed.fail(RuntimeError("boom"))
        data = json.loads((out / "run.json").read_text())
        assert data["status"] == "failed"
        prev = data["previous"]
        assert prev["run_id"] == first.run_id and prev["command"] == "dist opf"
        assert [o["path"] for o in prev["outputs"]] == ["a.parquet"]
        assert prev["status"] == "success" and "previous" not in prev
        assert read_manifest(out).previous["run_id"] == first.run_id
    _run_writing(out, {"c.parquet": b"c"})
    assert json.loads((out / "run.json").read_text())["previous"] is None
    assert read_manifest(out).previous is None


def test_old_outputs_survive_a_failure_while_moving_the_new_ones(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _run_writing(out, {"a.parquet": b"a"})
    run = _run_writing(out, {"b.parquet": b"b"}, finish=False)
    real = os.replace

    def full(src, dst):  # the move of a staged table fails
        if str(src).endswith("b.parquet"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StorageError, match="no space left on device"):
        run.finish()
    monkeypatch.undo()
    run.fail(RuntimeError("disk full"))
    assert (out / "a.parquet").read_bytes() == b"a"
    assert json.loads((out / "run.json").read_text())["superseded"] == ["a.parquet"]


def test_results_never_go_into_a_network_folder(tmp_path, make_network):
    net = tmp_path / "net"
    write_network(make_network(), net)
    before = _tree(net)
    for force in (False, True):
        with pytest.raises(InputError, match=r"holds a network .*--force or not"):
            RunManifest.start(net, command="dist pf", argv=[], params={}, force=force)
    assert _tree(net) == before and sorted(p.name for p in net.iterdir())[0] != ".gat-lock"
    assert not any(p.name.startswith(".gat") for p in net.iterdir())


def test_network_writers_replace_networks_but_not_results(tmp_path):
    out = tmp_path / "out"
    _run_writing(
        out,
        {"network.json": b"{}", "dist_nodes.parquet": b"n", "der_assets.parquet": b"d"},
        command="dataset export",
        writes="network",
    )
    # a later export without der_assets leaves nothing of the earlier one behind
    _run_writing(
        out,
        {"network.json": b"{}", "dist_nodes.parquet": b"m"},
        command="dataset export",
        writes="network",
    )
    assert _tree(out) == {"network.json": b"{}", "dist_nodes.parquet": b"m"}
    res = tmp_path / "res"
    _run_writing(res, {"pf_nodes.parquet": b"p"})
    with pytest.raises(InputError, match=r"holds the results of gat dist pf.*--force"):
        RunManifest.start(res, command="dist import matpower", argv=[], params={}, writes="network")
    assert _tree(res) == {"pf_nodes.parquet": b"p"}
    _run_writing(
        res, {"network.json": b"{}"}, command="dist import matpower", writes="network", force=True
    )
    assert _tree(res) == {"network.json": b"{}"}


def test_user_files_are_never_removed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    _run_writing(out, {"a.parquet": b"a"}, force=True)
    # A file GAT did not write beside an earlier run: replacing the run needs --force again.
    with pytest.raises(InputError, match=r"thesis\.docx"):
        _run_writing(out, {"b.parquet": b"b"})
    _run_writing(out, {"b.parquet": b"b"}, force=True)
    assert _tree(out) == {"b.parquet": b"b", "thesis.docx": b"precious"}


def test_a_new_run_removes_dead_runs_leftovers(tmp_path):
    out = tmp_path / "out"
    _run_writing(out, {"a.parquet": b"a"})
    (out / f"{STAGING_PREFIX}deadbeef" / "sub").mkdir(parents=True)
    (out / f"{STAGING_PREFIX}deadbeef" / "sub" / "x.parquet").write_bytes(b"x")
    (out / ".a.parquet.tmp-0123456789ab").write_bytes(b"half")
    (out / "_shards" / "s0").mkdir(parents=True)
    (out / "_shards" / "s0" / ".t.parquet.tmp-0123456789ab").write_bytes(b"half")
    run = RunManifest.start(out, command="dist pf", argv=[], params={})
    names = {p.name for p in out.rglob("*")}
    assert not any(n.startswith(STAGING_PREFIX) or ".tmp-" in n for n in names)
    assert (out / "a.parquet").read_bytes() == b"a"
    run.fail("stop")


def test_second_run_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    first = RunManifest.start(out, command="dist hostcap", argv=[], params={"v_max": 1.02})
    before = (out / "run.json").read_bytes()
    with pytest.raises(FolderInUseError, match=rf"{out} is in use by gat dist hostcap, pid"):
        RunManifest.start(out, command="dist hostcap", argv=[], params={"v_max": 1.03})
    with pytest.raises(FolderInUseError):
        RunManifest.reopen(out, command="dist hostcap")
    assert (out / "run.json").read_bytes() == before
    first.finish()
    assert not (out / LOCK_NAME).exists()
    RunManifest.start(out, command="dist hostcap", argv=[], params={}).finish()


def test_running_run_without_a_live_holder_is_interrupted(tmp_path):
    out = tmp_path / "out"
    run = RunManifest.start(out, command="dist pf", argv=[], params={})
    assert read_manifest(out).live_status == "running"
    run._lock.release()  # as if the process had been killed: nobody holds the folder
    assert read_manifest(out).status == "running"
    assert read_manifest(out).live_status == "interrupted"
    assert [r.live_status for r in list_runs(tmp_path)] == ["interrupted"]


def test_output_folder_under_a_file_is_an_input_error(tmp_path):
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file" / "out", tmp_path / "file" / "a" / "b"):
        with pytest.raises(InputError, match=r"is a file, not a folder"):
            RunManifest.start(out, command="dist pf", argv=[], params={})


def test_unwritable_folder_changes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _run_writing(out, {"a.parquet": b"a"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "link", read_only)
    with pytest.raises(StorageError) as info:
        RunManifest.start(out, command="dist pf", argv=[], params={})
    text = str(info.value)
    assert "the file system is read-only" in text and f"nothing was changed in {out}" in text
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_shards_of_another_run_are_not_intact(tmp_path):
    out = tmp_path / "out"
    run = RunManifest.start(out, command="adms outage-mc", argv=[], params={})
    (out / "part-0.parquet").write_bytes(b"a")
    run.record_shard(0, status="success", outputs=["part-0.parquet"], digest="d1")
    entry = read_manifest(out).shards[0]
    assert entry["run_id"] == run.run_id and entry["params_digest"] == "d1"
    assert run.shard_is_intact(0, "d1") and not run.shard_is_intact(0, "d2")
    run.run_id = "another"
    assert not run.shard_is_intact(0, "d1")
    run.fail("stop")
