"""Reference: one period of the schedule equals the gat-dist LinDistFlow cost OPF.

With one period, no storage and no inverter circles, the schedule's LP and
``gat_dist.opf`` (``lindistflow``, ``cost``, no loss weight) are the same problem, so their
optima and curtailment must agree. Running the OPF first in the same process also guards
against HiGHS's process-wide thread scheduler: a schedule built after an OPF must solve.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_derms.schedule import ScheduleOptions, run_schedule
from gat_dist.opf import OpfOptions, run_opf
from gat_dist.table_files import read_table_file
from gat_schemas import read_network

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "test_data" / "assets"

pytestmark = pytest.mark.solver


@pytest.mark.parametrize("v_max", [1.1, 1.0])
def test_one_period_matches_the_lindistflow_opf(v_max: float) -> None:
    net = read_network(REPO / "test_data" / "networks" / "case33bw")
    assets = read_table_file(ASSETS / "case33bw_der.csv", "der_assets")
    assets = assets[assets["asset_type"] == "pv"].assign(s_max=np.nan).reset_index(drop=True)
    curves = read_table_file(ASSETS / "case33bw_cost_curves.csv", "der_cost_curves")
    opf = run_opf(
        net,
        assets=assets,
        cost_curves=curves,
        options=OpfOptions(
            formulation="lindistflow",
            objective="cost",
            import_price=50.0,
            loss_weight=0.0,
            v_max=v_max,
        ),
    ).summary.iloc[0]
    prices = pd.DataFrame(
        {"timestamp": [pd.Timestamp("2026-07-01 12:00", tz="UTC")], "price": [50.0]}
    )
    sched = run_schedule(
        net,
        assets,
        prices,
        cost_curves=curves,
        options=ScheduleOptions(dt_hours=1.0, v_max=v_max, ac_corrections=0),
    )
    s = sched.summary.iloc[0]
    assert s["cost_lp"] == pytest.approx(opf["objective_value"], abs=1e-3)
    assert s["curtailed_mwh"] == pytest.approx(opf["curtailment_mw"], abs=1e-4)
    assert sched.network["head_p_lp_mw"].iloc[0] == pytest.approx(opf["import_mw"], abs=1e-4)
