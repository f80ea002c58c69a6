"""DER schedules and stress tests on three-phase networks (the ieee13 / ieee34 datasets).

The AC check is checked from outside: every period's set points are re-solved here through
the physics interface (assets spread over their phases by this test's own code) and held
against the limits (a limit broken without DER held at its base value + ``held_tol_pu``,
computed here too). One period is compared with OpenDSS (``data/schedule3/``: GAT's set
points and OpenDSS's voltages, made by ``data/schedule3/opendss_schedule3.py``; the slow test
re-runs OpenDSS on the current set points).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gat_pf
from gat_derms.schedule import ScheduleOptions, run_schedule
from gat_derms.stress import run_stress
from gat_dist.datasets import build_dataset
from gat_schemas.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "schedule3"
TOL_PU = 1e-3


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "opendss_schedule3", DATA / "opendss_schedule3.py"
    )
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


REF = _module()


@pytest.fixture(scope="module")
def ieee13():  # type: ignore[no-untyped-def]
    return REF.gat_schedule()


@pytest.fixture(scope="module")
def ieee34():  # type: ignore[no-untyped-def]
    net = build_dataset("ieee34")
    return net, run_schedule(net, net.table("der_assets"), REF.prices())


def _phys(net):  # type: ignore[no-untyped-def]
    return gat_pf.physics_model(
        net, model="three_phase", options_3ph=gat_pf.ThreePhaseOptions(regulators="fixed")
    )


def _injection(phys, net, schedule: pd.DataFrame):  # type: ignore[no-untyped-def]
    """Terminal injections (S periods) of the schedule: each asset split equally over the
    phases of its ``phase`` present at its node."""
    assets = net.table("der_assets").set_index("asset_id")
    labels = list(np.asarray(phys.term_label).astype(str))
    stamps = sorted(schedule.timestamp.unique())
    terms: dict[str, int] = {}
    p = np.zeros((len(stamps), len(labels)))
    q = np.zeros_like(p)
    for s, stamp in enumerate(stamps):
        for row in schedule[schedule.timestamp == stamp].itertuples():
            bus = str(assets.loc[row.asset_id, "bus_id"])
            want = str(assets.loc[row.asset_id, "phase"])
            mine = [labels.index(f"{bus}.{c}") for c in want if f"{bus}.{c}" in labels]
            for t in mine:
                terms.setdefault(labels[t], t)
                p[s, t] += row.p_mw / len(mine)
                q[s, t] += row.q_mvar / len(mine)
    cols = np.array(sorted(terms.values()))
    return gat_pf.Injection(terms=cols, p_mw=p[:, cols], q_mvar=q[:, cols]), len(stamps)


def _check_limits(net, result, opts: ScheduleOptions, compare: bool = True) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Largest voltage excess (pu) and loading excess (%) of any period beyond its limits
    (held where broken without DER), from an independent re-solve."""
    phys = _phys(net)
    inj, n = _injection(phys, net, result.schedule)
    base = phys.limits(phys.solve(None, n_scenarios=1))
    lim = phys.limits(phys.solve(inj, n_scenarios=n))
    free = ~np.asarray(phys.term_slack, dtype=bool)
    v_lo = np.asarray(phys.term_v_min, dtype=float)
    v_hi = np.asarray(phys.term_v_max, dtype=float)
    vm0 = base.vm_pu[0]
    lo = np.where(vm0 < v_lo, vm0 - opts.held_tol_pu, v_lo)
    hi = np.where(vm0 > v_hi, vm0 + opts.held_tol_pu, v_hi)
    vm = lim.vm_pu[:, free]
    v_excess = np.maximum(lo[free] - vm, vm - hi[free]).max()
    ld0 = np.nan_to_num(base.loading_pct[0], nan=0.0)
    cap = np.where(ld0 > 100.0, ld0 + 100.0 * opts.held_tol_pu, 100.0)
    ld_excess = np.nanmax(lim.loading_pct - cap)
    if not compare:
        return float(v_excess), float(ld_excess)
    # The reported range is the one re-solved here.
    net_table = result.network
    assert np.abs(net_table.vm_max_pu.to_numpy() - vm.max(axis=1)).max() < 1e-6
    assert np.abs(net_table.vm_min_pu.to_numpy() - vm.min(axis=1)).max() < 1e-6
    return float(v_excess), float(ld_excess)


@pytest.mark.parametrize("case", ["ieee13", "ieee34"])
def test_every_period_meets_the_limits_ac(case, request) -> None:  # type: ignore[no-untyped-def]
    net, result = request.getfixturevalue(case)
    opts = ScheduleOptions()
    s = result.summary.iloc[0]
    assert result.model == "three_phase"
    assert s.status == "Optimal"
    assert s.ac_converged_periods == 24
    assert s.ac_voltage_violations == 0 and s.ac_thermal_violations == 0
    v_excess, ld_excess = _check_limits(net, result, opts)
    assert v_excess <= opts.v_tol_pu
    assert ld_excess <= opts.thermal_tol_pct
    # Energy: the AC import is the load + losses - DER; the linear model's cost is close.
    assert abs(s.cost - s.cost_lp) < 0.01 * abs(s.cost)


