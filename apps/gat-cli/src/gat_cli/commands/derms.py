"""``gat derms``: DER portfolio tools (asset validation, envelopes, scheduling, stress tests)."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.root import LazyGroup
from gat_cli.runner import emit, emit_violations

__all__ = ["cli", "validate_assets_cmd"]


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "envelope": (
            "gat_cli.commands.derms_envelope:cli",
            "P-Q flexibility envelope of each DER group, network limits included.",
        ),
        "schedule": (
            "gat_cli.commands.derms_schedule:cli",
            "Multi-period DER schedule under network limits, AC-checked.",
        ),
        "stress-test": (
            "gat_cli.commands.derms_stress:cli",
            "Schedule many random or scripted scenarios; percentiles of the outcomes.",
        ),
    },
)
def cli() -> None:
    """DER management: validate assets, envelopes, schedules, stress tests."""


@cli.command("validate-assets")
@click.option(
    "--assets",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="der_assets table (.parquet or .csv).",
)
@click.option(
    "--grid-file",
    "--network",
    "grid_file",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Network folder: check bus ids, phases and its der_cost_curves table.",
)
@click.option(
    "--cost-curves",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="der_cost_curves table (.parquet or .csv) the cost_curve_id values refer to.",
)
@click.pass_obj
def validate_assets_cmd(
    app: AppContext, assets: Path, grid_file: Path | None, cost_curves: Path | None
) -> None:
    """Check a DER asset table and print every violation.

    Schema, unique asset_id, p_min <= p_max, q_min <= q_max, 0 <= soc_min <= soc_max <= 1,
    energy_cap > 0 for battery and ev, efficiency in (0, 1], ramps >= 0, and s_max at
    least max(|p_min|, |p_max|) and max(|q_min|, |q_max|). With --grid-file: bus_id is a
    node and the asset's phases are within the node's. With cost curves (--cost-curves or
    the network's der_cost_curves): cost_curve_id exists. Exit 0 with a one-line summary
    when valid; exit 1 after listing every violation when not.
    """
    from gat_cli.network_input import read_grid_file
    from gat_derms import validate_assets
    from gat_dist.table_files import read_table_file

    df = read_table_file(assets, "der_assets", validate=False)
    net = None if grid_file is None else read_grid_file(grid_file)
    curves = None if cost_curves is None else read_table_file(cost_curves, "der_cost_curves")
    violations = validate_assets(df, network=net, cost_curves=curves)
    by_type: dict[str, int] = {}
    p_max_mw = 0.0
    if not violations:
        by_type = {str(k): int(v) for k, v in df["asset_type"].value_counts(sort=False).items()}
        by_type = dict(sorted(by_type.items()))
        p_max_mw = float(df["p_max"].sum())
    summary = {
        "assets": str(assets),
        "grid_file": None if grid_file is None else str(grid_file),
        "cost_curves": None if cost_curves is None else str(cost_curves),
        "asset_count": len(df),
        "by_type": by_type,
        "p_max_mw": p_max_mw,
    }
    emit_violations(app, summary, violations, str(assets))
    types = ", ".join(f"{n} {k}" for k, n in by_type.items())
    emit(
        app, summary, [f"{assets}: {len(df)} assets valid ({types}); total p_max {p_max_mw:.3f} MW"]
    )
