"""Read one table of the data contract from a Parquet or CSV file (DER assets, cost curves)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from gat_schemas import InputError, ValidationError, read_table, validate_table
from gat_schemas.conform import conform_table

__all__ = ["TEXT_ID_COLUMNS", "read_table_file"]

#: Columns read as text from CSV, so ids such as ``"18"`` stay strings.
TEXT_ID_COLUMNS = ("asset_id", "bus_id", "cost_curve_id", "owner_id", "agg_id", "telemetry_id")


def read_table_file(
    path: str | os.PathLike[str], table: str, *, validate: bool = True
) -> pd.DataFrame:
    """Read ``table`` from a ``.parquet`` or ``.csv`` file, conformed to its schema.

    Parameters
    ----------
    path
        Parquet or CSV file. CSV id columns (:data:`TEXT_ID_COLUMNS`) are read as text.
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
        df = pd.read_csv(p, dtype=dict.fromkeys(TEXT_ID_COLUMNS, str))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{p}: not a readable CSV table ({first})") from None
    df = conform_table(table, df)
    if validate:
        found = validate_table(table, df)
        if found:
            raise ValidationError(found, str(p))
    return df
