"""``gat adms reconfigure``: outputs, --write-network read back by another command,
scenarios with weights, json, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
EXPECTED = pd.read_csv(REPO / "test_data" / "adms" / "reconfig" / "expected.csv", dtype=str)
ROW = EXPECTED.set_index("case").loc["case33bw"]
OPTIMUM = set(ROW["open_after"].split(";"))
LOSS_BEFORE_KW, LOSS_AFTER_KW = float(ROW["loss_before_kw"]), float(ROW["loss_after_kw"])


def test_help_lists_the_options(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("adms", "reconfigure", "--help")
    assert code == 0
    for opt in (
        "--grid-file",
        "--switchable",
        "--objective",
        "--method",
        "--load-scale",
        "--scenarios",
        "--max-switch-ops",
        "--write-network",
        "-d",
    ):
        assert opt in out


def test_reconfigures_case33bw_and_writes_a_network_other_commands_read(
    tmp_path: Path, gat
) -> None:  # type: ignore[no-untyped-def]
    out, net = tmp_path / "rc", tmp_path / "net"
    code, stdout, err = gat(
        "adms", "reconfigure", "--grid-file", CASE33, "-d", out, "--write-network", net
    )
    assert code == 0, err
    assert f"{LOSS_BEFORE_KW:.2f} -> {LOSS_AFTER_KW:.2f} kW" in stdout
    sw = pd.read_parquet(out / "reconfig_switches.parquet")
    assert set(sw.loc[sw["status_after"] == "open", "branch_id"]) == OPTIMUM
    summary = pd.read_parquet(out / "reconfig_summary.parquet")
    assert summary.iloc[0]["switch_ops"] == 8
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and run["params"]["objective"] == "loss"
    code, stdout, err = gat("dist", "pf", "--grid-file", net, "-d", tmp_path / "pf")
    assert code == 0, err
    pf = pd.read_parquet(tmp_path / "pf" / "pf_summary.parquet").iloc[0]
    assert pf["p_loss_mw"] * 1000 == pytest.approx(LOSS_AFTER_KW, abs=0.01)


@pytest.mark.slow
def test_weighted_scenarios_and_json(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    scen = tmp_path / "scen.csv"
    pd.DataFrame(
        {"scenario_id": ["night", "peak"], "scale": [0.4, 1.0], "weight": [2.0, 1.0]}
    ).to_csv(scen, index=False)
    code, stdout, err = gat(
        "--format",
        "json",
        "adms",
        "reconfigure",
        "--grid-file",
        CASE33,
        "--scenarios",
        scen,
        "--max-switch-ops",
        "2",
        "-d",
        tmp_path / "rc",
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert [r["scenario_id"] for r in doc["summary"]] == ["night", "peak"]
    assert all(r["switch_ops"] <= 2 for r in doc["summary"])


def test_unknown_switchable_branch_is_one_line_exit_1(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    ids = tmp_path / "sw.txt"
    ids.write_text("33\nno_such_branch\n")
    code, _, err = gat(
        "adms", "reconfigure", "--grid-file", CASE33, "--switchable", ids, "-d", tmp_path / "rc"
    )
    assert code == 1
    assert "no_such_branch" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_an_occupied_write_network_folder_is_refused_before_anything_is_written(
    tmp_path: Path,
    gat,  # type: ignore[no-untyped-def]
) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")
    out = tmp_path / "rc"
    code, _, err = gat(
        "adms",
        "reconfigure",
        "--grid-file",
        CASE33,
        "--max-switch-ops",
        "0",
        "-d",
        out,
        "--write-network",
        taken,
    )
    assert code == 1
    assert "--force" in err and len(err.strip().splitlines()) == 1
    assert not (out / "reconfig_summary.parquet").exists()
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]


def test_runs_as_a_subprocess(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gat_cli",
            "adms",
            "reconfigure",
            "--grid-file",
            str(CASE33),
            "--max-switch-ops",
            "0",
            "-d",
            str(tmp_path / "rc"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "no change" in proc.stdout
