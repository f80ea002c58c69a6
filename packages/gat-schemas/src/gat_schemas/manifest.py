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

One writer, one run per folder:

- ``start`` (and :meth:`RunManifest.reopen` for ``--resume``) takes the folder's lock
  (:mod:`gat_schemas.lock`) before writing anything; ``finish``/``fail`` give it back.
  A second run into a locked folder is refused with the holder's command, pid and start time.
- Once the lock is held, staging folders and temporary files left by dead runs are removed.
- A folder holds one run: the outputs of the earlier GAT run are recorded as ``superseded``
  and removed by ``finish`` only after the new outputs are in place, so a failed run keeps
  them and a successful one replaces them as a whole. Until then the earlier run's own
  manifest is kept inside the new one as ``previous`` (the last run whose outputs are still
  in the folder), so a failed run never loses what the tables it left in place came from.

Overwrite policy (:func:`check_output_dir`): a missing or empty folder is used as is; a
folder holding an earlier GAT run has that run's outputs replaced as a whole; a folder
without a GAT run holding anything else is refused unless ``force`` is given. Files GAT did
not write are never removed. Results never go into a network folder (one holding
``network.json``), ``force`` or not; a network writer (an import, ``dataset export``)
replaces an earlier network but not another command's results unless ``force`` is given.

Reading a manifest back (:func:`read_manifest`, :func:`list_runs`) lives in
:mod:`gat_schemas.manifest_read` and is re-exported here.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ._runinfo import _now, _rows, jsonable, package_versions
from .errors import GatError, InputError
from .io import StorageError, atomic_write_json, sha256_file, write_table
from .lock import LOCK_NAME, OutputLock, holder
from .manifest_read import STATUSES, list_runs, previous_run, read_manifest
from .outdir import (
    RUN_JSON,
    STAGING_PREFIX,
    WRITES,
    _advice,
    _lock_folder,
    _make_folder,
    _unlock,
    check_output_dir,
    check_output_file,
    remove_leftovers,
)

