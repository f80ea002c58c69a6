"""Building blocks of the table schemas: the :class:`TableSchema` record and column helpers.

Every column is a pandera :class:`~pandera.api.pandas.components.Column` whose ``description``
states the unit and meaning, and whose ``metadata`` holds ``unit``, ``foreign_key`` (``"table.column"``
or ``None``), ``required`` and, for optional columns, ``default`` (the value used when the column
is absent; ``None`` means "no default: absent stays absent"). Check errors are written in plain
words because they end up verbatim in validation reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

__all__ = [
    "BRANCH_STATUSES",
    "BRANCH_TYPES",
    "NODE_TYPES",
    "PHASES",
    "ColumnInfo",
    "TableSchema",
    "between",
    "column",
    "finite",
    "float_column",
    "ge",
    "gt",
    "isin",
    "make_schema",
    "phase_order",
]

#: Phase sets a node, asset or capacitor can be connected to.
PHASES = ("A", "B", "C", "AB", "BC", "CA", "ABC")
#: Node roles: the feeder head (``slack``), a voltage-controlled generator (``source``),
#: a PQ node (``load``) and an aggregated-DER node (``DER_agg``, treated as PQ).
NODE_TYPES = ("slack", "source", "load", "DER_agg")
#: Branch and switch states.
BRANCH_STATUSES = ("closed", "open")
#: Branch kinds; ``r = x = 0`` is only allowed on a ``switch``.
BRANCH_TYPES = ("line", "transformer", "switch")

_NO_DEFAULT = object()


def ge(value: float) -> pa.Check:
    """Check ``x >= value``."""
    return pa.Check.ge(value, error=f"must be >= {value:g}")


def gt(value: float) -> pa.Check:
    """Check ``x > value``."""
    return pa.Check.gt(value, error=f"must be > {value:g}")


def between(lo: float, hi: float, *, include_lo: bool = True, include_hi: bool = True) -> pa.Check:
    """Check ``lo <= x <= hi`` (bounds inclusive unless told otherwise)."""
    left = "[" if include_lo else "("
    right = "]" if include_hi else ")"
    return pa.Check.in_range(
        lo,
        hi,
        include_min=include_lo,
        include_max=include_hi,
        error=f"must be in {left}{lo:g}, {hi:g}{right}",
    )


def isin(values: Iterable[str]) -> pa.Check:
    """Check membership in an enumeration."""
    allowed = list(values)
    return pa.Check.isin(allowed, error="must be one of " + ", ".join(allowed))


def _is_finite(series: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(series.to_numpy(dtype=float)), index=series.index)


def _is_phase_order(series: pd.Series) -> pd.Series:
    def ok(v: object) -> bool:
        return (
            isinstance(v, str)
            and 1 <= len(v) <= 3
            and set(v) <= set("ABC")
            and len(set(v)) == len(v)
        )

    return series.map(ok).astype(bool)


def phase_order() -> pa.Check:
    """Check an ordered conductor list: 1 to 3 distinct letters of ABC (``CB`` is allowed)."""
    return pa.Check(_is_phase_order, error="must be 1 to 3 distinct letters of ABC")


def finite() -> pa.Check:
    """Check that a float is finite (NaN is handled by ``nullable``; infinities are refused)."""
    return pa.Check(_is_finite, error="must be finite, not infinite")


def column(
    dtype: Any,
    *,
    unit: str,
    description: str,
    checks: Iterable[pa.Check] = (),
    nullable: bool = False,
    required: bool = True,
    default: Any = _NO_DEFAULT,
    foreign_key: str | None = None,
) -> pa.Column:
    """Build one schema column with its unit, meaning and (for optional columns) default.

    Parameters
    ----------
    dtype
        pandas dtype (``str``, ``"float64"``, ``"int64"``, ``"bool"``), or ``None`` for any.
    unit
        Physical unit, or ``"-"`` for dimensionless/identifiers.
    description
        Meaning and sign convention, in plain words.
    checks
        pandera checks (use the helpers of this module for plain-word errors).
    nullable
        Whether NaN/None is allowed (its meaning must then be in ``description``).
    required
        Whether the column must be present.
    default
        For optional columns: the value filled in when the column is absent
        (``None`` = NaN/None). Omit for optional columns that stay absent.
    foreign_key
        ``"table.column"`` the values must refer to, or ``None``.
    """
    # The declared name is kept because str(pandera dtype) differs between pandas 2 and 3.
    name = "any" if dtype is None else ("str" if dtype is str else str(dtype))
    meta: dict[str, Any] = {
        "unit": unit,
        "foreign_key": foreign_key,
        "required": required,
        "dtype": name,
    }
    if default is not _NO_DEFAULT:
        if required:
            raise ValueError("a required column cannot have a default")
        meta["default"] = default
    return pa.Column(
        dtype,
        checks=list(checks),
        nullable=nullable,
        required=required,
        description=description,
        metadata=meta,
    )


def float_column(
    unit: str, description: str, *, nullable: bool = False, checks: Iterable[pa.Check] = ()
) -> pa.Column:
    """A required float64 result column; finite unless ``nullable`` (then NaN is allowed)."""
    return column(
        "float64",
        unit=unit,
        nullable=nullable,
        checks=[*checks, finite()] if not nullable else list(checks),
        description=description,
    )


@dataclass(frozen=True)
class ColumnInfo:
    """Plain description of one column, read from the schema (used by docs and defaults)."""

    name: str
    dtype: str
    required: bool
    nullable: bool
    unit: str
    description: str
    foreign_key: str | None
    has_default: bool
    default: Any
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    """One table of the data contract.

    Parameters
    ----------
    name
        Table name; also the parquet file stem (``dist_nodes`` -> ``dist_nodes.parquet``).
    description
        What one row is.
    id_columns
        Columns that identify a row (used in messages and for the duplicate-id check).
    schema
        The pandera schema (extra columns are allowed: ``strict=False``).
    kind
        ``"network"`` for tables of a network folder, ``"input"`` for other command inputs
        (such as load scenarios), ``"output"`` for result tables.
    required_in_network
        Whether a network folder must hold this table.
    """

    name: str
    description: str
    id_columns: tuple[str, ...]
    schema: pa.DataFrameSchema
    kind: str = "network"
    required_in_network: bool = False
    unique_ids: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """File name inside a network folder."""
        return f"{self.name}.parquet"

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns that must be present."""
        return tuple(n for n, c in self.schema.columns.items() if c.required)

    def columns(self) -> list[ColumnInfo]:
        """Describe every column in schema order."""
        out = []
        for name, col in self.schema.columns.items():
            meta = col.metadata or {}
            out.append(
                ColumnInfo(
                    name=name,
                    dtype=str(meta.get("dtype", "any")),
                    required=bool(col.required),
                    nullable=bool(col.nullable),
                    unit=str(meta.get("unit", "-")),
                    description=col.description or "",
                    foreign_key=meta.get("foreign_key"),
                    has_default="default" in meta,
                    default=meta.get("default"),
                    rules=tuple(str(c.error) for c in col.checks if c.error),
                )
            )
        return out


def make_schema(name: str, columns: Mapping[str, pa.Column]) -> pa.DataFrameSchema:
    """Wrap columns in a non-strict DataFrameSchema (extra columns are allowed)."""
    return pa.DataFrameSchema(dict(columns), name=name, strict=False, coerce=False)
