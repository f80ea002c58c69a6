"""One writer per output folder: an exclusive lock file (``<folder>/.gat-lock``).

A run takes the lock before it writes anything into its output folder and gives it back
when it ends (:meth:`OutputLock.release`, called by ``RunManifest.finish``/``fail`` and,
as a last resort, when the process exits). The lock file holds the holder's pid, host,
command, run id and start time as JSON.

Taking the lock is atomic: the record is written to a private temporary file which is then
hard-linked to the lock name (:func:`os.link` fails when the name exists), so a lock file is
never seen half-written. A lock left by a process that died without releasing it (killed,
power cut) is *stale* when it names this host and a pid that is no longer alive; it is taken
over and the take-over is reported in :attr:`OutputLock.note`. A lock of another host is
never taken over (its pid cannot be checked from here).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["LOCK_NAME", "FolderInUseError", "OutputLock", "acquire", "holder", "is_alive"]

#: File name of the lock inside an output folder.
LOCK_NAME = ".gat-lock"
_HELD: dict[str, OutputLock] = {}


class FolderInUseError(InputError):
    """The output folder is locked by another live run (exit code 1)."""


@dataclass(frozen=True)
class OutputLock:
    """A held lock on one output folder.

    Attributes
    ----------
    path
        The lock file.
    record
        What the lock file holds: ``pid``, ``host``, ``command``, ``run_id``, ``started_at``
        (ISO 8601, UTC) and ``token`` (unique to this acquisition).
    note
        One line when a stale lock of a dead process was taken over, else ``None``.
    """

    path: Path
    record: dict[str, Any]
    note: str | None = None

    def release(self) -> None:
        """Remove the lock file if it is still this lock's (idempotent)."""
        _HELD.pop(str(self.path), None)
        current = _read(self.path)
        if current is not None and current.get("token") == self.record["token"]:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def is_alive(pid: int) -> bool:
    """True when process ``pid`` exists on this host (``os.kill(pid, 0)``)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def holder(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The record of the lock on ``folder``, or ``None`` when it is not locked.

    A record of a dead process on this host is returned with ``"stale": True``.
    """
    path = Path(folder) / LOCK_NAME
    data = _read(path)
    if data is None:
        return None
    return {**data, "stale": _is_stale(data)}


def _is_stale(data: dict[str, Any]) -> bool:
    pid = data.get("pid")
    if data.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    if pid == os.getpid():  # this process: stale unless one of its runs still holds it
        return data.get("token") not in {lk.record["token"] for lk in _HELD.values()}
    return not is_alive(pid)


def _since(started_at: object) -> str:
    try:
        when = datetime.fromisoformat(str(started_at)).astimezone()
    except ValueError:
        return "an unknown time"
    today = when.date() == datetime.now().astimezone().date()
    return when.strftime("%H:%M" if today else "%Y-%m-%d %H:%M")


def _in_use(folder: Path, data: dict[str, Any]) -> FolderInUseError:
    if not data:
        who = "another GAT run (its lock file is unreadable)"
    else:
        who = f"gat {data.get('command', '?')}, pid {data.get('pid', '?')}"
        if data.get("host") != socket.gethostname():
            who += f" on {data.get('host', '?')}"
        who += f", since {_since(data.get('started_at'))}"
    return FolderInUseError(
        f"{folder} is in use by {who}; wait or choose another folder "
        f"(remove {folder / LOCK_NAME} only if that run is gone)"
    )


def acquire(folder: str | os.PathLike[str], *, command: str, run_id: str) -> OutputLock:
    """Take the lock on the existing folder ``folder``.

    Parameters
    ----------
    folder
        The output folder (must exist).
    command
        Command name recorded in the lock (``"dist hostcap"``).
    run_id
        The run taking the lock.

    Raises
    ------
    FolderInUseError
        Another live run holds the lock (the message names it).
    OSError
        The folder cannot be written (read-only, no permission, disk full ...).
    """
    base = Path(folder)
    path = base / LOCK_NAME
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "token": uuid.uuid4().hex,
    }
    note = None
    for _ in range(3):
        if _link(base, path, record):
            lock = OutputLock(path=path, record=record, note=note)
            _HELD[str(path)] = lock
            return lock
        current = _read(path)
        if current is None:  # released between our attempt and the read: try again
            continue
        if not _is_stale(current):
            raise _in_use(base, current)
        note = (
            f"{base}: took over the lock of gat {current.get('command', '?')} "
            f"(pid {current.get('pid')}, since {_since(current.get('started_at'))}), "
            "which ended without releasing it"
        )
        _remove_if_same(path, current)
    raise _in_use(base, _read(path) or {})


def _link(base: Path, path: Path, record: dict[str, Any]) -> bool:
    tmp = base / f".gat-lock.tmp-{record['token'][:12]}"
    try:
        tmp.write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:  # a file system without hard links: exclusive create
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            return _create_exclusive(path, record)
        return True
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _create_exclusive(path: Path, record: dict[str, Any]) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True) + "\n")
    return True


def _remove_if_same(path: Path, seen: dict[str, Any]) -> None:
    """Remove a stale lock file unless another run replaced it meanwhile."""
    aside = path.with_name(f"{LOCK_NAME}.stale-{uuid.uuid4().hex[:12]}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return
    if _read(aside) != seen:  # someone took the lock in between: put theirs back
        with contextlib.suppress(OSError):
            os.link(aside, path)
    with contextlib.suppress(OSError):
        aside.unlink()


@atexit.register
def _release_all() -> None:
    for lock in list(_HELD.values()):
        if lock.record["pid"] == os.getpid():
            with contextlib.suppress(OSError):
                lock.release()
