"""``gat dist opf``: optimal power flow of a network folder, AC-verified."""

from __future__ import annotations

from pathlib import Path

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    LOAD_SCALE,
    PU_VOLTAGE,
    TIME_LIMIT,
    FiniteFloat,
    force_option,
    grid_file_option,
    held_tol_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]


@click.command()
@grid_file_option
@out_dir_option
@click.option(
    "--objective",
    type=click.Choice(["loss", "cost", "curtailment", "vvo"]),
    default="loss",
    show_default=True,
    help="Minimise losses (MW), cost (asset cost curves + import price), or pv/wind curtailment; "
    "vvo: Volt/VAR optimisation of regulator taps, capacitors and DER reactive power (MILP, "
    "AC-checked; see --vvo-objective), writing vvo_settings, vvo_periods and vvo_summary.",
)
@click.option(
    "--vvo-objective",
    default="loss",
    show_default=True,
    metavar="TERMS",
    help="--objective vvo: loss, cvr, voltage-deviation or weighted terms (loss=1,cvr=0.5).",
)
@click.option(
    "--cvr-factor",
    type=FiniteFloat(0.0, 10.0),
    default=0.8,
    show_default=True,
    help="--objective vvo: dP/P per dV/V of constant-power loads in the cvr term.",
)
@click.option("--no-der-q", is_flag=True, help="--objective vvo: keep DER at zero reactive power.")
@click.option(
    "--substation-setpoint",
    is_flag=True,
    help="--objective vvo: optimise the substation voltage set point too.",
)
@click.option(
    "--formulation",
    type=click.Choice(["socp", "lindistflow", "dc"]),
    default="socp",
    show_default=True,
    help="socp: branch-flow cone relaxation (radial); lindistflow: linear (radial); "
    "dc: B-theta (meshed allowed). Balanced networks only: a three-phase network (one with "
    "three-phase tables) is solved by the three-phase model (slp3ph) without this option.",
)
@click.option(
    "--assets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="der_assets table (.parquet or .csv) of controllable DER [default: the network's].",
)
@click.option(
    "--cost-curves",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="der_cost_curves table (.parquet or .csv) [default: the network's].",
)
@click.option(
    "--import-price",
    type=FiniteFloat(-1e6, 1e6),
    default=0.0,
    show_default=True,
    help="Price of imported power (currency/MWh), --objective cost.",
)
@click.option(
    "--v-min", type=PU_VOLTAGE, default=None, help="Lower voltage limit for every node (pu)."
)
@click.option(
    "--v-max", type=PU_VOLTAGE, default=None, help="Upper voltage limit for every node (pu)."
)
@click.option(
    "--reverse-flow-limit",
    type=FiniteFloat(0.0, 1e6),
    default=None,
    help="Largest power flowing back through the feeder head (MW; 0 forbids reverse flow).",
)
@click.option("--no-thermal", is_flag=True, help="Do not enforce thermal_limit.")
@click.option(
    "--load-scale", type=LOAD_SCALE, default=1.0, show_default=True, help="Multiply every load."
)
@click.option(
    "--cone-tol",
    type=FiniteFloat(0.0, 1.0, min_open=True),
    default=1e-7,
    show_default=True,
    help="socp: stop adding cuts when the largest relative cone violation is below this.",
)
@click.option(
    "--time-limit", type=TIME_LIMIT, default=None, help="HiGHS time limit per LP solve (s)."
)
@held_tol_option("with every DER at zero (three-phase networks)")
@click.option(
    "--max-rounds",
    type=click.IntRange(1, 1000),
    default=None,
    help="Three-phase networks: largest number of AC rounds (linearise, LP, AC check) "
    "[default: 30]; --objective vvo: linearise / MILP / AC-check rounds [default: 12]. A run "
    "that reaches it reports round_limit (not converged).",
)
@force_option
@click.pass_obj
def cli(
    app: AppContext,
    grid_file: Path,
    out_dir: Path,
    objective: str,
    formulation: str,
    assets: Path | None,
    cost_curves: Path | None,
    import_price: float,
    v_min: float | None,
    v_max: float | None,
    reverse_flow_limit: float | None,
    no_thermal: bool,
    load_scale: float,
    cone_tol: float,
    time_limit: float | None,
    held_tol: float,
    force: bool,
    max_rounds: int | None = None,
    vvo_objective: str = "loss",
    cvr_factor: float = 0.8,
    no_der_q: bool = False,
    substation_setpoint: bool = False,
) -> None:
    """Solve the optimal power flow of the network in --grid-file and write opf_nodes,
    opf_branches, opf_der and opf_summary (Parquet) into OUT_DIR.

    The DER assets are the controls (p within [p_min, p_max], q within [q_min, q_max] and
    the inverter rating s_max); the feeder head imports what is missing. Every answer is
    re-solved with the AC power flow and opf_summary reports the violations found. An
    infeasible or unbounded model exits with code 3, naming the constraint family whose
    relaxation restores feasibility.
    """
    from gat_cli.network_input import read_grid_file
    from gat_dist.opf import OpfOptions, run_opf
    from gat_dist.table_files import read_table_file

    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        "objective": objective,
        "formulation": formulation,
        "assets": None if assets is None else str(assets),
        "cost_curves": None if cost_curves is None else str(cost_curves),
        "import_price": import_price,
        "v_min": v_min,
        "v_max": v_max,
        "reverse_flow_limit": reverse_flow_limit,
        "no_thermal": no_thermal,
        "load_scale": load_scale,
        "cone_tol": cone_tol,
        "time_limit": time_limit,
        "held_tol_pu": held_tol,
        "max_rounds": max_rounds,
        "force": force,
    }
    if objective == "vvo":
        params.update(
            vvo_objective=vvo_objective,
            cvr_factor=cvr_factor,
            no_der_q=no_der_q,
            substation_setpoint=substation_setpoint,
        )
        _run_vvo(app, grid_file, out_dir, assets, params, force)
        return
    with command_run(
        app,
        out_dir=out_dir,
        command="dist opf",
        params=params,
        inputs=[grid_file, assets, cost_curves],
        force=force,
    ) as run:
        options = OpfOptions(
            formulation=formulation,
            objective=objective,
            import_price=import_price,
            v_min=v_min,
            v_max=v_max,
            enforce_thermal=not no_thermal,
            reverse_flow_limit_mw=reverse_flow_limit,
            load_scale=load_scale,
            cone_tol=cone_tol,
            time_limit_s=time_limit,
            held_tol_pu=held_tol,
            **({} if max_rounds is None else {"max_ac_rounds": max_rounds}),
        )
        net = read_grid_file(grid_file)
        _check_formulation(net, formulation)
        _check_max_rounds(net, max_rounds)
        der = None if assets is None else read_table_file(assets, "der_assets")
        curves = None if cost_curves is None else read_table_file(cost_curves, "der_cost_curves")
        result = run_opf(net, assets=der, cost_curves=curves, options=options)
        run.stage_table(result.nodes, "opf_nodes")
        run.stage_table(result.branches, "opf_branches")
        run.stage_table(result.der, "opf_der")
        run.stage_table(result.summary, "opf_summary")
    _print_summary(app, out_dir, result.summary)


