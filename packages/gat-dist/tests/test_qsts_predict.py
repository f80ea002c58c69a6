"""Predict-and-verify stepping: the rule it runs, when a predicted control round counts as
certain (not solved), and that a borderline prediction is solved, not trusted.

The engine-level contract (the sequential engine's taps, rounds and settled flags at every
step) is tested in ``test_qsts.py`` (and here with per-node load factors); the other tests
drive the recurrence with hand-made control voltages whose right answers follow from the
regulator rule by hand.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import gat_pf
from gat_dist import import_opendss
from gat_dist.qsts import Multipliers, QstsOptions, shape_multipliers, simulate
from gat_dist.qsts._certain import SAFETY, Predictor, Rule, certain_moves
from gat_dist.qsts._known import Known
from gat_dist.qsts._predict import _Anchor, _changes, _plan
from gat_dist.qsts._regcontrol import tap_moves
from gat_pf import Injection, RegulatorSettings


def _settings(n_r: int = 1) -> RegulatorSettings:
    """Regulators set to 120 V with a 2 V band (1 V either side), 0.75 V per tap step."""
    return RegulatorSettings(
        tap0=np.zeros(n_r, dtype=np.int64),
        tap_min=np.full(n_r, -16, dtype=np.int64),
        tap_max=np.full(n_r, 16, dtype=np.int64),
        auto=np.ones(n_r, dtype=bool),
        v_set_v=np.full(n_r, 120.0),
        band_v=np.full(n_r, 2.0),
        step_v=np.full(n_r, 0.75),
    )


def test_rule_moves_equal_tap_moves() -> None:
    """The per-vector rule gives tap_moves' moves, including NaN voltages, manual
    regulators, a missing step size, moves beyond max_tap_change and the tap limits."""
    rng = np.random.default_rng(3)
    n_r = 6
    st = RegulatorSettings(
        tap0=np.zeros(n_r, dtype=np.int64),
        tap_min=np.full(n_r, -16, dtype=np.int64),
        tap_max=np.full(n_r, 16, dtype=np.int64),
        auto=np.array([True, True, True, True, False, True]),
        v_set_v=np.array([120.0, 121.0, 119.0, 120.0, 120.0, 122.0]),
        band_v=np.array([2.0, 1.0, 3.0, 2.0, 2.0, 2.0]),
        step_v=np.array([0.75, 0.75, 0.8, 0.75, 0.75, np.nan]),
    )
    mtc = np.array([16, 2, 16, 1, 16, 16])
    rule = Rule(st, mtc)
    for _ in range(300):
        taps = rng.integers(-16, 17, n_r)
        v_c = rng.uniform(110.0, 130.0, (4, n_r))
        v_c[0, rng.integers(n_r)] = np.nan
        v_c[1] = st.v_set_v + 0.5 * st.band_v  # exactly on the band edge
        v_c[2, :3] = st.v_set_v[:3] - np.array([2.5, 1.5, -2.5]) * st.step_v[:3]  # ties
        got = np.stack([rule.moves(v, taps) for v in v_c])
        np.testing.assert_array_equal(got, tap_moves(st, v_c, taps, mtc))


def test_certain_moves_only_away_from_every_boundary() -> None:
    """A move is certain when the whole interval of the bound gives it; within the bound of
    the band edge or of a rounding boundary it is not."""
    st = _settings()
    rule = Rule(st, 16)
    taps = np.zeros(1, dtype=np.int64)
    b = np.array([0.1])
    # 1.25 V low: out of band, round(1.25 / 0.75) = 2 ... and 1.15-1.35 V all give 2.
    got = certain_moves(rule, np.array([118.75]), b, taps)
    np.testing.assert_array_equal(got, [2])
    # 1.05 V low: 0.95 V (in band, no move) is within the bound.
    assert certain_moves(rule, np.array([118.95]), b, taps) is None
    # 1.1 V low rounds to 1, 1.2 V to 2: the boundary 1.125 V is within the bound.
    assert certain_moves(rule, np.array([118.9]), np.array([0.03]), taps) is None
    # Well inside the band: no move, certain.
    np.testing.assert_array_equal(certain_moves(rule, np.array([120.3]), b, taps), [0])
    # A bound that is not finite is never certain.
    assert certain_moves(rule, np.array([120.3]), np.array([np.inf]), taps) is None


def test_certain_moves_equal_the_moves_at_both_ends_and_the_middle() -> None:
    """certain_moves against its definition through tap_moves: the moves at v - b, v and
    v + b all equal (then those moves), else None; random voltages and bounds around the
    band edges, manual regulators, NaN."""
    rng = np.random.default_rng(11)
    n_r = 5
    st = RegulatorSettings(
        tap0=np.zeros(n_r, dtype=np.int64),
        tap_min=np.full(n_r, -16, dtype=np.int64),
        tap_max=np.full(n_r, 16, dtype=np.int64),
        auto=np.array([True, True, False, True, True]),
        v_set_v=np.array([120.0, 121.0, 120.0, 119.0, 122.0]),
        band_v=np.array([2.0, 1.0, 2.0, 3.0, 2.0]),
        step_v=np.array([0.75, 0.75, 0.75, 0.8, 0.75]),
    )
    rule = Rule(st, 16)
    n_none = 0
    for _ in range(2000):
        taps = rng.integers(-16, 17, n_r)
        v = st.v_set_v + rng.uniform(-2.5, 2.5, n_r)
        b = rng.uniform(0.0, 0.3, n_r)
        if rng.random() < 0.05:
            v[rng.integers(n_r)] = np.nan
        ends = tap_moves(st, np.stack([v - b, v, v + b]), taps, 16)
        same = np.isfinite(v).all() and (ends == ends[1]).all()
        got = certain_moves(rule, v, b, taps)
        if same:
            np.testing.assert_array_equal(got, ends[1])
        else:
            assert got is None
            n_none += 1
    assert 100 < n_none < 1900  # both outcomes exercised


def _predictor(rate: float) -> Predictor:
    """One regulator, 0.75 V per tap step, and enough checks of ``rate`` V per tap step."""
    pred = Predictor(np.array([[0.75]]), np.zeros(1), np.array([0.75]))
    for _ in range(50):
        pred.check(np.array([rate]), 1)
    return pred


def _known(pairs: dict) -> Known:  # type: ignore[type-arg]
    """The solved pairs ``{step: {taps bytes: (v_c, converged, solution, row)}}``."""
    known = Known(1)
    for k, here in pairs.items():
        for key, (v_c, ok, sol, _row) in here.items():
            taps = np.frombuffer(key, dtype=np.int64)[None, :]
            known.put(np.array([k]), taps, v_c[None, :], np.array([ok]), sol)
    return known


def _one_step(known, pred):  # type: ignore[no-untyped-def]
    st = _settings()
    anchor = _Anchor(np.array([120.0]), np.zeros(1, dtype=np.int64), 1.0)
    return _plan(
        _known(known),
        np.array([0]),
        np.zeros(1, dtype=np.int64),
        Rule(st, 16),
        20,
        pred,
        anchor,
        np.ones(1),
        (pred.rate(), pred.cross_rate(), np.full(1, np.nan)),
    )


def _row(v: float) -> tuple[np.ndarray, bool, None, int]:
    return np.array([v]), True, None, 0


def test_a_certain_first_round_is_not_solved() -> None:
    """Step 0 starts at tap 0. Only tap 2 is solved (120.25 V, in band). Predicted at tap 0:
    118.75 V (1.25 V low = 1.67 steps; the bound, SAFETY x 0.01 V x 2 steps + 0.0075 V,
    keeps it between 1.5 and 2.5 steps): a certain move of two steps to tap 2, where the solve says rest.
    The step is verified with two rounds and nothing to solve."""
    tap2 = np.array([2], dtype=np.int64).tobytes()
    plan, missing = _one_step({0: {tap2: _row(120.25)}}, _predictor(0.01))
    assert missing == []
    k, fin, rounds, settled, verified = plan[0]
    assert (k, fin.tolist(), rounds, settled, verified) == (0, [2], 2, True, True)


def test_a_borderline_first_round_is_solved_and_the_solve_decides() -> None:
    """As above, but the solve at tap 1 says 119.7 V: the prediction at tap 0 is 118.95 V,
    1.05 V low, within the bound (0.1 V) of the band edge (1 V). The round must be solved,
    not trusted: the plan asks for (step 0, tap 0). The solve there says 119.02 V (0.98 V
    low, in band): the sequential engine stays at tap 0 after one round, and so does the
    plan, although the prediction said move."""
    tap0 = np.array([0], dtype=np.int64).tobytes()
    tap1 = np.array([1], dtype=np.int64).tobytes()
    known = {0: {tap1: _row(119.7)}}
    pred = _predictor(0.03)
    plan, missing = _one_step(known, pred)
    assert [(k, tp.tolist()) for k, tp in missing] == [(0, [0])]
    assert plan[0][4] is False
    known[0][tap0] = _row(119.02)
    plan, missing = _one_step(known, pred)
    assert missing == []
    _k, fin, rounds, settled, verified = plan[0]
    assert (fin.tolist(), rounds, settled, verified) == ([0], 1, True, True)


def test_a_step_without_solves_asks_for_its_predicted_final_taps_only() -> None:
    """No solve of step 0 yet. The anchor (120 V at tap 0, load 1.0) predicts no move: step
    0 asks for tap 0. With the anchor at load 1.1 and 11 V per unit of load, step 0 (load
    1.0) is predicted at 118.9 V (1.1 V low: one step up, then 119.65 V, rest): only the
    final taps (tap 1) are asked for; the first round waits for that solve."""
    plan, missing = _one_step({}, _predictor(0.02))
    assert [(k, tp.tolist()) for k, tp in missing] == [(0, [0])]
    pred = _predictor(0.02)
    pred.per_load = np.array([11.0])
    st = _settings()
    anchor = _Anchor(np.array([120.0]), np.zeros(1, dtype=np.int64), 1.1)
    plan, missing = _plan(
        _known({}),
        np.array([0]),
        np.zeros(1, dtype=np.int64),
        Rule(st, 16),
        20,
        pred,
        anchor,
        np.ones(1),
        (pred.rate(), pred.cross_rate(), np.full(1, np.nan)),
    )
    assert [(k, tp.tolist()) for k, tp in missing] == [(0, [1])]
    assert plan[0][1].tolist() == [1] and plan[0][4] is False


@pytest.mark.parametrize("rate", [0.0, 0.02])
def test_predictor_bound_grows_with_the_distance(rate: float) -> None:
    pred = _predictor(rate)
    r = pred.rate()
    assert r is not None
    np.testing.assert_allclose(pred.bound(r, 2), SAFETY * rate * 2 + 0.0075)
    assert Predictor(np.eye(1), np.zeros(1), np.ones(1)).rate() is None


def _two_steps(known, pred, level1: float = 1.02):  # type: ignore[no-untyped-def]
    """Steps 0 and 1 from tap 0; loads 1.0 and ``level1``."""
    st = _settings()
    anchor = _Anchor(np.array([120.0]), np.zeros(1, dtype=np.int64), 1.0)
    chg = np.array([np.nan, abs(level1 - 1.0)])
    return _plan(
        _known(known),
        np.array([0, 1]),
        np.zeros(1, dtype=np.int64),
        Rule(st, 16),
        20,
        pred,
        anchor,
        np.array([1.0, level1]),
        (pred.rate(), pred.cross_rate(), chg),
    )


def _cross_predictor() -> Predictor:
    """Same-step errors of 0.05 V per tap step; across one step 0.2 V per unit of load
    change; the control voltage falls 10 V per unit of load."""
    pred = _predictor(0.05)
    pred.per_load = np.array([-10.0])
    for _ in range(50):
        pred.check_cross(np.array([0.2 * 0.02]), 0.02)
    return pred


def test_the_step_before_at_the_same_taps_makes_a_round_certain() -> None:
    """Step 0 solved at tap 0: 119.1 V (in band, it stays). Step 1 (load +0.02, -0.2 V)
    solved at tap 1: 119.62 V. Its first round at tap 0 predicted from tap 1: 118.87 V with
    a bound of 0.1575 V, which reaches the band edge (119 V): not certain alone. From step 0
    at tap 0: 118.9 V with a bound of 3 x 0.2 x 0.02 + 0.0075 = 0.0195 V: 1.08-1.12 V low, one
    step up for certain. Step 1 is verified (two rounds) without solving tap 0."""
    tap0 = np.array([0], dtype=np.int64).tobytes()
    tap1 = np.array([1], dtype=np.int64).tobytes()
    known = {0: {tap0: _row(119.1)}, 1: {tap1: _row(119.62)}}
    plan, missing = _two_steps(known, _cross_predictor())
    assert missing == []
    assert [(p[1].tolist(), p[2], p[4]) for p in plan] == [([0], 1, True), ([1], 2, True)]


def test_a_borderline_round_across_one_step_is_solved() -> None:
    """As above with step 0 at 119.2 V: step 1 at tap 0 is predicted at 119.0 V +- 0.0195 V,
    on the band edge, and from tap 1 (119.72 V) at 118.97 V +- 0.1575 V: both intervals
    straddle the edge, so (step 1, tap 0) is solved. It says 119.01 V (in band): step 1
    stays at tap 0 after one round, as the sequential engine does."""
    tap0 = np.array([0], dtype=np.int64).tobytes()
    tap1 = np.array([1], dtype=np.int64).tobytes()
    known = {0: {tap0: _row(119.2)}, 1: {tap1: _row(119.72)}}
    pred = _cross_predictor()
    plan, missing = _two_steps(known, pred)
    assert [(k, tp.tolist()) for k, tp in missing] == [(1, [0])]
    known[1][tap0] = _row(119.01)
    plan, missing = _two_steps(known, pred)
    assert missing == []
    assert [(p[1].tolist(), p[2], p[4]) for p in plan] == [([0], 1, True), ([0], 1, True)]


def test_load_changes_across_steps_and_der_steps_left_out() -> None:
    """The change to a step is its largest node load change; a step whose DER injection
    changes gets none (no prediction across it)."""
    load = np.array([[0.5, 0.5], [0.6, 0.45], [0.6, 0.45], [0.7, 0.7]])
    p = np.array([[1.0], [1.0], [2.0], [2.0]])
    run = SimpleNamespace(load=load, injection=Injection(np.array([0]), p, np.zeros_like(p)))
    got = _changes(run)
    assert np.isnan(got[0]) and np.isnan(got[2])
    np.testing.assert_allclose(got[[1, 3]], [0.1, 0.25])
    run = SimpleNamespace(load=load[:, 0], injection=None)
    np.testing.assert_allclose(_changes(run)[1:], [0.1, 0.0, 0.1])


def test_per_node_load_factors_take_the_sequential_engines_rounds() -> None:
    """IEEE 123 for a week with every node's load factor on its own phase of a swing
    (+-15 %, period 44 h) over the yearly shape: predicted windows (their load sensitivity
    and step-across bounds built on the mean and the largest node change) take the
    sequential engine's taps, rounds and settled flags at every step."""
    dss = Path(__file__).resolve().parents[3] / "test_data/opendss/der/ieee123_yearly.dss"
    net = import_opendss(dss)
    steps = 168
    m = shape_multipliers(net, kind="yearly", steps=steps, step_h=1.0)
    n = len(gat_pf.physics_model(net).node_ids)
    base = m.load if m.load.ndim == 2 else np.repeat(m.load[:, None], n, axis=1)
    phase = np.random.default_rng(5).uniform(0.0, 6.0, n)
    load = base * (1.0 + 0.15 * np.sin(np.arange(steps)[:, None] / 7.0 + phase[None, :]))
    snap = gat_pf.run_power_flow_3ph(net).taps
    mult = Multipliers(load=load)
    seq = simulate(net, mult, QstsOptions(stepping="sequential"), initial_taps=snap)
    auto = simulate(net, mult, QstsOptions(), initial_taps=snap)
    assert seq.tap_ops.sum() > steps // 4
    np.testing.assert_array_equal(auto.taps, seq.taps)
    np.testing.assert_array_equal(auto.control_rounds, seq.control_rounds)
    np.testing.assert_array_equal(auto.controls_settled, seq.controls_settled)
    np.testing.assert_allclose(auto.v_min_pu, seq.v_min_pu, atol=1e-6)


