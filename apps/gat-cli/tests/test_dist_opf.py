"""``gat dist opf``: outputs, run.json, exit codes, asset files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
NETWORKS = REPO / "test_data" / "networks"
ASSETS = REPO / "test_data" / "assets"
REFERENCE = REPO / "packages" / "gat-dist" / "tests" / "data" / "opf" / "reference.csv"

pytestmark = pytest.mark.solver


def _ref(quantity: str) -> tuple[float, float]:
    ref = pd.read_csv(REFERENCE)
    row = ref[(ref["case"] == "case33bw") & (ref["quantity"] == quantity)].iloc[0]
    return float(row["value"]), float(row["abs_tol"])


def test_help(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("dist", "opf", "--help")
    assert code == 0 and "--formulation" in out and "--objective" in out
    code, out, _ = gat("dist", "--help")
    assert code == 0 and "opf" in out


def test_socp_loss_reproduces_published_losses(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "opf"
    code, stdout, err = gat("dist", "opf", "--grid-file", NETWORKS / "case33bw", "-d", out)
    assert code == 0, err
    s = pd.read_parquet(out / "opf_summary.parquet").iloc[0]
    loss, tol = _ref("p_loss_mw")
    assert s["p_loss_mw"] == pytest.approx(loss, abs=tol)
    assert s["relaxation_gap_pu"] < _ref("relaxation_gap_pu")[1]
    assert s["ac_vm_violation_pu"] == 0 and s["build_s"] > 0 and s["solve_s"] > 0
    for name, rows in (("opf_nodes", 33), ("opf_branches", 32), ("opf_der", 0)):
        assert len(pd.read_parquet(out / f"{name}.parquet")) == rows
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success" and manifest["params"]["formulation"] == "socp"
    assert "202.677 kW" in stdout


def test_cost_with_shipped_assets(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cost"
    code, _, err = gat(
        "dist", "opf", "--grid-file", NETWORKS / "case33bw", "-d", out,
        "--assets", ASSETS / "case33bw_der.csv",
        "--cost-curves", ASSETS / "case33bw_cost_curves.csv",
        "--objective", "cost", "--import-price", "50",
    )  # fmt: skip
    assert code == 0, err
    der = pd.read_parquet(out / "opf_der.parquet").set_index("asset_id")
    assert list(der.index) == ["pv18", "bat25", "pv33"]
    assert der.loc["bat25", "p_mw"] == pytest.approx(0.4, abs=1e-6)
    manifest = json.loads((out / "run.json").read_text())
    assert len(manifest["inputs"]) == 3


def test_json_output(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat(
        "--format", "json", "dist", "opf", "--grid-file", NETWORKS / "case33bw",
        "-d", tmp_path / "j", "--formulation", "lindistflow",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["formulation"] == "lindistflow" and 0 < summary["vm_error_max_pu"] < 0.01


def test_dc_on_meshed_case9(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "dc"
    code, _, err = gat("dist", "opf", "--grid-file", NETWORKS / "case9", "-d", out,
                       "--formulation", "dc")  # fmt: skip
    assert code == 0, err
    code, _, err = gat("dist", "opf", "--grid-file", NETWORKS / "case9", "-d", tmp_path / "s")
    assert code == 1 and "radial" in err


def test_infeasible_exits_3_naming_the_family(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "inf"
    code, _, err = gat(
        "dist", "opf", "--grid-file", NETWORKS / "case33bw", "-d", out, "--v-min", "0.95"
    )
    assert code == 3
    assert "infeasible" in err and "voltage limits" in err and "node 18" in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "failed"
    assert not list(out.glob("opf_*.parquet"))


def test_bad_assets_file(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "der.csv"
    frame = pd.read_csv(ASSETS / "case33bw_der.csv", dtype=str)
    frame.loc[0, "bus_id"] = "999"
    frame.to_csv(bad, index=False)
    code, _, err = gat("dist", "opf", "--grid-file", NETWORKS / "case33bw", "-d", tmp_path / "o",
                       "--assets", bad)  # fmt: skip
    assert code == 1 and "999" in err
    txt = tmp_path / "der.txt"
    txt.write_text("x")
    code, _, err = gat("dist", "opf", "--grid-file", NETWORKS / "case33bw", "-d", tmp_path / "p",
                       "--assets", txt)  # fmt: skip
    assert code == 1 and ".parquet or .csv" in err


def test_runs_as_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["gat", "dist", "opf", "--grid-file", str(NETWORKS / "case33bw"), "-d", str(tmp_path / "o"),
         "--assets", str(ASSETS / "case33bw_der.csv"), "--objective", "curtailment",
         "--v-max", "1.0"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    s = pd.read_parquet(tmp_path / "o" / "opf_summary.parquet").iloc[0]
    assert s["ac_vm_max_pu"] <= 1.0 + 1e-6


def test_json_on_stdout_is_not_corrupted_by_the_solver(tmp_path: Path) -> None:
    # HiGHS writes warnings from C straight to file descriptor 1 (so only a real process
    # shows them): on case141 a seed cut with a zero coefficient did, before any solve.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["gat", "--format", "json", "dist", "opf", "--grid-file", str(NETWORKS / "case141"),
         "-d", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["status"] == "optimal"
