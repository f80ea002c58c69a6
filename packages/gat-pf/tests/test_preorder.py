"""The numpy depth-first preorder and components of the sweep's build, against scipy.

``gat_pf._topology.preorder`` and ``_components`` replace ``scipy.sparse.csgraph`` on the
balanced model's build path (whose import pulls in ``scipy.linalg``); the sweep's sums run in
that order, so it must be the very order scipy gives, not just any valid preorder.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components, depth_first_order

from gat_pf._topology import _components, _graph, preorder


def _forest(rng: np.random.Generator, n: int, trees: int) -> tuple[np.ndarray, np.ndarray]:
    """Random forest on ``n`` vertices: ``trees`` roots, random labels and edge directions."""
    parent = np.array([-1] * trees + [int(rng.integers(0, i)) for i in range(trees, n)])
    perm = rng.permutation(n)
    kids = np.flatnonzero(parent >= 0)
    f, t = perm[kids], perm[parent[kids]]
    flip = rng.random(len(f)) < 0.5
    return np.where(flip, t, f), np.where(flip, f, t)


def _scipy_order(n: int, f: np.ndarray, t: np.ndarray, roots: np.ndarray):
    """What the build did before: one search from the root, or through a virtual root."""
    if len(roots) == 1:
        order, pred = depth_first_order(
            _graph(n, f, t), roots[0], directed=True, return_predecessors=True
        )
        parent = pred.astype(np.int64)
        parent[parent < 0] = -1
        return order, parent
    sup = np.full(len(roots), n)
    g = _graph(n + 1, np.concatenate([f, sup]), np.concatenate([t, roots]))
    order, pred = depth_first_order(g, n, directed=True, return_predecessors=True)
    parent = pred[:n].astype(np.int64)
    parent[(parent == n) | (parent < 0)] = -1
    return order[1:], parent


@pytest.mark.parametrize("seed", range(6))
def test_preorder_is_scipys_depth_first_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 400))
        trees = int(rng.integers(1, min(n, 5) + 1))
        f, t = _forest(rng, n, trees)
        # One root per tree: the smallest vertex of each component.
        _, label = connected_components(_graph(n, f, t), directed=False)
        roots = np.array([np.flatnonzero(label == k)[0] for k in range(label.max() + 1)])
        order, parent = preorder(_graph(n, f, t), roots)
        want_order, want_parent = _scipy_order(n, f, t, roots)
        np.testing.assert_array_equal(order, want_order)
        np.testing.assert_array_equal(parent, want_parent)


def test_preorder_of_a_path_and_a_star() -> None:
    # Path 0-1-2-3 from 0; star from 2 (children visited in ascending order).
    order, parent = preorder(_graph(4, np.array([0, 1, 2]), np.array([1, 2, 3])), np.array([0]))
    assert order.tolist() == [0, 1, 2, 3] and parent.tolist() == [-1, 0, 1, 2]
    order, parent = preorder(_graph(4, np.array([2, 3, 2]), np.array([0, 2, 1])), np.array([2]))
    assert order.tolist() == [2, 0, 1, 3] and parent.tolist() == [2, 2, -1, 2]


@pytest.mark.parametrize("seed", range(4))
def test_components_number_like_scipy(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for _ in range(50):
        n = int(rng.integers(1, 200))
        m = int(rng.integers(0, 2 * n))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)  # loops and parallels too
        count, label = _components(n, a, b)
        want_count, want_label = connected_components(_graph(n, a, b), directed=False)
        assert count == want_count
        np.testing.assert_array_equal(label, want_label)


def test_radial_sweep_does_not_import_csgraph() -> None:
    import subprocess
    import sys
    from pathlib import Path

    case = Path(__file__).resolve().parents[3] / "test_data" / "networks" / "case33bw"
    code = (
        "import sys, gat_pf\n"
        "from gat_schemas import read_network\n"
        f"net = read_network({str(case)!r})\n"
        "res = gat_pf.run_power_flow(gat_pf.build_model(net))\n"
        "assert res.summary['method'][0] == 'bfs'\n"
        "print('CSGRAPH', 'scipy.sparse.csgraph' in sys.modules, 'scipy.linalg' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "CSGRAPH False False" in proc.stdout
