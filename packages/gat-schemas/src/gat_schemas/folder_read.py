"""Reading network folders, tables edited outside GAT included (DESIGN.md §2).

``network.json`` records each table's sha256 and row count as written by GAT. A table whose
file no longer matches (edited with pandas, say) is not an error: it is read, validated like
any other, and reported as *changed*; a known network table whose file is present but not
listed is read too and reported as *unlisted*. :func:`read_network_folder` returns that record
beside the network; :func:`input_digest` is the digest ``run.json`` records for an input (and
that ``--resume`` compares), so an edited table changes it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .conform import conform_table
from .errors import InputError
from .network import SCHEMA_VERSION, Network
from .tables import NETWORK_TABLES, REQUIRED_TABLES, TABLES
from .validation import assert_valid

__all__ = [
    "NETWORK_JSON",
    "NetworkRead",
    "TableRead",
    "folder_input_record",
    "input_digest",
    "read_network",
    "read_network_folder",
    "read_network_json",
]

#: File name of the network metadata.
NETWORK_JSON = "network.json"
_CHUNK = 1 << 20


def _fail(path: Path, what: str) -> InputError:
    return InputError(f"{path}: {what}")


def _safe_stem(name: object) -> bool:
    return isinstance(name, str) and name.replace("_", "").isalnum() and name.isascii()


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


@dataclass(frozen=True)
class TableRead:
    """One table file of a network folder as it was read.

    Parameters
    ----------
    name
        Table name (the file is ``<name>.parquet``).
    sha256
        Hex sha256 of the bytes read.
    rows
        Rows read.
    status
        ``"unchanged"`` (matches ``network.json``), ``"changed"`` (sha256 or row count
        differs from ``network.json``) or ``"unlisted"`` (a known network table whose file is
        present but not listed in ``network.json``).
    listed_sha256
        The sha256 ``network.json`` records (``None`` when unlisted).
    listed_rows
        The row count ``network.json`` records (``None`` when unlisted).
    """

    name: str
    sha256: str
    rows: int
    status: str
    listed_sha256: str | None = None
    listed_rows: int | None = None


@dataclass(frozen=True)
class NetworkRead:
    """A network read from a folder, with the record of what was read.

    Parameters
    ----------
    network
        The network.
    folder
        The folder read.
    tables
        One record per table file read, in ``network.json`` order, then unlisted ones.
    digest
        :func:`input_digest` of the folder as read.
    """

    network: Network
    folder: Path
    tables: tuple[TableRead, ...]
    digest: str

    @property
    def changed(self) -> tuple[TableRead, ...]:
        """Tables that differ from ``network.json`` or are not listed in it."""
        return tuple(t for t in self.tables if t.status != "unchanged")

    @property
    def source(self) -> str:
        """The folder as validation errors name it: with the tables edited since it was
        written, since a cross-table violation (an island, say) may be reported on a table
        the edit did not touch."""
        edited = ", ".join(t.name for t in self.changed)
        return f"{self.folder} (edited since written: {edited})" if edited else str(self.folder)


def _table_files(folder: Path, meta: dict[str, Any]) -> list[tuple[str, Path, dict | None]]:
    listed = [(n, folder / f"{n}.parquet", e) for n, e in meta["tables"].items()]
    unlisted = [
        (n, folder / f"{n}.parquet", None)
        for n in NETWORK_TABLES
        if n not in meta["tables"] and (folder / f"{n}.parquet").is_file()
    ]
    return listed + unlisted


def _parse_parquet(file: Path, data: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # One file: ParquetFile reads it directly (read_table goes through pyarrow.dataset,
        # several times slower on a 100,000-row table). Without deduplication: interning
        # every string through a hash table cost four times the conversion itself on id
        # columns, whose values are all distinct.
        table = pq.ParquetFile(pa.BufferReader(data)).read()
        # Parquet readers do not check that strings are UTF-8; a flipped byte would
        # otherwise surface later as an ArrowException from deep inside pandas.
        table.validate(full=True)
        return table.to_pandas(deduplicate_objects=False)
    except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError, ...)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{file}: not a readable Parquet file ({first})") from None


def _status(entry: dict | None, sha: str, rows: int | None) -> str:
    if entry is None:
        return "unlisted"
    same_rows = rows is None or rows == entry["rows"]
    return "unchanged" if sha == entry["sha256"] and same_rows else "changed"


def _combined(meta_sha: str, shas: dict[str, str | None]) -> str:
    text = json.dumps({NETWORK_JSON: meta_sha, "tables": shas}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest_of(meta_sha: str, entries: list[tuple[str, str | None, str]]) -> str:
    # A folder whose tables all match network.json is named by network.json's digest (it
    # lists theirs); otherwise by a digest of network.json's and every table's.
    if all(status == "unchanged" for _, _, status in entries):
        return meta_sha
    return _combined(meta_sha, {name: sha for name, sha, _ in entries})


def read_network_folder(path: str | os.PathLike[str], *, validate: bool = True) -> NetworkRead:
    """Read a network folder and record what was read.

    Each table file is read once: its sha256 is that of the bytes parsed. A table that
    differs from ``network.json`` (digest or row count) or a known network table present
    but not listed is read like the others and marked in :attr:`NetworkRead.tables`.
    Parquet files that are not network tables and not listed are ignored.

    Parameters
    ----------
    path
        The folder (holding ``network.json`` and ``<table>.parquet`` files).
    validate
        Run :func:`~gat_schemas.validation.validate_network` and raise on any violation.

    Raises
    ------
    InputError
        Missing folder or file (a table listed in ``network.json`` must exist), or
        unreadable Parquet.
    ValidationError
        The network breaks the data contract (all violations attached).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a network folder (no such directory)")
    meta_file = folder / NETWORK_JSON
    meta = read_network_json(meta_file)
    meta_sha = hashlib.sha256(meta_file.read_bytes()).hexdigest()
    tables: dict[str, pd.DataFrame] = {}
    reads: list[TableRead] = []
    for name, file, entry in _table_files(folder, meta):
        if not file.is_file():
            raise InputError(f"{file}: file not found (listed in {NETWORK_JSON})")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"{file}: cannot read file ({exc.strerror or exc})") from None
        df = _parse_parquet(file, data)
        sha = hashlib.sha256(data).hexdigest()
        reads.append(
            TableRead(
                name=name,
                sha256=sha,
                rows=len(df),
                status=_status(entry, sha, len(df)),
                listed_sha256=None if entry is None else entry["sha256"],
                listed_rows=None if entry is None else entry["rows"],
            )
        )
        tables[name] = conform_table(name, df) if name in TABLES else df
    net = Network(
        name=meta["name"],
        base_mva=float(meta["base_mva"]),
        tables=tables,
        frequency_hz=float(meta["frequency_hz"]),
        source=meta.get("source", {}),
    )
    digest = _digest_of(meta_sha, [(t.name, t.sha256, t.status) for t in reads])
    read = NetworkRead(network=net, folder=folder, tables=tuple(reads), digest=digest)
    if validate:
        assert_valid(net, source=read.source)
    return read


