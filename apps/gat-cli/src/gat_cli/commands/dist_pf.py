"""``gat dist pf``: AC (or DC) power flow of a network folder, one case or a batch; balanced
(positive sequence) or three-phase in phase coordinates, chosen from the tables (a network
with a three-phase table is solved three-phase) or with ``--unbalanced``."""

from __future__ import annotations

import re
from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    LOAD_SCALE,
    FiniteFloat,
    force_option,
    grid_file_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.+-]+$")
#: --method in three-phase mode: the sweep is the fixed point, nr is Newton-Raphson.
_METHOD_3PH = {"auto": "auto", "bfs": "fixed_point", "nr": "newton"}


@click.command()
@grid_file_option
@out_dir_option
@click.option(
    "--method",
    type=click.Choice(["auto", "nr", "bfs", "dc"]),
    default="auto",
    show_default=True,
    help="auto = sweep on radial feeders without source nodes, Newton-Raphson otherwise. "
    "With --unbalanced: auto = the fixed point, then Newton-Raphson where it does not settle; "
    "bfs = the fixed point only; nr = Newton-Raphson.",
)
@click.option(
    "--tol",
    type=FiniteFloat(0.0, 1.0, min_open=True),
    default=1e-8,
    show_default=True,
    help="Largest P or Q mismatch (pu).",
)
@click.option(
    "--max-iter",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Iteration limit [default: 50 NR, 500 sweep].",
)
@click.option(
    "--load-scale",
    type=LOAD_SCALE,
    default=1.0,
    show_default=True,
    help="Multiply every load (and every scenario's loads) by this factor.",
)
@click.option(
    "--scenarios",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Scenarios table (.parquet or .csv): scenario_id with scale, or node_id + scale, "
    "or node_id + load_p [+ load_q] (MW, Mvar). Solved as one batch.",
)
@click.option(
    "--enforce-q-limits", is_flag=True, help="Newton-Raphson: hold source nodes at q_min/q_max."
)
@click.option(
    "--unbalanced",
    is_flag=True,
    help="Three-phase power flow in phase coordinates (line codes, transformers, regulators, "
    "per-phase loads); writes pf3_nodes, pf3_branches, pf3_regulators, pf3_summary. "
    "Chosen without the flag when the network holds a three-phase table (dist_linecodes, "
    "dist_transformers, dist_regulators, dist_loads).",
)
@click.option(
    "--regulators",
    type=click.Choice(["auto", "fixed"]),
    default=None,
    help="Three-phase: auto = regulators with mode auto move their taps (band, set "
    "point, line-drop compensation); fixed = every tap as in dist_regulators.  [default: auto]",
)
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    out_dir: Path,
    method: str,
    tol: float,
    max_iter: int | None,
    load_scale: float,
    scenarios: Path | None,
    enforce_q_limits: bool,
    unbalanced: bool,
    regulators: str | None,
    force: bool,
) -> None:
    """Solve the power flow of the network in --grid-file and write pf_nodes, pf_branches
    and pf_summary (Parquet) into OUT_DIR.

    With --scenarios, every scenario is solved in one batch and the node and branch tables
    are partitioned by scenario (pf_nodes/scenario_id=<id>/part-0.parquet). A power flow
    that does not converge exits with code 3 and writes no result table.

    A network holding a three-phase table (dist_linecodes, dist_transformers,
    dist_regulators, dist_loads) is solved three-phase without --unbalanced; a balanced one
    in positive sequence unless --unbalanced is given.

    Three-phase, the network is solved in phase coordinates (the --tol mismatch is then
    per phase, in the same MVA), scenarios may only scale loads (scenario_id + scale, or
    node_id + scale), and the outputs are pf3_nodes (per node and phase), pf3_branches (per
    conductor), pf3_regulators and pf3_summary.
    """
    import gat_pf
    from gat_cli.network_input import read_grid_file
    from gat_dist.table_files import read_table_file

    detected = not unbalanced and bool(three_phase_tables(grid_file))
    unbalanced = unbalanced or detected
    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        "method": method,
        "tol": tol,
        "max_iter": max_iter,
        "load_scale": load_scale,
        "scenarios": None if scenarios is None else str(scenarios),
        "enforce_q_limits": enforce_q_limits,
        "unbalanced": unbalanced,
        "three_phase_detected": detected,
        "regulators": (regulators or "auto") if unbalanced else None,
        "force": force,
    }
    if not unbalanced and regulators is not None:
        raise click.UsageError("--regulators applies to the three-phase power flow (--unbalanced)")
    if unbalanced and (method == "dc" or enforce_q_limits):
        why = (
            f"the network holds three-phase tables ({', '.join(three_phase_tables(grid_file))})"
            if detected
            else "--unbalanced"
        )
        raise click.UsageError(
            f"--method dc and --enforce-q-limits apply to the balanced power flow, not the "
            f"three-phase one ({why})"
        )
    if unbalanced:
        _run_unbalanced(app, params, grid_file, out_dir, scenarios, force)
        return
    options = gat_pf.PowerFlowOptions(
        method=gat_pf.Method(method), tol=tol, max_iter=max_iter, enforce_q_limits=enforce_q_limits
    )
    with command_run(
        app,
        out_dir=out_dir,
        command="dist pf",
        params=params,
        inputs=[grid_file] + ([scenarios] if scenarios else []),
        force=force,
    ) as run:
        net = read_grid_file(grid_file)
        model = gat_pf.build_model(net)
        if scenarios is None:
            result = gat_pf.run_power_flow(model, options=options, load_scale=load_scale)
            run.stage_table(result.nodes, "pf_nodes")
            run.stage_table(result.branches, "pf_branches")
            run.stage_table(result.summary, "pf_summary")
            nodes, branches, summary_df = result.nodes, result.branches, result.summary
        else:
            # scenario_arrays validates the table (and names the file in its errors).
            table = read_table_file(scenarios, "pf_scenarios", validate=False)
            arrays = gat_pf.scenario_arrays(model, table, source=str(scenarios))
            _check_partition_ids(arrays.scenario_ids, scenarios)
            batch = gat_pf.solve_batch(
                model,
                load_p_mw=arrays.load_p_mw * load_scale,
                load_q_mvar=arrays.load_q_mvar * load_scale,
                options=options,
            )
            nodes, branches, summary_df = gat_pf.batch_tables(model, batch, arrays.scenario_ids)
            for sid in arrays.scenario_ids:
                part = f"scenario_id={sid}/part-0.parquet"
                for name, df in (("pf_nodes", nodes), ("pf_branches", branches)):
                    rows = df[df["scenario_id"] == sid].drop(columns="scenario_id")
                    run.stage_table(rows, name, filename=f"{name}/{part}")
            run.stage_table(summary_df, "pf_summary")
    _print_summary(app, net.name, out_dir, nodes, branches, summary_df)


