"""Progress display for long commands: a rich bar on a terminal, silence when piped.

Commands pass the callback this yields into the library (``progress(done, total)``); the
libraries never import rich themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["ProgressCallback", "progress_bar"]

ProgressCallback = Callable[[int, int], None]


def _noop(done: int, total: int) -> None:
    """Progress callback that shows nothing (output is not a terminal)."""


@contextmanager
def progress_bar(description: str, *, stream: TextIO | None = None) -> Iterator[ProgressCallback]:
    """Yield a ``progress(done, total)`` callback drawing a bar on ``stream`` (stderr).

    When ``stream`` is not a terminal (piped, redirected, captured by tests) the callback
    does nothing and rich is not even imported.
    """
    out = sys.stderr if stream is None else stream
    if not (hasattr(out, "isatty") and out.isatty()):
        yield _noop
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(file=out), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
