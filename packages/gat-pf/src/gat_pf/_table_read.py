"""Column readers shared by the array-model builders (balanced here, three-phase in
:mod:`gat_pf._threephase`): float columns with defaults, id and text columns, id lookups,
required columns, short id lists for messages. Each raises ``InputError`` naming the table.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gat_schemas.errors import InputError

__all__ = ["column", "few", "ids", "index_of", "require", "strings", "to_pu_complex"]


def column(df: Any, name: str, default: float) -> np.ndarray:
    """A float column as a fresh array (NaN for missing cells), or ``default`` everywhere."""
    if name not in df.columns:
        return np.full(len(df), default, dtype=float)
    col = df[name]
    if col.dtype == np.float64:
        return col.to_numpy(copy=True)
    return col.to_numpy(dtype=float, na_value=np.nan)


def to_pu_complex(re: np.ndarray, im: np.ndarray, base: float) -> np.ndarray:
    """``(re + j im) / base`` without complex temporaries."""
    out = np.empty(len(re), dtype=complex)
    np.divide(re, base, out=out.real)
    np.divide(im, base, out=out.imag)
    return out


def ids(df: Any, name: str) -> np.ndarray:
    """An id column as an object array (``str`` values when the table was read as text)."""
    col = df[name]
    if col.dtype == object:
        return col.to_numpy()
    return col.astype(str).to_numpy(dtype=object)


def strings(df: Any, name: str) -> np.ndarray:
    """A categorical text column as an object array of ``str`` (for ``==`` comparisons)."""
    col = df[name]
    return col.to_numpy() if col.dtype == object else col.astype(str).to_numpy(dtype=object)


def index_of(ids: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Position of every query in ``ids`` (-1 when absent), by one hash pass over both.

    Raises
    ------
    gat_schemas.errors.InputError
        When ``ids`` holds a duplicate or a missing value.
    """
    import pandas as pd

    n = len(ids)
    codes, uniques = pd.factorize(np.concatenate([ids, queries]))
    if (codes[:n] < 0).any():
        raise InputError("table dist_nodes, column node_id: missing id(s)")
    if len(uniques) < n or not np.array_equal(codes[:n], np.arange(n)):
        index = pd.Index(ids, dtype=object)
        dup = index[index.duplicated()].to_numpy()
        raise InputError(f"table dist_nodes, column node_id: duplicate id(s) {few(dup)}")
    out = codes[n:]
    out[out >= n] = -1
    return out


def require(df: Any, table: str, columns: tuple[str, ...]) -> None:
    """Raise ``InputError`` naming ``table`` and every column of ``columns`` it lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"table {table}: missing required column(s) {', '.join(missing)}")


def few(ids: np.ndarray, k: int = 5) -> str:
    """The first ``k`` ids for a message, with how many more there are."""
    shown = ", ".join(str(i) for i in ids[:k])
    return shown + (f" (and {len(ids) - k} more)" if len(ids) > k else "")
