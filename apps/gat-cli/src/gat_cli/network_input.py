"""How every command reads its network folder: edited tables accepted and named on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["CHANGED_TABLES_KEY", "changes_note", "read_grid_file"]

#: Key in ``click.Context.meta`` of ``{folder: [table names]}`` for the tables read that
#: differ from their folder's ``network.json``.
CHANGED_TABLES_KEY = "gat.changed_tables"


def changes_note(read: Any) -> str | None:
    """One line naming the tables of a ``gat_schemas.folder_read.NetworkRead`` that differ
    from its ``network.json`` (edited since the folder was written, or not listed in it);
    ``None`` when every table matches.
    """
    changed = [t for t in read.changed if t.status == "changed"]
    unlisted = [t for t in read.changed if t.status == "unlisted"]
    if not changed and not unlisted:
        return None
    parts = []
    if changed:
        shown = ", ".join(
            t.name + (f" ({t.listed_rows} -> {t.rows} rows)" if t.rows != t.listed_rows else "")
            for t in changed
        )
        parts.append(f"changed since the folder was written: {shown}")
    if unlisted:
        names = ", ".join(t.name for t in unlisted)
        parts.append(f"not listed in network.json, read too: {names}")
    return f"note: {read.folder}: tables " + "; ".join(parts) + " (validated; see run.json)"


def read_grid_file(path: Path, *, validate: bool = True) -> Any:
    """Read the network folder ``path`` (``gat_schemas.Network``), printing on stderr the
    one-line :func:`changes_note` when some table differs from ``network.json``.

    Standard output stays clean for ``--format json``; ``run.json`` records the digest of
    every table read (``inputs[].tables``).
    """
    from gat_schemas.folder_read import read_network_folder

    read = read_network_folder(path, validate=validate)
    note = changes_note(read)
    if note:
        click.echo(note, err=True)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:  # for a JSON summary: {folder: [changed or unlisted tables]}
            changed = ctx.meta.setdefault(CHANGED_TABLES_KEY, {})
            changed[str(path)] = [t.name for t in read.changed]
    return read.network
