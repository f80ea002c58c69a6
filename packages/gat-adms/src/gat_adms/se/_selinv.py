"""Selected inverse of an LDL^T factorisation (Takahashi's recursion), compiled with numba.

For ``A = (I + L) D (I + L)^T`` (``L`` strictly lower, CSC, its fill pattern), the entries
of ``Z = A^-1`` on the pattern of ``L`` and its diagonal follow from ``Z (I + L) =
(I + L)^-T D^-1``, column by column from the last (Takahashi, Fagan and Chen, 1973):

    Z_ij = - sum_{k in L[:, j]} Z_ik L_kj            (i in the pattern of L[:, j]),
    Z_jj = 1 / d_j - sum_{k in L[:, j]} L_kj Z_kj,

where every ``Z_ik`` needed lies on the pattern already computed (the rows of a column of
``L`` form a clique of the filled graph). Cost: the sum of squared column counts of ``L``
(times a binary search), not a dense inverse. Every entry of ``A``'s own pattern lies on
``L + L^T``'s, so the inverse at ``A``'s nonzeros comes out too: what the estimator's
covariance needs (the diagonal of ``E1`` and of ``H E1 H^T``, whose pairs are the gain's
nonzeros), instead of one solve per state and per measurement.

Imported lazily (``import gat_adms`` does not import numba); ``cache=True`` keeps the
machine code beside this module.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["entries", "takahashi"]

_JIT = {"cache": True, "nogil": True}


@numba.njit(**_JIT)
def _find(indptr, indices, col, row):  # type: ignore[no-untyped-def]
    """Position of (row, col) in a CSC structure with sorted rows (-1 if absent)."""
    lo = indptr[col]
    hi = indptr[col + 1] - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        r = indices[mid]
        if r == row:
            return mid
        if r < row:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


@numba.njit(**_JIT)
def _takahashi(indptr, indices, lx, d, zx, zd):  # type: ignore[no-untyped-def]
    n = len(d)
    for j in range(n - 1, -1, -1):
        a = indptr[j]
        b = indptr[j + 1]
        for p in range(a, b):
            i = indices[p]
            s = 0.0
            for q in range(a, b):
                k = indices[q]
                if k == i:
                    z = zd[i]
                elif k < i:
                    z = zx[_find(indptr, indices, k, i)]
                else:
                    z = zx[_find(indptr, indices, i, k)]
                s += z * lx[q]
            zx[p] = -s
        s = 0.0
        for p in range(a, b):
            s += lx[p] * zx[p]
        zd[j] = 1.0 / d[j] - s


@numba.njit(**_JIT)
def _entries(indptr, indices, zx, zd, rows, cols, out):  # type: ignore[no-untyped-def]
    for e in range(len(rows)):
        r = rows[e]
        c = cols[e]
        if r == c:
            out[e] = zd[r]
            continue
        lo = min(r, c)
        hi = max(r, c)
        pos = _find(indptr, indices, lo, hi)
        out[e] = zx[pos] if pos >= 0 else np.nan


def takahashi(l_csc, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Selected inverse of ``(I + L) diag(d) (I + L)^T``: returns the CSC structure of ``L``
    (``indptr``, ``indices``, rows sorted) with the inverse's values there and the inverse's
    diagonal."""
    l_csc = l_csc.tocsc()
    l_csc.sort_indices()
    indptr = np.asarray(l_csc.indptr, dtype=np.int64)
    indices = np.asarray(l_csc.indices, dtype=np.int64)
    lx = np.asarray(l_csc.data, dtype=float)
    zx = np.zeros(len(lx))
    zd = np.zeros(len(d))
    _takahashi(indptr, indices, lx, np.asarray(d, dtype=float), zx, zd)
    return indptr, indices, zx, zd


def entries(
    sel: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """Values of the inverse at (``rows``, ``cols``) of the factorised (permuted) matrix;
    NaN where the pair is off the pattern of ``L + L^T``."""
    indptr, indices, zx, zd = sel
    out = np.empty(len(rows))
    _entries(
        indptr,
        indices,
        zx,
        zd,
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        out,
    )
    return out
