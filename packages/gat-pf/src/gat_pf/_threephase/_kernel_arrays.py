"""Plain arrays the compiled fixed point (:mod:`._kernel`) takes, built once and cached.

Per factor: SuperLU's ``L`` and ``U`` (strict parts, CSC), ``U``'s reciprocal diagonal and
the two permutations (``Pr Y_LL Pc = L U``). Per load-element set: the ZIP parts and the
optional laws as per-element positions into the law arrays (-1: none), and the element
incidence split into its unknown and slack columns. Per factor and set of touched unknowns
(the Woodbury correction of per-scenario blocks, :func:`woodbury_arrays`): the sparse
``L^-1 Pr E``, the closure of the touched unknowns under ``U``'s rows and ``E^T Y^-1 E``.
Every index array is int64 and every array C-ordered and writeable, so the kernel is
compiled for one set of argument types.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

__all__ = ["factor_arrays", "incidence_arrays", "law_arrays", "woodbury_arrays"]

_I = np.int64
_C = np.complex128

_FACTORS: weakref.WeakKeyDictionary[Any, tuple[Any, ...]] = weakref.WeakKeyDictionary()
_LAWS: weakref.WeakKeyDictionary[Any, tuple[Any, ...]] = weakref.WeakKeyDictionary()
_SPLIT: weakref.WeakKeyDictionary[Any, tuple[np.ndarray, np.ndarray, tuple[Any, ...]]] = (
    weakref.WeakKeyDictionary()
)
#: Per factor: touched unknowns (bytes) -> (closure and ``L^-1 Pr E`` arrays, ``E^T Y^-1 E``).
_UROWS: weakref.WeakKeyDictionary[Any, tuple[np.ndarray, ...]] = weakref.WeakKeyDictionary()
_TOUCHED: weakref.WeakKeyDictionary[Any, dict[bytes, tuple[Any, ...]]] = weakref.WeakKeyDictionary()


def _own(a: Any, dtype: Any) -> np.ndarray:
    """A C-ordered, writeable array of ``dtype`` (a copy when ``a`` is not one already)."""
    return np.require(a, dtype=dtype, requirements=["C", "W"])


def _csc_parts(m: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _own(m.indptr, _I), _own(m.indices, _I), _own(m.data, _C)


def factor_arrays(factor: Any) -> tuple[Any, ...]:
    """``(lp, li, lv, up, ui, uv, ud_inv, perm_r, perm_c)`` of ``factor.lu`` (a
    :class:`._solve.Factor3`), kept per factor."""
    got = _FACTORS.get(factor)
    if got is not None:
        return got
    import scipy.sparse as sp

    lu = factor.lu
    n = lu.shape[0]
    low = sp.tril(lu.L, k=-1, format="csc")  # SuperLU's L has a unit diagonal
    up = lu.U.tocsc()
    diag = up.diagonal().astype(_C)
    strict = sp.triu(up, k=1, format="csc")
    with np.errstate(divide="ignore", invalid="ignore"):
        ud_inv = 1.0 / diag
    got = (
        *_csc_parts(low),
        *_csc_parts(strict),
        _own(ud_inv, _C),
        _own(lu.perm_r, _I) if n else np.zeros(0, _I),
        _own(lu.perm_c, _I) if n else np.zeros(0, _I),
    )
    _FACTORS[factor] = got
    return got


def _weak_cached(store: weakref.WeakKeyDictionary[Any, Any], key: Any, build: Any) -> Any:
    """``build()`` kept in ``store`` under ``key`` when ``key`` can be weakly referenced."""
    try:
        got = store.get(key)
    except TypeError:
        return build()
    if got is None:
        got = build()
        store[key] = got
    return got


def law_arrays(loads: Any) -> tuple[Any, ...]:
    """``(s_p, s_i, s_z, v_nom, ex_pos, ex_p, ex_q, ex_a, ex_b, band)`` of a
    :class:`._loads.LoadElements` (or any object with ``s_p``, ``s_i``, ``s_z``, ``v_nom``
    and optional ``exps``, ``band``); ``band`` = ``(pos, v_min, v_max, v_low, y_rated,
    s_min, s_max)``. ``ex_pos[e]``/``pos[e]``: element ``e``'s row in the law's arrays, -1
    for none."""

    def build() -> tuple[Any, ...]:
        n_e = len(loads.s_p)
        ex, bd = getattr(loads, "exps", None), getattr(loads, "band", None)
        ex_pos = np.full(n_e, -1, _I)
        if ex is not None:
            ex_pos[ex.idx] = np.arange(len(ex.idx))
            law = tuple(_own(a, np.float64) for a in (ex.p, ex.q, ex.a, ex.b))
        else:
            law = tuple(np.zeros(0) for _ in range(4))
        bd_pos = np.full(n_e, -1, _I)
        if bd is not None:
            bd_pos[bd.idx] = np.arange(len(bd.idx))
            band = (
                bd_pos,
                *(_own(a, np.float64) for a in (bd.v_min, bd.v_max, bd.v_low)),
                *(_own(a, _C) for a in (bd.y_rated, bd.s_min, bd.s_max)),
            )
        else:
            band = (bd_pos, *(np.zeros(0) for _ in range(3)), *(np.zeros(0, _C) for _ in range(3)))
        return (
            *(_own(getattr(loads, k), _C) for k in ("s_p", "s_i", "s_z")),
            _own(loads.v_nom, np.float64),
            ex_pos,
            *law,
            band,
        )

    return _weak_cached(_LAWS, loads, build)


def incidence_arrays(loads: Any, unknown: np.ndarray, slack: np.ndarray) -> tuple[Any, ...]:
    """``((indptr, indices, data) of the incidence's unknown columns (CSR), its slack
    columns (CSR))``, kept per element set and column split (a time series solves the same
    elements at many tap vectors, every factor with the same split)."""
    got = _SPLIT.get(loads)
    if got is not None and np.array_equal(got[0], unknown) and np.array_equal(got[1], slack):
        return got[2]
    inc = loads.incidence.tocsc()
    inc_u = inc[:, unknown].tocsr()
    inc_u.sort_indices()
    parts = (_own(inc_u.indptr, _I), _own(inc_u.indices, _I), _own(inc_u.data, np.float64))
    out = (parts, inc[:, slack].tocsr())
    _SPLIT[loads] = (np.array(unknown), np.array(slack), out)
    return out


def _upper_rows(factor: Any) -> tuple[np.ndarray, ...]:
    """The strict upper factor ``U`` by rows (CSR ``indptr``, ``indices``, ``data``), kept
    per factor: the backward solve's dependencies (:func:`_touched`)."""
    got = _UROWS.get(factor)
    if got is None:
        import scipy.sparse as sp

        u = sp.triu(factor.lu.U, k=1, format="csr")
        got = (_own(u.indptr, _I), _own(u.indices, _I), _own(u.data, _C))
        _UROWS[factor] = got
    return got


