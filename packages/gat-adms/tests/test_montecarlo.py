"""Outage Monte Carlo on hand-made fault impacts: pricing, convergence, determinism, resume."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gat_adms.impacts import FaultImpacts, expected_indices, interruption_hours
from gat_adms.montecarlo import (
    MonteCarloOptions,
    RepairDistribution,
    block_generator,
    element_effects,
    outage_block,
    outage_monte_carlo,
    outage_shards,
    reduce_outage_mc,
    repair_times,
)
from gat_dist.fanout import ExecutorOptions, ShardStore, open_run
from gat_schemas.errors import InputError
from gat_schemas.validation import validate_table

INF = np.inf


def feeder() -> FaultImpacts:
    """Three sections in series, 100 / 50 / 30 customers, a tie at the far end.

    - ``S1`` (head section): every load point waits for the repair, except C which the tie
      picks up after 1 h;
    - ``S2``: A is back after 0.5 h by re-closing upstream, B waits, C via the tie in 1 h;
    - ``S3``: only C is hit and waits (the tie cannot help the faulted section);
    - ``F`` (a fuse on a lateral with no customers): nothing is interrupted.
    """
    return FaultImpacts(
        elements=("S1", "S2", "S3", "F"),
        element_types=("branch", "branch", "branch", "device"),
        failure_rate_per_yr=np.array([0.2, 0.5, 0.3, 0.4]),
        repair_time_h=np.array([4.0, 5.0, 6.0, 2.0]),
        load_points=("A", "B", "C"),
        customers=np.array([100, 50, 30]),
        load_mw=np.array([0.5, 0.2, 0.1]),
        interrupted=np.array(
            [[1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 0, 0]],
            dtype=bool,
        ),
        restore_time_h=np.array(
            [[INF, INF, 1.0], [0.5, INF, 1.0], [INF, INF, INF], [INF, INF, INF]]
        ),
    )


def test_element_effects_are_the_contract_rule_per_failure() -> None:
    imp = feeder()
    eff = element_effects(imp)
    assert eff.customers_interrupted.tolist() == [180, 180, 30, 0]
    assert eff.customers_switched.tolist() == [30, 130, 0, 0]
    # S2 repaired in 5 h: A 100 x 0.5 h, B 50 x 5 h, C 30 x 1 h = 330 customer h.
    assert eff.customer_hours_fixed[1] + eff.customers_waiting[1] * 5.0 == pytest.approx(330.0)
    # ... and 0.5 x 0.5 + 0.2 x 5 + 0.1 x 1 = 1.35 MWh.
    assert eff.energy_fixed_mwh[1] + eff.load_waiting_mw[1] * 5.0 == pytest.approx(1.35)
    assert eff.switching_h.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert eff.waits.tolist() == [True, True, True, False]


@pytest.mark.parametrize("dist", ["exponential", "lognormal"])
def test_monte_carlo_converges_to_the_analytical_indices(dist: str) -> None:
    imp = feeder()
    options = MonteCarloOptions(years=20_000, seed=11, repair_dist=dist, block_years=5_000)
    res = outage_monte_carlo(imp, options=options)
    ana = expected_indices(imp)
    stats = res.stats.set_index("index")
    for name, want in (("SAIFI", ana.saifi), ("SAIDI", ana.saidi), ("ENS", ana.ens)):
        row = stats.loc[name]
        assert row["analytic"] == pytest.approx(want)
        assert abs(row["mean"] - want) < 3 * row["sem"], (name, row["mean"], want, row["sem"])
        assert row["years"] == 20_000 and row["p5"] <= row["p50"] <= row["p95"]
    # The estimate of the analytical CAIDI is a ratio of means.
    caidi = stats.loc["SAIDI", "mean"] / stats.loc["SAIFI", "mean"]
    assert caidi == pytest.approx(ana.caidi, rel=0.03)
    assert stats.loc["CAIDI", "years"] == int(res.years["caidi"].notna().sum()) < 20_000
    # The failure count per element follows its rate.
    per_el = res.samples.groupby("element_id").size() / 20_000
    for el, lam in zip(imp.elements, imp.failure_rate_per_yr, strict=True):
        assert per_el[el] == pytest.approx(lam, abs=4 * np.sqrt(lam / 20_000))


ADMS = Path(__file__).resolve().parents[3] / "test_data" / "adms"


@pytest.mark.parametrize(
    ("network", "reliability", "switches"),
    [
        ("case33bw", "case33bw_reliability.csv", "case33bw_switching_devices.csv"),
        ("feeder4_tie", "feeder4_reliability.csv", "feeder4_tie_switching_devices.csv"),
    ],
)
def test_converges_on_the_flisr_outcome_of_shipped_feeders(
    network: str, reliability: str, switches: str
) -> None:
    from gat_adms import simulate_flisr
    from gat_dist.table_files import read_table_file
    from gat_schemas import read_network

    impacts = simulate_flisr(
        read_network(ADMS / network),
        read_table_file(ADMS / reliability, "reliability"),
        read_table_file(ADMS / switches, "switching_devices"),
    ).impacts
    assert impacts.restore_time_h[impacts.interrupted].min() > 0
    res = outage_monte_carlo(impacts, options=MonteCarloOptions(years=20_000, seed=2026))
    ana = expected_indices(impacts)
    stats = res.stats.set_index("index")
    for name, want in (("SAIFI", ana.saifi), ("SAIDI", ana.saidi), ("ENS", ana.ens)):
        row = stats.loc[name]
        assert abs(row["mean"] - want) < 3 * row["sem"], (name, row["mean"], want, row["sem"])


def test_tables_are_consistent_and_valid() -> None:
    imp = feeder()
    res = outage_monte_carlo(imp, options=MonteCarloOptions(years=3_000, seed=2, block_years=700))
    s, y = res.samples, res.years
    for name, df in (("outage_samples", s), ("outage_years", y), ("outage_stats", res.stats)):
        assert validate_table(name, df) == [], name
    assert y["year"].tolist() == list(range(1, 3_001))
    assert (
        s.groupby("year").size().reindex(y["year"], fill_value=0).to_numpy() == y["failures"]
    ).all()
    sums = s.groupby("year")[["customers_interrupted", "customer_hours"]].sum()
    sums = sums.reindex(y["year"], fill_value=0)
    assert (sums["customers_interrupted"].to_numpy() == y["customers_interrupted"]).all()
    np.testing.assert_allclose(sums["customer_hours"].to_numpy(), y["customer_hours"])
    np.testing.assert_allclose(y["saifi"], y["customers_interrupted"] / 180)
    np.testing.assert_allclose(y["saidi"], y["customer_hours"] / 180)
    # Within a year events are numbered 1.. in start order.
    assert (s.groupby("year")["event"].diff().fillna(1) == 1).all()
    assert (s.groupby("year")["start_h"].diff().fillna(0) >= 0).all()
    assert (s.loc[s["element_id"] == "F", "customers_interrupted"] == 0).all()
    assert (s.loc[s["element_id"] == "F", "duration_h"] == 0).all()


def test_blocks_do_not_depend_on_order_or_count() -> None:
    imp = feeder()
    opts = MonteCarloOptions(years=2_500, seed=5, block_years=1_000)
    shards = outage_shards(imp, opts)
    assert [(s.id, s.args[3], s.args[4]) for s in shards] == [
        ("b0", 1, 1000),
        ("b1", 1001, 1000),
        ("b2", 2001, 500),
    ]
    backwards = {s.id: outage_block(*s.args) for s in reversed(shards)}
    a = reduce_outage_mc([backwards[s.id] for s in shards], imp)
    b = outage_monte_carlo(imp, options=opts)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.stats, b.stats)
    # Block b's generator is child b of SeedSequence(seed), however many children exist.
    child = np.random.SeedSequence(5).spawn(7)[2]
    want = np.random.Generator(np.random.PCG64(child)).random(4)
    assert np.array_equal(block_generator(5, 2).random(4), want)
    other = outage_monte_carlo(imp, options=MonteCarloOptions(years=2_500, seed=6))
    assert not other.samples["start_h"].equals(b.samples["start_h"])


def test_shards_pickle_for_process_and_dask_workers() -> None:
    imp = feeder()
    shard = outage_shards(imp, MonteCarloOptions(years=50, seed=1, block_years=20))[1]
    func, args = pickle.loads(pickle.dumps((outage_block, shard.args)))
    pd.testing.assert_frame_equal(func(*args)["samples"], outage_block(*shard.args)["samples"])


@pytest.mark.slow  # spawned workers import gat_adms (and pyomo with it): ~10-30 s
def test_process_workers_give_the_same_tables() -> None:
    imp = feeder()
    opts = MonteCarloOptions(years=900, seed=8, block_years=300)
    local = outage_monte_carlo(imp, options=opts)
    pool = outage_monte_carlo(
        imp, options=opts, executor=ExecutorOptions(kind="process", workers=2)
    )
    pd.testing.assert_frame_equal(local.samples, pool.samples)
    pd.testing.assert_frame_equal(local.years, pool.years)


@pytest.mark.slow  # a local Dask cluster whose workers import gat_adms
def test_dask_workers_give_the_same_tables() -> None:
    imp = feeder()
    opts = MonteCarloOptions(years=900, seed=8, block_years=300)
    local = outage_monte_carlo(imp, options=opts)
    dask = outage_monte_carlo(imp, options=opts, executor=ExecutorOptions(kind="dask", workers=1))
    pd.testing.assert_frame_equal(local.samples, dask.samples)
    pd.testing.assert_frame_equal(local.years, dask.years)


def test_store_resumes_only_missing_blocks(tmp_path: Path) -> None:
    imp = feeder()
    opts = MonteCarloOptions(years=1_200, seed=4, block_years=400)
    params = {"years": 1_200}
    run = open_run(tmp_path, command="adms outage-mc", argv=["gat"], params=params)
    store = ShardStore(run)
    first = outage_shards(imp, opts)[0]
    store.save(first.id, outage_block(*first.args))
    stamp = (tmp_path / "_shards" / "b0" / "samples.parquet").stat().st_mtime_ns
    resumed = outage_monte_carlo(imp, options=opts, store=store)
    assert (tmp_path / "_shards" / "b0" / "samples.parquet").stat().st_mtime_ns == stamp
    assert [s["id"] for s in run.shards] == ["b0", "b1", "b2"]
    whole = outage_monte_carlo(imp, options=opts)
    pd.testing.assert_frame_equal(resumed.samples, whole.samples, check_dtype=False)
    pd.testing.assert_frame_equal(resumed.stats, whole.stats)


def test_lognormal_repair_keeps_the_mean_and_has_the_cv() -> None:
    rng = np.random.default_rng(1)
    mean = np.full(200_000, 4.0)
    x = repair_times(mean, rng, RepairDistribution.LOGNORMAL, 0.5)
    assert x.mean() == pytest.approx(4.0, rel=0.01)
    assert x.std() / x.mean() == pytest.approx(0.5, rel=0.02)
    y = repair_times(mean, rng, RepairDistribution.EXPONENTIAL, 0.5)
    assert y.mean() == pytest.approx(4.0, rel=0.01)
    assert y.std() / y.mean() == pytest.approx(1.0, rel=0.02)


def test_one_year_and_no_failures() -> None:
    imp = feeder()
    quiet = FaultImpacts(**{**imp.__dict__, "failure_rate_per_yr": np.zeros(4)})
    res = outage_monte_carlo(quiet, options=MonteCarloOptions(years=10, seed=0))
    assert res.samples.empty and validate_table("outage_samples", res.samples) == []
    stats = res.stats.set_index("index")
    assert stats.loc["SAIFI", "mean"] == 0 and stats.loc["CAIDI", "years"] == 0
    assert np.isnan(stats.loc["CAIDI", "mean"]) and np.isnan(stats.loc["CAIDI", "analytic"])
    one = outage_monte_carlo(imp, options=MonteCarloOptions(years=1, seed=0))
    assert np.isnan(one.stats.set_index("index").loc["SAIFI", "sem"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"failure_rate_per_yr": np.array([0.2, -1.0, 0.3, 0.4])}, "failure_rate_per_yr"),
        ({"repair_time_h": np.array([4.0, 0.0, 6.0, 2.0])}, "not usable for element(s) S2"),
        ({"customers": np.zeros(3)}, "no load point has customers"),
        ({"interrupted": np.zeros((4, 2), dtype=bool)}, "interrupted has shape (4, 2)"),
    ],
)
def test_unusable_impacts_are_refused(change: dict, message: str) -> None:  # type: ignore[type-arg]
    bad = FaultImpacts(**{**feeder().__dict__, **change})
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        outage_monte_carlo(bad, options=MonteCarloOptions(years=5))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"years": 0}, "years must be an integer >= 1"),
        ({"years": 5, "block_years": 0}, "block_years"),
        ({"years": 5, "seed": -1}, "seed"),
        ({"years": 5, "repair_cv": 0.0}, "repair_cv"),
        ({"years": 5, "repair_dist": "weibull"}, "unknown repair distribution"),
    ],
)
def test_bad_options(kw: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InputError, match=message):
        MonteCarloOptions(**kw)


@st.composite
def impacts(draw: st.DrawFn) -> FaultImpacts:
    n_el = draw(st.integers(1, 5))
    n_lp = draw(st.integers(1, 4))
    floats = st.floats(0.0, 3.0, allow_nan=False)
    rate = np.array(draw(st.lists(floats, min_size=n_el, max_size=n_el)))
    repair = np.array(draw(st.lists(st.floats(0.1, 20.0), min_size=n_el, max_size=n_el)))
    hit = np.array(draw(st.lists(st.booleans(), min_size=n_el * n_lp, max_size=n_el * n_lp)))
    restore = draw(
        st.lists(
            st.one_of(st.just(INF), st.floats(0.09, 10.0)),
            min_size=n_el * n_lp,
            max_size=n_el * n_lp,
        )
    )
    customers = np.array(draw(st.lists(st.integers(1, 500), min_size=n_lp, max_size=n_lp)))
    load = np.array(draw(st.lists(floats, min_size=n_lp, max_size=n_lp)))
    return FaultImpacts(
        elements=tuple(f"e{k}" for k in range(n_el)),
        element_types=("branch",) * n_el,
        failure_rate_per_yr=rate,
        repair_time_h=repair,
        load_points=tuple(f"n{k}" for k in range(n_lp)),
        customers=customers,
        load_mw=load,
        interrupted=hit.reshape(n_el, n_lp),
        restore_time_h=np.array(restore).reshape(n_el, n_lp),
    )


@settings(max_examples=40, deadline=None)
@given(imp=impacts(), seed=st.integers(0, 2**32), years=st.integers(1, 60))
def test_every_event_is_priced_by_the_contract_rule(
    imp: FaultImpacts, seed: int, years: int
) -> None:
    res = outage_monte_carlo(imp, options=MonteCarloOptions(years=years, seed=seed, block_years=7))
    s = res.samples
    assert validate_table("outage_samples", s) == []
    assert validate_table("outage_years", res.years) == []
    pos = {e: k for k, e in enumerate(imp.elements)}
    n = imp.customers.astype(float)
    for row in s.itertuples():
        k = pos[row.element_id]
        repair = imp.repair_time_h.copy()
        repair[k] = row.repair_h
        hours = interruption_hours(imp, repair)[k]
        assert row.customers_interrupted == int(imp.interrupted[k] @ n)
        assert row.customer_hours == pytest.approx(hours @ n)
        assert row.unserved_mwh == pytest.approx(hours @ imp.load_mw)
        assert row.duration_h == pytest.approx(hours.max())
    total = float(n.sum())
    np.testing.assert_allclose(res.years["saidi"], res.years["customer_hours"] / total)
    assert res.years["failures"].sum() == len(s)
