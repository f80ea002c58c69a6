"""``gat runs list|show``: read run manifests (run.json)."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.runner import emit, rel

__all__ = ["cli"]


@click.group()
def cli() -> None:
    """List and show run manifests (run.json)."""


@cli.command("list")
@click.argument(
    "root",
    required=False,
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.pass_obj
def list_cmd(app: AppContext, root: Path) -> None:
    """List every run under ROOT (default: the current folder), oldest first.

    A run that says ``running`` but whose process is gone (killed, crashed) is shown as
    ``interrupted``; ``--resume`` continues it where the command supports it.
    """
    from gat_schemas import list_runs

    runs = list_runs(root)
    rows = [
        {
            "run_id": r.run_id,
            "command": r.command,
            "status": r.live_status,
            "started_at": r.started_at,
            "duration_s": r.duration_s,
            "path": rel(r.out_dir),
        }
        for r in runs
    ]
    lines = [
        f"{'run_id':12}  {'command':22}  {'status':11}  {'started (UTC)':23}  {'secs':>8}  folder"
    ]
    for row in rows:
        secs = "" if row["duration_s"] is None else f"{row['duration_s']:.2f}"
        lines.append(
            f"{row['run_id'][:12]:12}  {row['command']:22}  {row['status']:11}  "
            f"{row['started_at'][:23]:23}  {secs:>8}  {row['path']}"
        )
    if not rows:
        lines = [f"no GAT runs under {root}"]
    emit(app, {"root": str(root), "runs": rows}, lines)


@cli.command("show")
@click.argument("run")
@click.option(
    "--root",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Where to look for RUN when it is a run id (prefix).",
)
@click.pass_obj
def show_cmd(app: AppContext, run: str, root: Path) -> None:
    """Show one run: RUN is an output folder, a run.json path, or a run id (prefix)."""
    from gat_schemas import InputError, list_runs, read_manifest

    if Path(run).exists():
        manifest = read_manifest(run)
    else:
        matches = [r for r in list_runs(root) if r.run_id.startswith(run)]
        if not matches:
            raise InputError(f"no run with id starting '{run}' under {root}")
        if len(matches) > 1:
            ids = ", ".join(r.run_id[:12] for r in matches)
            raise InputError(f"run id '{run}' is ambiguous under {root}: {ids}")
        manifest = matches[0]
    data = manifest.to_dict()
    data["status"] = manifest.live_status
    lines = [
        f"run {manifest.run_id}  ({manifest.live_status})",
        f"  command   {' '.join(manifest.argv) or manifest.command}",
        f"  folder    {rel(manifest.out_dir)}",
        f"  started   {manifest.started_at}   duration {manifest.duration_s} s",
    ]
    if manifest.error:
        lines.append(f"  error     {manifest.error}")
    lines.append("  params    " + ", ".join(f"{k}={v}" for k, v in manifest.params.items()))
    for item in manifest.inputs:
        lines.append(f"  input     {item['path']}  sha256 {str(item['sha256'])[:12]}")
    for item in manifest.outputs:
        rows = "" if item.get("rows") is None else f"  {item['rows']} rows"
        lines.append(f"  output    {item['path']}{rows}  sha256 {item['sha256'][:12]}")
    lines.append("  versions  " + ", ".join(f"{k} {v}" for k, v in manifest.versions.items()))
    emit(app, data, lines)
