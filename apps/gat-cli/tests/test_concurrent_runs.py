"""Two runs into one output folder: the second is refused at once, the first is unharmed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
ARGS = ("--grid-file", str(CASE33), "--load-scale", "1.0", "--steps", "4", "--block-size", "8")
OUTPUTS = ("hostcap_summary.parquet", "hostcap_curves/load_scale=1.0/part-0.parquet")


def _gat(*args: object, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def, type-arg]
    cmd = [sys.executable, "-m", "gat_cli", *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_running(out: Path, proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if json.loads((out / "run.json").read_text())["status"] == "running":
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise AssertionError("the first run did not start")


@pytest.mark.slow  # ~15 s of subprocesses; the fast in-process check is in gat-schemas test_manifest
def test_second_run_is_refused_and_first_equals_a_solo_run(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    solo = tmp_path / "solo"
    assert gat("dist", "hostcap", *ARGS, "--v-max", "1.02", "-d", solo)[0] == 0

    out = tmp_path / "shared"
    env = {**os.environ, "GAT_TEST_SHARD_DELAY_S": "2.5"}
    first = _gat("dist", "hostcap", *ARGS, "--v-max", "1.02", "-d", out, env=env)
    _wait_running(out, first)
    started = time.monotonic()
    second = _gat("dist", "hostcap", *ARGS, "--v-max", "1.03", "-d", out)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1, err
    assert first.poll() is None, "the second run must be refused while the first still runs"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert f"{out} is in use by gat dist hostcap, pid {first.pid}, since " in lines[0]
    assert "wait or choose another folder" in lines[0]
    assert time.monotonic() - started < 30

    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and run["params"]["v_max"] == 1.02
    assert {s["run_id"] for s in run["shards"]} == {run["run_id"]}
    for rel in OUTPUTS:
        assert (out / rel).read_bytes() == (solo / rel).read_bytes(), rel
    assert not (out / ".gat-lock").exists()
