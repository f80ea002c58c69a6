"""Batched radial sweep: a diverging scenario is given up and leaves the batch.

A hosting-capacity search solves hundreds of trials in one batch, some far beyond the
capacity (no solution). Before, every scenario iterated until the slowest one converged or
the limit (500 iterations) was reached, so one diverging trial made the whole batch cost 500
iterations (case1197: 24 s instead of 3 s for 101 connection points), and a trial whose
mismatch overflowed stopped the others before they had converged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gat_pf
from gat_pf import Method, PowerFlowOptions
from gat_pf._kernels.tree import STALL_ITERATIONS, tree_sweep
from gat_schemas import read_network
from gat_schemas.errors import NotConvergedError

CASE69 = Path(__file__).resolve().parents[3] / "test_data" / "networks" / "case69"
BFS = PowerFlowOptions(method=Method.BFS)


@pytest.fixture(scope="module")
def model():
    return gat_pf.build_model(read_network(CASE69))


def test_a_diverging_scenario_is_given_up_early(model):
    alone = gat_pf.solve_batch(model, load_scale=[3.0], options=BFS).voltages[0]
    with pytest.raises(NotConvergedError, match=r"scenario\(s\) 1\b") as err:
        gat_pf.solve_batch(model, load_scale=[3.0, 1000.0], options=BFS)
    # The diverging scenario is given up once its mismatch stalls, long before the limit
    # (it used to keep the batch iterating 500 times)...
    assert err.value.iterations < 500 - 10 * STALL_ITERATIONS
    # ...and scenario 0 converged (30 iterations) to its answer alone.
    np.testing.assert_allclose(err.value.last_iterate[0], alone, rtol=0, atol=1e-7)


def test_an_overflowing_scenario_does_not_stop_the_others(model):
    tree = model.tree_sweep()
    o = tree.order
    # Constant-power injections (pu, generation positive) of the loads at 3x, in tour order;
    # scenario 1 is not a number (its mismatch is NaN at the first iteration).
    spec = np.zeros(model.n_bus, dtype=complex)
    np.add.at(spec, model.node_bus, -3.0 * model.node_load)
    s = np.stack([spec[o], np.full(len(o), np.nan)])
    v, conv, iters, _ = tree_sweep(tree, s, None, None, tol=BFS.tol, max_iter=500)
    v1, conv1, iters1, _ = tree_sweep(tree, s[:1], None, None, tol=BFS.tol, max_iter=500)
    assert conv1.tolist() == [True] and iters1[0] > 5
    # It used to stop the batch at iteration 1, scenario 0 unconverged; now scenario 0
    # goes on alone, as if solved alone.
    assert conv.tolist() == [True, False]
    assert iters.tolist() == [iters1[0], 1]
    np.testing.assert_array_equal(v[:, 0], v1[:, 0])
