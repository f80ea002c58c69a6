"""Building blocks of the table schemas: column and check specifications, :class:`TableSchema`.

A column is a :class:`Column`: its declared dtype, its :class:`Check` list, whether it may be
null or absent, a ``description`` stating unit and meaning, and ``metadata`` holding ``unit``,
``foreign_key`` (``"table.column"`` or ``None``), ``required``, ``dtype`` and, for optional
columns, ``default`` (the value used when the column is absent; ``None`` means "no default:
absent stays absent"). Checks carry their rule as data (``kind`` and ``args``), so the
validation engine evaluates them vectorised without pandera; :meth:`Schema.to_pandera` builds
the equivalent pandera schema on demand (pandera is imported only then). Check errors are
written in plain words because they end up verbatim in validation reports.

Every float column is checked for finiteness and for a plausible magnitude: ``|x| <= bound``,
the bound given per column or taken from its unit (:data:`UNIT_BOUNDS`), shown in the docs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

__all__ = [
    "BRANCH_STATUSES",
    "BRANCH_TYPES",
    "DEFAULT_BOUND",
    "NODE_TYPES",
    "PHASES",
    "UNIT_BOUNDS",
    "Check",
    "Column",
    "ColumnInfo",
    "Schema",
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
    "within",
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

#: Largest plausible magnitude of a float column, by unit (a column may set its own bound).
#: Powers and ratings 1e5 MW/Mvar/MVA (a whole transmission system is ~1e5 MW), impedances
#: and other per-unit values 1e6 pu, energies 1e9 MWh, durations 1e7 h (about 1,000 years);
#: percentages (loadings) and currents 1e9, wide enough for an overload found by a search.
UNIT_BOUNDS: dict[str, float] = {
    "MW": 1e5,
    "Mvar": 1e5,
    "MVA": 1e5,
    "MW/h": 1e5,
    "MWh": 1e9,
    "MWh/yr": 1e9,
    "MWh/customer": 1e9,
    "MWh/(customer yr)": 1e9,
    "MVA^2": 1e10,
    "pu": 1e6,
    "kV": 1e4,
    "V": 1e7,
    "A": 1e9,
    "ohm/km": 1e6,
    "uS/km": 1e7,
    "%": 1e9,
    "deg": 1e5,
    "fraction": 1e6,
    "h": 1e7,
    "h/yr": 1e7,
    "h/customer": 1e7,
    "s": 1e7,
    "1/yr": 1e6,
    "1/(km yr)": 1e6,
    "1/customer": 1e6,
}
#: Bound of a float column whose unit is not in :data:`UNIT_BOUNDS` (counts, currency, ratios).
DEFAULT_BOUND = 1e12

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Check:
    """One value rule of a column, as data.

    Parameters
    ----------
    kind
        ``ge``, ``gt``, ``between``, ``isin``, ``finite``, ``within`` or ``phase_order``.
    args
        The rule's parameters: ``(value,)`` for ``ge``/``gt``/``within`` (``within`` means
        ``|x| <= value`` for finite x), ``(lo, hi, include_lo, include_hi)`` for ``between``,
        the allowed values for ``isin``, ``()`` otherwise.
    error
        The rule in plain words (used in validation reports and the docs).
    """

    kind: str
    args: tuple[Any, ...]
    error: str

    def failed(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of the values breaking the rule (``values`` holds no missing value)."""
        k, a = self.kind, self.args
        if k == "isin":
            import pandas as pd

            return ~pd.Series(values, dtype=object).isin(a).to_numpy()
        if k == "phase_order":
            return ~np.array([_phase_order_ok(v) for v in values.tolist()], dtype=bool)
        x = values.astype(float, copy=False)
        if k == "ge":
            return ~(x >= a[0])
        if k == "gt":
            return ~(x > a[0])
        if k == "finite":
            return ~np.isfinite(x)
        if k == "within":
            return np.isfinite(x) & (np.abs(x) > a[0])
        if k == "between":
            lo, hi, inc_lo, inc_hi = a
            ok = (x >= lo if inc_lo else x > lo) & (x <= hi if inc_hi else x < hi)
            return ~ok
        raise ValueError(f"unknown check kind {k!r}")

    def to_pandera(self) -> pa.Check:
        """The equivalent pandera check (imports pandera)."""
        import pandera.pandas as pa

        k, a = self.kind, self.args
        if k == "ge":
            return pa.Check.ge(a[0], error=self.error)
        if k == "gt":
            return pa.Check.gt(a[0], error=self.error)
        if k == "between":
            lo, hi, inc_lo, inc_hi = a
            return pa.Check.in_range(
                lo, hi, include_min=inc_lo, include_max=inc_hi, error=self.error
            )
        if k == "isin":
            return pa.Check.isin(list(a), error=self.error)
        return pa.Check(self._series_check, error=self.error)

    def _series_check(self, series: pd.Series) -> pd.Series:
        import pandas as pd

        bad = self.failed(series.to_numpy())
        return pd.Series(~bad, index=series.index)


def _phase_order_ok(v: object) -> bool:
    return (
        isinstance(v, str) and 1 <= len(v) <= 3 and set(v) <= set("ABC") and len(set(v)) == len(v)
    )


def ge(value: float) -> Check:
    """Check ``x >= value``."""
    return Check("ge", (value,), f"must be >= {value:g}")


def gt(value: float) -> Check:
    """Check ``x > value``."""
    return Check("gt", (value,), f"must be > {value:g}")


