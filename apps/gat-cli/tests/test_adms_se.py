"""``gat adms make-measurements`` and ``gat adms state-estimation``: outputs, bad data, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
NET = REPO / "test_data" / "networks" / "case33bw"
SENSORS = (
    "--voltages",
    "1,6,12,18,25,30,33",
    "--flows",
    "1,2,5,10,18,22,25,30",
    "--injections",
    "3,8,14,20,28",
    "--pseudo-pct",
    "30",
)


def test_help_lists_the_options(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("adms", "state-estimation", "--help")
    assert code == 0
    for opt in (
        "--grid-file",
        "--measurements",
        "--alpha",
        "--lnr-threshold",
        "--max-removals",
        "--pseudo-from-loads",
        "-d, --out-dir",
    ):
        assert opt in out
    code, out, _ = gat("adms", "make-measurements", "--help")
    assert code == 0 and "--gross-errors" in out and "--seed" in out


def test_planted_bad_measurement_is_found(gat, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meas = tmp_path / "meas"
    code, out, err = gat(
        "adms",
        "make-measurements",
        "--grid-file",
        NET,
        "-d",
        meas,
        *SENSORS,
        "--gross-errors",
        "1",
        "--seed",
        "3",
    )
    assert code == 0, err
    assert "gross errors planted: p_flow:2" in out
    code, out, err = gat(
        "adms",
        "state-estimation",
        "--grid-file",
        NET,
        "--measurements",
        meas / "measurements.parquet",
        "-d",
        tmp_path / "est",
    )
    assert code == 0, err
    assert "removed p_flow:2" in out
    est = tmp_path / "est"
    for name in ("se_nodes", "se_branches", "se_measurements", "se_summary"):
        assert (est / f"{name}.parquet").is_file()
    summary = pd.read_parquet(est / "se_summary.parquet")
    assert summary["removed_ids"].iat[0] == "p_flow:2"
    run = json.loads((est / "run.json").read_text())
    assert run["status"] == "success" and run["params"]["lnr_threshold"] == 3.0
    nodes = pd.read_parquet(est / "se_nodes.parquet")
    assert len(nodes) == 33 and nodes["vm_std_pu"].notna().all()


def test_unobservable_network_is_one_line_exit_1(gat, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meas = tmp_path / "meas"
    code, _, err = gat(
        "adms",
        "make-measurements",
        "--grid-file",
        NET,
        "-d",
        meas,
        "--voltages",
        "1",
        "--flows",
        "1",
        "--no-pseudo",
    )
    assert code == 0, err
    args = [
        "adms",
        "state-estimation",
        "--grid-file",
        str(NET),
        "--measurements",
        str(meas / "measurements.parquet"),
        "-d",
        str(tmp_path / "est"),
    ]
    # Once as a real process: exit status and the one line on stderr.
    done = subprocess.run(
        [sys.executable, "-m", "gat_cli", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "31 node(s) unobservable: 3, 4, 5" in lines[0]
    assert "Traceback" not in done.stderr
    code, out, err = gat(*args, "--pseudo-from-loads", "30")
    assert code == 0, err
    assert "(64 pseudo)" in out


def test_bad_measurement_table_names_rows(gat, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "m.csv"
    bad.write_text(
        "measurement_id,kind,element_id,value,sigma\na,v_mag,1,1.0,0.01\nb,p_flow,nope,1.0,0.01\n"
    )
    code, _, err = gat(
        "adms",
        "state-estimation",
        "--grid-file",
        NET,
        "--measurements",
        bad,
        "-d",
        tmp_path / "est",
    )
    assert code == 1
    assert "element not in the network" in err and "rows b" in err
    bad.write_text("measurement_id,kind,element_id,value,sigma\na,volts,1,1.0,-1\n")
    code, _, err = gat(
        "adms",
        "state-estimation",
        "--grid-file",
        NET,
        "--measurements",
        bad,
        "-d",
        tmp_path / "est",
    )
    assert code == 1 and "kind" in err and "sigma" in err


def test_then_opf_runs_the_opf_on_the_estimated_state(gat, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meas = tmp_path / "meas"
    code, _, err = gat("adms", "make-measurements", "--grid-file", NET, "-d", meas, *SENSORS)
    assert code == 0, err
    est = tmp_path / "est"
    code, out, err = gat(
        "adms",
        "state-estimation",
        "--grid-file",
        NET,
        "--measurements",
        meas / "measurements.parquet",
        "-d",
        est,
        "--then-opf",
    )
    assert code == 0, err
    assert "then OPF (socp, loss) on the estimated state: optimal" in out
    opf = pd.read_parquet(est / "opf" / "opf_summary.parquet")
    nodes = pd.read_parquet(est / "se_nodes.parquet")
    # The OPF's import covers the estimated loads: the estimated slack injection less losses.
    slack_p = nodes.loc[nodes["node_id"] == "1", "p_mw"].iat[0]
    load = -nodes.loc[nodes["node_id"] != "1", "p_mw"].sum()
    assert opf["import_mw"].iat[0] == pytest.approx(load + opf["p_loss_mw"].iat[0], rel=1e-6)
    assert opf["import_mw"].iat[0] == pytest.approx(slack_p, rel=0.02)


def test_unconverged_snapshots_are_named(gat, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A batch whose snapshots do not converge names them (never only a count)."""
    import gat_adms.se._api as api
    from gat_adms.se._wls import WlsOptions

    meas = tmp_path / "meas"
    code, _, err = gat(
        "adms", "make-measurements", "--grid-file", NET, "-d", meas, *SENSORS,
        "--load-scale", "0.9,1.1",
    )  # fmt: skip
    assert code == 0, err
    # One iteration to an unreachable tolerance: nothing converges.
    monkeypatch.setattr(api, "WlsOptions", lambda **kw: WlsOptions(tol=1e-300, max_iter=1))
    code, out, err = gat(
        "adms", "state-estimation", "--grid-file", NET,
        "--measurements", meas / "measurements.parquet", "-d", tmp_path / "se",
        "--max-removals", "0",
    )  # fmt: skip
    assert code == 0, err
    assert "converged 0," in out
    assert "NOT converged (no estimate; their rows in se_nodes are the last iterate): 0, 1" in out
