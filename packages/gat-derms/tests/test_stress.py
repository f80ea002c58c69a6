"""Stress tests: seeded scenarios, scripted scenarios, shard independence, percentiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gat_derms.schedule import read_series
from gat_derms.stress import (
    StressDistributions,
    random_scenarios,
    run_stress,
    spec_scenarios,
    stress_summary,
)
from gat_dist.table_files import read_table_file
from gat_schemas import read_network, validate_table
from gat_schemas.errors import InputError

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "schedule"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    prices = read_series(DATA / "prices_arbitrage.csv", "price_series")
    return {
        "network": read_network(CASE33),
        "assets": read_table_file(DATA / "portfolio.csv", "der_assets"),
        "prices": prices,
        "loads": pd.DataFrame({"timestamp": prices["timestamp"], "scale": 0.7}),
        "pv": read_series(DATA / "pv_day.csv", "pv_series"),
    }


def _run(inputs, **kw):  # type: ignore[no-untyped-def]
    i = inputs
    return run_stress(i["network"], i["assets"], i["prices"], loads=i["loads"], pv=i["pv"], **kw)


@pytest.fixture(scope="module")
def six(inputs):  # type: ignore[no-untyped-def]
    return _run(inputs, scenarios=6, seed=11, block_size=3)


def test_tables_follow_their_schemas(six) -> None:  # type: ignore[no-untyped-def]
    assert validate_table("derms_stress_scenarios", six.scenarios) == []
    assert validate_table("derms_stress_summary", six.summary) == []
    assert six.scenarios["scenario_id"].tolist() == [f"s{k}" for k in range(6)]
    assert (six.scenarios["ac_converged_periods"] == 24).all()


def test_same_seed_same_numbers_different_seed_different(inputs, six) -> None:  # type: ignore[no-untyped-def]
    again = _run(inputs, scenarios=6, seed=11, block_size=3)
    pd.testing.assert_frame_equal(again.scenarios, six.scenarios)
    pd.testing.assert_frame_equal(again.summary, six.summary)
    other = _run(inputs, scenarios=2, seed=12, block_size=3)
    assert not np.allclose(other.scenarios["cost"], six.scenarios["cost"].iloc[:2])


def test_a_scenario_does_not_depend_on_its_shard(inputs, six) -> None:  # type: ignore[no-untyped-def]
    alone = _run(inputs, scenarios=6, seed=11, block_size=1)
    cols = ["price_factor", "load_factor", "pv_factor", "cost", "curtailed_mwh", "undelivered_mwh"]
    np.testing.assert_allclose(alone.scenarios[cols], six.scenarios[cols], rtol=1e-7, atol=1e-7)


def test_random_scenarios_are_spawned_per_scenario() -> None:
    dist = StressDistributions()
    all_ = random_scenarios(5, 10, 24, dist)
    part = random_scenarios(5, 10, 24, dist, first=7, count=2)
    assert [p.scenario_id for p in part] == ["s7", "s8"]
    for a, b in zip(all_[7:9], part, strict=True):
        assert np.array_equal(a.price, b.price) and np.array_equal(a.pv, b.pv)
    assert all((p.load >= 0).all() and (p.pv >= 0).all() for p in all_)


def test_random_scenarios_follow_their_distributions() -> None:
    dist = StressDistributions(price_noise=0.0, load_noise=0.0, pv_noise=0.0)
    s = random_scenarios(1, 2000, 4, dist)
    price = np.array([p.price[0] for p in s])
    load = np.array([p.load[0] for p in s])
    pv = np.array([p.pv[0] for p in s])
    assert np.median(np.log(price)) == pytest.approx(0.0, abs=0.03)
    assert np.std(np.log(price)) == pytest.approx(0.25, rel=0.08)
    assert load.mean() == pytest.approx(1.0, abs=0.01) and load.std() == pytest.approx(
        0.1, rel=0.08
    )
    assert pv.min() >= 0.3 and pv.max() <= 1.1 and pv.mean() == pytest.approx(0.7, abs=0.02)


def test_spec_scenarios(inputs) -> None:  # type: ignore[no-untyped-def]
    spec = read_table_file(DATA / "spec.csv", "derms_stress_spec")
    r = _run(inputs, spec=spec, block_size=2)
    s = r.scenarios.set_index("scenario_id")
    assert list(s.index) == ["base", "no_sun", "heavy_load", "cheap"]
    assert s.loc["no_sun", "curtailed_mwh"] == pytest.approx(0.0, abs=1e-9)
    assert s.loc["no_sun", "cost"] > s.loc["base", "cost"]
    assert s.loc["heavy_load", "cost"] > s.loc["base", "cost"]
    assert s.loc["cheap", "cost"] < s.loc["base", "cost"]
    assert s.loc["heavy_load", "load_factor"] == 1.3


def test_bad_spec() -> None:
    dup = pd.DataFrame({"scenario_id": ["a", "a"], "price_factor": [1.0, 2.0]})
    with pytest.raises(InputError, match="duplicate a"):
        spec_scenarios(dup, 24, source="s.csv")
    bad = pd.DataFrame({"scenario_id": ["a b"]})
    with pytest.raises(InputError, match="may only hold letters"):
        spec_scenarios(bad, 24)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=40))
def test_summary_percentiles(values: list[float]) -> None:
    frame = pd.DataFrame({m: values for m in (
        "cost", "curtailed_mwh", "undelivered_mwh", "ac_voltage_violations",
        "ac_thermal_violations", "worst_v_violation_pu", "worst_loading_pct",
    )})  # fmt: skip
    s = stress_summary(frame).set_index("metric").loc["cost"]
    v = np.asarray(values)
    assert s["scenarios"] == v.size
    assert s["min"] <= s["p05"] <= s["p50"] <= s["p95"] <= s["max"]
    assert s["p50"] == pytest.approx(np.median(v), abs=1e-9)
    assert s["mean"] == pytest.approx(v.mean(), abs=1e-9)
