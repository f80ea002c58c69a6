"""Network folders: ``network.json`` plus one Parquet file per table (DESIGN.md §2).

``network.json`` records ``name``, ``base_mva``, ``frequency_hz``, ``schema_version``,
``source`` {file, format, sha256} and ``tables`` {name: {sha256, rows}}. Reading lives in
:mod:`gat_schemas.folder_read` (re-exported here): a table edited outside GAT is read,
validated and reported as changed. Writing builds the whole folder beside its destination
and renames it into place, so a folder is never left half-written.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from .errors import InputError
from .folder_read import NETWORK_JSON, _safe_stem, read_network, read_network_json
from .io import sha256_file
from .network import SCHEMA_VERSION, Network
from .tables import NETWORK_TABLES
from .validation import assert_valid

__all__ = ["NETWORK_JSON", "read_network", "read_network_json", "write_network"]


def _ordered(net: Network) -> list[str]:
    known = [n for n in NETWORK_TABLES if n in net.tables]
    return known + sorted(n for n in net.tables if n not in NETWORK_TABLES)


def _json_number(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise InputError(f"network {what} must be a finite number, found {value}")
    return value


def write_network(
    net: Network, path: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Any]:
    """Validate ``net`` and write it as a network folder.

    The folder is built in a hidden temporary sibling and renamed into place; when
    ``overwrite`` replaces an existing folder, the old one is moved aside first and
    removed only after the new one is in place (restored if the rename fails).

    Parameters
    ----------
    net
        The network; validated first (nothing is written when it is invalid).
    path
        Destination folder.
    overwrite
        Replace an existing non-empty folder. Without it such a folder is refused.

    Returns
    -------
    dict
        The ``network.json`` content written.

    Raises
    ------
    ValidationError
        ``net`` breaks the data contract.
    InputError
        The destination exists (non-empty, without ``overwrite``) or is a file, or a
        table name is not a valid file stem.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise InputError(f"{target}: folder exists and is not empty (pass overwrite to replace it)")
    assert_valid(net, source=net.name)
    for name in net.tables:
        if not _safe_stem(name):
            raise InputError(f"table name '{name}' cannot be used as a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:12]}")
    tmp.mkdir()
    try:
        entries: dict[str, dict[str, Any]] = {}
        for name in _ordered(net):
            file = tmp / f"{name}.parquet"
            try:
                net.tables[name].reset_index(drop=True).to_parquet(
                    file, index=False, engine="pyarrow"
                )
            except Exception as exc:  # pyarrow conversion errors come in many types
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                raise InputError(f"table {name}: cannot be written as Parquet ({first})") from None
            entries[name] = {"sha256": sha256_file(file), "rows": len(net.tables[name])}
        meta = {
            "name": net.name,
            "base_mva": _json_number(float(net.base_mva), "base_mva"),
            "frequency_hz": _json_number(float(net.frequency_hz), "frequency_hz"),
            "schema_version": SCHEMA_VERSION,
            "source": dict(net.source),
            "tables": entries,
        }
        text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False, default=str) + "\n"
        (tmp / NETWORK_JSON).write_text(text, encoding="utf-8")
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def _swap_in(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.replace(tmp, target)
        return
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
