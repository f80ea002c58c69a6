"""Changing a network's tables without writing Python: select rows, set or scale a column,
add rows, and write the result back into its folder.

Every function returns a new :class:`~gat_schemas.network.Network` (the input is not
changed) and validates nothing itself: :func:`~gat_schemas.folder.write_network` and
:func:`write_network_in_place` validate before writing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .folder import write_network
from .folder_read import NETWORK_JSON
from .network import Network
from .tables import NETWORK_TABLES, TABLES

__all__ = [
    "ColumnEdit",
    "add_rows",
    "edit_column",
    "parse_value",
    "select_rows",
    "write_network_in_place",
]

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


@dataclass(frozen=True)
class ColumnEdit:
    """What :func:`edit_column` changed.

    Parameters
    ----------
    network
        The changed network.
    rows
        Number of rows changed.
    before_sum, after_sum
        Sum of the column over the changed rows before and after (``None`` when the
        column is not numeric).
    """

    network: Network
    rows: int
    before_sum: float | None
    after_sum: float | None


def _table(net: Network, table: str) -> pd.DataFrame:
    df = net.table(table)
    if df is None:
        raise InputError(
            f"network '{net.name}' has no table {table} (it has {', '.join(net.tables)})"
        )
    return df


def select_rows(df: pd.DataFrame, where: Mapping[str, Sequence[str]], table: str) -> np.ndarray:
    """Boolean mask of the rows whose column ``c`` is one of ``where[c]``, for every ``c``.

    Values are compared as text (``node_id=18`` matches ``"18"`` and ``18``). An empty
    ``where`` selects every row.

    Raises
    ------
    InputError
        A column is not in the table, or a value matches no row.
    """
    mask = np.ones(len(df), dtype=bool)
    for column, values in where.items():
        if column not in df.columns:
            raise InputError(f"table {table} has no column {column} (in --where)")
        text = df[column].astype(str).to_numpy()
        wanted = [str(v) for v in values]
        missing = [v for v in wanted if v not in set(text)]
        if missing:
            raise InputError(f"table {table} column {column}: no row has {', '.join(missing[:10])}")
        mask &= np.isin(text, wanted)
    return mask


def _dtype_of(df: pd.DataFrame, table: str, column: str) -> str:
    ts = TABLES.get(table)
    if ts is not None:
        for info in ts.columns():
            if info.name == column:
                return str(info.dtype)
    if column not in df.columns:
        return "str"
    kind = df[column].dtype
    if pd.api.types.is_bool_dtype(kind):
        return "bool"
    if pd.api.types.is_integer_dtype(kind):
        return "int64"
    if pd.api.types.is_float_dtype(kind):
        return "float64"
    return "str"


def parse_value(text: str, dtype: str, where: str) -> Any:
    """Convert command-line ``text`` to a value of column type ``dtype`` (empty: missing).

    Raises
    ------
    InputError
        ``text`` is not a value of that type (``where`` names the column in the message).
    """
    if text == "":
        return None
    try:
        if dtype == "float64":
            return float(text)
        if dtype == "int64":
            return int(text)
    except ValueError:
        raise InputError(f"{where}: '{text}' is not a number") from None
    if dtype == "bool":
        low = text.lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise InputError(f"{where}: '{text}' is not true or false")
    return text


def edit_column(
    net: Network,
    table: str,
    column: str,
    *,
    scale: float | None = None,
    value: str | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> ColumnEdit:
    """Multiply (``scale``) or set (``value``, as text) ``column`` of ``table`` on the rows
    selected by ``where`` (all rows when ``None``).

    A ``value`` for a column the table does not have yet adds it (rows not selected get a
    missing value). ``scale`` needs an existing numeric column.

    Raises
    ------
    InputError
        Unknown table or column, both or neither of ``scale`` and ``value``, a value of
        the wrong type, or a selection that matches nothing.
    """
    if (scale is None) == (value is None):
        raise InputError("give exactly one of scale and value")
    df = _table(net, table)
    mask = select_rows(df, where or {}, table)
    if not mask.any():
        raise InputError(f"table {table}: no row selected")
    out = df.copy()
    exists = column in df.columns
    if scale is not None:
        if not exists or not pd.api.types.is_numeric_dtype(df[column].dtype):
            raise InputError(f"table {table}: --scale needs an existing numeric column {column}")
        if pd.api.types.is_bool_dtype(df[column].dtype):
            raise InputError(f"table {table}: column {column} is true/false, not a number")
        new = df[column].to_numpy(dtype=float).copy()
        new[mask] *= float(scale)
        if pd.api.types.is_integer_dtype(df[column].dtype):
            if not np.allclose(new, np.round(new)):
                raise InputError(
                    f"table {table} column {column} holds whole numbers; scaling by {scale} "
                    "gives fractions"
                )
            new = np.round(new).astype(df[column].dtype)
        out[column] = new
    else:
        schema_cols = {c.name for c in TABLES[table].columns()} if table in TABLES else set()
        if not exists and column not in schema_cols:
            raise InputError(
                f"table {table} has no column {column} and its schema does not know it"
            )
        dtype = _dtype_of(df, table, column)
        parsed = parse_value(str(value), dtype, f"{table}.{column}")
        if dtype in ("str", "bool") or parsed is None:
            col = out[column].astype(object) if exists else pd.Series([None] * len(out))
            col[mask] = parsed
            out[column] = col.to_numpy()
        else:
            if not exists:
                out[column] = np.nan
            out.loc[mask, column] = parsed
    numeric = pd.api.types.is_numeric_dtype(out[column].dtype) and not (
        pd.api.types.is_bool_dtype(out[column].dtype)
    )
    before = float(df.loc[mask, column].sum()) if numeric and exists else None
    after = float(out.loc[mask, column].sum()) if numeric else None
    return ColumnEdit(net.with_table(table, out), int(mask.sum()), before, after)


def add_rows(net: Network, table: str, rows: Sequence[Mapping[str, str]]) -> Network:
    """Append ``rows`` (column -> value as text) to ``table``, typed like its columns.

    A table the network does not have yet is created (its known schema columns typed).
    Columns a row leaves out are missing values; validation reports required ones.

    Raises
    ------
    InputError
        A column that is neither in the table nor in its schema, or a value of the wrong type.
    """
    if not rows:
        raise InputError(f"table {table}: no row to add")
    df = net.table(table)
    if df is None:
        if table not in TABLES:
            raise InputError(f"'{table}' is not a known table")
        df = pd.DataFrame()
    known = set(df.columns) | (
        {c.name for c in TABLES[table].columns()} if table in TABLES else set()
    )
    records = []
    for i, row in enumerate(rows, start=1):
        unknown = [c for c in row if c not in known]
        if unknown:
            raise InputError(
                f"table {table} has no column {', '.join(unknown)} (row {i} of the added rows)"
            )
        records.append(
            {c: parse_value(v, _dtype_of(df, table, c), f"{table}.{c}") for c, v in row.items()}
        )
    new = pd.DataFrame.from_records(records)
    for c in new.columns:
        dtype = _dtype_of(df, table, c)
        if dtype in ("float64",):
            new[c] = pd.to_numeric(new[c], errors="coerce").astype("float64")
        elif dtype == "int64" and new[c].notna().all():
            new[c] = new[c].astype("int64")
    if len(df.columns):
        for c in df.columns:
            if c not in new.columns:
                new[c] = np.nan if pd.api.types.is_float_dtype(df[c].dtype) else None
        new = new[list(df.columns) + [c for c in new.columns if c not in df.columns]]
        out = pd.concat([df, new], ignore_index=True) if len(df) else new
    else:
        out = new
    for c in df.columns:  # concat with missing values may turn ints into objects
        if df[c].dtype != out[c].dtype and out[c].notna().all():
            try:
                out[c] = out[c].astype(df[c].dtype)
            except (TypeError, ValueError):
                continue
    return net.with_table(table, out)


def write_network_in_place(net: Network, folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Validate ``net`` and replace the network folder ``folder`` with it.

    The new folder is written beside the old one with
    :func:`~gat_schemas.folder.write_network`; every file of the old folder that the new
    one does not hold (``run.json``, notes, Parquet files that are not network tables) is
    copied over; then the old folder is moved aside, the new one renamed into place and
    the old one removed (put back if the rename fails). Nothing is lost and a reader sees
    either folder whole.

    Returns
    -------
    dict
        The ``network.json`` content written.

    Raises
    ------
    ValidationError
        ``net`` breaks the data contract (the folder is untouched).
    InputError
        ``folder`` is not a network folder.
    """
    target = Path(folder)
    if not (target / NETWORK_JSON).is_file():
        raise InputError(f"{target}: not a network folder (no {NETWORK_JSON})")
    tmp = target.with_name(f".{target.name}.edit-{uuid.uuid4().hex[:12]}")
    meta = write_network(net, tmp)
    try:
        # Tables the new network dropped stay dropped; every other file is kept.
        skip = {p.name for p in tmp.iterdir()} | {f"{n}.parquet" for n in NETWORK_TABLES}
        for item in target.iterdir():
            if item.name in skip or item.name.startswith(".gat-"):
                continue
            if item.is_dir():
                shutil.copytree(item, tmp / item.name, symlinks=True)
            else:
                shutil.copy2(item, tmp / item.name)
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
        os.replace(target, old)
        try:
            os.replace(tmp, target)
        except BaseException:
            os.replace(old, target)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return meta
