"""DER schedule: battery arbitrage sanity, windows and ramps, network limits, AC check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_derms.schedule import ScheduleOptions, read_series, run_schedule
from gat_dist.table_files import read_table_file
from gat_schemas import read_network, validate_table

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "schedule"
DERMS = REPO / "test_data" / "derms"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


@pytest.fixture(scope="module")
def case33():  # type: ignore[no-untyped-def]
    return read_network(CASE33)


@pytest.fixture(scope="module")
def derms_net():  # type: ignore[no-untyped-def]
    return read_network(DERMS / "case33bw")


def _assets(name: str) -> pd.DataFrame:
    return read_table_file(DATA / name, "der_assets")


def _prices(name: str = "prices_arbitrage.csv") -> pd.DataFrame:
    return read_series(DATA / name, "price_series")


def _light_load(prices: pd.DataFrame, scale: float = 0.6) -> pd.DataFrame:
    return pd.DataFrame({"timestamp": prices["timestamp"], "scale": scale})


@pytest.fixture(scope="module")
def arbitrage(case33):  # type: ignore[no-untyped-def]
    prices = _prices()
    return prices, run_schedule(case33, _assets("battery.csv"), prices, loads=_light_load(prices))


def test_outputs_follow_their_schemas(arbitrage) -> None:  # type: ignore[no-untyped-def]
    _, r = arbitrage
    for table, df in (
        ("schedule", r.schedule),
        ("schedule_network", r.network),
        ("schedule_summary", r.summary),
    ):
        assert validate_table(table, df) == [], table
    assert len(r.schedule) == 24 and len(r.network) == 24
    assert str(r.network["timestamp"].iloc[0]) == "2026-03-10 00:00:00+01:00"


def test_battery_charges_in_the_cheapest_hours(arbitrage) -> None:  # type: ignore[no-untyped-def]
    prices, r = arbitrage
    price = prices["price"].to_numpy(dtype=float)
    ch = r.schedule["charge_mw"].to_numpy()
    dis = r.schedule["discharge_mw"].to_numpy()
    charging, discharging = ch > 1e-6, dis > 1e-6
    assert charging.any() and discharging.any()
    assert price[charging].max() < price[discharging].min()
    # The cheapest hours (25 from 02:00 to 06:00) carry most of the charging.
    cheapest = price == price.min()
    assert ch[cheapest].sum() >= 0.5 * ch.sum()


def test_battery_soc_bounds_energy_and_no_simultaneous_use(arbitrage) -> None:  # type: ignore[no-untyped-def]
    _, r = arbitrage
    s = r.schedule
    soc = s["soc_mwh"].to_numpy()
    ch, dis = s["charge_mw"].to_numpy(), s["discharge_mw"].to_numpy()
    assert soc.min() >= 0.1 * 2.0 - 1e-9 and soc.max() <= 0.9 * 2.0 + 1e-9
    # Energy conserved with the one-way efficiency 0.9 on each direction (1-hour periods).
    previous = np.concatenate([[1.0], soc[:-1]])
    assert np.allclose(soc, previous + 0.9 * ch - dis / 0.9, atol=1e-7)
    assert soc[-1] == pytest.approx(1.0, abs=1e-7)  # back to soc_init x energy_cap
    assert np.minimum(ch, dis).max() < 1e-9  # positive prices: never both at once
    assert np.allclose(s["p_mw"], dis - ch, atol=1e-9)


def test_lindistflow_balance_and_ac_check(arbitrage, case33) -> None:  # type: ignore[no-untyped-def]
    _, r = arbitrage
    load = 0.6 * case33.nodes["load_p"].sum()
    battery = r.schedule["p_mw"].to_numpy()
    net = r.network
    # Lossless LP: head import = loads - DER injection in every period.
    assert np.allclose(net["head_p_lp_mw"], load - battery, atol=1e-6)
    # AC: import = loads - DER + losses, losses positive and small.
    assert net["ac_converged"].all()
    assert np.allclose(net["head_p_mw"], load - battery + net["p_loss_mw"], atol=1e-6)
    assert (net["p_loss_mw"] > 0).all() and (net["p_loss_mw"] < 0.1 * load).all()
    s = r.summary.iloc[0]
    assert s["ac_voltage_violations"] == 0 and s["ac_converged_periods"] == 24
    assert s["cost"] > s["cost_lp"]  # the AC import pays for the losses


def test_windows_needs_and_ramps(case33) -> None:  # type: ignore[no-untyped-def]
    prices = _prices()
    pv = read_series(DATA / "pv_day.csv", "pv_series")
    r = run_schedule(case33, _assets("portfolio.csv"), prices, loads=_light_load(prices), pv=pv)
    s = r.schedule.set_index(["asset_id", r.schedule.groupby("asset_id").cumcount()])
    hour = np.arange(24)
    ev = s.loc["ev24"]
    out = (hour >= 6) & (hour < 18)
    assert np.abs(ev["p_mw"].to_numpy()[out]).max() < 1e-9  # unplugged 06:00-18:00
    assert ev["soc_mwh"].iloc[-1] == pytest.approx(0.2 * 1.5 + 0.8, abs=1e-7)
    fl = s.loc["fl7"]["p_mw"].to_numpy()
    window = (hour >= 10) & (hour < 16)
    assert np.abs(fl[~window]).max() < 1e-9
    assert -fl[window].sum() == pytest.approx(0.6, abs=1e-7)  # 1-hour periods: MW = MWh
    assert np.abs(np.diff(fl)[(hour[1:] > 10) & (hour[1:] < 16)]).max() <= 0.1 + 1e-9
    bat = s.loc["bat30"]["p_mw"].to_numpy()
    assert np.abs(np.diff(bat)).max() <= 0.2 + 1e-9
    pvp = s.loc["pv18"]
    avail = read_series(DATA / "pv_day.csv", "pv_series")["scale"].to_numpy()
    assert np.allclose(pvp["p_mw"] + pvp["curtailed_mw"], avail * 1.0, atol=1e-7)
    assert r.summary["undelivered_mwh"].iloc[0] == pytest.approx(0.0, abs=1e-7)


def test_shipped_day_keeps_ac_voltages_within_limits(derms_net) -> None:  # type: ignore[no-untyped-def]
    assets = read_table_file(DERMS / "der_assets.csv", "der_assets")
    prices = read_series(DERMS / "prices.csv", "price_series")
    loads = read_series(DERMS / "loads.csv", "load_series")
    pv = read_series(DERMS / "pv.csv", "pv_series")
    opts = ScheduleOptions(v_min=0.94)  # tight enough to bind in the evening
    r = run_schedule(derms_net, assets, prices, loads=loads, pv=pv, options=opts)
    s = r.summary.iloc[0]
    assert s["ac_converged_periods"] == 96
    assert s["ac_voltage_violations"] == 0 and s["ac_thermal_violations"] == 0
    assert s["worst_vm_min_pu"] >= 0.94 - s["v_tol_pu"]
    assert s["undelivered_mwh"] == pytest.approx(0.0, abs=1e-6)
    # The limit binds: some period's LinDistFlow minimum voltage sits at (or, after the AC
    # correction, above) 0.94 pu.
    assert r.network["vm_min_lp_pu"].min() == pytest.approx(0.94, abs=0.01)


def test_binding_thermal_limit_curtails_pv(case33, derms_net) -> None:  # type: ignore[no-untyped-def]
    """pv33 (1.4 MW) exports through branch 32, rated 1.0 MVA in the derms network only."""
    assets = read_table_file(DERMS / "der_assets.csv", "der_assets")
    curves = read_table_file(DERMS / "der_cost_curves.csv", "der_cost_curves")
    prices = read_series(DERMS / "prices.csv", "price_series")
    pv = read_series(DERMS / "pv.csv", "pv_series")
    free = run_schedule(case33, assets, prices, pv=pv, cost_curves=curves)
    rated = run_schedule(derms_net, assets, prices, pv=pv, cost_curves=curves)
    assert free.summary["curtailed_mwh"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert rated.summary["curtailed_mwh"].iloc[0] > 0.5
    cut = rated.schedule[rated.schedule.curtailed_mw > 1e-6]
    assert set(cut["asset_id"]) == {"pv33"}
    assert rated.summary["ac_thermal_violations"].iloc[0] == 0
    assert rated.summary["cost"].iloc[0] > free.summary["cost"].iloc[0]


def test_binding_voltage_limit_moves_ev_charging(case33) -> None:  # type: ignore[no-untyped-def]
    prices = _prices()
    loads = _light_load(prices, 1.0)
    assets = _assets("portfolio.csv")
    loose = run_schedule(case33, assets, prices, loads=loads, options=ScheduleOptions(v_min=0.85))
    tight = run_schedule(case33, assets, prices, loads=loads, options=ScheduleOptions(v_min=0.93))
    assert loose.network["vm_min_pu"].min() < 0.93 - 0.002
    assert tight.network["vm_min_pu"].min() >= 0.93 - 0.002
    ev_l = loose.schedule.loc[loose.schedule.asset_id == "ev24", "p_mw"].to_numpy()
    ev_t = tight.schedule.loc[tight.schedule.asset_id == "ev24", "p_mw"].to_numpy()
    assert np.abs(ev_l - ev_t).max() > 0.05
    # A tighter limit never makes the (LinDistFlow) optimum cheaper.
    assert tight.summary["cost_lp"].iloc[0] >= loose.summary["cost_lp"].iloc[0] - 1e-6


def test_curtailment_objective_is_lexicographic(case33) -> None:  # type: ignore[no-untyped-def]
    """With negative midday prices the cost objective curtails PV; curtailment does not."""
    prices = _prices("prices_negative.csv")
    pv = read_series(DATA / "pv_day.csv", "pv_series")
    assets = _assets("portfolio.csv")
    loads = _light_load(prices, 0.3)
    cost = run_schedule(case33, assets, prices, loads=loads, pv=pv)
    curt = run_schedule(
        case33, assets, prices, loads=loads, pv=pv, options=ScheduleOptions(objective="curtailment")
    )
    assert cost.summary["curtailed_mwh"].iloc[0] > 1.0
    # Held in the second solve within curtailment_tol (1e-6 x the produced energy).
    assert curt.summary["curtailed_mwh"].iloc[0] == pytest.approx(0.0, abs=1e-4)
    assert curt.summary["cost_lp"].iloc[0] > cost.summary["cost_lp"].iloc[0]
    assert curt.summary["objective"].iloc[0] == "curtailment"


def test_dt_hours_must_match_the_timestamps(case33) -> None:  # type: ignore[no-untyped-def]
    from gat_schemas.errors import InputError

    with pytest.raises(InputError, match="differs from the timestamp spacing"):
        run_schedule(
            case33, _assets("battery.csv"), _prices(), options=ScheduleOptions(dt_hours=0.25)
        )


def test_simultaneous_charge_and_discharge_only_at_negative_prices(case33) -> None:  # type: ignore[no-untyped-def]
    """At -20 per MWh burning energy in a charge-discharge loop earns money, so the LP may
    do it there (documented); never in a period with a positive price."""
    prices = _prices("prices_negative.csv")
    r = run_schedule(case33, _assets("battery.csv"), prices, loads=_light_load(prices))
    s = r.schedule
    both = np.minimum(s["charge_mw"], s["discharge_mw"]).to_numpy() > 1e-9
    price = prices["price"].to_numpy(dtype=float)
    assert (price[both] <= 0).all()
    soc = s["soc_mwh"].to_numpy()
    previous = np.concatenate([[1.0], soc[:-1]])
    ch, dis = s["charge_mw"].to_numpy(), s["discharge_mw"].to_numpy()
    assert np.allclose(soc, previous + 0.9 * ch - dis / 0.9, atol=1e-7)