def test_batch_checks_find_the_nearest_pair_and_the_step_before() -> None:
    """Step 0 solved at taps 0 (119.0 V) and 2 (120.4 V). A new batch: step 0 at tap 1
    (119.8 V) and step 1 at tap 1 (119.6 V, load 1.0 -> 1.02, -10 V per unit of load).
    Row 0: taps 0 and 2 are both one step away, the first solved (tap 0) is the nearest:
    a check of 119.8 - 119.0 - 0.75 = 0.05 V over one step. Row 1: no other pair of step 1;
    the batch's own row 0 is step 0 at the same taps: a check across one step of
    119.6 - 119.8 - (-10 x 0.02) = 0 V over a load change of 0.02. A row that did not
    converge gives no check."""
    from gat_dist.qsts._checks_jit import batch_checks
    from gat_dist.qsts._rule_jit import arrays_of

    pred = _predictor(0.0)
    pred.per_load = np.array([-10.0])
    known = _known(
        {
            0: {
                np.array([0], dtype=np.int64).tobytes(): _row(119.0),
                np.array([2], dtype=np.int64).tobytes(): _row(120.4),
            }
        }
    )
    steps = np.array([0, 1, 1], dtype=np.int64)
    taps = np.array([[1], [1], [3]], dtype=np.int64)
    v_c = np.array([[119.8], [119.6], [121.0]])
    ok = np.array([True, True, False])
    anchor, pred_m, pred_v = arrays_of(None, pred, 1)
    level = np.array([1.0, 1.02])
    chg = np.array([np.nan, 0.02])
    got = batch_checks(
        steps, taps, v_c, ok, -1, known.pairs(-1, 3)[:4], anchor, pred_m, pred_v, level, chg
    )
    n_s, s_err, s_dist, s_d, s_dv, s_lv, n_c, c_err, c_chg = got
    assert n_s == 1 and n_c == 1
    np.testing.assert_allclose(s_err[0], [0.05], atol=1e-12)
    assert s_dist[0] == 1 and s_d[0].tolist() == [1] and s_lv[0] == 1.0
    np.testing.assert_allclose(s_dv[0], [0.8], atol=1e-12)
    np.testing.assert_allclose(c_err[0], [0.0], atol=1e-12)
    assert c_chg[0] == 0.02
