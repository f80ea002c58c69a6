"""Start voltages of the sequential engine's rows (``gat_dist.qsts._starts.Starts``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from gat_dist.qsts._starts import Starts


def _sol(v: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(v=np.atleast_2d(v), converged=np.ones(np.atleast_2d(v).shape[0], bool))


def test_nearest_state_wins_and_moves_by_the_load_change():
    a_taps, b_taps = np.array([0, 0]), np.array([5, -5])
    on, off = np.array([True]), np.array([False])
    st = Starts()
    assert st.rows(np.array([0]), a_taps, on) is None  # nothing solved: no-load start
    # Step 0 at state A and state B, step 1 at state A.
    st.add(np.array([0]), a_taps, on, _sol(np.array([1.0, 2.0])))
    st.add(np.array([0]), b_taps, off, _sol(np.array([10.0, 20.0])))
    st.add(np.array([1]), a_taps, on, _sol(np.array([1.5, 2.5])))
    # Step 1 at a state one tap from B: step 0's B row, moved by A's change from 0 to 1.
    got = st.rows(np.array([1]), np.array([5, -4]), off)
    np.testing.assert_allclose(got[0], [10.5, 20.5])
    # Step 1 at A itself: its own row.
    np.testing.assert_allclose(st.rows(np.array([1]), a_taps, on)[0], [1.5, 2.5])
    # A step never solved: the nearest state's row (B at step 0 is 5 + 4 apart with the
    # capacitor, A at step 1 and at step 0 are 5 apart) of the nearest step.
    np.testing.assert_allclose(st.rows(np.array([2]), np.array([5, 0]), on)[0], [1.5, 2.5])


def test_rows_of_old_steps_are_dropped_and_unconverged_rows_ignored():
    st = Starts()
    taps, caps = np.array([0]), np.array([], dtype=bool)
    bad = SimpleNamespace(v=np.array([[7.0]]), converged=np.array([False]))
    st.add(np.array([0]), taps, caps, _sol(np.array([1.0])))
    st.add(np.array([1]), taps, caps, bad)
    np.testing.assert_allclose(st.rows(np.array([1]), taps, caps)[0], [1.0])
    st.add(np.arange(2, 30), taps, caps, _sol(np.arange(2.0, 30.0)[:, None]))
    # A batch that ran ahead keeps the rows a later batch of earlier steps needs.
    np.testing.assert_allclose(st.rows(np.array([3]), np.array([1]), caps)[0], [3.0])
    st.rows(np.array([10]), taps, caps)
    assert min(st._rows) == 8


def test_solved_rows_serve_steps_with_the_same_inputs_and_state():
    from gat_dist.qsts._starts import Solved

    load = np.array([0.5, 0.5, 0.7, 0.5])  # steps 0, 1 and 3 share their inputs
    solved = Solved(load, None)
    taps, caps = np.array([2, 3]), np.array([True])
    sol = SimpleNamespace(
        v=np.array([[1.0 + 0j, 2.0], [3.0, 4.0]]),
        converged=np.array([True, True]),
        iterations=np.array([5, 6]),
        max_mismatch_mva=np.array([1e-9, 2e-9]),
        taps=np.array([taps, taps]),
        state={"scale": np.array([[0.5], [0.7]])},
    )
    solved.add(np.array([0, 2]), taps, caps, sol)
    got = solved.get(np.array([1, 3, 2]), taps, caps)
    np.testing.assert_array_equal(got.v, [[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(got.iterations, [5, 5, 6])
    np.testing.assert_array_equal(got.load_scale, [0.5, 0.5, 0.7])
    np.testing.assert_array_equal(got.state["scale"], [[0.5], [0.5], [0.7]])
    # Another state, or a step whose inputs were never solved: no solution.
    assert solved.get(np.array([1]), np.array([2, 4]), caps) is None
    assert solved.get(np.array([1]), taps, np.array([False])) is None
    assert solved.get(np.array([1, 3]), taps, caps) is not None
    solved2 = Solved(np.array([0.5, 0.6]), None)
    solved2.add(np.array([0]), taps, caps, sol)
    assert solved2.get(np.array([1]), taps, caps) is None
