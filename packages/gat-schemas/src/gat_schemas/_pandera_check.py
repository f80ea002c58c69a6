"""The pandera reading of the table schemas, kept as the reference for the light engine.

``validate_columns_pandera`` runs ``Schema.to_pandera()`` lazily on a conformed table and
translates pandera's failure cases into :class:`Violation` records, the way validation did
before the vectorised engine (:mod:`gat_schemas._columns`). The tests compare both on the same
tables; nothing on a command's path calls this module (it imports pandera).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pandera.pandas as pa

from ._columns import fmt_value as _fmt_value
from ._violation import Violation
from .conform import row_labels
from .tables import get_table

__all__ = ["validate_columns_pandera"]

_SHOW_VALUES = 3


def _run_pandera(schema: pa.DataFrameSchema, df: pd.DataFrame) -> pd.DataFrame | None:
    # pandera's failure-case consolidation triggers pandas FutureWarnings (concat of all-NA
    # frames); they say nothing about the user's data, and warnings are errors in tests.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            schema.validate(df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return exc.failure_cases
    return None


def _translate(name: str, df: pd.DataFrame, failures: pd.DataFrame) -> list[Violation]:
    ts = get_table(name)
    labels = row_labels(name, df)
    out: list[Violation] = []
    for (column, check), group in failures.groupby(["column", "check"], sort=False, dropna=False):
        if check == "column_in_dataframe":
            for missing in group["failure_case"]:
                out.append(
                    Violation(name, str(missing), (), "required", "required column is missing")
                )
            continue
        col = str(column)
        idx = pd.to_numeric(group["index"], errors="coerce")
        rows = idx.dropna().astype(int).to_numpy()
        rows = rows[(rows >= 0) & (rows < len(df))]
        row_ids = tuple(dict.fromkeys(labels[rows].tolist()))
        values = list(dict.fromkeys(_fmt_value(v) for v in group["failure_case"]))
        shown = ", ".join(values[:_SHOW_VALUES]) + (", ..." if len(values) > _SHOW_VALUES else "")
        check = str(check)
        if check.startswith("dtype("):
            expected = (ts.schema.columns[col].metadata or {}).get("dtype", "any")
            if len(rows):
                msg = f"expected {expected} values, found {shown}"
            else:
                msg = f"has dtype {shown}, expected {expected}"
            out.append(Violation(name, col, row_ids, "dtype", msg))
        elif check == "not_nullable":
            out.append(Violation(name, col, row_ids, "not_nullable", "is empty (NaN or None)"))
        else:
            out.append(Violation(name, col, row_ids, check, f"{check}, found {shown}"))
    # A value check on a mistyped column only repeats the dtype problem in worse words.
    mistyped = {v.column for v in out if v.check == "dtype"}
    return [v for v in out if v.column not in mistyped or v.check in ("dtype", "not_nullable")]


def validate_columns_pandera(name: str, frame: pd.DataFrame) -> list[Violation]:
    """Column violations of a conformed table (0..n-1 index, str column names), by pandera."""
    failures = _run_pandera(get_table(name).schema.to_pandera(), frame)
    return [] if failures is None else _translate(name, frame, failures)
