"""The life cycle every command shares: run.json, staged outputs, failure recording."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

__all__ = ["command_run", "emit", "emit_violations"]

#: Seconds a SIGTERM waits for the command to unwind before the run is ended without it.
#: Python runs its signal handler only between bytecodes, so a long C call (a HiGHS solve,
#: a large sparse factorisation) would hold the termination until it returns.
TERM_GRACE_S = 5.0


def _refuse_overlap(out_dir: Path, inputs: Sequence[Path]) -> None:
    from gat_schemas.errors import InputError

    out = out_dir.resolve()
    for item in inputs:
        src = Path(item).resolve()
        if src == out or out in src.parents:
            raise InputError(
                f"{out_dir}: output folder holds the input {item}; choose another output folder"
            )


@contextmanager
def command_run(
    app: Any,
    *,
    out_dir: Path,
    command: str,
    params: dict[str, Any],
    inputs: Sequence[Path] = (),
    force: bool = False,
    seed: int | None = None,
    resume: bool = False,
    writes: str = "results",
) -> Iterator[Any]:
    """Open a run: check and lock the output folder, write run.json (running), yield it.

    With ``resume``, reopen the earlier run of the same command in ``out_dir`` instead
    (refused when its parameters or inputs differ), keeping its finished shards.
    ``writes`` is ``"network"`` for commands that write a network folder (imports,
    ``dataset export``), ``"results"`` for the others.

    On normal exit the staged outputs are moved into place (replacing the earlier run's
    as a whole) and the run is marked a success; on any exception the staged outputs are
    discarded, the run is marked failed with the error, and the exception propagates (the
    CLI maps it to an exit code; a disk or file-system error says what became of the
    earlier outputs). Nothing is written before the output folder passes the overwrite
    policy and its lock is taken; the lock is released at the end either way. A note
    (a stale lock taken over) is printed on standard error.
    """
    from gat_dist.fanout import open_run

    inputs = [Path(p) for p in inputs if p is not None]
    _refuse_overlap(out_dir, inputs)
    run = open_run(
        out_dir,
        command=command,
        argv=list(getattr(app, "argv", ())) or ["gat", *command.split()],
        params=params,
        inputs=inputs,
        resume=resume,
        force=force,
        seed=seed,
        writes=writes,
    )
    for note in run.notes:
        click.echo(f"gat: note: {note}", err=True)
    import threading

    settle = threading.Lock()  # run.finish / run.fail: by this thread or the watchdog, once
    state = {"settled": False}
    with _term_watchdog(run, settle, state):
        try:
            yield run
            with settle:
                run.finish()
                state["settled"] = True
        except BaseException as exc:
            shown = run.explain(exc)
            with settle:
                run.fail(shown)
                state["settled"] = True
            if shown is exc:
                raise
            raise shown from None


@contextmanager
def _term_watchdog(run: Any, settle: Any, state: dict[str, bool]) -> Iterator[None]:
    """End the run on SIGTERM even while the main thread is inside a long C call.

    Python's C-level handler writes the signal number to the wakeup fd at once; a thread
    reading it gives the command ``TERM_GRACE_S`` to unwind through its own handler
    (run.json failed, staging removed, exit 143). If it has not by then, the thread marks
    the run failed, releases the lock and exits 143 itself: staged outputs are discarded
    and finished outputs are atomic, so nothing half-written is left.
    """
    import os
    import signal
    import socket
    import sys
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    r, w = socket.socketpair()
    w.setblocking(False)
    try:
        old = signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):
        r.close()
        w.close()
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while True:
            try:
                data = r.recv(64)
            except OSError:
                return
            if not data or done.is_set():
                return
            if signal.SIGTERM not in data or done.wait(TERM_GRACE_S):
                continue
            with settle:
                if state["settled"]:
                    return
                run.fail(
                    f"terminated by SIGTERM (the command did not stop within {TERM_GRACE_S:g} s)"
                )
                state["settled"] = True
            sys.stderr.write("gat: terminated\n")
            sys.stderr.flush()
            os._exit(143)

    thread = threading.Thread(target=watch, name="gat-sigterm", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(old)
        w.close()
        thread.join(timeout=1.0)
        r.close()


def emit(ctx_obj: Any, summary: dict[str, Any], lines: Sequence[str]) -> None:
    """Print a command's summary: ``lines`` for people, ``summary`` as JSON with --format json.

    The JSON also names the input tables that differ from their folder's ``network.json``
    (``changed_tables``: {folder: [tables]}), as the text note on stderr does.
    """
    if getattr(ctx_obj, "output_format", "text") == "json":
        import json

        from gat_cli.network_input import CHANGED_TABLES_KEY
        from gat_schemas.manifest import jsonable

        ctx = click.get_current_context(silent=True)
        changed = ctx.meta.get(CHANGED_TABLES_KEY) if ctx is not None else None
        if changed and "changed_tables" not in summary:
            summary = {**summary, "changed_tables": changed}
        click.echo(json.dumps(jsonable(summary), indent=2, sort_keys=False))
        return
    for line in lines:
        click.echo(line)


def rel(path: Path | str) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    p = Path(path).resolve()
    cwd = Path.cwd().resolve()
    return str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p)


def emit_violations(
    ctx_obj: Any, summary: dict[str, Any], violations: Sequence[Any], source: str
) -> None:
    """Print a validation report; raise ``ValidationError`` (exit 1) when it found violations.

    ``summary`` gets a ``valid`` flag and the ``violations`` as records for ``--format json``;
    in text every violation is one line. A valid report prints nothing: the caller says so.
    """
    import dataclasses

    from gat_schemas import ValidationError

    summary["valid"] = not violations
    summary["violations"] = [dataclasses.asdict(v) for v in violations]
    if violations:
        emit(ctx_obj, summary, [str(v) for v in violations])
        raise ValidationError(list(violations), source=source)
