"""Validation that collects every violation at once.

``validate_table`` runs the pandera schema of one table (lazily, so every failure is
found) plus the checks that need several columns of that table, and returns
:class:`Violation` records grouped by column and check, naming rows by their ids.
``validate_network`` does that for every table of a :class:`~gat_schemas.network.Network`
and adds the cross-table checks. ``assert_valid`` raises
:class:`~gat_schemas.errors.ValidationError` carrying them all.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from . import _checks
from ._violation import Violation
from .conform import conform_table, row_labels
from .errors import ValidationError
from .network import Network
from .tables import REQUIRED_TABLES, TABLES, get_table

__all__ = ["Violation", "assert_valid", "validate_network", "validate_table"]

_SHOW_VALUES = 3


@dataclass(frozen=True)
class _Failure:
    column: str
    check: str
    labels: tuple[str, ...]
    values: tuple[Any, ...]


def _fmt_value(v: Any) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if v is None:
        return "None"
    return repr(v) if isinstance(v, str) else str(v)


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
    ts = get_table(name)
    if not isinstance(df, pd.DataFrame):
        return [Violation(name, "", (), "type", f"expected a DataFrame, got {type(df).__name__}")]
    frame = conform_table(name, df).reset_index(drop=True)
    dupes = [c for c in frame.columns if list(frame.columns).count(c) > 1]
    if dupes:
        return [Violation(name, str(dupes[0]), (), "columns", "column name appears twice")]
    frame.columns = [str(c) for c in frame.columns]
    out: list[Violation] = []
    failures = _run_pandera(ts.schema, frame)
    bad_columns: set[str] = set()
    if failures is not None:
        found = _translate(name, frame, failures)
        out.extend(found)
        bad_columns = {v.column for v in found if v.check in ("dtype", "required")}
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
        found = validate_table(name, df)
        out.extend(found)
        if isinstance(df, pd.DataFrame):
            frames[name] = conform_table(name, df).reset_index(drop=True)
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
