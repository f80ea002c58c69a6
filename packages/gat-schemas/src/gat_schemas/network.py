"""The in-memory network: the tables of a network folder plus its metadata.

A :class:`Network` is immutable: functions that change a network return a new one
(:meth:`Network.with_table`, or :func:`dataclasses.replace`). Reading and writing network
folders lives in :mod:`gat_schemas.folder`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEMA_VERSION", "Network"]

#: Version of the network-folder data contract written into ``network.json``.
SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, repr=False)
class Network:
    """A distribution network: validated tables and metadata.

    Parameters
    ----------
    name
        Network name.
    base_mva
        System power base (MVA) on which branch ``r``, ``x``, ``b`` are per unit.
    tables
        Table name -> DataFrame. ``dist_nodes`` and ``dist_branches`` are required;
        ``dist_caps``, ``dist_switches``, ``der_assets``, ``reliability``,
        ``switching_devices`` and ``outage_scenarios`` are optional.
    frequency_hz
        System frequency (Hz).
    source
        Provenance: ``{"file": ..., "format": ..., "sha256": ...}`` (may be empty).

    Notes
    -----
    Frozen: to change a table, build a new network with :meth:`with_table` (or
    ``dataclasses.replace(net, tables={**net.tables, name: df})``) and write that.
    ``repr`` is a one-line summary (name, base MVA, tables with row counts).
    """

    name: str
    base_mva: float
    tables: Mapping[str, pd.DataFrame]
    frequency_hz: float = 60.0
    source: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze the mapping so a Network cannot be used as a scratchpad.
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "source", MappingProxyType(dict(self.source)))

    def __reduce__(self) -> tuple[Any, ...]:
        # Mapping proxies do not pickle; rebuild from plain dicts so a Network can be sent
        # to worker processes and Dask workers as a shard argument.
        args = (self.name, self.base_mva, dict(self.tables), self.frequency_hz, dict(self.source))
        return (type(self), args)

    @property
    def nodes(self) -> pd.DataFrame:
        """The ``dist_nodes`` table."""
        return self.tables["dist_nodes"]

    @property
    def branches(self) -> pd.DataFrame:
        """The ``dist_branches`` table."""
        return self.tables["dist_branches"]

    def table(self, name: str) -> pd.DataFrame | None:
        """Return table ``name``, or ``None`` when the network does not have it."""
        return self.tables.get(name)

    def with_table(self, name: str, df: pd.DataFrame | None) -> Network:
        """A copy of this network with table ``name`` set to ``df`` (removed when ``None``).

        The other tables are shared, not copied; nothing is validated here
        (:func:`~gat_schemas.folder.write_network` validates before writing).
        """
        tables = dict(self.tables)
        if df is None:
            tables.pop(name, None)
        else:
            tables[name] = df
        return replace(self, tables=tables)

    def __repr__(self) -> str:
        sizes = ", ".join(
            f"{n} {len(df) if hasattr(df, '__len__') else '?'} rows"
            for n, df in self.tables.items()
        )
        return (
            f"Network(name={self.name!r}, base_mva={self.base_mva!r}, "
            f"frequency_hz={self.frequency_hz!r}, tables: {sizes or 'none'})"
        )