def test_ieee34_holds_the_limits_broken_without_der(ieee34) -> None:  # type: ignore[no-untyped-def]
    _, result = ieee34
    held = result.held
    assert set(held.columns) == {"element", "limit", "value", "periods", "held_at"}
    # IEEE 34 at its published taps: node 890 is below v_min before any DER.
    low = held[(held.limit == "v_min") & held.element.str.startswith("890.")]
    assert len(low) == 3 and (low.held_at < 0.95).all()


def test_the_check_fails_on_a_violating_schedule(ieee13) -> None:  # type: ignore[no-untyped-def]
    """The independent check is not vacuous: the same schedule with every asset pushed to
    p_max and q_max in one period breaks v_max at the held 1.05 pu nodes of IEEE 13."""
    net, result = ieee13
    bad = result.schedule.copy()
    assets = net.table("der_assets").set_index("asset_id")
    first = bad.timestamp == bad.timestamp.min()
    ids = bad.loc[first, "asset_id"]
    bad.loc[first, "p_mw"] = assets.loc[ids, "p_max"].to_numpy()
    bad.loc[first, "q_mvar"] = assets.loc[ids, "q_max"].to_numpy()
    pushed = type(result)(schedule=bad, network=result.network, summary=result.summary)
    v_excess, _ = _check_limits(net, pushed, ScheduleOptions(), compare=False)
    assert v_excess > ScheduleOptions().v_tol_pu


def test_one_period_equals_opendss(ieee13) -> None:  # type: ignore[no-untyped-def]
    net, result = ieee13
    stored = pd.read_csv(DATA / "setpoints.csv", dtype={"bus_id": str})
    stamp = REF.busiest_period(result.schedule)
    assert str(stamp) == stored.timestamp.iloc[0]
    sp = REF.setpoints(net, result.schedule, stamp)
    assert np.abs(sp.p_mw.to_numpy() - stored.p_mw.to_numpy()).max() < 1e-5
    assert np.abs(sp.q_mvar.to_numpy() - stored.q_mvar.to_numpy()).max() < 1e-5
    ref = pd.read_csv(DATA / "opendss_voltages.csv", dtype={"bus": str})
    assert _max_diff(net, result, stamp, ref) < TOL_PU


def _max_diff(net, result, stamp, ref: pd.DataFrame) -> float:  # type: ignore[no-untyped-def]
    phys = _phys(net)
    inj, _ = _injection(phys, net, result.schedule[result.schedule.timestamp == stamp])
    vm = phys.limits(phys.solve(inj, n_scenarios=1)).vm_pu[0]
    got = pd.DataFrame(
        {
            "bus": [str(n).lower() for n in np.asarray(phys.node_ids)[phys.term_node]],
            "phase": np.asarray(phys.term_phase).astype(str),
            "vm": vm,
        }
    )
    both = got.merge(ref, on=["bus", "phase"])
    assert len(both) >= len(got) - 3
    # The schedule's own AC check reported this period's range from the same voltages.
    row = result.network.set_index("timestamp").loc[stamp]
    free = ~np.asarray(phys.term_slack, dtype=bool)
    assert abs(row.vm_max_pu - vm[free].max()) < 1e-6
    return float(np.abs(both.vm - both.vm_pu).max())


@pytest.mark.slow
def test_opendss_rerun_on_current_schedule(ieee13) -> None:  # type: ignore[no-untyped-def]
    dss = pytest.importorskip("opendssdirect")
    net, result = ieee13
    stamp = REF.busiest_period(result.schedule)
    sp = REF.setpoints(net, result.schedule, stamp)
    ref = REF.opendss_driver().opendss_voltages(dss, sp)
    assert _max_diff(net, result, stamp, ref) < TOL_PU


def test_three_phase_load_series_is_one_scale_per_period(ieee13) -> None:  # type: ignore[no-untyped-def]
    net, _ = ieee13
    prices = REF.prices()
    by_node = pd.DataFrame({"timestamp": prices.timestamp, "node_id": "671", "scale": 1.0})
    with pytest.raises(InputError, match="one scale per period"):
        run_schedule(net, net.table("der_assets"), prices, loads=by_node)
    scale = pd.DataFrame({"timestamp": prices.timestamp, "scale": 0.6})
    low = run_schedule(net, net.table("der_assets"), prices, loads=scale)
    s = low.summary.iloc[0]
    assert s.ac_converged_periods == 24 and s.ac_voltage_violations == 0
    assert s.import_mwh < 0.7 * 24 * 3.5  # IEEE 13 carries about 3.5 MW at full load


def test_stress_test_on_three_phase(ieee13) -> None:  # type: ignore[no-untyped-def]
    net, _ = ieee13
    res = run_stress(net, net.table("der_assets"), REF.prices(), scenarios=3, seed=4, block_size=2)
    sc = res.scenarios
    assert len(sc) == 3
    assert (sc.ac_converged_periods == 24).all()
    assert (sc.ac_voltage_violations == 0).all() and (sc.ac_thermal_violations == 0).all()
