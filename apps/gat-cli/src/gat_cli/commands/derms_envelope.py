"""``gat derms envelope``: network-aware P-Q flexibility envelope of each DER group."""

from __future__ import annotations

import math
from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    LOAD_SCALE,
    PU_VOLTAGE,
    TIME_LIMIT,
    FiniteFloat,
    GatCommand,
    force_option,
    grid_file_option,
    held_tol_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

#: What the assets outside a group do while its envelope is computed (stated in run.json,
#: with the assets whose point is not 0 under ``outside_group_setpoints``).
OUTSIDE_GROUP = (
    "held at the point of their [p_min, p_max] x [q_min, q_max] box nearest 0 (0 unless "
    "listed in outside_group_setpoints, MW and Mvar)"
)
#: What happens to limits the network breaks before any asset moves (stated in run.json,
#: with every limit so held under ``held_limits``).
BROKEN_LIMITS = (
    "held at their base-case value plus held_tol_pu (every asset at its zero point; see "
    "held_limits)"
)


@click.command(cls=GatCommand, renamed={"-o": "-d", "--vm-tol": "--v-tol"})
@grid_file_option
@out_dir_option
@click.option(
    "--assets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="der_assets table (.parquet or .csv) [default: the network's].",
)
@click.option(
    "--group-by",
    type=click.Choice(["agg_id", "bus_id", "feeder"]),
    default="agg_id",
    show_default=True,
    help="One envelope per aggregator (agg_id), per connection node (bus_id), or per feeder "
    "(the exchange at the feeder head, loads and losses included).",
)
@click.option(
    "--directions",
    type=click.IntRange(3, 3600),
    default=32,
    show_default=True,
    help="Support directions K (one LP each) per group.",
)
@click.option(
    "--model",
    type=click.Choice(["socp", "lindistflow"]),
    default="socp",
    show_default=True,
    help="Network model: socp (losses; vertices pass the AC check) or lindistflow "
    "(lossless, faster; its limits are corrected by the AC check, see --ac-corrections). "
    "Balanced networks only: a three-phase network uses the three-phase AC model, "
    "linearised, with secant cuts from the AC check.",
)
@click.option(
    "--no-network-limits",
    is_flag=True,
    help="Ignore voltage and thermal limits (the envelope is then the assets' own).",
)
@click.option(
    "--v-min", type=PU_VOLTAGE, default=None, help="Lower voltage limit for every node (pu)."
)
@click.option(
    "--v-max", type=PU_VOLTAGE, default=None, help="Upper voltage limit for every node (pu)."
)
@click.option(
    "--load-scale", type=LOAD_SCALE, default=1.0, show_default=True, help="Multiply every load."
)
@click.option(
    "--v-tol",
    "vm_tol",
    type=FiniteFloat(0.0, 1.0),
    default=1e-3,
    show_default=True,
    help="AC check: voltage violation accepted (pu).",
)
@click.option(
    "--thermal-tol",
    type=FiniteFloat(0.0, 1000.0),
    default=0.1,
    show_default=True,
    help="AC check: loading above 100 % accepted (percentage points).",
)
@click.option(
    "--ac-corrections",
    type=click.IntRange(min=0),
    default=None,
    help="lindistflow: rounds of tightening the LP limits by the errors the AC check finds; "
    "three-phase networks: rounds of secant cuts [default: 2; three-phase 8].",
)
@held_tol_option("before any asset moves (every asset at its zero point)")
@click.option("--time-limit", type=TIME_LIMIT, default=None, help="HiGHS time limit per LP (s).")
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    out_dir: Path,
    assets: Path | None,
    group_by: str,
    directions: int,
    model: str,
    no_network_limits: bool,
    v_min: float | None,
    v_max: float | None,
    load_scale: float,
    vm_tol: float,
    thermal_tol: float,
    ac_corrections: int | None,
    held_tol: float,
    time_limit: float | None,
    force: bool,
) -> None:
    """P-Q flexibility envelope of each DER group at its point of connection, within the
    asset limits and the network's voltage and thermal limits; writes der_envelopes,
    der_envelope_summary and der_envelope_setpoints (Parquet) into OUT_DIR.

    Each of K directions theta is one LP maximising cos(theta) P + sin(theta) Q of the
    group's aggregate injection on the network model (built once); the envelope is the
    convex hull of the K optima. Assets outside the group stay at the point of their box
    nearest zero injection; limits the network breaks before any asset moves are held at
    their base-case value. Every vertex's asset set points are re-solved with the AC power
    flow (one batch) and checked against the limits.
    """
    from gat_cli.network_input import read_grid_file
    from gat_derms import EnvelopeOptions, compute_envelopes, validate_assets
    from gat_dist.table_files import read_table_file
    from gat_schemas import InputError, ValidationError
    from gat_schemas.manifest import jsonable

    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        "assets": None if assets is None else str(assets),
        "group_by": group_by,
        "directions": directions,
        "model": model,
        "network_limits": not no_network_limits,
        "v_min": v_min,
        "v_max": v_max,
        "load_scale": load_scale,
        "vm_tol_pu": vm_tol,
        "thermal_tol_pct": thermal_tol,
        "ac_corrections": ac_corrections,
        "held_tol_pu": held_tol,
        "time_limit": time_limit,
        "outside_group": OUTSIDE_GROUP,
        "broken_limits": BROKEN_LIMITS,
        "s_max_polygon": "inscribed 32-gon",
        "force": force,
    }
    with command_run(
        app,
        out_dir=out_dir,
        command="derms envelope",
        params=params,
        inputs=[grid_file, assets],
        force=force,
    ) as run:
        options = EnvelopeOptions(
            group_by=group_by,
            directions=directions,
            model=model,
            network_limits=not no_network_limits,
            v_min=v_min,
            v_max=v_max,
            load_scale=load_scale,
            vm_tol_pu=vm_tol,
            thermal_tol_pct=thermal_tol,
            ac_corrections=ac_corrections,
            held_tol_pu=held_tol,
            time_limit_s=time_limit,
        )
        net = read_grid_file(grid_file)
        if assets is not None:
            der = read_table_file(assets, "der_assets", validate=False)
            source = str(assets)
        else:
            der = net.table("der_assets")
            source = f"{grid_file} (der_assets)"
            if der is None:
                raise InputError(f"{grid_file}: no der_assets table; pass --assets FILE")
        if len(der) == 0:
            raise InputError(f"{source}: table der_assets has no rows; no envelope to compute")
        violations = validate_assets(der, network=net)
        if violations:
            raise ValidationError(violations, source=source)
        from gat_cli.progress import progress_bar

        with progress_bar("envelope support LPs") as progress:
            result = compute_envelopes(net, der, options, progress=progress)
        # The values behind the outside_group and broken_limits rules, for the record.
        moved = result.outside[(result.outside["p_mw"] != 0) | (result.outside["q_mvar"] != 0)]
        run.params["outside_group_setpoints"] = {
            str(r.asset_id): {"p_mw": float(r.p_mw), "q_mvar": float(r.q_mvar)}
            for r in moved.itertuples()
        }
        run.params["held_limits"] = jsonable(result.held.to_dict(orient="records"))
        run.stage_table(result.envelopes, "der_envelopes")
        run.stage_table(result.summary, "der_envelope_summary")
        run.stage_table(result.setpoints, "der_envelope_setpoints")
    from gat_pf.physics import is_three_phase

    model = "three_phase" if is_three_phase(net) else options.model.value
    _print_summary(app, out_dir, net.name, options, result, model)