def three_phase_tables(grid_file: Path) -> list[str]:
    """Three-phase tables present in a network folder (as Parquet or CSV files)."""
    from gat_pf import THREE_PHASE_TABLES as names

    folder = Path(grid_file)
    return [
        n for n in names if (folder / f"{n}.parquet").is_file() or (folder / f"{n}.csv").is_file()
    ]


def _run_unbalanced(
    app: AppContext,
    params: dict[str, object],
    grid_file: Path,
    out_dir: Path,
    scenarios: Path | None,
    force: bool,
) -> None:
    import gat_pf
    from gat_cli.network_input import read_grid_file
    from gat_dist.table_files import read_table_file
    from gat_schemas import NotConvergedError

    options = gat_pf.ThreePhaseOptions(
        tol=float(params["tol"]) * 3.0,  # per phase of base_mva / 3: the same MVA tolerance
        max_iter=int(params["max_iter"] or 500),  # type: ignore[call-overload]
        regulators=str(params["regulators"]),
        method=_METHOD_3PH[str(params["method"])],
    )
    load_scale = float(params["load_scale"])  # type: ignore[arg-type]
    with command_run(
        app,
        out_dir=out_dir,
        command="dist pf",
        params=params,
        inputs=[grid_file] + ([scenarios] if scenarios else []),
        force=force,
    ) as run:
        net = read_grid_file(grid_file)
        model = gat_pf.build_model_3ph(net)
        if scenarios is None:
            ids: tuple[str, ...] | None = None
            scale: object = None if load_scale == 1.0 else [load_scale]
        else:
            table = read_table_file(scenarios, "pf_scenarios", validate=False)
            ids, factors = gat_pf.scenario_scales_3ph(model, table, source=str(scenarios))
            _check_partition_ids(ids, scenarios)
            scale = factors * load_scale
        batch = gat_pf.solve_batch_3ph(model, load_scale=scale, options=options)
        if not batch.converged.all():
            bad = [
                str(i) for i, ok in zip(ids or ("case",), batch.converged, strict=True) if not ok
            ]
            raise NotConvergedError(
                f"three-phase power flow did not converge or its regulators did not settle "
                f"(scenarios: {', '.join(bad[:5])}; largest mismatch "
                f"{float(batch.max_mismatch_mva.max()):.3g} MVA per phase)"
                + gat_pf.floating_hint_3ph(model),
                iterations=int(batch.iterations.max()),
            )
        tables = gat_pf.batch_tables_3ph(model, batch, ids if ids is not None else ["case"])
        if ids is None:
            for name, df in tables.items():
                run.stage_table(df.drop(columns="scenario_id"), name)
        else:
            for sid in ids:
                part = f"scenario_id={sid}/part-0.parquet"
                for name in ("pf3_nodes", "pf3_branches", "pf3_regulators"):
                    df = tables[name]
                    rows = df[df["scenario_id"] == sid].drop(columns="scenario_id")
                    run.stage_table(rows, name, filename=f"{name}/{part}")
            run.stage_table(tables["pf3_summary"], "pf3_summary")
    _print_summary_3ph(app, net.name, out_dir, tables, ids is not None)


