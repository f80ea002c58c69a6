"""Reading ``run.json`` back: one manifest, every run under a folder, the run a folder holds.

:mod:`gat_schemas.manifest` writes a run's record; this module reads it (``gat runs``,
``--resume``, the TUI) and checks that it is a GAT manifest.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .outdir import RUN_JSON

if TYPE_CHECKING:
    from .manifest import RunManifest

__all__ = ["STATUSES", "list_runs", "read_manifest"]

#: The values ``status`` may take in ``run.json``.
STATUSES = ("running", "success", "failed")

_REQUIRED_KEYS = ("run_id", "command", "status", "started_at")


def previous_run(out: Path) -> dict[str, Any] | None:
    """The run whose outputs are in ``out`` now: its ``run.json`` when that run wrote
    outputs, else the run it kept as ``previous`` (a failed run wrote none)."""
    try:
        data = json.loads((out / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("outputs"):
        return {k: v for k, v in data.items() if k != "previous"}
    prev = data.get("previous")
    return prev if isinstance(prev, dict) else None


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
    if data["status"] not in STATUSES:
        raise InputError(f"{p}: unknown status {data['status']!r}")
    from .manifest import RunManifest

    fields = {f.name for f in dataclasses.fields(RunManifest)} - {
        "out_dir",
        "_t0",
        "_lock",
        "notes",
    }
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
