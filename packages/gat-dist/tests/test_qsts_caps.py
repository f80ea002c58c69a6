"""Capacitor controls through the engine on a balanced network (``solve(cap_on=...)`` on one
model): a switched-in step equals a run of the network with the bank closed in its table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_dist.qsts import QstsOptions, simulate
from gat_schemas import read_network

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"


def _case33_with_cap(status: str, control: bool):  # type: ignore[no-untyped-def]
    net = read_network(CASE33)
    caps = pd.DataFrame(
        {
            "cap_id": ["C18"],
            "node_id": ["18"],
            "phase": ["ABC"],
            "q_mvar": [0.6],
            "status": [status],
            "kind": ["capacitor"],
        }
    )
    tables = {**net.tables, "dist_caps": caps}
    if control:
        # Voltage control at node 18 (branch 17's to end): 12.66 kV base, PT 60 gives about
        # 122 V at 1 pu; in below 114 V, out above 125 V.
        tables["dist_cap_controls"] = pd.DataFrame(
            [
                {
                    "control_id": "cc",
                    "cap_id": "C18",
                    "control_type": "voltage",
                    "element_id": "17",
                    "terminal": 2,
                    "on_setting": 114.0,
                    "off_setting": 125.0,
                    "pt_ratio": 60.0,
                    "ct_ratio": 1.0,
                    "delay_s": 15.0,
                    "delay_off_s": 15.0,
                    "dead_time_s": 300.0,
                    "volt_override": False,
                    "v_min_v": 100.0,
                    "v_max_v": 130.0,
                    "pt_phase": "avg",
                    "ct_phase": "avg",
                }
            ]
        )
    return dataclasses.replace(net, tables=tables)


def test_balanced_capacitor_control_switches_on_one_model():
    load = np.array([0.3, 1.0, 1.0, 0.3])
    res = simulate(_case33_with_cap("open", True), load, QstsOptions(step_h=0.25))
    assert res.model_kind == "balanced" and res.converged.all()
    assert res.cap_on[:, 0].tolist() == [False, True, True, True]
    assert res.control_rounds.tolist() == [1, 2, 1, 1]
    closed = simulate(_case33_with_cap("closed", False), load, QstsOptions(step_h=0.25))
    opened = simulate(_case33_with_cap("open", False), load, QstsOptions(step_h=0.25))
    # Steps with the bank in are the closed network's; the step before is the open one's.
    np.testing.assert_allclose(res.head_q_mvar[1:], closed.head_q_mvar[1:], rtol=1e-9)
    np.testing.assert_allclose(res.v_min_pu[1:], closed.v_min_pu[1:], atol=1e-9)
    assert res.head_q_mvar[0] == pytest.approx(opened.head_q_mvar[0], rel=1e-9)
    assert res.head_q_mvar[1] < opened.head_q_mvar[1] - 0.5


def test_balanced_current_control_measures_the_branch_current():
    """A current-type control on a balanced network (it failed: the balanced model had no
    conductor end terminals). Branch 2 (nodes 2-3) carries 187 A per phase at full load
    without the bank (the power flow's s_from over sqrt(3) x 12.66 kV) and about 56 A at
    0.3: with CT ratio 1, in above 120 A, out below 80 A, the bank closes at full load and
    opens again at light load."""
    net = _case33_with_cap("open", True)
    ctl = net.table("dist_cap_controls").assign(
        control_type="current", element_id="2", terminal=1, on_setting=120.0, off_setting=80.0
    )
    net = dataclasses.replace(net, tables={**net.tables, "dist_cap_controls": ctl})
    res = simulate(net, np.array([1.0, 1.0, 0.3]), QstsOptions(step_h=0.25))
    assert res.converged.all()
    assert res.cap_on[:, 0].tolist() == [True, True, False]
