"""IEEE 34-node feeder (Mod 2): regression of GAT's three-phase solution with regulator control.

How the stored result was judged against OpenDSS is in ``data/opendss/ieee34/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import DATA, IEEE34

import gat_pf
from gat_dist import import_opendss

REG = DATA / "ieee34"


@pytest.fixture(scope="module")
def result() -> gat_pf.ThreePhaseResult:
    return gat_pf.run_power_flow_3ph(import_opendss(IEEE34))


def test_voltages_match_the_regression(result) -> None:
    expected = pd.read_csv(REG / "pf3_nodes.csv", dtype={"node_id": str})
    got = result.nodes.set_index(["node_id", "phase"])
    assert len(got) == len(expected) == 141
    got = got.loc[list(zip(expected["node_id"], expected["phase"], strict=True))]
    dv = np.abs(got["vm_pu"].to_numpy() - expected["vm_pu"].to_numpy())
    da = (got["va_deg"].to_numpy() - expected["va_deg"].to_numpy() + 180) % 360 - 180
    assert dv.max() <= 1e-5
    assert np.abs(da).max() <= 1e-3


def test_regulator_taps_match_and_end_in_band(result) -> None:
    expected = pd.read_csv(REG / "pf3_regulators.csv")
    got = result.regulators.set_index("regulator_id")
    assert got.loc[expected["regulator_id"], "tap"].tolist() == expected["tap"].tolist()
    regs = import_opendss(IEEE34).tables["dist_regulators"].set_index("regulator_id")
    v = got["v_regulated_v"]
    half_band = regs.loc[v.index, "band_v"] / 2
    assert ((v - regs.loc[v.index, "v_set_v"]).abs() <= half_band + 1e-9).all()


def test_power_balance_and_losses(result) -> None:
    expected = pd.read_csv(REG / "pf3_summary.csv").iloc[0]
    s = result.summary.iloc[0]
    assert s["total_gen_mw"] == pytest.approx(s["total_load_mw"] + s["p_loss_mw"], abs=1e-6)
    for col in ("p_loss_mw", "q_loss_mvar", "total_load_mw", "total_gen_mw"):
        assert s[col] == pytest.approx(expected[col], abs=1e-6), col
