"""State shared by every command: the root options."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AppContext"]


@dataclass(frozen=True)
class AppContext:
    """Root options passed to every command with ``click.pass_obj``.

    Parameters
    ----------
    debug
        Show tracebacks of errors.
    output_format
        ``"text"`` for a human summary, ``"json"`` for a machine-readable one.
    argv
        The command line as typed (recorded in run.json).
    """

    debug: bool = False
    output_format: str = "text"
    argv: tuple[str, ...] = ()
