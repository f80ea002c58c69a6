"""Foreign keys: rows naming ids of another table that are not there.

The row lookups are kept in a cache shared with the island check of
:mod:`gat_schemas._checks`, so each (table, column, target) is matched once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._checks_base import row_ids, usable
from ._graph import distinct_positions
from ._violation import Violation
from .conform import LazyLabels

__all__ = ["foreign_key_violations", "positions"]


def positions(
    frames: dict[str, pd.DataFrame],
    cache: dict[tuple[str, ...], object],
    table: str,
    column: str,
    target: str,
    target_col: str,
) -> np.ndarray | None:
    """Row of ``target`` each ``table.column`` value names (-1: none), or ``None`` when the
    target ids are not unique. The lookups are kept in ``cache``, so the foreign-key and
    island checks share them."""
    key = (table, column, target, target_col)
    if key not in cache:
        cache[key] = distinct_positions(frames[target][target_col], frames[table][column])
    if cache[key] is None:
        ikey = (target, target_col)
        if ikey not in cache:
            cache[ikey] = pd.Index(frames[target][target_col])
        index = cache[ikey]
        assert isinstance(index, pd.Index)
        cache[key] = index.get_indexer(frames[table][column]) if index.is_unique else None
    found = cache[key]
    return found if isinstance(found, np.ndarray) else None


def foreign_key_violations(
    frames: dict[str, pd.DataFrame],
    bad: dict[str, set[str]],
    table: str,
    column: str,
    target: str,
    target_col: str,
    mask: np.ndarray | None = None,
    cache: dict[tuple[str, ...], object] | None = None,
) -> Iterable[Violation]:
    """One violation per missing id value of ``table.column`` (rows in ``mask`` only)."""
    df = frames.get(table)
    ref = frames.get(target)
    if df is None or ref is None or len(df) == 0:
        return []
    if not usable(df, bad[table], column) or not usable(ref, bad[target], target_col):
        return []
    values = df[column]
    pos = positions(frames, cache, table, column, target, target_col) if cache is not None else None
    if pos is not None:
        missing = values.notna().to_numpy() & (pos < 0)
    else:
        missing = values.notna().to_numpy() & ~values.isin(ref[target_col].dropna()).to_numpy()
    if mask is not None:
        missing &= mask
    if not missing.any():
        return []
    labels = LazyLabels(table, df)
    noun = target_col.removesuffix("_id")
    out = []
    for value in dict.fromkeys(values[missing].tolist()):
        rows = missing & (values == value).to_numpy()
        out.append(
            Violation(
                table,
                column,
                row_ids(labels, rows),
                "foreign_key",
                f"refers to {noun} '{value}' which is not in {target}",
            )
        )
    return out
