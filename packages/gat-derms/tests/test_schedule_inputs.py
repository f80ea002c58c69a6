"""DER schedule inputs: every bad series or asset column gives a clear one-line error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_derms.schedule import ScheduleOptions, periods_from_prices, read_series, run_schedule
from gat_dist.table_files import read_table_file
from gat_schemas import read_network
from gat_schemas.errors import InputError

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "schedule"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


@pytest.fixture(scope="module")
def case33():  # type: ignore[no-untyped-def]
    return read_network(CASE33)


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return read_series(DATA / "prices_arbitrage.csv", "price_series")


@pytest.fixture(scope="module")
def portfolio() -> pd.DataFrame:
    return read_table_file(DATA / "portfolio.csv", "der_assets")


def _fails(case33, assets, prices, match: str, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=match) as info:
        run_schedule(case33, assets, prices, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_periods_from_prices(prices) -> None:  # type: ignore[no-untyped-def]
    p = periods_from_prices(prices)
    assert p.n == 24 and p.dt_hours == 1.0
    assert str(p.timestamps.tz) in ("UTC+01:00", "pytz.FixedOffset(60)")
    shuffled = prices.sample(frac=1.0, random_state=0)
    q = periods_from_prices(shuffled)  # order of rows does not matter
    assert (q.timestamps == p.timestamps).all() and np.allclose(q.price, p.price)


def test_missing_timestamp(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    gap = prices.drop(index=5)
    msg = _fails(
        case33, portfolio, gap, "missing timestamp 2026-03-10T05:00:00", sources={"prices": "p.csv"}
    )
    assert msg.startswith("p.csv: table price_series, column timestamp")
    loads = pd.DataFrame({"timestamp": prices["timestamp"], "scale": 1.0}).drop(index=7)
    msg = _fails(case33, portfolio, prices, "missing timestamp 2026-03-10T07:00:00", loads=loads)
    assert "table load_series" in msg


def test_naive_timezone(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    naive = prices.assign(timestamp=prices["timestamp"].str.slice(0, 19))
    _fails(case33, portfolio, naive, "has no timezone")
    parsed = naive.assign(timestamp=pd.to_datetime(naive["timestamp"]))
    _fails(case33, portfolio, parsed, "have no timezone")


def test_duplicate_and_unparsable_timestamps(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    dup = pd.concat([prices, prices.iloc[[3]]], ignore_index=True)
    _fails(case33, portfolio, dup, "duplicate timestamp in row")
    bad = prices.copy()
    bad.loc[2, "timestamp"] = "yesterday"
    _fails(case33, portfolio, bad, "'yesterday' is not a timestamp")


def test_series_timestamp_not_a_period(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    loads = pd.DataFrame({"timestamp": prices["timestamp"], "scale": 1.0})
    loads.loc[3, "timestamp"] = "2026-03-11T03:00:00+01:00"
    _fails(case33, portfolio, prices, "is not a period of the price series", loads=loads)


def test_unknown_node_and_asset(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    loads = pd.DataFrame({"timestamp": prices["timestamp"], "node_id": "99", "scale": 1.0})
    msg = _fails(case33, portfolio, prices, "unknown node", loads=loads, sources={"loads": "l.csv"})
    assert msg.startswith("l.csv: table load_series, column node_id: unknown node(s) 99")
    pv = pd.DataFrame({"timestamp": prices["timestamp"], "asset_id": "pv99", "scale": 0.5})
    _fails(case33, portfolio, prices, "unknown asset.*pv99", pv=pv)
    pv = pd.DataFrame({"timestamp": prices["timestamp"], "asset_id": "bat30", "scale": 0.5})
    _fails(case33, portfolio, prices, "bat30 not a pv or wind asset", pv=pv)


def test_duplicate_node_rows(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    loads = pd.DataFrame({"timestamp": prices["timestamp"], "node_id": "5", "scale": 1.0})
    loads = pd.concat([loads, loads.iloc[[0]]], ignore_index=True)
    _fails(case33, portfolio, prices, r"duplicate \(timestamp, node_id\)", loads=loads)


def test_load_series_forms(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    """Absolute per-node loads and per-node scales give the same schedule."""
    node = case33.nodes.set_index("node_id").loc["18"]
    scaled = pd.DataFrame({"timestamp": prices["timestamp"], "node_id": "18", "scale": 2.0})
    absolute = pd.DataFrame(
        {"timestamp": prices["timestamp"], "node_id": "18", "load_p": 2.0 * node["load_p"]}
    )
    a = run_schedule(
        case33, portfolio, prices, loads=scaled, options=ScheduleOptions(ac_corrections=0)
    )
    b = run_schedule(
        case33, portfolio, prices, loads=absolute, options=ScheduleOptions(ac_corrections=0)
    )
    assert np.allclose(a.network["head_p_lp_mw"], b.network["head_p_lp_mw"], atol=1e-9)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("window_start", 25.0, "window_start: must be within 0-24 h"),
        ("energy_need", -1.0, "energy_need: must be >= 0 MWh"),
        ("soc_init", 0.05, "soc_init: must be within"),
        ("energy_need", 5.0, "exceeds soc_max x energy_cap"),
    ],
)
def test_bad_scheduling_columns(case33, portfolio, prices, column, value, message) -> None:  # type: ignore[no-untyped-def]
    bad = portfolio.copy()
    row = 1 if column != "window_start" else 2  # ev24, or fl7 for the window
    bad.loc[row, column] = value
    msg = _fails(case33, bad, prices, message)
    assert "table der_assets" in msg and bad.loc[row, "asset_id"] in msg


def test_storage_must_be_able_to_idle(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    bad = portfolio.copy()
    bad.loc[3, "p_min"] = 0.1
    _fails(case33, bad, prices, "must be able to idle.*bat30")


def test_window_on_a_battery_is_refused(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    bad = portfolio.copy()
    bad.loc[3, "window_start"] = 8.0
    _fails(case33, bad, prices, "only EVs and flexible loads have windows")


def test_unmeetable_need_is_reported_not_fatal(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    """A flexible load needing more energy than its window allows: the shortfall is
    reported as undelivered energy (MWh)."""
    big = portfolio.copy()
    big.loc[2, "energy_need"] = 2.0
    r = run_schedule(case33, big, prices)
    # 0.2 MW for 6 h, but ramping 0.1 MW/h from and back to 0 outside the window:
    # 0.1 + 4 x 0.2 + 0.1 = 1.0 MWh at most, so 1.0 MWh is undelivered.
    assert r.summary["undelivered_mwh"].iloc[0] == pytest.approx(1.0, abs=1e-6)


def test_cost_curves_needed_when_referred_to(case33, prices) -> None:  # type: ignore[no-untyped-def]
    assets = read_table_file(REPO / "test_data" / "derms" / "der_assets.csv", "der_assets")
    _fails(case33, assets, prices, "no der_cost_curves table was given")


def test_meshed_network_refused(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    from gat_schemas import Network

    br = case33.tables["dist_branches"].copy()
    br.loc[br["branch_id"] == "33", "status"] = "closed"
    meshed = Network(case33.name, case33.base_mva, {**case33.tables, "dist_branches": br})
    msg = _fails(meshed, portfolio, prices, "needs a radial network")
    assert "open a tie switch" in msg


def test_listed_node_or_asset_missing_a_period(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    """A node (or PV asset) listed in a series must have a row for every period: a missing
    row is an error, not the network's load (or p_max) for that period."""
    loads = pd.DataFrame({"timestamp": prices["timestamp"], "node_id": "5", "scale": 0.5})
    others = pd.DataFrame({"timestamp": prices["timestamp"], "node_id": "6", "scale": 0.5})
    loads = pd.concat([loads, others.drop(index=7)], ignore_index=True)
    msg = _fails(
        case33, portfolio, prices, "node_id 6 has no row for 2026-03-10T07:00:00", loads=loads
    )
    assert msg.startswith("load_series: table load_series, column timestamp")
    two = pd.concat([portfolio, portfolio.iloc[[0]].assign(asset_id="pv18b")], ignore_index=True)
    pv = pd.DataFrame({"timestamp": prices["timestamp"], "asset_id": "pv18", "p_avail": 0.5})
    pv = pd.concat([pv, pv.assign(asset_id="pv18b").drop(index=[0, 3])], ignore_index=True)
    _fails(
        case33,
        two,
        prices,
        r"asset_id pv18b has no row for 2026-03-10T00:00:00\+01:00 \(and 1 more\)",
        pv=pv,
    )


def test_flexible_load_that_must_consume_more_than_its_need(case33, portfolio, prices) -> None:  # type: ignore[no-untyped-def]
    """fl7 may not stop (p_max -0.15 MW) for its 6-hour window: it consumes at least
    0.9 MWh but needs 0.6 MWh. That is an input error naming the asset, not an
    infeasible LP."""
    bad = portfolio.copy()
    bad.loc[2, ["p_max", "ramp_up", "ramp_down"]] = [-0.15, np.nan, np.nan]
    msg = _fails(case33, bad, prices, "column energy_need: .*at least 0.9 MWh.*asset_id fl7")
    assert "table der_assets" in msg
