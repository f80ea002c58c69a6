"""Helpers every rule module of the validation shares (columns usable, numbers, row ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .conform import LazyLabels

__all__ = ["numeric", "row_ids", "usable"]


def usable(df: pd.DataFrame, bad: set[str], *cols: str) -> bool:
    """Whether every column of ``cols`` is present and not already reported as broken."""
    return all(c in df.columns and c not in bad for c in cols)


def numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as float (values that are not numbers become NaN)."""
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)


def row_ids(labels: LazyLabels, mask: np.ndarray | pd.Series) -> tuple[str, ...]:
    """The labels of the rows ``mask`` selects, each once, in row order."""
    m = np.asarray(mask, dtype=bool)
    return tuple(dict.fromkeys(labels[m].tolist()))
