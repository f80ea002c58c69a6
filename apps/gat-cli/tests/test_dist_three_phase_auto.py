"""Three-phase networks are detected from their tables: ``dist pf`` and ``dist hostcap``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
IEEE13 = REPO / "test_data" / "opendss" / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


@pytest.fixture()
def ieee13(tmp_path: Path, gat) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / "ieee13"
    code, _, err = gat("dist", "import", "opendss", "--file", IEEE13, "-d", out)
    assert code == 0, err
    return out


def test_dist_pf_solves_a_three_phase_network_without_the_flag(ieee13: Path, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat("dist", "pf", "--grid-file", ieee13, "-d", tmp_path / "pf")
    assert code == 0, err
    assert "three-phase converged" in out
    nodes = pd.read_parquet(tmp_path / "pf" / "pf3_nodes.parquet")
    assert set(nodes.phase) == {"A", "B", "C"}
    params = json.loads((tmp_path / "pf" / "run.json").read_text())["params"]
    assert params["unbalanced"] is True and params["three_phase_detected"] is True
    # The balanced-only options say why they do not apply.
    code, _, err = gat("dist", "pf", "--grid-file", ieee13, "-d", tmp_path / "dc", "--method", "dc")
    assert code == 2 and "three-phase tables" in err


def test_dist_pf_keeps_balanced_networks_balanced(tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("dist", "pf", "--grid-file", CASE33, "-d", tmp_path / "pf")
    assert code == 0, err
    assert (tmp_path / "pf" / "pf_nodes.parquet").is_file()


def test_dist_hostcap_single_phase_on_ieee13(ieee13: Path, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "hc"
    code, stdout, err = gat(
        "dist",
        "hostcap",
        "--grid-file",
        ieee13,
        "-d",
        out,
        "--bus",
        "675,611",
        "--phase-mode",
        "each",
        "--v-max",
        "1.08",
        "--check",
        "voltage,unbalance",
        "--vuf-max",
        "3",
    )
    assert code == 0, err
    s = pd.read_parquet(out / "hostcap_summary.parquet")
    assert list(s.bus_id + "." + s.phase) == ["675.A", "675.B", "675.C", "611.C"]
    assert (s.hosting_capacity_mw > 0).all()
    assert set(s.limiting_constraint) <= {"voltage", "unbalance"}
    assert "4 node phases" in stdout
    run = json.loads((out / "run.json").read_text())
    assert run["params"]["phase_mode"] == "each" and run["params"]["regulators"] == "fixed"


def test_dist_hostcap_bad_vuf_is_a_usage_error(ieee13: Path, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat(
        "dist", "hostcap", "--grid-file", ieee13, "-d", tmp_path / "x", "--vuf-max", "0"
    )
    assert code == 2 and "--vuf-max" in err
