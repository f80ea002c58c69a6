"""Lossless dtype normalisation and documented defaults for optional columns.

``conform_table`` only widens what cannot change a value (integers into float columns,
nullable extension dtypes without missing values into their numpy twins, categorical
strings into plain strings); anything else is left for validation to report.
``apply_defaults`` adds absent optional columns with their documented default and says
which ones it added, so a command can record them in ``run.json``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .tables import get_table

__all__ = ["LazyLabels", "apply_defaults", "conform_table", "row_labels"]


def _widen(series: pd.Series, dtype: str) -> pd.Series:
    kind = series.dtype
    if dtype == "float64":
        if isinstance(kind, pd.CategoricalDtype):
            return series
        if pd.api.types.is_bool_dtype(kind):
            return series
        if pd.api.types.is_integer_dtype(kind) or pd.api.types.is_float_dtype(kind):
            if kind == np.float64:
                return series
            return series.astype("float64")
        return series
    if dtype == "int64":
        if pd.api.types.is_integer_dtype(kind) and kind != np.int64:
            if series.isna().any():
                return series
            values = series.to_numpy()
            if values.size and (
                values.min() < np.iinfo(np.int64).min or values.max() > np.iinfo(np.int64).max
            ):
                return series
            return series.astype("int64")
        return series
    if dtype == "bool":
        if isinstance(kind, pd.BooleanDtype) and not series.isna().any():
            return series.astype("bool")
        return series
    if dtype == "str":
        if isinstance(kind, pd.CategoricalDtype):
            return series.astype(object).where(series.notna(), None)
        return series
    return series


def conform_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with lossless dtype widening applied to the known columns.

    Parameters
    ----------
    name
        Table name (a key of ``TABLES``).
    df
        The table; not modified.
    """
    out = df.copy(deep=False)  # columns that change are replaced, never written in place
    for col_name, col in get_table(name).schema.columns.items():
        if col_name in out.columns and col.dtype != "any":
            series = out[col_name]
            if not isinstance(series, pd.Series):
                continue  # a duplicated column name; validation reports it
            widened = _widen(series, col.dtype)
            if widened is not series:
                out[col_name] = widened
    return out


def apply_defaults(name: str, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Add every absent optional column that has a documented default.

    Parameters
    ----------
    name
        Table name.
    df
        The table; not modified.

    Returns
    -------
    (table, applied)
        A new DataFrame, and ``{column: default}`` for each column that was added
        (``None`` stands for NaN/None), ready to be written into ``run.json``.
    """
    ts = get_table(name)
    out = df.copy()
    applied: dict[str, Any] = {}
    n = len(out)
    for info in ts.columns():
        if info.required or not info.has_default or info.name in out.columns:
            continue
        default = info.default
        if info.dtype == "float64":
            values: Any = np.full(n, np.nan if default is None else float(default))
        elif info.dtype == "int64":
            values = np.full(n, int(default), dtype=np.int64)
        elif info.dtype == "bool":
            values = np.full(n, bool(default), dtype=bool)
        else:
            values = pd.Series([default] * n, index=out.index, dtype=object)
        out[info.name] = (
            values if isinstance(values, pd.Series) else pd.Series(values, index=out.index)
        )
        applied[info.name] = default
    return out, applied


def row_labels(name: str, df: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """Label rows by their id column values (joined with ``:``), or ``#position``.

    A row whose id is missing, or a table without its id columns, gets ``#i`` (0-based
    position) so that a message can always point at the row.

    Parameters
    ----------
    name
        Table name.
    df
        The table (labels use positions, not the index).
    rows
        Positions of the rows to label (default: every row). Validation labels only the
        rows that break a rule.

    Returns
    -------
    numpy.ndarray
        Object array of str, one per requested row.
    """
    ts = get_table(name)
    pos = np.arange(len(df)) if rows is None else np.asarray(rows, dtype=np.int64)
    positional = np.array([f"#{i}" for i in pos.tolist()], dtype=object)
    ids = [c for c in ts.id_columns if c in df.columns]
    if not ids or len(pos) == 0:
        return positional
    missing = np.zeros(len(pos), dtype=bool)
    columns = []
    for c in ids:
        values = df[c].iloc[pos] if rows is not None else df[c]
        missing |= values.isna().to_numpy()
        # Plain str() per value: astype(str) keeps missing values as NaN under pandas 3.
        columns.append(values.tolist())
    if len(columns) == 1:
        labels = np.array([str(v) for v in columns[0]], dtype=object)
    else:
        labels = np.array(
            [":".join(str(v) for v in row) for row in zip(*columns, strict=True)], dtype=object
        )
    labels[missing] = positional[missing]
    return labels


class LazyLabels:
    """Row labels of a table, built only for the rows asked for.

    ``labels[mask]`` (a boolean mask over all rows) returns the labels of the masked rows,
    as ``row_labels(name, df)[mask]`` would, without labelling the other rows.
    """

    def __init__(self, name: str, df: pd.DataFrame) -> None:
        self._name = name
        self._df = df

    def __getitem__(self, mask: np.ndarray) -> np.ndarray:
        return row_labels(self._name, self._df, np.flatnonzero(np.asarray(mask, dtype=bool)))