def _run_vvo(app: AppContext, grid_file: Path, out_dir: Path, assets, params, force: bool) -> None:  # type: ignore[no-untyped-def]
    """One-period Volt/VAR optimisation (``gat_adms.vvo.optimise_period``).

    Options of the DER OPF that the VVO does not use are refused when given explicitly
    (rather than ignored): it has no cost, no thermal or reverse-flow limit, one model.
    """
    from gat_schemas.errors import InputError

    ctx = click.get_current_context()
    unused = [
        "--" + name.replace("_", "-")
        for name in (
            "formulation",
            "cost_curves",
            "import_price",
            "reverse_flow_limit",
            "no_thermal",
            "cone_tol",
        )
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    ]
    if unused:
        raise InputError(
            f"{', '.join(unused)}: not used by --objective vvo (taps, capacitors and DER "
            "reactive power against the voltage band; no cost, thermal or reverse-flow terms)"
        )
    from gat_adms.vvo import VvoOptions, optimise_period
    from gat_cli.commands.adms_vvo import print_vvo_summary
    from gat_cli.network_input import read_grid_file
    from gat_dist.table_files import read_table_file

    with command_run(
        app,
        out_dir=out_dir,
        command="dist opf",
        params=params,
        inputs=[grid_file, assets],
        force=force,
    ) as run:
        options = VvoOptions(
            objective=params["vvo_objective"],
            v_min=params["v_min"],
            v_max=params["v_max"],
            cvr_factor=params["cvr_factor"],
            der_q=not params["no_der_q"],
            substation=params["substation_setpoint"],
            time_limit_s=params["time_limit"],
            **({} if params["max_rounds"] is None else {"max_rounds": params["max_rounds"]}),
        )
        net = read_grid_file(grid_file)
        der = None if assets is None else read_table_file(assets, "der_assets")
        result = optimise_period(net, assets=der, options=options, load_scale=params["load_scale"])
        run.stage_table(result.settings, "vvo_settings")
        run.stage_table(result.periods, "vvo_periods")
        run.stage_table(result.summary, "vvo_summary")
    print_vvo_summary(app, net.name, out_dir, result)


