"""``gat derms stress-test``: outputs, byte-identical reruns, resume after a kill, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "packages" / "gat-derms" / "tests" / "data" / "schedule"
CASE33 = REPO / "test_data" / "networks" / "case33bw"
ARGS = (
    "--grid-file", CASE33, "--assets", DATA / "portfolio.csv",
    "--price-series", DATA / "prices_arbitrage.csv", "--pv-series", DATA / "pv_day.csv",
)  # fmt: skip
OUTPUTS = ("derms_stress_scenarios.parquet", "derms_stress_summary.parquet")

pytestmark = pytest.mark.solver


def test_help(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("derms", "stress-test", "--help")
    assert code == 0
    for opt in ("--samples", "--seed", "--scenarios", "--executor", "--resume", "--block-size"):
        assert opt in out


def test_same_seed_byte_identical(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        code, stdout, err = gat("derms", "stress-test", *ARGS, "-d", out,
                                "--samples", "4", "--seed", "3", "--block-size", "2")  # fmt: skip
        assert code == 0, err
        runs.append(out)
    for rel in OUTPUTS:
        assert (runs[0] / rel).read_bytes() == (runs[1] / rel).read_bytes(), rel
    scen = pd.read_parquet(runs[0] / OUTPUTS[0])
    summary = pd.read_parquet(runs[0] / OUTPUTS[1])
    assert scen["scenario_id"].tolist() == ["s0", "s1", "s2", "s3"]
    assert "p05" in summary.columns and len(summary) == 7
    manifest = json.loads((runs[0] / "run.json").read_text())
    assert manifest["seed"] == 3 and [s["id"] for s in manifest["shards"]] == [
        "block0000",
        "block0001",
    ]
    assert "4 scenarios; p05 / p50 / p95:" in stdout


def test_spec_and_json(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, stdout, err = gat("--format", "json", "derms", "stress-test", *ARGS,
                            "-d", tmp_path / "s", "--scenarios", DATA / "spec.csv")  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    assert data["scenarios"] == 4
    assert [r["metric"] for r in data["summary"]] == [
        "cost", "curtailed_mwh", "undelivered_mwh", "ac_voltage_violations",
        "ac_thermal_violations", "worst_v_violation_pu", "worst_loading_pct",
    ]  # fmt: skip


def test_bad_spec_one_line(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.csv"
    spec.write_text("scenario_id,load_factor\nx,1.0\nx,-2\n")
    code, stdout, err = gat(
        "derms", "stress-test", *ARGS, "-d", tmp_path / "o", "--scenarios", spec
    )
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and str(spec) in err
    assert "load_factor" in err and "Traceback" not in err + stdout


def _shards_recorded(run_json: Path) -> int:
    try:
        return len(json.loads(run_json.read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_run_resumes_to_identical_outputs(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    args = (*ARGS, "--samples", "6", "--seed", "9", "--block-size", "1")
    whole = tmp_path / "whole"
    assert gat("derms", "stress-test", *args, "-d", whole)[0] == 0

    out = tmp_path / "killed"
    env = {**os.environ, "GAT_TEST_SHARD_DELAY_S": "0.5", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "gat_cli", "derms", "stress-test", *map(str, args), "-d", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _shards_recorded(out / "run.json") < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()  # type: ignore[union-attr]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "running" and 2 <= len(run["shards"]) < 6
    assert not (out / OUTPUTS[0]).exists()
    done = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "_shards").rglob("*.parquet")
    }

    code, _, err = gat("derms", "stress-test", *args, "-d", out, "--resume")
    assert code == 0, err
    for p, stamp in done.items():  # finished shards were not recomputed
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and len(run["shards"]) == 6
    for rel in OUTPUTS:
        assert (out / rel).read_bytes() == (whole / rel).read_bytes(), rel

    code, _, err = gat("derms", "stress-test", *args, "-d", out, "--seed", "10", "--resume")
    assert code == 1 and "parameters differ from the recorded run: seed" in err
