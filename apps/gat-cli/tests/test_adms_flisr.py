"""``gat adms flisr-sim``: outputs, the hand-worked indices, scenarios, json, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
ADMS = REPO / "test_data" / "adms"
TIE = (
    "--grid-file",
    ADMS / "feeder4_tie",
    "--reliability",
    ADMS / "feeder4_reliability.csv",
    "--switches",
    ADMS / "feeder4_tie_switching_devices.csv",
)
CASE33 = (
    "--grid-file",
    ADMS / "case33bw",
    "--reliability",
    ADMS / "case33bw_reliability.csv",
    "--switches",
    ADMS / "case33bw_switching_devices.csv",
)


def test_help_lists_the_options(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("adms", "flisr-sim", "--help")
    assert code == 0
    for opt in ("--grid-file", "--reliability", "--switches", "--scenarios", "--restore", "-d"):
        assert opt in out


def test_writes_the_three_tables_with_the_hand_worked_indices(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "flisr"
    code, stdout, err = gat("adms", "flisr-sim", *TIE, "-d", out)
    assert code == 0, err
    runs = pd.read_parquet(out / "flisr_runs.parquet")
    assert len(runs) == 8 and runs["ac_check_ok"].all()
    points = pd.read_parquet(out / "load_point_indices.parquet")
    assert list(points["node_id"]) == ["A", "B", "C", "D"]
    system = pd.read_parquet(out / "reliability_indices.parquet").iloc[0]
    want = pd.read_csv(ADMS / "feeder4_expected_system.csv").set_index("case").loc["tie"]
    for col in ("SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS"):
        assert system[col] == pytest.approx(want[col], rel=1e-6)
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and run["command"] == "adms flisr-sim"
    assert run["params"]["restore"] == "milp" and len(run["inputs"]) == 3
    assert f"SAIFI {want['SAIFI']:.4f} /yr, SAIDI {want['SAIDI']:.4f} h/yr" in stdout


def test_scenario_file_and_json_summary(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "scen"
    scen = ADMS / "case33bw_outage_scenarios.csv"
    code, stdout, err = gat(
        "--format", "json", "adms", "flisr-sim", *CASE33, "-d", out, "--scenarios", scen
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["faults"] == 3 and summary["ac_check_failed"] == []
    runs = pd.read_parquet(out / "flisr_runs.parquet")
    assert runs["scenario_id"].tolist() == ["storm-7", "dig-in-26", "lateral-19"]


def test_restore_none_is_worse_than_milp(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    saidi = {}
    for mode in ("milp", "none"):
        out = tmp_path / mode
        code, _, err = gat("adms", "flisr-sim", *TIE, "-d", out, "--restore", mode)
        assert code == 0, err
        saidi[mode] = pd.read_parquet(out / "reliability_indices.parquet")["SAIDI"].iloc[0]
    # Without transfer the tie changes nothing: the radial feeder's hand-worked SAIDI.
    want = pd.read_csv(ADMS / "feeder4_expected_system.csv").set_index("case")["SAIDI"]
    assert saidi["none"] == pytest.approx(want["radial"], rel=1e-6)
    assert saidi["milp"] == pytest.approx(want["tie"], rel=1e-6)


def test_bad_reliability_table_exits_1_and_writes_nothing(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "rel.csv"
    text = (ADMS / "feeder4_reliability.csv").read_text().replace("Lb,branch", "Lz,branch")
    bad.write_text(text)
    out = tmp_path / "out"
    args = list(TIE)
    args[args.index("--reliability") + 1] = bad
    code, _, err = gat("adms", "flisr-sim", *args, "-d", out)
    assert code == 1
    line = err.strip()
    assert "\n" not in line and "Traceback" not in line
    assert str(bad) in line and "reliability.element_id" in line and "Lz" in line
    assert not (out / "flisr_runs.parquet").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


def test_missing_tables_and_bad_faults_argument(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("adms", "flisr-sim", "--grid-file", ADMS / "feeder4", "-d", tmp_path / "o")
    assert code == 1 and "no reliability table" in err
    code, _, err = gat("adms", "flisr-sim", *TIE, "-d", tmp_path / "p", "--scenarios", "some")
    assert code == 2 and "--scenarios" in err


def test_runs_as_a_real_subprocess(tmp_path: Path) -> None:
    exe = shutil.which("gat", path=str(Path(sys.executable).parent))
    assert exe is not None
    cmd = [exe, "adms", "flisr-sim", *map(str, TIE), "-d", str(tmp_path / "sp")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "8 faults simulated" in proc.stdout
