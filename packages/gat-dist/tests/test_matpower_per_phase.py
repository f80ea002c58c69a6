"""``import_matpower(per_phase=True)``: a case written per phase (case533mt: single-phase MW,
line-to-neutral baseKV ``12/sqrt(3)``, baseMVA ``50/3``, all said only in its comments)
becomes three-phase MW and line-to-line kV; per-unit values, hence voltages, are unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gat_pf
from gat_dist import import_matpower

CASE = Path(__file__).resolve().parents[3] / "test_data" / "matpower" / "case533mt_hi.m"


def test_per_phase_case_becomes_three_phase() -> None:
    one = import_matpower(CASE)
    three = import_matpower(CASE, per_phase=True)
    # The file's header: "Sbase_1ph = 50/3 MVA", "Vbase_LN = 135/sqrt(3) kV", "12/sqrt(3)".
    assert three.base_mva == pytest.approx(50.0, rel=1e-15)
    assert sorted({round(v, 9) for v in three.nodes["base_kv"]}) == [12.0, 135.0]
    for col in ("load_p", "load_q", "gen_p", "gen_q", "gs_mw", "bs_mvar"):
        np.testing.assert_allclose(three.nodes[col], 3 * one.nodes[col], rtol=1e-15)
    np.testing.assert_allclose(
        three.branches["thermal_limit"], 3 * one.branches["thermal_limit"], rtol=1e-15
    )
    for col in ("r", "x", "b", "tap"):
        np.testing.assert_array_equal(three.branches[col], one.branches[col])
    assert any(n.startswith("per-phase data:") for n in three.source["import_notes"])
    # Same per-unit network: the same voltages and loading, three times the losses.
    a, b = gat_pf.run_power_flow(one), gat_pf.run_power_flow(three)
    np.testing.assert_allclose(b.nodes["vm_pu"], a.nodes["vm_pu"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        b.branches["loading_pct"], a.branches["loading_pct"], rtol=1e-7, equal_nan=True
    )
    loss_a, loss_b = a.summary["p_loss_mw"].iloc[0], b.summary["p_loss_mw"].iloc[0]
    assert loss_b == pytest.approx(3 * loss_a, rel=1e-7)
