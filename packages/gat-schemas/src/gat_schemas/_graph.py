"""The node graph of the cross-table checks: id positions and connected components."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["components", "distinct_positions"]


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of an undirected graph by union-find.

    Parameters
    ----------
    n
        Number of vertices (0..n-1).
    a, b
        Edge end points (integer arrays of equal length).

    Returns
    -------
    numpy.ndarray
        Component representative of every vertex (equal values = same component): the
        smallest vertex of its component.

    Notes
    -----
    Vectorised hooking and pointer jumping: each round links the roots of every edge that
    still joins two trees (larger root under smaller) and then flattens the trees, so the
    work is a few whole-array passes per round instead of a Python loop over the edges.
    """
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while True:
        # Hook: every edge whose ends sit in different trees points the larger root at the
        # smaller one (roots only ever move down, so no cycle forms) ...
        ra, rb = parent[a], parent[b]
        split = ra != rb
        if not split.any():
            return parent
        np.minimum.at(parent, np.maximum(ra[split], rb[split]), np.minimum(ra[split], rb[split]))
        # ... then jump pointers until every vertex points at its root.
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def distinct_positions(ids: pd.Series, values: pd.Series) -> np.ndarray | None:
    """Row of ``ids`` that each of ``values`` names (-1: none or missing), by one
    ``factorize`` of both together (about twice as fast as an index lookup on object
    strings); ``None`` unless both are object columns and every id is present and distinct
    (the caller then decides another way)."""
    a, b = ids.to_numpy(), values.to_numpy()
    if a.dtype != object or b.dtype != object:
        return None
    codes = pd.factorize(np.concatenate([a, b]))[0]
    n = len(a)
    if not np.array_equal(codes[:n], np.arange(n)):
        return None
    found = codes[n:]
    found[found >= n] = -1  # a value that is no id; missing values are -1 already
    return found
