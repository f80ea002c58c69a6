"""Validation that collects every violation at once.

``validate_table`` checks one table against its column specifications (presence, dtype,
missing values, value checks, all vectorised by :mod:`gat_schemas._columns`) plus the rules
that need several columns of that table, and returns :class:`Violation` records grouped by
column and check, naming rows by their ids. ``validate_network`` does that for every table of
a :class:`~gat_schemas.network.Network` and adds the cross-table checks (the three-phase ones
only when the network has a three-phase table). ``assert_valid`` raises
:class:`~gat_schemas.errors.ValidationError` carrying them all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _checks
from ._columns import column_violations
from ._violation import Violation
from .conform import conform_table
from .errors import ValidationError
from .network import Network
from .tables import REQUIRED_TABLES, TABLES, get_table

__all__ = ["Violation", "assert_valid", "validate_network", "validate_table"]


def validate_table(name: str, df: pd.DataFrame) -> list[Violation]:
    """Check one table against its schema and its own row rules.

    Parameters
    ----------
    name
        Table name (a key of ``gat_schemas.TABLES``).
    df
        The table. Integers in float columns are accepted (widened losslessly).

    Returns
    -------
    list of Violation
        Empty when the table is valid: missing columns, wrong dtypes, NaN where not
        allowed, out-of-range and unknown enum values, duplicate ids, and row rules
        (``v_min < v_max``, ``r = x = 0`` only on switches, ``p_min <= p_max`` ...).
    """
    get_table(name)
    if not isinstance(df, pd.DataFrame):
        return [Violation(name, "", (), "type", f"expected a DataFrame, got {type(df).__name__}")]
    return _check_frame(name, _frame(name, df))


def _frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The conformed table with a 0..n-1 index (rows are named by position)."""
    frame = conform_table(name, df)
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        frame = frame.reset_index(drop=True)
    return frame


def _check_frame(name: str, frame: pd.DataFrame) -> list[Violation]:
    columns = list(frame.columns)
    if len(set(columns)) < len(columns):
        dupes = [c for c in columns if columns.count(c) > 1]
        return [Violation(name, str(dupes[0]), (), "columns", "column name appears twice")]
    if not all(isinstance(c, str) for c in columns):
        frame = frame.copy(deep=False)
        frame.columns = [str(c) for c in columns]
    out = column_violations(name, frame)
    bad_columns = {v.column for v in out if v.check in ("dtype", "required")}
    out.extend(_checks.duplicate_ids(name, frame, bad_columns))
    out.extend(_checks.row_rules(name, frame, bad_columns))
    return out


def validate_network(net: Network) -> list[Violation]:
    """Check every table of ``net`` and the rules that span tables.

    Cross-table checks: branch ends, DER buses, capacitor nodes, switches and devices
    that refer to missing rows; exactly one slack per ``feeder_id``; islands (connected
    over closed branches) without a slack or source node; ``base_mva > 0``;
    reliability rows that refer to missing elements or need a branch length; switching
    devices whose normal state differs from their branch's status, and closed ties.

    Returns
    -------
    list of Violation
        Empty when the network is valid.
    """
    out: list[Violation] = []
    base = net.base_mva
    if (
        not isinstance(base, (int, float))
        or isinstance(base, bool)
        or not np.isfinite(base)
        or base <= 0
    ):
        out.append(Violation("network", "base_mva", (), "positive", f"must be > 0, found {base}"))
    freq = net.frequency_hz
    if (
        not isinstance(freq, (int, float))
        or isinstance(freq, bool)
        or not np.isfinite(freq)
        or freq <= 0
    ):
        out.append(
            Violation("network", "frequency_hz", (), "positive", f"must be > 0, found {freq}")
        )
    for req in REQUIRED_TABLES:
        if req not in net.tables:
            out.append(Violation(req, "", (), "required", "required table is missing"))
    bad: dict[str, set[str]] = {}
    frames: dict[str, pd.DataFrame] = {}
    for name, df in net.tables.items():
        if name not in TABLES:
            continue  # extra tables are allowed and not checked
        if not isinstance(df, pd.DataFrame):
            out.extend(validate_table(name, df))
            continue
        frame = _frame(name, df)
        found = _check_frame(name, frame)
        out.extend(found)
        frames[name] = frame
        bad[name] = {v.column for v in found if v.check in ("dtype", "required", "columns")}
    out.extend(_checks.cross_table(frames, bad))
    return out


def assert_valid(
    target: Network | pd.DataFrame, *, table: str | None = None, source: str = ""
) -> None:
    """Raise :class:`ValidationError` listing every violation, or return quietly.

    Parameters
    ----------
    target
        A :class:`Network`, or a DataFrame together with ``table``.
    table
        Table name when ``target`` is a DataFrame.
    source
        What was validated (path), put at the start of the message.
    """
    if isinstance(target, Network):
        found = validate_network(target)
    else:
        if table is None:
            raise ValueError("assert_valid(DataFrame) needs table=")
        found = validate_table(table, target)
    if found:
        raise ValidationError(found, source)