def _print_summary_3ph(
    app: AppContext, name: str, out_dir: Path, tables: dict[str, object], batch: bool
) -> None:
    from gat_cli.commands._pf_violations import UNRATED_NOTE, violation_records, violation_text

    summary = tables["pf3_summary"]
    regs = tables["pf3_regulators"]
    records = summary.to_dict(orient="records")  # type: ignore[attr-defined]
    violations = violation_records(tables["pf3_nodes"], tables["pf3_branches"], summary)
    lines = []
    for r, v in zip(records, violations, strict=True):
        head = f"scenario {r['scenario_id']}: " if batch else ""
        lines.append(
            f"{head}{name}: three-phase converged in {r['iterations']} iterations"
            + (f" ({r['regulator_rounds']} regulator round(s))" if len(regs) else "")
            + f"; load {r['total_load_mw']:.4f} MW, "
            f"losses {r['p_loss_mw'] * 1e3:.3f} kW; V min {r['vm_min_pu']:.5f} pu at "
            f"{r['vm_min_node']}, max {r['vm_max_pu']:.5f} pu at {r['vm_max_node']}; "
            f"unbalance {r['unbalance_max_pct']:.2f} %"
        )
        taps = regs[regs["scenario_id"] == r["scenario_id"]]  # type: ignore[index]
        if len(taps):
            pairs = zip(taps.regulator_id, taps.tap, strict=True)
            shown = ", ".join(f"{a} {int(t)}" for a, t in pairs)
            lines.append(f"{head}regulator taps: {shown}")
        lines.append(head + violation_text(v, phases=True))
    n_ll = int(records[0].get("n_judged_ll", 0)) if records else 0
    if n_ll:
        lines.append(
            f"note: {n_ll} node phases are in sections nothing grounds (three-wire delta): "
            "their band is judged line to line (node.AB = |V_A - V_B| in pu of the "
            "line-to-line base; pf3_nodes vll_pu, v_judged)"
        )
    if not violations[0]["rated_branches"]:
        lines.append(UNRATED_NOTE)
    outs = "pf3_nodes, pf3_branches, pf3_regulators, pf3_summary, run.json"
    lines.append(f"written to {rel(out_dir)}/ ({outs})")
    if not batch:
        for rec in [*records, *violations]:
            rec.pop("scenario_id", None)
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "summary": records,
            "violations": violations,
            "regulators": regs.drop(columns=[] if batch else ["scenario_id"]).to_dict(  # type: ignore[attr-defined]
                orient="records"
            ),
        },
        lines,
    )


def _check_partition_ids(ids: tuple[str, ...], source: Path) -> None:
    from gat_schemas import InputError

    bad = [s for s in ids if not _SAFE_ID.match(s)]
    if bad:
        raise InputError(
            f"{source}: table pf_scenarios column scenario_id [{', '.join(bad[:5])}]: use only "
            "letters, digits and . _ + - (ids name output folders)"
        )


def _print_summary(app: AppContext, name: str, out_dir: Path, nodes, branches, summary) -> None:  # type: ignore[no-untyped-def]
    from gat_cli.commands._pf_violations import UNRATED_NOTE, violation_records, violation_text

    records = summary.to_dict(orient="records")
    violations = violation_records(nodes, branches, summary)
    lines = []
    for r, v in zip(records, violations, strict=True):
        head = f"scenario {r['scenario_id']}: " if "scenario_id" in r else ""
        mis = r["max_mismatch_mva"]
        # DC power flow is one linear solve: it has no AC mismatch (NaN in pf_summary).
        mis_text = f"mismatch {mis:.1e} MVA" if mis == mis else "linear, no AC mismatch"
        lines.append(
            f"{head}{name}: {r['method']} converged in {r['iterations']} iterations "
            f"({mis_text}); load {r['total_load_mw']:.4f} MW, "
            f"losses {r['p_loss_mw'] * 1e3:.3f} kW / {r['q_loss_mvar'] * 1e3:.3f} kvar; "
            f"V min {r['vm_min_pu']:.5f} pu at {r['vm_min_node']}, "
            f"max {r['vm_max_pu']:.5f} pu at {r['vm_max_node']}"
        )
        lines.append(head + violation_text(v))
    if not violations[0]["rated_branches"]:
        lines.append(UNRATED_NOTE)
    lines.append(f"written to {rel(out_dir)}/ (pf_nodes, pf_branches, pf_summary, run.json)")
    emit(
        app,
        {"network": name, "out_dir": str(out_dir), "summary": records, "violations": violations},
        lines,
    )
