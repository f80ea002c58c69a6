"""The column checks of one table, vectorised (the light validation engine).

Interprets the :class:`~gat_schemas.tables._base.Column` specifications directly: presence of
required columns, dtype, nullability and the value checks, each evaluated on whole numpy
arrays. Row labels are built only for the rows that break a rule. The verdicts and messages
are those of the pandera schema the same specifications build (``Schema.to_pandera``), which
the tests use as the reference; pandera itself is not imported here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ._violation import Violation
from .conform import row_labels
from .tables import get_table
from .tables._base import Column

__all__ = ["column_violations", "fmt_value", "only_strings"]

_SHOW_VALUES = 3


def fmt_value(v: Any) -> str:
    """A failing value as shown in a message (strings quoted, missing values named)."""
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if v is None:
        return "None"
    return repr(v) if isinstance(v, str) else str(v)


def _shown(values: list[Any]) -> str:
    texts = list(dict.fromkeys(fmt_value(v) for v in values))
    return ", ".join(texts[:_SHOW_VALUES]) + (", ..." if len(texts) > _SHOW_VALUES else "")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


#: ``infer_dtype`` verdicts of an object column holding numbers (and missing values) only.
_NUMBERS = ("floating", "integer", "mixed-integer-float", "empty")


def _inferred(series: pd.Series) -> str:
    """pandas' C-speed guess of what an object column holds, missing values skipped."""
    return pd.api.types.infer_dtype(series, skipna=True)


def only_strings(series: pd.Series) -> bool:
    """True when every value of an object column is a ``str`` (none missing, none empty)."""
    return pd.api.types.infer_dtype(series, skipna=False) == "string"


def _dtype_failures(col: Column, series: pd.Series) -> tuple[bool, np.ndarray | None]:
    """``(ok, rows)``: whether the column has its declared dtype; else the positions of the
    values that cannot be of that dtype (``None`` when the column as a whole is wrong)."""
    want, kind = col.dtype, series.dtype
    if want == "any":
        return True, None
    if want == "float64":
        if kind == np.float64:
            return True, None
        if kind == np.dtype(object):
            if _inferred(series) in _NUMBERS:
                return False, None
            values = series.to_numpy()
            bad = np.array([not (v is None or _is_number(v)) for v in values.tolist()], bool)
            return False, (np.flatnonzero(bad) if bad.any() else None)
        return False, None
    if want == "int64":
        if kind == np.int64:
            return True, None
        if kind == np.float64:
            x = series.to_numpy()
            bad = ~np.isfinite(x)  # fractions would cast; only NaN and infinities cannot
            return False, (np.flatnonzero(bad) if bad.any() else None)
        if kind == np.dtype(object):
            values = series.tolist()
            bad = np.array(
                [not isinstance(v, (int, np.integer)) or isinstance(v, bool) for v in values],
                bool,
            )
            return False, (np.flatnonzero(bad) if bad.any() else None)
        return False, None
    if want == "bool":
        return kind == np.bool_, None
    if want == "str":
        if isinstance(kind, pd.StringDtype):
            return True, None
        if kind == np.dtype(object):
            if _inferred(series) in ("string", "empty"):
                return True, None
            values = series.tolist()
            bad = np.array(
                [not (isinstance(v, str) or v is None or v is pd.NA or _nan(v)) for v in values],
                bool,
            )
            return (False, np.flatnonzero(bad)) if bad.any() else (True, None)
        return False, None
    return str(kind) == want, None


def _nan(v: object) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _labels(name: str, df: pd.DataFrame, rows: np.ndarray) -> tuple[str, ...]:
    return tuple(dict.fromkeys(row_labels(name, df, rows).tolist()))


def column_violations(name: str, df: pd.DataFrame) -> list[Violation]:
    """Missing required columns, wrong dtypes, missing values and failed value checks.

    Parameters
    ----------
    name
        Table name.
    df
        The conformed table, with a 0..n-1 index and string column names.

    Returns
    -------
    list of Violation
        Missing columns first, then per column in schema order: missing values, dtype,
        value checks. A column with the wrong dtype gets no value-check violation (it would
        only repeat the dtype problem in worse words).
    """
    spec = get_table(name).schema.columns
    out = [
        Violation(name, c, (), "required", "required column is missing")
        for c, col in spec.items()
        if col.required and c not in df.columns
    ]
    for c, col in spec.items():
        if c not in df.columns:
            continue
        series = df[c]
        # A str column of str values only (the common case) has no missing value and the
        # right dtype: one C-speed pass instead of isna plus the dtype inference.
        plain = col.dtype == "str" and series.dtype == object and only_strings(series)
        null = np.zeros(len(series), dtype=bool) if plain else series.isna().to_numpy()
        if not col.nullable and null.any():
            rows = np.flatnonzero(null)
            out.append(
                Violation(
                    name, c, _labels(name, df, rows), "not_nullable", "is empty (NaN or None)"
                )
            )
        ok, bad_rows = (True, None) if plain else _dtype_failures(col, series)
        if not ok:
            expected = col.dtype
            if bad_rows is not None:
                values = series.to_numpy(dtype=object)[bad_rows].tolist()
                msg = f"expected {expected} values, found {_shown(values)}"
                out.append(Violation(name, c, _labels(name, df, bad_rows), "dtype", msg))
            else:
                msg = f"has dtype {str(series.dtype)!r}, expected {expected}"
                out.append(Violation(name, c, (), "dtype", msg))
            continue
        if not col.checks:
            continue
        present = np.flatnonzero(~null) if null.any() else None
        values = series.to_numpy() if present is None else series.to_numpy()[present]
        for check in col.checks:
            failed = check.failed(values)
            if not failed.any():
                continue
            pos = np.flatnonzero(failed)
            rows = pos if present is None else present[pos]
            shown = _shown(values[pos].tolist())
            out.append(
                Violation(
                    name, c, _labels(name, df, rows), check.error, f"{check.error}, found {shown}"
                )
            )
    return out
