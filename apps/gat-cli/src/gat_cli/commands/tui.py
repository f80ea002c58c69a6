"""``gat tui [PATH]``: browse a network folder, an output folder or a folder of runs."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.runner import emit

__all__ = ["cli", "parse_size"]


def parse_size(text: str) -> tuple[int, int]:
    """``"120x36"`` -> ``(120, 36)`` (columns, rows), each 20..1000."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise click.BadParameter(f"'{text}' is not COLUMNSxROWS (e.g. 120x36)")
    cols, rows = (int(p) for p in parts)
    if not (20 <= cols <= 1000 and 10 <= rows <= 1000):
        raise click.BadParameter(f"'{text}': columns 20..1000 and rows 10..1000")
    return cols, rows


@click.command()
@click.argument(
    "path",
    required=False,
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Render the first screen headless into this SVG file and exit (no terminal needed).",
)
@click.option(
    "--size",
    default="120x36",
    metavar="COLUMNSxROWS",
    show_default=True,
    help="Screen size of --screenshot.",
)
@click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where commands run from the palette write their output folders "
    "[default: <network folder>-runs beside the network folder].",
)
@click.pass_obj
def cli(
    app: AppContext, path: Path, screenshot: Path | None, size: str, runs_dir: Path | None
) -> None:
    """Browse PATH (default: the current folder) in a terminal UI.

    PATH is a network folder (network.json), an output folder (run.json) or a folder of
    runs (as `gat runs list` shows them). Panes: the feeder drawn from its layout and
    coloured by voltage, loading, hosting capacity or SAIDI contribution (arrow keys or the
    mouse select a node; its rows in every table are shown beside it), the tables
    (sortable by a click on a header, filterable), plots (profile, hosting capacity,
    envelopes, schedule, indices, QSTS time series). The command palette (ctrl+p) runs dist pf, dist hostcap
    and adms flisr-sim on the open network into a new output folder and opens it. The
    opened folder is never written to.
    """
    from gat_cli.tui.data import open_folder

    columns_rows = parse_size(size)
    if screenshot is not None and screenshot.suffix.lower() != ".svg":
        raise click.BadParameter(
            f"{screenshot}: the screenshot is SVG; give a file ending in .svg",
            param_hint="--screenshot",
        )
    view = open_folder(path)
    from gat_cli.tui.app import GatTui

    tui = GatTui(path, runs_dir=runs_dir, view=view)
    if screenshot is None:
        tui.run()
        return
    from gat_cli.tui.shot import take_screenshot

    take_screenshot(tui, screenshot, columns_rows)
    emit(
        app,
        {"screenshot": str(screenshot), "size": list(columns_rows), "opened": view.kind},
        [f"screenshot written to {screenshot}"],
    )
