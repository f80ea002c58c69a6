"""Property tests of the schedule: storage physics hold for any positive price profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gat_derms.schedule import ScheduleOptions, run_schedule
from gat_dist.table_files import read_table_file
from gat_schemas import read_network

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "schedule"
STAMPS = pd.date_range("2026-03-10", periods=12, freq="2h", tz="UTC")
NET = read_network(REPO / "test_data" / "networks" / "case33bw")
BATTERY = read_table_file(DATA / "battery.csv", "der_assets")  # 0.5 MW, 2 MWh, eff 0.9


@settings(max_examples=12, deadline=None)
@given(
    prices=st.lists(st.floats(1.0, 300.0), min_size=12, max_size=12),
    eff=st.floats(0.5, 0.99),
)
def test_storage_physics_for_any_positive_prices(prices: list[float], eff: float) -> None:
    assets = BATTERY.assign(efficiency=eff)
    table = pd.DataFrame({"timestamp": STAMPS, "price": prices})
    loads = pd.DataFrame({"timestamp": STAMPS, "scale": 0.5})
    r = run_schedule(NET, assets, table, loads=loads, options=ScheduleOptions(ac_corrections=0))
    s = r.schedule
    ch, dis, soc = (s[c].to_numpy() for c in ("charge_mw", "discharge_mw", "soc_mwh"))
    dt = 2.0
    previous = np.concatenate([[1.0], soc[:-1]])
    assert np.allclose(soc, previous + eff * dt * ch - dt * dis / eff, atol=1e-6)
    assert soc.min() >= 0.2 - 1e-7 and soc.max() <= 1.8 + 1e-7
    assert soc[-1] == pytest.approx(1.0, abs=1e-6)
    assert np.minimum(ch, dis).max() < 1e-7  # positive prices, efficiency < 1
    # Never worse than leaving the battery idle (the LP's own, lossless, cost).
    idle = float((np.asarray(prices) * 0.5 * NET.nodes["load_p"].sum()).sum() * dt)
    assert r.summary["cost_lp"].iloc[0] <= idle + 1e-6
