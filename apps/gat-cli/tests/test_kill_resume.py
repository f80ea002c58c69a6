"""A run killed with SIGKILL: shown as interrupted, its lock and leftovers cleaned up by the next run.

The per-command kill/resume identity tests live beside each resumable command
(test_dist_hostcap, test_derms_stress, test_adms_outage_mc); this one checks what the
dead run leaves behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
ARGS = ("--grid-file", CASE33, "--v-max", "1.05", "--load-scale", "1.0", "--steps", "4")
OUTPUTS = ("hostcap_summary.parquet", "hostcap_curves/load_scale=1.0/part-0.parquet")


def _shards(run_json: Path) -> int:
    try:
        return len(json.loads(run_json.read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_run_is_interrupted_and_leaves_nothing_after_resume(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    args = (*ARGS, "--block-size", "8")  # 4 shards
    solo = tmp_path / "solo"
    assert gat("dist", "hostcap", *args, "-d", solo)[0] == 0

    out = tmp_path / "killed"
    env = {**os.environ, "GAT_TEST_SHARD_DELAY_S": "1.0"}
    cmd = [sys.executable, "-m", "gat_cli", "dist", "hostcap", *map(str, args), "-d", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _shards(out / "run.json") < 1 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    code, listed, _ = gat("runs", "list", tmp_path)
    assert code == 0 and " running " in listed.splitlines()[-1]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()  # type: ignore[union-attr]
    run_id = json.loads((out / "run.json").read_text())["run_id"]
    # What a run killed while moving its outputs into place leaves: its staging folder,
    # a half-written temporary file, and its lock.
    staging = out / f".gat-staging-{run_id}"
    (staging / "hostcap_curves").mkdir(parents=True)
    (staging / "hostcap_summary.parquet").write_bytes(b"half")
    (out / ".hostcap_summary.parquet.tmp-0123456789ab").write_bytes(b"half")
    assert json.loads((out / ".gat-lock").read_text())["pid"] == proc.pid

    code, listed, _ = gat("--format", "json", "runs", "list", tmp_path)
    status = {Path(r["path"]).name: r["status"] for r in json.loads(listed)["runs"]}
    assert code == 0 and status == {"solo": "success", "killed": "interrupted"}

    code, _, err = gat("dist", "hostcap", *args, "-d", out, "--resume")
    assert code == 0, err
    assert f"took over the lock of gat dist hostcap (pid {proc.pid}" in err
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    for rel in OUTPUTS:
        assert (out / rel).read_bytes() == (solo / rel).read_bytes(), rel
    code, listed, _ = gat("--format", "json", "runs", "list", out)
    assert [r["status"] for r in json.loads(listed)["runs"]] == ["success"]


def test_sigterm_marks_the_run_failed_and_frees_the_folder(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    args = (*ARGS, "--block-size", "8")
    out = tmp_path / "termed"
    env = {**os.environ, "GAT_TEST_SHARD_DELAY_S": "1.0"}
    cmd = [sys.executable, "-m", "gat_cli", "dist", "hostcap", *map(str, args), "-d", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _shards(out / "run.json") < 1 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and err.decode().strip() == "gat: terminated"
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "failed" and "SIGTERM" in run["error"] and run["shards"]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    code, _, err = gat("dist", "hostcap", *args, "-d", out, "--resume")
    assert code == 0 and "took over" not in err, err
