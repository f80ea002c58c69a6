"""``gat dist opf`` and ``gat derms envelope`` on a three-phase folder (the ieee13 dataset with its
der_assets)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.solver

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def ieee13(tmp_path: Path, gat) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / "ieee13"
    code, _, err = gat("dataset", "export", "ieee13", "-d", out)
    assert code == 0, err
    return out


def test_three_phase_folder_runs_the_three_phase_model(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "opf"
    code, stdout, err = gat(
        "dist", "opf", "--grid-file", ieee13, "-d", out, "--v-max", "1.07", "--no-thermal"
    )
    assert code == 0, err
    assert "three-phase OPF (slp3ph" in stdout
    s = pd.read_parquet(out / "opf_summary.parquet").iloc[0]
    assert s["model"] == "three_phase" and s["formulation"] == "slp3ph"
    assert s["status"] == "optimal" and bool(s["ac_converged"])
    assert s["ac_vm_violation_pu"] <= 1e-5 and s["ac_rounds"] >= 1
    nodes = pd.read_parquet(out / "opf_nodes.parquet")
    assert {"node_id", "phase", "vm_ac_pu"} <= set(nodes.columns)
    assert not nodes.duplicated(["node_id", "phase"]).any()
    branches = pd.read_parquet(out / "opf_branches.parquet")
    assert not branches.duplicated(["branch_id", "phase"]).any()
    der = pd.read_parquet(out / "opf_der.parquet")
    assert len(der) == 11 and set(der["phase"]) >= {"ABC", "A", "C"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success"


def test_defaults_hold_the_limits_broken_without_der(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    """IEEE 13 at its defaults breaks v_max at RG60 and overloads 650632 before any DER
    moves: those limits are held (base value + 0.001 pu / 0.1 %), so the answer meets them."""
    code, _, err = gat("dist", "opf", "--grid-file", ieee13, "-d", tmp_path / "o")
    assert code == 0, err
    s = pd.read_parquet(tmp_path / "o" / "opf_summary.parquet").iloc[0]
    assert s["status"] == "optimal"
    assert s["ac_vm_violation_pu"] <= 1e-5 and s["ac_thermal_violation_pct"] <= 1e-3
    nodes = pd.read_parquet(tmp_path / "o" / "opf_nodes.parquet")
    assert nodes.v_max_pu.max() > 1.06  # RG60's held limit


def test_explicit_formulation_is_refused_on_three_phase(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat(
        "dist", "opf", "--grid-file", ieee13, "-d", tmp_path / "o", "--formulation", "dc"
    )
    assert code == 1
    assert "--formulation dc is for balanced networks" in err


def test_envelope_on_the_three_phase_folder(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "env"
    code, stdout, err = gat(
        "derms", "envelope", "--grid-file", ieee13, "-d", out, "--group-by", "bus_id",
        "--v-max", "1.07",
    )  # fmt: skip
    assert code == 0, err
    assert "three_phase" in stdout
    s = pd.read_parquet(out / "der_envelope_summary.parquet")
    assert len(s) == 6 and s["ac_verified"].all()
    sp = pd.read_parquet(out / "der_envelope_setpoints.parquet")
    assert set(sp["asset_id"]) >= {"ev_652", "flex_load_652"}


def test_round_limit_is_reported_as_not_converged(tmp_path: Path, gat, ieee13, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An OPF stopped by max_ac_rounds must not read as a success: the status and a warning
    line say it did not converge (two rounds cannot converge on IEEE 13)."""
    import dataclasses

    import gat_dist.opf

    real = gat_dist.opf.run_opf

    def two_rounds(net, **kw):  # type: ignore[no-untyped-def]
        kw["options"] = dataclasses.replace(kw["options"], max_ac_rounds=2)
        return real(net, **kw)

    monkeypatch.setattr(gat_dist.opf, "run_opf", two_rounds)
    code, stdout, err = gat("dist", "opf", "--grid-file", ieee13, "-d", tmp_path / "o")
    assert code == 0, err
    s = pd.read_parquet(tmp_path / "o" / "opf_summary.parquet").iloc[0]
    assert s["status"] == "round_limit" and s["ac_rounds"] == 2
    assert "warning: not converged (round_limit)" in stdout
    assert "not a proven optimum" in stdout


def test_max_rounds_bounds_the_ac_rounds(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    """--max-rounds 2 stops IEEE 13 (10 rounds to converge) at round_limit, with the
    warning; on a balanced network the option is refused (its OPF has no AC rounds)."""
    code, stdout, err = gat(
        "dist", "opf", "--grid-file", ieee13, "-d", tmp_path / "o", "--max-rounds", "2"
    )
    assert code == 0, err
    s = pd.read_parquet(tmp_path / "o" / "opf_summary.parquet").iloc[0]
    assert s["status"] == "round_limit" and s["ac_rounds"] == 2
    assert "warning: not converged (round_limit)" in stdout
    code, _, err = gat(
        "dist", "import", "matpower", "--file", REPO / "test_data" / "matpower" / "case33bw.m",
        "-d", tmp_path / "c33",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = gat(
        "dist", "opf", "--grid-file", tmp_path / "c33", "-d", tmp_path / "b", "--max-rounds", "5"
    )
    assert code == 1 and "--max-rounds: for three-phase networks" in err
