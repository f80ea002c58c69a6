"""Assembling a network from one's own table files (CSV or Parquet).

A reliability engineer encoding a textbook system writes ``nodes.csv`` and ``branches.csv``
(and optionally DER, reliability and switching-device tables); :func:`assemble_network`
reads them, conforms them to their schemas and validates the whole network at once, so every
violation of every file is reported together. :func:`~gat_schemas.folder.write_network` then
writes the folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .conform import conform_table
from .errors import InputError, ValidationError
from .folder_read import input_digest
from .network import Network
from .tables import NETWORK_TABLES, get_table
from .validation import validate_network

__all__ = ["assemble_network", "read_table_source"]


def read_table_source(path: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """Read table ``table`` from a ``.csv`` or ``.parquet`` file, conformed, not validated.

    From CSV, every text column of the table's schema is read as text (ids such as ``"18"``
    stay strings) and empty cells are missing values.

    Raises
    ------
    InputError
        Missing or unreadable file, a suffix other than ``.csv`` / ``.parquet``, or an
        unknown table name.
    """
    p = Path(path)
    schema = get_table(table)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            df = pd.read_parquet(p, engine="pyarrow")
        elif suffix == ".csv":
            text = [c.name for c in schema.columns() if c.dtype == "str"]
            df = pd.read_csv(p, dtype=dict.fromkeys(text, str))
        else:
            raise InputError(f"{p}: table {table} must be a .csv or .parquet file")
    except InputError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many types on a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{p}: not a readable {suffix.lstrip('.')} table ({first})") from None
    return conform_table(table, df)


def assemble_network(
    files: Mapping[str, str | os.PathLike[str]],
    *,
    name: str,
    base_mva: float,
    frequency_hz: float = 60.0,
    validate: bool = True,
) -> Network:
    """Build a network from table files.

    Parameters
    ----------
    files
        Table name -> CSV or Parquet file; ``dist_nodes`` and ``dist_branches`` are required,
        the other network tables (``der_assets``, ``reliability``, ``switching_devices``,
        ``dist_caps``, ``dist_switches`` ...) optional.
    name
        Network name.
    base_mva
        System power base (MVA) on which the branch ``r``, ``x``, ``b`` are per unit.
    frequency_hz
        System frequency (Hz).
    validate
        Validate the whole network and raise on any violation.

    Returns
    -------
    Network
        Its ``source`` records ``format: "tables"`` and, per table, the file and its sha256.

    Raises
    ------
    InputError
        A file cannot be read, or a table name is not a network table.
    ValidationError
        ``validate`` is true and the network breaks the data contract; every violation of
        every table is attached, and the message names the files.
    """
    for table in files:
        if table not in NETWORK_TABLES:
            raise InputError(
                f"'{table}' is not a network table (one of {', '.join(NETWORK_TABLES)})"
            )
    tables = {table: read_table_source(path, table) for table, path in files.items()}
    source = {
        "format": "tables",
        "files": {
            table: {"path": str(Path(path)), "sha256": input_digest(path)}
            for table, path in files.items()
        },
    }
    net = Network(
        name=name,
        base_mva=base_mva,
        tables=tables,
        frequency_hz=frequency_hz,
        source=source,
    )
    if validate:
        found = validate_network(net)
        if found:
            raise ValidationError(found, source=", ".join(str(Path(p)) for p in files.values()))
    return net
