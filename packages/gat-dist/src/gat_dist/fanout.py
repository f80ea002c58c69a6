"""Fan-out: run independent shards in-process, in a process pool or on a Dask cluster.

One interface for every workflow that splits into shards (sweeps, scenarios, Monte Carlo
samples; DESIGN.md §4)::

    shards = [Shard("s0", (net, 0.5)), Shard("s1", (net, 1.0))]
    results = run_shards(work, shards, executor=ExecutorOptions(kind="process", workers=2),
                         store=ShardStore(manifest), progress=callback)

Rules:

- a shard is ``func(*shard.args)``: a pure function of its arguments (a seed among them when
  it draws random numbers), returning a ``{name: DataFrame}`` mapping. ``func`` must be a
  module-level function (the process and Dask executors pickle it by reference);
- results come back in shard order whatever order the workers finish in, so the reduction
  (and the output files) are deterministic;
- with a :class:`ShardStore`, each finished shard is written atomically to
  ``<out_dir>/_shards/<id>/<name>.parquet`` and recorded in ``run.json`` before the next
  result is handled; a later run with ``resume`` skips shards that are recorded as
  ``success`` with intact files, and every shard's result is read back from its files, so a
  resumed run and an uninterrupted one reduce exactly the same data;
- a shard carries its run's id and the digest of the work (parameters except
  :data:`EXECUTION_PARAMS`, and the inputs' digests), in ``run.json`` and in each file's
  Parquet metadata: a resume skips, and a reduction reads, only shards of this very run.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gat_schemas.errors import InputError
from gat_schemas.io import atomic_write, read_parquet
from gat_schemas.manifest import RunManifest, jsonable

__all__ = [
    "EXECUTION_PARAMS",
    "SHARDS_DIR",
    "ExecutorKind",
    "ExecutorOptions",
    "Progress",
    "Shard",
    "ShardStore",
    "open_run",
    "run_shards",
    "work_digest",
]

#: Folder (inside the output folder) holding finished shards' results.
SHARDS_DIR = "_shards"
#: Parameters that choose how shards run, not what they compute: ``--resume`` ignores them.
EXECUTION_PARAMS = frozenset({"executor", "workers", "scheduler", "resume", "force"})

#: Progress callback: ``progress(done, total)`` after each shard (and once at the start).
Progress = Callable[[int, int], None]
ShardResult = Mapping[str, pd.DataFrame]


class ExecutorKind(enum.Enum):
    """Where shards run."""

    #: In this process, one after the other.
    LOCAL = "local"
    #: A local pool of worker processes (``concurrent.futures.ProcessPoolExecutor``).
    PROCESS = "process"
    #: A Dask distributed cluster (``scheduler`` address), or a local one when none is given.
    DASK = "dask"


@dataclass(frozen=True, kw_only=True)
class ExecutorOptions:
    """How to run shards.

    Parameters
    ----------
    kind
        Executor (:class:`ExecutorKind` or its value).
    workers
        Worker processes (process pool) or workers of the local Dask cluster; ``None`` =
        the number of CPUs (process) or Dask's default.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); only with ``dask``.
    """

    kind: ExecutorKind = ExecutorKind.LOCAL
    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ExecutorKind):
            try:
                object.__setattr__(self, "kind", ExecutorKind(str(self.kind).lower()))
            except ValueError:
                names = ", ".join(k.value for k in ExecutorKind)
                raise InputError(f"unknown executor {self.kind!r} (use {names})") from None
        if self.workers is not None and self.workers < 1:
            raise InputError(f"workers must be >= 1, got {self.workers}")
        if self.scheduler is not None and self.kind is not ExecutorKind.DASK:
            raise InputError("a scheduler address needs the dask executor")


@dataclass(frozen=True)
class Shard:
    """One unit of work: ``func(*args)``; ``id`` names its files (letters, digits, ``._+-=``)."""

    id: str
    args: tuple[Any, ...]


class ShardStore:
    """Finished shards' results on disk, recorded in the run's manifest.

    Parameters
    ----------
    manifest
        The run's :class:`~gat_schemas.RunManifest`; shards are recorded in its ``shards``.
    """

    def __init__(self, manifest: RunManifest) -> None:
        self.manifest = manifest
        self.digest = work_digest(manifest)

    @property
    def folder(self) -> Path:
        """``<out_dir>/_shards``."""
        return self.manifest.out_dir / SHARDS_DIR

    def is_done(self, shard_id: str) -> bool:
        """True when this run recorded the shard as a success and its files are intact."""
        return self.manifest.shard_is_intact(shard_id, self.digest)

    def save(self, shard_id: str, result: ShardResult) -> None:
        """Write each table of ``result`` atomically, then record the shard as a success."""
        rels = []
        meta = {_META_RUN: self.manifest.run_id, _META_DIGEST: self.digest}
        for name in sorted(result):
            rel = f"{SHARDS_DIR}/{shard_id}/{name}.parquet"
            df = result[name]
            atomic_write(self.manifest.out_dir / rel, lambda tmp, df=df: _write(df, tmp, meta))
            rels.append(rel)
        self.manifest.record_shard(shard_id, status="success", outputs=rels, digest=self.digest)

    def load(self, shard_id: str) -> dict[str, pd.DataFrame]:
        """Read a recorded shard's tables back.

        Raises
        ------
        gat_schemas.errors.InputError
            The shard is not recorded, or a file belongs to another run or other work.
        """
        for s in self.manifest.shards:
            if s["id"] == shard_id:
                out = {}
                for rel in s["outputs"]:
                    path = self.manifest.out_dir / rel
                    if _owner(path) != (self.manifest.run_id, self.digest):
                        raise InputError(
                            f"{path}: shard file of another run; run again without --resume"
                        )
                    out[Path(rel).stem] = read_parquet(path)
                return out
        raise InputError(f"{self.manifest.path}: shard {shard_id} is not recorded")


_META_RUN = b"gat_run_id"
_META_DIGEST = b"gat_params_digest"


def _write(df: pd.DataFrame, path: Path, meta: dict[bytes, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    extra = {k: v.encode() for k, v in meta.items()}
    pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **extra}), path)


def _owner(path: Path) -> tuple[str | None, str | None]:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # unreadable: read_parquet reports it with the file name
        return (None, None)
    run, digest = meta.get(_META_RUN), meta.get(_META_DIGEST)
    return (run.decode() if run else None, digest.decode() if digest else None)


def work_digest(run: RunManifest) -> str:
    """sha256 of what a run computes: its command, parameters (except
    :data:`EXECUTION_PARAMS`) and its inputs' digests."""
    work = {
        "command": run.command,
        "params": _comparable(run.params),
        "inputs": [i.get("sha256") for i in run.inputs],
    }
    text = json.dumps(work, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_shards(
    func: Callable[..., ShardResult],
    shards: Sequence[Shard],
    *,
    executor: ExecutorOptions = ExecutorOptions(),
    store: ShardStore | None = None,
    progress: Progress | None = None,
) -> list[dict[str, pd.DataFrame]]:
    """Run every shard not already done and return all results in shard order.

    Parameters
    ----------
    func
        Module-level function; ``func(*shard.args)`` returns ``{name: DataFrame}``.
    shards
        The work, in the order results are returned (ids must be unique).
    executor
        Where to run.
    store
        When given: shards already done (see :meth:`ShardStore.is_done`) are not run again,
        each new result is saved as soon as it arrives, and every result is read back from
        the store (so fresh and resumed runs return identical data).
    progress
        Called as ``progress(done, total)`` at the start and after each finished shard.

    Raises
    ------
    gat_schemas.errors.InputError
        Duplicate shard ids, or a Dask executor that cannot be reached.
    Exception
        The first exception raised by a shard (shards finished before it stay saved).
    """
    ids = [s.id for s in shards]
    if len(set(ids)) != len(ids):
        raise InputError("fan-out: shard ids must be unique")
    todo = [s for s in shards if store is None or not store.is_done(s.id)]
    total, done = len(shards), len(shards) - len(todo)
    results: dict[str, dict[str, pd.DataFrame]] = {}

    def finished(shard_id: str, result: ShardResult) -> None:
        nonlocal done
        if store is not None:
            store.save(shard_id, result)
        else:
            results[shard_id] = dict(result)
        done += 1
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(done, total)
    if todo:
        runner = {
            ExecutorKind.LOCAL: _run_local,
            ExecutorKind.PROCESS: _run_process,
            ExecutorKind.DASK: _run_dask,
        }[executor.kind]
        runner(func, todo, executor, finished)
    if store is not None:
        return [store.load(i) for i in ids]
    return [results[i] for i in ids]


def _run_local(func, todo, executor, finished) -> None:  # type: ignore[no-untyped-def]
    for shard in todo:
        finished(shard.id, func(*shard.args))


def _run_process(func, todo, executor, finished) -> None:  # type: ignore[no-untyped-def]
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    # "spawn": workers start clean (no forked threads or locks), the same on every platform.
    ctx = multiprocessing.get_context("spawn")
    workers = min(executor.workers or os.cpu_count() or 1, len(todo))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending = {pool.submit(func, *s.args): s.id for s in todo}
        try:
            while pending:
                ready, _ = wait(pending, return_when=FIRST_EXCEPTION)
                for fut in sorted(ready, key=lambda f: pending[f]):
                    shard_id = pending.pop(fut)
                    finished(shard_id, fut.result())
        finally:
            for fut in pending:
                fut.cancel()


def _run_dask(func, todo, executor, finished) -> None:  # type: ignore[no-untyped-def]
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if executor.scheduler is None:
            cluster = LocalCluster(
                n_workers=executor.workers, threads_per_worker=1, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(executor.scheduler, timeout="3s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise InputError(
            f"dask scheduler {executor.scheduler}: cannot connect ({str(exc)[:200]})"
        ) from None
    try:
        futures = {client.submit(func, *s.args, pure=False): s.id for s in todo}
        for fut in as_completed(list(futures)):
            finished(futures[fut], fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _comparable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jsonable(dict(params)).items() if k not in EXECUTION_PARAMS}


def open_run(
    out_dir: str | os.PathLike[str],
    *,
    command: str,
    argv: list[str],
    params: dict[str, Any],
    inputs: Iterable[str | os.PathLike[str]] = (),
    resume: bool = False,
    force: bool = False,
    seed: int | None = None,
    writes: str = "results",
) -> RunManifest:
    """Start a run's manifest, or reopen an earlier run of the same work with ``resume``.

    Either way the folder's lock is taken first (a folder in use by another run is
    refused) and the leftovers of dead runs are removed. A fresh run removes any
    ``_shards`` folder left in ``out_dir``. A resumed run keeps the recorded shards; it is
    refused when ``out_dir`` holds no run of ``command``, or when the parameters (except
    :data:`EXECUTION_PARAMS`) or the inputs' digests differ.

    Raises
    ------
    gat_schemas.errors.InputError
        Nothing to resume, or a mismatch (the message names the differing parameters).
    gat_schemas.lock.FolderInUseError
        Another live run holds the folder.
    """
    out = Path(out_dir)
    if not resume:
        run = RunManifest.start(
            out,
            command=command,
            argv=argv,
            params=params,
            inputs=inputs,
            seed=seed,
            force=force,
            writes=writes,
        )
        shutil.rmtree(out / SHARDS_DIR, ignore_errors=True)
        return run
    run = RunManifest.reopen(out, command=command)
    try:
        old, new = _comparable(run.params), _comparable(params)
        diff = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if diff:
            raise InputError(
                f"{out}/run.json: cannot resume, parameters differ from the recorded run: "
                + ", ".join(diff)
            )
        if [_digest(p) for p in inputs] != [i.get("sha256") for i in run.inputs]:
            raise InputError(f"{out}/run.json: cannot resume, the inputs changed since the run")
        run.argv = [str(a) for a in argv]
        run.params = jsonable(dict(params))
        run.status, run.error, run.finished_at, run.duration_s = "running", None, None, None
        run._t0 = time.monotonic()
        run.write()
    except BaseException:
        run.release()
        raise
    return run


def _digest(path: str | os.PathLike[str]) -> str | None:
    """The digest ``run.json`` records for an input (a network folder: its tables' too)."""
    from gat_schemas.folder_read import input_digest

    return input_digest(path)
