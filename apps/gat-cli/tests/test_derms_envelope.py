"""``gat derms envelope``: outputs, run.json, bad input, JSON summary, a real subprocess."""

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
NET = DERMS / "case33bw"
ASSETS = DERMS / "der_assets.csv"

pytestmark = pytest.mark.solver


def test_help(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("derms", "envelope", "--help")
    assert code == 0 and "--group-by" in out and "--directions" in out
    code, out, _ = gat("derms", "--help")
    assert code == 0 and "envelope" in out


def test_agg_envelopes_written_with_run_json(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "env"
    code, stdout, err = gat("derms", "envelope", "--grid-file", NET, "--assets", ASSETS,
                            "-d", out, "--directions", "16")  # fmt: skip
    assert code == 0, err
    summary = pd.read_parquet(out / "der_envelope_summary.parquet")
    env = pd.read_parquet(out / "der_envelopes.parquet")
    sp = pd.read_parquet(out / "der_envelope_setpoints.parquet")
    assert summary["group_id"].tolist() == ["agg_north", "agg_south"]
    assert summary["ac_verified"].all() and env["ac_verified"].all()
    assert summary["vertex_count"].sum() == len(env)
    assert set(sp["group_id"]) == {"agg_north", "agg_south"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success" and manifest["command"] == "derms envelope"
    params = manifest["params"]
    assert params["group_by"] == "agg_id" and params["directions"] == 16
    assert params["model"] == "socp" and "nearest 0" in params["outside_group"]
    # The values behind that rule: only fl_cold's box excludes 0 (it consumes >= 0.02 MW).
    assert params["outside_group_setpoints"] == {"fl_cold": {"p_mw": -0.02, "q_mvar": 0.0}}
    assert params["held_limits"] == []
    assert {o["path"] for o in manifest["outputs"]} == {
        "der_envelopes.parquet", "der_envelope_summary.parquet", "der_envelope_setpoints.parquet"
    }  # fmt: skip
    assert "2 envelopes of 13 assets" in stdout and "AC ok" in stdout


def test_bad_assets_one_line_exit_1_nothing_written(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(ASSETS, dtype={"asset_id": str, "bus_id": str})
    df.loc[df["asset_id"] == "pv22", "bus_id"] = "999"
    df.loc[df["asset_id"] == "bat30", "p_min"] = 0.9
    bad = tmp_path / "der.csv"
    df.to_csv(bad, index=False)
    out = tmp_path / "env"
    code, stdout, err = gat("derms", "envelope", "--grid-file", NET, "--assets", bad, "-d", out)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0]
    assert "bus_id rows [pv22]" in lines[0] and "p_min rows [bat30]" in lines[0]
    assert "Traceback" not in err + stdout
    assert not (out / "der_envelopes.parquet").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


def test_missing_group_column_and_bad_directions(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(ASSETS, dtype={"asset_id": str, "bus_id": str}).assign(agg_id=None)
    none = tmp_path / "none.csv"
    df.to_csv(none, index=False)
    code, _, err = gat("derms", "envelope", "--grid-file", NET, "--assets", none,
                       "-d", tmp_path / "a")  # fmt: skip
    assert code == 1 and "no asset has an agg_id" in err and len(err.strip().splitlines()) == 1
    code, _, err = gat("derms", "envelope", "--grid-file", NET, "--assets", ASSETS,
                       "-d", tmp_path / "b", "--directions", "2")  # fmt: skip
    assert code == 2 and "--directions" in err
    # No --assets and no der_assets table in the network folder.
    code, _, err = gat("derms", "envelope", "--grid-file", NET, "-d", tmp_path / "c")
    assert code == 1 and "no der_assets table; pass --assets FILE" in err


def test_an_asset_table_without_rows(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    # A header and no row: say so, not that every column "has dtype object".
    empty = tmp_path / "empty.csv"
    empty.write_text(ASSETS.read_text().splitlines()[0] + "\n")
    out = tmp_path / "e"
    code, stdout, err = gat("derms", "envelope", "--grid-file", NET, "--assets", empty, "-d", out)
    assert code == 1 and "Traceback" not in err + stdout
    (line,) = err.strip().splitlines()
    assert str(empty) in line and "der_assets has no rows" in line and "dtype" not in line
    assert not (out / "der_envelopes.parquet").exists()


def test_json_summary(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat(
        "--format", "json", "derms", "envelope", "--grid-file", NET, "--assets", ASSETS,
        "-d", tmp_path / "j", "--group-by", "feeder", "--model", "lindistflow",
        "--directions", "8",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["group_by"] == "feeder" and report["model"] == "lindistflow"
    assert report["held_limits"] == []
    (group,) = report["groups"]
    assert group["group_id"] == "case33bw" and group["asset_count"] == 13
    assert group["p_min_mw"] < group["p_max_mw"] and group["area_mva2"] > 0
    # LinDistFlow breaks a thermal limit in AC until the correction tightens it.
    assert group["ac_verified"] and group["ac_corrections"] >= 1


def test_runs_as_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["gat", "derms", "envelope", "--grid-file", str(NET), "--assets", str(ASSETS),
         "-d", str(tmp_path / "o"), "--group-by", "bus_id", "--directions", "8",
         "--model", "lindistflow", "--no-network-limits"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    s = pd.read_parquet(tmp_path / "o" / "der_envelope_summary.parquet").set_index("group_id")
    # Without network limits, the battery at node 30 spans its own box.
    assert s.loc["30", "p_max_mw"] == pytest.approx(0.4, abs=1e-6)
    assert s.loc["30", "q_min_mvar"] == pytest.approx(-0.3, abs=1e-6)
    assert "network limits off" in proc.stdout


def test_broken_limits_are_held_and_said(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat("derms", "envelope", "--grid-file", NET, "--assets", ASSETS,
                         "-d", tmp_path / "h", "--v-min", "0.92", "--model", "lindistflow",
                         "--directions", "4", "--group-by", "feeder")  # fmt: skip
    assert code == 0, err
    assert "held at their base value + tolerance: v_min" in out and "0.92 -> 0.91" in out
    params = json.loads((tmp_path / "h" / "run.json").read_text())["params"]
    assert params["v_min"] == 0.92 and "base-case" in params["broken_limits"]
    held = {h["element"]: h for h in params["held_limits"]}
    assert {"18", "33"} <= set(held) and {h["limit"] for h in held.values()} == {"v_min"}
    assert held["18"]["value"] == 0.92 and 0.9 < held["18"]["held_at"] < 0.92
