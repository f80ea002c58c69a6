"""``gat dist hostcap``: outputs, run.json shards, bad input, and resume after a hard kill."""

from __future__ import annotations

import io
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
CASE33 = REPO / "test_data" / "networks" / "case33bw"
ARGS = ("--v-max", "1.05", "--load-scale", "0.5", "--load-scale", "1.0", "--steps", "4")


def test_help_lists_the_options(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("dist", "hostcap", "--help")
    assert code == 0
    for opt in (
        "--bus",
        "--max-injection",
        "--steps",
        "--pf",
        "--load-scale",
        "--v-max",
        "--check",
        "--method",
        "--executor",
        "--workers",
        "--scheduler",
        "--resume",
    ):
        assert opt in out


def test_hostcap_writes_summary_curves_and_shards(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "hc"
    code, stdout, err = gat("dist", "hostcap", "--grid-file", CASE33, "-d", out, *ARGS)
    assert code == 0, err
    s = pd.read_parquet(out / "hostcap_summary.parquet")
    assert list(s.columns) == [
        "bus_id",
        "phase",
        "load_scale",
        "hosting_capacity_mw",
        "limiting_constraint",
        "limiting_element",
        "vm_max_pu_at_hc",
        "loading_max_pct_at_hc",
    ]
    assert len(s) == 64 and s["load_scale"].unique().tolist() == [0.5, 1.0]
    row = s[(s.bus_id == "18") & (s.load_scale == 1.0)].iloc[0]
    assert row["limiting_constraint"] == "voltage" and row["limiting_element"] == "18"
    assert sorted(p.name for p in (out / "hostcap_curves").iterdir()) == [
        "load_scale=0.5",
        "load_scale=1.0",
    ]
    part = pd.read_parquet(out / "hostcap_curves" / "load_scale=1.0" / "part-0.parquet")
    assert list(part.columns) == [
        "bus_id",
        "phase",
        "step",
        "injection_mw",
        "vm_max_pu",
        "loading_max_pct",
        "feasible",
    ]
    assert len(part) == 32 * 4
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success"
    assert run["params"]["checks"] == ["voltage", "thermal", "unbalance"]
    assert [sh["id"] for sh in run["shards"]] == ["ls0-b0", "ls1-b0"]
    assert all(sh["status"] == "success" for sh in run["shards"])
    assert "lowest at 18 (voltage at 18)" in stdout
    capped = int((s["limiting_constraint"] == "search_cap").sum())
    assert (
        capped > 0
        and (s.loc[s.limiting_constraint == "search_cap", "hosting_capacity_mw"] == 10).all()
    )
    assert f"note: {capped} of 64 results reached the search cap (10 MW)" in stdout
    assert stdout.count("warning: no branch has a thermal_limit") == 1  # once, not per level


def test_json_summary(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, stdout, err = gat(
        "--format",
        "json",
        "dist",
        "hostcap",
        "--grid-file",
        CASE33,
        "-d",
        tmp_path / "j",
        "--bus",
        "18",
        "--bus",
        "33",
        "--v-max",
        "1.05",
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert data["load_scales"][0]["nodes"] == 2
    assert data["load_scales"][0]["limiting"] == {"voltage": 2}
    assert data["search_cap_results"] == 0
    assert len(data["warnings"]) == 1 and "thermal_limit" in data["warnings"][0]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--bus", "nope"), 1, "node_id has no nope"),
        (("--bus", "1"), 1, "slack nodes cannot be candidates"),
        (("--pf", "1.5"), 2, "Invalid value for '--pf'"),
        (("--check", "current"), 2, "choose from voltage, thermal, reverse-flow"),
        (("--scheduler", "tcp://127.0.0.1:9"), 1, "needs the dask executor"),
    ],
)
def test_bad_input(tmp_path: Path, gat, args, code, message) -> None:  # type: ignore[no-untyped-def]
    got, _, err = gat("dist", "hostcap", "--grid-file", CASE33, "-d", tmp_path / "x", *args)
    assert got == code and message in err


def test_resume_refuses_other_parameters(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "hc"
    assert gat("dist", "hostcap", "--grid-file", CASE33, "-d", out, "--bus", "18")[0] == 0
    code, _, err = gat(
        "dist",
        "hostcap",
        "--grid-file",
        CASE33,
        "-d",
        out,
        "--bus",
        "18",
        "--v-max",
        "1.0",
        "--resume",
    )
    assert code == 1 and "parameters differ from the recorded run: v_max" in err
    code, _, err = gat("dist", "hostcap", "--grid-file", CASE33, "-d", tmp_path / "new", "--resume")
    assert code == 1 and "no run.json to resume" in err


def _shards_recorded(run_json: Path) -> int:
    try:
        return len(json.loads(run_json.read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_run_resumes_to_identical_outputs(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    args = ("--grid-file", CASE33, *ARGS, "--block-size", "8")  # 2 load levels x 4 blocks
    whole = tmp_path / "whole"
    assert gat("dist", "hostcap", *args, "-d", whole)[0] == 0

    out = tmp_path / "killed"
    env = {**os.environ, "GAT_TEST_SHARD_DELAY_S": "0.25"}
    cmd = [sys.executable, "-m", "gat_cli", "dist", "hostcap", *map(str, args), "-d", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _shards_recorded(out / "run.json") < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()  # type: ignore[union-attr]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "running" and 3 <= len(run["shards"]) < 8
    assert not (out / "hostcap_summary.parquet").exists()
    done = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "_shards").rglob("*.parquet")
    }

    code, _, err = gat("dist", "hostcap", *args, "-d", out, "--resume")
    assert code == 0, err
    for p, stamp in done.items():  # finished shards were not recomputed
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and len(run["shards"]) == 8
    for rel in (
        "hostcap_summary.parquet",
        "hostcap_curves/load_scale=0.5/part-0.parquet",
        "hostcap_curves/load_scale=1.0/part-0.parquet",
    ):
        assert (out / rel).read_bytes() == (whole / rel).read_bytes(), rel


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    from gat_cli.progress import progress_bar

    piped = io.StringIO()
    with progress_bar("work", stream=piped) as update:
        for k in range(4):
            update(k, 3)
    assert piped.getvalue() == ""
    term = _Terminal()
    with progress_bar("work", stream=term) as update:
        for k in range(4):
            update(k, 3)
    assert "work" in term.getvalue()


def test_three_phase_options_are_refused_on_a_balanced_network(tmp_path: Path, gat, case33) -> None:  # type: ignore[no-untyped-def]
    """--phase-mode each and --vuf-max would be ignored on case33bw (balanced): refused,
    one line naming them, exit 1."""
    for extra in (["--phase-mode", "each"], ["--vuf-max", "2"]):
        code, _, err = gat("dist", "hostcap", "--grid-file", case33, "-d", tmp_path / "o", *extra)
        assert code == 1
        assert f"{extra[0]}" in err and "case33bw is balanced" in err
        assert "Traceback" not in err
