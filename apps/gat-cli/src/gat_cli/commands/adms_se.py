"""``gat adms state-estimation``: AC WLS state estimation with observability and bad data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import FiniteFloat, GatCommand, force_option, grid_file_option, out_dir_option
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]


@click.command(cls=GatCommand)
@grid_file_option
@click.option(
    "--measurements",
    "measurements",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    metavar="FILE",
    help="measurements table (.parquet or .csv; gat adms make-measurements writes one).",
)
@out_dir_option
@click.option(
    "--alpha",
    type=FiniteFloat(0.0, 1.0, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Significance of the chi-square test on the objective J (dof = m - n + c).",
)
@click.option(
    "--lnr-threshold",
    type=FiniteFloat(0.0, 1e6, min_open=True),
    default=3.0,
    show_default=True,
    help="Largest normalised residual above which a measurement is bad data.",
)
@click.option(
    "--max-removals",
    type=click.IntRange(0, 10_000),
    default=5,
    show_default=True,
    help="Bad measurements removed at most (one per round, re-estimating after each).",
)
@click.option(
    "--pseudo-from-loads",
    "pseudo_pct",
    type=FiniteFloat(0.0, 1000.0, min_open=True),
    default=None,
    metavar="PCT",
    help="Add p_inj/q_inj pseudo-measurements of the nodes' nominal loads where none is "
    "measured, sigma PCT % of the load's apparent power.",
)
@click.option(
    "--model",
    type=click.Choice(["auto", "balanced", "three_phase"]),
    default="auto",
    show_default=True,
    help="Network model (auto: three-phase when the folder holds three-phase tables).",
)
@click.option(
    "--then-opf",
    is_flag=True,
    help="Then run the OPF (gat dist opf's defaults) on the network at the estimated state "
    "(loads = estimated net consumption; balanced networks; first snapshot); its tables go "
    "to OUT_DIR/opf/.",
)
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    measurements: Path,
    out_dir: Path,
    alpha: float,
    lnr_threshold: float,
    max_removals: int,
    pseudo_pct: float | None,
    model: str,
    then_opf: bool,
    force: bool,
) -> None:
    """Estimate the network's state (voltages, flows) from measurements by weighted least squares.

    Gauss-Newton on the AC model (balanced or three-phase), zero-injection nodes as equality
    constraints. Before solving, an observability check names unobservable nodes (exit 1;
    --pseudo-from-loads fills them). Bad data: the largest normalised residual above
    --lnr-threshold is removed and the state re-estimated, up to --max-removals times; the
    chi-square test on J is reported. Snapshots (the table's snapshot column) sharing one
    measurement set are solved as one batch. Writes se_nodes, se_branches, se_measurements
    and se_summary into OUT_DIR.
    """
    from gat_adms.se import SeOptions, estimate_state
    from gat_cli.network_input import read_grid_file
    from gat_dist.table_files import read_table_file

    options = SeOptions(
        alpha=alpha,
        lnr_threshold=lnr_threshold,
        max_removals=max_removals,
        pseudo_from_loads_pct=pseudo_pct,
        model=model,
    )
    params = {
        "grid_file": str(grid_file),
        "measurements": str(measurements),
        "out_dir": str(out_dir),
        "alpha": alpha,
        "lnr_threshold": lnr_threshold,
        "max_removals": max_removals,
        "pseudo_from_loads": pseudo_pct,
        "model": model,
        "then_opf": then_opf,
    }
    with command_run(
        app,
        out_dir=out_dir,
        command="adms state-estimation",
        params=params,
        inputs=[grid_file, measurements],
        force=force,
    ) as run:
        net = read_grid_file(grid_file)
        table = read_table_file(measurements, "measurements")
        est = estimate_state(net, table, options=options)
        run.stage_table(est.nodes, "se_nodes")
        run.stage_table(est.branches, "se_branches")
        run.stage_table(est.measurements, "se_measurements")
        run.stage_table(est.summary, "se_summary")
        opf = None
        if then_opf:
            from gat_adms.se import network_at_estimate
            from gat_dist.opf import run_opf

            opf = run_opf(network_at_estimate(net, est))
            for name in ("nodes", "branches", "der", "summary"):
                table = f"opf_{name}"
                run.stage_table(getattr(opf, name), table, filename=f"opf/{table}.parquet")
    _print_summary(app, net.name, out_dir, est, alpha, opf)


def _print_summary(
    app: AppContext, name: str, out_dir: Path, est: Any, alpha: float, opf: Any = None
) -> None:
    sm = est.summary
    meas = est.measurements
    removed = meas.loc[meas["removed"]].sort_values(["snapshot", "removal_round"])
    lines = []
    if len(sm) == 1:
        s = sm.iloc[0]
        lines.append(
            f"{name}: {s['model']} state estimate from {s['n_measurements']} measurements "
            f"({s['n_pseudo']} pseudo), {s['n_states']} states, {s['n_zero_injection']} "
            f"zero-injection terminals; {'converged' if s['converged'] else 'NOT converged'} "
            f"in {s['iterations']} iterations"
        )
        verdict = "passed" if s["chi2_passed"] else "failed"
        lines.append(
            f"chi-square: J = {s['objective_j']:.2f} vs {s['chi2_threshold']:.2f} "
            f"(dof {s['chi2_dof']}, alpha {alpha:g}) {verdict}; largest normalised "
            f"residual {s['max_normalised_residual']:.2f}; critical measurements {s['n_critical']}"
        )
    else:
        lines.append(
            f"{name}: {len(sm)} snapshots estimated ({sm['model'].iat[0]}); converged "
            f"{int(sm['converged'].sum())}, chi-square passed {int(sm['chi2_passed'].sum())}"
        )
        bad = sm.loc[~sm["converged"].astype(bool), "snapshot"].astype(str).tolist()
        if bad:
            shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
            lines.append(
                f"NOT converged (no estimate; their rows in se_nodes are the last iterate): {shown}"
            )
    for _, r in removed.iterrows():
        lines.append(
            f"removed {r['measurement_id']} (snapshot {r['snapshot']}, round "
            f"{r['removal_round']}): value {r['value']:.4g}, estimate {r['estimate']:.4g}, "
            f"normalised residual {r['normalised_residual']:.1f}"
        )
    if removed.empty:
        lines.append("no bad data removed")
    merged = list(est.merged_branches)
    if merged:
        shown = ", ".join(merged[:6]) + (f" and {len(merged) - 6} more" if len(merged) > 6 else "")
        lines.append(
            f"near-zero-impedance branches estimated as zero-impedance connections: {shown}"
        )
    n = est.nodes
    lines.append(
        f"voltages {n['vm_pu'].min():.4f}-{n['vm_pu'].max():.4f} pu (largest std "
        f"{n['vm_std_pu'].max():.4f} pu)"
    )
    lines.append(
        f"written to {rel(out_dir)}/ (se_nodes, se_branches, se_measurements, se_summary, run.json)"
    )
    opf_rows = None
    if opf is not None:
        o = opf.summary.iloc[0]
        ac = "AC-verified" if bool(o["ac_converged"]) else "AC check did not converge"
        lines.append(
            f"then OPF ({o['formulation']}, {o['objective']}) on the estimated state: "
            f"{o['status']}, losses {o['p_loss_mw']:.4f} MW, voltages "
            f"{o['vm_min_pu']:.4f}-{o['vm_max_pu']:.4f} pu, DER {o['der_p_mw']:.3f} MW "
            f"({ac}); written to {rel(out_dir)}/opf/"
        )
        opf_rows = opf.summary.to_dict(orient="records")
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "snapshots": len(sm),
            "summary": sm.to_dict(orient="records"),
            "removed": removed[
                ["snapshot", "measurement_id", "normalised_residual", "removal_round"]
            ].to_dict(orient="records"),
            "opf_summary": opf_rows,
            "merged_branches": merged,
        },
        lines,
    )