def _check_formulation(net, formulation: str) -> None:  # type: ignore[no-untyped-def]
    """A formulation given explicitly on a three-phase network is refused (it would be
    ignored: three-phase networks have one OPF model)."""
    from gat_pf.physics import is_three_phase
    from gat_schemas.errors import InputError

    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("formulation") is not click.core.ParameterSource.DEFAULT
    if explicit and is_three_phase(net):
        raise InputError(
            f"--formulation {formulation} is for balanced networks; network {net.name} has "
            "three-phase tables and is solved by the three-phase model (omit --formulation)"
        )


def _check_max_rounds(net, max_rounds: int | None) -> None:  # type: ignore[no-untyped-def]
    """--max-rounds counts the three-phase model's AC rounds; a balanced network's OPF has
    none (its cut loop is bounded by OpfOptions.max_cut_rounds), so it is refused there."""
    from gat_pf.physics import is_three_phase
    from gat_schemas.errors import InputError

    if max_rounds is not None and not is_three_phase(net):
        raise InputError(
            f"--max-rounds: for three-phase networks and --objective vvo; network {net.name} "
            "is balanced (its OPF has no AC rounds): omit it"
        )


def _print_summary(app: AppContext, out_dir: Path, summary) -> None:  # type: ignore[no-untyped-def]
    r = summary.to_dict(orient="records")[0]
    unit = "currency/h" if r["objective"] == "cost" else "MW"
    gap = f", relaxation gap {r['relaxation_gap_pu']:.1e} pu" if r["formulation"] == "socp" else ""
    three = r.get("model") == "three_phase"
    weighted = (
        f" incl. {r['loss_weight']:g} x losses"
        if r["objective"] != "loss" and r["loss_weight"] > 0
        else ""
    )
    solves = (
        f"{r['ac_rounds']} AC rounds, {r['cuts']} tightened"
        if three
        else f"{r['cut_rounds']} LP solve{'' if r['cut_rounds'] == 1 else 's'}, {r['cuts']} cuts{gap}"
    )
    model = (
        "three-phase OPF (slp3ph: LPs on AC sensitivities)" if three else f"{r['formulation']} OPF"
    )
    lines = [
        f"{r['network']}: {model}, objective {r['objective']} = "
        f"{r['objective_value']:.6g} {unit}{weighted} ({r['status']}, {solves})",
        f"import {r['import_mw']:.4f} MW, losses {r['p_loss_mw'] * 1e3:.3f} kW, "
        f"DER {r['der_p_mw']:.4f} MW, curtailed {r['curtailment_mw']:.4f} MW; "
        f"build {r['build_s']:.2f} s, solve {r['solve_s']:.2f} s",
    ]
    if r["ac_converged"]:
        err = (
            f", largest |vm_opf - vm_ac| {r['vm_error_max_pu']:.2e} pu"
            if r["formulation"] != "dc"
            else ""
        )
        lines.append(
            f"AC check: losses {r['ac_p_loss_mw'] * 1e3:.3f} kW, V {r['ac_vm_min_pu']:.5f}.."
            f"{r['ac_vm_max_pu']:.5f} pu, voltage violation {r['ac_vm_violation_pu']:.2e} pu, "
            f"thermal violation {r['ac_thermal_violation_pct']:.2f} %{err}"
        )
        if three and r["ac_vm_violation_node"]:
            lines.append(f"largest voltage violation at {r['ac_vm_violation_node']}")
        if three and r["ac_thermal_violation_branch"]:
            lines.append(f"largest overload on {r['ac_thermal_violation_branch']}")
    else:
        lines.append("AC check: the power flow at the OPF set points did not converge")
    if r["status"] in ("round_limit", "cut_limit"):
        lines.append(
            f"warning: not converged ({r['status']}): the rounds stopped at their limit; the set "
            "points are the best AC-checked point found, not a proven optimum"
        )
    elif r["status"] == "elastic":
        lines.append(
            "warning: a limit the DER cannot meet is still broken at the answer (AC check above)"
        )
    lines.append(
        f"written to {rel(out_dir)}/ (opf_nodes, opf_branches, opf_der, opf_summary, run.json)"
    )
    emit(app, {"out_dir": str(out_dir), "summary": r}, lines)
