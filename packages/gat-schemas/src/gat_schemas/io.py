"""Atomic file writes, sha256 digests and validated table I/O.

Every write goes to a temporary file in the destination folder and is moved into place
with :func:`os.replace`, so a reader never sees a half-written file and a writer that
fails leaves the old file (or nothing) behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from .conform import conform_table
from .errors import InputError, ValidationError
from .tables import TABLES
from .validation import validate_table

__all__ = [
    "StorageError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_parquet",
    "os_error_cause",
    "read_parquet",
    "read_table",
    "sha256_bytes",
    "sha256_file",
    "table_name_for",
    "write_table",
]

_CHUNK = 1 << 20

_CAUSES = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large (the file size limit was reached)",
    errno.ENOENT: "a folder on the path does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder",
    errno.EEXIST: "the path already exists",
    errno.EIO: "input/output error (the disk or share failed)",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many symbolic links on the path",
}
_ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)


def os_error_cause(exc: OSError) -> str:
    """The cause of an ``OSError`` in plain words (``"no space left on device"``).

    pyarrow raises ``OSError`` without ``errno`` and names it in the text instead
    (``[errno 28] No space left on device``); that number is used when present.
    """
    code = exc.errno
    if code is None:
        found = _ERRNO_IN_TEXT.search(str(exc))
        code = int(found.group(1)) if found else None
    if code in _CAUSES:
        return _CAUSES[code]
    if code is not None:
        return os.strerror(code).lower()
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


class StorageError(InputError):
    """A file could not be written or read because of the disk or the file system (exit 1).

    Parameters
    ----------
    path
        The file or folder concerned.
    cause
        The cause in words (see :func:`os_error_cause`).
    writing
        True for a write, False for a read.
    hint
        What happened to the earlier content and what to do, appended after ``;``.
    """

    def __init__(
        self, path: str | os.PathLike[str], cause: str, *, writing: bool = True, hint: str = ""
    ) -> None:
        self.path = Path(path)
        self.cause = cause
        self.writing = writing
        verb = "writing" if writing else "reading"
        tail = f"; {hint}" if hint else ""
        super().__init__(f"{cause} while {verb} {self.path}{tail}")

    @classmethod
    def from_os_error(
        cls, exc: OSError, path: str | os.PathLike[str] | None = None, *, writing: bool = True
    ) -> StorageError:
        """Build from ``exc``; ``path`` defaults to the file named by the exception."""
        where = path if path is not None else (exc.filename or "?")
        return cls(where, os_error_cause(exc), writing=writing)

    def with_hint(self, hint: str) -> StorageError:
        """The same error with ``hint`` appended."""
        return StorageError(self.path, self.cause, writing=self.writing, hint=hint)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 digest of a file's bytes.

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    return digest.hexdigest()


def _temp_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:12]}")


def atomic_write(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` to write a temporary sibling of ``path``, then rename it into place.

    If ``writer`` raises, the temporary file is removed and the exception propagates;
    ``path`` is untouched.

    Raises
    ------
    StorageError
        The disk or file system refused the write (full, read-only, no permission, file
        size limit, a file where a folder is expected ...).
    """
    target = Path(path)
    tmp = _temp_sibling(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _discard(tmp)
        raise StorageError.from_os_error(exc, target) from None
    except BaseException:
        _discard(tmp)
        raise
    return target


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON (UTF-8, trailing newline) atomically."""
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False, default=str) + "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


#: Largest dictionary page (bytes) before a column falls back to plain encoding. pyarrow's
#: default, 1 MiB, lets a column of distinct values (floats, ids) build a large dictionary
#: only to discard it: a 100,000-row result table took three times as long to write, and
#: its file came out larger. Columns with few distinct values still get their dictionary.
_DICT_PAGE_BYTES = 1 << 16


def _to_parquet(df: pd.DataFrame, path: Path) -> None:
    frame = df if isinstance(df.index, pd.RangeIndex) else df.reset_index(drop=True)
    frame.to_parquet(
        path, index=False, engine="pyarrow", dictionary_pagesize_limit=_DICT_PAGE_BYTES
    )


def atomic_write_parquet(path: str | os.PathLike[str], df: pd.DataFrame) -> Path:
    """Write ``df`` (index dropped) as Parquet atomically."""
    return atomic_write(path, lambda tmp: _to_parquet(df, tmp))


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Parquet file (or a partitioned Parquet folder) into a DataFrame.

    Raises
    ------
    InputError
        When the path is missing or is not readable Parquet (corrupt, truncated, other
        format); the message names the file and never carries a pyarrow traceback.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    try:
        table = pq.read_table(p)
        table.validate(full=True)  # strings must be UTF-8 (readers do not check)
        return table.to_pandas()
    except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError, ...)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{p}: not a readable Parquet file ({first})") from None


def table_name_for(path: str | os.PathLike[str], table: str | None = None) -> str:
    """Name of the table held by ``path``: ``table`` if given, else the file stem.

    Raises
    ------
    InputError
        When the name is not a known table.
    """
    p = Path(path)
    name = table if table is not None else p.name.removesuffix(".parquet")
    if name not in TABLES:
        raise InputError(
            f"{p}: cannot tell which table this is ('{name}' is not one of "
            f"{', '.join(TABLES)}); name the file <table>.parquet or pass the table name"
        )
    return name


def read_table(
    path: str | os.PathLike[str], table: str | None = None, *, validate: bool = True
) -> pd.DataFrame:
    """Read and validate one table file.

    Parameters
    ----------
    path
        Parquet file (``dist_nodes.parquet``) or partitioned Parquet folder.
    table
        Table name; inferred from the file stem when omitted.
    validate
        Run :func:`~gat_schemas.validation.validate_table` and raise on any violation.

    Returns
    -------
    pandas.DataFrame
        The table, with lossless dtype widening applied (see ``conform_table``).

    Raises
    ------
    InputError
        Unreadable file or unknown table name.
    ValidationError
        The table breaks its schema (every violation is attached; the message names the file).
    """
    if not Path(path).exists():
        raise InputError(f"{path}: file not found")
    name = table_name_for(path, table)
    df = conform_table(name, read_parquet(path))
    if validate:
        found = validate_table(name, df)
        if found:
            raise ValidationError(found, str(path))
    return df


def write_table(
    df: pd.DataFrame, path: str | os.PathLike[str], *, table: str, validate: bool = True
) -> dict[str, Any]:
    """Validate ``df`` as ``table`` and write it as Parquet atomically.

    Returns
    -------
    dict
        ``{"path": str, "sha256": hex digest of the file, "rows": row count}``, the shape
        of a ``run.json`` output entry.

    Raises
    ------
    ValidationError
        The table breaks its schema; nothing is written.
    """
    name = table_name_for(path, table)
    if validate:
        found = validate_table(name, df)
        if found:
            raise ValidationError(found, str(path))
    target = atomic_write_parquet(path, df)
    return {"path": str(target), "sha256": sha256_file(target), "rows": len(df)}
