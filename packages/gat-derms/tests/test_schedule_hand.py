"""One battery, two periods: the schedule equals the optimum worked out by hand.

The expected values are in ``data/schedule/hand_battery.csv``; the README beside it gives
the derivation. They check the stored-energy equation (one-way efficiency on charge and on
discharge, ``dt`` in hours), the return to ``soc_init``, the ramp limit in MW/h times
``dt`` between consecutive periods, and the cost (price x head import x dt, lossless).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_derms.schedule import ScheduleOptions, run_schedule
from gat_dist.table_files import read_table_file
from gat_schemas import read_network

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "schedule"
CASES = pd.read_csv(DATA / "hand_battery.csv")


@pytest.fixture(scope="module")
def case33():  # type: ignore[no-untyped-def]
    return read_network(REPO / "test_data" / "networks" / "case33bw")


@pytest.mark.parametrize("case", CASES["case"].tolist())
def test_one_battery_two_periods_by_hand(case33, case: str) -> None:  # type: ignore[no-untyped-def]
    ref = CASES.set_index("case").loc[case]
    assets = read_table_file(DATA / "battery.csv", "der_assets")
    if np.isfinite(ref["ramp_mw_per_h"]):
        assets = assets.assign(ramp_up=ref["ramp_mw_per_h"], ramp_down=ref["ramp_mw_per_h"])
    stamps = pd.date_range("2026-03-10", periods=2, freq=f"{int(ref['dt_minutes'])}min", tz="UTC")
    price = np.array([ref["price_1"], ref["price_2"]])
    prices = pd.DataFrame({"timestamp": stamps, "price": price})
    loads = pd.DataFrame({"timestamp": stamps, "scale": 0.5})
    r = run_schedule(case33, assets, prices, loads=loads, options=ScheduleOptions(ac_corrections=0))
    s = r.schedule
    assert s["charge_mw"].to_numpy() == pytest.approx([ref["charge_1_mw"], 0.0], abs=1e-7)
    assert s["discharge_mw"].to_numpy() == pytest.approx([0.0, ref["discharge_2_mw"]], abs=1e-7)
    assert s["soc_mwh"].to_numpy() == pytest.approx([ref["soc_1_mwh"], ref["soc_2_mwh"]], abs=1e-7)
    dt = ref["dt_minutes"] / 60.0
    idle = float((price * 0.5 * case33.nodes["load_p"].sum()).sum() * dt)
    assert r.summary["cost_lp"].iloc[0] - idle == pytest.approx(ref["cost_change"], abs=1e-6)
