"""Read one table of the data contract from a Parquet or CSV file (assets, curves, scenarios)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from gat_schemas import InputError, ValidationError, get_table, read_table, validate_table
from gat_schemas.conform import conform_table

__all__ = ["read_table_file"]


def read_table_file(
    path: str | os.PathLike[str], table: str, *, validate: bool = True
) -> pd.DataFrame:
    """Read ``table`` from a ``.parquet`` or ``.csv`` file, conformed to its schema.

    Parameters
    ----------
    path
        Parquet or CSV file. From CSV, every text column of the table's schema is read as
        text, so ids such as ``"18"`` stay strings.
    table
        Table name (``"der_assets"``, ``"der_cost_curves"`` ...).
    validate
        Run :func:`gat_schemas.validate_table` and raise on any violation.

    Returns
    -------
    pandas.DataFrame
        The table with lossless dtype widening applied.

    Raises
    ------
    InputError
        Missing or unreadable file, or a suffix other than ``.parquet`` / ``.csv``.
    ValidationError
        ``validate`` is true and the table breaks its schema.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return read_table(p, table, validate=validate)
    if suffix != ".csv":
        raise InputError(f"{p}: {table} must be a .parquet or .csv file")
    try:
        text = [c.name for c in get_table(table).columns() if c.dtype == "str"]
        df = pd.read_csv(p, dtype=dict.fromkeys(text, str))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{p}: not a readable CSV table ({first})") from None
    df = conform_table(table, df)
    if validate:
        found = validate_table(table, df)
        if found:
            raise ValidationError(found, str(p))
    return df
