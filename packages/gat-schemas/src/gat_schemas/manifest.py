"""``run.json``: what a command did, with what, and what it produced (DESIGN.md §3).

Life cycle::

    run = RunManifest.start(out_dir, command="dist pf", argv=argv, params=params,
                            inputs=[grid_dir])            # run.json, status "running"
    run.stage_table(df, "pf_nodes")                        # written under a hidden staging dir
    run.finish()                                           # tables moved into out_dir, "success"
    # or, on any error:
    run.fail(exc)                                          # staging removed, "failed" + error

A failed run therefore leaves ``status: failed`` and no partial table. Output paths in
``run.json`` are relative to the folder that holds it; input paths are absolute.

Overwrite policy (:func:`check_output_dir`): a missing or empty folder is used as is; a
folder that already holds a GAT ``run.json`` may be written into again, its tables being
replaced one by one at ``finish``; a folder holding anything else is refused unless
``force`` is given, so GAT never silently overwrites a user's files.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib.metadata
import json
import math
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .errors import InputError
from .io import atomic_write_json, sha256_file, write_table

__all__ = [
    "RUN_JSON",
    "STAGING_PREFIX",
    "RunManifest",
    "check_output_dir",
    "check_output_file",
    "jsonable",
    "list_runs",
    "package_versions",
    "read_manifest",
]

#: File name of a run manifest.
RUN_JSON = "run.json"
#: Prefix of the hidden folder a running command stages its outputs in.
STAGING_PREFIX = ".gat-staging-"
_STATUSES = ("running", "success", "failed")
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


@dataclasses.dataclass
class RunManifest:
    """The record of one command run, kept in ``<out_dir>/run.json``.

    Mutable on purpose (unlike GAT's option and result records): it follows a run from
    ``start`` to ``finish``/``fail`` and is rewritten atomically at every step.
    """

    out_dir: Path
    run_id: str
    command: str
    argv: list[str]
    params: dict[str, Any]
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    started_at: str = ""
    finished_at: str | None = None
    duration_s: float | None = None
    status: str = "running"
    error: str | None = None
    shards: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    defaults: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    _t0: float = dataclasses.field(default=0.0, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        out_dir: str | os.PathLike[str],
        *,
        command: str,
        argv: list[str],
        params: dict[str, Any],
        inputs: Iterable[str | os.PathLike[str]] = (),
        seed: int | None = None,
        force: bool = False,
    ) -> RunManifest:
        """Check ``out_dir`` (see :func:`check_output_dir`), then write ``run.json`` (running).

        Parameters
        ----------
        out_dir
            Output folder (created when missing).
        command
            Command name, e.g. ``"dist pf"``.
        argv
            The command line as given.
        params
            Every parameter with its value, defaults included (JSON-convertible).
        inputs
            Input files or folders; each is recorded with its sha256 (a folder's digest is
            that of its ``network.json``, which lists its tables' digests).
        seed
            Random seed, when the command draws random numbers.
        force
            Allow a folder holding non-GAT files.
        """
        out = Path(out_dir)
        check_output_dir(out, force=force)
        out.mkdir(parents=True, exist_ok=True)
        run = cls(
            out_dir=out,
            run_id=uuid.uuid4().hex,
            command=command,
            argv=[str(a) for a in argv],
            params=jsonable(dict(params)),
            inputs=[_input_entry(Path(p)) for p in inputs],
            versions=package_versions(),
            seed=None if seed is None else int(seed),
            started_at=_now(),
            _t0=time.monotonic(),
        )
        run.write()
        return run

    # -- staging -------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """Location of ``run.json``."""
        return self.out_dir / RUN_JSON

    @property
    def staging_dir(self) -> Path:
        """Hidden folder where outputs wait until :meth:`finish` (created on demand)."""
        return self.out_dir / f"{STAGING_PREFIX}{self.run_id}"

    def stage_path(self, relative: str | os.PathLike[str]) -> Path:
        """Path under the staging folder for an output file that the caller writes itself.

        The file (or every file under a folder, for partitioned datasets) is moved to
        ``out_dir / relative`` by :meth:`finish`.
        """
        rel = Path(relative)
        if rel.is_absolute() or ".." in rel.parts:
            raise InputError(f"output path {relative} must be relative to the output folder")
        target = self.staging_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def stage_table(self, df: pd.DataFrame, table: str, *, filename: str | None = None) -> Path:
        """Validate ``df`` as ``table`` and write it to the staging folder.

        Parameters
        ----------
        df
            The table.
        table
            Table name (validated against its schema).
        filename
            Relative output path; ``<table>.parquet`` by default.
        """
        target = self.stage_path(filename or f"{table}.parquet")
        write_table(df, target, table=table)
        return target

    def record_defaults(self, table: str, applied: dict[str, Any]) -> None:
        """Record the optional-column defaults applied to ``table`` (from ``apply_defaults``)."""
        if applied:
            self.defaults.setdefault(table, {}).update(jsonable(applied))

    def record_shard(
        self,
        shard_id: str | int,
        *,
        status: str,
        outputs: Iterable[str] = (),
    ) -> None:
        """Record (or update) one fan-out shard and rewrite ``run.json``.

        ``outputs`` are paths relative to ``out_dir`` of files already in place; their
        sha256 are recorded so ``--resume`` can tell intact shards from broken ones.
        """
        if status not in _STATUSES:
            raise ValueError(f"shard status must be one of {_STATUSES}")
        outs = list(outputs)
        entry = {
            "id": str(shard_id),
            "status": status,
            "outputs": [str(o) for o in outs],
            "sha256": [sha256_file(self.out_dir / o) for o in outs],
        }
        self.shards = [s for s in self.shards if s["id"] != entry["id"]] + [entry]
        self.write()

    def shard_is_intact(self, shard_id: str | int) -> bool:
        """True when the shard succeeded and each of its outputs still has its recorded sha256."""
        for s in self.shards:
            if s["id"] == str(shard_id):
                if s["status"] != "success":
                    return False
                for rel, digest in zip(s["outputs"], s["sha256"], strict=True):
                    p = self.out_dir / rel
                    if not p.is_file() or sha256_file(p) != digest:
                        return False
                return True
        return False

    # -- ending --------------------------------------------------------------------------
    def _stop(self, status: str) -> None:
        self.status = status
        self.finished_at = _now()
        if self._t0:
            self.duration_s = round(time.monotonic() - self._t0, 6)
        else:
            start = datetime.fromisoformat(self.started_at)
            self.duration_s = (datetime.fromisoformat(self.finished_at) - start).total_seconds()

    def finish(self) -> None:
        """Move every staged output into ``out_dir``, record them, and mark the run a success."""
        outputs = []
        staged = self.staging_dir
        if staged.is_dir():
            files = sorted(p for p in staged.rglob("*") if p.is_file())
            for src in files:
                rel = src.relative_to(staged)
                dst = self.out_dir / rel
                if dst.is_dir():
                    shutil.rmtree(dst)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                outputs.append(
                    {"path": rel.as_posix(), "sha256": sha256_file(dst), "rows": _rows(dst)}
                )
            shutil.rmtree(staged, ignore_errors=True)
        known = {o["path"] for o in outputs}
        self.outputs = [o for o in self.outputs if o["path"] not in known] + outputs
        self.error = None
        self._stop("success")
        self.write()

    def fail(self, error: BaseException | str) -> None:
        """Discard staged outputs and mark the run failed with a one-line ``error``."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        if isinstance(error, BaseException):
            text = f"{type(error).__name__}: {error}"
        else:
            text = str(error)
        self.error = " ".join(text.split())
        self._stop("failed")
        self.write()

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``run.json`` content."""
        return {
            "run_id": self.run_id,
            "command": self.command,
            "argv": list(self.argv),
            "params": self.params,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "versions": self.versions,
            "seed": self.seed,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "status": self.status,
            "error": self.error,
            "shards": self.shards,
            "defaults": self.defaults,
        }

    def write(self) -> Path:
        """Write ``run.json`` atomically."""
        return atomic_write_json(self.path, self.to_dict())


def _input_entry(path: Path) -> dict[str, Any]:
    # A network folder's digest and per-table record come from gat_schemas.folder_read
    # (the same digest --resume compares), so a table edited since import shows here.
    from .folder_read import folder_input_record

    if path.is_dir():
        return {"path": str(path.resolve()), **folder_input_record(path)}
    if not path.is_file():
        raise InputError(f"{path}: input not found")
    return {"path": str(path.resolve()), "sha256": sha256_file(path)}


_REQUIRED_KEYS = ("run_id", "command", "status", "started_at")


def read_manifest(path: str | os.PathLike[str]) -> RunManifest:
    """Read a ``run.json`` (or the ``run.json`` inside folder ``path``).

    Raises
    ------
    InputError
        Missing file, invalid JSON, or not a GAT run manifest.
    """
    p = Path(path)
    if p.is_dir():
        p = p / RUN_JSON
    if not p.is_file():
        raise InputError(f"{p}: run manifest not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{p}: not valid JSON ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(data, dict) or any(k not in data for k in _REQUIRED_KEYS):
        raise InputError(f"{p}: not a GAT run manifest (needs {', '.join(_REQUIRED_KEYS)})")
    if data["status"] not in _STATUSES:
        raise InputError(f"{p}: unknown status {data['status']!r}")
    fields = {f.name for f in dataclasses.fields(RunManifest)} - {"out_dir", "_t0"}
    kwargs = {k: v for k, v in data.items() if k in fields}
    try:
        return RunManifest(out_dir=p.parent, **kwargs)
    except TypeError as exc:
        raise InputError(f"{p}: malformed run manifest ({exc})") from None


def list_runs(root: str | os.PathLike[str]) -> list[RunManifest]:
    """Every GAT run manifest under ``root`` (recursively), oldest first.

    Files named ``run.json`` that are not GAT manifests are skipped.
    """
    base = Path(root)
    if not base.is_dir():
        raise InputError(f"{base}: not a folder")
    runs = []
    for p in sorted(base.rglob(RUN_JSON)):
        try:
            runs.append(read_manifest(p))
        except InputError:
            continue
    return sorted(runs, key=lambda r: (r.started_at, str(r.out_dir)))


def _is_gat_run_dir(folder: Path) -> bool:
    try:
        read_manifest(folder / RUN_JSON)
    except InputError:
        return False
    return True


def check_output_dir(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Apply the overwrite policy to an output folder (see the module docstring).

    Raises
    ------
    InputError
        ``path`` is a file, or a non-empty folder without a GAT ``run.json`` (unless ``force``).
    """
    p = Path(path)
    if not p.exists():
        return
    if not p.is_dir():
        raise InputError(f"{p}: exists and is not a folder")
    if force or not any(p.iterdir()) or _is_gat_run_dir(p):
        return
    raise InputError(
        f"{p}: folder holds files that GAT did not write (no GAT run.json); "
        "choose another folder or pass --force"
    )


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
    try:
        run = read_manifest(p.parent / RUN_JSON)
    except InputError:
        run = None
    if run is not None and p.name in {Path(o["path"]).as_posix() for o in run.outputs}:
        return
    raise InputError(f"{p}: file exists and was not written by GAT; pass --force to replace it")