def _num(x: float, fmt: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _print_summary(app: AppContext, out_dir: Path, name: str, options, result, model: str) -> None:  # type: ignore[no-untyped-def]
    s = result.summary
    n_assets = int(s["asset_count"].sum())
    limits = "on" if options.network_limits else "off"
    lines = [
        f"{name}: {len(s)} envelope{'s' if len(s) != 1 else ''} of {n_assets} assets "
        f"(group by {options.group_by.value}, {model}, {options.directions} "
        f"directions, network limits {limits})"
    ]
    width = max(len(str(g)) for g in s["group_id"])
    for r in s.to_dict(orient="records"):
        if r["status"] == "infeasible":
            lines.append(f"  {r['group_id']:<{width}}  infeasible: {r['message']}")
            continue
        verdict = "AC ok" if r["ac_verified"] else "AC VIOLATED"
        if r["ac_corrections"]:
            n = r["ac_corrections"]
            verdict += f" after {n} correction{'s' if n != 1 else ''}"
        lines.append(
            f"  {r['group_id']:<{width}}  {r['asset_count']:>3} assets  "
            f"P {_num(r['p_min_mw'], '.3f')}..{_num(r['p_max_mw'], '.3f')} MW  "
            f"Q {_num(r['q_min_mvar'], '.3f')}..{_num(r['q_max_mvar'], '.3f')} Mvar  "
            f"area {r['area_mva2']:.3f} MVA^2  {r['vertex_count']} vertices  "
            f"{verdict} (max violation {_num(r['max_ac_violation'], '.1e')})"
        )
    if result.ungrouped:
        lines.append(f"  not in any group (held at zero): {', '.join(result.ungrouped)}")
    if len(result.held):
        held = ", ".join(
            f"{r.limit} {r.element} {r.value:g} -> {r.held_at:.4f}"
            for r in result.held.head(5).itertuples()
        )
        more = f" and {len(result.held) - 5} more" if len(result.held) > 5 else ""
        lines.append(
            f"  broken before any asset moves, held at their base value + tolerance: {held}{more}"
        )
    lines.append(
        f"build {result.build_s:.2f} s, {result.lp_solves} LPs in {result.solve_s:.2f} s, "
        f"AC check of {len(result.envelopes)} vertices in {result.verify_s:.2f} s"
    )
    lines.append(
        f"written to {rel(out_dir)}/ (der_envelopes, der_envelope_summary, "
        "der_envelope_setpoints, run.json)"
    )
    summary = {
        "out_dir": str(out_dir),
        "group_by": options.group_by.value,
        "model": model,
        "directions": options.directions,
        "ungrouped": list(result.ungrouped),
        "held_limits": result.held.to_dict(orient="records"),
        "build_s": result.build_s,
        "solve_s": result.solve_s,
        "verify_s": result.verify_s,
        "lp_solves": result.lp_solves,
        "groups": s.to_dict(orient="records"),
    }
    emit(app, summary, lines)
