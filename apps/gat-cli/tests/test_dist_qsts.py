"""``gat dist qsts``: outputs, summary, resume by blocks, bad input, and a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
IEEE13_PV = REPO / "test_data" / "qsts" / "ieee13_pv_daily.dss"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


@pytest.fixture(scope="module")
def ieee13_pv(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The IEEE 13 daily PV case imported once for the module."""
    from gat_cli.main import run

    out = tmp_path_factory.mktemp("net") / "ieee13pv"
    assert run(["dist", "import", "opendss", "--file", str(IEEE13_PV), "-d", str(out)]) == 0
    return out


def test_help_lists_the_options(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("dist", "qsts", "--help")
    assert code == 0
    for opt in ("--mode", "--load-shapes", "--start", "--steps", "--step", "--control-mode"):
        assert opt in out
    for opt in ("--max-tap-change", "--save-voltages", "--resume", "--block-steps"):
        assert opt in out


def test_daily_run_writes_the_tables(tmp_path: Path, gat, ieee13_pv) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "q"
    code, stdout, err = gat("dist", "qsts", "--grid-file", ieee13_pv, "-d", out, "--save-voltages")
    assert code == 0, err
    steps = pd.read_parquet(out / "qsts_steps.parquet")
    assert len(steps) == 24 and steps["converged"].all()
    assert steps["time_h"].tolist() == [float(h) for h in range(1, 25)]
    assert steps.loc[12, "head_p_mw"] < 0 < steps.loc[0, "head_p_mw"]  # PV at noon
    m = pd.read_parquet(out / "qsts_meters.parquet").iloc[0]
    assert m["energy_mwh"] == pytest.approx(steps["head_p_mw"].sum())
    assert m["der_mwh"] == pytest.approx(18.99, abs=0.01)  # 2.5 MW x the clear-sky shape
    assert m["reverse_energy_mwh"] > 0 and m["tap_operations"] > 0
    ctl = pd.read_parquet(out / "qsts_controls.parquet")
    assert set(ctl["device_kind"]) == {"regulator"}
    assert ctl.groupby("device_id")["operations"].max().sum() == m["tap_operations"]
    v = pd.read_parquet(out / "qsts_voltages")
    assert v["step"].nunique() == 24 and set(v["phase"]) == {"A", "B", "C"}
    assert "energy delivered" in stdout and "operations: taps" in stdout
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and run["params"]["steps"] == 24


def test_json_summary_and_fifteen_minute_steps(tmp_path: Path, gat, ieee13_pv) -> None:  # type: ignore[no-untyped-def]
    code, stdout, err = gat(
        "dist",
        "qsts",
        "--grid-file",
        ieee13_pv,
        "-d",
        tmp_path / "q",
        "--step",
        "15min",
        "--steps",
        "8",
        "--control-mode",
        "off",
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert data["steps"] == 8 and data["step_h"] == 0.25
    assert data["meters"]["tap_operations"] == 0


def test_blocks_resume_to_the_same_tables(tmp_path: Path, gat, ieee13_pv) -> None:  # type: ignore[no-untyped-def]
    one = tmp_path / "one"
    blocks = tmp_path / "blocks"
    assert gat("dist", "qsts", "--grid-file", ieee13_pv, "-d", one)[0] == 0
    args = ("dist", "qsts", "--grid-file", ieee13_pv, "-d", blocks, "--block-steps", "5")
    assert gat(*args)[0] == 0
    shards = json.loads((blocks / "run.json").read_text())["shards"]
    assert len(shards) == 5 and all(s["status"] == "success" for s in shards)
    for t in ("qsts_steps", "qsts_meters", "qsts_controls"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(one / f"{t}.parquet"), pd.read_parquet(blocks / f"{t}.parquet")
        )
    code, stdout, err = gat(*args, "--resume")
    assert code == 0, err
    assert "resumed: 5 block(s)" in stdout
    pd.testing.assert_frame_equal(
        pd.read_parquet(one / "qsts_meters.parquet"),
        pd.read_parquet(blocks / "qsts_meters.parquet"),
    )


def test_balanced_network_without_shapes_is_one_line_error(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("dist", "qsts", "--grid-file", CASE33, "-d", tmp_path / "q")
    assert code == 1 and "no load_shapes table" in err and "Traceback" not in err
    shapes = tmp_path / "shapes.csv"
    pd.DataFrame(
        {
            "shape_id": ["flat"] * 24,
            "step": range(24),
            "hour": [float(h) for h in range(24)],
            "multiplier": [0.5 + h / 48 for h in range(24)],
            "interval_h": [1.0] * 24,
        }
    ).to_csv(shapes, index=False)
    # The shapes exist but no load names one (a balanced network's loads cannot): an error
    # rather than a run in which nothing follows the file.
    code, stdout, err = gat(
        "dist", "qsts", "--grid-file", CASE33, "-d", tmp_path / "q2", "--load-shapes", shapes
    )
    assert code == 1 and "shapes.csv: no load or DER names any of its shapes (flat)" in err
    assert "--load-shape SHAPE_ID" in err and not (tmp_path / "q2" / "qsts_steps.parquet").exists()
    # --load-shape: every load follows it (case33bw's loads total 3.715 MW).
    out = tmp_path / "q3"
    args = ("--load-shapes", shapes, "--load-shape", "flat")
    code, stdout, err = gat("dist", "qsts", "--grid-file", CASE33, "-d", out, *args)
    assert code == 0, err
    assert "(balanced)" in stdout and "every load follows shape flat" in stdout
    steps = pd.read_parquet(out / "qsts_steps.parquet")
    want = [3.715 * (0.5 + h / 48) for h in range(24)]  # hourly: point k at step k
    assert steps["load_p_mw"].tolist() == pytest.approx(want)
    code, _, err = gat(
        "dist", "qsts", "--grid-file", CASE33, "-d", tmp_path / "q4", *args[:2],
        "--load-shape", "nope",
    )  # fmt: skip
    assert code == 1 and "--load-shape nope: " in err and "holds no such shape" in err


def test_ders_without_a_shape_are_noted(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    """The shipped IEEE 34 names a daily shape for its loads but none for its PV: the summary
    says the PV runs at p_max at every step (night included)."""
    net = tmp_path / "i34"
    assert gat("dataset", "export", "ieee34", "-d", net)[0] == 0
    code, stdout, err = gat("dist", "qsts", "--grid-file", net, "-d", tmp_path / "q")
    assert code == 0, err
    assert "DER(s) (pv, wind, genset) name no daily shape: p_max at every step" in stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--step", "fast"), 2, "give a duration"),
        (("--mode", "range"), 2, "--mode range needs --steps"),
        (("--max-tap-change", "0"), 2, "--max-tap-change"),
    ],
)
def test_bad_input(tmp_path: Path, gat, ieee13_pv, args, code, message) -> None:  # type: ignore[no-untyped-def]
    got, _, err = gat("dist", "qsts", "--grid-file", ieee13_pv, "-d", tmp_path / "x", *args)
    assert got == code and message in err


def test_runs_as_a_real_subprocess(tmp_path: Path, ieee13_pv) -> None:
    out = tmp_path / "q"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gat_cli",
            "dist",
            "qsts",
            "--grid-file",
            str(ieee13_pv),
            "-d",
            str(out),
            "--steps",
            "4",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(out / "qsts_steps.parquet")) == 4


def test_hostcap_over_a_pv_shape(tmp_path: Path, gat, ieee13_pv) -> None:  # type: ignore[no-untyped-def]
    """gat dist hostcap --pv-shape: the time-series capacity, regulators acting by default,
    larger than with the regulators held (--regulators fixed)."""
    import numpy as np

    shape = tmp_path / "pv.csv"
    pd.DataFrame(
        {
            "shape_id": "clearsky",
            "step": range(24),
            "hour": [float(h) for h in range(24)],
            "multiplier": [max(0.0, float(np.sin(np.pi * (h - 6) / 12))) for h in range(24)],
            "interval_h": 1.0,
        }
    ).to_csv(shape, index=False)
    args = ("dist", "hostcap", "--grid-file", ieee13_pv, "--pv-shape", shape, "--bus", "611")
    code, stdout, err = gat(*args, "-d", tmp_path / "acting", "--tol", "0.02")
    assert code == 0, err
    acting = pd.read_parquet(tmp_path / "acting" / "hostcap_timeseries.parquet").iloc[0]
    assert acting["phase"] == "C" and acting["limiting_constraint"] == "voltage"
    assert 10 <= acting["limiting_step"] <= 14 and "regulators acting" in stdout  # noon
    code, stdout, err = gat(
        *args, "-d", tmp_path / "held", "--tol", "0.02", "--regulators", "fixed"
    )
    assert code == 0, err
    assert "regulators held" in stdout
    held = pd.read_parquet(tmp_path / "held" / "hostcap_timeseries.parquet").iloc[0]
    assert held["hosting_capacity_mw"] < acting["hosting_capacity_mw"]


def test_hostcap_pv_shape_on_a_balanced_network(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    """case33bw: a --load-shapes file its loads cannot follow is refused (it was ignored),
    and the summary does not claim regulators the network does not have."""
    shape = tmp_path / "pv.csv"
    pd.DataFrame(
        {
            "shape_id": "pv",
            "step": range(24),
            "hour": [float(h) for h in range(24)],
            "multiplier": [1.0 if 10 <= h <= 14 else 0.0 for h in range(24)],
            "interval_h": 1.0,
        }
    ).to_csv(shape, index=False)
    args = ("dist", "hostcap", "--grid-file", CASE33, "--pv-shape", shape, "--bus", "18")
    code, _, err = gat(*args, "-d", tmp_path / "a", "--load-shapes", shape)
    assert code == 1 and "pv.csv: no load or DER names any of its shapes (pv)" in err
    assert not (tmp_path / "a" / "hostcap_timeseries.parquet").exists()
    code, _, err = gat(*args, "-d", tmp_path / "b")
    assert code == 1 and "no load_shapes table" in err


def test_hostcap_pv_shape_summary_names_no_regulators() -> None:
    from types import SimpleNamespace

    from gat_cli.commands.dist_hostcap_ts import _regulators

    def net(regs):  # type: ignore[no-untyped-def]
        return SimpleNamespace(table=lambda name: regs)

    assert _regulators(net(None), True) == "no regulators"
    assert _regulators(net(pd.DataFrame({"regulator_id": []})), True) == "no regulators"
    assert _regulators(net(pd.DataFrame({"regulator_id": ["r"]})), True) == "regulators acting"
    assert _regulators(net(pd.DataFrame({"regulator_id": ["r"]})), False) == "regulators held"
