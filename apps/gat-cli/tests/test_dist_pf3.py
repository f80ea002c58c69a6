"""``gat dist pf --unbalanced``: IEEE 13 end to end, balanced equality, batches, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
IEEE13 = REPO / "test_data" / "opendss" / "ieee13"


@pytest.fixture()
def ieee13(tmp_path: Path, gat) -> Path:  # type: ignore[no-untyped-def]
    """The IEEE 13-node feeder with the published taps, imported from OpenDSS."""
    out = tmp_path / "ieee13"
    code, _, err = gat(
        "dist", "import", "opendss", "--file", IEEE13 / "IEEE13Nodeckt_fixed_taps.dss", "-d", out
    )
    assert code == 0, err
    return out


def test_ieee13_matches_the_published_voltages(ieee13: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pf3"
    code, stdout, err = gat(
        "dist", "pf", "--grid-file", ieee13, "-d", out, "--unbalanced", "--regulators", "fixed"
    )
    assert code == 0, err
    assert "regulator taps: Reg1 10, Reg2 8, Reg3 11" in stdout
    nodes = pd.read_parquet(out / "pf3_nodes.parquet")
    ref = pd.read_csv(IEEE13 / "ieee13_published_voltages.csv", dtype={"node": str})
    j = ref.assign(node=ref.node.str.lower()).merge(
        nodes.assign(node=nodes.node_id.str.lower()), on=["node", "phase"], how="left"
    )
    assert np.abs(j.vm_pu - j.vmag_pu).max() < 2e-3
    assert np.abs((j.va_deg - j.vang_deg + 180) % 360 - 180).max() < 0.2
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success"
    assert manifest["params"]["unbalanced"] is True
    assert manifest["params"]["regulators"] == "fixed"
    for name in ("pf3_branches", "pf3_regulators", "pf3_summary"):
        assert (out / f"{name}.parquet").is_file()


def test_auto_regulators_and_json_output(ieee13: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "auto"
    code, stdout, err = gat(
        "--format", "json", "dist", "pf", "--grid-file", ieee13, "-d", out, "--unbalanced"
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["summary"][0]["converged"] is True
    # The imported regulators are fixed (ControlMode=OFF): auto leaves them alone.
    assert [r["tap"] for r in doc["regulators"]] == [10, 8, 11]


def test_newton_method_in_three_phase_mode(ieee13: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "nr"
    args = ("--unbalanced", "--regulators", "fixed")
    code, _, err = gat("dist", "pf", "--grid-file", ieee13, "-d", out, "--method", "nr", *args)
    assert code == 0, err
    assert gat("dist", "pf", "--grid-file", ieee13, "-d", tmp_path / "fp", *args)[0] == 0
    summary = pd.read_parquet(out / "pf3_summary.parquet").iloc[0]
    assert summary.method == "newton" and summary.iterations < 8
    a = pd.read_parquet(out / "pf3_nodes.parquet").vm_pu.to_numpy()
    b = pd.read_parquet(tmp_path / "fp" / "pf3_nodes.parquet").vm_pu.to_numpy()
    assert np.abs(a - b).max() < 1e-8


def test_balanced_network_in_three_phase_mode(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    assert (
        gat("dist", "pf", "--grid-file", case33, "-d", tmp_path / "bal", "--tol", "1e-11")[0] == 0
    )
    code, _, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", tmp_path / "u", "--unbalanced", "--tol", "1e-11"
    )
    assert code == 0, err
    bal = pd.read_parquet(tmp_path / "bal" / "pf_nodes.parquet").set_index("node_id")
    three = pd.read_parquet(tmp_path / "u" / "pf3_nodes.parquet")
    a = three[three.phase == "A"].set_index("node_id").loc[bal.index]
    assert np.abs(a.vm_pu - bal.vm_pu).max() < 1e-9


def test_batch_is_partitioned_by_scenario(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    sweep = REPO / "test_data" / "scenarios" / "load_sweep.csv"
    out = tmp_path / "batch"
    code, stdout, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", out, "--unbalanced", "--scenarios", sweep
    )
    assert code == 0, err
    ids = pd.read_csv(sweep, dtype={"scenario_id": str})["scenario_id"].tolist()
    assert sorted(p.name for p in (out / "pf3_nodes").iterdir()) == sorted(
        f"scenario_id={s}" for s in ids
    )
    summary = pd.read_parquet(out / "pf3_summary.parquet")
    assert summary.scenario_id.tolist() == ids and summary.converged.all()
    assert summary.total_load_mw.is_monotonic_increasing
    assert f"scenario {ids[0]}:" in stdout


def test_bad_combinations_and_inputs(case33: Path, tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", tmp_path / "a", "--regulators", "auto"
    )
    assert code == 2 and "--unbalanced" in err
    code, _, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", tmp_path / "b", "--unbalanced", "--method", "dc"
    )
    assert code == 2 and "--method dc" in err
    scen = tmp_path / "p.csv"
    scen.write_text("scenario_id,node_id,load_p\ns1,2,0.1\n")
    out = tmp_path / "c"
    code, _, err = gat(
        "dist", "pf", "--grid-file", case33, "-d", out, "--unbalanced", "--scenarios", scen
    )
    assert code == 1 and "balanced power flow only" in err and "Traceback" not in err
    assert not (out / "pf3_nodes.parquet").exists()


def test_runs_as_a_subprocess(ieee13: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    out = tmp_path / "sub"
    cmd = ["gat", "dist", "pf", "--grid-file", str(ieee13), "-d", str(out), "--unbalanced"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (out / "pf3_summary.parquet").is_file()


def test_ieee13_violations_per_phase_and_transformer_loading(
    ieee13: Path, tmp_path: Path, gat
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pf3"
    args = ("dist", "pf", "--grid-file", ieee13, "--unbalanced", "--regulators", "fixed")
    code, stdout, err = gat(*args, "-d", out)
    assert code == 0, err
    nodes = pd.read_parquet(out / "pf3_nodes.parquet")
    branches = pd.read_parquet(out / "pf3_branches.parquet")
    over = nodes[nodes["vm_pu"] > nodes["v_max"] + 1e-9]
    assert (nodes["violation"] == "over").sum() == len(over) > 0
    worst = over.sort_values("v_violation_pu", ascending=False).iloc[0]
    hot = branches[branches["overloaded"]]
    # XFM1: 500 kVA for 634's 400 kW + 290 kvar, unbalanced; the three lines from 650 to 671
    # carry up to 586 A against OpenDSS's default normamps of 400 A (the line codes give none).
    assert set(hot["branch_id"]) == {"XFM1", "650632", "632670", "670671"}
    lines = branches[branches["branch_id"] == "650632"]
    assert np.allclose(lines["ampacity_a"], 400.0)
    assert np.allclose(lines["loading_pct"], lines[["i_from_a", "i_to_a"]].max(axis=1) / 4.0)
    base_kv = pd.read_parquet(ieee13 / "dist_nodes.parquet").set_index("node_id")["base_kv"]
    x = branches[branches["branch_id"] == "XFM1"]
    frm = pd.read_parquet(ieee13 / "dist_branches.parquet").set_index("branch_id").from_node
    amp = x["rating_mva"].iloc[0] * 1e3 / (len(x) * base_kv[frm["XFM1"]] / np.sqrt(3.0))
    assert np.allclose(x["ampacity_a"], amp)
    pct = branches.loc[branches["branch_id"] == "650632", "loading_pct"].max()
    assert (
        f"{len(over)} above v_max (worst {worst.node_id}.{worst.phase} at {worst.vm_pu:.4f} pu"
        in stdout
    )
    assert f"4 branches over their rating (worst 650632 at {pct:.1f} %" in stdout

    code, stdout, _ = gat("--format", "json", *args, "-d", tmp_path / "j")
    data = json.loads(stdout)
    (v,) = data["violations"]
    assert "scenario_id" not in v and v["nodes_over_v_max"] == len(over)
    assert v["over"][0]["node"] == f"{worst.node_id}.{worst.phase}"
    assert [o["branch_id"] for o in v["overloaded"]] == ["650632", "632670", "670671", "XFM1"]
    assert v["overloaded"][0]["loading_pct"] == pytest.approx(pct)
