"""Entry point of the ``gat`` command: error handling and exit codes.

Exit codes: 0 success, 1 bad input (any :class:`gat_schemas.errors.GatError` with
``exit_code`` 1), 2 usage error (click), 3 solver failure or non-convergence.
A failure prints one line on standard error; ``--debug`` (or ``GAT_DEBUG=1``)
adds the traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback

import click

from gat_cli.root import cli

__all__ = ["main"]


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("GAT_DEBUG", "") not in ("", "0")


class Terminated(BaseException):
    """SIGTERM arrived: unwind, so the running command records its failure and frees its folder."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated("terminated by SIGTERM")


def main(argv: list[str] | None = None) -> None:
    """Run the ``gat`` command line and exit with its status code.

    SIGXFSZ is ignored so that a write past the file size limit (``ulimit -f``) fails
    with EFBIG, reported as one line, instead of killing the process. SIGTERM unwinds the
    command (its run is marked failed, its output folder unlocked) and exits with 143.
    """
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate)
    args = list(sys.argv[1:] if argv is None else argv)
    sys.exit(run(args))


def run(args: list[str]) -> int:
    """Run the command line with ``args`` and return the exit code (never raises)."""
    debug = _debug_requested(args)
    try:
        cli.main(args=args, prog_name="gat", standalone_mode=False, obj={"argv": args})
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            # click turns Ctrl-C inside a command into Abort: still an interruption.
            click.echo("gat: interrupted", err=True)
            return 130
        click.echo("gat: aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("gat: interrupted", err=True)
        return 130
    except Terminated:
        click.echo("gat: terminated", err=True)
        return 143
    except Exception as exc:  # every failure ends in one line and an exit code
        return _report(exc, debug)
    return 0


def _report(exc: Exception, debug: bool) -> int:
    # Imported here so that `gat --help` stays light.
    from gat_schemas.errors import GatError

    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, GatError):
        click.echo(f"gat: error: {exc}", err=True)
        return int(exc.exit_code)
    if isinstance(exc, OSError):  # the disk or file system, not a bug: exit 1, one line
        from gat_schemas.io import StorageError

        err = StorageError.from_os_error(exc, writing=False)
        where = exc.filename or "a file"
        click.echo(
            f"gat: error: {where}: {err.cause}; check the path and its permissions", err=True
        )
        return 1
    message = " ".join(f"{type(exc).__name__}: {exc}".split())
    hint = "" if debug else " (run with --debug for the traceback)"
    click.echo(f"gat: internal error: {message}{hint}", err=True)
    return 1