__all__ = [
    "RUN_JSON",
    "STAGING_PREFIX",
    "WRITES",
    "RunManifest",
    "check_output_dir",
    "check_output_file",
    "jsonable",
    "list_runs",
    "package_versions",
    "read_manifest",
    "remove_leftovers",
]


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
    superseded: list[str] = dataclasses.field(default_factory=list)
    #: The earlier run whose outputs are still in the folder (its run.json content), until
    #: this run succeeds and replaces them; ``None`` when there is none.
    previous: dict[str, Any] | None = None
    _t0: float = dataclasses.field(default=0.0, repr=False, compare=False)
    _lock: OutputLock | None = dataclasses.field(default=None, repr=False, compare=False)
    #: One-line notes for the user (a stale lock taken over); not written to run.json.
    notes: list[str] = dataclasses.field(default_factory=list, repr=False, compare=False)

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
        writes: str = "results",
    ) -> RunManifest:
        """Check ``out_dir``, take its lock, then write ``run.json`` (status running).

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
            Allow a folder holding non-GAT files (see :func:`check_output_dir`).
        writes
            ``"results"`` (tables) or ``"network"`` (a network folder: imports, exports).

        Raises
        ------
        InputError
            The folder is refused by :func:`check_output_dir`, or cannot be created.
        gat_schemas.lock.FolderInUseError
            Another live run holds the folder's lock.
        gat_schemas.io.StorageError
            The folder cannot be written (nothing was changed in it).
        """
        out = Path(out_dir)
        check_output_dir(out, force=force, writes=writes)
        created = _make_folder(out)
        run_id = uuid.uuid4().hex
        lock = _lock_folder(out, command, run_id, created)
        try:
            superseded = check_output_dir(out, force=force, writes=writes)
            remove_leftovers(out)
            previous = previous_run(out) if superseded else None
            run = cls(
                out_dir=out,
                run_id=run_id,
                command=command,
                argv=[str(a) for a in argv],
                params=jsonable(dict(params)),
                inputs=[_input_entry(Path(p)) for p in inputs],
                versions=package_versions(),
                seed=None if seed is None else int(seed),
                started_at=_now(),
                superseded=superseded,
                previous=previous,
                _t0=time.monotonic(),
                _lock=lock,
                notes=[lock.note] if lock.note else [],
            )
            run.write()
        except StorageError as exc:
            _unlock(lock, out, created)
            raise exc.with_hint(f"nothing was changed in {out}; {_advice(exc.cause)}") from None
        except BaseException:
            _unlock(lock, out, created)
            raise
        return run

    @classmethod
    def reopen(cls, out_dir: str | os.PathLike[str], *, command: str) -> RunManifest:
        """Take the lock of ``out_dir`` and read its run of ``command`` to resume it.

        Nothing is written except the removal of a dead run's leftovers (staging folders,
        temporary files). The caller checks the run and either continues it (setting its
        fields and calling :meth:`write`) or calls :meth:`release`.

        Raises
        ------
        InputError
            No ``run.json`` in ``out_dir``, or it records another command.
        gat_schemas.lock.FolderInUseError
            Another live run holds the folder's lock.
        """
        out = Path(out_dir)
        if not (out / RUN_JSON).is_file():
            raise InputError(f"{out}: no run.json to resume; run without --resume first")
        lock = _lock_folder(out, command, read_manifest(out).run_id, created=False)
        try:
            run = read_manifest(out)
            if run.command != command:
                raise InputError(
                    f"{out}/run.json: records command '{run.command}', not '{command}'"
                )
            remove_leftovers(out)
        except BaseException:
            lock.release()
            raise
        run._lock = lock
        run.notes = [lock.note] if lock.note else []
        # The earlier attempt's outputs (if it got that far) are replaced as a whole.
        known = {o["path"] for o in run.outputs}
        run.superseded = sorted(set(run.superseded) | known)
        run.outputs = []
        return run

    def release(self) -> None:
        """Give the folder's lock back (idempotent; ``finish`` and ``fail`` call it)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def live_status(self) -> str:
        """``status``, or ``"interrupted"`` for a run left running by a dead process.

        A run is interrupted when ``run.json`` says running but no live process holds the
        folder's lock for it.
        """
        if self.status != "running":
            return self.status
        held = holder(self.out_dir)
        if held is None or held.get("stale") or held.get("run_id") != self.run_id:
            return "interrupted"
        return "running"

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
        digest: str | None = None,
    ) -> None:
        """Record (or update) one fan-out shard and rewrite ``run.json``.

        ``outputs`` are paths relative to ``out_dir`` of files already in place; their
        sha256 are recorded so ``--resume`` can tell intact shards from broken ones. The
        entry carries this run's ``run_id`` and ``digest`` (the digest of the work's
        parameters and inputs), so a resume never takes a shard of another run.
        """
        if status not in STATUSES:
            raise ValueError(f"shard status must be one of {STATUSES}")
        outs = list(outputs)
        entry = {
            "id": str(shard_id),
            "status": status,
            "outputs": [str(o) for o in outs],
            "sha256": [sha256_file(self.out_dir / o) for o in outs],
            "run_id": self.run_id,
            "params_digest": digest,
        }
        self.shards = [s for s in self.shards if s["id"] != entry["id"]] + [entry]
        self.write()

    def shard_is_intact(self, shard_id: str | int, digest: str | None = None) -> bool:
        """True when the shard succeeded in this run and its outputs have their recorded sha256.

        A shard recorded by another run (another ``run_id``) or, when ``digest`` is given,
        for other parameters or inputs, is never intact.
        """
        for s in self.shards:
            if s["id"] == str(shard_id):
                if s["status"] != "success" or s.get("run_id") != self.run_id:
                    return False
                if digest is not None and s.get("params_digest") != digest:
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
        """Move every staged output into ``out_dir``, remove the superseded outputs of the
        earlier run, record the new outputs, mark the run a success and release the lock.

        Raises
        ------
        gat_schemas.io.StorageError
            A file could not be moved or ``run.json`` written (the caller then calls
            :meth:`fail`).
        """
        outputs = []
        staged = self.staging_dir
        try:
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
            self._remove_superseded({o["path"] for o in outputs})
        except OSError as exc:
            raise StorageError.from_os_error(exc) from None
        self.outputs = outputs
        self.superseded = []
        self.previous = None
        self.error = None
        self._stop("success")
        self.write()
        self.release()

    def _remove_superseded(self, kept: set[str]) -> None:
        """Delete the earlier run's outputs that the new run did not write again."""
        root = self.out_dir.resolve()
        for rel in self.superseded:
            if rel in kept or rel in (RUN_JSON, LOCK_NAME):
                continue
            path = self.out_dir / rel
            if root not in path.resolve().parents:
                continue
            if path.is_file() or path.is_symlink():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            parent = path.parent
            while parent.resolve() != root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def fail(self, error: BaseException | str) -> None:
        """Discard staged outputs, mark the run failed with a one-line ``error``, release the lock.

        The earlier run's outputs stay in place (still listed in ``superseded``). When
        ``run.json`` itself cannot be written (disk full), the previous ``run.json`` stays.
        """
        try:
            shutil.rmtree(self.staging_dir, ignore_errors=True)
            if isinstance(error, BaseException):
                text = f"{type(error).__name__}: {error}"
            else:
                text = str(error)
            self.error = " ".join(text.split())
            self._stop("failed")
            try:
                self.write()
            except (GatError, OSError):
                pass
        finally:
            self.release()

    def explain(self, error: BaseException) -> BaseException:
        """``error`` as the user should see it: storage errors say what happened to ``out_dir``.

        An ``OSError`` or :class:`~gat_schemas.io.StorageError` becomes a ``StorageError``
        ending in what became of the earlier outputs and what to do; anything else is
        returned unchanged.
        """
        if isinstance(error, StorageError):
            storage = error
        elif isinstance(error, OSError):
            storage = StorageError.from_os_error(error)
        else:
            return error
        staged = self.staging_dir
        if storage.path == staged or staged in storage.path.parents:
            # name the output as the user knows it, not its hidden staging copy
            rel = storage.path.relative_to(staged)
            shown = self.out_dir / rel.parent / rel.name.split(".tmp-")[0].lstrip(".")
            storage = StorageError(shown, storage.cause, writing=storage.writing)
        kept = [p for p in self.superseded if (self.out_dir / p).exists()]
        done = (
            f"the earlier outputs in {self.out_dir} were kept"
            if kept
            else f"no output was written to {self.out_dir}"
        )
        return storage.with_hint(f"{done}; {_advice(storage.cause)}")

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
            "superseded": self.superseded,
            "previous": self.previous,
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
