"""Small networks built in memory for the gat-pf tests (no files needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gat_schemas import Network

BASE_KV = 12.66


def make_nodes(ids, types, load_p, load_q, **extra) -> pd.DataFrame:
    """A ``dist_nodes`` table with the required columns (plus optional ``extra`` ones)."""
    n = len(ids)
    df = pd.DataFrame(
        {
            "node_id": [str(i) for i in ids],
            "phase": ["ABC"] * n,
            "type": list(types),
            "v_min": np.full(n, 0.9),
            "v_max": np.full(n, 1.1),
            "load_p": np.asarray(load_p, dtype=float),
            "load_q": np.asarray(load_q, dtype=float),
            "feeder_id": ["f1"] * n,
            "base_kv": np.full(n, BASE_KV),
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


def make_branches(f, t, r, x, b=None, **extra) -> pd.DataFrame:
    """A ``dist_branches`` table with the required columns (plus optional ``extra`` ones)."""
    m = len(f)
    df = pd.DataFrame(
        {
            "branch_id": [f"L{k + 1}" for k in range(m)],
            "from_node": [str(i) for i in f],
            "to_node": [str(i) for i in t],
            "r": np.asarray(r, dtype=float),
            "x": np.asarray(x, dtype=float),
            "b": np.zeros(m) if b is None else np.asarray(b, dtype=float),
            "tap": np.ones(m),
            "status": ["closed"] * m,
            "thermal_limit": np.full(m, np.nan),
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


def network(nodes, branches, base_mva=10.0, **tables) -> Network:
    """Wrap tables in a Network."""
    return Network(
        name="test",
        base_mva=base_mva,
        tables={"dist_nodes": nodes, "dist_branches": branches, **tables},
    )


def random_radial(n: int, rng: np.random.Generator, *, load_mw: float = 0.05) -> Network:
    """A random radial feeder of ``n`` nodes: node 0 is the slack, parents precede children."""
    parent = np.array([rng.integers(0, k) for k in range(1, n)], dtype=int)
    r = rng.uniform(0.0005, 0.01, n - 1)
    x = r * rng.uniform(0.5, 2.0, n - 1)
    lp = np.concatenate([[0.0], rng.uniform(0.0, load_mw, n - 1)])
    lq = lp * rng.uniform(0.2, 0.6, n)
    types = ["slack"] + ["load"] * (n - 1)
    nodes = make_nodes(range(n), types, lp, lq)
    branches = make_branches(parent, np.arange(1, n), r, x)
    return network(nodes, branches)