def _touched(factor: Any, pu: np.ndarray) -> tuple[Any, ...]:
    """``(zp, zi, zv, cl, cp, ci, cv)`` and ``G = E^T Y^-1 E`` (p, p) for the unit columns
    ``E`` at unknown positions ``pu``, kept per factor (a few touched sets per factor)."""
    per = _TOUCHED.setdefault(factor, {})
    key = np.asarray(pu, dtype=_I).tobytes()
    got = per.get(key)
    if got is not None:
        return got
    from ._kernel import touched_arrays

    ur = _upper_rows(factor)
    *sparse, g = touched_arrays(factor_arrays(factor), *ur, _own(pu, _I))
    got = (tuple(sparse), g)
    if len(per) >= 16:
        per.clear()
    per[key] = got
    return got


def woodbury_arrays(
    deltas: tuple[Any, ...], factor: Any, v_slack: np.ndarray, n_bp: int
) -> tuple[Any, ...]:
    """``(pu, kidx, kmat, dc, zp, zi, zv, cl, cp, ci, cv)`` for per-scenario blocks
    ``deltas`` (:class:`._solve.BlockDelta`): ``(Y_LL + dY_s)^-1 b = g - Z K_s E^T g`` with
    ``g = Y^-1 b``, ``Z = Y^-1 E`` and ``K_s = (I + D_s E^T Z)^-1 D_s`` (solved once per
    distinct block set: the rows of a time series batch share a few tap and capacitor
    vectors); ``kmat`` (U, p, p) the distinct ``K``, ``kidx`` (S,) each row's; the slack
    columns of ``dY_s`` change the constant right-hand side, ``dc`` (U, p). Empty
    ``deltas``: empty arrays (no correction)."""
    if not deltas:
        z = np.zeros(0, _I)
        return (z, z, np.zeros((0, 0, 0), _C), np.zeros((0, 0), _C), np.zeros(1, _I), z,
                np.zeros(0, _C), z, np.zeros(1, _I), z, np.zeros(0, _C))  # fmt: skip
    n_s = deltas[0].dy.shape[0]
    # Distinct block sets first (the rows of a time series batch share a few tap and
    # capacitor vectors): everything below is per distinct set, ``kidx`` maps rows to them.
    flat = np.concatenate([d.dy.reshape(n_s, d.dy[0].size if n_s else 0) for d in deltas], axis=1)
    flat = np.ascontiguousarray(flat)
    if n_s and flat.shape[1]:
        keys = flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1])))[:, 0]
        _, first, kidx = np.unique(keys, return_index=True, return_inverse=True)
    else:
        first, kidx = np.zeros(min(n_s, 1), _I), np.zeros(n_s, _I)
    touched = np.unique(np.concatenate([d.term.ravel() for d in deltas]))
    at = np.full(n_bp, -1, dtype=_I)
    at[touched] = np.arange(len(touched))
    d_full = np.zeros((len(first), len(touched), len(touched)), dtype=_C)
    for d in deltas:
        t = at[d.term]  # (B, 2k)
        rows = np.broadcast_to(t[:, :, None], d.dy.shape[1:])
        cols = np.broadcast_to(t[:, None, :], d.dy.shape[1:])
        np.add.at(d_full, (slice(None), rows, cols), d.dy[first])
    pos = np.full(n_bp, -1, dtype=_I)
    pos[factor.unknown] = np.arange(len(factor.unknown))
    vs = np.zeros(n_bp, dtype=_C)
    vs[factor.slack] = v_slack
    is_u = pos[touched] >= 0
    pu = _own(pos[touched[is_u]], _I)
    d_u = d_full[:, is_u][:, :, is_u]
    dc = -(d_full[:, is_u][:, :, ~is_u] @ vs[touched[~is_u]])
    sparse, g = _touched(factor, pu)
    kmat = np.linalg.solve(np.eye(len(pu))[None] + d_u @ g[None], d_u)
    return (pu, _own(kidx.ravel(), _I), _own(kmat, _C), _own(dc, _C), *sparse)
