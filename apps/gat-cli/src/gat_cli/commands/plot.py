"""``gat plot [KIND] --from OUT_DIR -o FILE``: a figure of a run's outputs (PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.runner import emit, rel

__all__ = ["cli"]

# Kept here as plain strings so `gat plot --help` imports neither the plot modules nor
# matplotlib (gat_cli.plots.KINDS holds the same names with descriptions).
_KIND_NAMES = ("profile", "map", "hostcap", "envelope", "schedule", "reliability", "qsts", "vvo")
_COLOR_BY = ("auto", "voltage", "hostcap", "saidi", "loading", "none")


@click.command()
@click.argument("kind", type=click.Choice(_KIND_NAMES), required=False)
@click.option(
    "--from",
    "from_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Output folder of a gat run (run.json and its tables). Optional for 'map' only.",
)
@click.option(
    "--grid-file",
    "--network",
    "grid_file",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Network folder (default: the one the run read, from its run.json).",
)
@click.option(
    "-o",
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Figure file to write: .png or .svg.",
)
@click.option(
    "--color-by",
    type=click.Choice(_COLOR_BY),
    default="auto",
    show_default=True,
    help=(
        "map: colour nodes by voltage (pu), hosting capacity (MW) or SAIDI contribution "
        "(h/yr), or branches by loading (%); auto = what the --from run computed."
    ),
)
@click.option(
    "--dpi", type=click.IntRange(50, 600), default=120, show_default=True, help="PNG resolution."
)
@click.pass_obj
def cli(
    app: AppContext,
    kind: str | None,
    from_dir: Path | None,
    grid_file: Path | None,
    out_file: Path,
    color_by: str,
    dpi: int,
) -> None:
    """Draw KIND from the outputs in --from and write it to -o FILE (.png or .svg).

    KIND: profile (voltage against distance), map (the feeder coloured by --color-by),
    hostcap, envelope, schedule, reliability, qsts or vvo. When omitted it follows the
    command that wrote --from (dist pf: profile, dist hostcap: hostcap, derms envelope:
    envelope, derms schedule: schedule, adms flisr-sim / outage-mc: reliability, dist
    qsts: qsts, adms vvo-plan: vvo).
    Headless (matplotlib Agg): no display needed.
    """
    from gat_cli.plots import PlotInput, infer_kind, render_plot, save_figure
    from gat_schemas.errors import InputError

    if out_file.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"{out_file}: the figure file must end in .png or .svg")
    if from_dir is None and kind not in (None, "map"):
        raise click.UsageError(f"'gat plot {kind}' needs --from OUT_DIR")
    if from_dir is None and grid_file is None:
        raise click.UsageError("give --from OUT_DIR, or --grid-file DIR to draw a feeder map")
    plot = PlotInput(out_dir=from_dir, grid_file=grid_file)
    kind = kind or infer_kind(plot)
    options = {"color_by": color_by} if kind == "map" else {}
    fig = render_plot(kind, plot, **options)
    save_figure(fig, out_file, dpi=dpi)
    size = out_file.stat().st_size
    summary = {
        "kind": kind,
        "from": str(from_dir) if from_dir else None,
        "file": str(out_file),
        "bytes": size,
    }
    source = f" of {rel(from_dir)}" if from_dir else ""
    emit(app, summary, [f"{kind}{source} -> {rel(out_file)} ({size / 1024:.0f} KB)"])
