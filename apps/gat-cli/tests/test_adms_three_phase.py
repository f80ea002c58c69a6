"""``gat adms flisr-sim`` and ``gat adms outage-mc`` on a three-phase feeder (IEEE 13): the
hand-worked indices of test_data/adms/README.md, the summary, json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
ADMS = REPO / "test_data" / "adms"


def test_flisr_sim_on_ieee13_gives_the_hand_worked_indices(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "flisr13"
    code, stdout, err = gat("adms", "flisr-sim", "--grid-file", ADMS / "ieee13", "-d", out)
    assert code == 0, err
    system = pd.read_parquet(out / "reliability_indices.parquet").iloc[0]
    want = pd.read_csv(ADMS / "ieee_expected_system.csv").set_index("case").loc["ieee13"]
    for col in ("SAIFI", "SAIDI", "CAIDI", "ENS"):
        assert system[col] == pytest.approx(want[col], rel=1e-6), col
    assert "ieee13: 17 faults simulated" in stdout
    # Isolation alone moves phase voltages of this unbalanced feeder: named apart from
    # restorations (there are none without a tie).
    assert "AC check: every restoration feasible; after isolation alone" in stdout


def test_flisr_sim_json_names_the_isolation_only_faults(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, stdout, err = gat(
        "--format",
        "json",
        "adms",
        "flisr-sim",
        "--grid-file",
        ADMS / "ieee13",
        "-d",
        tmp_path / "j",
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["restored_through_ties"] == 0
    assert set(doc["ac_check_failed_after_isolation_only"]) == set(doc["ac_check_failed"])


def test_outage_mc_on_ieee13(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mc13"
    code, _, err = gat(
        "adms",
        "outage-mc",
        "--grid-file",
        ADMS / "ieee13",
        "-d",
        out,
        "--samples",
        "500",
        "--seed",
        "2",
    )
    assert code == 0, err
    stats = pd.read_parquet(out / "outage_stats.parquet").set_index("index")
    want = pd.read_csv(ADMS / "ieee_expected_system.csv").set_index("case").loc["ieee13"]
    assert stats.loc["SAIFI", "analytic"] == pytest.approx(want["SAIFI"], rel=1e-6)
    assert stats.loc["SAIDI", "analytic"] == pytest.approx(want["SAIDI"], rel=1e-6)


def test_flisr_after_an_opf_and_a_schedule_in_one_process(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    # HiGHS sizes its thread scheduler once per process: every GAT instance must ask for
    # the same size, or the FLISR MILP after an OPF ended in "HiGHS stopped with unknown".
    derms = REPO / "test_data" / "derms"
    code, _, err = gat(
        "dist", "opf", "--grid-file", REPO / "test_data" / "networks" / "case33bw",
        "-d", tmp_path / "opf", "--objective", "loss",
        "--assets", REPO / "test_data" / "assets" / "case33bw_der.csv",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = gat(
        "derms", "schedule", "--grid-file", derms / "case33bw", "--assets",
        derms / "der_assets.csv", "--price-series", derms / "prices.csv",
        "--load-series", derms / "loads.csv", "--pv-series", derms / "pv.csv",
        "-d", tmp_path / "sched",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = gat("adms", "flisr-sim", "--grid-file", ADMS / "ieee13", "-d", tmp_path / "f")
    assert code == 0, err