def between(lo: float, hi: float, *, include_lo: bool = True, include_hi: bool = True) -> Check:
    """Check ``lo <= x <= hi`` (bounds inclusive unless told otherwise)."""
    left = "[" if include_lo else "("
    right = "]" if include_hi else ")"
    return Check(
        "between", (lo, hi, include_lo, include_hi), f"must be in {left}{lo:g}, {hi:g}{right}"
    )


def isin(values: Iterable[str]) -> Check:
    """Check membership in an enumeration."""
    allowed = tuple(values)
    return Check("isin", allowed, "must be one of " + ", ".join(allowed))


def phase_order() -> Check:
    """Check an ordered conductor list: 1 to 3 distinct letters of ABC (``CB`` is allowed)."""
    return Check("phase_order", (), "must be 1 to 3 distinct letters of ABC")


def finite() -> Check:
    """Check that a float is finite (NaN is handled by ``nullable``; infinities are refused)."""
    return Check("finite", (), "must be finite, not infinite")


def within(bound: float) -> Check:
    """Check a plausible magnitude, ``|x| <= bound`` (infinities are left to ``finite``)."""
    return Check("within", (float(bound),), f"magnitude must be <= {bound:g}")


@dataclass(frozen=True)
class Column:
    """Specification of one table column (see the module docstring).

    ``dtype`` is the declared name: ``str``, ``float64``, ``int64``, ``bool`` or ``any``.
    """

    dtype: str
    checks: tuple[Check, ...]
    nullable: bool
    required: bool
    description: str
    metadata: Mapping[str, Any]

    def to_pandera(self) -> pa.Column:
        """The equivalent pandera column (imports pandera)."""
        import pandera.pandas as pa

        dtype: Any = {"str": str, "any": None}.get(self.dtype, self.dtype)
        return pa.Column(
            dtype,
            checks=[c.to_pandera() for c in self.checks],
            nullable=self.nullable,
            required=self.required,
            description=self.description,
            metadata=dict(self.metadata),
        )


class Schema:
    """The columns of one table, in order; :meth:`to_pandera` gives the pandera schema.

    Parameters
    ----------
    name
        Table name.
    columns
        Column name -> :class:`Column`. Extra columns in a table are allowed.
    """

    def __init__(self, name: str, columns: Mapping[str, Column]) -> None:
        self.name = name
        self.columns: dict[str, Column] = dict(columns)
        self._pandera: Any = None

    def to_pandera(self) -> pa.DataFrameSchema:
        """The equivalent non-strict pandera ``DataFrameSchema`` (built once, imports pandera)."""
        if self._pandera is None:
            import pandera.pandas as pa

            self._pandera = pa.DataFrameSchema(
                {n: c.to_pandera() for n, c in self.columns.items()},
                name=self.name,
                strict=False,
                coerce=False,
            )
        return self._pandera

    def __repr__(self) -> str:
        return f"Schema({self.name!r}, {len(self.columns)} columns)"


def _bounded(dtype: str, unit: str, checks: list[Check], bound: float | None) -> list[Check]:
    if dtype != "float64":
        return checks
    kinds = {c.kind for c in checks}
    out = list(checks)
    if "finite" not in kinds:
        out.append(finite())
    if "between" not in kinds and "within" not in kinds:
        out.append(within(bound if bound is not None else UNIT_BOUNDS.get(unit, DEFAULT_BOUND)))
    return out


def column(
    dtype: Any,
    *,
    unit: str,
    description: str,
    checks: Iterable[Check] = (),
    nullable: bool = False,
    required: bool = True,
    default: Any = _NO_DEFAULT,
    foreign_key: str | None = None,
    bound: float | None = None,
) -> Column:
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
        Value checks (the helpers of this module: ``ge``, ``gt``, ``between``, ``isin``,
        ``finite``, ``within``, ``phase_order``).
    nullable
        Whether NaN/None is allowed (its meaning must then be in ``description``).
    required
        Whether the column must be present.
    default
        For optional columns: the value filled in when the column is absent
        (``None`` = NaN/None). Omit for optional columns that stay absent.
    foreign_key
        ``"table.column"`` the values must refer to, or ``None``.
    bound
        Float columns: the largest plausible ``|x|`` in ``unit`` (default: by unit, see
        :data:`UNIT_BOUNDS`). Every float column is also checked finite. Ignored for
        columns with a ``between`` range.
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
    return Column(
        dtype=name,
        checks=tuple(_bounded(name, unit, list(checks), bound)),
        nullable=nullable,
        required=required,
        description=description,
        metadata=meta,
    )


def float_column(
    unit: str,
    description: str,
    *,
    nullable: bool = False,
    checks: Iterable[Check] = (),
    bound: float | None = None,
) -> Column:
    """A required float64 result column: finite and within its bound; NaN only if ``nullable``."""
    return column(
        "float64",
        unit=unit,
        nullable=nullable,
        checks=[*checks, finite()],
        description=description,
        bound=bound,
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
        The column specifications (extra columns are allowed); ``schema.to_pandera()``
        gives the equivalent pandera schema.
    kind
        ``"network"`` for tables of a network folder, ``"input"`` for other command inputs
        (such as load scenarios), ``"output"`` for result tables.
    required_in_network
        Whether a network folder must hold this table.
    """

    name: str
    description: str
    id_columns: tuple[str, ...]
    schema: Schema
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


def make_schema(name: str, columns: Mapping[str, Column]) -> Schema:
    """Collect the columns of table ``name`` (extra columns in a table are allowed)."""
    return Schema(name, columns)
