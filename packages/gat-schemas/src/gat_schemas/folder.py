"""Network folders: ``network.json`` plus one Parquet file per table (DESIGN.md §2).

``network.json`` records ``name``, ``base_mva``, ``frequency_hz``, ``schema_version``,
``source`` {file, format, sha256} and ``tables`` {name: {sha256, rows}}. Reading checks
every table's digest and row count so a table edited by hand is caught; writing builds
the whole folder beside its destination and renames it into place, so a folder is never
left half-written.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from .conform import conform_table
from .errors import InputError
from .io import read_parquet, sha256_file
from .network import SCHEMA_VERSION, Network
from .tables import NETWORK_TABLES, REQUIRED_TABLES, TABLES
from .validation import assert_valid

__all__ = ["NETWORK_JSON", "read_network", "read_network_json", "write_network"]

#: File name of the network metadata.
NETWORK_JSON = "network.json"


def _fail(path: Path, what: str) -> InputError:
    return InputError(f"{path}: {what}")


def read_network_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check the shape of a ``network.json`` file.

    Raises
    ------
    InputError
        Missing file, invalid JSON, missing or mistyped fields, unsupported schema_version.
    """
    p = Path(path)
    if not p.is_file():
        raise _fail(p, "file not found (a network folder needs network.json)")
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(p, f"not valid JSON ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(meta, dict):
        raise _fail(p, "must hold a JSON object")
    for key, kinds in (
        ("name", (str,)),
        ("base_mva", (int, float)),
        ("frequency_hz", (int, float)),
        ("schema_version", (str,)),
        ("tables", (dict,)),
    ):
        if key not in meta:
            raise _fail(p, f"field '{key}' is missing")
        value = meta[key]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise _fail(p, f"field '{key}' has the wrong type ({type(value).__name__})")
    if str(meta["schema_version"]).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise _fail(
            p,
            f"schema_version {meta['schema_version']} is not supported (GAT reads {SCHEMA_VERSION})",
        )
    source = meta.get("source", {})
    if not isinstance(source, dict):
        raise _fail(p, "field 'source' must be an object")
    for name, entry in meta["tables"].items():
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("rows"), int)
            or isinstance(entry.get("rows"), bool)
        ):
            raise _fail(p, f'tables.{name} must be {{"sha256": str, "rows": int}}')
        if not _safe_stem(name):
            raise _fail(p, f"tables.{name} is not a valid table name")
    for req in REQUIRED_TABLES:
        if req not in meta["tables"]:
            raise _fail(p, f"required table '{req}' is not listed in tables")
    return meta


def _safe_stem(name: object) -> bool:
    return isinstance(name, str) and name.replace("_", "").isalnum() and name.isascii()


def read_network(path: str | os.PathLike[str], *, validate: bool = True) -> Network:
    """Read a network folder.

    Parameters
    ----------
    path
        The folder (holding ``network.json`` and ``<table>.parquet`` files).
    validate
        Run :func:`~gat_schemas.validation.validate_network` and raise on any violation.

    Raises
    ------
    InputError
        Missing folder or file, unreadable Parquet, or a table whose sha256 or row count
        differs from ``network.json`` (it was changed outside GAT).
    ValidationError
        The network breaks the data contract (all violations attached).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a network folder (no such directory)")
    meta = read_network_json(folder / NETWORK_JSON)
    tables: dict[str, pd.DataFrame] = {}
    for name, entry in meta["tables"].items():
        file = folder / f"{name}.parquet"
        if not file.is_file():
            raise InputError(f"{file}: file not found (listed in {NETWORK_JSON})")
        if sha256_file(file) != entry["sha256"]:
            raise InputError(
                f"{file}: table {name} was changed outside GAT (sha256 differs from "
                f"{NETWORK_JSON}); re-import the network or write it with GAT"
            )
        df = read_parquet(file)
        if len(df) != entry["rows"]:
            raise InputError(
                f"{file}: table {name} was changed outside GAT ({len(df)} rows, "
                f"{NETWORK_JSON} says {entry['rows']})"
            )
        tables[name] = conform_table(name, df) if name in TABLES else df
    for name in NETWORK_TABLES:
        if name not in tables and (folder / f"{name}.parquet").exists():
            raise InputError(
                f"{folder / (name + '.parquet')}: table {name} is not listed in {NETWORK_JSON} "
                "(added outside GAT)"
            )
    net = Network(
        name=meta["name"],
        base_mva=float(meta["base_mva"]),
        tables=tables,
        frequency_hz=float(meta["frequency_hz"]),
        source=meta.get("source", {}),
    )
    if validate:
        assert_valid(net, source=str(folder))
    return net


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