def read_network(path: str | os.PathLike[str], *, validate: bool = True) -> Network:
    """Read a network folder (tables edited outside GAT included).

    The network of :func:`read_network_folder`; use that function to learn which tables
    differ from ``network.json``.

    Raises
    ------
    InputError
        Missing folder or file, or unreadable Parquet.
    ValidationError
        The network breaks the data contract (all violations attached).
    """
    return read_network_folder(path, validate=validate).network


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    return digest.hexdigest()


def _parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # unreadable: reading the network will say so
        return None


def folder_input_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``run.json`` input record of a network folder, without parsing its tables.

    Returns
    -------
    dict
        ``{"sha256": digest, "tables": {name: {"sha256", "rows", "status"}}}``: the digest
        is :func:`input_digest`'s; ``status`` is ``unchanged``, ``changed``, ``unlisted`` or
        ``missing`` (listed, no file). A folder without a readable ``network.json`` gives
        ``{"sha256": digest of network.json or None}`` only (reading it will report why).
    """
    folder = Path(path)
    meta_file = folder / NETWORK_JSON
    if not meta_file.is_file():
        return {"sha256": None}
    meta_sha = _file_sha(meta_file)
    try:
        meta = read_network_json(meta_file)
    except InputError:
        return {"sha256": meta_sha}
    record: dict[str, dict[str, Any]] = {}
    entries: list[tuple[str, str | None, str]] = []
    for name, file, entry in _table_files(folder, meta):
        if not file.is_file():
            record[name] = {"sha256": None, "rows": None, "status": "missing"}
            entries.append((name, None, "missing"))
            continue
        sha, rows = _file_sha(file), _parquet_rows(file)
        status = _status(entry, sha, rows)
        record[name] = {"sha256": sha, "rows": rows, "status": status}
        entries.append((name, sha, status))
    return {"sha256": _digest_of(meta_sha, entries), "tables": record}


def input_digest(path: str | os.PathLike[str]) -> str | None:
    """The digest ``run.json`` records for an input file or network folder.

    A file: its sha256. A network folder: the sha256 of its ``network.json`` when every
    table file matches it; otherwise a sha256 over that digest and every table file's, so
    editing a table changes the digest (and ``--resume`` sees the input changed). ``None``
    for a folder without ``network.json`` or a missing path.
    """
    p = Path(path)
    if p.is_dir():
        return folder_input_record(p)["sha256"]
    return _file_sha(p) if p.is_file() else None
