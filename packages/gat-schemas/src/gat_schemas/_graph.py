"""Connected components of the node graph, vectorised (used by the island check)."""

from __future__ import annotations

import numpy as np

__all__ = ["components"]


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
