"""The in-memory network: the tables of a network folder plus its metadata.

A :class:`Network` is immutable: functions that change a network return a new one.
Reading and writing network folders lives in :mod:`gat_schemas.folder`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEMA_VERSION", "Network"]

#: Version of the network-folder data contract written into ``network.json``.
SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
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
