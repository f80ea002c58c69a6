"""Independent check of a reconfiguration optimum: multi-start steepest branch exchange.

Not GAT's method (no MILP, no relaxation): local searches over radial configurations, each
step solving every branch exchange of the incumbent in AC with the batched sweep
(``gat_adms.reconfig._sweep``, equal to the power flow to 1e-7, see the tests), from

- the present state,
- random spanning trees (random edge weights scaled by each edge's |z|, so trees that
  carry the load without collapsing are likely), and
- kicks of the best configuration so far (2-7 random branch exchanges, then descent again:
  iterated local search).

A configuration may break no kind of limit (under-voltage, over-voltage, overload) by more
than the present state does, as in ``gat adms reconfigure``; with ``--no-limits`` losses
alone count. It prints every distinct local optimum found and the best. A search that never
finds better than a value is evidence that it is the optimum, not a proof.

Run: ``uv run --no-sync python test_data/adms/reconfig/multistart_search.py FOLDER
[--starts 40] [--kicks 200] [--seed 0] [--no-limits]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree

from gat_adms.reconfig import switchable_all
from gat_adms.reconfig.evaluate import evaluate
from gat_adms.reconfig.grid import build_reconfig_grid
from gat_adms.reconfig.topology import exchange_neighbours, orient
from gat_schemas import read_network


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--starts", type=int, default=40)
    ap.add_argument("--kicks", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-limits", action="store_true")
    args = ap.parse_args()
    net = read_network(args.folder)
    g = build_reconfig_grid(net, switchable_all(net))
    n, e_count = g.n_node, g.n_edge
    scales = np.array([1.0])
    rng = np.random.default_rng(args.seed)
    present = evaluate(g, net, g.closed0[None, :], scales)
    allowed = present.violation_kinds[0, 0]
    if args.no_limits:
        allowed = np.full(3, 1e9)
    print(f"present state: {present.loss_mw[0, 0] * 1000:.2f} kW")

    def key(closed: np.ndarray) -> np.ndarray:
        ev = evaluate(g, net, closed, scales)
        excess = np.maximum(ev.violation_kinds[:, 0, :] - allowed, 0.0)
        excess = np.where(np.isfinite(excess), excess, 0.0).max(axis=1)
        # Infeasible configurations rank behind every feasible one, by their excess.
        value = ev.loss_mw[:, 0] + np.where(excess > 1e-9, 1e3 * (1.0 + excess), 0.0)
        return np.where(ev.converged[:, 0], value, np.inf)

    merge = np.arange(n)
    merge[g.is_slack] = np.flatnonzero(g.is_slack)[0]
    fm, tm = merge[g.f], merge[g.t]
    zabs = np.abs(g.r + 1j * g.x)

    def random_tree() -> np.ndarray:
        w = rng.random(e_count) * (zabs / zabs.mean() + 1e-3) + 1e-9
        w[~g.switchable] = 1e-12  # fixed edges always in the tree
        keep = np.flatnonzero(fm != tm)
        # Keep the lightest of parallel edges; index the tree's entries back to edges.
        best: dict[tuple[int, int], int] = {}
        for e in keep.tolist():
            k = (min(fm[e], tm[e]), max(fm[e], tm[e]))
            if k not in best or w[e] < w[best[k]]:
                best[k] = e
        edges = np.array(list(best.values()))
        a = np.minimum(fm[edges], tm[edges])
        b = np.maximum(fm[edges], tm[edges])
        tree = minimum_spanning_tree(coo_matrix((w[edges], (a, b)), shape=(n, n)).tocsr())
        tree = tree.tocoo()
        chosen = {(int(i), int(j)) for i, j in zip(tree.row, tree.col, strict=True)}
        closed = np.zeros(e_count, bool)
        for e, i, j in zip(edges.tolist(), a.tolist(), b.tolist(), strict=True):
            closed[e] = (i, j) in chosen
        return closed

    def descend(closed: np.ndarray) -> tuple[np.ndarray, float]:
        value = float(key(closed[None, :])[0])
        while True:
            neigh = exchange_neighbours(
                g, orient(g, closed[None, :]), 0, start=g.closed0, max_ops=None
            )
            if not len(neigh):
                return closed, value
            vals = key(neigh)
            j = int(np.argmin(vals))
            if not vals[j] < value - 1e-12:
                return closed, value
            closed, value = neigh[j], float(vals[j])

    t0 = time.perf_counter()
    optima: dict[bytes, float] = {}
    best_closed, best_value = g.closed0, np.inf
    starts = [g.closed0] + [random_tree() for _ in range(args.starts)]
    for k in range(len(starts) + args.kicks):
        if k < len(starts):
            closed = starts[k]
            if not orient(g, closed[None, :]).ok[0]:
                continue
        else:
            closed = best_closed.copy()
            for _ in range(int(rng.integers(2, 8))):
                neigh = exchange_neighbours(
                    g, orient(g, closed[None, :]), 0, start=g.closed0, max_ops=None
                )
                closed = neigh[int(rng.integers(len(neigh)))]
        closed, value = descend(closed)
        optima[np.packbits(closed).tobytes()] = value
        if value < best_value:
            best_closed, best_value = closed, value
    found = sorted(v for v in optima.values() if v < 1e3)
    print(
        f"{len(starts)} starts + {args.kicks} kicks in {time.perf_counter() - t0:.0f} s; "
        f"{len(optima)} distinct local optima, the feasible ones (kW): "
        + ", ".join(f"{v * 1000:.2f}" for v in found[:12])
    )
    opened = [
        str(g.branch_ids[g.edge_branch[e]]) for e in np.flatnonzero(~best_closed & g.switchable)
    ]
    print(f"best: {best_value * 1000:.2f} kW, open {';'.join(opened)}")


if __name__ == "__main__":
    main()
