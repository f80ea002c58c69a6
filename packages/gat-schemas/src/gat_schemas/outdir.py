"""Output folders: the overwrite policy, creating and locking a folder, dead runs' leftovers.

Used by :class:`gat_schemas.manifest.RunManifest` (see its module docstring for the life
cycle). The policy (:func:`check_output_dir`): a missing or empty folder is used as is; a
folder holding an earlier GAT run has that run's outputs replaced as a whole; a folder
without a GAT run holding anything else is refused unless ``force`` is given. Files GAT did
not write are never removed. Results never go into a network folder (one holding
``network.json``), ``force`` or not; a network writer (an import, ``dataset export``)
replaces an earlier network but not another command's results unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .io import StorageError
from .lock import LOCK_NAME, OutputLock, acquire

if TYPE_CHECKING:
    from .manifest import RunManifest

__all__ = [
    "RUN_JSON",
    "STAGING_PREFIX",
    "WRITES",
    "check_output_dir",
    "check_output_file",
    "remove_leftovers",
]

#: File name of a run manifest.
RUN_JSON = "run.json"
#: Prefix of the hidden folder a running command stages its outputs in.
STAGING_PREFIX = ".gat-staging-"
#: What a command writes into its output folder: results tables, or a network folder.
WRITES = ("results", "network")
_NETWORK_JSON = "network.json"
_SHARDS = "_shards"
# Temporary files of atomic writes (io._temp_sibling, write_network) and of the lock.
_TEMP = re.compile(r"^\..+\.(tmp|old)-[0-9a-f]{12}$|^\.gat-lock\.(tmp|stale)-[0-9a-f]{12}$")


def _advice(cause: str) -> str:
    if "space" in cause or "quota" in cause:
        return "free some space or choose another output folder"
    if "too large" in cause:
        return "raise the file size limit (ulimit -f) or choose another output folder"
    if "read-only" in cause or "permission" in cause or "not permitted" in cause:
        return "choose an output folder you can write to"
    return "check the output folder or choose another one"


def _make_folder(out: Path) -> bool:
    """Create ``out`` (and its parents) when missing; True when it was created."""
    if out.is_dir():
        return False
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise InputError(
                    f"{out}: cannot create the output folder, {parent} is a file, not a "
                    "folder; choose another output folder"
                )
            break
    try:
        out.mkdir(parents=True)
    except FileExistsError:
        if not out.is_dir():
            raise InputError(f"{out}: exists and is not a folder") from None
        return False
    except OSError as exc:
        cause = StorageError.from_os_error(exc, out).cause
        raise StorageError(
            out, cause, hint=f"the output folder could not be created; {_advice(cause)}"
        ) from None
    return True


def _lock_folder(out: Path, command: str, run_id: str, created: bool) -> OutputLock:
    try:
        return acquire(out, command=command, run_id=run_id)
    except OSError as exc:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()
        cause = StorageError.from_os_error(exc, out).cause
        raise StorageError(
            out, cause, hint=f"nothing was changed in {out}; {_advice(cause)}"
        ) from None


def _unlock(lock: OutputLock, out: Path, created: bool) -> None:
    with contextlib.suppress(OSError):
        lock.release()
        if created:
            out.rmdir()  # only when still empty


def _is_internal(name: str) -> bool:
    return name == LOCK_NAME or name.startswith(STAGING_PREFIX) or bool(_TEMP.match(name))


def remove_leftovers(out_dir: str | os.PathLike[str]) -> list[str]:
    """Remove staging folders and temporary files of dead runs from ``out_dir``.

    Call only while holding the folder's lock (then no live run owns them). Looks at the
    folder itself and its ``_shards`` tree. Returns the names removed.
    """
    out = Path(out_dir)
    gone = []
    candidates = list(out.iterdir()) if out.is_dir() else []
    shards = out / _SHARDS
    if shards.is_dir():
        candidates += list(shards.rglob(".*"))
    for path in candidates:
        name = path.name
        if name == LOCK_NAME or not (name.startswith(STAGING_PREFIX) or _TEMP.match(name)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        gone.append(name)
    return gone


def _gat_run(folder: Path) -> RunManifest | None:
    from .manifest import read_manifest

    try:
        return read_manifest(folder / RUN_JSON)
    except InputError:
        return None


def _is_gat_run_dir(folder: Path) -> bool:
    return _gat_run(folder) is not None


def _network_tables(folder: Path) -> list[str]:
    try:
        meta = json.loads((folder / _NETWORK_JSON).read_text(encoding="utf-8"))
        names = list(meta.get("tables", {}))
    except (OSError, ValueError, AttributeError):
        return [_NETWORK_JSON]
    return [_NETWORK_JSON] + [f"{n}.parquet" for n in names if isinstance(n, str)]


def check_output_dir(
    path: str | os.PathLike[str], *, force: bool = False, writes: str = "results"
) -> list[str]:
    """Apply the overwrite policy to an output folder (see the module docstring).

    Parameters
    ----------
    path
        The output folder.
    force
        Accept a folder holding files GAT did not write (they are left in place) and let a
        network writer replace another command's results.
    writes
        ``"results"`` or ``"network"`` (what the command writes).

    Returns
    -------
    list of str
        The earlier GAT outputs (relative paths) that a successful run replaces.

    Raises
    ------
    InputError
        ``path`` is (under) a file; it holds a network and ``writes`` is ``"results"``;
        it holds files GAT did not write (unless ``force``); or a network writer would
        replace another command's results (unless ``force``).
    """
    if writes not in WRITES:
        raise ValueError(f"writes must be one of {WRITES}")
    p = Path(path)
    if not p.exists():
        for parent in p.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise InputError(
                        f"{p}: cannot create the output folder, {parent} is a file, not a "
                        "folder; choose another output folder"
                    )
                break
        return []
    if not p.is_dir():
        raise InputError(f"{p}: exists and is not a folder; choose another output folder")
    try:
        names = sorted(e.name for e in p.iterdir() if not _is_internal(e.name))
    except OSError as exc:
        raise StorageError.from_os_error(exc, p, writing=False) from None
    if not names:
        return []
    run = _gat_run(p)
    if _NETWORK_JSON in names and writes == "results":
        raise InputError(
            f"{p}: holds a network (network.json); results are never written into a network "
            "folder, --force or not: choose another output folder"
        )
    gat_files: set[str] = set()
    if run is not None:
        gat_files = {o["path"] for o in run.outputs} | set(run.superseded)
    elif _NETWORK_JSON in names and force:
        gat_files = set(_network_tables(p))
    if run is None and not force:
        raise InputError(
            f"{p}: folder holds files that GAT did not write (no GAT run.json); "
            "choose another folder or pass --force"
        )
    if run is not None and not force:
        foreign = _foreign(names, gat_files)
        if foreign:
            shown = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            raise InputError(
                f"{p}: folder holds files that GAT did not write beside its earlier run "
                f"({shown}); choose another folder or pass --force (they are kept)"
            )
    earlier_network = _NETWORK_JSON in gat_files
    if writes == "network" and gat_files and not earlier_network and not force:
        raise InputError(
            f"{p}: holds the results of gat {run.command if run else '?'}; a network written "
            "here would replace them: choose another folder or pass --force"
        )
    return sorted(f for f in gat_files if (p / f).exists() or (p / f).is_symlink())


def _foreign(names: list[str], gat_files: set[str]) -> list[str]:
    """Top-level entries of a folder that are not the earlier run's manifest, outputs or
    shards (hidden files such as a desktop's index files are not counted)."""
    own = {Path(f).parts[0] for f in gat_files if Path(f).parts} | {RUN_JSON, _SHARDS}
    return [n for n in names if n not in own and not n.startswith(".")]


def check_output_file(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Apply the overwrite policy to a single output file (``-o FILE``).

    An existing file may be replaced only when the ``run.json`` beside it lists it as an
    output of an earlier GAT run, or with ``force``.
    """
    p = Path(path)
    if not p.exists() or force:
        return
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a file path")
    run = _gat_run(p.parent)
    if run is not None and p.name in {Path(o["path"]).as_posix() for o in run.outputs}:
        return
    raise InputError(f"{p}: file exists and was not written by GAT; pass --force to replace it")
