"""``gat derms schedule``: outputs, run.json, bad input, JSON summary, a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
DERMS = REPO / "test_data" / "derms"
DATA = REPO / "packages" / "gat-derms" / "tests" / "data" / "schedule"
CASE33 = REPO / "test_data" / "networks" / "case33bw"
DAY = (
    "--grid-file", DERMS / "case33bw", "--assets", DERMS / "der_assets.csv",
    "--price-series", DERMS / "prices.csv", "--load-series", DERMS / "loads.csv",
    "--pv-series", DERMS / "pv.csv",
)  # fmt: skip
SMALL = (
    "--grid-file", CASE33, "--assets", DATA / "battery.csv",
    "--price-series", DATA / "prices_arbitrage.csv",
)  # fmt: skip

pytestmark = pytest.mark.solver


def test_help(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("derms", "schedule", "--help")
    assert code == 0
    for opt in ("--price-series", "--load-series", "--pv-series", "--objective", "--dt-hours"):
        assert opt in out


def test_shipped_day(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sched"
    code, stdout, err = gat("derms", "schedule", *DAY, "-d", out)
    assert code == 0, err
    sched = pd.read_parquet(out / "schedule.parquet")
    net = pd.read_parquet(out / "schedule_network.parquet")
    summary = pd.read_parquet(out / "schedule_summary.parquet")
    assert len(sched) == 96 * 13 and len(net) == 96 and len(summary) == 1
    assert str(net["timestamp"].iloc[0]) == "2026-07-01 00:00:00+02:00"
    assert summary["ac_voltage_violations"].iloc[0] == 0
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success" and manifest["command"] == "derms schedule"
    assert manifest["params"]["objective"] == "cost"
    assert len(manifest["inputs"]) == 5
    assert {o["path"] for o in manifest["outputs"]} == {
        "schedule.parquet", "schedule_network.parquet", "schedule_summary.parquet"
    }  # fmt: skip
    assert "case33bw: 13 assets, 96 periods of 0.25 h" in stdout
    assert "violations: voltage 0" in stdout


def test_json_summary(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, stdout, err = gat("--format", "json", "derms", "schedule", *SMALL,
                            "-d", tmp_path / "j", "--objective", "curtailment")  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    assert data["summary"]["objective"] == "curtailment" and data["summary"]["periods"] == 24


def test_naive_timestamps_one_line_exit_1(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    prices = pd.read_csv(DATA / "prices_arbitrage.csv")
    prices["timestamp"] = prices["timestamp"].str.slice(0, 19)
    bad = tmp_path / "naive.csv"
    prices.to_csv(bad, index=False)
    out = tmp_path / "s"
    code, stdout, err = gat("derms", "schedule", "--grid-file", CASE33, "--assets",
                            DATA / "battery.csv", "--price-series", bad, "-d", out)  # fmt: skip
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "has no timezone" in lines[0]
    assert "Traceback" not in err + stdout
    assert not (out / "schedule.parquet").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


def test_unknown_node_in_load_series(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    loads = pd.read_csv(DERMS / "loads.csv", dtype={"node_id": str})
    loads.loc[loads["node_id"] == "7", "node_id"] = "77"
    bad = tmp_path / "loads.csv"
    loads.to_csv(bad, index=False)
    args = [a if a != DERMS / "loads.csv" else bad for a in DAY]
    code, _, err = gat("derms", "schedule", *args, "-d", tmp_path / "s")
    assert code == 1
    assert f"{bad}: table load_series, column node_id: unknown node(s) 77" in err
    assert len(err.strip().splitlines()) == 1


def test_real_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "sub"
    cmd = [sys.executable, "-m", "gat_cli", "derms", "schedule", *map(str, SMALL), "-d", str(out)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("case33bw: 1 assets, 24 periods of 1 h")
    assert "HiGHS" not in proc.stdout + proc.stderr  # the library prints nothing
    assert (out / "schedule.parquet").is_file()
