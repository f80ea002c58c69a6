"""Plain facts a run manifest records: versions, timestamps, JSON forms, row counts."""

from __future__ import annotations

import dataclasses
import enum
import importlib.metadata
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

__all__ = ["jsonable", "package_versions"]

_VERSIONED = (
    "gat-schemas",
    "gat-pf",
    "gat-dist",
    "gat-derms",
    "gat-adms",
    "gat-cli",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "pandera",
    "pyomo",
    "highspy",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the GAT packages and their numerical stack (absent ones omitted)."""
    out = {}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON types (paths, enums, numpy scalars, dataclasses ...).

    Raises
    ------
    TypeError
        For a value with no JSON form (a programming error in the caller).
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v) for v in items]
    raise TypeError(f"run.json: cannot record a {type(value).__name__} value")


def _rows(path: Path) -> int | None:
    if path.suffix != ".parquet":
        return None
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # not Parquet after all: record the file without a row count
        return None
